"""Dictionary learning and sparse coding.

:func:`dictionary_learning` learns ``D`` and sparse ``X`` with ``Y ≈ D X``
(K-SVD, MOD, Mairal's online method, orthogonal dictionaries by Procrustes
alternation or by online Frank-Wolfe l4 maximisation);
:class:`OnlineDictionaryLearning` runs the online methods one mini-batch at a
time; :func:`sparse_encode` codes many signals against a fixed dictionary.
Signals are columns (``Y`` is ``n_features x n_signals``, as in SPAMS); each
takes ``signals="rows"`` for scikit-learn's layout. :func:`atom_recovery`
and :func:`orthogonal_recovery` score a learnt dictionary against a planted
one.
"""

from ._api import dictionary_learning
from ._encode import sparse_encode
from ._metrics import atom_recovery, orthogonal_recovery
from ._online import OnlineDictionaryLearning

__all__ = [
    "OnlineDictionaryLearning",
    "atom_recovery",
    "dictionary_learning",
    "orthogonal_recovery",
    "sparse_encode",
]
