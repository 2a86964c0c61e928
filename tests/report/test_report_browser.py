"""The two report pages in headless Chromium: no script errors, the new failures on the first screen, no overflow.

Reports are built by hand (no server). Chromium runs the page's own script, which
records where the new-failures section starts and how far the page overflows
sideways as attributes of ``<html>``; ``--dump-dom`` shows them after it ran.
Skipped where Chromium is not installed (``.ci/run`` tries to install it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from h2oharness.report.build import build_conformance
from h2oharness.report.loadsummary import EntryStats, LoadSummary, SeriesPoint
from h2oharness.report.model import ApiReport, Conformance, Failure, OperationResult, ScenarioResult
from h2oharness.report.writers import render_html, render_load_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
WIDTH, HEIGHT = 1280, 800
_LONG_JSON = '{"frames": [' + ", ".join(f'{{"frame_id": "{"f" * 40}{i}", "rows": {i}}}' for i in range(60)) + "]}"


def sample_report() -> Conformance:
    """Four APIs in alphabetical order, the one new failure in the last, behind 63 passed operations and known ones."""
    known = Failure(
        "ST101 Server error", "500 on a parse of an empty file", "curl -X POST http://127.0.0.1:41234/3/Parse", 3,
        'HTTP 500 application/json: {"exception_type": "java.lang.NullPointerException"}', None,
        "H2O-3 answers 500 on an empty parse (PUBDEV-0000)",
    )  # fmt: skip
    passed = tuple(OperationResult("GET", f"/3/Things{i:02d}/{{id}}", "passed", 7) for i in range(63))
    h2o3 = ApiReport(
        "h2o3", "H2O-3 REST", "mock", "http://127.0.0.1:41234",
        (*passed, OperationResult("POST", "/3/Parse", "failed", 12, (known,))), (), (), (), "3.46.0.12",
    )  # fmt: skip
    gpte = ApiReport(
        "h2ogpte", "h2oGPTe", "mock", "http://127.0.0.1:41235",
        tuple(OperationResult("GET", f"/api/v1/collections/{i}", "passed", 4) for i in range(20)), (), (),
    )  # fmt: skip
    new = Failure(
        "ST108 Response violates schema",
        "/items/0/id: 1234 is not of type 'string'\n\n" + _LONG_JSON,
        "curl -X GET -H 'Authorization: Bearer [REDACTED]' 'http://127.0.0.1:41237/v1/workflows?"
        + "&".join(f"filter{i}={'x' * 30}" for i in range(20))
        + "'",
        1,
        "HTTP 200 application/json: " + _LONG_JSON,
    )
    workflows = ApiReport(
        "workflows", "Workflows", "mock", "http://127.0.0.1:41237",
        (*(OperationResult("GET", f"/v1/a{i}", "passed", 5) for i in range(7)),
         OperationResult("GET", "/v1/workflows", "failed", 9, (new,)),
         *(OperationResult("GET", f"/v1/z{i}", "passed", 5) for i in range(40))),
        (ScenarioResult("create→run→delete", "passed", "", 2.5),), (),
    )  # fmt: skip
    coreplexml = ApiReport(
        "coreplexml", "CorePlexML", "mock", "http://127.0.0.1:41236",
        tuple(OperationResult("GET", f"/api/p{i}", "passed", 3) for i in range(30)), (), (),
    )  # fmt: skip
    return build_conformance([coreplexml, h2o3, gpte, workflows], "0.1.0", "2025-01-01T12:00:00Z", 62.5)


def sample_load() -> LoadSummary:
    """A load run with one latency series over ten seconds."""
    entry = EntryStats("GET", "/3/Jobs/{job_id}", 240, 0, 3, 9, 15, 21, 40, 5.0, 24.0)
    points = [SeriesPoint(float(t), 2, 3, 10 + t, 24, 4 + t, 24) for t in range(10)]
    return LoadSummary(
        "h2o3.polling", {"kind": "mock", "url": "http://127.0.0.1:1"}, {"users": 2, "run_time": 10.0}, (entry,), (),
        {"GET /3/Jobs/{job_id}": points},
    )  # fmt: skip


def _browse(page: Path, shot: Path | None = None) -> tuple[str, str]:
    """Chromium's DOM after the page's script ran, and what it logged (console messages included)."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--enable-logging=stderr",
        "--v=0", f"--window-size={WIDTH},{HEIGHT}", "--user-data-dir=" + str(page.parent / ".chromium"),
    ]  # fmt: skip
    command += [f"--screenshot={shot}"] if shot else ["--dump-dom"]
    done = subprocess.run([*command, page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def _attribute(dom: str, name: str) -> int:
    found = re.search(rf'<html[^>]*\s{name}="(-?\d+)"', dom)
    assert found, f"the page's script did not set {name}: it did not run"
    return int(found.group(1))


@needs_chromium
def test_conformance_page_opens_on_its_new_failures_without_errors_or_overflow(tmp_path: Path) -> None:
    page = tmp_path / "conformance.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    dom, log = _browse(page)
    assert not _console_errors(log), _console_errors(log)
    top = _attribute(dom, "data-new-failures-top")
    assert 0 <= top < HEIGHT * 0.75, f"the new failures start {top} px down a {HEIGHT} px screen"
    assert _attribute(dom, "data-overflow-x") == 0
    # the one new failure is listed before any passed row, and its API (alphabetically last) comes first
    assert dom.index('id="new-failures"') < dom.index('class="row row-passed"')
    assert dom.index('id="api-workflows"') < dom.index('id="api-coreplexml"')
    _browse(page, tmp_path / "conformance.png")
    assert (tmp_path / "conformance.png").stat().st_size > 0


@needs_chromium
def test_load_page_renders_its_plot_without_errors_or_overflow(tmp_path: Path) -> None:
    page = tmp_path / "load.html"
    page.write_text(render_load_html(sample_load()), encoding="utf-8")
    dom, log = _browse(page)
    assert not _console_errors(log), _console_errors(log)
    assert "<svg" in dom
    assert "latency (ms)" in dom
    assert "time (s)" in dom


@needs_chromium
def test_the_console_check_sees_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>notDefinedAnywhere();</script>", encoding="utf-8")
    _, log = _browse(page)
    assert any("Uncaught ReferenceError" in line for line in _console_errors(log)), log[-2000:]
