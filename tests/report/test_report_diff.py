"""``h2oharness report diff``: regressions between two hand-built reports, and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from h2oharness.cli import main
from h2oharness.errors import ConfigError
from h2oharness.report.build import build_conformance
from h2oharness.report.diff import diff_reports, read_report
from h2oharness.report.model import ApiReport, DriftEntry, Failure, OperationResult, ScenarioResult

SERVER_ERROR = Failure("ST101 Server error", "500", "curl -X POST http://h/3/Parse", signature="HTTP 500 java.lang.NPE")
KNOWN = Failure("ST101 Server error", "501", "curl -X PATCH http://h/a", signature="HTTP 501", known="Jetty")


def _op(path: str, outcome: str, *failures: Failure) -> OperationResult:
    return OperationResult("POST", path, outcome, 1, failures)  # type: ignore[arg-type]


def _write(
    folder: Path,
    operations: tuple[OperationResult, ...],
    scenarios: tuple[ScenarioResult, ...] = (),
    drift: tuple[DriftEntry, ...] = (),
    p95: dict[str, float] | None = None,
    errors: tuple[str, ...] = (),
    started: str = "now",
    slug: str = "h2o3",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    api = ApiReport(slug, slug, "mock", "http://h", operations, scenarios, drift, errors=errors)
    (folder / "conformance.json").write_text(build_conformance([api], "0.1.0", started, 1.0).to_json())
    if p95 is not None:
        entries = [{"key": key, "p95": value} for key, value in p95.items()]
        (folder / "load.json").write_text(json.dumps({"entries": entries}))
    return folder / "conformance.json"


def test_an_identical_report_has_no_regressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ops = (_op("/a", "passed"), _op("/b", "failed", KNOWN))
    old, new = _write(tmp_path / "old", ops), _write(tmp_path / "new", ops)
    assert main(["report", "diff", str(old), str(new)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no regressions (exit 0)"


def test_newly_failing_fixed_new_defect_drift_and_known_are_told_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(
        tmp_path / "old",
        (_op("/3/Parse", "passed"), _op("/3/Fixed", "failed", SERVER_ERROR), _op("/3/Known", "passed")),
        (ScenarioResult("test_h2o3_stateful_flow", "passed", flow=True), ScenarioResult("train", "failed", "oom")),
    )
    new = _write(
        tmp_path / "new",
        (_op("/3/Parse", "failed", SERVER_ERROR), _op("/3/Fixed", "passed"), _op("/3/Known", "failed", KNOWN)),
        (
            ScenarioResult("test_h2o3_stateful_flow", "failed", "POST /3/Parse: 500", flow=True),
            ScenarioResult("train", "passed"),
        ),
        (DriftEntry("seed", "field x", "int", "str"),),
    )
    # the old report had the server error (on another operation): it is not a new defect
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.newly_failing == (
        "h2o3 on mock: POST /3/Parse: ST101 Server error: 500",
        "h2o3 on mock: flow test_h2o3_stateful_flow: POST /3/Parse: 500",  # a flow, as the run's own list says
    )
    assert diff.fixed == ("h2o3 on mock: POST /3/Fixed", "h2o3 on mock: scenario train")
    assert diff.newly_known == ("h2o3 on mock: POST /3/Known: ST101 Server error: 501",)
    assert diff.new_defects == ()
    assert diff.new_drift == ("h2o3 on mock: seed: field x (documented int, observed str)",)
    assert diff.regressions == 2
    assert main(["report", "diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "newly failing (2):\n  h2o3 on mock: POST /3/Parse" in out
    assert out.splitlines()[-1] == "2 regressions (exit 1)"


def test_a_run_the_harness_could_not_finish_is_a_regression_and_says_what_went_untested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the target went down between the runs: nothing failed, and the gate passed on tests that never ran
    old = _write(
        tmp_path / "old",
        (_op("/3/Parse", "passed"), _op("/3/Known", "failed", KNOWN), _op("/3/Never", "untested")),
        (ScenarioResult("train", "passed"),),
    )
    down = "the live target could not be used: cannot reach http://h: GET /3/Cloud: [Errno 111] Connection refused"
    new = _write(
        tmp_path / "new",
        (_op("/3/Parse", "untested"), _op("/3/Known", "untested"), _op("/3/Never", "untested")),
        (ScenarioResult("train", "skipped", down),),
        errors=(down,),
    )
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.new_errors == (f"h2o3 on mock: the harness could not run: {down}",)
    assert diff.untested == (
        "h2o3 on mock: POST /3/Parse (was passed)",
        "h2o3 on mock: POST /3/Known (was known)",
        "h2o3 on mock: scenario train (was passed)",
    )
    assert (diff.newly_failing, diff.regressions) == ((), 1)
    assert main(["report", "diff", str(old), str(new)]) == 1
    assert "no longer tested (not counted) (3):" in capsys.readouterr().out
    # the same error in both reports is no news
    assert diff_reports(read_report(new), read_report(new)).regressions == 0


def test_a_new_crash_is_named_once(tmp_path: Path) -> None:
    # a crash's signature begins with its kind: the line read "server crash: server crash: POST /3/Shutdown"
    crash = Failure("server_crash", "no answer", signature="server crash: POST /3/Shutdown")
    old = _write(tmp_path / "old", (_op("/3/Shutdown", "passed"),))
    new = _write(tmp_path / "new", (_op("/3/Shutdown", "failed", crash),))
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.new_defects == ("h2o3 on mock: server crash: POST /3/Shutdown (seen 1x on POST /3/Shutdown)",)


def test_a_new_defect_on_an_already_failing_operation_is_a_regression(tmp_path: Path) -> None:
    schema = Failure("ST108 Response violates schema", "field 'progress' is a string", signature="progress: type")
    old = _write(tmp_path / "old", (_op("/3/Jobs", "failed", schema),))
    new = _write(tmp_path / "new", (_op("/3/Jobs", "failed", schema, SERVER_ERROR),))
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.newly_failing == ()
    assert diff.new_defects == ("h2o3 on mock: server error: HTTP 500 java.lang.NPE (seen 1x on POST /3/Jobs)",)
    assert diff.regressions == 1


def test_a_p95_regresses_when_both_20_percent_and_50_ms_worse(tmp_path: Path) -> None:
    ops = (_op("/a", "passed"),)
    before = {"GET /3/Jobs": 100.0, "GET /3/Cloud": 10.0, "JOB h2o3 parse submit-to-done": 1000.0}
    after = {"GET /3/Jobs": 160.0, "GET /3/Cloud": 40.0, "JOB h2o3 parse submit-to-done": 1100.0}
    before["JOB h2o3 parse polls per job"], after["JOB h2o3 parse polls per job"] = 3, 300
    old = _write(tmp_path / "old", ops, p95=before)
    new = _write(tmp_path / "new", ops, p95=after)
    diff = diff_reports(read_report(tmp_path / "old"), read_report(tmp_path / "new"))  # folders work too
    # +300 % but only 30 ms; +10 % of a second; a count, not a latency: none of them regress
    assert diff.slower == ("GET /3/Jobs: p95 100 ms -> 160 ms (+60%)",)
    assert diff.regressions == 1
    only_new = diff_reports(read_report(_write(tmp_path / "bare", ops)), read_report(new))
    assert only_new.slower == ()
    assert "latencies, failures and SLOs not compared" in only_new.notes[0]
    assert diff_reports(read_report(old), read_report(old)).regressions == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"format": 1}', "missing field"),
        ("[1, 2]", "expected an object"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(
    content: str | None, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "good", (_op("/a", "passed"),))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert main(["report", "diff", str(good), str(bad)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert needle in err[0]
    assert str(bad) in err[0]


def test_a_malformed_load_json_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "good", (_op("/a", "passed"),))
    other = _write(tmp_path / "other", (_op("/a", "passed"),))
    (tmp_path / "other" / "load.json").write_text('{"entries": [{"key": "GET /a"}]}')
    assert main(["report", "diff", str(good), str(other)]) == 3
    assert "needs a string 'key' and a number 'p95'" in capsys.readouterr().err


def _load(
    folder: Path, entries: dict[str, tuple[int, int, float]], slos: dict[str, bool], profile: str = "h2o3.polling"
) -> Path:
    """A load run's folder: load.json alone, entries as key -> (requests, failures, p95)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "profile": profile,
        "target": {"kind": "live", "url": "http://staging:54321"},
        "entries": [{"key": k, "requests": r, "failures": f, "p95": p} for k, (r, f, p) in entries.items()],
        "slos": [{"rule": rule, "observed": 0.0, "ok": ok, "note": ""} for rule, ok in slos.items()],
    }
    (folder / "load.json").write_text(json.dumps(data))
    return folder


