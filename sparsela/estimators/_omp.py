"""OrthogonalMatchingPursuit: scikit-learn's OMP estimator on sparsela.omp."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import validate_data

from ..solvers.pursuit import omp
from ._base import (
    FLOATS,
    LinearRegressorMixin,
    center,
    check_number,
    informative_columns,
    warn_unconverged,
)


class OrthogonalMatchingPursuit(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    """Orthogonal matching pursuit regression (scikit-learn API).

    Samples are the **rows** of ``X`` (``(n_samples, n_features)``), as in
    scikit-learn; the features are the atoms of :func:`sparsela.omp`, which
    codes each target (a column of ``y``) as one signal.

    Parameters
    ----------
    n_nonzero_coefs : int, optional
        Largest number of non-zero coefficients per target. Default
        ``max(int(0.1 * n_features), 1)`` when ``tol`` is not given.
    tol : float, optional
        Stop once the squared residual ``||y - X w||^2 <= tol``; overrides
        ``n_nonzero_coefs``, as in scikit-learn.
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` before the pursuit and fit an intercept.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients, one row per target.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (0 without ``fit_intercept``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Atoms selected per target.
    n_nonzero_coefs_ : int or None
        The number of atoms the pursuit was allowed (``None`` with ``tol``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sparsela.omp : the solver, signals in columns.
    sklearn.linear_model.OrthogonalMatchingPursuit : the scikit-learn peer.

    Notes
    -----
    The atom chosen at each step maximises ``|x_jᵀ r| / ||x_j||``, the
    correlation with the residual relative to the column norm, so the
    selection does not depend on the units of the features. scikit-learn's
    estimator maximises ``|x_jᵀ r|``; both choose the same atoms when the
    (centred) columns have equal norms, e.g. after a
    :class:`~sklearn.preprocessing.StandardScaler`. Columns that are
    constant (zero after centring) get coefficient 0.

    References
    ----------
    .. [1] Y. C. Pati, R. Rezaiifar, P. S. Krishnaprasad, "Orthogonal matching
       pursuit: recursive function approximation with applications to wavelet
       decomposition", Asilomar (1993).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import OrthogonalMatchingPursuit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 20))
    >>> y = 3.0 * X[:, 4] - 2.0 * X[:, 11] + 1.0
    >>> model = OrthogonalMatchingPursuit(n_nonzero_coefs=2).fit(X, y)
    >>> np.flatnonzero(model.coef_), round(float(model.intercept_), 6)
    (array([ 4, 11]), 1.0)
    """

    def __init__(self, n_nonzero_coefs=None, tol=None, fit_intercept=True):
        self.n_nonzero_coefs = n_nonzero_coefs
        self.tol = tol
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit the model, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data, samples in rows.
        y : array_like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : OrthogonalMatchingPursuit
            The fitted estimator.
        """
        X, y = validate_data(
            self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True
        )
        n_samples, n_features = X.shape
        k = check_number(
            self.n_nonzero_coefs, "n_nonzero_coefs", low=1, integer=True, none=True
        )
        tol = check_number(self.tol, "tol", none=True)
        if k is not None and k > n_features:
            raise ValueError(
                f"n_nonzero_coefs must be at most n_features={n_features}, got {k}"
            )
        if tol is not None:
            k = None  # scikit-learn: tol overrides n_nonzero_coefs
        elif k is None:
            k = max(int(0.1 * n_features), 1)
        self.n_nonzero_coefs_ = k

        Y = y.reshape(n_samples, -1).astype(X.dtype, copy=False)
        Xc, Yc, X_offset, y_offset = center(X, Y, self.fit_intercept)
        keep = informative_columns(X, Xc)
        W = np.zeros((n_features, Y.shape[1]), dtype=X.dtype)
        n_iter = np.zeros(Y.shape[1], dtype=np.int64)
        if keep.any():
            # at most min(n_samples, kept columns) atoms can be independent
            k_eff = None if k is None else min(k, n_samples, int(keep.sum()))
            res = omp(Xc[:, keep], Yc, n_nonzero=k_eff, tol=tol)
            warn_unconverged(res, "OrthogonalMatchingPursuit")
            W[keep] = res.x
            n_iter[:] = res.n_iter
        coef = W.T
        intercept = y_offset - coef @ X_offset
        if y.ndim == 1:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
            self.n_iter_ = int(n_iter[0])
        else:
            self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
