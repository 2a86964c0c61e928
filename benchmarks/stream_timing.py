"""How well the streaming readers time a stream: TTFT and inter-chunk gaps as measured, beside the served schedule.

Run: ``python benchmarks/stream_timing.py [--ttft 0.2] [--gap 0.02] [--tokens 40] [--concurrency 1,50] [--quick]``.

A Starlette app in a spawned subprocess (its own GIL) serves JSONL and SSE streams on loopback that
follow a known schedule: the first token ``--ttft`` seconds after the request reached the handler,
then one every ``--gap`` seconds, then the closing line one gap later (so every gap between data
events should equal ``--gap``). ``JsonlStream`` / ``ChatCompletionStream`` read them from N client threads at
once, each with its own warm keep-alive ``httpx.Client``, released together by a barrier.

Figures, in milliseconds, over every stream (TTFT) and every gap of every stream:

* ``ttft err``: measured time to first token minus the scheduled ttft (it includes the request's
  trip to the handler, which the schedule does not);
* ``gap err``: measured gap minus the scheduled gap;
* ``lag``: arrival of an event minus the moment the server stamped it as written (same host, both
  ``time.perf_counter()``, i.e. CLOCK_MONOTONIC on Linux): what the reader adds, and the network;
* ``late``: the server's own lateness, stamped minus scheduled: the part of the error that is the
  server's, not the reader's;
* ``trip``: the handler's start minus the request's send: the part of the TTFT error spent before
  the schedule began (client threads sending, the server accepting and parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from _table import machine, table

from h2oharness.apis.h2ogpte.openai_streams import ChatCompletionStream
from h2oharness.http.streaming import JsonlStream, SseStream, open_stream, percentile

KINDS = ("jsonl", "sse")
MAX_STREAMS = 500  # a bound on every run, whatever the settings
MAX_TOKENS = 10_000


def make_app() -> Any:
    """The scheduled streaming endpoints: ``/jsonl`` and ``/sse`` with ``ttft``, ``gap`` and ``n`` query parameters."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def schedule(request: Request, kind: str) -> Any:
        start = time.perf_counter()
        ttft, gap = float(request.query_params["ttft"]), float(request.query_params["gap"])
        count = min(int(request.query_params["n"]), MAX_TOKENS)
        for index in range(count + 1):  # count tokens, then the closing line one gap later
            due = start + ttft + index * gap
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = {"start": start, "due": due, "sent": time.perf_counter()}
            last = index == count
            if kind == "jsonl":
                line = {"body": "" if last else f"t{index} ", "finished": last, **stamp}
                if last:
                    line["message_id"] = "bench"
                yield json.dumps(line) + "\n"
            else:
                delta = {} if last else {"content": f"t{index} "}
                chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if last else None}], **stamp}
                yield f"data: {json.dumps(chunk)}\n\n" + ("data: [DONE]\n\n" if last else "")

    async def jsonl(request: Request) -> Response:
        return StreamingResponse(schedule(request, "jsonl"), media_type="application/jsonl")

    async def sse(request: Request) -> Response:
        return StreamingResponse(schedule(request, "sse"), media_type="text/event-stream")

    async def ping(request: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route("/jsonl", jsonl), Route("/sse", sse), Route("/ping", ping)])


def serve_in_child(urls: Any, stop: Any) -> None:
    """Child process: serve the app on loopback, report its URL, and run until ``stop`` is set (or 10 minutes)."""
    from h2oharness.mocks.serve import serve

    with serve(make_app()) as served:
        urls.put(served.url)
        stop.wait(600)


