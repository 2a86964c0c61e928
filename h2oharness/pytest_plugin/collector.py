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
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from h2oharness.confirm import confirm_recorded_crash
from h2oharness.errors import HarnessError
from h2oharness.folders import CLAIMED_BY, claim, release
from h2oharness.http.redact import redact
from h2oharness.pytest_plugin.conformance import STOPPED, build_report, read_given_documents, report_secrets
from h2oharness.pytest_plugin.junit import add_not_run, carry_over, drop_nameless, read_earlier
from h2oharness.pytest_plugin.options import SETTINGS
from h2oharness.pytest_plugin.progress import PROGRESS, finished_line, read_progress, sweep_line
from h2oharness.pytest_plugin.recording import DRIFT, RECORD, api_of, property_entry
from h2oharness.runoptions import RUN, check_resume, recorded_options, run_options
from h2oharness.scrub import redact_json, scrub_file
from h2oharness.words import counted

if TYPE_CHECKING:
    from h2oharness.report.model import Conformance


class ReportCollector:
    """Gathers the records of every test (xdist workers' too) and writes the conformance report at the end."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.records: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.crashes: list[dict[str, Any]] = []
        #: (node id, last line of the error) of each module pytest could not collect: its tests never ran
        self.collect_errors: list[tuple[str, str]] = []
        #: the node id of every test the session has to run, to tell which did not when it is stopped
        self.collected: set[str] = set()
        self.started = time.time()
        #: the session's exit status, once it has one (pytest_sessionfinish)
        self.pytest_status = 0
        self.secrets = report_secrets()
        #: whether crashes are being replayed at the session's end: a stop's last call may cut that short
        self.replaying = False
        self.total = 0
        settings = config.stash[SETTINGS]
        self.progress_lines = bool(
            settings.all_operations or settings.budget is not None or config.getoption("--harness-resume")
        )
        self.narrate = config.pluginmanager.is_blocked("terminal")
        #: the reading of the documents given with --spec, for the report (pytest_sessionstart)
        self.reading: threading.Thread | None = None
        self._began = self._shown = time.monotonic()
        # every record, drift entry and crash as it comes, so an interrupted run can be resumed and reported whole
        self.progress = report_dir / PROGRESS
        #: on resume, the junit.xml of the sessions before this one
        self.earlier_junit: bytes | None = None
        #: (API, why) of each API whose tests a stop kept from running, for junit.xml
        self.not_run: list[tuple[str, str]] = []
        report_dir.mkdir(parents=True, exist_ok=True)
        if os.environ.get(CLAIMED_BY) != str(os.getppid()):  # else h2oharness run, our parent, holds it for us
            try:
                claim(report_dir, "run", "--harness-report-dir", "pytest")
            except HarnessError as exc:
                raise pytest.UsageError(str(exc)) from None
        # what defines the run, its first line: a resume with other options would report that run's tests as its own
        options = run_options(settings, config.args, Path(str(config.rootpath)), config.invocation_params.dir)
        if config.getoption("--harness-resume"):
            try:
                check_resume(report_dir, options)
            except HarnessError as exc:
                raise pytest.UsageError(str(exc)) from None
            if recorded_options(report_dir) is None:
                self._save(RUN, options)
            xmlpath = getattr(config.option, "xmlpath", None)
            # pytest writes junit.xml over with this session's tests alone: the earlier ones are carried over at the end
            self.earlier_junit = read_earlier(Path(xmlpath) if xmlpath else None)
            for line in read_progress(report_dir):
                # a test its target kept from running runs again: its new record replaces that one
                self.records += [line["record"]] if "record" in line and not line["record"].get("unrun") else []
                self.drift += [line["drift"]] if "drift" in line else []
                if "crash" in line:
                    self._keep_crash(line["crash"])
        else:
            self.progress.write_text("")
            self._save(RUN, options)
        self._resumed = len(self.records)

    def say(self, line: str) -> None:
        """A line on the terminal (pytest's, or stderr when the collector is the terminal)."""
        self._say(line)

    def _say(self, line: str) -> None:
        """A line on the terminal: pytest's own when it has one, else stderr (the collector is the terminal); a
        server's words in it (a failure's message) may echo a credential, masked as in every report."""
        line = redact(line, self.secrets)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")  # the dots of the tests so far have no line end of their own
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The documents given with ``--spec`` are read for the report from now on, while the tests run: read at the
        end, H2O-3's (2 MB, ~10 s on a busy machine) kept a stopped run that long past its ``--max-time``. In a
        thread, which a stop's last call (raised in the main thread) does not cut short."""
        self.reading = threading.Thread(
            target=read_given_documents, args=(self.config,), name="h2oharness-read-specs", daemon=True
        )
        self.reading.start()

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
        self.collected.update(ids)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: how many tests the run has."""
        if self.narrate and session.items:
            self._say(f"[h2oharness] {len(session.items)} tests collected; a line per test as it finishes")
        self.total = max(self.total, len(session.items))
        self.collected.update(item.nodeid for item in session.items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A module pytest cannot collect: an error of its API in the report; a line when pytest's terminal is off."""
        if not report.failed:
            return
        text = str(report.longrepr).strip().splitlines()
        last = text[-1].removeprefix("E").strip() if text else "error"
        self.collect_errors.append((report.nodeid, last))
        if self.narrate:
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
        budget = self.config.pluginmanager.get_plugin("h2oharness-budget")
        if budget is not None:
            line = sweep_line(
                done, 0, 0, len(self.crashes), now - self._began, budget.defects, budget.budget.left(), budget.round
            )
        else:
            line = sweep_line(done, self.total, self._resumed, len(self.crashes), now - self._began, self.defects())
        self._say(line)

    def defects(self) -> int:
        """Distinct defects among the failures recorded so far and the crashes, grouped as the report groups them."""
        from h2oharness.report.defects import group_defects
        from h2oharness.report.model import Failure

        failures = [
            (f"{r.get('method', '')} {r.get('path', r.get('name', ''))}", Failure(**f))
            for r in self.records
            for f in r.get("failures") or []
        ]
        failures += [(f"{c.get('method')} {c.get('path')}", Failure(**c["failure"])) for c in self.crashes]
        return len(group_defects(failures))

    def _keep_crash(self, crash: dict[str, Any]) -> None:
        """Add a crash, or replace the one with the same id (a later line of progress.jsonl: its confirmation)."""
        for i, seen in enumerate(self.crashes):
            if crash.get("id") and seen.get("id") == crash.get("id"):
                self.crashes[i] = crash
                return
        self.crashes.append(crash)

    def confirm_crashes(self) -> None:
        """Replay every unconfirmed crash on fresh local servers and reduce it (h2oharness/confirm.py), until the
        run is stopped: the stop's last call interrupts a replay under way (``replaying``)."""
        budget = self.config.stash[SETTINGS].confirm_replays
        pending = [c for c in self.crashes if c.get("confirmed") is None and c.get("request") and _replayable(c)]
        if budget > 0 and pending:
            # minutes of restarts after the last test's line: without a word, the run looked hung
            many = counted(len(pending), "crash", "crashes")
            self._say(
                f"[h2oharness] replaying {many} on fresh local servers to confirm and reduce "
                f"{'them' if len(pending) > 1 else 'it'} (at most {budget} replays each, HARNESS_CONFIRM_REPLAYS); "
                f"the report so far is written; Ctrl-C skips this"
            )
        self.replaying = True
        try:
            for crash in list(self.crashes):
                if self._stopped():
                    return
                if budget <= 0 or crash.get("confirmed") is not None or not crash.get("request"):
                    continue
                began = time.monotonic()
                confirmed = confirm_recorded_crash(crash, budget)
                self._keep_crash(confirmed)
                self._save("crash", confirmed)
                what = f"{confirmed.get('method', '')} {confirmed.get('path', '')}".strip()
                said = (confirmed.get("failure") or {}).get("reproduced") or "replayed"
                self._say(f"[h2oharness] crash {what}: {said} ({time.monotonic() - began:.0f} s)")
        except KeyboardInterrupt:
            return  # the crashes left unconfirmed say why in the report
        finally:
            self.replaying = False

    def _stopped(self) -> bool:
        """Whether the run was told to stop (a signal, or its deadline)."""
        stopping = self.config.pluginmanager.get_plugin("h2oharness-stopping")
        return bool(stopping is not None and stopping.stopped)

    def _save(self, kind: str, value: dict[str, Any]) -> None:
        # redacted as it is written: a run killed before its end leaves no secret behind either
        line = redact_json(json.loads(json.dumps({kind: value}, default=str)), self.secrets)
        with self.progress.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record of each test's deciding phase, the drift it found and the requests that killed a server."""
        if report.when == "teardown":
            # every phase's entries are on the teardown report: the crash may be seen after the test, by the fixture
            from h2oharness.sweep import CRASH, crash_entry

            crashes = [c for k, v in report.user_properties if k == CRASH and (c := crash_entry(v)) is not None]
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
        budget = self.config.pluginmanager.get_plugin("h2oharness-budget")
        if self.narrate and (budget is None or not budget.round):
            # a budgeted sweep's later rounds re-run the tests by the hundred: its progress lines tell of them
            self._say(finished_line(record, len(self.records) - self._resumed, self.total))
        self._show_progress()
        kind = (record.get("target") or {}).get("kind", "")
        for name, value in report.user_properties:
            if name == DRIFT and report.when == "call" and (drift := property_entry(value)) is not None:
                entry = {"api": record["api"], "kind": kind, **drift}
                self.drift.append(entry)
                self._save("drift", entry)

    def build(self) -> Conformance:
        """The report's view model from what was collected: one API report per API and target kind."""
        if self.reading is not None:
            self.reading.join()
        stopped = self._stopped()
        not_run = self.collected - {str(r.get("nodeid")) for r in self.records} if stopped else set()
        not_collected = (
            self._asked() - {api for nodeid in self.collected if (api := self._api(nodeid))} if stopped else set()
        )
        return build_report(
            self.config,
            self.records,
            self.drift,
            self.crashes,
            self.started,
            self.collect_errors,
            not_run,
            not_collected,
            self.pytest_status,
        )

    def _asked(self) -> set[str]:
        """The APIs whose tests the command line names (``h2oharness run`` names each API's folder and files)."""
        return {api for arg in self.config.args if (api := self._api(arg, self.config.invocation_params.dir))}

    def _api(self, nodeid: str, base: Path | None = None) -> str | None:
        """The API slug of a node id or a command-line path, if it is one of an API's test files or folders."""
        root = Path(str(self.config.rootpath)).resolve()
        found = api_of(root, ((base or root) / nodeid.split("::")[0]).resolve())
        return found[0] if found else None

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """junit.xml (pytest writes it at the session's end, from the failures' text) scrubbed of secrets too."""
        xmlpath = getattr(config.option, "xmlpath", None)
        if xmlpath:
            drop_nameless(Path(xmlpath))
        if xmlpath and self.earlier_junit is not None:
            carry_over(self.earlier_junit, Path(xmlpath))
        if xmlpath:
            add_not_run(Path(xmlpath), self.not_run)
        if xmlpath:
            scrub_file(Path(xmlpath), self.secrets)
        release(self.report_dir, "run")  # a session run in this process after this one may write the folder

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write conformance.json and conformance.html; again after replaying the crashes, which takes a while.

        First of the session's ends: xdist's waits for its workers to end (up to its timeout) after it. A stopped
        run replays no crash: it was asked to end, and a resumed run replays them.
        """
        from h2oharness.report.writers import write_all

        self.pytest_status = int(session.exitstatus)  # pytest sets it before this hook
        pending = any(c.get("confirmed") is None and c.get("request") for c in self.crashes)
        if pending and not self._stopped():
            # a replay cut short still leaves the sweep's report (and progress.jsonl to resume from)
            write_all(self.build(), self.report_dir, secrets=report_secrets())
            self.confirm_crashes()
        if self._stopped():
            self.crashes = [_not_replayed(c) for c in self.crashes]
        report = self.build()
        write_all(report, self.report_dir, secrets=report_secrets())
        if self._stopped():
            self.not_run = [(api.slug, e) for api in report.apis for e in api.errors if e.startswith(STOPPED)]


def _not_replayed(crash: dict[str, Any]) -> dict[str, Any]:
    """A crash left unconfirmed by a stopped run, saying so in the report (progress.jsonl keeps it to replay)."""
    if crash.get("confirmed") is not None or not crash.get("request"):
        return crash
    failure = {**crash["failure"], "reproduced": "not replayed: the run was stopped (a resumed run replays it)"}
    return {**crash, "failure": failure}


def _replayable(crash: dict[str, Any]) -> bool:
    """Whether the harness can start a fresh server of the crash's API to replay it on (H2O-3 only): the others'
    crashes are said "not replayed" at once, not announced as minutes of replays on fresh local servers."""
    from h2oharness.apis import get_api

    try:
        return get_api(str(crash.get("api"))).local is not None
    except HarnessError:
        return False
