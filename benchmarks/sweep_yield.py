"""Distinct defects per hour of our budgeted sweep beside a plain schemathesis run of the same budget, on H2O-3.

Run from anywhere: ``python benchmarks/sweep_yield.py [--budget 30m] [--sequential] [--target local|mock]``.

- ours: ``h2oharness run --target local --api h2o3 --all-operations --budget B`` (its own node, restarted by
  the sweep when a request kills it, as often as needed; crash replays off, so that the budget is all it
  spends);
- plain: ``schemathesis run`` on the same contract (the destructive operations left out of it, as ours leaves
  them out), default options and ``--max-time B``, against a node this script starts with
  ``h2oharness/apis/h2o3/local.py`` and watches: when the node stops answering, the watchdog logs the request
  that killed it (the first one left without an answer after the last answer, else the last answered one)
  and restarts it on the same port. Schemathesis ends a run when the server stops responding: after the
  restart it is run again for what is left of the budget (a fresh random seed, its default).

Both runs load the same schemathesis hooks (``benchmarks/_yield_hooks.py``): every answer and every request
without one goes to a log, and each 5xx is named by its throw site the way the report names it
(``h2oharness.report.defects.signature_of``: an ``H2OErrorV3`` body's exception type and first stack frame).
A node death's root cause is the throw site the node logged with its FATAL line (``report/defects.fatal_of``;
ours reads it from its crash records), else the operation of the request that killed it. Distinct defects are distinct
throw sites plus distinct root causes; per hour is over the budget (the same for both).
By default both run at once, on two nodes; ``--sequential`` runs ours, then plain (one node at a time).
``--target mock`` runs both against the H2O-3 mock (no Java needed; nothing dies there), ``--paths REGEX``
keeps only the matching paths of the document (both runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from _table import machine, table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from h2oharness.budget import parse_budget  # noqa: E402
from h2oharness.report.defects import fatal_of  # noqa: E402
from h2oharness.sweep import health_failure, load_destructive  # noqa: E402

HOOKS = Path(__file__).resolve().parent / "_yield_hooks.py"
#: seconds past the budget at which a run is stopped (TERM, then KILL): its start, report and last request
MARGIN = 180.0
HEALTH = "/3/Cloud"
#: log lines scanned back for the FATAL line (the shutdown's own lines come after it)
FATAL_SCAN = 2000
GOAL = 1.2


@dataclass
class Death:
    """A node death the watchdog saw: when, and the request that killed it."""

    at: float
    operation: str
    curl: str = ""
    #: the FATAL line's throw site in the node's log (report/defects.fatal_of), where the log has one
    site: str | None = None


@dataclass
class Outcome:
    """What one run sent and found."""

    name: str
    seconds: float = 0.0
    answered: int = 0
    unanswered: int = 0
    sites: set[str] = field(default_factory=set)
    deaths: list[Death] = field(default_factory=list)
    note: str = ""

    @property
    def causes(self) -> set[str]:
        """Distinct root causes of the node deaths: the throw site the node logged with its FATAL line, else the
        operation of the request that killed it (one root cause reached through many routes is one)."""
        return {d.site or d.operation for d in self.deaths}

    @property
    def defects(self) -> int:
        """Distinct defects: throw sites of 5xx answers and root causes of node deaths."""
        return len(self.sites) + len(self.causes)

    def per_hour(self, budget: float) -> float:
        """Distinct defects per hour of the budget both runs were given."""
        return self.defects / (budget / 3600) if budget > 0 else 0.0


def read_log(path: Path) -> list[dict[str, Any]]:
    """The hook log's entries; a torn last line is dropped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def tally(outcome: Outcome, entries: list[dict[str, Any]]) -> None:
    """Requests answered and not, and the distinct 5xx throw sites, from a hook log."""
    outcome.answered = sum(1 for e in entries if e.get("status"))
    outcome.unanswered = sum(1 for e in entries if not e.get("status"))
    outcome.sites = {str(e["site"]) for e in entries if e.get("site")}


def killer(entries: list[dict[str, Any]], before: float) -> Death:
    """The request that killed a node found down at ``before``: the first one left without an answer after the
    last answer, else the last answered one (a node that dies a while after answering)."""
    seen = [e for e in entries if e["t"] <= before]
    last_answer = max((i for i, e in enumerate(seen) if e.get("status")), default=-1)
    unanswered = [e for e in seen[last_answer + 1 :] if not e.get("status")]
    chosen = unanswered[0] if unanswered else (seen[last_answer] if last_answer >= 0 else None)
    if chosen is None:
        return Death(before, "(nothing sent yet)")
    return Death(before, str(chosen["op"]), str(chosen.get("curl") or chosen.get("sent") or ""))


