"""The budgeted sweep end to end on the H2O-3 mock: it ends with the report, sends more than the default run, and
ends cleanly when the target dies for good.

Each test runs an inner pytest session of the real H2O-3 contract module over a small document (three read
operations), so that rounds come quickly. The inner sessions' budget runs on a counting clock (each look at it
is 10 ms), so what they send does not depend on how fast or busy the machine is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("/3/Cloud", "/3/Jobs/{job_id}", "/3/Models/{model_id}")

COUNTING_CLOCK = '''
import itertools

from h2oharness.pytest_plugin import budgeted

_ticks = itertools.count()


class CountingBudget(budgeted.Budget):
    """A budget whose clock moves 10 ms each time it is read: the contract test reads it once per case."""

    def __init__(self, seconds):
        super().__init__(seconds, clock=lambda: next(_ticks) * 0.01)


budgeted.Budget = CountingBudget
'''

DYING_CONFTEST = (
    COUNTING_CLOCK
    + '''
import contextlib
import threading

import pytest

from h2oharness.apis.h2o3 import mock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

DIES_AFTER = 60


@pytest.fixture(scope="session")
def h2o3_mock():
    """The H2O-3 mock, which stops listening for good after its DIES_AFTER-th request."""
    state = mock.default_state()
    app = mock.make_app(state)
    seen = [0]
    died = threading.Event()

    async def dying(scope, receive, send):
        if scope["type"] == "http":
            seen[0] += 1
            if seen[0] == DIES_AFTER:
                died.set()
        await app(scope, receive, send)

    with contextlib.ExitStack() as stack:
        served = stack.enter_context(serve(dying))
        threading.Thread(target=lambda: (died.wait(), stack.close()), daemon=True).start()
        yield Target("mock", served.url, state.client_credentials())
'''
)


def _suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, operations: tuple[str, ...] = OPERATIONS
) -> None:
    inner = pytester.mkdir("contracts") / "h2o3"
    inner.mkdir()
    for name in ("test_h2o3_contract.py", "schemathesis.toml", "known_findings.yaml", "destructive.yaml"):
        shutil.copy(ROOT / "contracts" / "h2o3" / name, inner / name)
    doc = yaml.safe_load((ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text())
    doc["paths"] = {path: {"get": doc["paths"][path]["get"]} for path in operations}
    document = pytester.path / "small.yaml"
    document.write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.setenv("HARNESS_H2O3_SPEC", str(document))
    for name in ("HARNESS_ALL_OPERATIONS", "HARNESS_BUDGET", "HARNESS_H2O3_URL", "HARNESS_H2O3_KIND", "HARNESS_SEED"):
        monkeypatch.delenv(name, raising=False)


def _lines(report: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (report / "progress.jsonl").read_text().splitlines()]


def _run(pytester: pytest.Pytester, report: Path, budget: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "contracts/h2o3/test_h2o3_contract.py::test_h2o3_contract",
        "--harness-target", "mock", "--harness-budget", budget, "--harness-report-dir", str(report),
        "--harness-confirm-replays", "0", "-p", "no:cacheprovider",
        timeout=150,
    )  # fmt: skip


@pytest.mark.slow
def test_a_budgeted_sweep_goes_on_past_the_default_run_and_ends_with_its_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one operation: every round re-runs the same test right after itself, which pytest must set up anew
    _suite(pytester, monkeypatch, ("/3/Jobs/{job_id}",))
    pytester.makeconftest(COUNTING_CLOCK)
    report = pytester.path / "out"
    result = _run(pytester, report, "4s")
    assert result.ret in (0, 1), result.stdout.str()
    result.stdout.fnmatch_lines(["*budgeted sweep: the budget is spent after * min, round *; * cases, *"])
    records = [line["record"] for line in _lines(report) if "record" in line]
    # the first pass over the operations is the default run, the same seed and examples; the rounds come after
    first, later = records[:1], records[1:]
    assert first[0]["path"] == "/3/Jobs/{job_id}"
    assert len(later) >= 2, "fewer than two budgeted rounds ran"
    assert not [r for r in later if r.get("error")]
    assert sum(r.get("cases", 0) for r in records) > sum(r.get("cases", 0) for r in first)
    conformance = json.loads((report / "conformance.json").read_text())
    (api,) = conformance["apis"]
    tested = {op["path"]: op["cases"] for op in api["operations"] if op["outcome"] != "untested"}
    assert set(tested) == {"/3/Jobs/{job_id}"}
    assert sum(tested.values()) == sum(r.get("cases", 0) for r in records if r["outcome"] != "skipped")


@pytest.mark.slow
def test_a_target_that_dies_under_a_budgeted_sweep_ends_it_cleanly_with_the_crash_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(pytester, monkeypatch)
    pytester.makeconftest(DYING_CONFTEST)
    report = pytester.path / "out"
    result = _run(pytester, report, "10m")
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*budgeted sweep: the target is down and cannot be restarted after*"])
    assert any("crash" in line for line in _lines(report))
    conformance = json.loads((report / "conformance.json").read_text())
    checks = {f["check"] for op in conformance["apis"][0]["operations"] for f in op.get("failures", [])}
    assert "server_crash" in checks


@pytest.mark.slow
def test_a_flow_over_a_document_without_its_links_is_skipped_with_the_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a --spec or sweep_yield's --paths subset can leave out every operation the flow links: nothing to follow
    _suite(pytester, monkeypatch, ("/3/Cloud",))
    result = pytester.runpytest_subprocess(
        "contracts/h2o3/test_h2o3_contract.py::test_h2o3_stateful_flow", "--harness-target", "mock", "-rs",
        "-p", "no:cacheprovider", timeout=150,
    )  # fmt: skip
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*small.yaml has none of the links H2O-3*flow follows*"])
