"""``python -m sparsela``: the ``sparsela`` command (see :mod:`sparsela.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
