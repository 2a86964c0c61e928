from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTHING_LISTENS = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--api", "nope"], "unknown API 'nope'"),
        (["run", "--target", "staging"], "unknown target 'staging'"),
        (["run", "--target", "live", "--api", "h2o3", "--url", "ftp://x"], "--url must start with http"),
        # the CLI's own flag, not the pytest option's name
        (["run", "--target", "live", "--api", "h2o3"], "set H2O3_URL or pass --url"),
        (["load", "h2o3.polling", "--target", "live"], "set H2O3_URL or pass --url"),
        (["report", "diff", "/no/such/old.json", "/no/such/new.json"], "cannot read /no/such/old.json"),
        (["baseline", "--from", "/no/such/c.json", "--api", "h2o3"], "cannot read /no/such/c.json"),
        (["run", "--spec", "h2o3"], "--spec takes SLUG=PATH"),
        (["run", "--spec", "h2o3= "], "--spec takes SLUG=PATH"),
        (
            ["run", "--spec", "h2o3=a.yaml", "--spec", "h2o3=b.yaml"],
            "--spec h2o3=... is given twice (a.yaml and b.yaml)",
        ),
        # not "pass --suite-dir", which was passed
        (["run", "--suite-dir", "x.yaml"], "--suite-dir TMP/x.yaml: a folder holding contracts/, and it is a file"),
        (["run", "--suite-dir", "TMP"], "--suite-dir TMP: a folder holding contracts/, and it holds none"),
        (["load", "h2o3.polling", "--suite-dir", "TMP/no"], "--suite-dir TMP/no: a folder holding loadtests/, and"),
        (
            ["run", "--api", "h2ogpte", "--max-time", "5s", "--spec", "h2o3=contracts/h2o3/openapi.yaml"],
            "--spec h2o3=... is for an API this run leaves out: add --api h2o3",
        ),
        (
            ["run", "--api", "h2o3,,workflows"],
            "--api 'h2o3,,workflows' names an empty API: give slugs, as --api h2o3,h2o",
        ),
        (["run", "--api", ","], "--api ',' names an empty API"),
        (["run", "--api", "workflows,nope"], "unknown API 'nope'"),
        (["run", "--api", "h2o3", "--workers", "abc"], "--workers takes a number of 0 or more, auto or logical"),
        (["run", "--api", "h2o3", "--workers", "-1"], "--workers takes a number of 0 or more, auto or logical"),
        (
            ["run", "--password-env", "H2OHARNESS_TEST_UNSET_VARIABLE", "--target", "live", "--url", NOTHING_LISTENS],
            "H2OHARNESS_TEST_UNSET_VARIABLE, which is not set",
        ),
        (["spec", "h2o3", "--from", NOTHING_LISTENS, "--out", "x.yaml"], "http://127.0.0.1:9"),
        (["spec", "h2o3", "--from", "/no/such/metadata", "--out", "x.yaml"], "/no/such/metadata does not exist"),
        # before, "give the schemas file too", which no option of spec could
        (["spec", "h2o3", "--from", "ftp://x", "--out", "x.yaml"], "--from takes 'snapshot', the http(s) URL of a"),
        (["spec", "h2o3", "--from", "pyproject.toml", "--out", "x.yaml"], "pyproject.toml is a file: give the folder"),
        (["spec", "nope", "--out", "x.yaml"], "unknown API 'nope'"),
        # each was dropped without a word: the contract came from the client, not from the server named
        (
            ["spec", "h2ogpte", "--from-client", "--from", NOTHING_LISTENS, "--out", "x.yaml"],
            "--from is for a server's description; --from-client reads the installed client",
        ),
        (["spec", "workflows", "--from-client", "--snapshot", "TMP/s", "--out", "x.yaml"], "--snapshot is for a serv"),
        (["spec", "h2o3", "--from-client", "--out", "x.yaml"], "h2o3 describes itself: give --from (a server's URL"),
        # before: "its contract is written by hand", when the committed one is what --from-client writes
        (["spec", "coreplexml", "--out", "x.yaml"], "coreplexml does not describe itself: add --from-client"),
        # the password alone was dropped and the server asked with none: a 401 blaming the credentials
        (
            ["spec", "h2o3", "--from", NOTHING_LISTENS, "--password-env", "PW", "--out", "x.yaml"],
            "--password-env is the password of --username: give --username too",
        ),
        (["spec", "h2o3", "--username", "qa", "--out", "x.yaml"], "--username is for a server's URL; --from snapshot"),
        # before: the server was asked for its 2 MB of metadata first, and only then was the folder found
        (
            ["spec", "h2o3", "--from", NOTHING_LISTENS, "--out", "TMP"],
            "--out TMP is a folder: give the path of the file",
        ),
        # values that would start a run that cannot mean anything: refused before anything starts
        (["run", "--api", "h2o3", "--max-examples", "0"], "--max-examples must be at least 1"),
        (["run", "--api", "h2o3", "--max-time", "0s"], "--max-time must be a positive duration"),
        (["load", "h2o3.polling", "-t", "0s"], "--run-time must be a positive duration"),
        (["run", "--api", "h2o3", "--max-time", "99999999999h"], "'99999999999h' is longer than a year"),
        (["load", "h2o3.polling", "-t", "99999999999h"], "'99999999999h' is longer than a year"),
        (["load", "h2o3.polling", "--max-time", "0"], "--max-time must be a positive duration"),
        # argparse read "-5s" as an option: "expected one argument"; and "--max-time=-5s" as "cannot read"
        (["run", "--api", "h2o3", "--max-time", "-5s"], "--max-time must be a positive duration, got '-5s'"),
        (["run", "--api", "h2o3", "--max-time=-5s"], "--max-time must be a positive duration, got '-5s'"),
        (["load", "h2o3.polling", "--max-time", "-5s"], "--max-time must be a positive duration, got '-5s'"),
        (["load", "h2o3.polling", "--max-time=-1m30s"], "--max-time must be a positive duration, got '-1m30s'"),
        # it loaded until --max-time, then stopped with exit 3 and the figures of a shorter load than asked for
        (
            ["load", "h2o3.polling", "-t", "10m", "--max-time", "5m"],
            "--max-time 5m stops the load before its --run-time 10m is over: give a longer --max-time",
        ),
        (["load", "h2o3.polling", "--max-time", "30s"], "--max-time 30s stops the load before its --run-time 30s"),
        # the last one was judged, without a word of the first
        (
            ["load", "h2o3.polling", "-t", "1s", "--slo", "failure_ratio=0.1", "--slo", "failure_ratio=0.5"],
            "--slo: failure_ratio is given twice (0.1 and 0.5): give one",
        ),
        (
            [
                "load",
                "h2o3.polling",
                "-t",
                "1s",
                "--slo",
                "GET /3/Jobs/{job_id}:p95_ms=1",
                "--slo",
                "x:p95_ms=2",
                "--slo",
                "GET /3/Jobs/{job_id}:p95_ms=3",
            ],
            "--slo: GET /3/Jobs/{job_id}:p95_ms is given twice (1 and 3)",
        ),
        (["load", "h2o3.polling", "-t", "-5s"], "--run-time must be a positive duration, got '-5s'"),
        (["run", "--api", "h2o3", "--budget", "-5m"], "--budget must be a positive duration, got '-5m'"),
        (["run", "--api", "h2o3", "--budget", "0"], "--budget must be a positive duration, got '0'"),
        (["load", "h2o3.polling", "--mock-speed", "0"], "--mock-speed must be above 0"),
        (["load", "h2o3.polling", "-t", "1s", "--arrival-rate", "0"], "--arrival-rate must be above 0"),
        (["load", "h2o3.polling", "-t", "1s", "--arrival-rate", "-1"], "--arrival-rate must be above 0"),
        # before: Locust's own usage error, or a run that sent no arrival at all
        (["load", "h2o3.polling", "-t", "1s", "--arrival-rate", "inf"], "--arrival-rate must be above 0"),
        (["load", "h2o3.polling", "-t", "1s", "-r", "nan"], "--spawn-rate must be above 0 users per second and finite"),
        (["load", "h2o3.polling", "-t", "1s", "-r", "inf"], "--spawn-rate must be above 0 users per second and finite"),
        # one line for the three options left a user to guess which one was wrong
        (["load", "h2o3.polling", "-t", "1s", "-u", "0"], "--users must be at least 1, got 0"),
        (["load", "h2o3.polling", "-t", "1s", "--workers", "-2"], "--workers must be at least 0 (0: no workers"),
        (["load", "h2o3.polling", "-t", "1s", "--slo", "p95_ms=500"], "p95_ms is a latency limit: it needs an entry"),
        (["load", "h2o3.polling", "-t", "1s", "--max-dispatch-delay", "-5"], "--max-dispatch-delay must be above 0 ms"),
        (
            ["load", "h2o3.polling", "-t", "1s", "--request-deadline", "0"],
            "--request-deadline must be a positive number",
        ),
        # every test of the run failed with setitimer's OverflowError
        (["run", "--api", "h2o3", "--test-deadline", "inf"], "--test-deadline must be a positive number"),
        (["serve", "--api", "h2o3", "--speed", "-1"], "--speed must be above 0"),
        # an infinite clock: the mock answered its parses and deletes with HTTP 500, and load judged that
        (
            ["serve", "--api", "h2o3", "--speed", "inf"],
            "--speed must be above 0 (a stopped clock never ends a job) and",
        ),
        (["load", "h2o3.polling", "--mock-speed", "inf"], "--mock-speed must be above 0 (a stopped clock never ends"),
        # the mock served, and answered every request that carries a date with HTTP 500 (OverflowError)
        (["serve", "--api", "h2o3", "--speed", "1e12"], "--speed must be above 0 (a stopped clock never ends a job)"),
        (["load", "h2o3.polling", "--mock-speed", "1e308"], "at most 10000 (the mock's dates would pass year 9999)"),
        (["load", "h2o3.polling", "--stop-timeout", "-1"], "--stop-timeout must be 0 or more seconds"),
        (["load", "h2o3.polling", "--stop-timeout", "nan"], "--stop-timeout must be 0 or more seconds"),
        (["serve", "--api", "h2o3", "--port", "70000"], "port 70000 is out of range"),
        # the password alone was dropped, and the mock took every request with no credentials at all
        (["serve", "--api", "h2o3", "--password-env", "PW"], "--password-env is the password of --username: give"),
        (["serve", "--api", "h2o3", "--port", "-1"], "port -1 is out of range"),
        # a live target's options with another target would be ignored: the mock tested instead of staging
        (
            ["run", "--api", "h2o3", "--max-time", "5s", "--url", "http://127.0.0.1:9"],
            "--url is for --target live; a mock target",
        ),
        (
            ["run", "--target", "local", "--max-time", "5s", "--username", "qa"],
            "--username is for --target live; a local target",
        ),
        (
            ["load", "h2o3.polling", "-t", "1s", "--url", "http://127.0.0.1:9"],
            "--url is for --target live; a mock target",
        ),
        (
            ["load", "h2o3.polling", "-t", "1s", "--api-key-env", "K"],
            "--api-key-env is for --target live; a mock target",
        ),
        # it loaded the mock without a word that the host allowed was for nothing
        (
            ["load", "h2o3.polling", "-t", "1s", "--allow-host", "h2o.staging.example"],
            "--allow-host is for --target live; a mock target would ignore it",
        ),
        # before, a load at one rate ran without a word about the search's options it ignored
        (["load", "h2o3.polling", "-t", "1s", "--windows", "2"], "--windows is for --find-capacity; a run at one"),
        (["load", "h2o3.polling", "-t", "1s", "--max-rate", "8"], "--max-rate is for --find-capacity"),
        (["load", "h2o3.polling", "-t", "1s", "--warmup", "5s"], "--warmup is for --find-capacity"),
        # URLs httpx cannot send: one line naming the option, not httpx's InvalidURL
        (["run", "--target", "live", "--api", "h2o3", "--url", "http://127.0.0.1:abc"], "--url is not a valid URL"),
        (["run", "--target", "live", "--api", "h2o3", "--url", "http://[::1"], "--url is not a valid URL"),
        (["run", "--target", "live", "--api", "h2o3", "--url", "http://"], "--url has no host"),
        (["load", "h2o3.polling", "--target", "live", "--url", "http://127.0.0.1:abc"], "--url is not a valid URL"),
        (["spec", "h2o3", "--from", "http://127.0.0.1:abc", "--out", "x.yaml"], "--from is not a valid URL"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("H2O3_URL", raising=False)
    monkeypatch.chdir(ROOT)
    (tmp_path / "x.yaml").write_text("")
    argv = [a.replace("x.yaml", str(tmp_path / "x.yaml")).replace("TMP", str(tmp_path)) for a in argv]
    assert main(argv) == 3
    assert needle.replace("TMP", str(tmp_path)) in one_line_error(capsys)


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("HARNESS_REQUEST_DEADLINE", "-1", "HARNESS_REQUEST_DEADLINE='-1' must be a positive number of seconds"),
        ("HARNESS_MAX_EXAMPLES", "0", "HARNESS_MAX_EXAMPLES='0' must be at least 1"),
        ("HARNESS_BUDGET", "ten minutes", "HARNESS_BUDGET: cannot read the duration 'ten minutes'"),
        # relative to where run was started, not to the suite folder pytest runs in
        ("HARNESS_MOCK_FAULTS", "faults.yaml", "unknown fault 'explode'"),
    ],
)
def test_a_bad_harness_variable_is_one_line_before_pytest_starts(
    variable: str,
    value: str,
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "faults.yaml").write_text("rules: [{fault: explode}]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    assert main(["run", "--api", "h2o3", "--suite-dir", str(ROOT), "--report-dir", str(tmp_path / "r")]) == 3
    assert needle in one_line_error(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["load", "h2o3.polling", "--target", "live", "--url", "http://qa:pl4nted%2Fpw@127.0.0.1:9"],
        ["spec", "h2o3", "--from", "http://qa:pl4nted%2Fpw@127.0.0.1:9", "--out", "x.yaml"],
        ["run", "--target", "live", "--api", "h2o3", "--url", "ftp://qa:pl4nted%2Fpw@x"],
        ["run", "--target", "live", "--api", "h2o3", "--url", "http://qa:pl4nted%2Fpw@127.0.0.1:abc"],
    ],
)
def test_a_password_in_the_url_is_never_printed(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    argv = [a.replace("x.yaml", str(tmp_path / "x.yaml")) for a in argv]
    assert main([*argv, "--report-dir", str(tmp_path)] if argv[0] != "spec" else argv) == 3
    line = one_line_error(capsys)
    assert "127.0.0.1:" in line or "ftp://" in line
    assert "pl4nted" not in line


def test_a_local_run_without_java_says_so_before_any_test_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    assert main(["run", "--target", "local", "--api", "h2o3", "--report-dir", str(tmp_path / "r")]) == 3
    assert "no 'java' on PATH" in one_line_error(capsys)
    assert not (tmp_path / "r" / "conformance.json").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--api", "h2o3", "--report-dir", "FILE"], "--report-dir FILE: cannot make that folder"),
        (["run", "--api", "h2o3", "--report-dir", "FILE/sub"], "--report-dir FILE/sub: cannot make that folder"),
        (["load", "h2o3.polling", "-t", "1s", "--report-dir", "FILE"], "--report-dir FILE: cannot make that folder"),
        (["spec", "h2o3", "--out", "FILE/openapi.yaml"], "--out FILE: cannot make that folder"),
        (["spec", "h2o3", "--out", "DIR"], "--out DIR is a folder: give the path of the file"),
        (["spec", "h2o3", "--out", "DIR/o.yaml", "--snapshot", "FILE"], "--snapshot FILE: cannot make that folder"),
        (
            ["baseline", "--from", "REPORT", "--api", "h2o3", "--out", "DIR"],
            "--out DIR is a folder: give the path of the file",
        ),
        (["baseline", "--from", "REPORT", "--api", "h2o3", "--out", "FILE/k.yaml"], "--out FILE: cannot make"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_one_line_and_exit_3(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A report folder or output file where a file, or a folder, already is: the option named, the file kept."""
    monkeypatch.chdir(ROOT)
    (tmp_path / "file").write_text("mine")
    (tmp_path / "dir").mkdir()
    from h2oharness.report.model import ApiReport, Conformance

    report = tmp_path / "conformance.json"
    h2o3 = ApiReport("h2o3", "H2O-3", "local", "http://127.0.0.1:1", (), (), ())
    report.write_text(Conformance("0", "", 0.0, (h2o3,), exit_code=0, summary="").to_json())
    names = {"FILE": str(tmp_path / "file"), "DIR": str(tmp_path / "dir"), "REPORT": str(report)}
    for placeholder, path in names.items():
        argv, needle = [a.replace(placeholder, path) for a in argv], needle.replace(placeholder, path)
    assert main(argv) == 3
    assert needle in one_line_error(capsys)
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "c.json: not valid JSON"),
        (b'{"format": 1, "apis": [', "c.json: not valid JSON"),
        (b"[1, 2]", "c.json: top level: expected an object, got a list"),
        (b'{"format": 1}', "c.json: top level: missing field 'harness_version'"),
        (b"\x7fELF\x02\x01\xf0\x28", "c.json: not a conformance report (not UTF-8 text)"),
    ],
)
def test_baseline_from_a_corrupt_report_names_the_file_and_writes_nothing(
    content: bytes, needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report, out = tmp_path / "c.json", tmp_path / "known.yaml"
    report.write_bytes(content)
    out.write_text("- {check: not_a_server_error, operations: ['GET /x'], reason: mine}\n")
    assert main(["baseline", "--from", str(report), "--api", "h2o3", "--out", str(out), "--merge"]) == 3
    assert needle in one_line_error(capsys)
    assert "reason: mine" in out.read_text()


#: every option and argument that takes text or a path, after what its command needs besides
TEXT_OPTIONS: list[tuple[list[str], str]] = [
    *((["run"], option) for option in ("--target", "--api", "--report-dir", "--url", "--username")),
    *((["run"], option) for option in ("--password-env", "--api-key-env", "--spec", "--workers", "--suite-dir")),
    *((["run"], option) for option in ("--mock-faults", "--max-time", "--budget")),
    *((["load", "h2o3.polling"], option) for option in ("--target", "-t", "--window", "--warmup", "--slo")),
    *((["load", "h2o3.polling"], option) for option in ("--allow-host", "--mock-faults", "--max-time")),
    *((["load", "h2o3.polling"], option) for option in ("--report-dir", "--url", "--username", "--password-env")),
    *((["load", "h2o3.polling"], option) for option in ("--api-key-env", "--suite-dir")),
    (["serve"], "--api"),
    *((["serve", "--api", "h2o3"], option) for option in ("--host", "--username", "--password-env")),
    *((["serve", "--api", "h2o3"], option) for option in ("--api-key-env", "--faults")),
    (["baseline", "--api", "h2o3"], "--from"),
    (["baseline", "--from", "r.json"], "--api"),
    (["baseline", "--from", "r.json", "--api", "h2o3"], "--out"),
    (["spec", "h2o3"], "--out"),
    *((["spec", "h2o3", "--out", "x.yaml"], option) for option in ("--from", "--username", "--password-env")),
    (["spec", "h2o3", "--out", "x.yaml"], "--snapshot"),
]


@pytest.mark.parametrize("value", ["", " "])
@pytest.mark.parametrize(("before", "option"), TEXT_OPTIONS)
def test_an_option_given_an_empty_or_blank_value_is_one_line_and_exit_3(
    before: list[str], option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty value is a mistake, not the option left out: ``--report-dir ''`` wrote the report into the current
    folder, ``serve --host ''`` served the mock on every interface, ``--url ''`` tested the mock without a word."""
    from h2oharness.cli import _parser

    with pytest.raises(SystemExit) as excinfo:
        _parser().parse_args([*before, option, value])
    assert excinfo.value.code == 3
    word = "blank" if value else "empty"
    line = one_line_error(capsys)
    assert f"argument {option}" in line
    assert f"{value!r} is {word}: give a value, or leave it out" in line


@pytest.mark.parametrize(
    "argv", [["load", ""], ["report", "diff", "", "new.json"], ["report", "diff", "old.json", " "], ["spec", ""]]
)
def test_an_empty_or_blank_argument_is_one_line_and_exit_3(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``report diff '' new`` read the current folder's conformance.json."""
    with pytest.raises(SystemExit) as excinfo:
        main([*argv, *(["--out", "x.yaml"] if argv[0] == "spec" else [])])
    assert excinfo.value.code == 3
    assert "give a value, or leave it out" in one_line_error(capsys)


def test_run_with_an_empty_report_dir_writes_nothing_into_the_current_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The known defect: ``Path('')`` is the current folder, and the run's report and progress went there."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as excinfo:
        main(["run", "--api", "h2ogpte", "--workers", "0", "--max-time", "5s", "--report-dir", ""])
    assert excinfo.value.code == 3
    assert "argument --report-dir: '' is empty" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_blank_budget_variable_leaves_the_run_its_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A blank ``HARNESS_BUDGET`` is unset, as for every variable: the run is not budgeted, so not one process."""
    from h2oharness.cli import _parser, pytest_command

    monkeypatch.setenv("HARNESS_BUDGET", " ")
    args = _parser().parse_args(["run", "--workers", "2"])
    assert "-n" in pytest_command(args, "mock", tmp_path, ROOT, ["contracts/h2o3"])


def test_argparse_errors_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["run", "--no-such-option"])
    assert excinfo.value.code == 3
    assert "unrecognized arguments: --no-such-option" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("operations", "flags", "needle"),
    [
        ({"/3/Shutdown": "post"}, [], "none of its 1 operations is in this run's scope"),
        ({"/3/Shutdown": "post"}, [], "add --all-operations --include-destructive"),
        ({"/3/Shutdown": "post"}, ["--all-operations"], "add --all-operations --include-destructive"),
        ({"/3/ModelBuilders/kmeans": "post"}, [], "add --all-operations"),
    ],
)
def test_a_spec_whose_operations_this_run_would_not_test_is_refused_before_any_test_runs(
    operations: dict[str, str],
    flags: list[str],
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the run went ahead and ended in "cannot collect ...: does not match any API operations and therefore has no
    # effect", with nothing said about why (scope) nor what to add
    monkeypatch.chdir(ROOT)
    ok = {"responses": {"200": {"description": "ok"}}}
    paths = {path: {method: ok} for path, method in operations.items()}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}))
    argv = ["run", "--api", "h2o3", "--spec", f"h2o3={spec}", *flags, "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    error = one_line_error(capsys)
    assert needle in error
    assert error.endswith(needle) or needle.startswith("none")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("openapi: [unclosed", "not valid YAML"),
        ("just: a mapping\n", "not an OpenAPI document"),
        ("openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n", "version"),
        (b"\x7fELF\x02\x01\xf0\x28\x8c\xbc", "is not an OpenAPI document (not UTF-8 text)"),
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n", "documents no operation under 'paths'"),
        (
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n"
            "        '200':\n          description: ok\n          content:\n            application/json:\n"
            "              schema: {$ref: '#/components/schemas/Missing'}\n",
            "the $ref '#/components/schemas/Missing' points to nothing",
        ),
        pytest.param(  # the validator followed the cycle until a RecursionError ended the CLI with a traceback
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n"
            "        '200':\n          description: ok\n          content:\n            application/json:\n"
            "              schema: {$ref: '#/components/schemas/A'}\ncomponents:\n  schemas:\n"
            "    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
            "the $refs #/components/schemas/A -> #/components/schemas/B -> #/components/schemas/A lead back",
            id="ref-cycle",
        ),
        pytest.param("a: " + "[" * 20_000 + "]" * 20_000 + "\n", "nests too deeply to read", id="deep-nesting"),
    ],
)
def test_malformed_spec_file_is_rejected_before_any_test_runs(
    content: str | bytes,
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["run", "--api", "h2o3", "--spec", f"h2o3={bad}", "--report-dir", str(tmp_path / "r")]) == 3
    assert needle in one_line_error(capsys)
    assert not (tmp_path / "r" / "conformance.json").exists()


def test_a_run_whose_pytest_wrote_no_report_does_not_show_the_previous_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """pytest ended before writing (a usage error): the earlier run's conformance.json is not this run's verdict."""
    import os
    import time

    from h2oharness.cli import _finish
    from h2oharness.errors import HarnessError

    earlier = tmp_path / "conformance.json"
    earlier.write_text(
        '{"format": 1, "harness_version": "0", "started_at": "", "duration": 0, "exit_code": 1, "summary": "",'
        ' "counts": {}, "apis": []}'
    )
    os.utime(earlier, (time.time() - 3600, time.time() - 3600))
    with pytest.raises(HarnessError, match="pytest exited with code 4 and wrote no report"):
        _finish(tmp_path, 4, started=time.time())
    assert capsys.readouterr().out == ""
    assert earlier.is_file()


def broken_suite(root: Path) -> None:
    """A suite folder under ``root`` whose one h2o3 contract module is not Python (and an empty scenarios folder)."""
    (root / "contracts" / "h2o3").mkdir(parents=True)
    (root / "scenarios").mkdir()
    (root / "contracts" / "h2o3" / "test_broken.py").write_text("def test_x(:\n")


def test_a_suite_module_that_cannot_be_collected_is_a_harness_error_of_its_api(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A module that cannot be collected is an error of its API: exit 3 naming the module, not "nothing tested, 0"."""
    broken_suite(tmp_path)
    argv = ["run", "--api", "h2o3", "--suite-dir", str(tmp_path), "--workers", "0", "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    out = capsys.readouterr().out
    assert "cannot collect contracts/h2o3/test_broken.py: SyntaxError" in out
    report = json.loads((tmp_path / "r" / "conformance.json").read_text())
    assert report["exit_code"] == 3
    assert [api["slug"] for api in report["apis"]] == ["h2o3"]


def test_a_module_of_one_api_that_cannot_be_collected_leaves_the_other_apis_tested(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pytest ran no test at all after a collection error: the workflows scenario never ran, and workflows was
    # missing from the report as if the run had not been asked to test it
    broken_suite(tmp_path)
    (tmp_path / "scenarios" / "test_workflows_fine.py").write_text("def test_fine():\n    pass\n")
    argv = ["run", "--api", "h2o3,workflows", "--suite-dir", str(tmp_path), "--workers", "0"]
    assert main([*argv, "--report-dir", str(tmp_path / "r")]) == 3
    report = json.loads((tmp_path / "r" / "conformance.json").read_text())
    apis = {api["slug"]: api for api in report["apis"]}
    assert apis["h2o3"]["errors"] == ["cannot collect contracts/h2o3/test_broken.py: SyntaxError: invalid syntax"]
    assert [(s["name"], s["outcome"]) for s in apis["workflows"]["scenarios"]] == [("test_fine", "passed")]
    assert apis["workflows"]["errors"] == []


def run_report(
    suite: Path, tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, dict[str, Any]]:
    """``main(run ...)`` on ``suite``: its exit code, what it printed (stderr first), and the conformance.json."""
    code = main([*argv, "--suite-dir", str(suite), "--workers", "0", "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    return code, captured.err + captured.out, json.loads((tmp_path / "r" / "conformance.json").read_text())


def test_an_unreachable_live_target_is_said_at_once_and_is_its_api_s_error_in_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_suite: Callable[[str], Path]
) -> None:
    # no report at all would leave CI with none to publish, or with the last run's to misread
    argv = ["run", "--target", "live", "--api", "coreplexml", "--url", "http://qa:pl4nted%2Fpw@127.0.0.1:9"]
    code, printed, report = run_report(small_suite("coreplexml"), tmp_path, argv, capsys)
    assert code == 3
    # said before the run, in one line, and again in the report's verdict
    assert printed.splitlines()[0].startswith("h2oharness: coreplexml: cannot reach http://127.0.0.1:9"), printed
    assert "Traceback" not in printed
    assert report["exit_code"] == 3
    (api,) = report["apis"]
    assert (api["slug"], api["target"], api["target_url"]) == ("coreplexml", "live", "http://127.0.0.1:9")
    (error,) = api["errors"]
    assert error.startswith("the live target could not be used: cannot reach http://127.0.0.1:9"), error
    # its tests did not run: neither passed nor failed
    assert (api["counts"]["tested"], api["counts"]["scenarios_skipped"], api["counts"]["scenarios_failed"]) == (0, 2, 0)
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert 'errors="2"' in junit
    assert "NOT RUN coreplexml scenario test_one against http://127.0.0.1:9 (live): the live target could not" in junit
    # the reason once in full, with what to do; the next test it kept from running has the reason alone: CI shows
    # each case on its own, where "for the reason given in full above" gave none
    second = "NOT RUN coreplexml scenario test_two: the live target could not be used: cannot reach http://127.0.0.1:9"
    assert second in junit
    assert not [line for line in junit.splitlines() if "test_two:" in line and " -> " in line]
    for text in (printed, *(p.read_text(errors="replace") for p in (tmp_path / "r").rglob("*") if p.is_file())):
        assert "pl4nted" not in text


def test_a_resume_with_other_options_is_refused_naming_them_and_one_with_the_same_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_suite: Callable[[str], Path]
) -> None:
    # progress.jsonl kept no options: a resume of another API's run reported that run's tests as its own
    suite = small_suite("coreplexml")
    (suite / "scenarios" / "test_workflows_reach.py").write_text("def test_w():\n    pass\n")
    code, _, report = run_report(suite, tmp_path, ["run", "--api", "coreplexml"], capsys)
    assert code == 0
    progress = tmp_path / "r" / "progress.jsonl"
    first = json.loads(progress.read_text().splitlines()[0])["run"]
    assert (first["tests"], first["target"]) == ("contracts/coreplexml, scenarios/test_coreplexml_reach.py", "mock")
    before = progress.read_text()
    base = ["--suite-dir", str(suite), "--workers", "0", "--report-dir", str(tmp_path / "r"), "--resume"]
    assert main(["run", "--api", "workflows", *base]) == 3
    error = one_line_error(capsys)
    assert f"cannot resume the run in {tmp_path / 'r'}: it was made with other options (the tests (--api) " in error
    assert "scenarios/test_coreplexml_reach.py then, scenarios/test_workflows_reach.py now)" in error
    assert main(["run", "--api", "coreplexml", "--max-examples", "3", "--all-operations", *base]) == 3
    assert "(--all-operations false then, true now; --max-examples 10 then, 3 now)" in one_line_error(capsys)
    assert progress.read_text() == before  # nothing of the refused runs
    assert main(["run", "--api", "coreplexml", *base]) == 0
    assert [line for line in progress.read_text().splitlines() if '"run"' in line[:8]] == [before.splitlines()[0]]
    again = json.loads((tmp_path / "r" / "conformance.json").read_text())
    assert [api["slug"] for api in again["apis"]] == [api["slug"] for api in report["apis"]] == ["coreplexml"]


def test_wrong_password_is_exit_3_and_the_api_s_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    small_suite: Callable[[str], Path],
) -> None:
    from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
    from h2oharness.mocks.serve import serve

    state = H2O3MockState()
    state.credentials = ("admin", "right-password")
    monkeypatch.setenv("H2OHARNESS_TEST_PW", "wrong-password")
    with serve(make_app(state)) as served:
        argv = ["run", "--target", "live", "--api", "h2o3", "--url", served.url, "--username", "admin"]
        argv += ["--password-env", "H2OHARNESS_TEST_PW"]
        code, printed, report = run_report(small_suite("h2o3"), tmp_path, argv, capsys)
    assert code == 3
    first = printed.splitlines()[0]
    assert first.startswith("h2oharness: h2o3: "), printed
    assert "refused the credentials" in first
    (api,) = report["apis"]
    (error,) = api["errors"]
    assert "refused the credentials" in error
    assert "wrong-password" not in printed + json.dumps(report)


def test_spec_takes_the_credentials_run_takes_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # before: H2O3_USERNAME and H2O3_PASSWORD, which run and load take, were not read: a 401 "wrong or missing"
    from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
    from h2oharness.mocks.serve import serve

    state = H2O3MockState()
    state.credentials = ("admin", "right-password")
    monkeypatch.setenv("H2O3_USERNAME", "admin")
    monkeypatch.setenv("H2O3_PASSWORD", "right-password")
    out = tmp_path / "openapi.yaml"
    with serve(make_app(state)) as served:
        assert main(["spec", "h2o3", "--from", served.url, "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.read_text() == (ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text()


@pytest.mark.parametrize(
    ("workers", "needle"),
    [
        # xdist's MemoryError traceback, after pytest had started
        ("99999999999", "--workers takes at most 64 (twice the CPUs, at least 64), got 99999999999"),
        ("65", "--workers takes at most 64"),
        ("²", "--workers takes a number of 0 or more, auto or logical"),  # a digit to str.isdigit, not to int()
    ],
)
def test_run_refuses_more_workers_than_a_machine_can_start(
    workers: str, needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from h2oharness import cli

    def command(args: Any, kind: str, report_dir: Path, root: Path, paths: list[str]) -> list[str]:
        raise AssertionError(f"a run of {args.workers} workers was started")

    monkeypatch.setattr(cli, "pytest_command", command)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.chdir(ROOT)
    assert main(["run", "--api", "h2o3", "--workers", workers, "--report-dir", str(tmp_path / "out")]) == 3
    assert needle in one_line_error(capsys)


def test_load_refuses_more_workers_than_a_machine_can_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a list of a Locust command per worker was built until the memory ran out
    from h2oharness import loadrunner

    def execute(run: loadrunner.LoadRun) -> None:
        raise AssertionError(f"a load of {run.workers} workers was started")

    monkeypatch.setattr(loadrunner, "execute", execute)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.chdir(ROOT)
    argv = ["load", "h2o3.polling", "-t", "1s", "--report-dir", str(tmp_path / "out"), "--workers", "99999999999"]
    assert main(argv) == 3
    assert "--workers takes at most 64 (twice the CPUs, at least 64), got 99999999999" in one_line_error(capsys)


def test_load_refuses_a_rate_resolution_that_never_bisects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # --rate-resolution 5 (meant as 5 %) was taken: a search that only doubled, its answer up to 2x off
    from h2oharness import capacity

    def find_capacity(run: Any, search: Any) -> None:
        raise AssertionError(f"a search of resolution {search.resolution} was started")

    monkeypatch.setattr(capacity, "find_capacity", find_capacity)
    monkeypatch.chdir(ROOT)
    argv = ["load", "h2o3.polling", "--find-capacity", "--rate-resolution", "5", "--report-dir", str(tmp_path)]
    assert main(argv) == 3
    assert "--rate-resolution is a share of a rate, above 0 and below 1 (0.1 is 10 %), got 5" in one_line_error(capsys)


def no_load_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a load or a capacity search that starts fail the test at once (a refusal must come before), from the
    project's folder."""
    from h2oharness import capacity, loadrunner

    def started(*_: Any) -> None:
        raise AssertionError("a load was started")

    monkeypatch.setattr(loadrunner, "execute", started)
    monkeypatch.setattr(capacity, "find_capacity", started)
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        (["--rate-resolution", "5"], "--rate-resolution is a share of a rate"),
        (["--arrival-rate", "2"], "--find-capacity chooses the arrival rates itself: drop --arrival-rate"),
        (["--windows", "3", "--windows-to-pass", "5"], "--windows-to-pass must be between 1 and --windows (3)"),
        (["--min-rate", "8", "--max-rate", "4"], "--min-rate must be above 0 and at most --max-rate"),
    ],
)
def test_a_refused_capacity_search_leaves_no_report_folder(
    given: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # the search's options were checked after --report-dir was made: an empty folder was left behind, as run avoids
    no_load_starts(monkeypatch)
    out = tmp_path / "out"
    assert main(["load", "h2o3.polling", "--find-capacity", *given, "--report-dir", str(out)]) == 3
    assert needle in one_line_error(capsys)
    assert not out.exists()


@pytest.mark.parametrize("find_capacity", [False, True], ids=["one-rate", "find-capacity"])
def test_a_load_whose_slo_names_an_entry_the_profile_never_records_is_refused_before_it_starts(
    find_capacity: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # it ran the whole load, then said the SLO was broken: "the run recorded no entry 'GET /3/Job/{job_id}'"
    no_load_starts(monkeypatch)
    out = tmp_path / "out"
    argv = ["load", "h2o3.polling", "-t", "1s", "--slo", "GET /3/Job/{job_id}:p95_ms=500", "--report-dir", str(out)]
    assert main(argv + (["--find-capacity"] if find_capacity else [])) == 3
    line = one_line_error(capsys)
    assert "--slo: an SLO on 'GET /3/Job/{job_id}', an entry h2o3.polling never records" in line
    assert "closest valid names: 'GET /3/Jobs/{job_id}'" in line
    assert not out.exists()


def test_load_checks_the_slos_against_its_suite_s_own_profile(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from h2oharness import loadrunner

    class Ran(Exception):
        pass

    def execute(run: loadrunner.LoadRun) -> None:
        raise Ran(run.profile.file)

    monkeypatch.setattr(loadrunner, "execute", execute)
    monkeypatch.chdir(ROOT)
    (tmp_path / "loadtests").mkdir()
    (tmp_path / "loadtests" / "h2o3.py").write_text(
        "from h2oharness.loadtest import HarnessUser, job_metrics\n\n\nclass PollingUser(HarnessUser):\n"
        "    def work(self) -> None:\n        with job_metrics(self.environment, 'suite job'):\n            pass\n"
    )
    (tmp_path / "loadtests" / "h2o3.slo.yaml").write_text(
        "polling:\n  - entry: JOB suite job submitted\n    min_requests: 1\n"
    )
    argv = ["load", "h2o3.polling", "-t", "1s", "--suite-dir", str(tmp_path), "--report-dir", str(tmp_path / "out")]
    with pytest.raises(Ran):
        main(argv)
    # the project's profile records this job, the suite's does not
    assert main([*argv, "--slo", "JOB h2o3 parse submitted:min_requests=1"]) == 3
    assert "closest valid names: 'JOB suite job submitted'" in one_line_error(capsys)
    # a request outside the contract is named by its path: said, and the load goes on
    with pytest.raises(Ran):
        main(["load", "h2o3.polling", "-t", "1s", "--slo", "GET /3/Nowhere:p95_ms=500", *argv[-2:]])
    assert "h2oharness: warning: --slo: SLO entry 'GET /3/Nowhere' is no operation of" in capsys.readouterr().err


def test_the_most_workers_grows_with_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.cli import max_workers

    monkeypatch.setattr("os.cpu_count", lambda: 128)
    assert max_workers() == 256
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert max_workers() == 64


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"h2oharness {version('h2oharness')}"


def test_run_hands_pytest_a_quiet_command_and_keeps_hypothesis_out_of_the_checkout(tmp_path: Path) -> None:
    from h2oharness.cli import _parser, pytest_command, run_environment

    args = _parser().parse_args(["run", "--workers", "2", "--max-examples", "3"])
    command = pytest_command(args, "mock", tmp_path, ROOT, ["contracts/h2o3"])
    pairs = set(itertools.pairwise(command))
    # the collector narrates instead of pytest's terminal; no base64 statistics in junit.xml; no .benchmarks/
    assert {("-p", "no:terminal"), ("-p", "no:hypothesispytest"), ("-p", "no:benchmark")} <= pairs
    assert {("--junitxml", str(tmp_path / "junit.xml")), ("-n", "2"), ("--harness-max-examples", "3")} <= pairs
    env = run_environment({"PATH": "/bin"}, tmp_path)
    assert env == {"PATH": "/bin", "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / ".hypothesis")}
    assert (
        run_environment({"HYPOTHESIS_STORAGE_DIRECTORY": "/mine"}, tmp_path)["HYPOTHESIS_STORAGE_DIRECTORY"] == "/mine"
    )


def test_spec_from_snapshot_reproduces_the_committed_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "openapi.yaml"
    assert main(["spec", "h2o3", "--from", "snapshot", "--out", str(out)]) == 0
    assert out.read_text() == (ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text()
    assert "295 operations" in capsys.readouterr().out


def test_the_folder_of_a_run_that_did_not_finish_is_said_so_with_how_to_finish_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: "cannot read .../conformance.json: No such file or directory"
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "progress.jsonl").write_text('{"options": {}}\n')
    folder = str(tmp_path / "r")
    for argv in (["report", "diff", folder, folder], ["baseline", "--from", folder, "--api", "h2o3"]):
        assert main(argv) == 3
        assert one_line_error(capsys).endswith(
            f"{folder} holds a run that did not finish (progress.jsonl, no conformance.json): finish it with "
            f"`h2oharness run --resume --report-dir {folder}` and the options it was started with"
        ), argv


@pytest.mark.parametrize("blocked", ["endpoints.json.gz", "schemas.json.gz", "VERSION"])
def test_spec_whose_snapshot_cannot_be_written_writes_nothing(
    blocked: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: --out was written, then a traceback (IsADirectoryError) and exit 0, half a snapshot beside it
    snap = tmp_path / "snap"
    (snap / blocked).mkdir(parents=True)
    out = tmp_path / "openapi.yaml"
    assert main(["spec", "h2o3", "--from", "snapshot", "--out", str(out), "--snapshot", str(snap)]) == 3
    assert one_line_error(capsys).endswith(
        f"--snapshot {snap / blocked} is a folder: give the path of the file to write, in it or elsewhere"
    )
    assert not out.exists()
    assert [p.name for p in snap.iterdir()] == [blocked]


def test_spec_writes_the_snapshot_beside_the_contract(tmp_path: Path) -> None:
    snap, out = tmp_path / "snap", tmp_path / "openapi.yaml"
    assert main(["spec", "h2o3", "--from", "snapshot", "--out", str(out), "--snapshot", str(snap)]) == 0
    committed = ROOT / "h2oharness" / "apis" / "h2o3" / "metadata"
    assert sorted(p.name for p in snap.iterdir()) == ["VERSION", "endpoints.json.gz", "schemas.json.gz"]
    assert (snap / "VERSION").read_text() == "3.46.0.12\n"
    for name in ("endpoints.json.gz", "schemas.json.gz"):
        assert (snap / name).read_bytes() == (committed / name).read_bytes(), name
    assert main(["spec", "h2o3", "--from", str(snap), "--out", str(tmp_path / "again.yaml")]) == 0
    assert (tmp_path / "again.yaml").read_text() == out.read_text()


def test_spec_from_metadata_of_no_routes_writes_no_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before: a contract of 0 operations, exit 0, and every later run against it tested nothing and passed
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "endpoints.json").write_text('{"routes": []}')
    (tmp_path / "meta" / "schemas.json").write_text('{"schemas": []}')
    out = tmp_path / "openapi.yaml"
    assert main(["spec", "h2o3", "--from", str(tmp_path / "meta"), "--out", str(out)]) == 3
    assert one_line_error(capsys).endswith("describes no operations (its routes are empty): no contract written")
    assert not out.exists()


def test_spec_gives_a_silent_server_the_request_deadline_it_is_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: no --request-deadline; every server had a fixed 60 s, a dead one was waited on that long
    out = tmp_path / "openapi.yaml"
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the backlog takes the connection; nothing answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        assert main(["spec", "h2o3", "--from", url, "--out", str(out), "--request-deadline", "0.2"]) == 3
    assert one_line_error(capsys).endswith(f"H2O-3 at {url} did not answer within 0.2 s")
    assert not out.exists()


@pytest.mark.parametrize(("given", "deadline"), [([], 60.0), (["--request-deadline", "600"], 600.0)])
def test_spec_hands_its_request_deadline_to_the_fetch(
    given: list[str], deadline: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from h2oharness.apis.h2o3 import openapi as h2o3_openapi

    seen: list[float] = []

    def fetch(base_url: str, auth: Any = None, timeout: float = 0.0) -> Any:
        seen.append(timeout)
        return h2o3_openapi.load_snapshot()

    monkeypatch.setattr(h2o3_openapi, "fetch_metadata", fetch)
    argv = ["spec", "h2o3", "--from", NOTHING_LISTENS, "--out", str(tmp_path / "o.yaml"), *given]
    assert main(argv) == 0
    assert seen == [deadline]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--from", "snapshot", "--request-deadline", "5"], "--request-deadline is for a server's URL"),
        (["--from", NOTHING_LISTENS, "--request-deadline", "0"], "--request-deadline must be"),
        (["--from", NOTHING_LISTENS, "--request-deadline", "nan"], "--request-deadline must be"),
        (["--from-client", "--request-deadline", "5"], "--request-deadline is for a server's description"),
    ],
)
def test_spec_refuses_a_request_deadline_it_cannot_use(
    argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = "h2ogpte" if "--from-client" in argv else "h2o3"
    assert main(["spec", api, *argv, "--out", str(tmp_path / "o.yaml")]) == 3
    assert needle in one_line_error(capsys)
    assert not (tmp_path / "o.yaml").exists()


def test_serve_prints_its_url_and_answers() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2oharness.cli", "serve", "--api", "h2o3", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.strip().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/3/Cloud", timeout=10).json()["cloud_healthy"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert proc.returncode == 0


def test_serve_on_every_address_says_so_and_prints_a_url_a_client_can_use() -> None:
    # before: no word that the mock left loopback, and "http://0.0.0.0:PORT", which load refuses as not loopback
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2oharness.cli", "serve", "--api", "h2o3", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/3/Cloud", timeout=10).json()["cloud_healthy"] is True
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert "warning: --host 0.0.0.0 serves the mock beyond this machine's loopback" in err


def test_load_takes_what_no_option_gives_from_its_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, load's own defaults replaced HARNESS_REQUEST_DEADLINE, _STREAM_DEADLINE, _ARRIVAL_PROCESS and _SEED
    in its Locust processes' environment: the variables did nothing."""
    import h2oharness.loadrunner as loadrunner
    from h2oharness.errors import ConfigError

    seen: list[Any] = []

    def execute(run: Any) -> None:
        seen.append(run)
        raise ConfigError("no Locust in this test")

    monkeypatch.setattr(loadrunner, "execute", execute)
    monkeypatch.chdir(ROOT)
    variables = {"REQUEST_DEADLINE": "7", "STREAM_DEADLINE": "9", "ARRIVAL_PROCESS": "poisson", "ARRIVAL_SEED": "3"}
    for name, value in variables.items():
        monkeypatch.setenv(f"HARNESS_{name}", value)
    argv = ["load", "h2o3.polling", "-t", "1s", "--arrival-rate", "2", "--report-dir", str(tmp_path)]
    assert main(argv) == 3
    assert main([*argv, "--request-deadline", "5", "--arrival-process", "constant", "--arrival-seed", "4"]) == 3
    taken = [(r.request_deadline, r.stream_deadline, r.arrival_process, r.arrival_seed) for r in seen]
    assert taken == [(7, 9, "poisson", 3), (5, 9, "constant", 4)]  # an option wins over its variable
    monkeypatch.setenv("HARNESS_ARRIVAL_PROCESS", "bursty")
    capsys.readouterr()
    assert main(argv) == 3
    assert "HARNESS_ARRIVAL_PROCESS='bursty': choose constant or poisson" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [([], "H2O3_URL"), (["--url", "http://127.0.0.1:9", "--password-env", "H2OHARNESS_UNSET"], "H2OHARNESS_UNSET")],
    ids=["no-url", "unset-password"],
)
def test_a_run_refused_before_it_starts_leaves_no_report_folder(
    extra: list[str], needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the folder was made first, so a refused live run left an empty reports/ behind
    monkeypatch.delenv("H2O3_URL", raising=False)
    monkeypatch.delenv("H2OHARNESS_UNSET", raising=False)
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    argv = ["run", "--target", "live", "--api", "h2o3", "--username", "u", "--report-dir", str(out), *extra]
    assert main(argv) == 3
    assert needle in one_line_error(capsys)
    assert not out.exists()


def test_load_hands_its_stop_timeout_to_locust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Locust's 10 s were fixed: a stuck job held every run 10 s past its time, with no way to shorten it
    from h2oharness import loadrunner

    class Ran(Exception):
        pass

    def execute(run: loadrunner.LoadRun) -> None:
        raise Ran(loadrunner.locust_commands(run, "http://127.0.0.1:9", tmp_path)[0])

    monkeypatch.setattr(loadrunner, "execute", execute)
    monkeypatch.chdir(ROOT)
    for given, sent in ((["--stop-timeout", "2.5"], "2.5"), ([], "10")):
        with pytest.raises(Ran) as ran:
            main(["load", "h2o3.polling", "-t", "2s", "--report-dir", str(tmp_path / "out"), *given])
        command = ran.value.args[0]
        assert command[command.index("--stop-timeout") + 1] == sent


def test_run_takes_apis_as_a_comma_list_as_it_takes_targets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # --target mock,local works, and --api workflows,coreplexml was "unknown API 'workflows,coreplexml'"
    from h2oharness import cli

    class Ran(Exception):
        pass

    def command(args: Any, kind: str, report_dir: Path, root: Path, paths: list[str]) -> list[str]:
        raise Ran(paths)

    monkeypatch.setattr(cli, "pytest_command", command)
    monkeypatch.chdir(ROOT)
    for apis in (["workflows,coreplexml"], ["workflows, coreplexml", "--api", "workflows"]):
        with pytest.raises(Ran) as ran:
            main(["run", "--api", *apis, "--report-dir", str(tmp_path)])
        assert [Path(p).relative_to(ROOT).as_posix() for p in ran.value.args[0]] == [
            "contracts/workflows",
            "scenarios/test_workflows_run_lifecycle.py",
            "contracts/coreplexml",
            "scenarios/test_coreplexml_experiment_lifecycle.py",
        ]


@pytest.mark.parametrize("find_capacity", [False, True], ids=["one-rate", "find-capacity"])
@pytest.mark.parametrize(
    ("given", "needle"),
    [
        (["--url", "https://h2o.staging.example"], "refusing to send load to h2o.staging.example"),
        ([], "target 'live' needs a URL for h2o3: set H2O3_URL or pass --url"),
        (["--url", "ftp://127.0.0.1:1"], "--url must start with http:// or https://"),
    ],
    ids=["not-allowed", "no-url", "bad-url"],
)
def test_a_refused_live_load_leaves_no_report_folder(
    find_capacity: bool,
    given: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # the host was checked as the target was opened, after --report-dir was made: an empty folder was left behind
    no_load_starts(monkeypatch)
    monkeypatch.delenv("H2O3_URL", raising=False)
    out = tmp_path / "out"
    search = ["--find-capacity"] if find_capacity else []
    assert main(["load", "h2o3.polling", "--target", "live", *given, *search, "--report-dir", str(out)]) == 3
    assert needle in one_line_error(capsys)
    assert not out.exists()


class _Supervised(Exception):
    """Raised by the stand-in process group once the run has handed it its time limit."""


def _stand_in_group(limits: list[float | None]) -> type:
    class Group:
        """Starts nothing: records the limit the run supervises its pytest with."""

        def __enter__(self) -> Group:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def start(self, command: list[str], orphaned: int | None = None, **options: Any) -> Any:
            return types.SimpleNamespace(stdout=None, stderr=None)

        def supervise(self, limit: float | None, grace: float, **options: Any) -> Any:
            limits.append(limit)
            raise _Supervised

    return Group


@pytest.mark.parametrize(("checking", "left"), [(10.0, [30.0]), (50.0, [])])
def test_run_max_time_counts_from_the_command_s_start_the_checks_of_its_spec_included(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    checking: float,
    left: list[float],
) -> None:
    """The checks before pytest starts count: a 2 MB --spec took 10-14 s to check, past a --max-time of 40 s."""
    from h2oharness import cli

    now = [1000.0]
    monkeypatch.setattr(cli, "_clock", lambda: now[0])

    def check_spec_file(path: Path) -> str:
        now[0] += checking  # as a large document takes on a busy machine
        return "its sha256"

    monkeypatch.setattr(cli, "check_spec_file", check_spec_file)
    limits: list[float | None] = []
    monkeypatch.setattr(cli, "ProcessGroup", _stand_in_group(limits))
    spec = f"h2o3={ROOT / 'contracts' / 'h2o3' / 'openapi.yaml'}"
    report = tmp_path / "out"
    command = ["run", "--api", "h2o3", "--spec", spec, "--max-time", "40s", "--report-dir", str(report)]
    if left:
        with pytest.raises(_Supervised):
            main(command)
        # before, pytest was given the whole 40 s from its own start: the run ended 10 s later than asked
        assert limits == left
    else:
        assert main(command) == 3
        assert "the run passed its --max-time of 40s before its tests started (50 s checking" in one_line_error(capsys)
        assert limits == []  # no pytest started
        assert not report.exists()


def test_a_spec_named_by_its_variable_is_checked_and_read_where_run_was_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # HARNESS_H2O3_SPEC went to pytest unchecked and unresolved: pytest runs in the suite folder, so a relative path
    # was "cannot read" there whatever it held, and a malformed document was a collection error after the tests
    # had run, where --spec h2o3=... with the same document was one line before anything ran
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed")
    monkeypatch.setenv("HARNESS_H2O3_SPEC", "bad.yaml")
    argv = ["run", "--api", "h2o3", "--suite-dir", str(ROOT), "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    error = one_line_error(capsys)
    assert error.startswith("h2oharness: error: HARNESS_H2O3_SPEC: bad.yaml is not valid YAML"), error
    assert not (tmp_path / "r").exists()


def test_a_spec_variable_names_its_document_by_a_path_pytest_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text((ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text())
    monkeypatch.setenv("HARNESS_H2O3_SPEC", "mine.yaml")
    from h2oharness import cli
    from h2oharness.errors import HarnessError

    handed: dict[str, str] = {}

    def environment(env: dict[str, str], report_dir: Path) -> dict[str, str]:
        handed.update(env)
        raise HarnessError("stopped before pytest")

    monkeypatch.setattr(cli, "run_environment", environment)
    assert main(["run", "--api", "h2o3", "--suite-dir", str(ROOT), "--report-dir", str(tmp_path / "r")]) == 3
    assert handed["HARNESS_H2O3_SPEC"] == str(tmp_path / "mine.yaml")


def test_a_relative_suite_dir_names_the_same_folder_to_pytest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # pytest runs in the suite folder: --suite-dir wt-users became --rootdir wt-users there, "Directory
    # '.../wt-users/wt-users' not found", and every run given a relative --suite-dir ended in "wrote no report"
    from h2oharness import cli
    from h2oharness.errors import HarnessError

    built = cli.pytest_command
    seen: list[tuple[Path, list[str]]] = []

    def command(args: Any, kind: str, report_dir: Path, root: Path, paths: list[str]) -> list[str]:
        seen.append((root, built(args, kind, report_dir, root, paths)))
        raise HarnessError("stopped before pytest")

    monkeypatch.setattr(cli, "pytest_command", command)
    monkeypatch.chdir(ROOT.parent)
    argv = ["run", "--api", "coreplexml", "--suite-dir", ROOT.name, "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    assert "stopped before pytest" in capsys.readouterr().err
    ((root, argv_of_pytest),) = seen
    rootdir = argv_of_pytest[argv_of_pytest.index("--rootdir") + 1]
    assert (root / rootdir).resolve() == ROOT  # as pytest, in the suite folder, reads it
    assert all((root / p).exists() for p in argv_of_pytest if p.startswith(("contracts", "scenarios", str(ROOT))))


def test_a_suite_whose_destructive_list_is_malformed_is_refused_before_any_test_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it was read when the report was built, after the tests: a KeyError there and pytest "wrote no report"
    suite = tmp_path / "suite"
    (suite / "contracts" / "coreplexml").mkdir(parents=True)
    (suite / "contracts" / "coreplexml" / "destructive.yaml").write_text("- operation: DELETE /api/projects/{id}\n")
    argv = ["run", "--api", "coreplexml", "--suite-dir", str(suite), "--report-dir", str(tmp_path / "r")]
    assert main(argv) == 3
    assert "destructive.yaml: entry 0 needs an 'operation' and a 'reason'" in one_line_error(capsys)
    assert not (tmp_path / "r").exists()


def test_a_resume_of_a_progress_file_holding_no_record_is_refused_and_one_cut_short_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_suite: Callable[[str], Path]
) -> None:
    suite = small_suite("coreplexml")
    code, _, _ = run_report(suite, tmp_path, ["run", "--api", "coreplexml"], capsys)
    assert code == 0
    progress = tmp_path / "r" / "progress.jsonl"
    kept = progress.read_bytes()
    base = ["--suite-dir", str(suite), "--workers", "0", "--report-dir", str(tmp_path / "r"), "--resume"]
    progress.write_bytes(b"\x00\xff garbage\nnot json either\n")
    assert main(["run", "--api", "coreplexml", *base]) == 3
    error = one_line_error(capsys)
    assert f"cannot resume the run in {tmp_path / 'r'}: its progress.jsonl holds no record of a test" in error
    assert progress.read_bytes() == b"\x00\xff garbage\nnot json either\n"  # nothing of the refused run
    progress.write_text('{"name": "another file of JSON lines"}\n')
    assert main(["run", "--api", "coreplexml", *base]) == 3
    assert "holds no record of a test" in one_line_error(capsys)
    # a last line cut by a kill: the records before it stand, and the resume goes on
    progress.write_bytes(kept + b'{"record": {"nodeid": "cut sh')
    assert main(["run", "--api", "coreplexml", *base]) == 0
