"""Greedy pursuit: orthogonal matching pursuit and matching pursuit.

:func:`omp` and :func:`mp` take any matrix or operator ``A``; :func:`omp_gram`
and :func:`mp_gram` run the same pursuits on a precomputed Gram matrix.
"""

from ._gram import mp_gram, omp_gram
from ._mp import mp
from ._omp import omp

__all__ = ["mp", "mp_gram", "omp", "omp_gram"]
