"""The official ``h2o`` client (h2o-py 3.46.0.12) runs the seed flow against the mock, in a subprocess."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.targets import Target

Drive = Callable[..., dict[str, Any]]
NO_TELEMETRY = {"DO_NOT_TRACK": "1", "H2O_TELEMETRY_URL": "http://127.0.0.1:9/off"}
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("h2o") is None, reason="the official h2o client is not installed"
)


@pytest.fixture
def state() -> H2O3MockState:
    """The mock with realistic job timings, on a clock ten times faster than wall time."""
    return H2O3MockState(clock=MonotonicClock(speed=10.0))


def test_h2o_py_runs_the_seed_flow(url: str, state: H2O3MockState, drive: Drive, train_csv: Path) -> None:
    """connect, import_file, GBM train, predict: the client accepts every answer and gets consistent results."""
    out = drive(url, str(train_csv), "import", timeout=180, env=NO_TELEMETRY)
    assert out["local_server"] is False
    assert (out["nrow"], out["ncol"]) == (200, 5)
    assert out["types"] == {"x1": "real", "x2": "real", "color": "enum", "size": "int", "label": "enum"}
    assert out["pred_nrow"] == out["nrow"]
    assert out["pred_names"] == ["predict", "no", "yes"]
    assert 0.75 < out["auc"] <= 1.0
    assert out["perf_auc"] == out["auc"]
    assert 0 < out["logloss"] < 0.69

    calls = [(r.method, r.path) for r in state.requests]
    for expected in [
        ("GET", "/3/Metadata/schemas/CloudV3"),
        ("GET", "/3/Cloud"),
        ("POST", "/3/ImportFilesMulti"),
        ("POST", "/3/ParseSetup"),
        ("POST", "/3/Parse"),
        ("POST", "/3/ModelBuilders/gbm"),
        ("GET", f"/3/Models/{out['model_id']}"),
        ("POST", f"/4/Predictions/models/{out['model_id']}/frames/{out['frame_id']}"),
    ]:
        assert expected in calls, expected
    assert [c for c in calls if c[0] == "POST"][:3] == [
        ("POST", "/3/ImportFilesMulti"),
        ("POST", "/3/ParseSetup"),
        ("POST", "/3/Parse"),
    ]
    assert any(path.startswith("/3/Jobs/") for _, path in calls)
    setup = state.recorded("POST", "/3/ParseSetup")[0]
    assert setup.form["source_frames"] == f'["nfs:/{train_csv}"]'
    assert setup.content_type == "application/x-www-form-urlencoded"
    build = state.recorded("POST", "/3/ModelBuilders/gbm")[0].form
    assert (build["ntrees"], build["max_depth"], build["response_column"]) == ("5", "3", "label")
    assert all(r.user_agent.startswith("H2O Python client") for r in state.requests)
    assert all(r.status < 400 for r in state.requests)
    assert state.internal_errors == []


def test_h2o_py_uploads_trains_glm_and_drf_and_cleans_up(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """upload_file, GLM and DRF too, then h2o.remove and a closed session."""
    out = drive(url, str(train_csv), "upload", timeout=180, env=NO_TELEMETRY)
    assert out["nrow"] == 200
    assert out["pred_nrow"] == 200
    assert 0.75 < out["glm_auc"] <= 1.0
    assert 0.5 < out["drf_auc"] <= 1.0
    assert "Intercept" in out["glm_coef"]
    assert "color.red" in out["glm_coef"]
    assert state.recorded("POST", "/3/PostFile")
    assert state.recorded("POST", "/99/Rapids")[0].form["ast"] == f"(rm {out['frame_id']})"
    assert out["frame_id"] not in state.frames
    assert state.recorded("DELETE", "/4/sessions/")
    assert not state.sessions
    assert state.internal_errors == []


def test_h2o_py_goes_on_past_the_seed_flow(url: str, state: H2O3MockState, drive: Drive, train_csv: Path) -> None:
    """Frame work through Rapids, as_data_frame, cross-validation, AutoML and remove_all: every step succeeds."""
    steps = drive(url, str(train_csv), "wide", timeout=240, env=NO_TELEMETRY)
    failed = {name: result for name, (status, result) in steps.items() if status != "ok"}
    assert failed == {}
    value = {name: result for name, (_, result) in steps.items()}
    rows = list(csv.DictReader(io.StringIO(train_csv.read_text())))
    assert value["head"] == [10, 5]
    assert value["tail"] == 3
    assert value["table"] == [[c, sum(r["color"] == c for r in rows)] for c in ("blue", "green", "red")]
    assert value["filter"] == sum(1 for r in rows if r["x1"] and float(r["x1"]) > 0)
    assert value["rbind"] == 400
    assert value["levels"] == [["blue", "green", "red"]]
    assert value["asfactor"] == {"size": "enum"}
    assert sum(value["split"]) == 200
    assert value["as_data_frame"] == [200, 5]
    assert 0.5 < value["auc_xval"] <= 1.0
    assert value["cv_models"] == 3
    assert value["cv_holdout"] == value["split"][0]
    assert value["scoring_history"][-1] == "validation_classification_error"
    assert value["predictions"] == [value["split"][1], 3]
    leaderboard = value["aml_leaderboard"]
    assert value["aml_leader"] == leaderboard[0]
    assert any(m.startswith("StackedEnsemble_") for m in leaderboard)
    assert value["aml_extended"][-1] == "algo"
    assert value["ls_after"] == 0
    assert state.internal_errors == []


def test_h2o_py_frame_work_answers_what_the_file_holds(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """import_file's skipped_columns and na_strings, sort by column names, column assignment (append and :=, the
    frame the client named left as it was), h2o.deep_copy and column-wise apply, relevel, set_levels and set_level,
    ifelse to two strings and group_by (GB): each answer is the one the file's rows give."""
    steps = drive(url, str(train_csv), "frames", timeout=180, env=NO_TELEMETRY)
    failed = {name: result for name, (status, result) in steps.items() if status != "ok"}
    assert failed == {}
    value = {name: result for name, (_, result) in steps.items()}
    rows = list(csv.DictReader(io.StringIO(train_csv.read_text())))
    x1 = [float(r["x1"]) for r in rows]
    colors = sorted({r["color"] for r in rows})
    assert value["skipped"] == {"x2": "real", "color": "enum", "label": "enum"}
    missing_x2 = sum(1 for r in rows if not r["x2"])
    assert value["na_strings"] == [
        0,
        missing_x2,
        sum(r["color"] == "red" for r in rows),
        sum(r["size"] == "1" for r in rows),
        0,
    ]
    assert value["sort"] == sorted(x1)[:3]
    first = colors[0]
    assert value["sort_desc"] == sorted((float(r["x1"]) for r in rows if r["color"] == first), reverse=True)[:2]
    names, size_type, double_sum, ones, size_min, na_x2 = value["assign"]
    assert names == ["x1", "x2", "color", "size", "label", "double_x1", "one"]
    assert size_type == "int"
    assert double_sum == pytest.approx(2 * sum(x1))
    assert (ones, size_min, na_x2) == (len(rows), -1, missing_x2)
    assert value["original"] == ["x1", "x2", "color", "size", "label"]
    expected = []
    for color in colors:
        group = [r for r in rows if r["color"] == color]
        size_max = -1 if color == "red" else max(int(r["size"]) for r in group)
        expected.append([color, len(group), pytest.approx(sum(float(r["x1"]) for r in group) / len(group)), size_max])
    assert value["group_by"] == expected
    assert value["group_by_na"] == 2
    assert value["deep_copy"] == [[len(rows), 5], ["x1", "x2", "color", "size", "label"]]
    sizes = [int(r["size"]) for r in rows]
    assert value["apply_mean"] == [[pytest.approx(sum(x1) / len(x1)), pytest.approx(sum(sizes) / len(sizes))]]
    assert value["relevel"] == [["red", "blue", "green"]]
    counts = [sum(r["color"] == c for r in rows) for c in colors]
    assert value["set_levels"] == [[new, n] for new, n in zip(["B", "G", "R"], counts, strict=True)]
    assert value["set_level"] == [["yes", len(rows)]]
    positive = sum(1 for v in x1 if v > 0)
    assert value["ifelse"] == [["neg", len(rows) - positive], ["pos", positive]]
    assert state.internal_errors == []


