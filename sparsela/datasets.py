"""Seeded generators of sparse-recovery problems.

Every generator takes ``random_state`` (``None``, an int or a
:class:`numpy.random.Generator`) and returns a named tuple or dataclass whose
fields name what they hold. Measurements ``y`` have shape ``(m,)`` for one
signal or ``(m, n_signals)`` with signals in columns.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._validation import check_array, check_positive_int, check_scalar

__all__ = [
    "IRSMIMOProblem",
    "KronProblem",
    "DictionaryProblem",
    "LabelPropagationProblem",
    "SparseProblem",
    "badly_scaled_least_squares",
    "irs_mimo_channel",
    "lattice_label_propagation",
    "make_kron_problem",
    "make_sparse_problem",
    "planted_dictionary",
    "steering_dictionary",
]


class SparseProblem(NamedTuple):
    """A sparse recovery problem ``y = A x + noise``.

    Attributes
    ----------
    A : ndarray of shape (n_samples, n_features)
        Measurement matrix.
    y : ndarray of shape (n_samples,) or (n_samples, n_signals)
        Noisy measurements, signals in columns.
    x : ndarray of shape (n_features,) or (n_features, n_signals)
        The sparse ground truth (shared row support for several signals).
    noise_var : float
        Variance of the added noise (per real or complex entry; 0 when
        noiseless).
    """

    A: np.ndarray
    y: np.ndarray
    x: np.ndarray
    noise_var: float


class KronProblem(NamedTuple):
    """A Kronecker-structured problem ``y = (A_1 ⊗ ⋯ ⊗ A_I) x + noise``.

    Attributes
    ----------
    factors : list of ndarray
        ``A_i`` of shape ``(m_i, n_i)``.
    y : ndarray of shape (prod m_i,)
        Noisy measurements.
    x : ndarray of shape (prod n_i,)
        Ground truth ``x_1 ⊗ ... ⊗ x_I`` (C-order flattening, first factor on
        the slowest axis).
    noise_var : float
        Noise variance.
    supports : list of ndarray
        Per-mode supports (sorted indices of ``x_i``).
    """

    factors: list
    y: np.ndarray
    x: np.ndarray
    noise_var: float
    supports: list


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int or a numpy Generator, "
        f"got {type(random_state).__name__}"
    )


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be a floating or complex dtype, got {dtype!r}"
        ) from None
    if dt.kind not in "fc":
        raise TypeError(f"dtype must be a floating or complex dtype, got {dt}")
    return dt.newbyteorder("=")  # the arrays are made here: native byte order


def _gauss(rng, shape, complex_):
    out = rng.standard_normal(shape)
    if complex_:
        out = (out + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
    return out


def _noise_var(y_clean, snr_db):
    """``mean(|y_clean|^2) / 10^(snr_db / 10)``, safe for any finite ``snr_db``.

    In NumPy floats: a very high SNR gives 0 (noiseless to working
    precision) instead of an ``OverflowError``, a very low one ``inf``
    (refused by :func:`_add_noise`) instead of a ``ZeroDivisionError``.
    """
    if snr_db is None:
        return 0.0
    power = float(np.vdot(y_clean, y_clean).real) / max(y_clean.size, 1)
    if power == 0.0:
        return 0.0
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        return float(np.float64(power) / np.power(10.0, float(snr_db) / 10.0))


def _add_noise(y_clean, noise_var, snr_db, rng, cplx, dtype):
    """``y_clean`` plus white noise of variance ``noise_var``, cast to ``dtype``.

    Raises ``ValueError`` naming ``snr_db`` when the noise is beyond the range
    of ``dtype``.
    """
    noise = _gauss(rng, y_clean.shape, cplx)  # drawn even if noiseless: same stream
    with np.errstate(over="ignore", invalid="ignore"):
        out = (y_clean + np.sqrt(noise_var) * noise).astype(dtype)
    if not np.isfinite(out).all():
        raise ValueError(
            f"snr_db={snr_db} gives noise of variance {noise_var:.3g}, beyond the "
            f"{np.dtype(dtype)} range: use a larger snr_db"
        )
    return out


def _check_snr(snr_db):
    if snr_db is not None:
        check_scalar(snr_db, "snr_db")
    return snr_db


def make_sparse_problem(
    n_samples: int = 100,
    n_features: int = 400,
    n_nonzero: int = 10,
    *,
    n_signals: int | None = None,
    snr_db: float | None = 20.0,
    dtype: Any = np.float64,
    random_state: Any = None,
) -> SparseProblem:
    """Gaussian compressed-sensing problem with a ``n_nonzero``-sparse signal.

    ``A`` has i.i.d. ``N(0, 1/n_samples)`` entries (columns of unit norm on
    average); the non-zeros of ``x`` are standard normal on a uniformly random
    support (shared by all signals when ``n_signals`` is given); the noise is
    white Gaussian with ``noise_var = mean(|A x|^2) / 10^(snr_db/10)``.

    Parameters
    ----------
    n_samples : int, default=100
        Number of measurements ``m``.
    n_features : int, default=400
        Length ``n`` of the sparse signal.
    n_nonzero : int, default=10
        Number of non-zeros (per signal, on a common support).
    n_signals : int, optional
        Number of signals; ``None`` gives 1-D ``y`` and ``x``, an integer gives
        ``y`` of shape ``(n_samples, n_signals)`` (signals in columns).
    snr_db : float or None, default=20.0
        Signal-to-noise ratio in dB; ``None`` for noiseless measurements.
        A very high SNR gives ``noise_var = 0`` (noiseless in floating
        point); one so low that the noise exceeds the floating range of
        ``dtype`` raises ``ValueError``.
    dtype : dtype, default=float64
        ``float32``/``float64`` or ``complex64``/``complex128`` (circular
        complex Gaussian entries, noise and non-zeros).
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    SparseProblem
        Named tuple ``(A, y, x, noise_var)``.

    Examples
    --------
    >>> from sparsela.datasets import make_sparse_problem
    >>> A, y, x, noise_var = make_sparse_problem(50, 200, 5, random_state=0)
    >>> A.shape, y.shape, int((x != 0).sum())
    ((50, 200), (50,), 5)
    """
    m = check_positive_int(n_samples, "n_samples")
    n = check_positive_int(n_features, "n_features")
    k = check_positive_int(n_nonzero, "n_nonzero", allow_zero=True)
    if k > n:
        raise ValueError(f"n_nonzero must be <= n_features={n}, got {k}")
    L = None if n_signals is None else check_positive_int(n_signals, "n_signals")
    _check_snr(snr_db)
    dt = _check_dtype(dtype)
    rng = _rng(random_state)
    cplx = dt.kind == "c"
    A = _gauss(rng, (m, n), cplx) / np.sqrt(m)
    cols = 1 if L is None else L
    x = np.zeros((n, cols), dtype=A.dtype)
    support = np.sort(rng.choice(n, size=k, replace=False))
    x[support] = _gauss(rng, (k, cols), cplx)
    y_clean = A @ x
    noise_var = _noise_var(y_clean, snr_db)
    y = _add_noise(y_clean, noise_var, snr_db, rng, cplx, dt)
    if L is None:
        x, y = x[:, 0], y[:, 0]
    return SparseProblem(A.astype(dt), y, x.astype(dt), float(noise_var))


def make_kron_problem(
    shapes: Any = ((8, 15), (12, 15), (15, 15)),
    n_nonzero: Any = 3,
    *,
    snr_db: float | None = 25.0,
    dtype: Any = np.float64,
    random_state: Any = None,
) -> KronProblem:
    """Kronecker-supported recovery problem of the KroSBL synthetic study.

    The problem of the synthetic study of He and Joseph [1]_; the defaults
    are its headline setting (``K = 3``, ``m_1 = 8``, 25 dB; ``N = 3375``,
    ``M = 1440``).

    Parameters
    ----------
    shapes : sequence of (int, int), default=((8, 15), (12, 15), (15, 15))
        ``(m_i, n_i)`` of each factor.
    n_nonzero : int or sequence of int, default=3
        Non-zeros per mode.
    snr_db : float or None, default=25.0
        Signal-to-noise ratio in dB; ``None`` for noiseless.
        A very high SNR gives ``noise_var = 0`` (noiseless in floating
        point); one so low that the noise exceeds the floating range of
        ``dtype`` raises ``ValueError``.
    dtype : dtype, default=float64
        Real or complex (circular complex Gaussian) problem.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    KronProblem
        Named tuple ``(factors, y, x, noise_var, supports)``.

    Notes
    -----
    ``y = (A_1 ⊗ ... ⊗ A_I) x + n`` where the factors ``A_i`` of shape
    ``shapes[i]`` have i.i.d. standard normal entries (not normalised),
    ``x = x_1 ⊗ ... ⊗ x_I`` where each ``x_i`` has ``n_nonzero`` standard
    normal entries at random positions, and ``n`` is white Gaussian noise of
    variance ``mean(|y_clean|^2) / 10^(snr_db/10)``. For a complex ``dtype``
    every draw is circular complex Gaussian of unit variance.

    References
    ----------
    .. [1] Y. He, G. Joseph, "Bayesian Algorithms for Kronecker-Structured
       Sparse Vector Recovery With Application to IRS-MIMO Channel
       Estimation", IEEE Trans. Signal Process., 2024. arXiv:2307.14719.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datasets import make_kron_problem
    >>> p = make_kron_problem(((4, 6), (5, 7)), 2, random_state=0)
    >>> p.y.shape, p.x.shape, int(np.count_nonzero(p.x))
    ((20,), (42,), 4)
    """
    try:
        shapes = [tuple(s) for s in shapes]
    except TypeError:
        raise TypeError("shapes must be a sequence of (m_i, n_i) pairs") from None
    if not shapes or any(len(s) != 2 for s in shapes):
        raise ValueError(f"shapes must be a non-empty list of (m_i, n_i), got {shapes}")
    shapes = [
        (
            check_positive_int(m, f"shapes[{i}][0]"),
            check_positive_int(n, f"shapes[{i}][1]"),
        )
        for i, (m, n) in enumerate(shapes)
    ]
    I = len(shapes)
    if isinstance(n_nonzero, numbers.Integral) or np.ndim(n_nonzero) == 0:
        ks = [n_nonzero] * I
    else:
        try:
            ks = list(n_nonzero)
        except TypeError:
            raise TypeError(
                f"n_nonzero must be an integer or a sequence of {I}, got {n_nonzero!r}"
            ) from None
    if len(ks) != I:
        raise ValueError(f"n_nonzero must have {I} entries, got {len(ks)}")
    ks = [check_positive_int(k, f"n_nonzero[{i}]") for i, k in enumerate(ks)]
    for i, (k, (_, n)) in enumerate(zip(ks, shapes, strict=True)):
        if k > n:
            raise ValueError(f"n_nonzero[{i}]={k} exceeds n_{i}={n}")
    _check_snr(snr_db)
    dt = _check_dtype(dtype)
    cplx = dt.kind == "c"
    rng = _rng(random_state)
    factors = [_gauss(rng, s, cplx) for s in shapes]
    xs, ys, supports = [], [], []
    for A, k in zip(factors, ks, strict=True):
        xi = np.zeros(A.shape[1], dtype=A.dtype)
        supp = np.sort(rng.choice(A.shape[1], size=k, replace=False))
        xi[supp] = _gauss(rng, k, cplx)
        xs.append(xi)
        ys.append(A @ xi)
        supports.append(supp)
    x = _kron_all(xs)
    y_clean = _kron_all(ys)  # (⊗A_i)(⊗x_i) = ⊗(A_i x_i)
    noise_var = _noise_var(y_clean, snr_db)
    y = _add_noise(y_clean, noise_var, snr_db, rng, cplx, dt)
    return KronProblem(
        [A.astype(dt) for A in factors],
        y,
        x.astype(dt),
        float(noise_var),
        supports,
    )


def _kron_all(vectors):
    out = vectors[0]
    for v in vectors[1:]:
        out = np.kron(out, v)
    return out


def steering_dictionary(n_antennas: int, grid: int) -> np.ndarray:
    """ULA steering vectors on a uniform grid of spatial frequencies.

    Column ``i`` is ``exp(j π (2 i / grid - 1) [0, ..., n_antennas-1]) /
    sqrt(n_antennas)``: half-wavelength spacing, ``grid`` points of ``cos θ``
    uniformly in ``[-1, 1)``.

    Parameters
    ----------
    n_antennas : int
        Number of array elements.
    grid : int
        Number of grid points (dictionary atoms).

    Returns
    -------
    ndarray of shape (n_antennas, grid), complex128
        Unit-norm columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.datasets import steering_dictionary
    >>> D = steering_dictionary(4, 8)
    >>> D.shape, bool(np.allclose(np.linalg.norm(D, axis=0), 1.0))
    ((4, 8), True)
    """
    n = check_positive_int(n_antennas, "n_antennas")
    G = check_positive_int(grid, "grid")
    freq = 2.0 * np.arange(G) / G - 1.0
    return np.exp(1j * np.pi * np.outer(np.arange(n), freq)) / np.sqrt(n)


@dataclass(repr=False)
class IRSMIMOProblem:
    """An IRS-aided MIMO uplink channel-estimation problem.

    Made by :func:`irs_mimo_channel`, which gives the model.

    The measurements are ``y = (Phi_IRS ⊗ Phi_MS ⊗ A_BS) x + noise`` with a
    Kronecker-supported ``x``: the IRS mode holds a (cyclic) block of
    ``angle_spread`` angle differences, the MS mode one angle of departure and
    the BS mode a block of ``angle_spread`` angles of arrival.

    Attributes
    ----------
    factors : list of ndarray
        ``[Phi_IRS (K2, G), Phi_MS (K1, G), A_BS (N_B, G)]``.
    y : ndarray of shape (K2 * K1 * N_B,), complex
        Noisy received pilots ``[vec(Y_1); ...; vec(Y_K2)]``.
    x : ndarray of shape (G**3,), complex
        True sparse channel coefficients on the grid.
    noise_var : float
        Complex noise variance.
    support : ndarray of int
        Flat indices of the non-zeros of ``x``.
    mode_supports : list of ndarray
        Per-mode supports (IRS angle differences, MS AoD, BS AoAs).
    block_modes : tuple of int
        Modes with block (angle-spread) support: ``(0, 2)``.
    H1 : ndarray of shape (N_I, N_M)
        MS-to-IRS channel.
    H2 : ndarray of shape (N_B, N_I)
        IRS-to-BS channel.
    pilots : ndarray of shape (N_M, K1)
        Pilot matrix ``X``.
    irs_phases : ndarray of shape (N_I, K2)
        IRS configurations ``θ_t`` in columns.
    A_ms : ndarray of shape (N_M, G)
        MS steering dictionary.
    snr_db : float
        The SNR used.
    """

    factors: list
    y: np.ndarray
    x: np.ndarray
    noise_var: float
    support: np.ndarray
    mode_supports: list
    block_modes: tuple
    H1: np.ndarray
    H2: np.ndarray
    pilots: np.ndarray
    irs_phases: np.ndarray
    A_ms: np.ndarray
    snr_db: float

    def __repr__(self) -> str:
        K2, G = self.factors[0].shape
        return (
            f"IRSMIMOProblem(M={self.y.size}, N={G**3}, K2={K2}, "
            f"nnz={self.support.size}, snr_db={self.snr_db})"
        )

    def true_channels(self) -> np.ndarray:
        """Cascaded channels ``H_t = H2 diag(θ_t) H1``, shape ``(K2, N_B, N_M)``.

        Examples
        --------
        >>> from sparsela.datasets import irs_mimo_channel
        >>> irs_mimo_channel(random_state=0).true_channels().shape
        (6, 16, 6)
        """
        return np.einsum("bi,it,im->tbm", self.H2, self.irs_phases, self.H1)

    def channels_from_x(self, x_hat: Any) -> np.ndarray:
        """Channels ``Ĥ_t`` implied by grid coefficients, shape ``(K2, N_B, N_M)``.

        ``vec(Ĥ_t) = (Phi_IRS[t] ⊗ conj(A_MS) ⊗ A_BS) x_hat``.

        Examples
        --------
        >>> import numpy as np
        >>> from sparsela.datasets import irs_mimo_channel
        >>> p = irs_mimo_channel(random_state=0)
        >>> bool(np.allclose(p.channels_from_x(p.x), p.true_channels()))
        True
        """
        G = self.factors[0].shape[1]
        x_hat = np.asarray(x_hat)
        if x_hat.shape != (G**3,):
            raise ValueError(f"x_hat must have shape ({G**3},), got {x_hat.shape}")
        X = x_hat.reshape(G, G, G)
        # (t, m, b) = Phi_IRS[t, d] conj(A_ms)[m, s] A_BS[b, p] X[d, s, p]
        H = np.einsum(
            "td,ms,bp,dsp->tbm",
            self.factors[0],
            self.A_ms.conj(),
            self.factors[2],
            X,
            optimize=True,
        )
        return H

    def channel_nmse(self, x_hat: Any) -> float:
        """Channel NMSE ``(1/K2) Σ_t ||Ĥ_t - H_t||_F^2 / ||H_t||_F^2``.

        Examples
        --------
        >>> from sparsela.datasets import irs_mimo_channel
        >>> p = irs_mimo_channel(random_state=0)
        >>> p.channel_nmse(p.x) < 1e-20
        True
        """
        H = self.true_channels()
        H_hat = self.channels_from_x(x_hat)
        err = np.sum(np.abs(H_hat - H) ** 2, axis=(1, 2))
        ref = np.sum(np.abs(H) ** 2, axis=(1, 2))
        return float(np.mean(err / ref))


def irs_mimo_channel(
    *,
    n_ms: int = 6,
    n_bs: int = 16,
    n_irs: int = 256,
    grid: int = 18,
    n_pilots: int = 3,
    n_configs: int = 6,
    angle_spread: int = 3,
    snr_db: float = 12.0,
    pilots: Any = None,
    irs_phases: Any = None,
    random_state: Any = None,
) -> IRSMIMOProblem:
    """IRS-aided MIMO uplink channel-estimation problem with angle spread.

    The model of the IRS-MIMO study of He and Joseph [1]_ (as in
    ``PC-KroSBL/main.m`` of the authors' code): a mobile station (MS) with
    ``n_ms`` antennas sends ``n_pilots`` pilot symbols through an
    intelligent reflecting surface (IRS) with ``n_irs`` elements to a base
    station (BS) with ``n_bs`` antennas, for each of ``n_configs`` IRS
    configurations (the direct link is ignored). The received pilots are
    Kronecker-structured with three factors (see Notes).

    Parameters
    ----------
    n_ms, n_bs, n_irs : int, default=6, 16, 256
        Antennas at the MS and the BS, IRS elements.
    grid : int, default=18
        Grid points per angle dictionary (``x`` has ``grid**3`` entries).
    n_pilots : int, default=3
        Pilot symbols per IRS configuration (``K1``).
    n_configs : int, default=6
        IRS configurations (``K2``).
    angle_spread : int, default=3
        Width of the angle blocks at the IRS (arrival) and the BS.
    snr_db : float, default=12.0
        ``noise_var = mean(|y_clean|^2) / 10^(snr_db/10)``.
        A very high SNR gives ``noise_var = 0`` (noiseless in floating
        point); one so low that the noise exceeds the floating range of
        complex128 raises ``ValueError``.
    pilots : ndarray of shape (n_ms, n_pilots), optional
        Pilot matrix; random QPSK divided by ``sqrt(n_ms)`` when omitted.
    irs_phases : ndarray of shape (n_irs, n_configs), optional
        IRS configurations; random ``±1/sqrt(n_irs)`` when omitted.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    IRSMIMOProblem
        Dictionaries, measurements, ground truth, physical channels and
        :meth:`~IRSMIMOProblem.channel_nmse`.

    Notes
    -----
    All arrays are half-wavelength ULAs whose angles lie on a grid of
    ``grid`` spatial frequencies. The MS-to-IRS channel has one angle of
    departure at the MS and a block of ``angle_spread`` angles of arrival at
    the IRS; the IRS-to-BS channel has one angle of departure at the IRS and
    a block of ``angle_spread`` angles of arrival at the BS; path gains are
    ``CN(0, 1)``. With pilots ``X`` and IRS configurations ``Θ`` in columns,

    ``y = (Phi_IRS ⊗ Phi_MS ⊗ A_BS) x + n``,
    ``Phi_IRS = Θ^T [a_IRS(φ_1) ⊙ conj(a_IRS(φ_d))]_d``,
    ``Phi_MS = X^T conj(A_MS)``,

    because ``a_IRS(φ_q) ⊙ conj(a_IRS(φ_d))`` depends only on ``(q - d) mod
    grid``. ``x`` is Kronecker-supported: a cyclic block of ``angle_spread``
    IRS angle differences, one MS angle of departure and a block of
    ``angle_spread`` BS angles of arrival.

    References
    ----------
    .. [1] Y. He, G. Joseph, "Bayesian Algorithms for Kronecker-Structured
       Sparse Vector Recovery With Application to IRS-MIMO Channel
       Estimation", IEEE Trans. Signal Process., 2024. arXiv:2307.14719.

    Examples
    --------
    >>> from sparsela.datasets import irs_mimo_channel
    >>> p = irs_mimo_channel(snr_db=20, random_state=0)
    >>> [f.shape for f in p.factors], p.y.shape, p.support.size
    ([(6, 18), (3, 18), (16, 18)], (288,), 9)
    """
    n_ms = check_positive_int(n_ms, "n_ms")
    n_bs = check_positive_int(n_bs, "n_bs")
    n_irs = check_positive_int(n_irs, "n_irs")
    G = check_positive_int(grid, "grid")
    K1 = check_positive_int(n_pilots, "n_pilots")
    K2 = check_positive_int(n_configs, "n_configs")
    L = check_positive_int(angle_spread, "angle_spread")
    if L > G:
        raise ValueError(f"angle_spread must be <= grid={G}, got {L}")
    check_scalar(snr_db, "snr_db")
    rng = _rng(random_state)

    if pilots is None:
        qpsk = np.array([1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j]) / np.sqrt(2.0)
        X = qpsk[rng.integers(0, 4, size=(n_ms, K1))] / np.sqrt(n_ms)
    else:
        X = check_array(pilots, "pilots", ndim=2, allow_int=True).astype(complex)
        if X.shape != (n_ms, K1):
            raise ValueError(f"pilots must have shape ({n_ms}, {K1}), got {X.shape}")
    draw_phases = irs_phases is None
    if draw_phases:
        theta = (2.0 * rng.integers(0, 2, size=(n_irs, K2)) - 1.0) / np.sqrt(n_irs)
    else:
        theta = check_array(irs_phases, "irs_phases", ndim=2, allow_int=True)
        if theta.shape != (n_irs, K2):
            raise ValueError(
                f"irs_phases must have shape ({n_irs}, {K2}), got {theta.shape}"
            )

    A_bs = steering_dictionary(n_bs, G)
    A_ms = steering_dictionary(n_ms, G)
    A_irs = steering_dictionary(n_irs, G)

    aod_ms = int(rng.integers(G))
    start = int(rng.integers(G - L + 1))
    aoa_irs = np.arange(start, start + L) % G
    aod_irs = int(rng.integers(G))
    start = int(rng.integers(G - L + 1))
    aoa_bs = np.arange(start, start + L) % G
    alpha_a = _gauss(rng, L, True)  # MS -> IRS path gains
    alpha_2 = _gauss(rng, L, True)  # IRS -> BS path gains
    c1 = math.sqrt(n_ms * n_irs / L)
    c2 = math.sqrt(n_bs * n_irs / L)
    H1 = (
        c1
        * (A_irs[:, aoa_irs] * alpha_a)
        @ np.outer(np.ones(L), A_ms[:, aod_ms].conj())
    )
    H2 = (
        c2
        * (A_bs[:, aoa_bs] * alpha_2)
        @ np.outer(np.ones(L), A_irs[:, aod_irs].conj())
    )
    if draw_phases:  # as the reference code: avoid a configuration with no signal
        for t in range(K2):
            while np.linalg.norm(H2 @ (theta[:, t, None] * H1)) < 1e-5:
                theta[:, t] = (2.0 * rng.integers(0, 2, size=n_irs) - 1.0) / np.sqrt(
                    n_irs
                )

    # dictionaries of the Kronecker model
    phi_irs = theta.T @ (A_irs[:, :1] * A_irs.conj())  # (K2, G)
    phi_ms = X.T @ A_ms.conj()  # (K1, G)
    # ground truth: IRS index (d - q) mod G, MS index aod_ms, BS indices aoa_bs
    x = np.zeros((G, G, G), dtype=complex)
    irs_idx = (aod_irs - aoa_irs) % G
    x[np.ix_(irs_idx, [aod_ms], aoa_bs)] = (
        c1 * c2 * np.outer(alpha_a, alpha_2)[:, None, :]
    )
    x = x.reshape(-1)
    support = np.flatnonzero(x)

    # received pilots: vec(Y_t) = vec(H2 diag(θ_t) H1 X), stacked over t
    Y = np.einsum("bi,it,im,mk->tkb", H2, theta, H1, X, optimize=True)
    y_clean = Y.reshape(-1)
    noise_var = _noise_var(y_clean, snr_db)
    y = _add_noise(y_clean, noise_var, snr_db, rng, True, np.complex128)
    return IRSMIMOProblem(
        factors=[phi_irs, phi_ms, A_bs],
        y=y,
        x=x,
        noise_var=float(noise_var),
        support=support,
        mode_supports=[np.sort(irs_idx), np.array([aod_ms]), np.sort(aoa_bs)],
        block_modes=(0, 2),
        H1=H1,
        H2=H2,
        pilots=X,
        irs_phases=theta,
        A_ms=A_ms,
        snr_db=float(snr_db),
    )


class DictionaryProblem(NamedTuple):
    """Signals ``Y = D X + noise`` from a planted dictionary.

    Attributes
    ----------
    Y : ndarray of shape (n_features, n_signals)
        Noisy signals, in columns.
    D : ndarray of shape (n_features, n_atoms)
        The planted dictionary, unit-norm atoms in columns.
    X : ndarray of shape (n_atoms, n_signals)
        The planted sparse codes.
    noise_var : float
        Variance of the added noise (0 when noiseless).
    """

    Y: np.ndarray
    D: np.ndarray
    X: np.ndarray
    noise_var: float


def planted_dictionary(
    n_features: int = 20,
    n_atoms: int = 50,
    n_signals: int = 1500,
    *,
    n_nonzero: int = 3,
    theta: float | None = None,
    orthogonal: bool = False,
    snr_db: float | None = 20.0,
    dtype: Any = np.float64,
    random_state: Any = None,
) -> DictionaryProblem:
    """Signals from a planted dictionary, for dictionary-learning experiments.

    The K-SVD setup (Aharon, Elad and Bruckstein, 2006) by default: a
    Gaussian ``20 x 50`` dictionary with normalised atoms and 1500 signals,
    each a combination of 3 atoms with standard normal weights, plus white
    noise at 20 dB. With ``orthogonal=True`` the dictionary is a Haar random
    orthogonal (unitary) matrix, ``n_atoms = n_features``, and with ``theta``
    the codes are Bernoulli(``theta``)-Gaussian (each entry non-zero with
    probability ``theta``), the complete dictionary-learning setup.

    Parameters
    ----------
    n_features : int, default=20
        Signal length ``n``.
    n_atoms : int, default=50
        Atoms ``K`` (must equal ``n_features`` when ``orthogonal``).
    n_signals : int, default=1500
        Number of signals ``p``.
    n_nonzero : int, default=3
        Atoms per signal (ignored when ``theta`` is given).
    theta : float, optional
        Bernoulli-Gaussian codes with this probability of a non-zero.
    orthogonal : bool, default=False
        Orthogonal (unitary) dictionary.
    snr_db : float or None, default=20.0
        Signal-to-noise ratio in dB, ``None`` for noiseless signals.
    dtype : dtype, default=float64
        ``float32``/``float64`` or ``complex64``/``complex128`` (circular
        complex Gaussian dictionary, weights and noise).
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    DictionaryProblem
        Named tuple ``(Y, D, X, noise_var)``.

    Examples
    --------
    >>> from sparsela.datasets import planted_dictionary
    >>> Y, D, X, noise_var = planted_dictionary(random_state=0)
    >>> Y.shape, D.shape, int((X[:, 0] != 0).sum())
    ((20, 1500), (20, 50), 3)
    >>> Y, D, X, _ = planted_dictionary(8, 8, 100, orthogonal=True, theta=0.3,
    ...                                 snr_db=None, random_state=0)
    >>> bool(np.allclose(D.T @ D, np.eye(8)))
    True
    """
    n = check_positive_int(n_features, "n_features")
    K = check_positive_int(n_atoms, "n_atoms")
    p = check_positive_int(n_signals, "n_signals")
    if theta is None:
        k = check_positive_int(n_nonzero, "n_nonzero")
        if k > K:
            raise ValueError(f"n_nonzero must be <= n_atoms={K}, got {k}")
    else:
        theta = float(check_scalar(theta, "theta", min_val=0.0, max_val=1.0))
    if orthogonal and K != n:
        raise ValueError(
            f"n_atoms must equal n_features={n} for an orthogonal dictionary, got {K}"
        )
    _check_snr(snr_db)
    dt = _check_dtype(dtype)
    rng = _rng(random_state)
    cplx = dt.kind == "c"
    G = _gauss(rng, (n, K), cplx)
    if orthogonal:
        Q, R = np.linalg.qr(G)
        d = np.diagonal(R)
        D = Q * (d / np.abs(d))  # Haar measure: fix the signs (phases) of R
    else:
        D = G / np.linalg.norm(G, axis=0)
    if theta is None:
        X = np.zeros((K, p), dtype=D.dtype)
        rows = np.argsort(rng.random((K, p)), axis=0)[:k]
        X[rows, np.arange(p)] = _gauss(rng, (k, p), cplx)
    else:
        X = _gauss(rng, (K, p), cplx) * (rng.random((K, p)) < theta)
    Y_clean = D @ X
    noise_var = _noise_var(Y_clean, snr_db)
    Y = _add_noise(Y_clean, noise_var, snr_db, rng, cplx, dt)
    return DictionaryProblem(Y, D.astype(dt), X.astype(dt), float(noise_var))


class LabelPropagationProblem(NamedTuple):
    """A label-propagation quadratic ``1/2 x^T Q x - b^T x`` on a graph.

    Attributes
    ----------
    Q : scipy.sparse.csc_matrix of shape (n_unlabelled, n_unlabelled)
        ``Q_ii = sum_j W_ij`` (all neighbours), ``Q_ij = -W_ij`` between
        unlabelled nodes: symmetric positive definite.
    b : ndarray of shape (n_unlabelled,)
        ``b_i = sum_{j labelled} W_ij y_j``.
    W : scipy.sparse.csr_matrix of shape (n_nodes, n_nodes)
        The symmetric edge weights.
    labelled, unlabelled : ndarray of int
        Node indices.
    y_labelled : ndarray
        Labels of the labelled nodes.
    """

    Q: Any
    b: np.ndarray
    W: Any
    labelled: np.ndarray
    unlabelled: np.ndarray
    y_labelled: np.ndarray


def lattice_label_propagation(
    side: int = 50, n_labelled: int = 100, weight: float = 1e5, seed: int = 1
) -> LabelPropagationProblem:
    """Label propagation on a ``side x side`` 4-neighbour lattice (dataset D of
    Nutini, Laradji and Schmidt).

    Minimising ``1/2 sum_ij W_ij (y_i - y_j)^2`` over the labels of the
    unlabelled nodes is the quadratic ``1/2 x^T Q x - b^T x``
    (:class:`LabelPropagationProblem`). The data are drawn as the authors'
    code draws them, with NumPy's legacy generator (``np.random.seed(seed)``),
    ``n_labelled`` nodes by ``np.random.choice(side**2, n_labelled,
    replace=False)``, then their labels ``10 * np.random.randn(n_labelled)``;
    ``W`` holds ``weight`` on the lattice edges. With the defaults the
    minimum is ``f* = -1045999575.2270696``, the constant of their code.

    Parameters
    ----------
    side : int, default=50
        Lattice side; ``side**2`` nodes.
    n_labelled : int, default=100
        Number of labelled nodes.
    weight : float, default=1e5
        Weight of every lattice edge.
    seed : int, default=1
        Seed of NumPy's legacy generator (``numpy.random.RandomState``; the
        global one is left alone).

    Returns
    -------
    LabelPropagationProblem

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's make block coordinate
       descent converge faster", JMLR 23 (2022); code:
       github.com/IssamLaradji/BlockCoordinateDescent.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import spsolve
    >>> from sparsela.datasets import lattice_label_propagation
    >>> p = lattice_label_propagation()
    >>> p.Q.shape
    (2400, 2400)
    >>> x = spsolve(p.Q, p.b)
    >>> float(0.5 * x @ (p.Q @ x) - p.b @ x)  # doctest: +SKIP
    -1045999575.2270696
    """
    import scipy.sparse as sp

    side = check_positive_int(side, "side")
    n = side * side
    n_labelled = check_positive_int(n_labelled, "n_labelled")
    if n_labelled >= n:
        raise ValueError(f"n_labelled must be below side**2 = {n}, got {n_labelled}")
    check_scalar(weight, "weight", min_val=0.0, include_min=False)
    # the authors' draws: the stream of NumPy's legacy generator, seeded
    legacy = np.random.RandomState(seed)
    labelled = legacy.choice(n, n_labelled, replace=False)
    y_labelled = legacy.randn(n_labelled) * 10
    node = np.arange(n).reshape(side, side)
    rows = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    cols = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    upper = sp.csr_matrix((np.full(rows.size, float(weight)), (rows, cols)), (n, n))
    W = (upper + sp.tril(upper.T, -1)).tocsr()
    unlabelled = np.setdiff1d(np.arange(n), labelled)
    degree = np.asarray(W.sum(axis=1)).ravel()
    Q = (sp.diags(degree) - W)[unlabelled][:, unlabelled].tocsc()
    b = W[unlabelled][:, labelled] @ y_labelled
    return LabelPropagationProblem(Q, b, W, labelled, unlabelled, y_labelled)


def badly_scaled_least_squares(
    n_samples: int = 1000, n_features: int = 10000, *, random_state: Any = None
) -> SparseProblem:
    """Least squares with column scales over orders of magnitude (the recipe of
    dataset A of Nutini, Laradji and Schmidt).

    Entries ``N(0, 1) + 1``, column ``j`` scaled by ``10 c_j`` with
    ``c_j ~ N(0, 1)``, kept with probability ``10 log(m) / m`` (a sparse
    design whose coordinate Lipschitz constants differ widely); ``x`` has
    10 % standard normal non-zeros; ``y = A x + N(0, 1)``. The authors' file
    was generated in MATLAB and is not published: this draws the same
    recipe with NumPy.

    Parameters
    ----------
    n_samples, n_features : int, default=1000, 10000
        Shape of ``A``.
    random_state : None, int or numpy.random.Generator
        Seed.

    Returns
    -------
    SparseProblem
        ``noise_var`` is 1.

    Examples
    --------
    >>> from sparsela.datasets import badly_scaled_least_squares
    >>> p = badly_scaled_least_squares(100, 300, random_state=0)
    >>> p.A.shape, p.y.shape
    ((100, 300), (100,))
    """
    m = check_positive_int(n_samples, "n_samples")
    n = check_positive_int(n_features, "n_features")
    rng = _rng(random_state)
    A = (rng.standard_normal((m, n)) + 1.0) * (10.0 * rng.standard_normal(n))
    A *= rng.random((m, n)) < min(1.0, 10.0 * math.log(m) / m) if m > 1 else 1.0
    x = rng.standard_normal(n) * (rng.random(n) < 0.1)
    y = A @ x + rng.standard_normal(m)
    return SparseProblem(A, y, x, 1.0)
