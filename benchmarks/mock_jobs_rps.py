"""Requests per second of the H2O-3 mock's ``GET /3/Jobs/{id}`` beside a bare Starlette JSON endpoint.

Run: ``python benchmarks/mock_jobs_rps.py [--threads 4] [--duration 5] [--max-requests 50000] [--no-wrk]``.

Both apps are served the same way (uvicorn in a thread via ``h2oharness.mocks.serve``) in this
process, and hit with the same client: ``--threads`` threads, each with its own keep-alive
``httpx.Client``, in a separate process (so client and server do not share one GIL; ``--in-process``
puts them together). Every loop stops at ``--duration`` seconds or ``--max-requests`` requests,
whichever comes first. The job polled is a real parse job, created through the mock's HTTP API
(ImportFiles -> ParseSetup -> Parse) and kept RUNNING for the whole run, as a poller sees it.
When ``wrk`` is on PATH the same endpoints are measured with it too: the Python client is likely
the bottleneck, so wrk's figures say more about the servers.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import multiprocessing
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from _table import machine, table
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from h2oharness.apis.h2o3.mock import H2O3MockState, H2O3Timings, make_app
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.serve import serve

WARMUP_REQUESTS = 20  # per client thread, before the clock starts: connect and fill caches
STALL_MS = 20.0  # a no-load loopback request this slow is waiting on a delayed ACK, not on Python


@dataclass
class Load:
    """What one client run saw: per-request latencies in seconds, failures and the measured span."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    first_error: str = ""


@dataclass(frozen=True)
class Figures:
    """One table row: a target measured by one client."""

    target: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def drive(url: str, threads: int, duration: float, cap: int) -> Load:
    """GET ``url`` from ``threads`` keep-alive clients until ``duration`` s pass or ``cap`` requests are sent."""
    counter = itertools.count()
    start: list[float] = []
    barrier = threading.Barrier(threads, action=lambda: start.append(time.perf_counter()))
    loads = [Load() for _ in range(threads)]
    ends = [0.0] * threads

    def worker(index: int) -> None:
        load = loads[index]
        with httpx.Client(timeout=10.0) as client:
            for _ in range(WARMUP_REQUESTS):
                client.get(url)
            barrier.wait()
            deadline = start[0] + duration
            while time.perf_counter() < deadline and next(counter) < cap:
                t0 = time.perf_counter()
                try:
                    response = client.get(url)
                    failed = response.status_code != 200
                    reason = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    failed, reason = True, f"{type(exc).__name__}: {exc}"
                load.latencies.append(time.perf_counter() - t0)
                if failed:
                    load.errors += 1
                    load.first_error = load.first_error or reason
        ends[index] = time.perf_counter()

    pool = [threading.Thread(target=worker, args=(i,), name=f"client-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=duration + 60)
    merged = merge(loads)
    merged.elapsed = max(ends) - start[0] if start else 0.0
    return merged


def figures(target: str, load: Load) -> Figures:
    """Summarise a run: throughput of successful requests and latency percentiles in milliseconds."""
    lat = sorted(load.latencies) or [0.0]
    cuts = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    ok = len(load.latencies) - load.errors
    rps = ok / load.elapsed if load.elapsed > 0 else 0.0
    return Figures(target, len(load.latencies), load.errors, load.elapsed, rps, *(cuts[i] * 1000 for i in (49, 94, 98)))


def bare_app() -> Starlette:
    """The floor: one Starlette route returning a small JSON body, nothing else."""

    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "progress": 0.5})

    return Starlette(routes=[Route("/ping", ping)])


def running_job(base: str, workdir: Path) -> str:
    """Create a parse job through the mock's own API (import a small CSV, set up, parse); return its id."""
    csv = workdir / "bench.csv"
    csv.write_text("x,y,label\n" + "".join(f"{i},{i * 0.5},{'yes' if i % 2 else 'no'}\n" for i in range(200)))
    with httpx.Client(base_url=base, timeout=10.0) as client:
        raw = client.post("/3/ImportFiles", params={"path": str(csv)}).raise_for_status().json()["destination_frames"]
        setup = client.post("/3/ParseSetup", params={"source_frames": json.dumps(raw)}).raise_for_status().json()
        params: dict[str, str] = {k: str(setup[k]) for k in ("parse_type", "separator", "number_columns", "chunk_size")}
        params["check_header"] = str(setup["check_header"])
        params.update({k: json.dumps(setup[k]) for k in ("column_names", "column_types")})
        params.update(source_frames=json.dumps(raw), destination_frame="bench.hex", delete_on_done="true")
        job = client.post("/3/Parse", params=params).raise_for_status().json()["job"]
    return str(job["key"]["name"])


