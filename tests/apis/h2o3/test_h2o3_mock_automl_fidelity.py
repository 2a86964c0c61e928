"""AutoML on the mock against a real local H2O-3 3.46.0.12: the same build spec (JSON, as h2o-py posts it) gets
answers with the same fields, a leaderboard of the same models and columns, and an ensemble shaped the same; a
run given a leaderboard_frame names it where the real one does, and one without folds nor a validation frame cuts
one from its training frame (the same rows, whatever the seed, for a frame of one chunk) that the models score and
the leaderboard reads, and makes no ensemble."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target


def _parsed(client: H2O3Client, csv_path: Path, prefix: str) -> str:
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"{prefix}_{uuid.uuid4().hex[:8]}.hex"
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    return frame


def _run(http: httpx.Client, csv_path: Path, board_path: Path | None = None, nfolds: int = 3) -> dict[str, Any]:
    """A small AutoML run (GLM and DRF, three folds) and everything h2o-py reads of it; with ``board_path``, the
    leaderboard scores the models on that CSV's frame."""
    client = H2O3Client(http)
    frame = _parsed(client, csv_path, "automl")
    board_frame = {"leaderboard_frame": _parsed(client, board_path, "board")} if board_path else {}
    spec = {
        "build_control": {"nfolds": nfolds, "stopping_criteria": {"max_models": 2, "seed": 1, "max_runtime_secs": 60}},
        "build_models": {"exclude_algos": ["DeepLearning", "XGBoost", "GBM"]},
        "input_spec": {"training_frame": frame, "response_column": "label", "sort_metric": "AUTO", **board_frame},
    }
    built = http.post("/99/AutoMLBuilder", content=json.dumps(spec), headers={"Content-Type": "application/json"})
    assert built.status_code == 200, built.text[:300]
    builder = built.json()
    client.wait(builder["job"]["key"]["name"], timeout=180)
    automl_id = builder["job"]["dest"]["name"]
    automl = http.get(f"/99/AutoML/{automl_id}").json()
    board = http.get(f"/99/Leaderboards/{automl_id}", params={"extensions": "[ALL]"}).json()
    ensembles = [m["name"] for m in automl["leaderboard"]["models"] if m["name"].startswith("StackedEnsemble")]
    ensemble = client.model(ensembles[0]) if ensembles else None
    scored = [client.model(m["name"])["output"]["validation_metrics"] for m in board["models"]]
    return {"builder": builder, "automl": automl, "board": board, "ensemble": ensemble, "scored": scored, **board_frame}


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The run on the real server and on the mock (fast clock)."""
    csv_path = Path(tmp_path_factory.mktemp("automl_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    return on_both(h2o3_local, lambda http: _run(http, csv_path))


def _prefixes(board: dict[str, Any]) -> list[str]:
    """Model ids without their run-specific AutoML_<n>_<time> suffix."""
    return [m["name"].split("_AutoML_")[0] for m in board["models"]]


@pytest.mark.live
def test_automl_answers_have_the_real_fields(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    for part in ("builder", "automl", "board"):
        assert set(mock[part]) == set(real[part]), part
    for part in ("build_control", "input_spec", "build_models", "job"):
        assert set(mock["builder"][part]) == set(real["builder"][part]), part
    assert set(mock["automl"]["leaderboard"]) == set(real["automl"]["leaderboard"])
    assert mock["automl"]["modeling_steps"] == real["automl"]["modeling_steps"]
    assert mock["builder"]["job"]["dest"]["name"].endswith("@@label")


@pytest.mark.live
def test_the_leaderboard_holds_the_real_models_and_columns(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    assert sorted(_prefixes(mock["board"])) == sorted(_prefixes(real["board"]))
    columns = [[c["name"] for c in side["board"]["table"]["columns"]] for side in both]
    assert columns[1] == columns[0]
    assert mock["board"]["sort_metric"] == real["board"]["sort_metric"] == "auc"


@pytest.mark.live
def test_the_ensemble_is_shaped_as_the_real_one(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = (side["ensemble"] for side in both)
    assert real is not None
    assert mock is not None
    assert mock["__meta"] == real["__meta"]
    assert set(mock) == set(real)
    assert set(mock["output"]) == set(real["output"])
    assert {p["name"] for p in mock["parameters"]} == {p["name"] for p in real["parameters"]}  # order: DEVIATIONS
    descriptions = [side["output"]["cross_validation_metrics"]["description"] for side in (real, mock)]
    assert descriptions[1] == descriptions[0]


@pytest.fixture(scope="module")
def with_board(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """A run given a leaderboard frame (other rows of the same data) on the real server and on the mock."""
    folder = Path(tmp_path_factory.mktemp("automl_board_fidelity"))
    (folder / "train.csv").write_text(classification_csv())
    (folder / "board.csv").write_text(classification_csv(60, seed=5))
    with httpx.Client(base_url=h2o3_local.url, auth=h2o3_local.credentials.httpx_auth(), timeout=120) as real_http:
        real = _run(real_http, folder / "train.csv", folder / "board.csv")
    state = H2O3MockState(clock=MonotonicClock(speed=20.0))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=120) as mock_http:
        mock = _run(mock_http, folder / "train.csv", folder / "board.csv")
    assert state.internal_errors == []
    return real, mock


@pytest.mark.live
def test_a_leaderboard_frame_is_named_where_the_real_server_names_it(with_board: tuple[dict[str, Any], ...]) -> None:
    for side in with_board:
        named = side["leaderboard_frame"]
        assert side["builder"]["input_spec"]["leaderboard_frame"]["name"] == named
        assert side["automl"]["leaderboard_frame"]["name"] == named
        assert side["automl"]["leaderboard"]["leaderboard_frame"]["name"] == named
        assert side["board"]["leaderboard_frame"]["name"] == named
        assert side["board"]["leaderboard_frame_checksum"] != 0
    real, mock = with_board
    assert sorted(_prefixes(mock["board"])) == sorted(_prefixes(real["board"]))
    assert mock["board"]["sort_metric"] == real["board"]["sort_metric"] == "auc"
    assert len(mock["board"]["sort_metrics"]) == len(real["board"]["sort_metrics"])


@pytest.fixture(scope="module")
def without_folds(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """A run with nfolds=0 and neither a validation nor a leaderboard frame, on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("automl_split_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    with httpx.Client(base_url=h2o3_local.url, auth=h2o3_local.credentials.httpx_auth(), timeout=120) as real_http:
        real = _run(real_http, csv_path, nfolds=0)
    state = H2O3MockState(clock=MonotonicClock(speed=20.0))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=120) as mock_http:
        mock = _run(mock_http, csv_path, nfolds=0)
    assert state.internal_errors == []
    return real, mock


