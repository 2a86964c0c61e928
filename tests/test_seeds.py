from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.apis.coreplexml.mock import EXPERIMENT_TIMEOUT
from h2oharness.apis.h2o3.mock import JOB_TIMEOUT
from h2oharness.errors import SpecError
from h2oharness.seeds import curl_examples, parse_curl

SEED_000 = Path(__file__).resolve().parent.parent / "contracts" / "h2o3" / "docs" / "000_e1d9cd603d9ebb67.txt"


def test_extracts_every_curl_call_of_seed_000_in_order() -> None:
    examples = curl_examples(SEED_000.read_text())
    calls = [(e.method, e.url.removeprefix("http://localhost:54321")) for e in examples]
    assert calls == [
        ("GET", "/3/Frames"),
        ("GET", "/3/Metadata/endpoints"),
        ("GET", "/3/Metadata/schemas/FrameV3"),
        ("GET", "/3/Cloud"),
        ("GET", "/3/ImportFiles?path=/data/train.csv"),
        ("POST", "/3/ParseSetup"),
        ("POST", "/3/Parse"),
        ("POST", "/3/ModelBuilders/gbm"),
        ("GET", "/3/Jobs/JOB_KEY"),
        ("POST", "/3/Predictions/models/my_gbm_model/frames/test_frame"),
    ]


def test_multiline_json_bodies_are_kept_literally() -> None:
    parse = next(e for e in curl_examples(SEED_000.read_text()) if e.url.endswith("/3/Parse"))
    assert parse.headers == {"Content-Type": "application/json"}
    assert parse.json_body() == {
        "source_frames": [{"name": "/data/train.csv"}],
        "destination_frame": "train_frame",
        "parse_type": "CSV",
        "separator": 44,
        "header": 1,
    }


def test_pipe_and_auth_are_not_part_of_the_request() -> None:
    example = parse_curl("curl -s -u admin:password http://h:1/3/Frames | python3 -m json.tool")
    assert (example.method, example.url, example.body) == ("GET", "http://h:1/3/Frames", None)


def test_malformed_commands_raise_a_readable_spec_error() -> None:
    with pytest.raises(SpecError, match="no URL"):
        parse_curl("curl -s -X POST")
    with pytest.raises(SpecError, match="not JSON"):
        parse_curl("curl -X POST http://h/x -d '{nope'").json_body()


REPLAY = Path(__file__).resolve().parent.parent / "contracts" / "h2o3" / "test_h2o3_docs_drift.py"


def _replay_seed_000(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, rules: str) -> pytest.RunResult:
    """The seed 000 replay against a mock that injects the fault plan ``rules`` (YAML rule lines)."""
    plan = pytester.path / "faults.yaml"
    plan.write_text(f"rules:\n{rules}")
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    pytester.makepyfile(
        test_replay=REPLAY.read_text().replace("Path(__file__).with_name", f"Path({str(REPLAY)!r}).with_name")
    )
    return pytester.runpytest_inprocess(
        "--harness-target", "mock", "-p", "no:cacheprovider", "-k", "replayed_literally"
    )


def test_a_replayed_example_the_target_does_not_answer_fails_rather_than_drifts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every example answered 503: no answer to compare with the seed, so no drift but a failed replay
    result = _replay_seed_000(pytester, monkeypatch, "  - {fault: status=503}\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GET /3/Frames was not answered (HTTP 503)*"])


def test_a_replayed_job_poll_the_target_puts_off_is_polled_again(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first two polls of a job answered 503: the seed's loop polls again, as a client would (it failed the replay)
    result = _replay_seed_000(
        pytester, monkeypatch, "  - {method: GET, path: /3/Jobs/*, times: 2, fault: status=503}\n"
    )
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_a_replayed_job_that_never_ends_fails_rather_than_drifts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the seed's GBM stays RUNNING: the replay waits the mock's bound, then fails by name (it passed with drift once)
    monkeypatch.delenv("H2O3_JOB_TIMEOUT", raising=False)
    result = _replay_seed_000(pytester, monkeypatch, "  - {method: POST, path: /3/ModelBuilders/*, fault: stuck}\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*JobTimeout: GET /3/Jobs/*: the job the seed started is still RUNNING after {JOB_TIMEOUT:g} s*"]
    )


COREPLEXML_REPLAY = (
    Path(__file__).resolve().parent.parent / "contracts" / "coreplexml" / "test_coreplexml_docs_drift.py"
)


@pytest.mark.slow
def test_a_replayed_experiment_that_never_ends_fails_by_name_within_the_mocks_bound(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the seed's experiment stays running: the replay waited 30 min and then went on with the last status as an answer
    plan = pytester.path / "faults.yaml"
    plan.write_text("rules:\n  - {method: POST, path: /api/experiments, fault: stuck}\n")
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    monkeypatch.delenv("COREPLEXML_EXPERIMENT_TIMEOUT", raising=False)
    replay = COREPLEXML_REPLAY.read_text()
    pytester.makepyfile(
        test_replay=replay.replace("Path(__file__).with_name", f"Path({str(COREPLEXML_REPLAY)!r}).with_name")
    )
    # the deadline only stops a replay that waits as long as on a real server: three times the mock's bound
    deadline = str(3 * EXPERIMENT_TIMEOUT)
    result = pytester.runpytest_inprocess(
        "--harness-target", "mock", "--harness-test-deadline", deadline, "-p", "no:cacheprovider", "-k", "real_ids"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*JobTimeout: CorePlexML experiment *-*-*-*-* still running (progress *) after {EXPERIMENT_TIMEOUT:.1f} s*"]
    )


def test_a_replay_whose_experiment_was_refused_records_the_drift_it_meets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the create answered 409: the examples after it stopped at a KeyError on the experiment's id
    plan = pytester.path / "faults.yaml"
    plan.write_text("rules:\n  - {method: POST, path: /api/experiments, fault: status=409}\n")
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    replay = COREPLEXML_REPLAY.read_text()
    pytester.makepyfile(
        test_replay=replay.replace("Path(__file__).with_name", f"Path({str(COREPLEXML_REPLAY)!r}).with_name")
    )
    report = pytester.path / "junit.xml"
    result = pytester.runpytest_inprocess(
        "--harness-target", "mock", "-p", "no:cacheprovider", "-k", "real_ids", f"--junitxml={report}"
    )
    result.assert_outcomes(passed=1)
    drift = report.read_text()
    assert "POST $BASE_URL/api/experiments" in drift
    assert "HTTP 409" in drift
