"""scikit-learn estimators over the sparsela solvers.

Every estimator here follows scikit-learn's conventions, not sparsela's:
**samples are the rows** of ``X`` (``(n_samples, n_features)``), where the
solvers of sparsela take signals as columns; each estimator transposes at its
boundary. They have ``get_params``/``set_params``, ``n_features_in_`` and
``feature_names_in_``, and work in a :class:`~sklearn.pipeline.Pipeline` and
under :class:`~sklearn.model_selection.GridSearchCV`.

This subpackage needs scikit-learn (``pip install "sparsela[sklearn]"``);
``import sparsela`` does not load it.

Examples
--------
>>> import numpy as np
>>> from sparsela.estimators import Lasso
>>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
>>> y = 2.0 * X[:, 0] + 1.0
>>> Lasso(alpha=0.01).fit(X, y).coef_.round(2)
array([1.99, 0.  ])
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "sparsela.estimators needs scikit-learn: pip install 'sparsela[sklearn]' "
        "(or pip install scikit-learn)"
    ) from exc

from ._dictionary import DictionaryLearning
from ._lasso import Lasso
from ._logistic import LogisticRegressionL1
from ._omp import OrthogonalMatchingPursuit
from ._sbl import SparseBayesianRegression
from ._sparse_coder import SparseCoder

__all__ = [
    "DictionaryLearning",
    "Lasso",
    "LogisticRegressionL1",
    "OrthogonalMatchingPursuit",
    "SparseBayesianRegression",
    "SparseCoder",
]
