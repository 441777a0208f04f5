"""DictionaryLearning: sparsela.dictionary_learning with scikit-learn's API."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ..solvers.dictionary import OnlineDictionaryLearning, dictionary_learning
from ._base import FLOATS, check_choice, check_number, warn_unconverged
from ._encode import encode

METHODS = ("ksvd", "mod", "online", "orthogonal", "online_orthogonal")
ONLINE = ("online", "online_orthogonal")


def _is_online(estimator):
    return estimator.method in ONLINE


class DictionaryLearning(TransformerMixin, BaseEstimator):
    """Dictionary learning: ``X ≈ C D`` with sparse codes ``C``.

    Samples are the **rows** of ``X`` (``(n_samples, n_features)``) and the
    learned atoms the rows of ``components_`` (``(n_components,
    n_features)``), as in :class:`sklearn.decomposition.DictionaryLearning`;
    :func:`sparsela.dictionary_learning` works on the transposes (signals
    and atoms in columns) through its ``signals="rows"`` layout. No
    centring.

    Parameters
    ----------
    n_components : int, optional
        Number of atoms; default ``n_features`` (which the orthogonal methods
        require).
    method : {"ksvd", "mod", "online", "orthogonal", "online_orthogonal"}, \
default="ksvd"
        The learning algorithm of :func:`sparsela.dictionary_learning`:
        K-SVD, MOD, Mairal's online method, or an orthogonal dictionary
        (alternating, or online l4 maximisation). The online methods also
        learn by :meth:`partial_fit`.
    n_nonzero_coefs : int, optional
        Atoms per sample while learning (OMP codes; the hard threshold of
        ``"orthogonal"``); default ``max(int(0.1 * n_features), 1)``.
    alpha : float, optional
        ``"online"``: lasso codes with this l1 weight instead of OMP;
        ``"orthogonal"``: a soft threshold. Not used by ``"ksvd"`` and
        ``"mod"``.
    max_iter : int, optional
        Iterations (epochs for the online methods); the solver's default
        when omitted.
    tol : float, default=1e-6
        Stop when the dictionary changes by less than ``tol`` (relative
        Frobenius norm per atom).
    batch_size : int, default=256
        Samples per mini-batch of the online methods.
    transform_algorithm : {"omp", "mp", "lasso", "threshold"}, default="omp"
        How :meth:`transform` codes samples, as in :class:`SparseCoder`.
    transform_n_nonzero_coefs : int, optional
        Atoms per sample of :meth:`transform` (default: as
        ``n_nonzero_coefs``).
    transform_alpha : float, optional
        l1 weight or soft threshold of :meth:`transform`; default 1.
    transform_max_iter : int, default=1000
        FISTA iterations of the lasso transform, solved to a relative
        duality gap of ``1e-9`` within that limit.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the initial dictionary, batch order and atom replacement.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The atoms, in rows: unit norm (norm at most 1 for ``"online"``,
        whose dictionary update keeps the atoms in the unit ball).
    error_ : ndarray
        Relative representation error ``||X - C D||_F / ||X||_F`` per
        iteration (``fit``).
    n_iter_ : int
        Iterations run by ``fit``, or batches seen by ``partial_fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sparsela.dictionary_learning, sparsela.OnlineDictionaryLearning : the
        solvers, signals in columns.
    SparseCoder : the transform alone, for a given dictionary.

    References
    ----------
    .. [1] M. Aharon, M. Elad, A. Bruckstein, "K-SVD: an algorithm for
       designing overcomplete dictionaries for sparse representation",
       IEEE TSP 54 (2006).
    .. [2] J. Mairal, F. Bach, J. Ponce, G. Sapiro, "Online learning for
       matrix factorization and sparse coding", JMLR 11 (2010).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import DictionaryLearning
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 12))
    >>> model = DictionaryLearning(20, n_nonzero_coefs=3, max_iter=200,
    ...                            tol=1e-3, random_state=0)
    >>> codes = model.fit_transform(X)
    >>> model.components_.shape, codes.shape, int((codes != 0).sum(1).max())
    ((20, 12), (300, 20), 3)
    """

    def __init__(
        self,
        n_components=None,
        *,
        method="ksvd",
        n_nonzero_coefs=None,
        alpha=None,
        max_iter=None,
        tol=1e-6,
        batch_size=256,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
        random_state=None,
    ):
        self.n_components = n_components
        self.method = method
        self.n_nonzero_coefs = n_nonzero_coefs
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state

    def _n_atoms(self, n_features):
        k = check_number(
            self.n_components, "n_components", low=1, integer=True, none=True
        )
        return n_features if k is None else int(k)

    def fit(self, X, y=None):
        """Learn the dictionary from the samples (rows of ``X``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training samples, in rows.
        y : None
            Ignored.

        Returns
        -------
        self : DictionaryLearning
            The fitted estimator.
        """
        method = check_choice(self.method, "method", METHODS)
        X = validate_data(self, X, dtype=FLOATS)
        res = dictionary_learning(
            X,
            self._n_atoms(X.shape[1]),
            method=method,
            n_nonzero=self.n_nonzero_coefs,
            lam=self.alpha,
            max_iter=self.max_iter,
            tol=self.tol,
            batch_size=self.batch_size,
            random_state=self.random_state,
            signals="rows",
        )
        warn_unconverged(res, "DictionaryLearning")
        self.components_ = np.asarray(res.dictionary)
        self.error_ = np.asarray(res.history["representation_error"])
        self.n_iter_ = int(res.n_iter)
        self._learner = None  # a later partial_fit starts afresh
        return self

    @available_if(_is_online)
    def partial_fit(self, X, y=None):
        """Update the dictionary with one mini-batch (online methods only).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            A batch of samples, in rows.
        y : None
            Ignored.

        Returns
        -------
        self : DictionaryLearning
            The updated estimator.
        """
        learner = getattr(self, "_learner", None)
        first = learner is None
        X = validate_data(self, X, dtype=FLOATS, reset=first)
        if first:
            init = getattr(self, "components_", None)
            learner = OnlineDictionaryLearning(
                self._n_atoms(X.shape[1]),
                method=self.method,
                n_nonzero=self.n_nonzero_coefs,
                lam=self.alpha,
                dict_init=None if init is None else init.astype(X.dtype),
                random_state=self.random_state,
                signals="rows",
            )
            self._learner = learner
        learner.partial_fit(X)
        self.components_ = learner.dictionary
        self.n_iter_ = learner.n_batches
        return self

    def transform(self, X):
        """Sparse codes of the samples against ``components_``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOATS, reset=False)
        n_nonzero = self.transform_n_nonzero_coefs
        if n_nonzero is None:
            n_nonzero = self.n_nonzero_coefs
        return encode(
            X,
            self.components_.astype(X.dtype, copy=False),
            self.transform_algorithm,
            n_nonzero,
            self.transform_alpha,
            self.transform_max_iter,
        )

    def inverse_transform(self, X):
        """Samples ``codes @ components_`` from their codes.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructed samples.
        """
        check_is_fitted(self)
        return np.asarray(X) @ self.components_

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
