"""Recovery solvers, one subpackage per family.

The public functions are re-exported from :mod:`sparsela` (``sparsela.omp``,
``sparsela.fista``, ...): ``pursuit`` (omp, mp), ``proximal`` (ista, fista),
``bcd`` (block coordinate descent), ``bayes`` (sbl, kron_sbl), ``dictionary``
(dictionary_learning, sparse_encode, OnlineDictionaryLearning).
"""
