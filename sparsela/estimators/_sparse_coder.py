"""SparseCoder: sparse codes against a fixed dictionary (scikit-learn API)."""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, validate_data

from ._base import FLOATS, check_number
from ._encode import encode


class SparseCoder(TransformerMixin, BaseEstimator):
    """Sparse coding of samples against a fixed dictionary.

    Finds codes ``C`` with ``X ≈ C D``, one sparse row of ``C`` per sample.
    Samples are the **rows** of ``X`` (``(n_samples, n_features)``) and the
    atoms the rows of ``dictionary`` (``(n_components, n_features)``), as in
    :class:`sklearn.decomposition.SparseCoder`; :func:`sparsela.sparse_encode`
    works on the transposes (signals and atoms in columns) through its
    ``signals="rows"`` layout.

    Parameters
    ----------
    dictionary : array_like of shape (n_components, n_features)
        The atoms, in rows; OMP and MP need no unit norms.
    transform_algorithm : {"omp", "mp", "lasso", "threshold"}, default="omp"
        Orthogonal or plain matching pursuit with
        ``transform_n_nonzero_coefs`` atoms; the lasso
        ``min 1/2 ||x - c D||^2 + transform_alpha ||c||_1`` by FISTA (the
        scaling of scikit-learn's ``"lasso_cd"``); or thresholding of
        ``D x``: its ``transform_n_nonzero_coefs`` largest entries, or a
        soft threshold ``transform_alpha`` (scikit-learn's ``"threshold"``).
    transform_n_nonzero_coefs : int, optional
        Atoms per sample (OMP, MP, hard threshold); default
        ``max(int(0.1 * n_features), 1)``.
    transform_alpha : float, optional
        l1 weight of the lasso or the soft threshold; default 1.
    transform_max_iter : int, default=1000
        FISTA iterations of the lasso, solved to a relative duality gap of
        ``1e-9`` within that limit.

    Attributes
    ----------
    n_components_ : int
        Number of atoms.
    n_features_in_ : int
        Number of features (the dictionary's).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when :meth:`fit` saw string column names.

    See Also
    --------
    sparsela.sparse_encode : the solver, signals in columns.
    sklearn.decomposition.SparseCoder : the scikit-learn peer.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsela.estimators import SparseCoder
    >>> D = np.eye(4)[:3] + 0.1
    >>> coder = SparseCoder(D, transform_n_nonzero_coefs=1)
    >>> coder.transform(2.0 * D[1:2]).round(6)
    array([[0., 2., 0.]])
    """

    def __init__(
        self,
        dictionary,
        *,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        transform_max_iter=1000,
    ):
        self.dictionary = dictionary
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_max_iter = transform_max_iter

    def _components(self):
        return check_array(self.dictionary, dtype=FLOATS, input_name="dictionary")

    def fit(self, X, y=None):
        """Check ``X`` against the dictionary; nothing is learned.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows, only validated.
        y : None
            Ignored.

        Returns
        -------
        self : SparseCoder
            The estimator.
        """
        X = validate_data(self, X, dtype=FLOATS)
        D = self._components()
        if X.shape[1] != D.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the dictionary has "
                f"{D.shape[1]} (its atoms are rows)"
            )
        return self

    def transform(self, X, y=None):
        """Sparse codes of the samples.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples in rows.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes, in the precision of ``X`` and the dictionary.
        """
        D = self._components()
        if hasattr(self, "n_features_in_"):
            X = validate_data(self, X, dtype=FLOATS, reset=False)
        else:
            X = check_array(X, dtype=FLOATS)
        if X.shape[1] != D.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the dictionary has "
                f"{D.shape[1]} (its atoms are rows)"
            )
        max_iter = check_number(
            self.transform_max_iter, "transform_max_iter", low=1, integer=True
        )
        return encode(
            X,
            D.astype(X.dtype, copy=False),
            self.transform_algorithm,
            self.transform_n_nonzero_coefs,
            self.transform_alpha,
            max_iter,
        )

    def inverse_transform(self, X):
        """Signals ``codes @ dictionary`` from their codes.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructed samples.
        """
        return check_array(X, dtype=FLOATS) @ self._components()

    @property
    def n_components_(self):
        """Number of atoms (rows of ``dictionary``)."""
        return self._components().shape[0]

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