# what a real 3.46.0.12 answered the ``explain`` driver on this CSV (names; each column's type, bar contributions,
# which are int where every value is whole; rows 200), or the start of its failure
EXPLAIN_SHAPES = {
    "gbm_bin.contributions": ["x1", "x2", "color", "size", "BiasTerm"],
    "gbm_reg.contributions": ["x1", "color", "size", "label", "BiasTerm"],
    "drf_bin.contributions": ["x1", "x2", "color", "size", "BiasTerm"],
    **{
        f"{m}.top": [
            "top_feature_1",
            "top_value_1",
            "top_feature_2",
            "top_value_2",
            "bottom_feature_1",
            "bottom_value_1",
            "BiasTerm",
        ]
        for m in ("gbm_bin", "gbm_reg", "drf_bin")
    },
    **{f"{m}.{kind}": [f"T{t}.C1" for t in (1, 2, 3)] for m in ("gbm_bin", "drf_bin") for kind in ("leaf", "node_id")},
    **{f"gbm_reg.{kind}": ["T1", "T2", "T3"] for kind in ("leaf", "node_id")},
    **{f"gbm_multi.{kind}": [f"T{t}.C{c}" for t in (1, 2) for c in (1, 2, 3)] for kind in ("leaf", "node_id")},
}
EXPLAIN_FAILURES = {
    **dict.fromkeys(
        ("gbm_multi.contributions", "gbm_multi.top"),
        "java.lang.UnsupportedOperationException: Calculating contributions is currently not supported for multinomial",
    ),
    **dict.fromkeys(
        ("glm_bin.contributions", "glm_bin.top"),
        "water.exceptions.H2OIllegalArgumentException: unimplemented: GLM supports contribution calculation only with "
        "a background frame",
    ),
}


