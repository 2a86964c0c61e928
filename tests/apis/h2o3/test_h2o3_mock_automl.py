"""AutoML on the mock: the build spec h2o-py posts, a job on the clock, a ranked leaderboard with ensembles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.mocks.clock import ManualClock

# what H2OAutoML(max_models=3, seed=1, nfolds=3, exclude_algos=[...]).train(y="label", ...) posts, as JSON
SPEC: dict[str, Any] = {
    "build_control": {
        "nfolds": 3, "distribution": "auto", "balance_classes": False, "max_after_balance_size": 5.0,
        "keep_cross_validation_models": False, "keep_cross_validation_fold_assignment": False,
        "keep_cross_validation_predictions": False,
        "stopping_criteria": {"max_runtime_secs": 60, "max_models": 3, "stopping_metric": "AUTO", "stopping_rounds": 3,
                              "seed": 1},
    },
    "build_models": {"exclude_algos": ["DeepLearning", "XGBoost"], "exploitation_ratio": -1, "algo_parameters": []},
    "input_spec": {"sort_metric": "AUTO", "response_column": "label"},
}  # fmt: skip


def _parsed(client: H2O3Client, clock: ManualClock, path: Path) -> str:
    """The frame parsed from the CSV at ``path``, its parse done."""
    raw = client.import_files(str(path))["destination_frames"]
    frame: str = client.parse(client.parse_setup(raw))["destination_frame"]["name"]
    clock.advance(10.0)
    return frame


@pytest.fixture
def started(http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path) -> dict[str, Any]:
    """An AutoML run started on the parsed classification CSV, its job not done yet."""
    frame = _parsed(client, clock, train_csv)
    spec = {**SPEC, "input_spec": {**SPEC["input_spec"], "training_frame": frame}}
    resp = http.post("/99/AutoMLBuilder", json=spec)
    assert resp.status_code == 200, resp.text[:500]
    body: dict[str, Any] = resp.json()
    return body


def test_the_builder_answers_the_spec_with_a_job(started: dict[str, Any]) -> None:
    assert started["__meta"]["schema_name"] == "AutoMLBuildSpecV99"
    project = started["build_control"]["project_name"]
    assert project.startswith("AutoML_")
    assert started["build_control"]["nfolds"] == 3
    assert started["build_control"]["stopping_criteria"]["max_models"] == 3
    assert started["job"]["dest"]["name"] == f"{project}@@label"
    assert started["job"]["status"] in ("CREATED", "RUNNING")


def test_the_leaderboard_fills_when_the_job_is_done(
    http: httpx.Client, clock: ManualClock, started: dict[str, Any]
) -> None:
    automl_id = started["job"]["dest"]["name"]
    early = http.get(f"/99/AutoML/{automl_id}", params={"verbosity": "warn"}).json()
    assert early["leaderboard"]["models"] == []
    assert early["leaderboard_table"]["description"] == "no models in this leaderboard"
    clock.advance(60.0)
    assert http.get(f"/3/Jobs/{started['job']['key']['name']}").json()["jobs"][0]["status"] == "DONE"
    done = http.get(f"/99/AutoML/{automl_id}").json()
    assert done["__meta"]["schema_name"] == "AutoMLV99"
    assert done["project_name"] == started["build_control"]["project_name"]
    board = done["leaderboard"]
    ids = [m["name"] for m in board["models"]]
    assert {i.split("_")[0] for i in ids} == {"GLM", "DRF", "GBM", "StackedEnsemble"}
    assert any(i.startswith("StackedEnsemble_BestOfFamily_1_AutoML_") for i in ids)
    assert board["sort_metric"] == "auc"
    assert board["sort_metrics"] == sorted(board["sort_metrics"], reverse=True)
    table = done["leaderboard_table"]
    assert [c["name"] for c in table["columns"]] == [
        "",
        "model_id",
        "auc",
        "logloss",
        "aucpr",
        "mean_per_class_error",
        "rmse",
        "mse",
    ]
    assert table["data"][1] == ids
    for model_id in ids:
        model = http.get(f"/3/Models/{model_id}").json()["models"][0]
        assert model["model_id"]["name"] == model_id
        assert model["output"]["cross_validation_metrics"]["AUC"] == pytest.approx(
            board["sort_metrics"][ids.index(model_id)]
        )
    ensemble = http.get(f"/3/Models/{ids[[i.startswith('Stacked') for i in ids].index(True)]}").json()["models"][0]
    assert ensemble["algo"] == "stackedensemble"
    assert ensemble["__meta"]["schema_name"] == "StackedEnsembleModelV99"
    assert {"Project: " + done["project_name"]} <= set(done["event_log_table"]["data"][4])


def test_leaderboards_by_project_with_extensions(
    http: httpx.Client, clock: ManualClock, started: dict[str, Any]
) -> None:
    clock.advance(60.0)
    automl_id = started["job"]["dest"]["name"]
    board = http.get(f"/99/Leaderboards/{automl_id}", params={"extensions": "[ALL]"}).json()
    assert board["__meta"]["schema_name"] == "LeaderboardV99"
    names = [c["name"] for c in board["table"]["columns"]]
    assert names[-3:] == ["training_time_ms", "predict_time_per_row_ms", "algo"]
    assert "StackedEnsemble" in board["table"]["data"][-1]
    only_algo = http.get(f"/99/Leaderboards/{automl_id}", params={"extensions": "['algo']"}).json()
    assert [c["name"] for c in only_algo["table"]["columns"]][-2:] == ["mse", "algo"]
    by_project = http.get(f"/99/AutoML/{started['build_control']['project_name']}").json()
    assert by_project["automl_id"]["name"] == automl_id
    assert len(http.get("/99/Leaderboards").json()["leaderboards"]) == 1
    assert http.get("/99/AutoML/nope").status_code == 404
    http.delete("/3/DKV")
    assert http.get(f"/99/AutoML/{automl_id}").status_code == 404


def test_a_spec_without_a_frame_is_refused_as_on_a_real_server(http: httpx.Client) -> None:
    for resp in (
        http.post("/99/AutoMLBuilder", json={"input_spec": {"response_column": "label"}}),
        http.post("/99/AutoMLBuilder", data={"build_models": '{"exclude_algos": []}'}),
    ):
        assert resp.status_code == 412
        assert "No training data has been specified" in resp.json()["msg"]


def test_automl_runs_and_sessions_are_bounded_and_a_run_holds_no_evicted_model(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, state: H2O3MockState, train_csv: Path
) -> None:
    frame = _parsed(client, clock, train_csv)
    spec = {**SPEC, "input_spec": {**SPEC["input_spec"], "training_frame": frame}}
    runs = []
    for _ in range(3):
        runs.append(http.post("/99/AutoMLBuilder", json=spec).json()["job"]["dest"]["name"])
        clock.advance(60.0)
    state.max_objects = 2
    http.get("/3/Cloud")  # any request trims
    assert list(state.automls) == runs[-2:]
    assert http.get(f"/99/AutoML/{runs[0]}").status_code == 404
    # the models that went are neither on a leaderboard nor kept alive by the run that made them
    for automl_id in runs[-2:]:
        board = http.get(f"/99/AutoML/{automl_id}").json()["leaderboard"]["models"]
        assert {m["name"] for m in board} <= set(state.models)
    assert all(m.id in state.models for run in state.automls.values() for m in run.models)

    keys = [http.get("/3/InitID", params={"session_key": f"s{i}"}).json()["session_key"] for i in range(4)]
    assert list(state.sessions) == keys[-2:]
    assert state.internal_errors == []


def test_without_folds_the_leaderboard_ranks_by_the_validation_frame_as_a_real_server_does(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    """A real 3.46.0.12 (nfolds=0, a validation_frame) showed each model's validation logloss on its leaderboard."""
    frame = _parsed(client, clock, train_csv)
    for name, rows in (("aml_tr", "[0:120]"), ("aml_va", "[120:80]")):
        assert http.post("/99/Rapids", data={"ast": f"(tmp= {name} (rows {frame} {rows}))"}).status_code == 200
    spec = {
        "build_control": {"nfolds": 0, "stopping_criteria": {"max_models": 2, "seed": 1}},
        "build_models": {"exclude_algos": ["DeepLearning", "XGBoost", "GBM", "StackedEnsemble"]},
        "input_spec": {"training_frame": "aml_tr", "validation_frame": "aml_va", "response_column": "label"},
    }
    automl_id = http.post("/99/AutoMLBuilder", json=spec).json()["job"]["dest"]["name"]
    clock.advance(60.0)
    table = http.get(f"/99/Leaderboards/{automl_id}").json()["table"]
    names = [c["name"] for c in table["columns"]]
    board = dict(zip(table["data"][names.index("model_id")], table["data"][names.index("logloss")], strict=True))
    assert len(board) == 2
    for model_id, logloss in board.items():
        output = client.model(model_id)["output"]
        assert output["validation_metrics"]["frame"]["name"] == "aml_va"
        assert logloss == output["validation_metrics"]["logloss"] != output["training_metrics"]["logloss"]


