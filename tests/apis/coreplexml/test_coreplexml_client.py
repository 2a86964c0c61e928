"""The harness's CorePlexML client: error mapping, status translation and waiting through the polling helper."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError, detail_text
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState
from h2oharness.errors import ContractViolation, JobFailed, JobTimeout
from h2oharness.http.polling import Backoff
from h2oharness.mocks.clock import ManualClock


def test_detail_text_flattens_fastapi_validation_lists() -> None:
    body = {"detail": [{"loc": ["body", "config", "nfolds"], "msg": "bad", "type": "x"}, {"msg": "worse"}]}
    assert detail_text(body) == "body.config.nfolds: bad; worse"
    assert detail_text({"detail": "Experiment not found"}) == "Experiment not found"
    assert detail_text("plain  text\n") == "plain text"


def test_detail_text_of_an_object_without_detail_is_the_object() -> None:
    """A gateway's or a proxy's JSON error has no FastAPI ``detail``: before, the failure read ``HTTP 502: None``."""
    assert detail_text({"error": "upstream  timed out"}) == '{"error": "upstream timed out"}'
    assert detail_text({"detail": None}) == "None"


def test_errors_carry_status_and_detail(client: CorePlexMLClient) -> None:
    with pytest.raises(CorePlexMLResponseError) as missing:
        client.experiment("00000000-0000-4000-8000-000000000000")
    assert missing.value.status == 404
    assert missing.value.detail == "Experiment not found"
    assert isinstance(missing.value, ContractViolation)
    assert "GET /api/experiments/00000000" in str(missing.value)


def test_a_non_object_answer_is_a_contract_violation() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[1, 2]))
    with (
        httpx.Client(transport=transport, base_url="http://127.0.0.1:9") as http,
        pytest.raises(ContractViolation, match="without a JSON object"),
    ):
        CorePlexMLClient(http).capabilities()


def test_job_status_translates_each_state(
    client: CorePlexMLClient, upload: Callable[..., dict[str, str]], clock: ManualClock
) -> None:
    data = upload()
    good = client.create_experiment(data["project"], data["version"], "label", config={"max_models": 2})["id"]
    bad = client.create_experiment(data["project"], data["version"], "nope")["id"]
    queued = client.job_status(good)
    assert (queued.state, queued.final, queued.failed) == ("queued", False, False)
    clock.advance(3600)
    done = client.job_status(good)
    assert (done.state, done.final, done.failed, done.progress) == ("succeeded", True, False, 1.0)
    failed = client.job_status(bad)
    assert (failed.state, failed.final, failed.failed) == ("failed", True, True)
    assert "nope" in failed.message


def test_wait_fails_fast_on_failed_and_canceled(
    client: CorePlexMLClient, upload: Callable[..., dict[str, str]], state: CorePlexMLMockState
) -> None:
    data = upload()
    bad = client.create_experiment(data["project"], data["version"], "nope")["id"]
    state.clock.advance(1.0)  # type: ignore[attr-defined]
    with pytest.raises(JobFailed, match="nope") as failed:
        client.wait(bad, timeout=30)
    assert "ended failed" in str(failed.value)
    live = client.create_experiment(data["project"], data["version"], "label")["id"]
    state.cancel(live)
    with pytest.raises(JobFailed, match="canceled"):
        client.wait(live, timeout=30)


def test_wait_times_out_on_a_clock_that_never_moves(
    client: CorePlexMLClient, upload: Callable[..., dict[str, str]]
) -> None:
    data = upload()
    stuck = client.create_experiment(data["project"], data["version"], "label")["id"]
    with pytest.raises(JobTimeout, match="still queued"):
        client.wait(stuck, timeout=0.3, backoff=Backoff(initial=0.05, maximum=0.1))


def test_wait_for_models_returns_once_one_model_is_on_the_board(
    client: CorePlexMLClient, upload: Callable[..., dict[str, str]], state: CorePlexMLMockState
) -> None:
    data = upload()
    experiment = client.create_experiment(data["project"], data["version"], "label", config={"max_models": 8})["id"]
    state.clock.advance(0.8)  # type: ignore[attr-defined]
    last = client.wait_for_models(experiment, timeout=5)
    assert last["model_count"] >= 1
    assert last["status"] in ("running", "succeeded")


def test_project_and_dataset_calls(client: CorePlexMLClient, upload: Callable[..., dict[str, str]]) -> None:
    data = upload()
    assert client.project(data["project"])["id"] == data["project"]
    assert client.dataset(data["dataset"])["latest_version_id"] == data["version"]
    assert client.list_projects(search="tests")["total"] >= 1
    assert client.delete_dataset(data["dataset"]) == {"ok": True}
    with pytest.raises(CorePlexMLResponseError):
        client.dataset(data["dataset"])
    assert client.delete_project(data["project"]) == {"ok": True}
    assert client.list_projects()["total"] == 0
