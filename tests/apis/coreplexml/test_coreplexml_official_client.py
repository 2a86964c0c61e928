"""The official ``coreplexml`` SDK (0.1.3) runs project -> dataset -> experiment -> wait -> get against the mock."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState, make_app
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLTimings
from h2oharness.mocks.clock import ManualClock, MonotonicClock
from h2oharness.mocks.serve import serve

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("coreplexml") is None, reason="the official coreplexml SDK is not installed"
)


@pytest.fixture
def state() -> CorePlexMLMockState:
    """The mock with realistic timings on a clock five times faster than wall time."""
    return CorePlexMLMockState(clock=MonotonicClock(speed=5.0))


def test_sdk_runs_the_seed_flow(
    url: str, state: CorePlexMLMockState, drive: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """Every answer is one the SDK accepts, and what it reads back is consistent."""
    csv_path = tmp_path / "train.csv"
    csv_path.write_text(payloads.classification_csv(rows=150, seed=4))
    out = drive(url, state.client_credentials().token or "", str(csv_path))

    assert out["versions"] == [out["version_id"]]
    assert out["created"]["status"] == "queued"
    assert out["created"]["id"] == out["created"]["experiment_id"]
    assert out["final_status"] == out["detail_status"] == "succeeded"
    assert out["algos"], "the leaderboard is empty"
    assert "DeepLearning" not in out["algos"]
    assert out["aucs"] == sorted(out["aucs"], reverse=True)
    assert all(0.5 <= auc <= 1.0 for auc in out["aucs"])
    assert out["best_model_id"] == out["top_model_id"]
    assert out["log_count"] > 0
    assert out["pareto"]
    assert out["listed"] == [out["created"]["id"]]
    assert "StackedEnsemble" in out["capability_algos"]
    assert out["engine_runs"] == ["h2o"]
    assert out["failing_status"] == "failed"
    assert "missing_column" in out["failing_error"]
    assert out["validation"]["status"] == 422
    assert "sort_metric" in out["validation"]["detail"]
    assert out["after_delete"] == 404
    assert out["wrong_key"] == 401

    calls = [(r.method, r.path) for r in state.requests]
    assert calls[:2] == [("POST", "/api/projects"), ("POST", "/api/datasets/upload")]
    upload = state.recorded("POST", "/api/datasets/upload")[0]
    assert upload.content_type.startswith("multipart/form-data")
    create = state.recorded("POST", "/api/experiments")[0].json
    assert create["execution_mode"] == "single"
    assert create["use_gpu"] is False
    assert sum(1 for c in calls if c[1].endswith("/status")) >= 2, "wait() polls the status endpoint"
    assert all(r.user_agent.startswith("coreplexml-python/") for r in state.requests)
    assert all(r.status < 500 for r in state.requests)
    assert state.internal_errors == []


def test_every_public_sdk_method_works_on_the_mock(
    url: str, state: CorePlexMLMockState, drive: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """Every public method of every resource on the SDK's client (found by introspection) against the mock:
    at least 95% succeed, and the ones that fail are exactly those DEVIATIONS lists with a reason."""
    from h2oharness.apis.coreplexml.mock import DEVIATIONS

    csv_path = tmp_path / "train.csv"
    csv_path.write_text(payloads.classification_csv(rows=150, seed=4))
    outcomes: dict[str, str] = drive(url, state.client_credentials().token or "", str(csv_path), "surface")["outcomes"]

    failing = {method for method, outcome in outcomes.items() if outcome != "ok"}
    listed = {key.removeprefix("sdk ") for key in DEVIATIONS if key.startswith("sdk ")}
    assert failing == listed, {method: outcomes.get(method, "not called") for method in failing ^ listed}
    assert len(outcomes) >= 68, sorted(outcomes)
    assert (len(outcomes) - len(failing)) / len(outcomes) >= 0.95
    for resource in ("projects", "datasets", "experiments", "models", "deployments", "reports", "privacy", "synthgen"):
        assert any(method.startswith(resource + ".") for method in outcomes), resource
    assert state.internal_errors == []
    assert all(r.status < 500 for r in state.requests)
    # the SDK's waits were answered from the clock: detect/transform polled a job until it completed
    polls = state.recorded("GET", "/api/jobs/")
    assert polls
    assert all(r.status == 200 for r in polls)
    assert state.generic is not None
    # add_member made a member (the project's deletion at the end took it away with the project)
    assert any(r.path.endswith("/members") and r.status == 200 for r in state.recorded("POST", "/api/projects/"))


def test_sdk_reads_back_what_the_seed_flow_does_not(drive: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    """The methods whose answers the seed flow never reads (project reads, update and members; dataset reads; the
    trained model's list, get, parameters, predict and explain; a deployment from creation to deactivation; a
    report; the removals) give back what was made, on a hand clock where every experiment ends when it starts."""
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    csv_path = tmp_path / "train.csv"
    csv_path.write_text(payloads.classification_csv(rows=150, seed=4))
    with serve(make_app(state)) as served:
        out = drive(served.url, state.client_credentials().token or "", str(csv_path), "readback")

    assert out["project"] == [True, "readback", "first"]
    assert out["project_search"] == [[True], 1], "search keeps to the project named so"
    assert out["project_updated"] == ["readback", "second"], "update without a name keeps the name"
    assert out["project_renamed"] == "renamed"
    assert out["member"] == ["someone@example.com", "viewer", ["someone@example.com"], 1]
    assert out["members_after"] == []
    assert out["dataset"] == [True, "readback-train", True]
    assert out["datasets"] == [[True], 1]
    assert out["columns"] == ["color", "label", "size", "x1", "x2"]
    assert out["quality"] == [True, 1.0, []], "the generated CSV has no missing values"
    assert out["analysis"] == [True, 150, 5]
    assert out["downloaded"] == "x1,x2,color,size,label"

    assert out["models"] == [True, out["models"][1], True]
    assert out["models"][1] >= 2
    assert out["model"] == [True, True, True]
    assert out["model_parameters"] is True
    best_algo, single_algo = out["model_algo"]
    assert single_algo != "StackedEnsemble"
    assert out["model_explain"][0] is True
    if best_algo == "StackedEnsemble":
        assert out["model_explain"][1] == [], "an ensemble has no variable importances (as the experiment's explain)"
    else:
        assert sorted(out["model_explain"][1]) == ["color", "size", "x1", "x2"]
    features, importances = out["model_importances"]
    assert sorted(features) == ["color", "size", "x1", "x2"], "every feature but the target"
    assert importances == sorted(importances, reverse=True)
    assert all(0.0 <= value <= 1.0 for value in importances)
    count, alias, first = out["predict_one"]
    assert count == 1, "one row in, one prediction out"
    assert first["prediction"] in ("no", "yes"), "a class the target column has"
    assert alias == first["prediction"], "the SDK's single-row alias"
    assert set(first["probabilities"]) == {"no", "yes"}
    assert sum(first["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert first["probability"] == max(first["probabilities"].values()) == first["probabilities"][alias]
    assert out["predict_again"] is True, "the same row gets the same answer"
    assert len(out["predict_many"]) == 2
    assert set(out["predict_many"]) <= {"no", "yes"}

    assert out["deployment"] == ["readback-endpoint", "staging", True, "active"]
    assert out["deployment_got"] is True
    assert out["deployments"] == [True]
    assert out["deployment_predict"] == [[first], first["prediction"], first["probability"]], "the deployed model"
    assert out["promoted"] == "production"
    assert out["drift"] == [True, False, [{"feature": f, "score": 0.0} for f in ("x1", "x2", "color", "size")]]
    assert out["rolled_back"] is True
    assert out["deactivated"] == "inactive"
    assert out["deployment_reread"] == ["production", "inactive"]
    assert out["inactive_predict"] == [404, True], "NotFoundError, its detail saying the deployment is inactive"
    assert out["report"] == [True, "experiment"]
    assert out["report_done"] == "completed"
    assert out["reports"] == [True]
    assert out["report_pdf"] == "%PDF-"
    assert out["timeline"] == ["experiment_created", "dataset_uploaded", "project_created"]
    assert out["model_deleted"] == [True, False]
    assert out["dataset_deleted"] is True
    assert out["project_deleted"] is True

    assert state.internal_errors == []
    predicted = [r for r in state.recorded("POST", "/api/models/") if r.path.endswith("/predict")]
    assert [(type(r.json["inputs"]).__name__, r.status) for r in predicted] == [
        ("dict", 200),
        ("list", 200),
        ("dict", 200),
    ], "a row or a list of rows, as the SDK sends them"


def test_sdk_privacy_detect_finds_the_uploaded_pii_and_transform_applies_to_each_finding(
    drive: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """The SDK's privacy.detect returns the PII of the session's dataset as findings (each column and type with the
    cells holding it), card numbers stored as digits in a numeric column included, and transform counts each of them
    applied; under a pci_dss policy only the card numbers are found."""
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(
        "name,email,phone,age,card\n"
        "Ann,ann@example.com,555-123-4567,31,4111111111111111\n"
        "Bob,bob@example.org,(555) 987-6543,42,5500000000000004\n"
        "Cy,cy@example.net,n/a,27,12\n"
    )
    with serve(make_app(state)) as served:
        out = drive(served.url, state.client_credentials().token or "", str(csv_path), "privacy")
    assert out["findings"] == [["card", "credit_card", 2], ["email", "email", 3], ["phone", "phone_number", 2]]
    assert out["applied"] == 3
    assert out["results"] == [True, 3]
    assert out["pci_dss_findings"] == [["card", "credit_card", 2]]
    assert state.internal_errors == []


def test_sdk_privacy_synthgen_and_studio_answer_what_was_made(
    drive: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """The privacy suite, SynthGen and the what-if studio through the SDK, on a hand clock where every job ends
    when it starts: policies and sessions read back, detection and generation complete, the generation is listed,
    the studio keeps the baseline and changes it was sent and predicts what the deployment does."""
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    csv_path = tmp_path / "train.csv"
    csv_path.write_text(payloads.classification_csv(rows=150, seed=4))
    with serve(make_app(state)) as served:
        out = drive(served.url, state.client_credentials().token or "", str(csv_path), "suites")

    assert out["policy"] == ["pii", "gdpr", True]
    assert out["policy_got"] is True
    assert out["policies"] == [True]
    assert out["session"] == [True, True]
    assert out["detected"] == ["completed", True, []], "the training data holds no PII, so nothing is found"
    assert out["transformed"] == ["completed", 0]
    assert out["anonymized"] == "completed"
    assert out["results"] == ["results", "session_id"]
    assert out["synth"] == ["twin", "tvae", "ready"]
    assert out["synth_got"] == [True, "succeeded", "ready"], "the SDK maps the backend's ready to succeeded"
    assert out["synth_models"] == [True]
    assert out["generated"] == ["completed", 20, True], "the rows generated and the synthetic table's artifact"
    assert out["generated_columns"] == ["x1", "x2", "color", "size", "label"], "the source dataset's columns"
    assert out["synth_job"] == [True, "completed", 1.0]
    assert out["synth_jobs"] == [[True], 1], "the generation is listed"
    assert out["studio"] == [True, {"x1": 0.5, "x2": 1.5, "color": "red", "size": 3}], "the baseline as sent"
    assert out["studio_got"] is True
    assert out["studio_schema"] == [
        True,
        [["x1", "numeric"], ["x2", "numeric"], ["color", "categorical"], ["size", "numeric"]],
    ]
    assert out["scenario"] == ["more x1", {"x1": 2.0}, True], "the changes as sent"
    assert out["scenario_run"] == [True, True], "a scenario predicts what the deployment does for its row"
    assert out["compared"] == [True, [["more x1", True]]]
    refused = [404, True]
    assert out["studio_inactive"] == [refused, refused, refused, True], (
        "once its deployment is deactivated a session's run and compare are refused as its predict is (NotFoundError,"
        " the detail saying so); its schema, no prediction, is still read"
    )
    assert out["synth_deleted"] is True
    assert out["policy_deleted"] is True
    assert state.internal_errors == []
    refusals = [r.status for r in state.requests if r.status >= 400]
    assert refusals == [404] * 5, "only the three refused predictions and the reads after deletion"
