"""Known-findings files: read once per version of the file, malformed ones refused with the reason."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
import yaml

from h2oharness.baseline import load_baseline
from h2oharness.cli import main
from h2oharness.errors import SpecError
from h2oharness.report.model import ApiReport, Conformance, Failure, OperationResult

ENTRY = "- check: {check}\n  operations: ['GET /x']\n  reason: {reason}\n"


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "known_findings.yaml"
    path.write_text(ENTRY.format(check="not_a_server_error", reason="first"))
    first = load_baseline(path)
    assert first.reason("GET /x", "not_a_server_error") == "first"
    assert load_baseline(path) is first  # every contract test asks: one read per version
    path.write_text(ENTRY.format(check="not_a_server_error", reason="second one"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_baseline(path).reason("GET /x", "not_a_server_error") == "second one"


def test_absent_and_malformed_files(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "none.yaml").entries == ()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- check: x\n")
    with pytest.raises(SpecError, match="entry 0 needs a 'check' code and a 'reason'"):
        load_baseline(bad)


def test_a_binary_file_is_a_spec_error_not_a_decode_error(tmp_path: Path) -> None:
    """``baseline --merge --out`` pointed at a binary by mistake: one line, the file left as it was."""
    binary = tmp_path / "known_findings.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\xf0\x28\x8c\xbc")
    with pytest.raises(SpecError, match="not valid YAML \\(not UTF-8 text\\)"):
        load_baseline(binary)


def _report(tmp_path: Path) -> Path:
    def api(slug: str, failures: dict[str, list[str]]) -> ApiReport:
        operations = tuple(
            OperationResult("GET", path, "failed", 3, tuple(Failure(check, f"{check} at {path}") for check in checks))
            for path, checks in failures.items()
        )
        return ApiReport(slug, slug, "local", "http://127.0.0.1:1", operations, (), (), target_version="3.46.0.12")

    h2o3 = api("h2o3", {"/3/A": ["ST101 Server error", "ST204 Bad Allow"], "/3/B": ["ST101 Server error"]})
    other = api("workflows", {"/v1/x": ["ST999 Other"]})
    path = tmp_path / "conformance.json"
    path.write_text(Conformance("0", "", 0.0, (h2o3, other), exit_code=1, summary="").to_json())
    return path


def test_baseline_lists_each_new_check_of_the_api_with_its_operations_and_the_servers_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "known.yaml"
    out.write_text("- {check: ST204, operations: ['GET /3/A'], reason: mine}\n")
    assert main(["baseline", "--from", str(_report(tmp_path)), "--api", "h2o3", "--out", str(out), "--merge"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}: 2 entries"
    assert yaml.safe_load(out.read_text()) == [
        {"check": "ST204", "operations": ["GET /3/A"], "reason": "mine"},
        {
            "check": "ST101",
            "operations": ["GET /3/A", "GET /3/B"],
            "reason": "Server error on H2O-3 3.46.0.12, found by the contract sweep",
        },
    ]


def test_baseline_reads_a_report_folder_as_report_diff_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "--from reports/" was "cannot read reports: Is a directory"
    out = tmp_path / "known.yaml"
    assert main(["baseline", "--from", str(_report(tmp_path).parent), "--api", "h2o3", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}: 2 entries"


@pytest.mark.parametrize(
    ("errors", "api", "needle"),
    [
        (
            ("the live target could not be used: cannot reach http://127.0.0.1:1",),
            "h2o3",
            "the harness could not run all of h2o3 on local (the live target could not be used: cannot reach",
        ),
        ((), "coreplexml", "holds no report of coreplexml (it has: h2o3 on local, workflows on local)"),
    ],
)
def test_a_baseline_that_would_drop_known_findings_is_refused_and_the_file_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], errors: tuple[str, ...], api: str, needle: str
) -> None:
    # a report of a run that could not reach its target has no failures: its baseline would be empty
    report = Conformance.from_json(_report(tmp_path).read_text())
    h2o3 = dataclasses.replace(report.apis[0], operations=(), errors=errors)
    unfinished = tmp_path / "unfinished.json"
    unfinished.write_text(dataclasses.replace(report, apis=(h2o3, report.apis[1])).to_json())
    out = tmp_path / "known.yaml"
    out.write_text("- {check: ST101, operations: ['GET /3/A'], reason: mine}\n")
    before = out.read_text()
    assert main(["baseline", "--from", str(unfinished), "--api", api, "--out", str(out)]) == 3
    assert needle in capsys.readouterr().err
    assert out.read_text() == before
    if errors:  # adding to the file loses nothing
        assert main(["baseline", "--from", str(unfinished), "--api", api, "--out", str(out), "--merge"]) == 0
        assert yaml.safe_load(out.read_text()) == yaml.safe_load(before)


@pytest.mark.parametrize("name", ["load.json", "before.json", None])
def test_a_load_report_is_named_as_one(name: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # was "top level: unexpected field 'dispatch'", or "cannot read .../conformance.json" for a load run's folder
    folder = tmp_path / "load-run"
    folder.mkdir()
    load = {"profile": "h2o3.polling", "target": {}, "entries": [], "slos": [], "dispatch": None}
    (folder / (name or "load.json")).write_text(json.dumps(load))
    given = folder / name if name else folder
    assert main(["baseline", "--from", str(given), "--api", "h2o3", "--out", str(tmp_path / "known.yaml")]) == 3
    err = capsys.readouterr().err.strip()
    assert "is a load run's report, not a conformance report" in err, err
    assert not (tmp_path / "known.yaml").exists()


def test_a_report_of_the_mock_alone_is_refused_and_the_mock_left_out_of_one_with_a_real_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a run with --mock-faults fails by design: its baseline was written as "found on the real server", over the
    # committed known findings, and excused those failures on every real server after it
    report = Conformance.from_json(_report(tmp_path).read_text())
    mock = dataclasses.replace(report.apis[0], target="mock", target_version="")
    only_mock = tmp_path / "mock.json"
    only_mock.write_text(dataclasses.replace(report, apis=(mock,)).to_json())
    out = tmp_path / "known.yaml"
    out.write_text("- {check: ST204, operations: ['GET /3/A'], reason: mine}\n")
    before = out.read_text()
    assert main(["baseline", "--from", str(only_mock), "--api", "h2o3", "--out", str(out)]) == 3
    assert "holds h2o3 on mock only: a baseline names a real server's known findings" in capsys.readouterr().err
    assert out.read_text() == before
    failing = dataclasses.replace(mock, operations=(dataclasses.replace(mock.operations[0], path="/3/MockOnly"),))
    both = tmp_path / "both.json"
    both.write_text(dataclasses.replace(report, apis=(failing, report.apis[0])).to_json())
    assert main(["baseline", "--from", str(both), "--api", "h2o3", "--out", str(out)]) == 0
    written = yaml.safe_load(out.read_text())
    assert "GET /3/MockOnly" not in json.dumps(written)
    assert {e["check"]: e["operations"] for e in written}["ST101"] == ["GET /3/A", "GET /3/B"]


def test_a_baseline_without_merge_keeps_what_the_run_did_not_test_and_drops_what_it_no_longer_saw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a default run's baseline replaced an --all-operations sweep's: the findings of operations it left untested
    # went silently (the next sweep failed on them as new), and every hand-written reason became a generated one
    report = Conformance.from_json(_report(tmp_path).read_text())
    untested = OperationResult("GET", "/3/Swept", "untested")
    passing = OperationResult("GET", "/3/Fixed", "passed", 3)
    h2o3 = dataclasses.replace(report.apis[0], operations=(*report.apis[0].operations, untested, passing))
    given = tmp_path / "default-run.json"
    given.write_text(dataclasses.replace(report, apis=(h2o3,)).to_json())
    out = tmp_path / "known.yaml"
    out.write_text(
        "- {check: ST101, operations: ['GET /3/A', 'GET /3/Fixed'], match: 'at /3', reason: 'ticket H-1'}\n"
        "- {check: ST108, operations: ['GET /3/Swept'], reason: 'found by the sweep'}\n"
        "- {check: ST103, operations: ['GET /3/Fixed'], reason: 'fixed since'}\n"
    )
    before = out.read_text()
    assert main(["baseline", "--from", str(given), "--api", "h2o3", "--out", str(out), "--merge"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "kept (--merge), though not seen again on operations the run tested: ST101 GET /3/Fixed, ST103 GET /3/Fixed"
    )
    out.write_text(before)
    assert main(["baseline", "--from", str(given), "--api", "h2o3", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "dropped, not seen again on operations the run tested: ST101 GET /3/Fixed, ST103 GET /3/Fixed"
    )
    assert yaml.safe_load(out.read_text()) == [
        {"check": "ST101", "operations": ["GET /3/A"], "match": "at /3", "reason": "ticket H-1"},
        {"check": "ST108", "operations": ["GET /3/Swept"], "reason": "found by the sweep"},
        {
            "check": "ST101",
            "operations": ["GET /3/B"],
            "reason": "Server error on H2O-3 3.46.0.12, found by the contract sweep",
        },
        {
            "check": "ST204",
            "operations": ["GET /3/A"],
            "reason": "Bad Allow on H2O-3 3.46.0.12, found by the contract sweep",
        },
    ]


def test_a_run_names_the_known_findings_it_no_longer_saw_on_the_operations_it_tested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a known finding that stopped reproducing was silent: the run passed, and the stale entry stayed in the file to
    # excuse that failure should it come back
    from h2oharness.cli import _finish

    report = Conformance.from_json(_report(tmp_path).read_text())
    fixed = OperationResult("GET", "/3/Fixed", "passed", 3)
    h2o3 = dataclasses.replace(report.apis[0], operations=(*report.apis[0].operations, fixed))
    (tmp_path / "conformance.json").write_text(dataclasses.replace(report, apis=(h2o3, report.apis[1])).to_json())
    known = tmp_path / "suite" / "contracts" / "h2o3" / "known_findings.yaml"
    known.parent.mkdir(parents=True)
    known.write_text(
        ENTRY.format(check="ST101", reason="gone")
        + "- {check: ST101, operations: ['GET /3/Fixed', 'GET /3/A'], reason: r}\n"
    )
    _finish(tmp_path, 1, root=tmp_path / "suite")
    lines = [line for line in capsys.readouterr().out.splitlines() if "not seen on the operations" in line]
    assert lines == [
        "h2o3: 1 known finding not seen on the operations this run tested (fixed, or not drawn this time): "
        f"ST101 GET /3/Fixed; `h2oharness baseline --from {tmp_path} --api h2o3` drops them, naming each"
    ]


def test_the_known_findings_a_run_no_longer_saw_are_named_once_each_and_a_long_list_is_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # after a sweep, a default run on a real server listed 140 of them, each entry of one check and operation under
    # two matches twice, in one line
    from h2oharness.cli import _finish

    report = Conformance.from_json(_report(tmp_path).read_text())
    fixed = tuple(OperationResult("GET", f"/3/Fixed{n}", "passed", 3) for n in range(12))
    h2o3 = dataclasses.replace(report.apis[0], operations=(*report.apis[0].operations, *fixed))
    (tmp_path / "conformance.json").write_text(dataclasses.replace(report, apis=(h2o3, report.apis[1])).to_json())
    known = tmp_path / "suite" / "contracts" / "h2o3" / "known_findings.yaml"
    known.parent.mkdir(parents=True)
    entries = [f"- {{check: ST101, operations: ['GET /3/Fixed{n}'], match: m{n}, reason: r}}\n" for n in range(12)]
    twice = "- {check: ST101, operations: ['GET /3/Fixed0'], match: other, reason: r}\n"
    known.write_text("".join(entries) + twice)
    _finish(tmp_path, 1, root=tmp_path / "suite")
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "not seen on the operations" in line]
    named = ", ".join(f"ST101 GET /3/Fixed{n}" for n in range(8))
    assert line == (
        "h2o3: 12 known findings not seen on the operations this run tested (fixed, or not drawn this time): "
        f"{named} and 4 more; `h2oharness baseline --from {tmp_path} --api h2o3` drops them, naming each"
    )


@pytest.mark.parametrize(
    ("slug", "version", "server"),
    [
        ("h2ogpte", "1.6.40", "h2oGPTe 1.6.40"),
        ("workflows", "", "the real H2O Workflows server"),
        ("coreplexml", "0.9.1", "CorePlexML 0.9.1"),
        ("h2o3", "", "the real H2O-3 server"),
    ],
)
def test_baseline_reasons_name_the_apis_own_server(slug: str, version: str, server: str, tmp_path: Path) -> None:
    # before: "Server error on H2O-3 1.6.40" for an h2oGPTe report, whatever the API
    failed = OperationResult("GET", "/x", "failed", 3, (Failure("ST101 Server error", "500"),))
    api = ApiReport(slug, slug, "live", "http://127.0.0.1:1", (failed,), (), (), target_version=version)
    report = tmp_path / "conformance.json"
    report.write_text(Conformance("0", "", 0.0, (api,), exit_code=1, summary="").to_json())
    out = tmp_path / "known.yaml"
    assert main(["baseline", "--from", str(report), "--api", slug, "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == [
        {"check": "ST101", "operations": ["GET /x"], "reason": f"Server error on {server}, found by the contract sweep"}
    ]
