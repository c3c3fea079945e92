"""``python -m padcell``: see :mod:`padcell.console`."""

import sys

from .console import main

if __name__ == "__main__":
    sys.exit(main())