@pytest.mark.live
def test_without_folds_a_run_cuts_its_validation_frame_as_the_real_server_does(
    without_folds: tuple[dict[str, Any], ...],
) -> None:
    for side in without_folds:
        automl = side["automl"]
        project, frame = automl["project_name"], side["builder"]["input_spec"]["training_frame"]["name"]
        cut = f"{project}_validation_{frame}"
        assert automl["training_frame"]["name"] == f"{project}_training_{frame}"
        assert automl["validation_frame"]["name"] == automl["leaderboard_frame"]["name"] == cut
        assert side["board"]["leaderboard_frame"]["name"] == cut
        assert [v["frame"]["name"] for v in side["scored"]] == [cut] * len(side["scored"])
        assert side["board"]["sort_metrics"] == [v["AUC"] for v in side["scored"]]
    real, mock = without_folds
    assert sorted(_prefixes(mock["board"])) == sorted(_prefixes(real["board"])) == ["DRF_1", "GLM_1"]
    assert mock["automl"]["modeling_steps"] == real["automl"]["modeling_steps"]


def _refused_run(http: httpx.Client, csv_path: Path, nfolds: int) -> dict[str, Any]:
    """A run (GLM, DRF, GBM) on a frame its builders all refuse: the job's end, the leaderboard and the event log."""
    client = H2O3Client(http)
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"refused_{uuid.uuid4().hex[:8]}.hex"
    setup = {**client.parse_setup(raw), "column_types": ["Numeric", "Enum"]}  # two rows would parse as strings
    client.wait(client.parse(setup, destination_frame=frame)["job"]["key"]["name"], timeout=60)
    spec = {
        "build_control": {"nfolds": nfolds, "stopping_criteria": {"max_models": 3, "seed": 1, "max_runtime_secs": 60}},
        "build_models": {"exclude_algos": ["DeepLearning", "XGBoost"]},
        "input_spec": {"training_frame": frame, "response_column": "label", "sort_metric": "AUTO"},
    }
    built = http.post("/99/AutoMLBuilder", content=json.dumps(spec), headers={"Content-Type": "application/json"})
    assert built.status_code == 200, built.text[:300]
    job = client.wait(built.json()["job"]["key"]["name"], timeout=180)
    automl = http.get(f"/99/AutoML/{built.json()['job']['dest']['name']}").json()
    table = automl["event_log_table"]
    names = [c["name"] for c in table["columns"]]
    events = list(zip(*(table["data"][names.index(n)] for n in ("level", "message")), strict=True))
    return {"job": job["status"], "models": automl["leaderboard"]["models"], "events": events}