def probe(url: str) -> tuple[int, int, str]:
    """One GET: its status, body size and a short description of the body."""
    response = httpx.get(url, timeout=10.0)
    summary = response.text[:80]
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and body.get("jobs"):
            job = body["jobs"][0]
            summary = f"job {job.get('status')} progress {job.get('progress', 0):.3f}"
    return response.status_code, len(response.content), summary


def sequential_ms(url: str, count: int = 10) -> float:
    """Median milliseconds of ``count`` back-to-back GETs on one keep-alive connection: the no-load latency."""
    with httpx.Client(timeout=10.0) as client:
        client.get(url)
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(targets: list[tuple[str, str]], args: argparse.Namespace) -> list[Figures]:
    """Run the Python client on every target in ``--slices`` slices, order reversed each slice (ABBA), merged."""
    slices = args.slices
    duration, cap = args.duration / slices, -(-args.max_requests // slices)
    loads: dict[str, list[Load]] = {name: [] for name, _ in targets}
    pool = None if args.in_process else multiprocessing.get_context("spawn").Pool(1)
    try:
        for i in range(slices):
            for name, url in targets if i % 2 == 0 else targets[::-1]:
                if pool is None:
                    loads[name].append(drive(url, args.threads, duration, cap))
                else:
                    job = pool.apply_async(drive, (url, args.threads, duration, cap))
                    loads[name].append(job.get(timeout=duration + 120))
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return [figures(name, merge(parts)) for name, parts in loads.items()]


def merge(parts: list[Load]) -> Load:
    """One Load out of several slices: latencies pooled, errors and measured seconds summed."""
    merged = Load()
    for part in parts:
        merged.latencies.extend(part.latencies)
        merged.errors += part.errors
        merged.elapsed += part.elapsed
        merged.first_error = merged.first_error or part.first_error
    return merged


WRK_LINE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(target: str, url: str, args: argparse.Namespace, workdir: Path) -> list[str] | None:
    """Measure ``url`` with wrk, stopping each wrk thread at its share of ``--max-requests``; None on failure."""
    exe = shutil.which("wrk")
    if exe is None:
        return None
    per_thread = max(1, args.max_requests // args.wrk_threads)
    script = workdir / "cap.lua"
    script.write_text(
        "local n = 0\n"
        "function response(status, headers, body)\n"
        f"  n = n + 1\n  if n >= {per_thread} then wrk.thread:stop() end\n"
        "end\n"
    )
    connections = max(args.threads, args.wrk_threads)
    cmd = [exe, f"-t{args.wrk_threads}", f"-c{connections}", f"-d{args.duration:g}s", "--latency", "-s", str(script)]
    try:
        out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=args.duration + 30, check=True).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"wrk failed on {target}: {exc}")
        return None
    pct = {m[1]: float(m[2]) * UNIT_MS[m[3]] for m in (WRK_LINE.match(line) for line in out.splitlines()) if m}
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if not (total and rps and {"50", "90", "99"} <= pct.keys()):
        print(f"wrk output on {target} not understood:\n{out}")
        return None
    failures = (bad[1] if bad else "0") + (f" ({errors[1]})" if errors else "")
    seconds = float(total[2]) * UNIT_MS[total[3]] / 1000
    row = [target, total[1], failures, f"{seconds:.2f}", f"{float(rps[1]):.0f}"]
    return [*row, *(f"{pct[p]:.2f}" for p in ("50", "90", "99"))]


