"""The per-API fixtures in inner pytest sessions: every mock of the run injects the run's faults."""

from __future__ import annotations

import pytest

USES_BOTH = """
import httpx

def test_both_mocks_answer_with_the_plans_fault(workflows_target, workflows_fresh_target):
    assert workflows_fresh_target.url != workflows_target.url
    for target in (workflows_target, workflows_fresh_target):
        assert httpx.get(f"{target.url}/version", timeout=10).status_code == 418, target.url
"""


def test_the_fresh_mock_of_a_flow_injects_the_runs_faults_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = pytester.path / "faults.yaml"
    plan.write_text("rules:\n  - {method: GET, path: /version, fault: status=418}\n")
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    pytester.makepyfile(test_fresh=USES_BOTH)
    result = pytester.runpytest_inprocess("--harness-target", "mock", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
