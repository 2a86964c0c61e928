"""The CorePlexML mock: experiment lifecycle on a ManualClock, leaderboard shaping, failures, auth and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState, CorePlexMLTimings, make_app
from h2oharness.apis.coreplexml.mockparts import automl, catalog
from h2oharness.apis.coreplexml.mockparts.catalog import HIGHER_IS_BETTER, SORT_METRICS
from h2oharness.apis.coreplexml.mockparts.handlers_data import profile_csv
from h2oharness.apis.coreplexml.mockparts.privacy import identifies, pii_counts
from h2oharness.apis.coreplexml.mockparts.state import DatasetVersion
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

Upload = Callable[..., dict[str, str]]
ORDER = ["queued", "running", "succeeded"]


def _create(client: CorePlexMLClient, data: dict[str, str], target: str = "label", **config: Any) -> str:
    body = client.create_experiment(data["project"], data["version"], target, config=config)
    assert body["status"] == "queued"
    return str(body["id"])


def test_lifecycle_moves_forward_and_models_appear_over_time(
    client: CorePlexMLClient, upload: Upload, clock: ManualClock
) -> None:
    experiment = _create(client, upload(), max_models=6)
    seen: list[tuple[str, float, int]] = []
    for _ in range(400):
        status = client.status(experiment)
        seen.append((status["status"], status["progress"], status["model_count"]))
        if status["status"] == "succeeded":
            break
        clock.advance(0.05)
    states = [s for s, _, _ in seen]
    assert states[0] == "queued"
    assert states[-1] == "succeeded"
    assert [ORDER.index(s) for s in states] == sorted(ORDER.index(s) for s in states), "a status went backwards"
    assert "running" in states
    progress = [p for _, p, _ in seen]
    assert progress == sorted(progress)
    counts = [c for _, _, c in seen]
    assert counts == sorted(counts)
    running_counts = {c for s, _, c in seen if s == "running"}
    assert len(running_counts) > 1, "models should reach the leaderboard one by one while it runs"
    assert counts[-1] == len(client.experiment(experiment)["models"])


def test_detail_while_queued_has_no_models_and_explain_is_409(client: CorePlexMLClient, upload: Upload) -> None:
    experiment = _create(client, upload())
    detail = client.experiment(experiment)
    assert detail["experiment"]["status"] == "queued"
    assert detail["models"] == []
    assert detail["best_model_id"] is None
    assert detail["experiment"]["started_at"] is None
    with pytest.raises(CorePlexMLResponseError) as early:
        client.explain(experiment)
    assert early.value.status == 409


@pytest.mark.parametrize("metric", SORT_METRICS["binary"])
def test_leaderboard_is_sorted_by_the_chosen_metric(
    client: CorePlexMLClient, upload: Upload, clock: ManualClock, metric: str
) -> None:
    experiment = _create(client, upload(), max_models=5, sort_metric=metric)
    clock.advance(3600)
    detail = client.experiment(experiment)
    values = [m["metrics"][metric] for m in detail["models"]]
    assert values == sorted(values, reverse=HIGHER_IS_BETTER[metric])
    assert detail["best_model_id"] == detail["models"][0]["id"]
    assert detail["experiment"]["sort_metric"] == metric


def test_auto_metric_resolves_per_problem_type(client: CorePlexMLClient, upload: Upload) -> None:
    binary = upload()
    multi = upload(payloads.classification_csv(rows=90, classes=3), name="multi")
    reg = upload(payloads.regression_csv(), name="reg")
    assert client.experiment(_create(client, binary))["experiment"]["sort_metric"] == "auc"
    assert client.experiment(_create(client, multi))["experiment"]["sort_metric"] == "logloss"
    body = client.create_experiment(reg["project"], reg["version"], "y", problem_type="regression")
    assert client.experiment(body["id"])["experiment"]["sort_metric"] == "rmse"
    assert client.experiment(body["id"])["experiment"]["problem_subtype"] == "regression"


def test_max_models_exclude_algos_and_nfolds_shape_the_result(
    client: CorePlexMLClient, upload: Upload, clock: ManualClock
) -> None:
    data = upload()
    few = _create(client, data, max_models=3, exclude_algos=["XGBoost", "GLM"])
    no_cv = _create(client, data, max_models=4, nfolds=0)
    clock.advance(3600)
    models = client.experiment(few)["models"]
    base = [m for m in models if m["algo"] != "StackedEnsemble"]
    assert len(base) == 3
    assert not {"XGBoost", "GLM"} & {m["algo"] for m in models}
    assert any(m["algo"] == "StackedEnsemble" for m in models)
    without_cv = client.experiment(no_cv)["models"]
    assert len(without_cv) == 4
    assert all(m["algo"] != "StackedEnsemble" for m in without_cv)
    assert any("nfolds" in line for line in client.logs(no_cv)["logs"])


def test_metrics_are_plausible_and_deterministic(client: CorePlexMLClient, upload: Upload, state: Any) -> None:
    reg = upload(payloads.regression_csv(rows=150, seed=2), name="reg")
    body = client.create_experiment(reg["project"], reg["version"], "y", problem_type="regression", config={"seed": 3})
    state.clock.advance(3600)
    models = client.experiment(body["id"])["models"]
    for model in models:
        metrics = model["metrics"]
        assert metrics["rmse"] >= 0
        assert metrics["mse"] == pytest.approx(metrics["rmse"] ** 2, rel=1e-4)
        assert 0 <= metrics["r2"] <= 1
        assert metrics["mae"] <= metrics["rmse"]
    again = client.experiment(body["id"])["models"]
    assert [m["metrics"] for m in again] == [m["metrics"] for m in models]


def test_bad_data_fails_fast_with_the_reason(client: CorePlexMLClient, upload: Upload, clock: ManualClock) -> None:
    data = upload()
    experiment = _create(client, data, target="nope")
    clock.advance(0.31)  # past the queue: it fails the moment it starts
    status = client.status(experiment)
    assert status["status"] == "failed"
    assert "nope" in status["error"]
    assert client.experiment(experiment)["models"] == []
    assert any("Error:" in line for line in client.logs(experiment)["logs"])
    reg = client.create_experiment(data["project"], data["version"], "color", problem_type="regression")
    clock.advance(0.31)
    assert "not numeric" in client.status(reg["id"])["error"]


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", b"", b"only,a,header\n", b"a,b\n1\n", b"a,a\n1,2\n"],
    ids=["binary", "empty", "header-only", "ragged", "duplicate-header"],
)
def test_any_file_is_stored_and_training_on_an_unreadable_one_fails_with_the_reason(
    client: CorePlexMLClient, state: CorePlexMLMockState, clock: ManualClock, content: bytes
) -> None:
    """The contract takes any file: 201, a version with no profile and its parse_error; an experiment on it fails."""
    project = client.create_project("files")["id"]
    answer = client.upload_dataset(project, "data.bin", content, "files")
    assert (answer["row_count"], answer["columns"]) == (0, [])
    assert answer["parse_error"]
    version = client.dataset_versions(answer["dataset_id"])["items"][0]
    assert (version["row_count"], version["size_bytes"], version["parse_error"]) == (
        0,
        len(content),
        answer["parse_error"],
    )
    experiment = _create(client, {"project": project, "version": answer["dataset_version_id"]})
    clock.advance(0.31)  # past the queue: it fails the moment it starts
    status = client.status(experiment)
    assert status["status"] == "failed"
    assert "could not be read as a CSV table" in status["error"]
    assert answer["parse_error"] in status["error"]
    assert state.internal_errors == []


def test_a_csv_upload_has_no_parse_error(client: CorePlexMLClient) -> None:
    project = client.create_project("files")["id"]
    answer = client.upload_dataset(project, "train.csv", payloads.classification_csv(rows=30), "train")
    assert answer["row_count"] == 30
    assert "parse_error" not in answer
    assert "parse_error" not in client.dataset_versions(answer["dataset_id"])["items"][0]


def test_failure_half_way_keeps_the_models_trained_before_it(
    client: CorePlexMLClient, upload: Upload, clock: ManualClock
) -> None:
    csv = payloads.classification_csv(rows=100).replace("x1,", "h2oharness_fail,", 1)
    experiment = _create(client, upload(csv), max_models=8)
    clock.advance(3600)
    status = client.status(experiment)
    assert status["status"] == "failed"
    assert 0 < status["progress"] < 1
    models = client.experiment(experiment)["models"]
    assert 0 < len(models) < 10


def test_cancel_stops_the_run_and_keeps_what_was_trained(
    client: CorePlexMLClient, upload: Upload, clock: ManualClock, state: CorePlexMLMockState
) -> None:
    experiment = _create(client, upload(), max_models=10)
    clock.advance(1.0)
    assert client.status(experiment)["status"] == "running"
    assert state.cancel(experiment) is True
    before = client.status(experiment)
    clock.advance(3600)
    after = client.status(experiment)
    assert after["status"] == "canceled"
    assert after["progress"] == before["progress"] < 1
    assert state.cancel(experiment) is False


def test_best_model_override_and_rejections(client: CorePlexMLClient, upload: Upload, clock: ManualClock) -> None:
    data = upload()
    first, second = _create(client, data, max_models=3), _create(client, data, max_models=3)
    clock.advance(3600)
    mine = client.experiment(first)["models"]
    theirs = client.experiment(second)["models"]
    assert client.set_best_model(first, mine[-1]["id"])["best_model_id"] == mine[-1]["id"]
    assert client.experiment(first)["best_model_id"] == mine[-1]["id"]
    assert client.list_experiments(project_id=data["project"], search="")["items"]
    with pytest.raises(CorePlexMLResponseError) as foreign:
        client.set_best_model(first, theirs[0]["id"])
    assert foreign.value.status == 400
    assert second in foreign.value.detail
    with pytest.raises(CorePlexMLResponseError) as unknown:
        client.set_best_model(first, "00000000-0000-4000-8000-000000000000")
    assert unknown.value.status == 404


@pytest.mark.parametrize(("config", "word"), payloads.bad_configs("binary"))
def test_invalid_configs_get_422_naming_the_problem(
    client: CorePlexMLClient, upload: Upload, config: dict[str, Any], word: str
) -> None:
    data = upload()
    with pytest.raises(CorePlexMLResponseError) as refused:
        client.create_experiment(data["project"], data["version"], "label", config=config)
    assert refused.value.status == 422
    assert word in refused.value.detail


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x"}, 422),
        ({"problem_type": "clustering"}, 422),
        ({"project_id": "not-a-uuid"}, 422),
        ({"project_id": "00000000-0000-4000-8000-000000000000"}, 404),
        ({"use_gpu": "yes"}, 422),
        ({"config": None}, 422),
    ],
)
def test_create_refuses_bad_bodies(client: CorePlexMLClient, upload: Upload, body: dict[str, Any], status: int) -> None:
    data = upload()
    full = {**payloads.experiment_body(data["project"], data["version"], "label"), **body}
    if body == {"name": "x"}:
        del full["target_column"]
    with pytest.raises(CorePlexMLResponseError) as refused:
        client.request("POST", "/api/experiments", json_body=full)
    assert refused.value.status == status


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"status": "done"}, {"sort_by": "x"}])
def test_list_refuses_bad_queries(client: CorePlexMLClient, query: dict[str, Any]) -> None:
    with pytest.raises(CorePlexMLResponseError) as refused:
        client.list_experiments(**query)
    assert refused.value.status == 422
    assert next(iter(query)) in refused.value.detail


def test_list_filters_search_sort_and_page(client: CorePlexMLClient, upload: Upload, clock: ManualClock) -> None:
    data, other = upload(), upload(name="other")
    ids = [client.create_experiment(data["project"], data["version"], "label", name=n)["id"] for n in ("beta", "alpha")]
    failing = client.create_experiment(other["project"], other["version"], "nope", name="gamma")["id"]
    clock.advance(3600)
    assert {i["id"] for i in client.list_experiments(project_id=data["project"])["items"]} == set(ids)
    assert [i["id"] for i in client.list_experiments(status="failed")["items"]] == [failing]
    assert [i["id"] for i in client.list_experiments(dataset_id=other["dataset"])["items"]] == [failing]
    assert [i["name"] for i in client.list_experiments(sort_by="name", sort_order="asc")["items"]] == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert [i["id"] for i in client.list_experiments(search="LAB")["items"]] == ids[::-1]
    paged = client.list_experiments(limit=1, offset=1)
    assert (len(paged["items"]), paged["total"], paged["limit"], paged["offset"]) == (1, 3, 1, 1)


def test_delete_stops_and_removes(client: CorePlexMLClient, upload: Upload, state: CorePlexMLMockState) -> None:
    experiment = _create(client, upload())
    job = state.experiments[experiment].job
    assert client.delete_experiment(experiment) == {"ok": True}
    assert job.cancelled_at is not None
    for call in (client.experiment, client.status, client.logs, client.delete_experiment):
        with pytest.raises(CorePlexMLResponseError) as gone:
            call(experiment)
        assert gone.value.status == 404


def test_auth_is_required_everywhere(anon: httpx.Client) -> None:
    for method, path in [("GET", "/api/projects"), ("POST", "/api/experiments"), ("GET", "/api/experiments/x")]:
        resp = anon.request(method, path, headers={"Authorization": "Bearer wrong"})
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"] == "Bearer"
        assert "API key" in resp.json()["detail"]
    assert anon.get("/api/projects").status_code == 401


def test_router_answers_like_fastapi(http: httpx.Client) -> None:
    missing = http.get("/api/nothing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = http.put("/api/experiments")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert http.get("/api/datasets/upload").headers["allow"] == "POST"


def test_new_upload_of_a_name_is_a_new_version(client: CorePlexMLClient, upload: Upload) -> None:
    data = upload()
    again = client.upload_dataset(data["project"], "train.csv", payloads.classification_csv(rows=20), "train")
    assert again["dataset_id"] == data["dataset"]
    assert again["version"] == 2
    versions = client.dataset_versions(data["dataset"])["items"]
    assert [v["id"] for v in versions] == [again["dataset_version_id"], data["version"]]


def test_requests_are_recorded_without_secrets(client: CorePlexMLClient, state: CorePlexMLMockState) -> None:
    client.create_project("recorded")
    entry = state.recorded("POST", "/api/projects")[0]
    assert entry.json == {"name": "recorded", "description": ""}
    assert entry.authorized is True
    assert "sk-h2oharness-mock" not in repr(state.requests)
    assert state.internal_errors == []


def test_instant_timings_finish_at_once() -> None:
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    with (
        serve(make_app(state)) as served,
        httpx.Client(base_url=served.url, headers=state.client_credentials().headers()) as http,
    ):
        cpx = CorePlexMLClient(http)
        project = cpx.create_project("p")
        version = cpx.upload_dataset(project["id"], "t.csv", payloads.classification_csv(rows=50), "t")
        created = cpx.create_experiment(project["id"], version["dataset_version_id"], "label")
        assert cpx.status(created["id"])["status"] == "succeeded"


@given(config=payloads.configs("binary"), rows=st.integers(20, 3000))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_valid_config_gives_a_consistent_leaderboard(config: dict[str, Any], rows: int) -> None:
    """Excluded algorithms never appear, the board is sorted the metric's way, metrics stay in range."""
    _, columns, _ = profile_csv(payloads.classification_csv(rows=40).encode())
    version = DatasetVersion("v", "d", 1, "t.csv", 1, rows, columns, "")
    resolved = catalog.check_config_for(catalog.check_config_shape(config), "binary")
    plan = automl.plan("e", version, "label", "binary", resolved, quota=50)
    board = automl.leaderboard(plan.models, resolved["sort_metric"])
    metric = resolved["sort_metric"]
    assert board
    assert not {m.algo for m in board} & set(resolved["exclude_algos"])
    assert len([m for m in board if m.algo != "StackedEnsemble"]) <= resolved["max_models"]
    values = [m.metrics[metric] for m in board]
    assert values == sorted(values, reverse=HIGHER_IS_BETTER[metric])
    for model in board:
        assert 0.5 <= model.metrics["auc"] <= 1
        assert model.metrics["logloss"] > 0
        assert -1 <= model.metrics["mcc"] <= 1
        assert model.training_time > 0
        assert abs(sum(model.varimp) - 1) < 0.01
    done = [m.done_at for m in plan.models]
    assert done == sorted(done)
    assert done[-1] == 1.0
    if resolved["nfolds"] == 0:
        assert all(m.algo != "StackedEnsemble" for m in board)
    assert automl.plan("e", version, "label", "binary", resolved, quota=50) == plan


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["write to ann@example.com", "a@b.co and c@d.org", "no mail @ all"], (("email", 2),)),
        (["4111 1111 1111 1111", "4111-1111-1111-1112", "5500000000000004"], (("credit_card", 2),)),
        (["ssn 123-45-6789", "id 1123-45-67890"], (("ssn", 1),)),
        (["from 10.0.0.1", "version 1.2.3", "256.1.1.1"], (("ip_address", 1),)),
        (["+1 555 123 4567", "(555) 987-6543", "555.123.4567", "5551234567"], (("phone_number", 3),)),
        (["2024-01-15", "12,500", "3.14159", "order 123456", ""], ()),
        (["ann@example.com 555-123-4567", "bob@example.com"], (("email", 2), ("phone_number", 1))),
    ],
)
def test_pii_counts_counts_the_cells_holding_each_pii_type(cells: list[str], expected: tuple[tuple[str, int]]) -> None:
    """Each PII type counts the cells that hold it (a cell with two emails once); a card number must pass the
    Luhn check; dates, versions, amounts and bare numbers are not PII."""
    assert pii_counts(cells) == expected


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["4111111111111111", "5500000000000004", "4111111111111112", "12500"], (("credit_card", 2),)),
        (["123456789", "078051120", "000123456", "666123456", "900123456", "123006789", "123450000"], (("ssn", 2),)),
        (["2125551234", "12125551234", "5551234567", "1234567890", "22125551234"], (("phone_number", 2),)),
        (["0.5488135039273248", "-4111111111111111", "31", "2024", "1234567"], ()),
    ],
)
def test_pii_counts_judges_the_cells_of_a_numeric_column_by_their_digits(
    cells: list[str], expected: tuple[tuple[str, int]]
) -> None:
    """A numeric column holds PII stored as digits: a card number of 13 to 16 digits passing Luhn, an SSN of 9 as
    issued (no area 000, 666 or 9xx, group 00 or serial 0000), a North American phone number of 10 digits (or 1 and
    10); a float's digits, signed numbers and short ones are not PII."""
    assert pii_counts(cells, numeric=True) == expected


