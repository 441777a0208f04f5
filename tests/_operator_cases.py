"""Operators with their dense counterparts, shared by the operator tests."""

import numpy as np
import scipy.sparse
from _utils import random_array
from scipy.linalg import block_diag, hadamard

from sparsela.operators import (
    BlockDiag,
    Dense,
    Diagonal,
    HStack,
    Identity,
    Kronecker,
    Restriction,
    SparseMatrix,
    VStack,
    WalshHadamard,
)

__all__ = ["operator_cases"]


def _sequency_hadamard(N):
    H = hadamard(N)
    changes = (np.diff(H, axis=1) != 0).sum(axis=1)
    return H[np.argsort(changes)]


def _dyadic_hadamard(N):
    n = N.bit_length() - 1
    rev = [int(format(s, f"0{n}b")[::-1], 2) if n else 0 for s in range(N)]
    return hadamard(N)[rev]


def operator_cases(rng, dtype):
    """Name -> (operator, dense matrix) for every operator kind."""
    A = random_array(rng, (5, 4), dtype)
    B = random_array(rng, (3, 2), dtype)
    C = random_array(rng, (2, 3), dtype)
    S = scipy.sparse.random(6, 5, density=0.4, random_state=1, format="csr").astype(
        dtype
    )
    d = random_array(rng, 4, dtype)
    idx = np.array([3, 0, 7, 5])
    return {
        "dense": (Dense(A), A),
        "sparse": (SparseMatrix(S), S.toarray()),
        "identity": (Identity(4, dtype=dtype), np.eye(4)),
        "identity_pad": (Identity(3, m=5, dtype=dtype), np.eye(5, 3)),
        "identity_trunc": (Identity(5, m=3, dtype=dtype), np.eye(3, 5)),
        "diagonal": (Diagonal(d), np.diag(d)),
        "restriction": (Restriction(8, idx, dtype=dtype), np.eye(8)[idx]),
        "kron2": (Kronecker(A, B), np.kron(A, B)),
        "kron3": (Kronecker(B, C, A), np.kron(np.kron(B, C), A)),
        "kron_ops": (
            Kronecker(Diagonal(d), SparseMatrix(S)),
            np.kron(np.diag(d), S.toarray()),
        ),
        "kron_hadamard": (
            Kronecker(WalshHadamard(4, dtype=dtype), B),
            np.kron(hadamard(4), B),
        ),
        "hadamard": (WalshHadamard(16, dtype=dtype), hadamard(16)),
        "hadamard_norm": (
            WalshHadamard(8, normalized=True, dtype=dtype),
            hadamard(8) / np.sqrt(8),
        ),
        "hadamard_seq": (
            WalshHadamard(16, ordering="sequency", dtype=dtype),
            _sequency_hadamard(16),
        ),
        "hadamard_dyadic": (
            WalshHadamard(16, ordering="dyadic", dtype=dtype),
            _dyadic_hadamard(16),
        ),
        "blockdiag": (BlockDiag(A, Diagonal(d), B), block_diag(A, np.diag(d), B)),
        "hstack": (HStack(A, Dense(A[:, :2])), np.hstack([A, A[:, :2]])),
        "vstack": (VStack(A, Diagonal(d)), np.vstack([A, np.diag(d)])),
        "product": (Dense(A) @ Diagonal(d), A @ np.diag(d)),
        "sum": (Dense(A) + 2.0 * Dense(A), 3 * A),
        "difference": (Dense(A) - Dense(A[::-1]), A - A[::-1]),
        "scaled_complex": (
            (1 + 2j) * Dense(A) if np.dtype(dtype).kind == "c" else -0.5 * Dense(A),
            (1 + 2j) * A if np.dtype(dtype).kind == "c" else -0.5 * A,
        ),
        "adjoint": (Dense(A).H, A.conj().T),
        "transpose": (Dense(A).T, A.T),
        "kron_adjoint": (Kronecker(A, B).H, np.kron(A, B).conj().T),
        "kron_transpose": (Kronecker(A, B).T, np.kron(A, B).T),
        "restricted_hadamard": (
            Restriction(16, idx, dtype=dtype) @ WalshHadamard(16, dtype=dtype),
            hadamard(16)[idx],
        ),
        "normal": (Dense(A).normal(), A.conj().T @ A),
        "normal_wide": (Dense(C).normal(), C.conj().T @ C),
        "kron_normal": (
            Kronecker(A, B).normal(),
            np.kron(A, B).conj().T @ np.kron(A, B),
        ),
    }
