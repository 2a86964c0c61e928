"""``python -m h2oharness``: the ``h2oharness`` command, for where the console script is not on PATH."""

from __future__ import annotations

import sys

from h2oharness.cli import main

if __name__ == "__main__":
    sys.exit(main())
