"""Shared pieces of the linear estimators: centering, intercept, prediction.

scikit-learn puts samples in rows; the sparsela solvers take signals in
columns. A linear model ``y = X w + b`` over samples in rows is the problem
``A x = y`` with ``A = X`` (each sample a row, each feature a column), so the
design passes through unchanged and several targets become several signals,
the columns of ``Y``; only the coefficients come back transposed, as
scikit-learn's ``coef_`` of shape ``(n_targets, n_features)``.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

FLOATS = [np.float64, np.float32]


def center(X, Y, fit_intercept):
    """Centre ``X`` and ``Y`` by their column means (no scaling).

    Returns ``Xc, Yc, X_offset, y_offset``; the offsets are zeros without
    ``fit_intercept``. This is scikit-learn's preprocessing since
    ``normalize`` was removed: the intercept is then
    ``y_offset - X_offset @ coef``.
    """
    if fit_intercept:
        X_offset = X.mean(axis=0)
        y_offset = Y.mean(axis=0)
        return X - X_offset, Y - y_offset, X_offset, y_offset
    X_offset = np.zeros(X.shape[1], dtype=X.dtype)
    y_offset = np.zeros(Y.shape[1:], dtype=X.dtype)
    return X, Y, X_offset, y_offset


def informative_columns(X, Xc):
    """Mask of the columns of the centred ``Xc`` that are not zero.

    A column that centring reduced to rounding noise (a constant feature)
    carries nothing the intercept does not, and a solver whose selection is
    invariant to column scale (OMP, SBL) would blow that noise up: such
    columns get coefficient 0. The threshold is the rounding level of the
    mean subtraction, ``n_samples * eps * max |X_j|``.
    """
    n = X.shape[0]
    eps = np.finfo(X.dtype).eps
    scale = np.max(np.abs(X), axis=0, initial=0.0)
    return np.linalg.norm(Xc, axis=0) > n * eps * scale


def warn_unconverged(result, solver):
    """Issue a ConvergenceWarning when some signal of ``result`` stopped early."""
    if not np.all(result.converged):
        messages = np.atleast_1d(result.message)
        warnings.warn(
            f"{solver} did not converge: {messages[0]}",
            ConvergenceWarning,
            stacklevel=3,
        )


def check_choice(value, name, choices):
    """Raise ValueError naming ``name`` unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_number(value, name, *, low=0.0, strict=False, integer=False, none=False):
    """Raise ValueError/TypeError naming ``name`` for a bad numeric option."""
    if value is None and none:
        return None
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an int" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if not np.isfinite(value) or value < low or (strict and value == low):
        sign = ">" if strict else ">="
        raise ValueError(f"{name} must be finite and {sign} {low}, got {value!r}")
    return value


class LinearRegressorMixin:
    """``predict`` of a linear model fitted on samples in rows."""

    def predict(self, X):
        """Predict with the linear model, samples in rows.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            ``X @ coef_.T + intercept_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        return X @ self.coef_.T + self.intercept_
