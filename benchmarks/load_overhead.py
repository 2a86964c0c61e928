"""Figures for open-model load (issue 15): what the harness's user costs on a schedule, and a capacity search.

1. ``[open model]``: one Locust run against the H2O-3 mock in which a bare ``FastHttpUser`` and the harness's
   instrumented user (``Pacer`` + LocustTransport + H2O3Client) poll the same job at the same arrival rate, side
   by side: offered and achieved rate, dispatch delay p50/p99 (sent minus due) and the poll's latency p50/p95.
2. ``[capacity]``: ``h2oharness load h2ogpte.streaming --find-capacity`` against the mock, through the Python
   API: one row per judged window (offered, sent, achieved, failure ratio, dispatch p99, p95 time to first token,
   verdict), then the search's one-line answer.

Prints tables; asserts nothing. Traffic goes only to 127.0.0.1; every run is bounded by Locust's run time and a
hard limit. ``--quick`` shrinks everything to a few seconds (the smoke test uses it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._table import machine, table  # noqa: E402
from benchmarks.load_users import _one_job  # noqa: E402
from h2oharness.apis.h2o3.mock import default_state, make_app  # noqa: E402
from h2oharness.capacity import Search, find_capacity  # noqa: E402
from h2oharness.loadrunner import LoadRun, find_profile  # noqa: E402
from h2oharness.mocks.serve import serve  # noqa: E402
from h2oharness.report.loadsummary import entries_from_locust  # noqa: E402


def open_overhead(seconds: int, rate: float, users: int) -> list[list[object]]:
    """Bare and harness users in one open-model Locust run; a row per user kind.

    Achieved is requests over the span from the first to the last (Locust's own rate): Locust's --run-time ends a
    fresh process a few seconds early (gevent's timer counts from a clock that lags its start-up), so dividing by
    ``seconds`` would under-count.
    """
    with serve(make_app(default_state(speed=50))) as served, tempfile.TemporaryDirectory() as out:
        env = {
            **os.environ,
            "BENCH_JOB_ID": _one_job(served.url),
            "BENCH_RATE": str(rate),
            "BENCH_USERS": str(users),
            "PYTHONPATH": str(ROOT),
        }
        cmd = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locust_open_bench.py"), "--headless",
            "-H", served.url, "-u", str(users * 2), "-r", str(users * 2), "-t", f"{seconds}s", "--stop-timeout", "2",
            "--json-file", f"{out}/s", "--only-summary", "--loglevel", "WARNING", "BareOpenUser", "HarnessOpenUser",
        ]  # fmt: skip
        subprocess.run(cmd, env=env, capture_output=True, timeout=seconds + 60, check=False)
        entries = entries_from_locust(json.loads(Path(f"{out}/s.json").read_text()))
    rows = []
    for who, label in (("bare", "bare FastHttpUser"), ("harness", "harness (Pacer + LocustTransport)")):
        delay = next((e for e in entries if e.type == "SCHEDULE" and e.name.startswith(who)), None)
        polls = [e for e in entries if e.type == "GET" and e.name.startswith("bare") == (who == "bare")]
        if delay is None or not polls:
            rows.append([label, f"{rate:g}", "-", "-", "-", "-", "-", 0, 0])
            continue
        poll = polls[0]
        rows.append(
            [label, f"{rate:g}", f"{poll.rps:.1f}", f"{delay.p50:.0f}", f"{delay.p99:.0f}", f"{poll.p50:.0f}",
             f"{poll.p95:.0f}", poll.requests, poll.failures]
        )  # fmt: skip
    return rows


def capacity(search: Search, users: int, budget: float) -> tuple[list[list[object]], str]:
    """The capacity search on h2ogpte.streaming against its mock: a row per window, and the answer."""
    with tempfile.TemporaryDirectory() as out:
        run = LoadRun(find_profile("h2ogpte.streaming", ROOT), users=users, report_dir=Path(out), max_time=budget)
        summary, _ = find_capacity(run, search)
    found = summary.capacity or {}
    rows: list[list[object]] = []
    for w in found.get("curve", []):
        ttft = [v for k, v in sorted(w["latency_p95_ms"].items()) if k.endswith("jsonl time to first token")]
        p99 = w["dispatch_p99_ms"]
        rows.append(
            [f"{w['offered']:g}", w["index"] + 1, f"{w['sent']:.2f}", f"{w['achieved']:.2f}",
             f"{w['failure_ratio']:.3f}", "-" if p99 is None else f"{p99:.1f}", f"{ttft[0]:.0f}" if ttft else "-",
             "pass" if w["passed"] else "fail"]
        )  # fmt: skip
    return rows, str(found.get("answer", "capacity: unknown"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds per run, for a smoke test")
    parser.add_argument("--seconds", type=int, default=20, help="length of the bare-vs-harness run (20)")
    parser.add_argument("--rate", type=float, default=50.0, help="polls per second for each user kind (50)")
    parser.add_argument("--users", type=int, default=10, help="users of each kind (10)")
    parser.add_argument("--min-rate", type=float, default=2.0, help="capacity search: lowest rate (2)")
    parser.add_argument("--max-rate", type=float, default=32.0, help="capacity search: highest rate (32)")
    parser.add_argument("--window", type=float, default=5.0, help="capacity search: seconds per window (5)")
    parser.add_argument("--windows", type=int, default=2, help="capacity search: windows per rate (2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="capacity search: warm-up seconds per rate (2)")
    parser.add_argument("--capacity-users", type=int, default=32, help="capacity search: Locust users (32)")
    parser.add_argument("--budget", type=float, default=130.0, help="capacity search: seconds in all (130)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rate, args.users = 3, 4.0, 2
        args.min_rate = args.max_rate = 2.0
        args.window, args.windows, args.warmup, args.capacity_users, args.budget = 2.0, 1, 1.0, 2, 60.0
    print(machine())
    print()
    print(f"[open model] GET /3/Jobs/{{id}} at {args.rate:g}/s per kind, {args.users} users each, same mock, same run")
    heads = ["user", "offered /s", "achieved /s", "dispatch p50 ms", "dispatch p99 ms", "p50 ms", "p95 ms",
             "requests", "failures"]  # fmt: skip
    print(table(heads, open_overhead(args.seconds, args.rate, args.users)))
    print()
    search = Search(args.min_rate, args.max_rate, args.window, args.windows, None, args.warmup)
    rows, line = capacity(search, args.capacity_users, args.budget)
    print(f"[capacity] h2ogpte.streaming --find-capacity against the mock, {args.capacity_users} users; {search.rule}")
    heads = ["offered /s", "window", "sent /s", "achieved /s", "failure ratio", "dispatch p99 ms", "ttft p95 ms",
             "verdict"]  # fmt: skip
    print(table(heads, rows))
    print()
    print(line)


if __name__ == "__main__":
    main()