def stack() -> str:
    """Which uvicorn, event loop and HTTP parser serve the apps."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {uvicorn.__version__} (1 worker, loop {loop}, http {parser}), httpx {httpx.__version__}"


def main(argv: list[str] | None = None) -> int:
    """Serve both apps, measure them one after the other with the same client, and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads / connections (default 4)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per target and client (default 5)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap per target and client (default 50000)")
    parser.add_argument("--slices", type=int, default=2, help="split each duration in slices run ABBA (default 2)")
    parser.add_argument("--in-process", action="store_true", help="run the Python client in this process's threads")
    parser.add_argument("--no-wrk", action="store_true", help="skip wrk even when it is installed")
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: leave a core to the server)"
    )
    args = parser.parse_args(argv)
    if min(args.threads, args.max_requests, args.wrk_threads, args.slices) < 1 or args.duration <= 0:
        parser.error("--threads, --max-requests, --wrk-threads and --slices must be >= 1 and --duration > 0")

    print("GET /3/Jobs/{id} on the H2O-3 mock vs a bare Starlette JSON endpoint, on loopback")
    print(machine())
    print(stack())
    where = "this process's threads (sharing the servers' GIL)" if args.in_process else "a separate process"
    print(
        f"python client: {args.threads} threads x keep-alive httpx.Client in {where}; "
        f"{args.duration:g} s or {args.max_requests} requests per target, in {args.slices} slice(s) "
        "alternating the order of the targets"
    )
    print("note: client and server share this machine's cores (nproc above), so these figures are a floor.")
    print(f"load average before: {_loadavg()}")

    # a parse that runs for an hour: every poll in the run sees a RUNNING job with a moving progress
    timings = H2O3Timings(parse=JobTiming(queued=0.0, running=3600.0))
    state = H2O3MockState(clock=MonotonicClock(), timings=timings)
    with tempfile.TemporaryDirectory() as tmp, serve(make_app(state)) as mock, serve(bare_app()) as bare:
        job_id = running_job(mock.url, Path(tmp))
        targets = [("mock /3/Jobs/{id}", f"{mock.url}/3/Jobs/{job_id}"), ("bare /ping", f"{bare.url}/ping")]
        for name, url in targets:
            status, size, summary = probe(url)
            print(f"{name}: HTTP {status}, {size} bytes ({summary})")
            if status != 200:
                print(f"error: {name} answered HTTP {status}; nothing to measure")
                return 1
        idle = {name: sequential_ms(url) for name, url in targets}
        print("one request at a time, no load: " + ", ".join(f"{n} {ms:.2f} ms" for n, ms in idle.items()))
        if min(idle.values()) >= STALL_MS:
            print(
                f"warning: even the bare endpoint takes >= {STALL_MS:g} ms with no load: responses are waiting for "
                "a delayed ACK (Nagle), i.e. the served socket lacks TCP_NODELAY. Every figure below is bound by that "
                "stall, not by the apps; see benchmarks/README.md."
            )

        rows = measure(targets, args)
        print("\npython client (latency in ms)")
        headers = ["target", "requests", "errors", "seconds", "rps", "p50", "p95", "p99"]
        print(table(headers, [_row(f) for f in rows]))
        mock_fig, bare_fig = rows
        print(
            f"mock / bare: rps {_ratio(mock_fig.rps, bare_fig.rps)}, p50 {_ratio(mock_fig.p50_ms, bare_fig.p50_ms)}, "
            f"p99 {_ratio(mock_fig.p99_ms, bare_fig.p99_ms)}"
        )
        for fig, load_name in zip(rows, ("mock", "bare"), strict=True):
            if fig.errors:
                print(f"warning: {fig.errors} failed requests on {load_name}")

        if args.no_wrk:
            print("\nwrk: skipped (--no-wrk)")
        elif shutil.which("wrk") is None:
            print("\nwrk: not installed, skipped (apt-get install -y wrk)")
        else:
            wrk_rows = [r for name, url in targets if (r := wrk(name, url, args, Path(tmp))) is not None]
            print(
                f"\nwrk -t{args.wrk_threads} -c{max(args.threads, args.wrk_threads)} -d{args.duration:g}s "
                "(latency in ms; wrk reports p90, not p95)"
            )
            print(table(["target", "requests", "non-2xx", "seconds", "rps", "p50", "p90", "p99"], wrk_rows))
            if len(wrk_rows) == 2:
                (m, b) = (float(wrk_rows[0][4]), float(wrk_rows[1][4]))
                print(f"mock / bare: rps {_ratio(m, b)}, p50 {_ratio(float(wrk_rows[0][5]), float(wrk_rows[1][5]))}")
        print(f"\njob still {probe(targets[0][1])[2]}; requests the mock recorded (bounded log): {len(state.requests)}")
        print(f"load average after: {_loadavg()}")
    return 0


def _row(f: Figures) -> list[str]:
    return [
        f.target,
        str(f.requests),
        str(f.errors),
        f"{f.seconds:.2f}",
        f"{f.rps:.0f}",
        f"{f.p50_ms:.2f}",
        f"{f.p95_ms:.2f}",
        f"{f.p99_ms:.2f}",
    ]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


if __name__ == "__main__":
    sys.exit(main())
