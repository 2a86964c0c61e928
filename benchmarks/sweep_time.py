"""Wall time and yield of a full sweep of real local H2O-3 nodes (``h2oharness run --target local --all-operations``).

Run from anywhere: ``python benchmarks/sweep_time.py [--include-destructive] [--max-examples N] [--timeout S]``.
The sweep is a subprocess in its own process group (killed as a whole after ``--timeout``, 2700 s by
default) writing into a temporary report folder; the figures come from its ``conformance.json``: operations
tested, crashes (confirmed or not, how small the reduced request is), distinct defects by kind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import machine, table

ROOT = Path(__file__).resolve().parent.parent


def sweep(report_dir: Path, *, destructive: bool, examples: int | None, timeout: float) -> tuple[float, int]:
    """Run the sweep; its wall seconds and exit code."""
    cmd = [sys.executable, "-m", "h2oharness.cli", "run", "--target", "local", "--api", "h2o3", "--all-operations"]
    cmd += ["--report-dir", str(report_dir)]
    cmd += ["--include-destructive"] if destructive else []
    cmd += ["--max-examples", str(examples)] if examples else []
    started = time.monotonic()
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    ) as p:
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise SystemExit(f"the sweep did not finish within {timeout:.0f} s") from None
    if not (report_dir / "conformance.json").is_file():
        raise SystemExit(f"the sweep wrote no report (exit {p.returncode}): {err.decode(errors='replace')[-500:]}")
    return time.monotonic() - started, p.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include-destructive", action="store_true", help="also send the destructive operations")
    parser.add_argument("--max-examples", type=int, default=None, help="hypothesis examples per operation")
    parser.add_argument("--timeout", type=float, default=2700.0, help="seconds before the sweep is killed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="h2oharness-sweep-") as tmp:
        seconds, code = sweep(
            Path(tmp), destructive=args.include_destructive, examples=args.max_examples, timeout=args.timeout
        )
        (api,) = [a for a in json.loads((Path(tmp) / "conformance.json").read_text())["apis"] if a["slug"] == "h2o3"]
    counts, defects = api["counts"], api["defects"]
    kinds = {k: sum(d["kind"] == k for d in defects) for k in ("server_crash", "server_error", "schema_violation")}
    print(f"sweep of H2O-3 {api['target_version']}: exit {code}; {machine()}")
    print(
        table(
            ["figure", "value"],
            [
                ["wall time, s", f"{seconds:.0f}"],
                ["operations tested", f"{counts['tested']} of {counts['operations']}"],
                ["operations excluded", len(api.get("excluded") or [])],
                ["requests that killed a node", kinds["server_crash"]],
                ["distinct server errors", kinds["server_error"]],
                ["distinct schema violations", kinds["schema_violation"]],
            ],
        )
    )
    crashes = [d for d in defects if d["kind"] == "server_crash"]
    if crashes:
        print()
        print(table(["crash", "replay", "minimal request"], [
            [d["signature"], (d.get("reproduced") or "-").split(" (")[0], d["curl"]] for d in crashes
        ], align="lll"))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
