"""Grid search on the mock: a job on the clock that trains a model per combination, sorted grids, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.mockparts import gson
from h2oharness.mocks.clock import ManualClock

HYPER = '{"max_depth": [1,3],"learn_rate": [0.1,0.5]}'


@pytest.fixture
def frame(client: H2O3Client, clock: ManualClock, train_csv: Path) -> str:
    """The classification CSV parsed, its job done."""
    raw = client.import_files(str(train_csv))["destination_frames"]
    name = str(client.parse(client.parse_setup(raw))["destination_frame"]["name"])
    clock.advance(10.0)
    return name


def _post(http: httpx.Client, frame: str, algo: str = "gbm", **fields: str) -> dict[str, Any]:
    form = {"training_frame": frame, "response_column": "label", "ntrees": "3", "seed": "1", **fields}
    resp = http.post(f"/99/Grid/{algo}", data=form)
    assert resp.status_code == 200, resp.text[:500]
    body: dict[str, Any] = resp.json()
    return body


def _job(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = http.get(f"/3/Jobs/{body['job']['key']['name']}").json()["jobs"][0]
    return job


def _ids(grid: dict[str, Any]) -> list[str]:
    return [m["name"] for m in grid["model_ids"]]


def test_a_grid_is_a_job_whose_models_appear_when_it_is_done(
    http: httpx.Client, clock: ManualClock, state: H2O3MockState, frame: str
) -> None:
    body = _post(http, frame, hyper_parameters=HYPER, grid_id="g")
    assert body["__meta"]["schema_name"] == "GridSearchSchema"
    assert body["job"]["dest"] == {
        "__meta": {"schema_version": 3, "schema_name": "GridKeyV3", "schema_type": "Key<Grid>"},
        "name": "g",
        "type": "Key<Grid>",
        "URL": None,
    }
    assert body["job"]["description"] == "GBM Grid Search"
    assert body["search_criteria"]["strategy"] == "Cartesian"
    assert _job(http, body)["status"] in ("CREATED", "RUNNING")
    early = http.get("/99/Grids/g").json()
    assert (early["model_ids"], early["sort_by"], early["summary_table"]) == ([], None, None)
    clock.advance(4 * 3.1 + 1)
    assert _job(http, body)["status"] == "DONE"
    done = http.get("/99/Grids/g").json()
    assert sorted(_ids(done)) == [f"g_model_{n}" for n in (1, 2, 3, 4)]
    assert (done["hyper_names"], done["sort_by"], done["decreasing"]) == (["learn_rate", "max_depth"], "logloss", False)
    logloss = [m["logloss"] for m in done["training_metrics"]]
    assert logloss == sorted(logloss)
    assert done["summary_table"]["description"] == "ordered by increasing logloss"
    assert done["scoring_history"]["rowcount"] == 4
    # a grid's models are ordinary models: fetched, used and deleted as any
    model = http.get("/3/Models/g_model_2").json()["models"][0]
    inputs = {p["name"]: p["input_value"] for p in model["parameters"]}
    assert (inputs["max_depth"], inputs["learn_rate"]) == (1, 0.5)
    assert http.get("/99/Models/g_model_2").json()["models"][0]["model_id"]["name"] == "g_model_2"
    predicted = http.post(f"/3/Predictions/models/g_model_2/frames/{frame}")
    assert predicted.status_code == 200
    assert http.delete("/3/Models/g_model_2").status_code == 200
    assert len(http.get("/99/Grids/g").json()["model_ids"]) == 3
    listed = http.get("/99/Grids").json()
    assert [g["grid_id"]["name"] for g in listed["grids"]] == ["g"]
    assert http.delete("/3/DKV/g").status_code == 200
    assert http.get("/99/Grids/g").status_code == 404
    assert "g_model_1" in state.models
    assert state.internal_errors == []


def test_sort_by_orders_the_models_and_refuses_a_metric_of_another_category(
    http: httpx.Client, clock: ManualClock, frame: str
) -> None:
    _post(http, frame, hyper_parameters=HYPER, grid_id="g")
    clock.advance(60.0)
    by_auc = http.get("/99/Grids/g", params={"sort_by": "auc", "decreasing": "True"}).json()
    aucs = [m["AUC"] for m in by_auc["training_metrics"]]
    assert aucs == sorted(aucs, reverse=True)
    assert [c["name"] for c in by_auc["summary_table"]["columns"]][-1] == "auc"
    assert by_auc["summary_table"]["data"][3] == _ids(by_auc)
    for metric in ("err", "f1", "mse", "mean_per_class_error", "aucpr", "err_count", "max_per_class_error"):
        answer = http.get("/99/Grids/g", params={"sort_by": metric})
        assert answer.status_code == 200, metric
    refused = http.get("/99/Grids/g", params={"sort_by": "mae"})
    assert refused.status_code == 412
    assert "Invalid argument for sort_by specified. Must be one of: [r2, f0point5" in refused.json()["msg"]


def test_a_random_search_builds_max_models_and_a_bad_value_is_a_failed_combination(
    http: httpx.Client, clock: ManualClock, frame: str
) -> None:
    criteria = '{"strategy": RandomDiscrete,"max_models": 2,"seed": 1}'
    random_search = _post(http, frame, "drf", hyper_parameters='{"max_depth": [1,2,3,4]}', search_criteria=criteria)
    assert random_search["search_criteria"]["max_models"] == 2
    assert random_search["grid_id"] is None
    bad = _post(http, frame, hyper_parameters='{"learn_rate": [0.1,2.0], "max_depth": ["abc"]}', grid_id="bad")
    clock.advance(60.0)
    named = random_search["job"]["dest"]["name"]
    assert named.startswith(f"Grid_DRF_{frame}_model_python_")
    assert len(http.get(f"/99/Grids/{named}").json()["model_ids"]) == 2
    failed = http.get(f"/99/Grids/{bad['job']['dest']['name']}").json()
    assert failed["model_ids"] == []
    assert failed["failed_raw_params"] == [["0.1", "abc"], ["2.0", "abc"]]
    assert failed["failure_details"] == ["Cannot set field 'max_depth' to value abc"] * 2
    assert failed["failed_params"] == [None, None]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"hyper_parameters": '{"bogus": [1,2]}'}, "Illegal argument: bogus of function: grid: Unknown hyper"),
        ({"max_depth": "4", "hyper_parameters": '{"max_depth": [1,2]}'}, "is set in both the model parameters"),
        ({"hyper_parameters": '{"max_depth": [1,'}, "Can't parse the hyper_parameters dictionary"),
        ({"search_criteria": '{"strategy": "Bogus"}'}, "Strategy.Bogus for raw value"),
    ],
)
def test_a_search_the_real_server_refuses_is_412(
    http: httpx.Client, frame: str, fields: dict[str, str], text: str
) -> None:
    resp = http.post("/99/Grid/gbm", data={"training_frame": frame, "response_column": "label", **fields})
    assert resp.status_code == 412
    assert text in resp.json()["msg"]


def test_a_search_without_a_training_frame_is_400_unless_it_names_its_grid(
    http: httpx.Client, clock: ManualClock
) -> None:
    """No frame to name the grid after: 400, as on a real 3.46.0.12; with a grid id each model fails instead."""
    hyper = '{"max_depth": [1,2]}'
    refused = http.post("/99/Grid/gbm", data={"response_column": "label", "hyper_parameters": hyper})
    assert refused.status_code == 400
    body = refused.json()
    assert (body["__meta"]["schema_name"], body["exception_type"]) == (
        "H2OErrorV3",
        "java.lang.IllegalArgumentException",
    )
    assert body["msg"] == "\n\nERROR MESSAGE:\n\nThe frame being grid-searched over must have a Key\n\n"
    assert http.get("/99/Grids").json()["grids"] == []
    named = http.post("/99/Grid/gbm", data={"response_column": "label", "hyper_parameters": hyper, "grid_id": "g"})
    assert named.status_code == 200
    clock.advance(60.0)
    grid = http.get("/99/Grids/g").json()
    assert grid["model_ids"] == []
    assert [d.split("Details: ")[1] for d in grid["failure_details"]] == [
        "ERRR on field: _train: Missing training frame\n"
    ] * 2


def test_a_grid_appends_only_from_its_own_frame_and_resumes_a_cancelled_search(
    http: httpx.Client, clock: ManualClock, frame: str
) -> None:
    first = _post(http, frame, hyper_parameters='{"max_depth": [1,2]}', grid_id="g")
    assert http.post(f"/3/Jobs/{first['job']['key']['name']}/cancel").status_code == 200
    clock.advance(60.0)
    assert http.get("/99/Grids/g").json()["model_ids"] == []
    resumed = http.post("/99/Grid/gbm/resume", data={"grid_id": "g"})
    assert resumed.status_code == 200
    clock.advance(60.0)
    assert sorted(_ids(http.get("/99/Grids/g").json())) == ["g_model_3", "g_model_4"]
    _post(http, frame, hyper_parameters='{"max_depth": [2,3]}', grid_id="g")
    clock.advance(60.0)
    assert sorted(_ids(http.get("/99/Grids/g").json())) == ["g_model_3", "g_model_4", "g_model_6"]
    other = http.post("/99/Grid/gbm", data={"training_frame": "x.hex", "response_column": "label", "grid_id": "g"})
    assert other.status_code == 412
    assert http.post("/99/Grid/gbm/resume", data={"grid_id": "nope"}).status_code == 404


def test_a_search_of_too_many_models_fails_at_once(http: httpx.Client, frame: str) -> None:
    values = ",".join(str(n) for n in range(1, 12))
    body = _post(http, frame, hyper_parameters=f'{{"max_depth": [{values}], "nbins": [{values}]}}')
    job = _job(http, body)
    assert job["status"] == "FAILED"
    assert "at most 100 models per grid search; this one asks for 121" in job["exception"]


def test_h2o_py_hyper_parameters_and_criteria_parse_leniently() -> None:
    """h2o-py writes strings unquoted (stringify_dict_as_map): Gson reads them leniently, so does the mock."""
    assert gson.lenient_json('{"strategy": RandomDiscrete,"max_models": 2}') == {
        "strategy": "RandomDiscrete",
        "max_models": "2",
    }
    assert gson.lenient_json('{"hidden": [[10,10],[20]], "d": ["a b"]}') == {
        "hidden": [["10", "10"], ["20"]],
        "d": ["a b"],
    }
    with pytest.raises(ValueError, match="End of input"):
        gson.lenient_json('{"a": [1,')


def test_malformed_object_arrays_are_refused_and_well_formed_ones_echoed_as_objects(
    http: httpx.Client, frame: str
) -> None:
    # the contract sweep with every operation sent such forms: the mock echoed them into a schema-violating answer
    # (a real 3.46.0.12 answers the malformed arrays with a 500 of its gson)
    for malformed in ('[{"key": "", "value": ["null", 1]}]', "garbage", '{"key": "x1"}'):
        refused = http.post("/99/Grid/gbm", data={"training_frame": frame, "monotone_constraints": malformed})
        assert refused.status_code == 412, (malformed, refused.text[:300])
        assert "monotone_constraints" in refused.json()["msg"]
    # a well-formed one is read as the server's gson reads it: a number key becomes its text, the value a double
    body = _post(http, frame, hyper_parameters=HYPER, monotone_constraints='[{"key": 1, "value": 1}]')
    (constraint,) = body["parameters"]["monotone_constraints"]
    assert (constraint["key"], constraint["value"]) == ("1", 1.0)
    assert constraint["__meta"]["schema_name"] == "KeyValueV3"


def _ls(http: httpx.Client) -> list[str]:
    """The keys ``(ls)`` lists, as h2o.ls() reads them (assigned to a frame, then downloaded)."""
    assert http.post("/99/Rapids", data={"ast": "(tmp= listed (ls))", "session_id": "s"}).status_code == 200
    rows = http.get("/3/DownloadDataset", params={"frame_id": "listed"}).text.split()
    assert http.post("/99/Rapids", data={"ast": "(rm listed)", "session_id": "s"}).status_code == 200
    return [row.strip('"') for row in rows[1:]]


def test_ls_lists_a_grid_with_its_models_as_a_real_server_does(
    http: httpx.Client, clock: ManualClock, frame: str
) -> None:
    _post(http, frame, hyper_parameters='{"max_depth": [1,3]}', grid_id="g")
    clock.advance(60.0)
    assert _ls(http) == sorted([frame, "g", "g_model_1", "g_model_2"])
    assert http.delete("/3/DKV/g").status_code == 200
    assert _ls(http) == sorted([frame, "g_model_1", "g_model_2"])


def test_rm_of_a_grid_removes_it_with_its_models_as_a_real_server_does(
    http: httpx.Client, clock: ManualClock, frame: str
) -> None:
    """h2o.remove(grid) sends (rm grid): a real 3.46.0.12 answered 1.0 and then 404 for the grid and each model."""
    _post(http, frame, hyper_parameters='{"max_depth": [1,3]}', grid_id="g")
    clock.advance(60.0)
    removed = http.post("/99/Rapids", data={"ast": "(rm g)", "session_id": "s"}).json()
    assert removed["scalar"] == 1.0
    assert [http.get(path).status_code for path in ("/99/Grids/g", "/3/Models/g_model_1", "/3/Models/g_model_2")] == [
        404,
        404,
        404,
    ]
    assert _ls(http) == [frame]
    assert http.post("/99/Rapids", data={"ast": "(rm g)", "session_id": "s"}).json()["scalar"] == 0.0


def _msg(resp: httpx.Response) -> str:
    """An H2OErrorV3's message without the frame H2O-3 puts round it."""
    return str(resp.json()["msg"]).removeprefix("\n\nERROR MESSAGE:\n\n").removesuffix("\n\n")


