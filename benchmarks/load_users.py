"""Figures for the load side (issue 5): our users vs bare Locust, one worker vs two, and a mock soak.

1. Requests per second of GET /3/Jobs/{id}, bare FastHttpUser and the harness's polling client,
   side by side in one Locust run against one mock (same endpoint, same job).
2. The h2o3.mixed profile with one Locust worker and with two: total requests per second.
3. A soak: h2o3.mixed with 50 users for 60 s on the mock: failures, requests, and the mock
   process's resident memory and job count before and after (finished jobs must be released).
4. Time to first token and ITL (gaps between tokens) of the Locust streaming user (h2ogpte.streaming) against the
   schedule the mock was told to follow, at 1 and 50 concurrent streams: the measurement error (p50, p99).

Prints tables; asserts nothing. ``--quick`` shortens every run to a few seconds (the smoke test uses it);
``--suite-dir`` takes the soak's h2o3.mixed from another suite folder (the smoke test's makes each call in turn: the
profile draws its tasks by weight, and a run of seconds may draw no job to measure).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._table import machine, table  # noqa: E402
from h2oharness.apis.h2o3 import payloads  # noqa: E402
from h2oharness.apis.h2o3.client import H2O3Client  # noqa: E402
from h2oharness.apis.h2o3.mock import default_state, make_app  # noqa: E402
from h2oharness.loadrunner import LoadRun, Profile, execute, find_profile  # noqa: E402
from h2oharness.mocks.serve import serve  # noqa: E402
from h2oharness.report.loadsummary import totals_of  # noqa: E402


def rss_mb() -> float:
    """This process's resident memory now, in MiB (from /proc; the peak where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one_job(url: str) -> str:
    """Parse a small frame on the mock at ``url``; the parse job's id, for every user to poll."""
    import httpx

    with httpx.Client(base_url=url, timeout=30) as http:
        client = H2O3Client(http)
        upload = client.post_file(payloads.classification_csv(rows=50).encode(), destination_frame="b.csv")
        job = client.parse(client.parse_setup([upload["destination_frame"]]), destination_frame="b")["job"]
    return str(job["key"]["name"])


def bare_vs_harness(seconds: int, users: int) -> list[list[object]]:
    """Both users in one Locust run against one mock; rows of (user, requests, per second, p50, p95)."""
    with serve(make_app(default_state(speed=50))) as served, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "BENCH_JOB_ID": _one_job(served.url), "PYTHONPATH": str(ROOT)}
        cmd = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locust_jobs_bench.py"), "--headless",
            "-H", served.url, "-u", str(users * 2), "-r", str(users * 2), "-t", f"{seconds}s",
            "--json-file", f"{out}/s", "--only-summary", "--loglevel", "WARNING", "BareJobsUser", "HarnessJobsUser",
        ]  # fmt: skip
        subprocess.run(cmd, env=env, capture_output=True, timeout=seconds + 60, check=False)
        stats = json.loads(Path(f"{out}/s.json").read_text())
    from h2oharness.report.loadsummary import entries_from_locust

    rows = []
    for e in entries_from_locust(stats):
        who = "bare FastHttpUser" if e.name.startswith("bare") else "harness client (LocustTransport)"
        rows.append([who, e.requests, f"{e.requests / seconds:.0f}", f"{e.p50:.0f}", f"{e.p95:.0f}"])
    return rows


def workers(seconds: int, users: int) -> list[list[object]]:
    """The harness's poll with no wait, on 1 and 2 workers; rows of (workers, requests, per second, failures)."""
    h2o3 = find_profile("h2o3.polling", ROOT)
    profile = Profile(h2o3.api, "bench", ROOT / "benchmarks" / "locust_jobs_bench.py", "HarnessJobsUser", Path("-"))
    rows = []
    with serve(make_app(default_state(speed=50))) as served:
        os.environ["BENCH_JOB_ID"] = _one_job(served.url)
        for n in (1, 2):
            with tempfile.TemporaryDirectory() as out:
                run = LoadRun(profile, target="live", url=served.url, users=users, spawn_rate=users,
                              run_time=seconds, workers=n, report_dir=Path(out))  # fmt: skip
                summary = execute(run)
            totals = totals_of(summary.entries)
            rows.append([n, totals.requests, f"{totals.requests / seconds:.0f}", totals.failures])
    return rows


def soak(seconds: int, users: int, suite: Path = ROOT) -> list[list[object]]:
    """h2o3.mixed against a mock served by this process, with its memory and job count around the run."""
    state = default_state(speed=10)
    before = rss_mb()
    with serve(make_app(state)) as served, tempfile.TemporaryDirectory() as out:
        run = LoadRun(find_profile("h2o3.mixed", suite), target="live", url=served.url, users=users,
                      spawn_rate=users, run_time=seconds, report_dir=Path(out))  # fmt: skip
        summary = execute(run)
        after = rss_mb()
        jobs = len(state.jobs.all())
        frames = len(state.frames)
    totals = totals_of(summary.entries)
    failed_jobs = f"{totals.measurement_failures}/{totals.measurements}"
    return [
        [users, seconds, totals.requests, totals.failures, failed_jobs, f"{before:.0f}", f"{after:.0f}", jobs, frames]
    ]


def stream_error(seconds: int, users: tuple[int, ...]) -> list[list[object]]:
    """h2ogpte.streaming at each user count; rows of (streams, kind, measured p50/p99 minus the schedule, count)."""
    from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeTimings

    schedule = H2OGPTeTimings()
    rows: list[list[object]] = []
    for n in users:
        with tempfile.TemporaryDirectory() as out:
            run = LoadRun(find_profile("h2ogpte.streaming", ROOT), users=n, spawn_rate=n, run_time=seconds,
                          report_dir=Path(out))  # fmt: skip
            summary = execute(run)
        entries = {e.key: e for e in summary.entries}
        for kind, planned in (("time to first token", schedule.first_token), ("ITL", schedule.token_gap)):
            e = entries.get(f"STREAM h2ogpte jsonl {kind}")
            if e is None:
                rows.append([n, kind, "-", "-", 0])
                continue
            ms = planned * 1000
            rows.append([n, kind, f"{e.p50 - ms:+.0f}", f"{e.p99 - ms:+.0f}", e.requests])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per run, for a smoke test")
    parser.add_argument("--suite-dir", type=Path, default=ROOT, help="where the soak's loadtests/ are (default: here)")
    args = parser.parse_args()
    short = 3 if args.quick else 20
    print(machine())
    print()
    print("[bare vs harness] GET /3/Jobs/{id}, same mock, same run")
    print(table(["user", "requests", "per s", "p50 ms", "p95 ms"], bare_vs_harness(short, 2 if args.quick else 10)))
    print()
    print("[workers] GET /3/Jobs/{id} through the harness client, no wait, one Locust run per row")
    print(table(["workers", "requests", "per s", "failures"], workers(short, 4 if args.quick else 20)))
    print()
    print("[soak] h2o3.mixed against the mock")
    headers = [
        "users",
        "s",
        "requests",
        "failures",
        "failed jobs",
        "RSS before MiB",
        "RSS after MiB",
        "jobs held",
        "frames held",
    ]
    print(table(headers, soak(short if args.quick else 60, 5 if args.quick else 50, args.suite_dir)))
    print()
    print("[stream timing] h2ogpte.streaming (JSONL), measured minus the mock's schedule, ms (Locust rounds to ms)")
    heads = ["streams", "figure", "p50 error", "p99 error", "samples"]
    print(table(heads, stream_error(short, (1, 5) if args.quick else (1, 50)), align="llrrr"))


if __name__ == "__main__":
    main()
