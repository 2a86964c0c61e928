"""Latency of the H2O-3 mock's ``GET /3/Frames/{id}/summary`` on a wide frame, asked for again and again.

Run: ``python benchmarks/h2o3_frame_summary.py [--rows 10000,100000] [--cols 20] [--gets 5]``.

h2o-py asks for a frame's summary after most things it does to it (``describe()``, ``types``, a column's
``mean()``...). Each count is measured twice, side by side: **every GET**, the figures (rollups, sorted values,
histogram) computed again for each GET (as before: the mock kept only the rollups), and **kept**, computed by the
first GET and kept with the column (as now). The frame is made by ``POST /3/CreateFrame`` on a served mock.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from _table import machine, table

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.serve import serve


def measure(rows: int, cols: int, gets: int, keep: bool) -> list[float]:
    """Seconds each of ``gets`` summaries of a ``rows`` x ``cols`` frame took (the first one included)."""
    state = H2O3MockState(clock=MonotonicClock(speed=1000.0))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=600) as http:
        made = http.post("/3/CreateFrame", data={"dest": "wide", "rows": rows, "cols": cols, "seed": 1})
        H2O3Client(http).wait(made.json()["key"]["name"], timeout=600)
        spent = []
        for index in range(gets):
            if not keep and index:
                for column in state.frames["wide"].columns:
                    column.changed()  # as before: nothing kept but the rollups, which were kept already
                    column.rollups()
            start = time.perf_counter()
            http.get("/3/Frames/wide/summary").raise_for_status()
            spent.append(time.perf_counter() - start)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="rows of the frame, comma-separated")
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--gets", type=int, default=5)
    args = parser.parse_args()
    try:
        counts = [int(n) for n in args.rows.split(",")]
    except ValueError:
        parser.error("--rows must be whole numbers, comma-separated")
    print(f"GET /3/Frames/{{id}}/summary on the served H2O-3 mock, a CreateFrame of {args.cols} columns")
    print(machine())
    out = []
    for rows in counts:
        row: list[object] = [f"{rows:,}"]
        for keep in (False, True):
            spent = measure(rows, args.cols, args.gets, keep)
            row += [f"{spent[0] * 1000:.0f}", f"{statistics.median(spent[1:] or spent) * 1000:.0f}"]
        out.append(row)
    print(f"every GET: the figures computed for each of {args.gets} GETs (before); kept: by the first one (now)")
    print(table(["rows", "every first ms", "every again ms", "kept first ms", "kept again ms"], out))


if __name__ == "__main__":
    main()
