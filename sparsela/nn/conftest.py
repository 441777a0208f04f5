"""Doctest collection: skip the PyTorch adapter where torch is missing."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["torch.py"]
