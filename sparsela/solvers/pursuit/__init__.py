"""Greedy pursuit: orthogonal matching pursuit and matching pursuit."""

from ._omp import mp, omp

__all__ = ["mp", "omp"]
