"""What every benchmark prints: a plain-text table and a line saying where the figures come from."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, align: str = "") -> str:
    """Render ``rows`` under ``headers`` as aligned text; ``align`` has an ``l`` or ``r`` per column (default lrr…)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(h) for h in headers], *[[str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def machine() -> str:
    """One line naming the date, the CPUs this process may use (as ``nproc`` counts them) and the Python."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{now}; nproc={cpus}; Python {platform.python_version()}"