def test_pii_counts_judges_a_text_column_s_bare_numbers_as_a_numeric_column_s() -> None:
    """A cell of digits alone in a text column is what it would be in a numeric one, counted once if the text scan
    finds it too."""
    cells = ["4111111111111111", "123456789", "2125551234", "call 2125551234", "n/a"]
    assert pii_counts(cells) == (("credit_card", 1), ("phone_number", 1), ("ssn", 1))


@pytest.mark.parametrize(
    ("name", "cells", "expected"),
    [
        ("customer_id", ["123456790", "123456791", "123456792"], True),
        ("CustomerID", ["123456790", "123456791"], True),
        ("order key", ["2125551234", "2125551235"], True),
        ("customer_id", ["123456790", "123456790"], False),  # repeated: not one record's number each
        ("customer_id", ["123456790", "1.5"], False),
        ("ssn", ["123456790", "123456791"], False),
        ("paid", ["123456790", "123456791"], False),  # "id" inside a word says nothing
    ],
)
def test_an_identifier_column_is_named_so_and_holds_distinct_integers(
    name: str, cells: list[str], expected: bool
) -> None:
    assert identifies(name, cells) is expected


def test_pii_counts_finds_no_bare_pii_in_an_identifier_column_but_what_its_text_says() -> None:
    ids = ["123456790", "123456791", "2125551234"]
    assert pii_counts(ids, numeric=True, name="customer_id") == ()
    assert pii_counts(ids, numeric=True, name="customer") == (("phone_number", 1), ("ssn", 2))
    assert pii_counts(["123-45-6790", "7"], name="record_id") == (("ssn", 1),)  # a text id with an SSN's dashes
