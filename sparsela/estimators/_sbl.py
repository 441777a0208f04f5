"""SparseBayesianRegression: sparse Bayesian learning (ARD) on sparsela.sbl."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..solvers.bayes import sbl
from ._base import (
    FLOATS,
    LinearRegressorMixin,
    center,
    check_choice,
    check_number,
    informative_columns,
    warn_unconverged,
)


class SparseBayesianRegression(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    """Sparse Bayesian regression (relevance vector machine / ARD).

    Type-II maximum likelihood under the prior ``w_j ~ N(0, gamma_j)``:
    :func:`sparsela.sbl` learns the variances ``gamma`` and the noise
    variance from the evidence, prunes the coefficients whose variance
    vanishes, and ``coef_`` is the posterior mean. Samples are the **rows**
    of ``X`` (``(n_samples, n_features)``); the solver receives ``X`` as its
    dictionary and ``y`` as one signal (a column). One target.

    Parameters
    ----------
    method : {"em", "fast"}, default="em"
        Expectation-maximisation on all variances at once, or Tipping and
        Faul's sequential method.
    noise_var : float, optional
        Known noise variance; learned when omitted.
    max_iter : int, default=300
        Iteration limit.
    tol : float, default=1e-4
        Stopping tolerance of :func:`sparsela.sbl` (relative change of the
        variances).
    prune : float, default=1e-3
        EM: relative variance below which a coefficient is deleted.
    significance : float or None, default=0.05
        Level of the final significance test that removes coefficients
        fitting the noise (``None``: keep every coefficient that survived
        pruning).
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` and fit an intercept (not part of the model's
        prior).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean of the coefficients (0 where pruned).
    intercept_ : float
        Intercept.
    alpha_ : float
        Estimated precision of the noise, ``1 / noise_var`` (scikit-learn's
        name in :class:`~sklearn.linear_model.ARDRegression`).
    lambda_ : ndarray of shape (n_features,)
        Estimated precisions of the coefficients, ``1 / gamma`` (``inf``
        where pruned).
    sigma_ : ndarray of shape (n_support, n_support)
        Posterior covariance of the coefficients in ``support_``.
    support_ : ndarray of int
        Sorted indices of the kept coefficients.
    n_iter_ : int
        Iterations run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sparsela.sbl : the solver, signals in columns.
    sklearn.linear_model.ARDRegression : the scikit-learn peer (MacKay's
        fixed-point updates under a nearly flat gamma hyperprior).

    Notes
    -----
    The posterior of the kept coefficients is
    ``N(coef_[support_], sigma_)`` with
    ``sigma_ = (X_Sᵀ X_S / noise_var + diag(1 / gamma_S))^{-1}`` on the
    centred design. Constant columns get coefficient 0.

    References
    ----------
    .. [1] M. E. Tipping, "Sparse Bayesian learning and the relevance vector
       machine", JMLR 1 (2001).
    .. [2] D. P. Wipf, B. D. Rao, "Sparse Bayesian learning for basis
       selection", IEEE TSP 52 (2004).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import SparseBayesianRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 30))
    >>> y = 2.0 * X[:, 3] - X[:, 17] + 0.05 * rng.standard_normal(80)
    >>> model = SparseBayesianRegression().fit(X, y)
    >>> model.support_
    array([ 3, 17])
    """

    def __init__(
        self,
        *,
        method="em",
        noise_var=None,
        max_iter=300,
        tol=1e-4,
        prune=1e-3,
        significance=0.05,
        fit_intercept=True,
    ):
        self.method = method
        self.noise_var = noise_var
        self.max_iter = max_iter
        self.tol = tol
        self.prune = prune
        self.significance = significance
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit the model, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data, samples in rows.
        y : array_like of shape (n_samples,)
            Target.

        Returns
        -------
        self : SparseBayesianRegression
            The fitted estimator.
        """
        method = check_choice(self.method, "method", ("em", "fast"))
        max_iter = check_number(self.max_iter, "max_iter", low=1, integer=True)
        X, y = validate_data(self, X, y, dtype=FLOATS, y_numeric=True)
        n_samples, n_features = X.shape
        Y = y.astype(X.dtype, copy=False)[:, None]
        Xc, Yc, X_offset, y_offset = center(X, Y, self.fit_intercept)
        yc = Yc[:, 0]
        keep = informative_columns(X, Xc)
        coef = np.zeros(n_features, dtype=X.dtype)
        gamma = np.zeros(n_features)
        y2 = float(yc @ yc)
        if keep.any() and y2 > 0:
            res = sbl(
                Xc[:, keep],
                yc,
                noise_var=self.noise_var,
                method=method,
                max_iter=max_iter,
                tol=self.tol,
                prune=self.prune,
                significance=self.significance,
            )
            warn_unconverged(res, "SparseBayesianRegression")
            coef[keep] = res.x
            gamma[keep] = res.gamma
            noise_var, n_iter = float(res.noise_var), int(res.n_iter)
        else:  # nothing to explain: the noise holds all the variance
            noise_var = self.noise_var or max(y2 / n_samples, np.finfo(float).tiny)
            n_iter = 0
        support = np.flatnonzero(gamma > 0)
        Xs = Xc[:, support].astype(float)
        precision = Xs.T @ Xs / noise_var + np.diag(1.0 / gamma[support])
        self.sigma_ = np.linalg.inv(precision) if support.size else np.zeros((0, 0))
        with np.errstate(divide="ignore"):
            self.lambda_ = 1.0 / gamma
        self.coef_ = coef
        self.intercept_ = float(y_offset[0] - coef @ X_offset)
        self.alpha_ = 1.0 / noise_var
        self.support_ = support
        self.n_iter_ = n_iter
        self._X_offset = X_offset
        return self

    def predict(self, X, return_std=False):
        """Predict with the posterior mean, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.
        return_std : bool, default=False
            Also return the standard deviation of the predictive
            distribution.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Predictive mean.
        y_std : ndarray of shape (n_samples,)
            Predictive standard deviation, ``sqrt(1 / alpha_ + x_Sᵀ sigma_
            x_S)`` on the centred features (only with ``return_std``).
        """
        y_mean = super().predict(X)
        if not return_std:
            return y_mean
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        Xs = (X - self._X_offset)[:, self.support_]
        var = np.einsum("ij,jk,ik->i", Xs, self.sigma_, Xs) + 1.0 / self.alpha_
        return y_mean, np.sqrt(var)
