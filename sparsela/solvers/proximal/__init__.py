"""Proximal-gradient solvers: ISTA and FISTA."""

from ._solvers import fista, ista, lambda_max

__all__ = ["fista", "ista", "lambda_max"]
