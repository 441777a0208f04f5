"""Lasso: scikit-learn's Lasso estimator on sparsela.fista or sparsela.bcd."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import validate_data

from ..solvers.bcd import bcd
from ..solvers.proximal import fista
from ._base import (
    FLOATS,
    LinearRegressorMixin,
    center,
    check_choice,
    check_number,
    warn_unconverged,
)

SOLVERS = ("fista", "bcd")


class Lasso(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    """Linear regression with an l1 penalty, scikit-learn's scaling.

    Minimises ``1 / (2 n_samples) ||y - X w - b||^2 + alpha ||w||_1`` per
    target, as :class:`sklearn.linear_model.Lasso`. Samples are the **rows**
    of ``X`` (``(n_samples, n_features)``); the solver receives ``X`` as its
    operator and each target as one signal (a column).

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of the l1 penalty in scikit-learn's scaling; the sparsela
        solvers get ``lam = alpha * n_samples`` (the same minimiser of
        ``1/2 ||y - X w||^2 + lam ||w||_1``).
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` and fit an unpenalised intercept.
    solver : {"fista", "bcd"}, default="fista"
        :func:`sparsela.fista` (accelerated proximal gradient with adaptive
        restart) or :func:`sparsela.bcd` (greedy coordinate descent with
        working sets).
    max_iter : int, default=1000
        Iteration limit of the solver (FISTA steps, or BCD iterations).
    tol : float, default=1e-4
        Relative duality gap ``(F(w) - D) / F(w) <= tol`` at which the solver
        stops. scikit-learn's ``tol`` bounds the gap relative to
        ``||y||^2 / n_samples`` instead, a looser rule for the same value.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (0 without ``fit_intercept``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Solver iterations per target.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Relative duality gap reached.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sparsela.fista, sparsela.bcd : the solvers, signals in columns.
    sklearn.linear_model.Lasso : the scikit-learn peer.

    Notes
    -----
    With ``fit_intercept`` the columns of ``X`` and ``y`` are centred by
    their means (no scaling) and the intercept is
    ``mean(y) - mean(X) @ w``, as scikit-learn does. A solver that stops at
    ``max_iter`` issues a :class:`~sklearn.exceptions.ConvergenceWarning`.

    References
    ----------
    .. [1] R. Tibshirani, "Regression shrinkage and selection via the lasso",
       J. R. Stat. Soc. B 58 (1996).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import Lasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 30))
    >>> y = X[:, 0] - 2.0 * X[:, 5] + 0.01 * rng.standard_normal(100)
    >>> model = Lasso(alpha=0.05, solver="bcd").fit(X, y)
    >>> np.flatnonzero(model.coef_)
    array([0, 5])
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        solver="fista",
        max_iter=1000,
        tol=1e-4,
        positive=False,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive

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
        self : Lasso
            The fitted estimator.
        """
        alpha = check_number(self.alpha, "alpha")
        max_iter = check_number(self.max_iter, "max_iter", low=1, integer=True)
        tol = check_number(self.tol, "tol")
        solver = check_choice(self.solver, "solver", SOLVERS)
        X, y = validate_data(
            self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True
        )
        n_samples = X.shape[0]
        Y = y.reshape(n_samples, -1).astype(X.dtype, copy=False)
        Xc, Yc, X_offset, y_offset = center(X, Y, self.fit_intercept)
        penalty = "nonneg_l1" if self.positive else "l1"
        lam = alpha * n_samples
        if solver == "fista":
            res = fista(Xc, Yc, lam=lam, penalty=penalty, max_iter=max_iter, tol=tol)
        else:
            res = bcd(Xc, Yc, lam=lam, penalty=penalty, max_iter=max_iter, tol=tol)
        warn_unconverged(res, f"Lasso(solver={solver!r})")
        coef = np.asarray(res.x).reshape(X.shape[1], -1).T.astype(X.dtype)
        intercept = y_offset - coef @ X_offset
        gap = np.full(Y.shape[1], np.nan) if res.gap is None else res.gap
        n_iter = np.broadcast_to(np.asarray(res.n_iter), (Y.shape[1],))
        gap = np.broadcast_to(np.asarray(gap, dtype=float), (Y.shape[1],))
        if y.ndim == 1:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
            self.n_iter_, self.dual_gap_ = int(n_iter[0]), float(gap[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
            self.n_iter_, self.dual_gap_ = n_iter.copy(), gap.copy()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