@dataclass
class Run:
    """What one (kind, concurrency) run measured."""

    kind: str
    streams: int
    ttft_errors: list[float] = field(default_factory=list)
    gap_errors: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    trips: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_streams(url: str, kind: str, streams: int, args: argparse.Namespace) -> Run:
    """Read ``streams`` streams of ``kind`` at once, one thread and one warm client each."""
    result = Run(kind, streams)
    lock = threading.Lock()
    barrier = threading.Barrier(streams)
    query = {"ttft": args.ttft, "gap": args.gap, "n": args.tokens}
    warm = {"ttft": 0, "gap": 0.001, "n": 1}
    reader: type[JsonlStream | SseStream] = JsonlStream if kind == "jsonl" else ChatCompletionStream
    bound = args.ttft + args.gap * (args.tokens + 1) + 30.0

    def one() -> None:
        with httpx.Client(base_url=url, timeout=bound) as client:
            try:
                # warm up before the clock starts: connection open, and the server's stream path run once
                client.get("/ping")
                with open_stream(client, "GET", f"/{kind}", reader=reader, params=warm) as warm_up:
                    warm_up.read()
                barrier.wait(timeout=60)
                with open_stream(client, "GET", f"/{kind}", reader=reader, params=query, deadline=bound) as stream:
                    events = stream.read()
            except (Exception, threading.BrokenBarrierError) as exc:  # a figure, not a crash: count and go on
                with lock:
                    result.failures.append(f"{type(exc).__name__}: {exc}")
                return
        stats = stream.stats
        with lock:
            if stats.time_to_first_token is not None:
                result.ttft_errors.append(stats.time_to_first_token - args.ttft)
            result.gap_errors += [gap - args.gap for gap in stats.gaps]
            # event.at counts from the send; the server's stamps are absolute perf_counter readings
            result.lateness += [event.data["sent"] - event.data["due"] for event in events]
            result.trips.append(events[0].data["start"] - stream.sent_at)
            result.lags += [stream.sent_at + event.at - event.data["sent"] for event in events]

    threads = [threading.Thread(target=one, name=f"stream-{i}", daemon=True) for i in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=bound + 60)
    return result


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.2f}" if values else "-"


def main(argv: list[str] | None = None) -> int:
    """Parse options, serve the schedule in a child process, read it at each concurrency, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ttft", type=float, default=0.2, help="scheduled time to first token, s (default 0.2)")
    parser.add_argument("--gap", type=float, default=0.02, help="scheduled gap between tokens, s (default 0.02)")
    parser.add_argument("--tokens", type=int, default=40, help="tokens per stream (default 40)")
    parser.add_argument("--concurrency", default="1,50", help="concurrent streams, comma-separated (default 1,50)")
    parser.add_argument("--kinds", default="jsonl,sse", help="jsonl, sse or both (default both)")
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run for smoke tests: ttft 0.02, gap 0.005, 5 tokens"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.ttft, args.gap, args.tokens = 0.02, 0.005, 5
    try:
        levels = [int(v) for v in args.concurrency.split(",") if v.strip()]
    except ValueError:
        parser.error(f"--concurrency must be integers, got {args.concurrency!r}")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if unknown := sorted(set(kinds) - set(KINDS)):
        parser.error(f"unknown kind(s) {','.join(unknown)}; choose from {','.join(KINDS)}")
    if not levels or any(not 1 <= n <= MAX_STREAMS for n in levels):
        parser.error(f"--concurrency values must be within 1..{MAX_STREAMS}")
    if not 1 <= args.tokens <= MAX_TOKENS or args.ttft < 0 or args.gap <= 0:
        parser.error(f"need 1 <= --tokens <= {MAX_TOKENS}, --ttft >= 0 and --gap > 0")

    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    child = context.Process(target=serve_in_child, args=(urls, stop), daemon=True)
    child.start()
    try:
        url = urls.get(timeout=60)
    except Exception:
        child.kill()
        print("error: the streaming server did not start within 60 s", file=sys.stderr)
        return 1
    try:
        runs = [run_streams(url, kind, n, args) for kind in kinds for n in levels]
    finally:
        stop.set()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()

    print("stream timing: the readers' TTFT and inter-chunk gaps vs the schedule the server followed, on loopback")
    print(machine())
    print(
        f"schedule: first token {args.ttft * 1000:.0f} ms after the request reaches the handler, then one every "
        f"{args.gap * 1000:.1f} ms, {args.tokens} tokens + a closing line; server in a spawned process"
    )
    print(
        "errors in ms: measured minus scheduled; lag = arrival minus the server's write stamp; "
        "late = stamp minus due; trip = handler start minus send"
    )
    print()
    rows = [
        [
            run.kind,
            run.streams,
            len(run.failures),
            ms(run.ttft_errors, 50),
            ms(run.ttft_errors, 99),
            ms(run.gap_errors, 50),
            ms(run.gap_errors, 99),
            ms(run.lags, 50),
            ms(run.lags, 99),
            ms(run.lateness, 99),
            ms(run.trips, 50),
            ms(run.trips, 99),
        ]
        for run in runs
    ]
    headers = ["kind", "streams", "failed", "ttft err p50", "ttft err p99", "gap err p50", "gap err p99"]
    print(table([*headers, "lag p50", "lag p99", "late p99", "trip p50", "trip p99"], rows))
    for run in runs:
        for failure in sorted(set(run.failures))[:3]:
            print(f"note: {run.kind} x{run.streams}: {failure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
