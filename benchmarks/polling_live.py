"""Polls per job and detection lag of parse and GBM jobs: the fixed 2-s loop, ``wait_for_job`` alone and as a kind.

Run: ``python benchmarks/polling_live.py [--target mock|local] [--users 2] [--jobs 8] [--rows 2000] [--ntrees 30]``.

Against the served H2O-3 mock (``mock``, the default) or a real H2O-3 started from the ``h2o`` package's jar
(``local``, Java needed), ``--users`` threads each run ``--jobs`` rounds of one parse (upload, ParseSetup, Parse)
and one GBM on the parsed frame, once per strategy, strategies one after another:

- ``fixed``: poll, sleep 2 s, repeat (the seed's loop);
- ``alone``: ``wait_for_job(started=...)``, nothing known of earlier jobs;
- ``kind``: the same with one ``JobKinds`` for all threads (``history=KINDS["parse"]`` / ``["gbm"]``), as the
  ``h2o3.*`` load profiles do.

Detection lag is the time from the job's end as the server reports it (``start_time + msec`` of its final
``/3/Jobs`` entry, the server's clock, the same machine's) to the moment the client holds the poll that saw it
DONE. Every request loop is bounded (a job timeout and ``--jobs``).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from _table import machine, table

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.http.jobkinds import JobHistory, JobKinds
from h2oharness.http.polling import Backoff, wait_for_job

TIMEOUT = 300.0
STRATEGIES = ("fixed", "alone", "kind")


@dataclass(frozen=True)
class Seen:
    """One job as a strategy saw it."""

    kind: str
    polls: int
    lag: float
    duration: float


def fixed_loop(api: H2O3Client, job: str) -> int:
    """Poll, sleep 2 s, repeat until DONE; the polls."""
    deadline = time.monotonic() + TIMEOUT
    polls = 0
    while True:
        polls += 1
        if api.job_status(job).final or time.monotonic() > deadline:
            return polls
        time.sleep(2.0)


def measure(api: H2O3Client, kind: str, job: str, started: float, strategy: str, kinds: JobKinds) -> Seen:
    """Wait for ``job`` with ``strategy``; its polls and lag from the server's own end of it."""
    if strategy == "fixed":
        polls = fixed_loop(api, job)
    else:
        history: JobHistory | None = kinds[kind] if strategy == "kind" else None
        polls = wait_for_job(
            lambda: api.job_status(job), timeout=TIMEOUT, backoff=Backoff(), started=started, history=history
        ).polls
    seen = time.time()
    final = api.job(job)
    end = (int(final["start_time"]) + int(final["msec"])) / 1000
    return Seen(kind, polls, seen - end, int(final["msec"]) / 1000)


def user(url: str, strategy: str, kinds: JobKinds, args: argparse.Namespace, index: int, out: list[Seen]) -> None:
    """One thread: ``--jobs`` rounds of a parse and a GBM, each waited for with ``strategy``."""
    csv = payloads.classification_csv(rows=args.rows, seed=index).encode()
    with httpx.Client(base_url=url, timeout=60) as http:
        api = H2O3Client(http)
        for round_ in range(args.jobs):
            name = f"bench_{strategy}_{index}_{round_}"
            upload = api.post_file(csv, destination_frame=f"{name}.csv")
            setup = api.parse_setup([str(upload["destination_frame"])])
            job = api.parse(setup, destination_frame=name)["job"]["key"]["name"]
            started = time.monotonic()
            out.append(measure(api, "parse", job, started, strategy, kinds))
            build = api.build_model("gbm", **payloads.gbm_params(name, ntrees=args.ntrees, max_depth=3))
            started = time.monotonic()
            out.append(measure(api, "gbm", build["job"]["key"]["name"], started, strategy, kinds))
            with contextlib.suppress(Exception):
                api.delete_model(build["job"]["dest"]["name"])
                api.delete_frame(name)
                api.delete_frame(str(upload["destination_frame"]))


@contextlib.contextmanager
def target(kind: str) -> Iterator[str]:
    """The URL of a served H2O-3 mock or of a real local H2O-3, stopped afterwards."""
    if kind == "local":
        from h2oharness.apis.h2o3.local import local_h2o3

        with local_h2o3() as server:
            yield server.url
        return
    from h2oharness.apis.h2o3.mock import make_app
    from h2oharness.mocks.serve import serve

    with serve(make_app()) as served:
        yield served.url


def run(url: str, strategy: str, args: argparse.Namespace) -> list[Seen]:
    """Every user's jobs under one strategy."""
    out: list[Seen] = []
    kinds = JobKinds()
    threads = [
        threading.Thread(target=user, args=(url, strategy, kinds, args, i, out), daemon=True) for i in range(args.users)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * args.jobs * 2)
    return out


def rows(results: dict[str, list[Seen]], kind: str) -> list[list[str]]:
    """One row per strategy for one kind of job."""
    fixed = [s for s in results["fixed"] if s.kind == kind]
    base_polls = statistics.fmean(s.polls for s in fixed)
    base_lag = statistics.fmean(s.lag for s in fixed)
    lines = []
    for strategy, seen in results.items():
        jobs = [s for s in seen if s.kind == kind]
        polls = statistics.fmean(s.polls for s in jobs)
        lag = statistics.fmean(s.lag for s in jobs)
        lines.append([
            strategy, str(len(jobs)), f"{statistics.fmean(s.duration for s in jobs):.2f}", f"{polls:.2f}",
            f"{lag:.3f}", f"{max(s.lag for s in jobs):.3f}", f"{polls / base_polls:.2f}",
            f"{lag / base_lag:.3f}" if base_lag > 0 else "n/a",
        ])  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every strategy against one target and print a table per kind of job."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["mock", "local"], default="mock")
    parser.add_argument("--users", type=int, default=2, help="threads, each its own rounds (default 2)")
    parser.add_argument("--jobs", type=int, default=8, help="rounds of a parse and a GBM per user (default 8)")
    parser.add_argument(
        "--rows", type=int, default=2000, help="rows of the CSV (default 2000: the mock trains in the request)"
    )
    parser.add_argument("--ntrees", type=int, default=30, help="trees of each GBM (default 30)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.jobs < 1 or args.rows < 10 or args.ntrees < 1:
        parser.error("need --users >= 1, --jobs >= 1, --rows >= 10 and --ntrees >= 1")
    print("polling live: parse and GBM jobs waited for by the fixed 2-s loop, wait_for_job alone, and as a kind")
    print(machine())
    with target(args.target) as url:
        shape = f"{args.users} users x {args.jobs} rounds; {args.rows} rows, {args.ntrees} trees"
        print(f"target: {args.target} {url}; {shape}")
        results: dict[str, list[Seen]] = {}
        for strategy in STRATEGIES:
            started = time.monotonic()
            results[strategy] = run(url, strategy, args)
            print(f"  {strategy}: {len(results[strategy])} jobs in {time.monotonic() - started:.0f} s")
    headers = ["strategy", "jobs", "job s", "polls/job", "lag s", "max lag s", "polls ratio", "lag ratio"]
    for kind in ("parse", "gbm"):
        print(f"\n[{kind}] ratios are to the fixed loop's")
        print(table(headers, rows(results, kind)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