def test_two_load_runs_are_compared_on_latency_failures_and_slos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a load run's folder has no conformance.json: report diff refused it, so two runs of a profile went uncompared
    rules = {"failure_ratio <= 0.01": True, "GET /3/Jobs/{job_id} p95_ms <= 500": True}
    old = _load(tmp_path / "old", {"GET /3/Jobs/{job_id}": (1000, 0, 20.0), "POST /3/Parse": (100, 1, 30.0)}, rules)
    worse = {"GET /3/Jobs/{job_id}": (1000, 80, 25.0), "POST /3/Parse": (100, 2, 30.0)}
    new = _load(tmp_path / "new", worse, {**rules, "failure_ratio <= 0.01": False})
    diff = diff_reports(read_report(old), read_report(new / "load.json"))  # a folder or the file itself
    # 1 % -> 2 % is one point, not more: only the polls' 0 % -> 8 % counts
    assert diff.more_failures == ("GET /3/Jobs/{job_id}: failed 0/1000 -> 80/1000 (0.0% -> 8.0%)",)
    assert diff.broken_slos == ("failure_ratio <= 0.01: met before, broken now",)
    assert diff.slower == ()
    assert diff.regressions == 2
    assert main(["report", "diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "more failures (1):" in out
    assert "SLOs newly broken (1):" in out
    assert "load h2o3.polling against live http://staging:54321" in out
    assert main(["report", "diff", str(old), str(old)]) == 0


def test_refused_submissions_are_compared_as_a_share_of_the_jobs_tried(tmp_path: Path) -> None:
    # every refused submission fails its own entry (100 % in any run that has one): a share of the tries instead
    done = "JOB h2o3 parse submit-to-done"
    old = _load(tmp_path / "old", {"JOB h2o3 parse submitted": (100, 0, 0.0), done: (100, 0, 900.0)}, {})
    refused = {"JOB h2o3 parse submitted": (60, 0, 0.0), done: (60, 0, 900.0), "JOB h2o3 parse refused": (40, 40, 0.0)}
    new = _load(tmp_path / "new", refused, {})
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.more_failures == ("JOB h2o3 parse refused: failed 0/100 -> 40/100 (0.0% -> 40.0%)",)
    more = {**refused, "JOB h2o3 parse submitted": (10, 0, 0.0), "JOB h2o3 parse refused": (90, 90, 0.0)}
    worse = diff_reports(read_report(new), read_report(_load(tmp_path / "worse", more, {})))
    assert worse.more_failures == ("JOB h2o3 parse refused: failed 40/100 -> 90/100 (40.0% -> 90.0%)",)
    assert not [n for n in diff_reports(read_report(new), read_report(old)).notes if "refused" in n]


def test_a_load_run_against_a_conformance_report_is_refused_as_nothing_to_compare(tmp_path: Path) -> None:
    # it was "no regressions", exit 0: a CI gate given the wrong pair passed whatever the new run did
    load = _load(tmp_path / "load", {"GET /a": (10, 0, 5.0)}, {})
    run = _write(tmp_path / "run", (_op("/a", "failed"),))
    for old, new in ((load, run), (run, load)):
        with pytest.raises(ConfigError, match=r"^nothing to compare: ") as refused:
            diff_reports(read_report(old), read_report(new))
        assert "a load run's report" in str(refused.value)
        assert "a conformance report" in str(refused.value)


def test_a_load_json_kept_under_another_name_is_read_as_a_load_report(tmp_path: Path) -> None:
    # "report diff before.json reports/" was "before.json: top level: unexpected field ..." for a renamed load.json
    old = _load(tmp_path / "old", {"GET /a": (10, 0, 5.0)}, {"failure_ratio <= 0.01": True})
    kept = tmp_path / "before.json"
    kept.write_text((old / "load.json").read_text())
    new = _load(tmp_path / "new", {"GET /a": (10, 5, 5.0)}, {"failure_ratio <= 0.01": False})
    diff = diff_reports(read_report(kept), read_report(new))
    assert diff.broken_slos == ("failure_ratio <= 0.01: met before, broken now",)
    assert diff.regressions == 2


def test_an_entry_the_new_load_run_did_not_record_is_said_not_counted(tmp_path: Path) -> None:
    # every parse stuck in the new run: no submit-to-done at all, and the diff said nothing of it
    done = "JOB h2o3 parse submit-to-done"
    old = _load(tmp_path / "old", {"GET /3/Cloud": (10, 0, 5.0), done: (8, 0, 900.0), "GET /3/Models": (3, 3, 1.0)}, {})
    new = _load(tmp_path / "new", {"GET /3/Cloud": (10, 0, 5.0), "JOB h2o3 parse unfinished at stop": (8, 0, 9e3)}, {})
    diff = diff_reports(read_report(old), read_report(new))
    # a task a mixed profile did not draw in a short run is no regression of the target's
    assert diff.regressions == 0
    assert diff.notes == (f"recorded by the old run only (a task not drawn, or never ending, in the new): {done}",)
    assert diff_reports(read_report(new), read_report(old)).notes == ()  # what failed only, or ran on: not said


def test_what_a_load_run_improved_is_listed_by_the_rules_a_regression_is_found_by(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a run that only got better said "no regressions" and nothing of what it fixed
    rules = {"failure_ratio <= 0.01": False, "GET /a p95_ms <= 500": True}
    old = _load(tmp_path / "old", {"GET /a": (100, 10, 900.0), "GET /b": (100, 0, 100.0)}, rules)
    new = _load(
        tmp_path / "new",
        {"GET /a": (100, 0, 300.0), "GET /b": (100, 0, 90.0)},
        {**rules, "failure_ratio <= 0.01": True},
    )
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.regressions == 0
    assert diff.improved == (
        "GET /a: p95 900 ms -> 300 ms (-67%)",
        "GET /a: failed 10/100 -> 0/100 (10.0% -> 0.0%)",
        "failure_ratio <= 0.01: broken before, met now",
    )  # GET /b's 10 ms is within the rule, either way
    assert main(["report", "diff", str(old), str(new)]) == 0
    assert "load figures improved (not counted) (3):" in capsys.readouterr().out
    back = diff_reports(read_report(new), read_report(old))
    assert (back.improved, back.regressions) == ((), 3)
    assert back.slower == ("GET /a: p95 300 ms -> 900 ms (+200%)",)


def test_two_load_runs_of_different_profiles_are_refused_as_not_comparable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it was a note and "no regressions (exit 0)": a gate given runs of two profiles passed whatever the new one did
    failing = {"failure_ratio <= 0.01": False}
    old = _load(tmp_path / "old", {"GET /3/Jobs/{job_id}": (100, 0, 20.0)}, {"failure_ratio <= 0.01": True})
    new = _load(tmp_path / "new", {"POST /api/v1/chats": (100, 50, 900.0)}, failing, profile="h2ogpte.streaming")
    with pytest.raises(ConfigError, match=r"^not comparable: .* are runs of different load profiles; compare two"):
        diff_reports(read_report(old), read_report(new))
    assert main(["report", "diff", str(old), str(new)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "(load h2o3.polling against live" in err[0]
    assert "(load h2ogpte.streaming against live" in err[0]
    mixed = _load(tmp_path / "mixed", {"GET /3/Jobs/{job_id}": (100, 0, 20.0)}, {}, profile="h2o3.mixed")
    with pytest.raises(ConfigError, match="not comparable"):  # one API, another profile
        diff_reports(read_report(old), read_report(mixed))


def test_beside_two_conformance_reports_load_runs_of_different_profiles_are_left_out_and_said(
    tmp_path: Path,
) -> None:
    old = _write(tmp_path / "old", (_op("/a", "passed"),))
    new = _write(tmp_path / "new", (_op("/a", "failed", SERVER_ERROR),))
    _load(tmp_path / "old", {"GET /a": (10, 0, 5.0)}, {"failure_ratio <= 0.01": True})
    _load(tmp_path / "new", {"GET /b": (10, 9, 900.0)}, {"failure_ratio <= 0.01": False}, profile="h2o3.mixed")
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.newly_failing == ("h2o3 on mock: POST /a: ST101 Server error: 500",)
    assert (diff.slower, diff.more_failures, diff.broken_slos) == ((), (), ())
    assert diff.notes == (
        "the load runs are of different profiles (h2o3.polling, h2o3.mixed): latencies, failures and SLOs not compared",
    )


def test_failures_of_a_reason_the_old_run_did_not_have_are_listed_the_most_frequent_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    polls = "GET /3/Jobs/{job_id}"
    old = _load(tmp_path / "old", {polls: (1000, 20, 20.0)}, {})
    new = _load(tmp_path / "new", {polls: (1000, 21, 20.0)}, {})

    def reasons(folder: Path, items: list[tuple[str, str, int, str]]) -> None:
        data = json.loads((folder / "load.json").read_text())
        data["failure_reasons"] = [{"entry": e, "reason": r, "count": n, "example": x} for e, r, n, x in items]
        (folder / "load.json").write_text(json.dumps(data))

    busy = (polls, "HTTP 503", 20, "HTTP 503")
    reasons(old, [busy])
    refused = "ConnectionRefusedError: [Errno 111] Connection refused"
    cut = (
        "JOB h2o3 parse submit-to-done",
        "ConnectError: GET /3/Jobs/…: cut",
        3,
        "ConnectError: GET /3/Jobs/$03_9a: cut",
    )
    reasons(new, [(polls, "HTTP 503", 18, "HTTP 503"), cut, (polls, refused, 3, refused)])
    diff = diff_reports(read_report(old), read_report(new))
    # the same share failing (2.0 % -> 2.1 %) for other reasons: a fact for whoever reads the gate, not a regression
    assert diff.new_reasons == (f"3× {polls}: {refused}", f"3× {cut[0]}: {cut[3]}")  # as many: by entry
    assert diff.regressions == 0
    assert main(["report", "diff", str(old), str(new)]) == 0
    assert "failing for new reasons (not counted: the failed share is) (2):" in capsys.readouterr().out
    assert diff_reports(read_report(new), read_report(old)).new_reasons == ()
    # a report from before the reasons were kept has none: every reason of the new run is new, none is refused
    plain = _load(tmp_path / "plain", {polls: (1000, 20, 20.0)}, {})
    assert len(diff_reports(read_report(plain), read_report(new)).new_reasons) == 3


def test_a_schema_violation_an_older_report_named_by_its_anyof_site_is_not_new(tmp_path: Path) -> None:
    # upgrading the harness turned "anyOf at /" into the fields broken: a gate against an older baseline went red
    check = "ST108 Response schema conformance"
    legacy = Failure(check, "not valid under any of the schemas", "curl -X POST http://h/3/x", signature="anyOf at /")
    named = Failure(check, "/parameters: not an object", "curl -X POST http://h/3/x",
                    signature="type at /parameters; enum at /visibility")  # fmt: skip
    elsewhere = Failure(check, "/a: not an object", "curl -X POST http://h/3/x", signature="oneOf at /a")
    under_a = Failure(check, "/b/c: wrong", "curl -X POST http://h/3/x", signature="type at /b/c")
    old = _write(tmp_path / "old", (_op("/3/x", "failed", legacy), _op("/3/y", "failed", elsewhere)))
    new = _write(tmp_path / "new", (_op("/3/x", "failed", named), _op("/3/y", "failed", under_a)))
    diff = diff_reports(read_report(old), read_report(new))
    # the same finding at /3/x; /3/y's violation is of a field outside the old site: a new defect
    assert len(diff.new_defects) == 1, diff.new_defects
    assert "POST /3/y: type at /b/c" in diff.new_defects[0]


def test_the_notes_come_first_and_say_when_the_two_reports_look_given_the_other_way_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the notes came last, after every line they qualify ("coreplexml on mock is not in the old report: all of it
    # counts as new" under 100 lines of new drift); and two reports given the other way round read fixed as broken
    broken = (_op("/3/Parse", "failed", SERVER_ERROR),)
    main_run = _write(tmp_path / "main", (_op("/3/Parse", "passed"),), started="2026-12-05T10:00:00Z")
    branch = _write(tmp_path / "branch", broken, started="2026-12-05T09:00:00Z", slug="coreplexml")
    assert main(["report", "diff", str(main_run), str(branch)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:6] == [
        "notes (3):",
        "  the new report's run began before the old one's (2026-12-05T09:00:00Z, 2026-12-05T10:00:00Z): were they "
        "given in the other order?",
        "  coreplexml on mock is not in the old report: all of it counts as new",
        "  h2o3 on mock is only in the old report",
    ]
    assert lines[6] == "newly failing (1):"
    assert main(["report", "diff", str(branch), str(main_run)]) == 0
    assert "other order" not in capsys.readouterr().out


def test_an_operation_a_new_baseline_excused_is_listed_as_known_now(tmp_path: Path) -> None:
    # failing, then a known finding (a baseline written in between): the diff said nothing of it, so a reviewer of
    # the new known_findings.yaml did not see which failures it excused
    old = _write(
        tmp_path / "old",
        (_op("/3/Known", "failed", SERVER_ERROR),),
        (ScenarioResult("train", "failed", "oom"),),
    )
    known = ScenarioResult("train", "failed", "501", known=True)
    new = _write(tmp_path / "new", (_op("/3/Known", "failed", KNOWN),), (known,))
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.newly_known == (
        "h2o3 on mock: POST /3/Known: ST101 Server error: 501 (was failing)",
        "h2o3 on mock: scenario train: 501 (was failing)",
    )
    assert diff.regressions == 0


def _scoped(folder: Path, scope: dict[str, str], drift: tuple[DriftEntry, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    api = ApiReport("h2o3", "h2o3", "mock", "http://h", (_op("/a", "passed"),), (), drift)
    report = build_conformance([api], "0.1.0", "2026-01-01T00:00:00Z", 1.0, scope=scope)
    (folder / "conformance.json").write_text(report.to_json())
    return folder / "conformance.json"


SCOPE = {"tests": "contracts/h2o3", "all_operations": "false", "real_keys": "false", "max_examples": "10"}


def test_a_diff_of_runs_of_another_scope_says_so_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before: nothing said that the new run tested every operation with 50 examples: its new drift and failures
    # read as changes of the API
    drift = (DriftEntry("seed", "field x", "int", "str"),)
    old = _scoped(tmp_path / "old", SCOPE)
    new = _scoped(tmp_path / "new", {**SCOPE, "all_operations": "true", "max_examples": "50", "budget": "30m"}, drift)
    assert main(["report", "diff", str(old), str(new)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:6] == [
        "the scope changed: the runs set out to test different things (3):",
        "  --all-operations: false then, true now",
        "  --max-examples: 10 then, 50 now",
        "  --budget: none then, 30m now",
    ]
    assert lines.index("new documentation drift (1):") > 5
    assert read_report(old).conformance.scope == SCOPE  # type: ignore[union-attr]


def test_a_diff_of_runs_of_one_scope_says_nothing_of_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _scoped(tmp_path / "old", SCOPE), _scoped(tmp_path / "new", dict(SCOPE))
    assert main(["report", "diff", str(old), str(new)]) == 0
    assert "scope" not in capsys.readouterr().out


def test_a_report_that_does_not_record_its_scope_is_said_so(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {})
    data = json.loads(old.read_text())
    del data["scope"]  # as an older h2oharness wrote it: still read
    old.write_text(json.dumps(data))
    new = _scoped(tmp_path / "new", SCOPE)
    diff = diff_reports(read_report(old), read_report(new))
    assert diff.scope == ("the old report does not record its scope (an older h2oharness wrote it)",)
