"""The transform shared by DictionaryLearning and SparseCoder."""

from __future__ import annotations

from ..solvers.dictionary import sparse_encode
from ._base import check_choice, check_number

# estimator name -> sparse_encode method
LASSO_TOL = 1e-9  # relative duality gap of the lasso codes
ALGORITHMS = {"omp": "omp", "mp": "mp", "lasso": "fista", "threshold": "threshold"}


def encode(X, components, algorithm, n_nonzero, alpha, max_iter):
    """Codes ``(n_samples, n_components)`` of the rows of ``X``.

    ``components`` holds the atoms in rows, as scikit-learn's
    ``components_``; :func:`sparsela.sparse_encode` takes that layout with
    ``signals="rows"``. ``alpha`` defaults to 1, as scikit-learn's
    ``transform_alpha``.
    """
    method = ALGORITHMS[check_choice(algorithm, "transform_algorithm", ALGORITHMS)]
    n_nonzero = check_number(
        n_nonzero, "transform_n_nonzero_coefs", low=1, integer=True, none=True
    )
    alpha = check_number(alpha, "transform_alpha", none=True)
    lam = 1.0 if alpha is None else float(alpha)
    if method in ("omp", "mp"):
        kwargs = {"n_nonzero": n_nonzero}
    elif method == "fista":
        # a relative gap of 1e-6 (sparse_encode's default) leaves codes off
        # by ~1e-5; scikit-learn's lasso_cd lands ~1e-6 from the minimiser
        kwargs = {"lam": lam, "max_iter": max_iter, "tol": LASSO_TOL}
    else:  # threshold: hard (n_nonzero largest) or soft (lam)
        kwargs = {"n_nonzero": n_nonzero} if n_nonzero is not None else {"lam": lam}
    return sparse_encode(X, components, method=method, signals="rows", **kwargs)