def test_a_leaderboard_frame_scores_the_leaderboard_and_is_echoed_as_on_a_real_server(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    """A real 3.46.0.12 ranks the models by their metrics on ``leaderboard_frame`` and names it in every answer."""
    frame = _parsed(client, clock, train_csv)
    for name, rows in (("aml_tr", "[0:140]"), ("aml_lb", "[140:60]")):
        assert http.post("/99/Rapids", data={"ast": f"(tmp= {name} (rows {frame} {rows}))"}).status_code == 200
    spec = {
        "build_control": {"nfolds": 3, "stopping_criteria": {"max_models": 2, "seed": 1}},
        "build_models": {"exclude_algos": ["DeepLearning", "XGBoost", "GBM"]},
        "input_spec": {"training_frame": "aml_tr", "leaderboard_frame": "aml_lb", "response_column": "label"},
    }
    built = http.post("/99/AutoMLBuilder", json=spec).json()
    assert built["input_spec"]["leaderboard_frame"]["name"] == "aml_lb"
    automl_id = built["job"]["dest"]["name"]
    clock.advance(60.0)
    done = http.get(f"/99/AutoML/{automl_id}").json()
    board = http.get(f"/99/Leaderboards/{automl_id}").json()
    assert done["leaderboard_frame"]["name"] == board["leaderboard_frame"]["name"] == "aml_lb"
    assert board["leaderboard_frame_checksum"] == client.frame("aml_lb")["checksum"]
    ids = [m["name"] for m in board["models"]]
    assert len(ids) == 3  # GLM, DRF and their ensemble
    on_frame = [http.get(f"/3/ModelMetrics/models/{m}/frames/aml_lb").json()["model_metrics"][0]["AUC"] for m in ids]
    assert board["sort_metrics"] == on_frame == sorted(on_frame, reverse=True)
    trained = [client.model(m)["output"]["cross_validation_metrics"]["AUC"] for m in ids]
    assert on_frame != trained

    unheld = {**spec, "input_spec": {**spec["input_spec"], "leaderboard_frame": "nope.hex"}}
    ignored = http.post("/99/AutoMLBuilder", json=unheld).json()
    assert ignored["input_spec"]["leaderboard_frame"]["name"] == "nope.hex"  # echoed, then ignored: as a real server
    clock.advance(60.0)
    other = http.get(f"/99/Leaderboards/{ignored['job']['dest']['name']}").json()
    assert (other["leaderboard_frame"], other["leaderboard_frame_checksum"]) == (None, 0)


def test_without_folds_nor_a_validation_frame_a_run_cuts_one_from_its_training_frame(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    """As a real 3.46.0.12 (nfolds=0): about 90/10, the models score the cut, the leaderboard reads it, no ensemble."""
    frame = _parsed(client, clock, train_csv)
    spec = {
        "build_control": {"nfolds": 0, "stopping_criteria": {"max_models": 2, "seed": 1}},
        "build_models": {"exclude_algos": ["DeepLearning", "XGBoost", "GBM"]},
        "input_spec": {"training_frame": frame, "response_column": "label"},
    }
    built = http.post("/99/AutoMLBuilder", json=spec).json()
    project = built["build_control"]["project_name"]
    clock.advance(60.0)
    done = http.get(f"/99/AutoML/{built['job']['dest']['name']}").json()
    cut = f"{project}_validation_{frame}"
    assert done["validation_frame"]["name"] == done["leaderboard_frame"]["name"] == cut
    assert done["leaderboard"]["leaderboard_frame"]["name"] == cut
    rows = [client.frame(name)["rows"] for name in (done["training_frame"]["name"], cut)]
    assert sum(rows) == 200
    assert 0 < rows[1] < rows[0]
    ids = [m["name"] for m in done["leaderboard"]["models"]]
    assert sorted(i.split("_")[0] for i in ids) == ["DRF", "GLM"]  # no ensemble without folds nor blending frame
    valid = [client.model(i)["output"]["validation_metrics"] for i in ids]
    assert {v["frame"]["name"] for v in valid} == {cut}
    assert done["leaderboard"]["sort_metrics"] == [v["AUC"] for v in valid]
    messages = _column(done["event_log_table"], "message")
    assert any("automatically split the training data" in m for m in messages)
    assert sum("skipping StackedEnsemble" in m for m in messages) == 2


def _column(table: dict[str, Any], name: str) -> list[Any]:
    data: list[Any] = table["data"][[c["name"] for c in table["columns"]].index(name)]
    return data


def test_a_small_frame_draws_no_row_for_validation_and_its_models_learn_from_every_row(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, tmp_path: Path
) -> None:
    """A frame of one chunk draws its cut with java.util.Random(0) (the seed times the chunk's index 0), whose
    first draw of 0.9 or more is the 8th: a 3-row frame keeps every row for training and has no validation frame, as
    a real 3.46.0.12's 5-row one (tests/apis/h2o3/test_h2o3_mock_automl_fidelity.py). Seed 570 once drew every row
    into the mock's cut, and the build failed (a ValueError)."""
    path = tmp_path / "small.csv"
    path.write_text("x,label\n1,a\n2,b\n3,a\n")
    frame = _parsed(client, clock, path)
    spec = {
        "build_control": {"nfolds": 0, "stopping_criteria": {"max_models": 2, "seed": 570}},
        "input_spec": {"response_column": "label", "training_frame": frame},
    }
    started = http.post("/99/AutoMLBuilder", json=spec)
    assert started.status_code == 200, started.text[:500]
    clock.advance(60.0)
    done = http.get(f"/99/AutoML/{started.json()['job']['dest']['name']}").json()
    assert len(done["leaderboard"]["models"]) == 2
    assert done["validation_frame"] is None
    training = http.get(f"/3/Frames/{done['training_frame']['name']}", params={"row_count": 0}).json()
    assert training["frames"][0]["rows"] == 3


def test_a_run_of_a_named_project_names_its_models_after_the_run_as_a_real_server_does(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    # a project name without "_" was a 400 "could not handle this request: IndexError"; a real 3.46.0.12 named the
    # models of project "pone" GLM_1_AutoML_1_20261205_144256
    frame = _parsed(client, clock, train_csv)
    control = {**SPEC["build_control"], "project_name": "pone"}
    spec = {**SPEC, "build_control": control, "input_spec": {**SPEC["input_spec"], "training_frame": frame}}
    resp = http.post("/99/AutoMLBuilder", json=spec)
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["job"]["dest"]["name"] == "pone@@label"
    clock.advance(60.0)
    run = http.get("/99/AutoML/pone@@label").json()
    board = run["leaderboard"]
    names = [m["name"] for m in board["models"]]
    assert names, board
    assert all(re.fullmatch(r"[A-Za-z]+(_[A-Za-z]+)?_\d+_AutoML_\d+_\d{8}_\d{6}", name) for name in names), names
    assert run["project_name"] == "pone"


@pytest.mark.parametrize(
    ("rows", "nfolds", "refusal"),
    [
        # a real 3.46.0.12's builders drop the constant predictor, then find too few columns
        (["1,a", "1,b"] * 10, 3, "_train param, Training data must have at least 2 features (incl. response)."),
        (["1,a", "1,b"] * 10, 0, "_train param, Training data must have at least 2 features (incl. response)."),
        # two rows: each model refuses three folds (the run is not refused)
        (["1,a", "2,b"], 3, "_nfolds param, nfolds cannot be larger than the number of rows (2)."),
    ],
    ids=["constant_predictors", "constant_predictors_no_folds", "two_rows"],
)
def test_a_run_whose_models_are_all_refused_ends_with_an_empty_leaderboard_as_on_a_real_server(
    http: httpx.Client,
    client: H2O3Client,
    clock: ManualClock,
    state: H2O3MockState,
    tmp_path: Path,
    rows: list[str],
    nfolds: int,
    refusal: str,
) -> None:
    path = tmp_path / "refused.csv"
    path.write_text("\n".join(["x,label", *rows]) + "\n")
    raw = client.import_files(str(path))["destination_frames"]
    setup = {**client.parse_setup(raw), "column_types": ["Numeric", "Enum"]}  # two rows would parse as strings
    frame = client.parse(setup)["destination_frame"]["name"]
    clock.advance(10.0)
    spec = {
        **SPEC,
        "build_control": {**SPEC["build_control"], "nfolds": nfolds},
        "input_spec": {**SPEC["input_spec"], "training_frame": frame},
    }
    built = http.post("/99/AutoMLBuilder", json=spec)
    assert built.status_code == 200, built.text[:300]
    clock.advance(60.0)
    assert client.job(built.json()["job"]["key"]["name"])["status"] == "DONE"
    done = http.get(f"/99/AutoML/{built.json()['job']['dest']['name']}").json()
    assert done["leaderboard"]["models"] == []
    levels, messages = _column(done["event_log_table"], "level"), _column(done["event_log_table"], "message")
    errors = [m for lvl, m in zip(levels, messages, strict=True) if lvl == "ERROR"]
    assert errors.count(refusal) == 3  # GLM, DRF and GBM each refused
    assert sum(m.startswith("No base models") for m in messages) == 2
    assert (levels[-1], messages[-1].split("\n")[0]) == ("WARN", "Empty leaderboard.")
    assert "max runtime constraint of 60 seconds" in messages[-1]
    assert state.internal_errors == []
