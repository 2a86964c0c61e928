"""h2oharness/report/loadreasons.py: a load run's failures folded by entry and reason, with counts and when."""

from __future__ import annotations

import json
from pathlib import Path

from h2oharness.report.loadreasons import MAX_REASONS, OTHER, Reasons, message_of, reason_of
from h2oharness.report.loadsummary import LoadSummary, Outcomes
from h2oharness.report.writers import render_load_html


class CatchResponseError(Exception):
    """What Locust's ``response.failure("...")`` hands its listeners (its own class of this name)."""


JOB = "JOB h2o3 parse submit-to-done"
REFUSED = "GET /3/Jobs/$03017f00000132d4ffffffff$_4ae89c1263ca48ef8d700cbdea11221b: [Errno 111] Connection refused"


def test_the_ids_names_and_timings_of_an_error_are_left_out_of_its_reason() -> None:
    other_job = REFUSED.replace("4ae89c1263ca48ef8d700cbdea11221b", "d42c95fb050149268267960bbb9e0ee4")
    assert reason_of(REFUSED) == reason_of(other_job) == "GET /3/Jobs/…: [Errno 111] Connection refused"
    frame = "DELETE /3/Frames/load_29382_8_c41327: HTTP 404"
    assert reason_of(frame) == "DELETE /3/Frames/…: HTTP 404"
    late = "POST /3/Parse: no answer when the run stopped, 3.21 s after it was sent"
    assert reason_of(late) == reason_of(late.replace("3.21", "12.5")) != reason_of(late.replace("stopped", "ended"))
    # what tells one failure from another stays: a status, an errno, a short word with a digit
    assert reason_of("HTTP 503") != reason_of("HTTP 500")
    assert reason_of("POST /v1/chat: expected JSON, got text/html") == "POST /v1/chat: expected JSON, got text/html"


def test_a_message_is_its_type_and_text_and_a_declared_failure_its_text_alone() -> None:
    assert message_of(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert message_of(CatchResponseError("HTTP 500")) == "HTTP 500"
    assert message_of(TimeoutError()) == "TimeoutError"
    assert message_of("a   cut\nstream") == "a cut stream"


def test_failures_of_one_reason_are_one_line_with_a_count_and_the_first_word_for_word() -> None:
    reasons = Reasons()
    reasons.add(JOB, ConnectionError(REFUSED), at=100.0)
    for i in range(4):
        reasons.add(JOB, ConnectionError(REFUSED.replace("4ae89c12", f"0000000{i}")), at=101.0 + i)
    reasons.add("POST /3/Parse", CatchResponseError("HTTP 500"), at=102.5)
    first, second = reasons.top()
    assert (first.entry, first.count, first.first, first.last) == (JOB, 5, 100.0, 104.0)
    assert first.example == f"ConnectionError: {REFUSED}"
    assert (second.entry, second.count, second.example) == ("POST /3/Parse", 1, "HTTP 500")
    assert first.line == f"5× {JOB}: ConnectionError: {REFUSED} (00:01:40-00:01:44 UTC)"
    assert reasons.top(1) == [first]


def test_the_processes_records_merge_counts_and_keep_the_earliest_example() -> None:
    worker, other = Reasons(), Reasons()
    worker.add(JOB, ConnectionError(REFUSED), at=50.0)
    other.add(JOB, ConnectionError(REFUSED.replace("4ae89c12", "99999999")), at=40.0)
    other.add(JOB, ConnectionError(REFUSED), at=60.0)
    merged = Reasons()
    merged.merge(json.loads(json.dumps(worker.to_list())))
    merged.merge(json.loads(json.dumps(other.to_list())))
    (reason,) = merged.top()
    assert (reason.count, reason.first, reason.last) == (3, 40.0, 60.0)
    assert "99999999" in reason.example  # the earliest one's text


def test_past_its_limit_a_record_counts_new_reasons_together_and_loses_no_failure() -> None:
    reasons = Reasons()
    for i in range(MAX_REASONS + 30):
        reasons.add("GET /x", f"failure kind {'abcdefgh'[i % 8]}{i % 7}{'xyz'[i % 3]} {'q' * (i // 56)}", at=float(i))
    top = reasons.top()
    assert len(top) == MAX_REASONS + 1
    assert sum(r.count for r in top) == MAX_REASONS + 30
    (other,) = [r for r in top if r.reason == OTHER]
    assert other.count == 30


def test_the_reasons_reach_the_outcome_snapshots_load_json_the_summary_and_the_page(tmp_path: Path) -> None:
    worker = Outcomes()
    worker.add(JOB, 5.0, failed=True, why=ConnectionError(REFUSED))
    worker.add(JOB, 300.0, failed=False, why=None)
    worker.add("GET /3/Cloud", 2.0, failed=True, why=CatchResponseError("HTTP 503"))
    worker.write(tmp_path, 1)
    other = Outcomes()
    other.add(JOB, 6.0, failed=True, why=ConnectionError(REFUSED))
    other.write(tmp_path, 2)
    reasons = Outcomes.read(tmp_path).reasons.top()
    assert [(r.entry, r.count) for r in reasons] == [(JOB, 2), ("GET /3/Cloud", 1)]
    summary = LoadSummary("h2o3.polling", {"kind": "live", "url": "u"}, {}, (), (), reasons=tuple(reasons))
    assert "  why they failed, the most frequent first:\n    2× JOB h2o3 parse" in summary.summary
    assert "    1× GET /3/Cloud: HTTP 503 (" in summary.summary
    written = json.loads(summary.to_json())["failure_reasons"]
    assert [(r["entry"], r["count"], r["reason"]) for r in written][1] == ("GET /3/Cloud", 1, "HTTP 503")
    assert written[0]["first_seen"].endswith("+00:00")
    page = render_load_html(summary)
    assert 'id="failure-reasons"' in page
    assert "<code>HTTP 503</code>" in page
    # without failures, no section and no line
    clean = LoadSummary("h2o3.polling", {"kind": "live", "url": "u"}, {}, (), ())
    assert "why they failed" not in clean.summary
    assert 'id="failure-reasons"' not in render_load_html(clean)
