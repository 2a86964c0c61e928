"""Grid search on the mock against a real local H2O-3 3.46.0.12: the same small grids (form-encoded, as h2o-py
posts them) get the same statuses, schemas and fields, the same models, hyper names and failures, and the models
in the same order where the data fixes it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

GBM_HYPER = '{"max_depth": [1,3],"learn_rate": [0.1,0.5]}'


def _grid_job(http: httpx.Client, algo: str, form: dict[str, str]) -> dict[str, Any]:
    """POST /99/Grid/{algo}; the answer, and once its job is done the job and the grid."""
    posted = http.post(f"/99/Grid/{algo}", data=form)
    out: dict[str, Any] = {"status": posted.status_code, "body": posted.json()}
    if posted.status_code != 200:
        return out
    job_id = out["body"]["job"]["key"]["name"]
    deadline = time.monotonic() + 120
    while True:
        job = http.get(f"/3/Jobs/{job_id}").json()["jobs"][0]
        if job["status"] not in ("CREATED", "RUNNING") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    out["job"] = job
    out["grid"] = http.get(f"/99/Grids/{job['dest']['name']}").json()
    return out


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    """A Cartesian GBM grid, one with a value the builder refuses, a RandomDiscrete DRF grid, and refusals."""
    client = H2O3Client(http)
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"grid_{tag}.hex"
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    base = {"training_frame": frame, "response_column": "label", "seed": "1"}
    gbm_id = f"gbm_{tag}"
    out: dict[str, Any] = {
        "gbm": _grid_job(http, "gbm", {**base, "ntrees": "3", "hyper_parameters": GBM_HYPER, "grid_id": gbm_id}),
        "bad": _grid_job(
            http,
            "gbm",
            {**base, "ntrees": "2", "hyper_parameters": '{"learn_rate": [0.1,2.0]}', "grid_id": f"bad_{tag}"},
        ),
        "random": _grid_job(
            http,
            "drf",
            {
                **base,
                "ntrees": "3",
                "hyper_parameters": '{"max_depth": [1,2,3,4]}',
                "search_criteria": '{"strategy": RandomDiscrete,"max_models": 2,"seed": 1}',
            },
        ),
        "unknown_hyper": _grid_job(http, "gbm", {**base, "hyper_parameters": '{"bogus": [1,2]}'}),
        "both": _grid_job(http, "gbm", {**base, "max_depth": "4", "hyper_parameters": '{"max_depth": [2,3]}'}),
    }
    for sort_by, decreasing in (("auc", "true"), ("logloss", "false"), ("bogus", "false")):
        answer = http.get(f"/99/Grids/{gbm_id}", params={"sort_by": sort_by, "decreasing": decreasing})
        out[f"sort_{sort_by}"] = {"status": answer.status_code, "body": answer.json()}
    missing = http.get(f"/99/Grids/nope_{tag}")
    out["missing"] = {"status": missing.status_code, "body": missing.json()}
    out["list"] = http.get("/99/Grids").json()
    out["frame"] = frame
    # h2o.ls(): the keys assigned to a frame and downloaded
    http.post("/99/Rapids", data={"ast": f"(tmp= ls_{tag} (ls))", "session_id": "_sid_grid"}).raise_for_status()
    out["ls"] = http.get("/3/DownloadDataset", params={"frame_id": f"ls_{tag}"}).text.split()[1:]
    # h2o.remove(grid): (rm grid) through Rapids, twice; then the grid and each of its models are looked up
    bad_models = _ids(out["bad"]["grid"])
    out["rm"] = [
        http.post("/99/Rapids", data={"ast": f"(rm bad_{tag})", "session_id": "_sid_grid"}).json()["scalar"]
        for _ in range(2)
    ]
    out["after_rm"] = [http.get(f"/99/Grids/bad_{tag}").status_code] + [
        http.get(f"/3/Models/{m}").status_code for m in bad_models
    ]
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The grids on the real server and on the mock (fast clock), under the same ids."""
    csv_path = Path(tmp_path_factory.mktemp("grid_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag))


def _ids(grid: dict[str, Any]) -> list[str]:
    return [m["name"] for m in grid["model_ids"]]


def _own_grid_ids(side: dict[str, Any]) -> set[str]:
    """The grids this run made (the ones it asked for by name and the one the random search's job named)."""
    return {side[step]["grid"]["grid_id"]["name"] for step in ("gbm", "bad", "random")}


def _own_grids(side: dict[str, Any]) -> list[dict[str, Any]]:
    """This run's grids as the list answered them, by name."""
    mine = _own_grid_ids(side)
    return sorted(
        (g for g in side["list"]["grids"] if g["grid_id"]["name"] in mine), key=lambda g: g["grid_id"]["name"]
    )


def _column(table: dict[str, Any], name: str) -> list[Any]:
    return table["data"][[c["name"] for c in table["columns"]].index(name)]


@pytest.mark.live
def test_grid_answers_have_the_real_statuses_schemas_and_fields(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    for step in ("gbm", "bad", "random", "unknown_hyper", "both", "sort_auc", "sort_logloss", "sort_bogus", "missing"):
        assert mock[step]["status"] == real[step]["status"], step
        assert mock[step]["body"]["__meta"] == real[step]["body"]["__meta"], step
        assert set(mock[step]["body"]) == set(real[step]["body"]), step
    for step in ("gbm", "bad", "random"):
        for part in ("job", "search_criteria", "parameters"):
            assert set(mock[step]["body"][part]) == set(real[step]["body"][part]), (step, part)
        assert mock[step]["body"]["search_criteria"] == real[step]["body"]["search_criteria"], step
        assert mock[step]["body"]["job"]["dest"] == real[step]["body"]["job"]["dest"] or step == "random"
        for field in ("status", "description", "exception"):
            assert mock[step]["job"][field] == real[step]["job"][field], (step, field)
        grids = (real[step]["grid"], mock[step]["grid"])
        assert grids[1]["__meta"] == grids[0]["__meta"], step
        assert set(grids[1]) == set(grids[0]), step
        for field in ("hyper_names", "sort_by", "decreasing", "warning_details"):
            assert grids[1][field] == grids[0][field], (step, field)
        assert sorted(_ids(grids[1])) == sorted(_ids(grids[0])) or step == "random"
        assert len(grids[1]["model_ids"]) == len(grids[0]["model_ids"]), step
        for table in ("summary_table", "scoring_history"):
            names = [[c["name"] for c in g[table]["columns"]] for g in grids]
            assert names[1] == names[0], (step, table)
            assert grids[1][table]["name"] == grids[0][table]["name"], (step, table)
        assert grids[1]["summary_table"]["description"] == grids[0]["summary_table"]["description"], step
    # a grid the job names itself: Grid_<ALGO>_<frame>_model_python_<cloud>_<n>, its models <grid>_model_<n>
    for side in both:
        named = side["random"]["grid"]["grid_id"]["name"]
        assert named.startswith(f"Grid_DRF_{side['frame']}_model_python_"), named
        assert all(m.startswith(f"{named}_model_") for m in _ids(side["random"]["grid"]))
    # the list holds every grid of the server: on a shared real server other runs' too (one whose every model
    # failed has no summary table), so only this run's grids are looked at
    own = [_own_grids(side) for side in both]
    for side, grids in zip(both, own, strict=True):
        assert side["list"]["__meta"]["schema_name"] == "GridsV99"
        assert [g["grid_id"]["name"] for g in grids] == sorted(_own_grid_ids(side))
        assert all(g["summary_table"]["rowcount"] == len(g["model_ids"]) for g in grids)
    assert [set(g) for g in own[1]] == [set(g) for g in own[0]]


@pytest.mark.live
def test_grid_models_are_ordered_by_the_metric_asked(both: tuple[dict[str, Any], ...]) -> None:
    """Deeper trees and a faster learning rate fit the 200 rows better on either: the AUC order is the data's."""
    real, mock = both
    assert _ids(mock["sort_auc"]["body"]) == _ids(real["sort_auc"]["body"])
    for side in both:
        for step, reverse in (("sort_auc", True), ("sort_logloss", False)):
            table = side[step]["body"]["summary_table"]
            metric = _column(table, step.removeprefix("sort_"))
            assert metric == sorted(metric, reverse=reverse), step
            assert _column(table, "model_ids") == _ids(side[step]["body"])
    assert mock["sort_bogus"]["body"]["msg"] == real["sort_bogus"]["body"]["msg"]


@pytest.mark.live
def test_a_refused_value_is_a_failed_combination_as_on_a_real_server(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = (side["bad"]["grid"] for side in both)
    assert mock["failed_raw_params"] == real["failed_raw_params"] == [["2.0"]]
    assert mock["failure_details"] == real["failure_details"]
    assert [t.split("\n")[0] for t in mock["failure_stack_traces"]] == [
        t.split("\n")[0] for t in real["failure_stack_traces"]
    ]
    assert [set(p) for p in mock["failed_params"]] == [set(p) for p in real["failed_params"]]
    assert mock["failed_params"][0]["learn_rate"] == real["failed_params"][0]["learn_rate"] == 2.0
    assert _ids(mock) == _ids(real)
    for step in ("unknown_hyper", "both", "missing"):
        answers = [side[step]["body"] for side in both]
        for field in ("msg", "exception_type", "values", "http_status"):
            assert answers[1][field] == answers[0][field], (step, field)


@pytest.mark.live
def test_ls_lists_the_grids_and_their_models_as_a_real_server_does(both: tuple[dict[str, Any], ...]) -> None:
    """The run-dependent id of the grid the job named is one name on either side; a real server's internal
    modelmetrics_* keys are left out (see DEVIATIONS), and so are the keys of other tests sharing the real server
    (an AutoML session's, say): only this run's, named by its tag, are compared."""
    tag = both[0]["frame"].removeprefix("grid_").removesuffix(".hex")
    listed = []
    for side in both:
        named = side["random"]["grid"]["grid_id"]["name"]
        keys = [k.strip('"').replace(named, "<random grid>") for k in side["ls"]]
        listed.append([k for k in keys if not k.startswith("modelmetrics_") and (tag in k or "<random grid>" in k)])
    real, mock = listed
    assert f"gbm_{tag}" in real
    assert "<random grid>" in real
    assert mock == real


@pytest.mark.live
def test_rm_of_a_grid_removes_it_and_its_models_as_a_real_server_does(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    assert real["rm"] == [1.0, 0.0]
    assert real["after_rm"] == [404] * len(real["after_rm"])
    assert (mock["rm"], mock["after_rm"]) == (real["rm"], real["after_rm"])
