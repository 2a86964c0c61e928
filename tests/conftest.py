"""Fixtures shared by the harness's own tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_suite(tmp_path: Path) -> Callable[[str], Path]:
    """A suite folder (``--suite-dir``) of one API's contract and two tests on its target, for a run of seconds."""

    def make(slug: str) -> Path:
        root = tmp_path / "suite"
        (root / "contracts" / slug).mkdir(parents=True)
        (root / "scenarios").mkdir()
        contract = (ROOT / "contracts" / slug / "openapi.yaml").read_text()
        (root / "contracts" / slug / "openapi.yaml").write_text(contract)
        (root / "scenarios" / f"test_{slug}_reach.py").write_text(
            f"def test_one({slug}_target):\n    assert {slug}_target.url\n\n\n"
            f"def test_two({slug}_target):\n    assert {slug}_target.url\n"
        )
        return root

    return make


@pytest.fixture
def every_call_in_turn(tmp_path: Path) -> Callable[..., Path]:
    """A suite folder (``--suite-dir``) whose ``<slug>.mixed`` makes the project's MixedUser's calls one after
    another, each time round: the profile draws its tasks by weight, so in a run of seconds it may draw none of
    the one a test is about, and the test fails on the draw. Its calls: the tasks named, or all in their order.

    Each call is the profile's own guarded task, so a failure is counted and said as in the profile.
    """

    def make(slug: str, *names: str) -> Path:
        suite = tmp_path / "suite"
        (suite / "loadtests").mkdir(parents=True)
        slos = f"{slug}.slo.yaml"
        (suite / "loadtests" / slos).write_text((ROOT / "loadtests" / slos).read_text())
        # the project's contract names the requests by operation, as for the real profile
        profile = ROOT / "loadtests" / f"{slug}.py"
        source = profile.read_text().replace("Path(__file__)", f"Path({str(profile)!r})")
        source += (
            "\n\n_DRAWN = MixedUser\n"
            "_CALLS = {call.__name__: call for call in _DRAWN.tasks}\n\n\n"
            "class MixedUser(_DRAWN.__bases__[0]):\n"
            "    wait_time = _DRAWN.wait_time\n\n"
            "    @task\n"
            "    def each(self) -> None:\n"
            f"        for name in {list(names) or None!r} or _CALLS:\n"
            "            _CALLS[name](self)\n"
        )
        (suite / "loadtests" / f"{slug}.py").write_text(source)
        return suite

    return make


@pytest.fixture
def contract_answers(pytester: pytest.Pytester, tmp_path: Path) -> Callable[..., dict[str, set[str]]]:
    """Run one API's contract test in process (``slug``, pytest's arguments; ``operation``: that one's test only),
    assert it ran ``passed`` tests and nothing else, and return the status codes each operation's valid requests got
    (``answers``), by path."""

    def run(slug: str, *args: str, passed: int = 1, operation: str = "") -> dict[str, set[str]]:
        # under contracts/<slug>/: the report counts a test file's operations as the API its folder names
        folder = pytester.mkdir("contracts").joinpath(slug)
        folder.mkdir()
        # a basename of its own: xdist workers running other in-process copies clash on module names
        test = folder / f"test_{slug}_answers_{pytester.path.name}.py"
        test.write_text(
            "from pathlib import Path\n"
            "from h2oharness.pytest_plugin.contract import contract_tests\n"
            f"test_{slug}_contract, _ = contract_tests({slug!r}, Path({str(ROOT / 'contracts' / slug)!r}))\n"
        )
        reports = tmp_path / "reports"
        flags = ["-p", "no:xdist", "-p", "no:cacheprovider", "--harness-report-dir", str(reports)]
        chosen = [f"{test}::test_{slug}_contract[{operation}]"] if operation else []
        pytester.runpytest_inprocess(*flags, *args, *chosen).assert_outcomes(passed=passed)
        (api,) = json.loads((reports / "conformance.json").read_text())["apis"]
        return {operation["path"]: set(operation["answers"]) for operation in api["operations"]}

    return run
