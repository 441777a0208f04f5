"""Numba kernels of dictionary learning.

:func:`bcd_atoms` is the dictionary step of Mairal's online dictionary
learning: one block-coordinate pass over the atoms of ``D`` on the surrogate
``1/2 tr(Dᴴ D A) - Re tr(Dᴴ B)``, each atom projected on the unit ball. It is
serial (each atom's update uses the atoms updated before it) and the loop of
``K`` small updates costs far more as Python-level NumPy calls than in one
compiled call.

Layouts callers guarantee: ``D`` and ``B`` are ``(n, K)`` F-contiguous (an
atom is a contiguous column), ``A`` is ``(K, K)`` Hermitian, all of one
dtype (float32, float64, complex64 or complex128); ``work`` is a length-``n``
scratch vector of that dtype. :func:`accumulate_codes` adds a batch of
sparse codes to the statistics ``A`` and ``B`` through their non-zeros
only (``O(b T^2 + b T n)`` instead of the dense ``O(b K^2 + b K n)``). The
NumPy twins live in
:mod:`sparsela.kernels.reference` (section ``dictionary``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["accumulate_codes", "bcd_atoms"]


@njit(cache=True)
def bcd_atoms(D, A, B, floor, dead, work):
    """One pass ``u_j = d_j + (b_j - D a_j) / A_jj``, ``d_j = u_j /
    max(||u_j||, 1)`` over the atoms ``j`` in order, overwriting ``D``.

    An atom with ``Re A_jj <= floor`` is skipped and flagged in the boolean
    ``dead`` (overwritten); ``work`` is scratch. ``a_j`` is column ``j`` of
    ``A``.
    """
    n, K = D.shape
    for j in range(K):
        ajj = A[j, j].real
        if not ajj > floor:
            dead[j] = True
            continue
        dead[j] = False
        for i in range(n):
            work[i] = B[i, j]
        for k in range(K):
            akj = A[k, j]
            if akj != 0:
                for i in range(n):
                    work[i] -= D[i, k] * akj
        nrm2 = 0.0
        for i in range(n):
            u = D[i, j] + work[i] / ajj
            work[i] = u
            nrm2 += u.real * u.real + u.imag * u.imag
        scale = 1.0 / max(np.sqrt(nrm2), 1.0)
        for i in range(n):
            D[i, j] = work[i] * scale


@njit(cache=True)
def accumulate_codes(ptr, atoms, coef, Y, D, A, B, w, work, r2):
    """Add ``w x xᴴ`` to ``A`` and ``w y xᴴ`` to ``B`` for every signal.

    Signal ``s`` (column ``s`` of ``Y``) has the code values
    ``coef[ptr[s]:ptr[s + 1]]`` on the atoms ``atoms[ptr[s]:ptr[s + 1]]``
    (the non-zeros of its column of ``X``). ``A`` and ``B`` accumulate;
    ``r2[s]`` is overwritten with ``||y_s - D x_s||^2``; ``work`` is a
    length-``n`` scratch vector.
    """
    n = Y.shape[0]
    for s in range(Y.shape[1]):
        lo, hi = ptr[s], ptr[s + 1]
        for i in range(n):
            work[i] = Y[i, s]
        for p in range(lo, hi):
            ki = atoms[p]
            ci = coef[p]
            wci = w * ci.conjugate()
            for q in range(lo, hi):
                A[atoms[q], ki] += coef[q] * wci
            for i in range(n):
                B[i, ki] += Y[i, s] * wci
                work[i] -= D[i, ki] * ci
        acc = 0.0
        for i in range(n):
            acc += work[i].real * work[i].real + work[i].imag * work[i].imag
        r2[s] = acc