def document(target_dir: Path, paths: str | None) -> Path:
    """The H2O-3 contract without its destructive operations (and with only ``paths``, when given)."""
    # the C loader when there is one: the pure-Python one takes seconds over H2O-3's document
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load((ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text(), Loader=loader)  # noqa: S506
    destructive = load_destructive(ROOT / "contracts" / "h2o3" / "destructive.yaml")
    kept: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        if paths and not re.search(paths, path):
            continue
        methods = {m: op for m, op in item.items() if (m.upper(), path) not in destructive}
        if methods:
            kept[path] = methods
    doc["paths"] = kept
    # links to operations left out would make the document invalid for schemathesis's stateful phase and our flow
    ids = {op.get("operationId") for item in kept.values() for op in item.values() if isinstance(op, dict)}
    for item in kept.values():
        for op in item.values():
            for response in (op.get("responses") or {}).values() if isinstance(op, dict) else ():
                links = response.get("links") or {}
                for name in [n for n, link in links.items() if link.get("operationId") not in ids]:
                    del links[name]
    out = target_dir / "openapi.yaml"
    out.write_text(yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    return out


@contextlib.contextmanager
def node(kind: str) -> Iterator[Any]:
    """A server for the plain run: a local H2O-3 node (stopped at the end), or the mock served on loopback."""
    if kind == "mock":
        from h2oharness.apis import get_api
        from h2oharness.targets import serve_mock

        with serve_mock(get_api("h2o3")) as target:
            yield target
        return
    from h2oharness.apis.h2o3.local import start_local_h2o3

    server = start_local_h2o3()
    try:
        yield server
    finally:
        server.stop()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _run(cmd: list[str], env: dict[str, str], limit: float, out: Path) -> tuple[float, int]:
    """Run ``cmd`` in its own process group, stopped after ``limit`` seconds; its wall seconds and exit code.

    It runs in the folder of its output: ``schemathesis run`` keeps a crash cache (``.schemathesis/``) in its
    working directory, which must not land in the checkout.
    """
    started = time.monotonic()
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            cmd, cwd=out.parent, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(proc)
            code = -signal.SIGTERM
    return time.monotonic() - started, code


def _env(log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env["SCHEMATHESIS_HOOKS"] = str(HOOKS)
    env["SWEEP_YIELD_LOG"] = str(log)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


def ours(work: Path, spec: Path, budget: float, kind: str) -> Outcome:
    """Our budgeted sweep; node deaths from its own crash records."""
    log, report = work / "ours.jsonl", work / "ours-report"
    cmd = [sys.executable, "-m", "h2oharness.cli", "run", "--target", kind, "--api", "h2o3", "--all-operations"]
    cmd += ["--budget", f"{budget:g}s", "--report-dir", str(report), "--spec", f"h2o3={spec}", "--suite-dir", str(ROOT)]
    # as many restarts as the plain run's watchdog makes (the sweep's default is 3 a session)
    env = {**_env(log), "HARNESS_CONFIRM_REPLAYS": "0", "HARNESS_MAX_RESTARTS": "1000"}
    seconds, code = _run(cmd, env, budget + MARGIN, work / "ours.out")
    outcome = Outcome("ours")
    entries = read_log(log)
    tally(outcome, entries)
    outcome.seconds = (entries[-1]["t"] - entries[0]["t"]) if len(entries) > 1 else seconds
    progress = report / "progress.jsonl"
    lines = [json.loads(x) for x in progress.read_text().splitlines() if x.strip()] if progress.is_file() else []
    crashes = {c["crash"]["id"]: c["crash"] for c in lines if "crash" in c}
    outcome.deaths = [
        Death(
            0.0,
            f"{c['method']} {c['path']}",
            (c.get("failure") or {}).get("curl") or "",
            (c.get("failure") or {}).get("throw_site"),
        )
        for c in crashes.values()
    ]
    outcome.note = f"exit {code}" + ("" if (report / "conformance.json").is_file() else ", no report")
    return outcome


def plain(work: Path, spec: Path, budget: float, kind: str) -> Outcome:
    """``schemathesis run`` with default options and ``--max-time``; a watchdog restarts a node that dies.

    Schemathesis ends its run when the server stops responding: after a restart, it is run again for what is
    left of the budget (a fresh random seed, as its defaults have it), until the budget is spent.
    """
    log = work / "plain.jsonl"
    outcome = Outcome("plain")
    codes: list[int] = []
    with node(kind) as server:
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(2.0):
                if health_failure(server.url, HEALTH, timeout=10.0) is None:
                    continue
                if stop.is_set() or not hasattr(server, "restart"):
                    continue
                death = killer(read_log(log), time.time())
                fatal = fatal_of(server.log_tail(FATAL_SCAN)) if hasattr(server, "log_tail") else None
                death.site = fatal[1] if fatal else None
                outcome.deaths.append(death)
                print(f"[plain] node down; killed by {death.operation}: {death.curl[:300]}", file=sys.stderr)
                server.restart()

        watchdog = threading.Thread(target=watch, daemon=True)
        watchdog.start()
        deadline = time.monotonic() + budget
        # the first run always; another one only when a fair share of the budget is left
        while (left := deadline - time.monotonic()) >= (5 if codes else 0):
            if health_failure(server.url, HEALTH, timeout=10.0) is not None:
                time.sleep(2.0)  # the watchdog is restarting the node
                continue
            cmd = [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--url", server.url]
            cmd += ["--max-time", str(max(1, round(left)))]
            _, code = _run(cmd, _env(log), left + MARGIN, work / f"plain-{len(codes) + 1}.out")
            codes.append(code)
        stop.set()
        watchdog.join(timeout=180)
    entries = read_log(log)
    tally(outcome, entries)
    outcome.seconds = (entries[-1]["t"] - entries[0]["t"]) if len(entries) > 1 else 0.0
    outcome.note = f"{len(codes)} runs, exit {', '.join(str(c) for c in codes) or '-'}"
    return outcome


def render(budget: float, results: list[Outcome], concurrent: bool) -> str:
    """The side-by-side table and the ratio line."""
    a, b = results

    def ratio(x: float, y: float) -> str:
        return f"{x / y:.2f}x" if y else "-"

    per_hour = ratio(a.per_hour(budget), b.per_hour(budget))
    rows: list[list[object]] = [
        ["seconds sending", f"{a.seconds:.0f}", f"{b.seconds:.0f}", ratio(a.seconds, b.seconds)],
        ["requests answered", a.answered, b.answered, ratio(a.answered, b.answered)],
        ["requests without an answer", a.unanswered, b.unanswered, ratio(a.unanswered, b.unanswered)],
        ["distinct 5xx throw sites", len(a.sites), len(b.sites), ratio(len(a.sites), len(b.sites))],
        ["node deaths", len(a.deaths), len(b.deaths), ratio(len(a.deaths), len(b.deaths))],
        ["distinct death root causes", len(a.causes), len(b.causes), ratio(len(a.causes), len(b.causes))],
        ["distinct defects", a.defects, b.defects, ratio(a.defects, b.defects)],
        ["distinct defects per hour", f"{a.per_hour(budget):.1f}", f"{b.per_hour(budget):.1f}", per_hour],
    ]
    mode = "at once" if concurrent else "one after the other"
    lines = [
        f"budget {budget:g} s each, run {mode}; ours: {a.note}; plain: {b.note}; {machine()}",
        table(["figure", "ours", "plain", "ours/plain"], rows),
        "",
        f"ours/plain, distinct defects per hour: {per_hour} (goal >= {GOAL}x)",
        f"throw sites only ours found: {len(a.sites - b.sites)}; only plain found: {len(b.sites - a.sites)}",
    ]
    for outcome in results:
        for cause in sorted(outcome.causes):
            lines.append(f"{outcome.name}: node death root cause: {cause}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="30m", help="time budget of each run: 90s, 30m, 1h (default 30m)")
    parser.add_argument("--sequential", action="store_true", help="ours first, then plain (default: both at once)")
    parser.add_argument("--target", choices=("local", "mock"), default="local", help="a real local H2O-3 or the mock")
    parser.add_argument("--paths", default=None, help="only the document's paths matching this regex (both runs)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the logs and reports in this folder")
    args = parser.parse_args(argv)
    try:
        budget = parse_budget(args.budget)
    except Exception as exc:
        parser.error(str(exc))
    if args.target == "local":
        from h2oharness.apis.h2o3.local import preflight
        from h2oharness.errors import TargetUnavailable

        try:
            preflight()
        except TargetUnavailable as exc:
            print(f"sweep_yield: no local H2O-3: {exc}", file=sys.stderr)
            return 1
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="h2oharness-yield-")))
        spec = document(work, args.paths)
        if args.sequential:
            results = [ours(work, spec, budget, args.target), plain(work, spec, budget, args.target)]
        else:
            found: dict[str, Outcome] = {}
            threads = [
                threading.Thread(target=lambda: found.__setitem__("ours", ours(work, spec, budget, args.target))),
                threading.Thread(target=lambda: found.__setitem__("plain", plain(work, spec, budget, args.target))),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            results = [found["ours"], found["plain"]]
        if not any(r.answered for r in results):
            print("sweep_yield: neither run got an answer; see their output in --keep", file=sys.stderr)
            return 1
        print(render(budget, results, not args.sequential))
    return 0


if __name__ == "__main__":
    sys.exit(main())
