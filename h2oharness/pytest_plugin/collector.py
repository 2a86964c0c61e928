"""The report collector: every test's record (xdist workers' too) into progress.jsonl and the conformance report.

Registered on the controller when ``--harness-report-dir`` is given. Every record,
drift entry and crash is appended to ``progress.jsonl`` as it comes, so an
interrupted run can be resumed and reported whole; at the end, crashes are
replayed on fresh local servers (h2oharness/confirm.py) and the report is written.
When pytest's terminal is off (``-p no:terminal``, as ``h2oharness run`` runs it), the
collector is the terminal: a line per finished test on stderr, and collection errors.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from h2oharness.apis import get_api
from h2oharness.confirm import confirm_recorded_crash
from h2oharness.http.naming import documented_operations
from h2oharness.pytest_plugin.options import SETTINGS
from h2oharness.pytest_plugin.progress import PROGRESS, finished_line, read_progress
from h2oharness.pytest_plugin.recording import DRIFT, RECORD
from h2oharness.settings import api_secrets

if TYPE_CHECKING:
    from h2oharness.report.model import ApiReport, Conformance, Excluded


class ReportCollector:
    """Gathers the records of every test (xdist workers' too) and writes the conformance report at the end."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.records: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.crashes: list[dict[str, Any]] = []
        self.started = time.time()
        self.total = 0
        self.progress_lines = bool(config.stash[SETTINGS].all_operations or config.getoption("--harness-resume"))
        self.narrate = config.pluginmanager.is_blocked("terminal")
        self._began = self._shown = time.monotonic()
        # every record, drift entry and crash as it comes, so an interrupted run can be resumed and reported whole
        self.progress = report_dir / PROGRESS
        report_dir.mkdir(parents=True, exist_ok=True)
        if config.getoption("--harness-resume"):
            for line in read_progress(report_dir):
                self.records += [line["record"]] if "record" in line else []
                self.drift += [line["drift"]] if "drift" in line else []
                if "crash" in line:
                    self._keep_crash(line["crash"])
        else:
            self.progress.write_text("")
        self._resumed = len(self.records)

    def _say(self, line: str) -> None:
        """A line on the terminal: pytest's own when it has one, else stderr (the collector is the terminal)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")  # the dots of the tests so far have no line end of their own
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr, flush=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_setupnodes(self, specs: list[Any]) -> None:
        """Under xdist: say the workers are starting (each starts its own targets, which takes a while)."""
        if self.narrate:
            self._say(f"[h2oharness] starting {len(specs)} pytest workers and their targets...")

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under xdist: how many tests the run has (every worker collects them all)."""
        if self.narrate and not self.total:
            self._say(f"[h2oharness] {len(ids)} tests collected; a line per test as it finishes")
        self.total = max(self.total, len(ids))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: how many tests the run has."""
        if self.narrate and session.items:
            self._say(f"[h2oharness] {len(session.items)} tests collected; a line per test as it finishes")
        self.total = max(self.total, len(session.items))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A module that cannot be collected: with no pytest terminal, nobody else would say so."""
        if self.narrate and report.failed:
            text = str(report.longrepr).strip().splitlines()
            last = text[-1].removeprefix("E").strip() if text else "error"
            self._say(f"[h2oharness] cannot collect {report.nodeid}: {last}")

    def _show_progress(self) -> None:
        """For a sweep: a line every 25 tests or minute, with the crashes so far and an estimate of what is left."""
        if not self.progress_lines or not self.total:
            return
        # on resume, the tests done before are deselected: the total is what this run has left
        done, now = len(self.records) - self._resumed, time.monotonic()
        if done % 25 and now - self._shown < 60 and done != self.total:
            return
        self._shown = now
        spent = now - self._began
        left = spent / max(1, done) * max(0, self.total - done)
        before = f" (and {self._resumed} before the resume)" if self._resumed else ""
        line = (
            f"[h2oharness] {done}/{self.total} tests done{before}, {len(self.crashes)} server crashes, "
            f"{spent / 60:.1f} min so far"
        )
        # the first tests carry the servers' start: no estimate from them
        line += f", about {left / 60:.1f} min left" if done >= 10 else ""
        self._say(line)

    def _keep_crash(self, crash: dict[str, Any]) -> None:
        """Add a crash, or replace the one with the same id (a later line of progress.jsonl: its confirmation)."""
        for i, seen in enumerate(self.crashes):
            if crash.get("id") and seen.get("id") == crash.get("id"):
                self.crashes[i] = crash
                return
        self.crashes.append(crash)

    def confirm_crashes(self) -> None:
        """Replay every unconfirmed crash on fresh local servers and reduce it (h2oharness/confirm.py)."""
        budget = self.config.stash[SETTINGS].confirm_replays
        for crash in list(self.crashes):
            if budget <= 0 or crash.get("confirmed") is not None or not crash.get("request"):
                continue
            confirmed = confirm_recorded_crash(crash, budget)
            self._keep_crash(confirmed)
            self._save("crash", confirmed)

    def _save(self, kind: str, value: dict[str, Any]) -> None:
        with self.progress.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({kind: value}, default=str) + "\n")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record of each test's deciding phase, the drift it found and the requests that killed a server."""
        if report.when == "teardown":
            # every phase's entries are on the teardown report: the crash may be seen after the test, by the fixture
            from h2oharness.sweep import CRASH

            crashes = [dict(v) for k, v in report.user_properties if k == CRASH]  # type: ignore[call-overload]
            for crash in crashes:
                self._keep_crash(crash)
                self._save("crash", crash)
        deciding = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
        if not deciding:
            return
        found = next((v for k, v in report.user_properties if k == RECORD), None)
        if not isinstance(found, dict):
            if self.narrate and report.failed:
                # e.g. a worker that crashed: pytest's terminal would have shown it
                text = str(report.longrepr).strip().splitlines()
                self._say(f"[h2oharness] {report.nodeid}: {text[-1] if text else 'failed'}")
            return
        record: dict[str, Any] = found
        self.records.append(record)
        self._save("record", record)
        if self.narrate:
            self._say(finished_line(record, len(self.records) - self._resumed, self.total))
        self._show_progress()
        kind = (record.get("target") or {}).get("kind", "")
        for name, value in report.user_properties:
            if name == DRIFT and report.when == "call":
                entry = {"api": record["api"], "kind": kind, **value}  # type: ignore[dict-item]
                self.drift.append(entry)
                self._save("drift", entry)

    def build(self) -> Conformance:
        """The report's view model from what was collected: one API report per API and target kind."""
        from h2oharness.report.build import build_conformance

        # tests bound to no target (document checks) join each of their API's groups
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rec in self.records:
            if rec.get("target"):
                groups.setdefault((rec["api"], rec["target"]["kind"]), []).append(rec)
        for rec in self.records:
            if not rec.get("target"):
                kinds = [k for (a, k) in groups if a == rec["api"]] or [""]
                for kind in kinds:
                    groups.setdefault((rec["api"], kind), []).append(rec)
        apis = [self._api_report(slug, kind, recs) for (slug, kind), recs in sorted(groups.items())]
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started))
        return build_conformance(apis, _version(), started, time.time() - self.started, _secrets())

    def _api_report(self, slug: str, kind: str, recs: list[dict[str, Any]]) -> ApiReport:
        from h2oharness.report.build import OperationRecord, merge_operations
        from h2oharness.report.model import ApiReport, DriftEntry, Failure, ScenarioResult

        api = get_api(slug)
        spec = self.config.stash[SETTINGS].specs.get(api.env_prefix) or str(
            Path(str(self.config.rootpath)) / api.contract
        )
        ops = [
            OperationRecord(
                r["method"],
                r["path"],
                r["outcome"] == "passed",
                tuple(Failure(**f) for f in r["failures"]),
                r.get("cases", 0),
            )
            for r in recs
            if r["suite"] == "contract" and "method" in r and r["outcome"] != "skipped"
        ]
        # a request that killed the server: found by whichever test saw the outage, reported on its operation
        ops += [
            OperationRecord(c["method"], c["path"], False, (Failure(**c["failure"]),))
            for c in self.crashes
            if (c["api"], c["kind"]) == (slug, kind)
        ]
        scenarios = tuple(
            ScenarioResult(
                r["name"],
                r["outcome"],
                "; ".join(f["message"].splitlines()[0] for f in r["failures"] if f["message"])
                or r.get("skip_reason", "")
                or (r["error"] or ""),
                r["duration"],
                bool(r.get("known")),
            )
            for r in recs
            # flows and document checks inside contracts/ (stateful sequences, seed replays) read as scenarios
            if r["suite"] == "scenario" or "method" not in r
        )
        drift = {(d["source"], d["what"], d["expected"], d["observed"]) for d in self.drift if d["api"] == slug}
        target = next((r["target"] for r in recs if r.get("target")), None) or {}
        return ApiReport(
            slug=slug,
            title=api.title,
            target=kind or "none",
            target_url=target.get("url", ""),
            target_version=target.get("version", ""),
            operations=merge_operations(documented_operations(Path(spec)), ops),
            scenarios=scenarios,
            drift=tuple(DriftEntry(*d) for d in sorted(drift)),
            errors=tuple(sorted({r["error"] for r in recs if r.get("error")})),
            excluded=self._excluded(slug, kind),
        )

    def _excluded(self, slug: str, kind: str) -> tuple[Excluded, ...]:
        from h2oharness.report.model import Excluded
        from h2oharness.sweep import load_destructive

        if self.config.stash[SETTINGS].include_destructive:
            return ()
        path = Path(str(self.config.rootpath)) / "contracts" / slug / "destructive.yaml"
        return tuple(Excluded(m, p, why) for (m, p), why in sorted(load_destructive(path).items()))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write conformance.json and conformance.html; again after replaying the crashes, which takes a while."""
        from h2oharness.report.writers import write_all

        pending = any(c.get("confirmed") is None and c.get("request") for c in self.crashes)
        if pending:
            # an interrupted replay still leaves the sweep's report (and progress.jsonl to resume from)
            write_all(self.build(), self.report_dir, secrets=_secrets())
            self.confirm_crashes()
        write_all(self.build(), self.report_dir, secrets=_secrets())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("h2oharness")
    except PackageNotFoundError:
        return "0+unknown"


def _secrets() -> tuple[str, ...]:
    from h2oharness.apis import APIS

    return api_secrets([a.env_prefix for a in APIS.values()])
