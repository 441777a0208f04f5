"""LogisticRegressionL1: l1-penalised binary logistic regression on sparsela.bcd."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..penalties import GroupL1
from ..solvers.bcd import bcd
from ._base import FLOATS, check_number, warn_unconverged


class LogisticRegressionL1(ClassifierMixin, BaseEstimator):
    """Binary logistic regression with an l1 penalty, scikit-learn's scaling.

    Minimises ``C sum_i log(1 + exp(-s_i (x_iᵀ w + b))) + ||w||_1`` with
    labels ``s_i`` in ``{-1, 1}``, the objective of
    :class:`sklearn.linear_model.LogisticRegression` with an l1 penalty
    (the intercept ``b`` unpenalised, as with ``solver="saga"``). Samples are
    the **rows** of ``X`` (``(n_samples, n_features)``); :func:`sparsela.bcd`
    receives ``X`` as its design with ``lam = 1 / C``. Two classes only.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the penalty weight (larger ``C``: weaker penalty).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (a column of ones with penalty weight 0;
        the features are centred inside ``fit``, an exact change of variables
        for an unpenalised intercept that keeps the problem well conditioned).
    max_iter : int, default=1000
        Iteration limit of :func:`sparsela.bcd`.
    tol : float, default=1e-4
        Relative duality gap ``(F(w) - D) / F(w)`` at which
        :func:`sparsela.bcd` stops; with ``fit_intercept`` a stop whose
        relative KKT violation is within ``tol`` is accepted too (the gap
        of a penalty with a zero weight is not informative).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,)
        Intercept (0 without ``fit_intercept``).
    n_iter_ : ndarray of shape (1,)
        Solver iterations.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sparsela.bcd : the solver (``loss="logistic"``), signals in columns.
    sklearn.linear_model.LogisticRegression : the scikit-learn peer.

    Notes
    -----
    ``solver="liblinear"`` in scikit-learn penalises the intercept (it is
    the weight of a constant feature ``intercept_scaling``); with
    ``fit_intercept=False`` the objectives coincide.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's make block coordinate
       descent converge faster", JMLR 23 (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import LogisticRegressionL1
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 10))
    >>> noise = rng.standard_normal(200)
    >>> y = np.where(X[:, 2] - X[:, 7] + noise > 0, "yes", "no")
    >>> clf = LogisticRegressionL1(C=0.1).fit(X, y)
    >>> clf.classes_, np.flatnonzero(clf.coef_[0])
    (array(['no', 'yes'], dtype='<U3'), array([2, 7]))
    >>> round(float(clf.score(X, y)), 3)
    0.745
    """

    def __init__(self, C=1.0, *, fit_intercept=True, max_iter=1000, tol=1e-4):
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit the model, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data, samples in rows.
        y : array_like of shape (n_samples,)
            Labels of two classes.

        Returns
        -------
        self : LogisticRegressionL1
            The fitted estimator.
        """
        C = check_number(self.C, "C", strict=True)
        max_iter = check_number(self.max_iter, "max_iter", low=1, integer=True)
        tol = check_number(self.tol, "tol")
        X, y = validate_data(self, X, y, dtype=FLOATS)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. LogisticRegressionL1 "
                f"needs y of 2 classes, got target type {y_type!r}"
            )
        self.classes_, labels = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError(
                "LogisticRegressionL1 needs samples of 2 classes in y, got "
                f"{self.classes_.size} class"
            )
        n_samples, n_features = X.shape
        # float64 throughout: sparsela.bcd's logistic path is far slower in
        # float32; the coefficients come back in the precision of X
        Xw = X.astype(np.float64)
        s = 2.0 * labels - 1.0
        if self.fit_intercept:
            # centring is an exact change of variables (b' = b + mean @ w) when
            # b is unpenalised, and keeps the column of ones from dominating
            X_offset = Xw.mean(axis=0)
            A = np.column_stack([Xw - X_offset, np.ones(n_samples)])
            weights = np.r_[np.ones(n_features), 0.0]  # the intercept is free
            penalty = GroupL1(
                1.0 / C, groups=np.arange(n_features + 1), weights=weights
            )
            res = bcd(
                A, s, loss="logistic", penalty=penalty, max_iter=max_iter, tol=tol
            )
        else:
            res = bcd(Xw, s, lam=1.0 / C, loss="logistic", max_iter=max_iter, tol=tol)
        # with the free intercept (a zero group weight) bcd's gap stays far
        # from 0 and it stops when the iterates freeze: accept that stop when
        # its relative KKT violation (bcd's rule without a gap) is within tol
        kkt = res.history.get("kkt", [])
        kkt = kkt[-1] if len(kkt) else np.inf
        if not (res.converged or (self.fit_intercept and kkt <= tol)):
            warn_unconverged(res, "LogisticRegressionL1")
        x = np.asarray(res.x)
        self.coef_ = x[None, :n_features].astype(X.dtype)
        if self.fit_intercept:
            b = x[n_features:] - x[:n_features] @ X_offset
            self.intercept_ = b.astype(X.dtype)
        else:
            self.intercept_ = np.zeros(1, dtype=X.dtype)
        self.n_iter_ = np.array([int(res.n_iter)])
        return self

    def decision_function(self, X):
        """Signed score ``X @ coef_[0] + intercept_[0]``, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            Positive for ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X):
        """Predicted class labels, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def predict_proba(self, X):
        """Class probabilities, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Log-probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        d = self.decision_function(X)
        return -np.logaddexp(0.0, np.column_stack([d, -d]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
