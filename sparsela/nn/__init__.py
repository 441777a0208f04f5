"""Sparse neural-network layers on the package's formats and kernels.

NumPy in, NumPy out. Rows of every input are samples (as in every
neural-network library; the solvers take signals as columns). A layer keeps
its trainable arrays in :meth:`parameters` and their gradients, written by
``backward``, in :meth:`grads`, so a plain SGD or Adam loop drives it.

Examples
--------
>>> import numpy as np
>>> from sparsela.nn import SparseLinear
>>> layer = SparseLinear.from_dense(np.eye(3), bias=np.zeros(3))
>>> layer.forward(np.ones((2, 3))).shape
(2, 3)
"""

from ._activations import TopK
from ._autoencoders import KSparseAutoencoder, MatchingPursuitAutoencoder
from ._linear import SparseLinear
from ._optim import SGD, Adam
from ._prune import GradualPruning, prune_magnitude, prune_nm, sparsity_schedule
from ._srste import SRSTELinear

__all__ = [
    "SGD",
    "Adam",
    "KSparseAutoencoder",
    "MatchingPursuitAutoencoder",
    "GradualPruning",
    "SRSTELinear",
    "SparseLinear",
    "TopK",
    "prune_magnitude",
    "prune_nm",
    "sparsity_schedule",
]
