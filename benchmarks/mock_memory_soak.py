"""Resident memory of a served H2O-3 mock under a long polling load: does it level off after warm-up?

Run: ``python benchmarks/mock_memory_soak.py [--duration 600] [--warmup 60] [--users 8] [--speed 5] [--no-delete]``.

The mock runs as ``h2oharness serve --api h2o3`` in a subprocess on 127.0.0.1. ``--users`` threads, each with its
own keep-alive ``httpx.Client``, repeat what the ``h2o3.polling`` load profile does: upload a CSV, parse it and poll
the job, train a small GBM and poll that, delete the model and the frame (``--no-delete`` keeps them, to load the
mock's caps instead). Every loop stops at ``--duration`` seconds or ``--max-rounds`` rounds per user, whichever
comes first. The mock's RSS and thread count are read from ``/proc/<pid>/status`` every ``--sample`` seconds; the
figure that matters is the growth from the first sample after ``--warmup`` to the last (target: under 10 %).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _table import machine, table

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.http.polling import Backoff, wait_for_job

ROOT = Path(__file__).resolve().parent.parent
TARGET_GROWTH = 10.0  # percent, after warm-up
START_TIMEOUT = 60.0
BACKOFF = Backoff(initial=0.05, maximum=0.5)


@dataclass
class Tally:
    """Rounds done and failed over all users; the first failure's text."""

    rounds: int = 0
    errors: int = 0
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, error: str = "") -> None:
        """Count one round (a failed one when ``error`` is set)."""
        with self.lock:
            self.rounds += 1
            if error:
                self.errors += 1
                self.first_error = self.first_error or error


def proc_status(pid: int) -> tuple[int, int]:
    """The process's resident set (KiB) and thread count, from /proc/<pid>/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["Threads"])


def start_mock(speed: float) -> tuple[subprocess.Popen[str], str]:
    """``h2oharness serve --api h2o3`` on a free loopback port, from this checkout; the process and its URL."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    code = "import sys; from h2oharness.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, "serve", "--api", "h2o3", "--host", "127.0.0.1", "--speed", str(speed)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "listening on " in line:
            return proc, line.rsplit(" ", 1)[1].strip()
    proc.kill()
    raise SystemExit(f"the mock did not start within {START_TIMEOUT:.0f} s")


def finish(api: H2O3Client, job_id: str) -> None:
    """Poll a job until it is final (JobFailed or JobTimeout otherwise)."""
    wait_for_job(lambda: api.job_status(job_id), timeout=60, backoff=BACKOFF, what=job_id)


def user(url: str, csv_bytes: bytes, stop_at: float, max_rounds: int, delete: bool, tally: Tally, index: int) -> None:
    """One polling user: parse, train, (delete), until the deadline or its round cap."""
    with httpx.Client(base_url=url, timeout=30.0) as http:
        api = H2O3Client(http)
        for round_no in range(max_rounds):
            if time.monotonic() >= stop_at:
                return
            frame = f"soak_{index}_{round_no}"
            try:
                upload = api.post_file(csv_bytes, destination_frame=f"{frame}.csv")
                job = api.parse(api.parse_setup([str(upload["destination_frame"])]), destination_frame=frame)
                finish(api, job["job"]["key"]["name"])
                build = api.build_model("gbm", **payloads.gbm_params(frame, ntrees=3, max_depth=2))
                finish(api, build["job"]["key"]["name"])
                if delete:
                    api.delete_model(build["job"]["dest"]["name"])
                    api.delete_frame(frame)
            except Exception as exc:  # a figure, not a test: count it and go on
                tally.add(f"{type(exc).__name__}: {exc}"[:200])
            else:
                tally.add()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline sample (default 60)")
    parser.add_argument("--users", type=int, default=8, help="concurrent polling users (default 8)")
    parser.add_argument("--speed", type=float, default=5.0, help="the mock's clock runs this much faster (default 5)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples (default 10)")
    parser.add_argument("--max-rounds", type=int, default=100_000, help="rounds per user at most (default 100000)")
    parser.add_argument("--rows", type=int, default=200, help="rows of the CSV each round parses (default 200)")
    parser.add_argument("--no-delete", action="store_true", help="keep every frame and model (loads the caps)")
    args = parser.parse_args()
    if args.warmup >= args.duration:
        parser.error("--warmup must be shorter than --duration")

    proc, url = start_mock(args.speed)
    tally = Tally()
    samples: list[tuple[float, int, int, int]] = []
    try:
        started = time.monotonic()
        stop_at = started + args.duration
        csv_bytes = payloads.classification_csv(rows=args.rows, seed=5).encode()
        threads = [
            threading.Thread(
                target=user,
                args=(url, csv_bytes, stop_at, args.max_rounds, not args.no_delete, tally, i),
                daemon=True,
            )
            for i in range(args.users)
        ]
        rss, count = proc_status(proc.pid)
        samples.append((0.0, rss, count, 0))
        for thread in threads:
            thread.start()
        ticks = sorted({args.warmup, *(k * args.sample for k in range(1, int(args.duration / args.sample) + 1))})
        for tick in (t for t in ticks if t < args.duration):
            while time.monotonic() < started + tick and any(t.is_alive() for t in threads):
                time.sleep(min(0.2, max(0.0, started + tick - time.monotonic())))
            if not any(t.is_alive() for t in threads):  # every user reached --max-rounds
                break
            rss, count = proc_status(proc.pid)
            samples.append((time.monotonic() - started, rss, count, tally.rounds))
        for thread in threads:  # each stops at the deadline, after the round it is in
            thread.join(timeout=max(0.0, stop_at + 60 - time.monotonic()))
        rss, count = proc_status(proc.pid)
        samples.append((time.monotonic() - started, rss, count, tally.rounds))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    rows = [(f"{t:.0f}", f"{kib / 1024:.1f}", n, done) for t, kib, n, done in samples]
    print(f"# mock_memory_soak: H2O-3 mock, {machine()}")
    print(
        f"# {args.users} users x {args.duration:g} s (warm-up {args.warmup:g} s), mock clock x{args.speed:g}, "
        f"{args.rows}-row CSV, {'no deletes' if args.no_delete else 'model and frame deleted each round'}"
    )
    print(table(["t s", "RSS MiB", "threads", "rounds"], rows))
    # the users may all have reached --max-rounds before the warm-up ended: then the last sample is the baseline
    baseline = next((s for s in samples if s[0] >= args.warmup), samples[-1])
    end = samples[-1]
    growth = (end[1] - baseline[1]) / baseline[1] * 100.0
    print()
    print(f"start      {samples[0][1] / 1024:8.1f} MiB  threads {samples[0][2]}")
    print(f"after warm {baseline[1] / 1024:8.1f} MiB  threads {baseline[2]}  (t={baseline[0]:.0f} s)")
    print(f"end        {end[1] / 1024:8.1f} MiB  threads {end[2]}  (t={end[0]:.0f} s)")
    verdict = "met" if growth < TARGET_GROWTH else "NOT met"
    print(f"growth after warm-up: {growth:+.1f} %  (target < {TARGET_GROWTH:g} %: {verdict})")
    print(
        f"rounds {tally.rounds}, failed {tally.errors}"
        + (f"; first failure: {tally.first_error}" if tally.errors else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
