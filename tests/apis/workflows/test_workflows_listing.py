"""Filters, orderBy and update masks over resource JSON, and how a step's shell redirections reach the log."""

from __future__ import annotations

import pytest

from h2oharness.apis.workflows.mockparts import listing
from h2oharness.apis.workflows.mockparts.source import simulate
from h2oharness.apis.workflows.mockparts.wire import RpcError

JOBS = [
    {"jobId": "a", "state": "STATE_SUCCEEDED", "type": "TYPE_STEPS", "createTime": "2026-01-01T00:00:02Z"},
    {"jobId": "b", "state": "STATE_FAILED", "type": "TYPE_STEPS", "createTime": "2026-01-01T00:00:01Z"},
    {"jobId": "c", "state": "STATE_FAILED", "type": "TYPE_WORKFLOW_CALL", "createTime": None},
]


def test_filter_terms_in_either_spelling_and_quoted_values() -> None:
    """AND-joined terms; snake_case and camelCase fields; = and !=; quotes stripped."""
    assert [j["jobId"] for j in listing.matching(JOBS, "state = STATE_FAILED")] == ["b", "c"]
    assert [j["jobId"] for j in listing.matching(JOBS, 'state="STATE_FAILED" AND type != TYPE_STEPS')] == ["c"]
    assert [j["jobId"] for j in listing.matching(JOBS, "job_id=a")] == ["a"]
    assert listing.matching(JOBS, "  ") == JOBS


@pytest.mark.parametrize("text", ["colour = red", "state ~ x", "state"])
def test_a_bad_filter_is_invalid_argument(text: str) -> None:
    """An unknown field or a term that is not 'field op value' is 400 INVALID_ARGUMENT."""
    with pytest.raises(RpcError) as err:
        listing.matching(JOBS, text)
    assert err.value.code == 3


def test_order_by_fields_and_directions() -> None:
    """Comma-separated keys, the first the most significant; a missing value sorts first."""
    assert [j["jobId"] for j in listing.ordered(JOBS, "createTime")] == ["c", "b", "a"]
    assert [j["jobId"] for j in listing.ordered(JOBS, "create_time desc")] == ["a", "b", "c"]
    assert [j["jobId"] for j in listing.ordered(JOBS, "state, jobId desc")] == ["c", "b", "a"]
    with pytest.raises(RpcError):
        listing.ordered(JOBS, "jobId sideways")


def test_update_mask_names_writable_output_only_and_unknown_paths() -> None:
    """'*' and '' mean every writable field; output-only paths are ignored; unknown ones are refused."""
    fields, writable = {"sourceContents", "displayName", "state"}, {"sourceContents"}
    assert listing.mask("*", fields, writable) == {"sourceContents"}
    assert listing.mask("", fields, writable) == {"sourceContents"}
    assert listing.mask("source_contents,display_name", fields, writable) == {"sourceContents"}
    assert listing.mask("displayName", fields, writable) == set()
    with pytest.raises(RpcError):
        listing.mask("colour", fields, writable)


@pytest.mark.parametrize(
    ("script", "stream"),
    [
        ("echo hi", "stdout"),
        ("echo hi >&2", "stderr"),
        ("echo hi 1>&2", "stderr"),
        ("1>&2 echo hi", "stderr"),
        ("echo hi>&2", "stderr"),
        ("echo hi 1>/dev/stderr", "stderr"),
        ("echo hi 2>&1", "stdout"),
    ],
)
def test_echo_redirections_choose_the_stream(script: str, stream: str) -> None:
    """An echo sent to stderr in any of the shell's spellings lands in stderr, with the redirection not printed."""
    assert simulate("TYPE_RUN", script, {}).lines == ((0.0, stream, "hi\n"),)