def test_grid_export_and_import_refuse_as_a_real_server_does(
    http: httpx.Client, clock: ManualClock, frame: str, tmp_path: Path
) -> None:
    """The statuses and messages a real 3.46.0.12 answered (500 FSIOException for a model file missing: 400 here)."""
    _post(http, frame, hyper_parameters='{"max_depth": [1,3]}', grid_id="g")
    clock.advance(60.0)
    missing = http.post("/3/Grid.bin/nope/export", data={"grid_directory": str(tmp_path)})
    assert (missing.status_code, _msg(missing)) == (400, "Grid with id 'nope' has not been found.")
    unnamed = http.post("/3/Grid.bin/g/export", data={})
    assert (unnamed.status_code, unnamed.json()["values"]) == (
        412,
        {"argument": "grid_directory", "schema": "GridExportV3"},
    )
    saved = tmp_path / "saved"
    assert http.post("/3/Grid.bin/g/export", data={"grid_directory": str(saved)}).json()["name"] == "g"
    assert sorted(p.name for p in saved.iterdir()) == ["g", "g_model_1", "g_model_2"]
    assert http.post("/3/Grid.bin/import", data={}).json()["values"] == {
        "argument": "grid_path",
        "schema": "GridImportV3",
    }
    nothing = http.post("/3/Grid.bin/import", data={"grid_path": str(saved / "nothing")})
    assert (nothing.status_code, _msg(nothing)) == (400, f"Grid file not found file:{saved / 'nothing'}")
    (saved / "junk").write_text("not a grid")
    junk = http.post("/3/Grid.bin/import", data={"grid_path": str(saved / "junk")})
    assert (junk.status_code, _msg(junk)) == (400, "Missing magic number 0x1CED at stream start")
    (saved / "g_model_2").unlink()
    lacking = http.post("/3/Grid.bin/import", data={"grid_path": str(saved / "g")})
    assert lacking.status_code == 400
    assert _msg(lacking) == f"FS IO Failure: \n accessed path : file:{saved / 'g_model_2'} msg: File not found"
