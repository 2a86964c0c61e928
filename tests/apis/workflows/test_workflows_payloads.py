"""The Workflows payload builders: every source the harness sends is what it claims to be."""

from __future__ import annotations

import yaml
from hypothesis import given, settings

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.mockparts.source import validate


def test_builders_make_valid_sources() -> None:
    """Succeeding, failing and slow sources validate, with the ids and jobs they promise."""
    for build, jobs in (
        (payloads.succeeding_source, ["build", "report"]),
        (payloads.failing_source, ["fine", "broken"]),
        (payloads.slow_source, ["slow"]),
    ):
        spec, problems = validate(build("wid"))
        assert spec is not None, problems
        assert spec.id == "wid"
        assert [j.job_id for j in spec.jobs] == jobs
    spec, _ = validate(payloads.succeeding_source("wid"))
    assert spec is not None
    assert [j.job_id for j in spec.ordered_jobs()] == ["build", "report"]
    assert spec.jobs[1].needs == ("build",)


def test_failing_source_exits_with_the_code_asked() -> None:
    """The broken job's first step says exit N."""
    doc = yaml.safe_load(payloads.failing_source("w", exit_code=4))
    assert doc["jobs"]["broken"]["steps"][0]["run"].endswith("exit 4")


def test_invalid_sources_are_invalid() -> None:
    """Each listed bad source has an error at its fieldPath."""
    for source, field_path in payloads.INVALID_SOURCES:
        spec, problems = validate(source)
        assert spec is None, source
        assert field_path in {p.field_path for p in problems if p.severity == "SEVERITY_ERROR"}, (source, problems)


def test_input_values_shape() -> None:
    """All three lists, ints as strings, as the SDK sends them."""
    body = payloads.input_values(strings={"a": "x"}, bools={"b": True}, ints={"c": 3})
    assert body == {
        "stringValues": [{"parameter": "a", "value": "x"}],
        "boolValues": [{"parameter": "b", "value": True}],
        "intValues": [{"parameter": "c", "value": "3"}],
    }
    assert payloads.input_values() == {"stringValues": [], "boolValues": [], "intValues": []}


@settings(max_examples=40, deadline=None, database=None)
@given(payloads.sources())
def test_generated_sources_are_valid_and_acyclic(source: str) -> None:
    """Generated sources validate, and ordered_jobs puts every job after the jobs it needs."""
    spec, problems = validate(source)
    assert spec is not None, problems
    seen: set[str] = set()
    for job in spec.ordered_jobs():
        assert set(job.needs) <= seen
        seen.add(job.job_id)
    assert seen == {j.job_id for j in spec.jobs}