def _refusals(events: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """The WARN and ERROR events after each model's start, by model id without the run's suffix."""
    out: dict[str, list[tuple[str, str]]] = {}
    current = None
    for level, message in events:
        if message.startswith("AutoML: starting "):
            current = message.split()[2].split("_AutoML_")[0]
            out[current] = []
        elif current is not None and level in ("WARN", "ERROR") and "param, " in message:
            out[current].append((level, message))
    return out


@pytest.fixture(scope="module")
def refused(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], ...]]:
    """Runs whose every model is refused, on the real server and on the mock: a constant predictor (with and without
    folds) and two rows (three folds)."""
    folder = Path(tmp_path_factory.mktemp("automl_refused_fidelity"))
    frames = {"constant": "x,label\n" + "1,a\n1,b\n" * 10, "two_rows": "x,label\n1,a\n2,b\n"}
    for name, text in frames.items():
        (folder / f"{name}.csv").write_text(text)
    cases = {"constant_3": ("constant", 3), "constant_0": ("constant", 0), "two_rows_3": ("two_rows", 3)}
    return {
        case: on_both(h2o3_local, lambda http, f=frame, n=nfolds: _refused_run(http, folder / f"{f}.csv", n))
        for case, (frame, nfolds) in cases.items()
    }


@pytest.mark.live
@pytest.mark.parametrize("case", ["constant_3", "constant_0", "two_rows_3"])
def test_a_run_whose_models_are_all_refused_ends_as_on_a_real_server(
    refused: dict[str, tuple[dict[str, Any], ...]], case: str
) -> None:
    real, mock = refused[case]
    assert mock["job"] == real["job"] == "DONE"
    assert mock["models"] == real["models"] == []
    mock_refusals, real_refusals = _refusals(mock["events"]), _refusals(real["events"])
    assert list(mock_refusals) == ["GLM_1", "DRF_1", "GBM_2"]  # the mock's plan: a real run tries more steps
    for model, logged in mock_refusals.items():
        assert logged, model
        assert logged == real_refusals[model], model
    skipped = [m for _, m in real["events"] if m.startswith("No base models") and "xglm" in m]
    assert [m for _, m in mock["events"] if m.startswith("No base models")] == skipped
    last = [[e for e in side["events"] if e[0] != "DEBUG"][-1] for side in (real, mock)]  # the mock logs no DEBUG
    assert last[1] == last[0]
    assert last[1][1].startswith("Empty leaderboard.")


def _split_run(http: httpx.Client, folder: Path, rows: int, seed: int) -> dict[str, Any]:
    """A run without folds on a frame of ``rows`` rows (x the row's number): the rows of each frame it names."""
    path = folder / f"split_{rows}.csv"
    path.write_text("x,label\n" + "".join(f"{i},{'ab'[i * 7 % 3 % 2]}\n" for i in range(rows)))
    client = H2O3Client(http)
    frame = _parsed(client, path, "split")
    spec = {
        "build_control": {"nfolds": 0, "stopping_criteria": {"max_models": 1, "seed": seed, "max_runtime_secs": 60}},
        "build_models": {"include_algos": ["GLM"]},
        "input_spec": {"training_frame": frame, "response_column": "label"},
    }
    built = http.post("/99/AutoMLBuilder", content=json.dumps(spec), headers={"Content-Type": "application/json"})
    assert built.status_code == 200, built.text[:300]
    client.wait(built.json()["job"]["key"]["name"], timeout=180)
    automl = http.get(f"/99/AutoML/{built.json()['job']['dest']['name']}").json()
    out: dict[str, Any] = {"models": len(automl["leaderboard"]["models"])}
    for field in ("training_frame", "validation_frame", "leaderboard_frame"):
        name = (automl.get(field) or {}).get("name")
        text = http.get("/3/DownloadDataset", params={"frame_id": name}).text if name else ""
        named = name.replace(automl["project_name"], "<project>").replace(frame, "<frame>") if name else None
        out[field] = (named, [int(float(line.split(",")[0])) for line in text.splitlines()[1:]])
    return out


SPLITS = [(20, 1), (37, 5), (100, 1), (5, 1)]


@pytest.fixture(scope="module")
def splits(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, int], tuple[Any, ...]]:
    """Runs without folds on frames of a few sizes and seeds, on the real server and on the mock."""
    folder = Path(tmp_path_factory.mktemp("automl_split_rows_fidelity"))
    return {
        case: on_both(h2o3_local, lambda http, r=case[0], s=case[1]: _split_run(http, folder, r, s)) for case in SPLITS
    }


@pytest.mark.live
@pytest.mark.parametrize("case", SPLITS, ids=[f"{r}_rows_seed_{s}" for r, s in SPLITS])
def test_without_folds_the_cut_takes_the_real_rows(
    splits: dict[tuple[int, int], tuple[dict[str, Any], ...]], case: tuple[int, int]
) -> None:
    """20 rows keep 17 for training, 37 keep 32, 100 keep 85; 5 rows draw none for validation, and the run has no
    validation nor leaderboard frame."""
    real, mock = splits[case]
    assert mock == real