def test_h2o_py_gets_contributions_and_leaf_node_assignments(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """predict_contributions and predict_leaf_node_assignment answer a real server's frames: its names, types and
    rows, its frame names, its failures (multinomial, GLM); the contributions add up with BiasTerm to the raw
    prediction (the logit of p1 of a binomial GBM, the value of a regression, p1 of a DRF)."""
    steps = drive(url, str(train_csv), "explain", timeout=240, env=NO_TELEMETRY)
    value = {name: result for name, (_, result) in steps.items()}
    for name, names in EXPLAIN_SHAPES.items():
        status, shape = steps[name]
        assert status == "ok", (name, shape)
        assert (shape["names"], shape["nrow"]) == (names, 200), name
        for column, kind in shape["types"].items():
            if column.startswith(("top_feature", "bottom_feature")) or name.endswith(".leaf"):
                assert kind == "enum", (name, column)
            elif name.endswith(".node_id"):
                assert kind == "int", (name, column)
            else:
                assert kind in ("real", "int"), (name, column)
        prefix = "contributions__" if ".leaf" not in name and ".node" not in name else "leaf_node_assignment_"
        assert shape["id"].startswith(prefix), name
    for name, why in EXPLAIN_FAILURES.items():
        assert steps[name][0] == "failed", name
        assert why in steps[name][1], name
    assert steps["glm_bin.leaf"][0] == "failed"
    for name, raw in (
        ("gbm_bin", lambda p: math.log(float(p[2]) / float(p[1]))),
        ("gbm_reg", lambda p: float(p[0])),
        ("drf_bin", lambda p: float(p[2])),
    ):
        sums = [math.fsum(float(v) for v in row) for row in value[f"{name}.contributions"]["rows"]]
        assert sums == pytest.approx([raw(p) for p in value[f"{name}.predict"]], abs=1e-6), name
        for row, ranked in zip(value[f"{name}.contributions"]["rows"], value[f"{name}.top"]["rows"], strict=True):
            assert ranked[-1] == row[-1]  # the same BiasTerm
            assert float(ranked[1]) == max(float(v) for v in row[:-1])
            assert float(ranked[5]) == min(float(v) for v in row[:-1])
    for name in ("gbm_bin", "gbm_reg", "drf_bin", "gbm_multi"):
        levels = value[f"{name}.leaf_levels"]
        assert all(set(path) <= {"L", "R"} and len(path) <= 2 for tree in levels for path in tree), name
        assert all(row_path in levels[t] for row in value[f"{name}.leaf"]["rows"] for t, row_path in enumerate(row))
    assert state.internal_errors == []


@pytest.mark.live
def test_contributions_and_leaf_node_assignments_are_shaped_as_on_a_real_server(
    h2o3_local: Target, url: str, drive: Drive, train_csv: Path
) -> None:
    """The ``explain`` driver against a real local H2O-3 and the mock: every step succeeds or fails on both, with
    the same column names, rows and types (a contribution column is int on either where its values are whole)."""
    real = drive(h2o3_local.url, str(train_csv), "explain", timeout=300, env=NO_TELEMETRY)
    mock = drive(url, str(train_csv), "explain", timeout=240, env=NO_TELEMETRY)
    assert {name: status for name, (status, _) in mock.items()} == {name: status for name, (status, _) in real.items()}
    for name, (status, real_shape) in real.items():
        if status != "ok" or not isinstance(real_shape, dict):
            continue
        mock_shape = mock[name][1]
        assert (mock_shape["names"], mock_shape["nrow"]) == (real_shape["names"], real_shape["nrow"]), name
        assert mock_shape["id"].split("_")[:2] == real_shape["id"].split("_")[:2], name
        loose = {"int": "real"} if name.endswith((".contributions", ".top")) else {}
        assert [loose.get(t, t) for t in mock_shape["types"].values()] == [
            loose.get(t, t) for t in real_shape["types"].values()
        ], name


def test_h2o_py_merges_cuts_pivots_and_applies_by_row(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """H2OFrame.merge (inner, all_x, hash, by_x/by_y), cut, pivot and apply(axis=1) get, step for step, what a real
    3.46.0.12 answered the same driver on the same CSV (reshape_answers_3.46.0.12.json): names, types, levels and
    rows, and its refusal of sumNA on a row."""
    steps = drive(url, str(train_csv), "reshape", timeout=180, env=NO_TELEMETRY)
    real = json.loads((Path(__file__).parent / "reshape_answers_3.46.0.12.json").read_text())
    assert set(steps) == set(real)
    for name, (status, expected) in real.items():
        assert steps[name][0] == status, (name, steps[name][1])
        if status == "ok":
            assert steps[name][1] == expected, name
        else:
            assert expected in steps[name][1], name
    assert state.internal_errors == []


def test_h2o_py_runs_grid_searches(url: str, state: H2O3MockState, drive: Drive, train_csv: Path) -> None:
    """H2OGridSearch trains a model per combination (a Cartesian GBM, a RandomDiscrete DRF of max_models, a GLM),
    get_grid sorts them by AUC, sorted_metric_table and h2o.get_grid agree, a grid's model predicts and can be
    removed as any model, save_grid writes the grid and its models to a folder and load_grid reads them back (a
    reloaded model predicts as before), and a value the builder refuses is a failed combination, not a failed
    search."""
    steps = drive(url, str(train_csv), "grid", timeout=240, env=NO_TELEMETRY)
    failed = {name: result for name, (status, result) in steps.items() if status != "ok"}
    assert failed == {}
    value = {name: result for name, (_, result) in steps.items()}
    ids = [f"gbm_grid_model_{n}" for n in (1, 2, 3, 4)]
    assert value["model_ids"] == ids
    assert value["hyper_names"] == ["learn_rate", "max_depth"]
    assert value["models"] == 4
    assert sorted(value["sorted_ids"]) == ids
    assert value["sorted_aucs"] == sorted(value["sorted_aucs"], reverse=True)
    # the first name (alphabetically) varies fastest, as in a real Cartesian walk
    hyper = dict(zip(value["sorted_ids"], value["hyperparams"], strict=True))
    assert [hyper[i] for i in ids] == [[1, 0.1], [1, 0.5], [3, 0.1], [3, 0.5]]
    assert value["table"] == [["", "learn_rate", "max_depth", "model_ids", "auc"], value["sorted_ids"]]
    assert value["get_grid"] == ids
    assert value["predict"] == [200, 3]
    assert value["save"] == ["gbm_grid", ["gbm_grid", *ids]]
    assert not any(k in ids or k == "gbm_grid" for k in value["drop"])
    assert (value["load"], value["reloaded"]) == (ids, True)
    assert (value["random"], value["random_id"], value["glm"]) == (2, ["Grid", "DRF"], 2)
    raw, count, details = value["bad_failed"]
    assert (value["bad"], raw, count) == (1, [["2.0"]], 1)
    assert details == [
        "Illegal argument(s) for GBM model: bad_grid_model_2.  Details: ERRR on field: _learn_rate: "
        "learn_rate must be between 0 and 1\n"
    ]
    assert value["remove"] == 3
    posted = state.recorded("POST", "/99/Grid/gbm")[0].form
    assert posted["hyper_parameters"] == '{"max_depth": [1,3],"learn_rate": [0.1,0.5]}'
    assert state.recorded("POST", "/99/Grid/drf")[0].form["search_criteria"] == (
        '{"strategy": RandomDiscrete,"max_models": 2,"seed": 1}'
    )
    assert state.internal_errors == []


def test_h2o_py_reads_trees_and_paths_and_downloads_as_from_an_oss_server(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """H2OTree walks a GBM's tree, getGLMRegularizationPath reads a GLM's path, download_model and
    download_all_logs write their files, save_model and load_model bring a removed model back, and download_pojo /
    download_mojo fail with the client's own message for the 412 a real OSS 3.46.0.12 answers."""
    steps = drive(url, str(train_csv), "inspect", timeout=240, env=NO_TELEMETRY)
    value = {name: result for name, (_, result) in steps.items()}
    assert {name: status for name, (status, _) in steps.items()} == {
        "tree": "ok", "reg_path": "ok", "download_model": "ok", "save_and_load": "ok", "download_logs": "ok",
        "download_pojo": "failed",
        "download_mojo": "failed",
    }  # fmt: skip
    assert value["tree"] == ["no", "H2OSplitNode", True]
    assert value["reg_path"] == sorted(["color.blue", "color.green", "color.red", "x1", "x2", "size", "Intercept"])
    assert value["download_model"] == "inspect_gbm"
    assert value["save_and_load"] == ["saved_gbm", "inspect_gbm", 200]
    assert value["download_logs"] is True
    assert value["download_pojo"] == "H2OValueError: POJO download requires H2O-3 Secure. Contact enterprise@h2o.ai"
    assert value["download_mojo"] == "H2OValueError: MOJO export requires H2O-3 Secure. Contact enterprise@h2o.ai"
    assert state.internal_errors == []


def test_h2o_py_plots_partial_dependence_makes_metrics_and_reloads_models_and_frames(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    """partial_plot reads a GBM's partial dependence (x1 over 4 values, color over its 3 levels), make_metrics
    scores a column of the data against the labels, interaction makes the three commonest pairs of two columns'
    levels and "other", upload_model brings back a model removed after download_model, which then predicts, and
    load_frame a frame removed after H2OFrame.save."""
    steps = drive(url, str(train_csv), "posts", timeout=240, env=NO_TELEMETRY)
    value = {name: result for name, (_, result) in steps.items()}
    assert {name: status for name, (status, _) in steps.items()} == dict.fromkeys(
        ("partial_plot", "make_metrics", "make_metrics_regression", "interaction", "upload_model",
         "save_and_load_frame"),
        "ok",
    )  # fmt: skip
    (x1, x1_rows, _), (color, color_rows, levels) = value["partial_plot"]
    assert (x1[0], x1_rows, color[0], color_rows, levels) == ("x1", 4, "color", 3, ["blue", "green", "red"])
    assert value["make_metrics"][:2] == ["H2OBinomialModelMetrics", 194]
    assert value["interaction"] == [["color_label"], [["blue_no", "green_no", "red_yes", "other"]], 200]
    assert value["upload_model"] == ["posts_gbm", 200]
    assert value["save_and_load_frame"][:2] == ["posts.hex", 200]
    assert state.internal_errors == []


@pytest.mark.live
def test_the_posts_steps_go_as_on_a_real_server(h2o3_local: Target, url: str, drive: Drive, train_csv: Path) -> None:
    """The ``posts`` driver against a real local H2O-3 and the mock: the same steps succeed, with the same grid of
    each column and the same metrics of the same predictions."""
    real = drive(h2o3_local.url, str(train_csv), "posts", timeout=300, env=NO_TELEMETRY)
    mock = drive(url, str(train_csv), "posts", timeout=240, env=NO_TELEMETRY)
    assert {n: s for n, (s, _) in mock.items()} == {n: s for n, (s, _) in real.items()}
    assert mock["partial_plot"] == real["partial_plot"]
    assert mock["make_metrics"] == real["make_metrics"]
    assert mock["make_metrics_regression"] == real["make_metrics_regression"]
    assert mock["interaction"] == real["interaction"]
    assert mock["upload_model"] == real["upload_model"]
    assert mock["save_and_load_frame"] == real["save_and_load_frame"]
