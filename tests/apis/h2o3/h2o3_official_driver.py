"""Drive the official ``h2o`` client against a server and print what it saw as one JSON line.

Run as a subprocess (h2o-py keeps global state): ``python h2o3_official_driver.py URL CSV MODE``.
``import`` is the seed flow (import_file, GBM, predict); ``upload`` uploads the file and
also trains GLM and DRF, then removes the frame and closes the session. ``introspect``
calls every public method of the client that needs no argument (found by introspection:
H2OFrame's, a cross-validated GBM's, and the module's session functions) and reports which failed.
``wide`` is a session beyond the seed flow (frame work, cross-validation, AutoML, remove_all):
each step's result, or its error. ``frames`` is frame work whose answers are checked against the file: import
options (skipped_columns, na_strings), sort, column assignment and group_by; each step's result, or its error.
``explain`` asks tree models and a GLM for feature contributions and leaf node assignments: each answer's shape
(names, types, rows) and a few rows, or its error. ``reshape`` is merge, cut, pivot and row-wise apply: each
answer's names, types, levels and rows, or its error. ``grid`` is H2OGridSearch (Cartesian GBM, RandomDiscrete DRF,
GLM, a bad value): each step's result, or its error. ``posts`` is partial_plot, make_metrics, interaction,
upload_model, save and load_frame.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# module-level functions left out of ``introspect``: they start, stop or leave the session, or write files
MODULE_SKIPPED = {
    "connect", "init", "resume", "shutdown", "flow", "import_file", "import_hive_table", "download_all_logs",
    "remove_all",  # called last, on its own
}  # fmt: skip
# frame and model methods left out: plots need matplotlib, and these write files or fit surrogate models
FRAME_SKIPPED = {"hist"}
MODEL_SKIPPED_WORDS = ("plot", "explain", "download", "save", "learning_curve", "feature_interaction", "shap")


def main(url: str, csv_path: str, mode: str) -> dict[str, object]:
    """Run the flow and return its observations."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # h2o-py's telemetry is opt-in; make sure it stays off
    import h2o
    from h2o.estimators import (
        H2OGeneralizedLinearEstimator,
        H2OGradientBoostingEstimator,
        H2ORandomForestEstimator,
    )

    h2o.connect(url=url, verbose=False)  # connects only: h2o.connect never starts a server
    out: dict[str, object] = {"local_server": h2o.connection().local_server is not None}
    frame = h2o.import_file(csv_path) if mode == "import" else h2o.upload_file(csv_path)
    out.update(frame_id=frame.frame_id, nrow=frame.nrow, ncol=frame.ncol, types=frame.types)
    gbm = H2OGradientBoostingEstimator(ntrees=5, max_depth=3)
    gbm.train(y="label", training_frame=frame)
    predictions = gbm.predict(frame)
    performance = gbm.model_performance()
    out.update(
        model_id=gbm.model_id,
        auc=gbm.auc(),
        logloss=gbm.logloss(),
        perf_auc=performance.auc(),
        perf_rmse=performance.rmse(),
        pred_nrow=predictions.nrow,
        pred_names=predictions.names,
    )
    if mode == "upload":
        glm = H2OGeneralizedLinearEstimator(family="binomial")
        glm.train(y="label", training_frame=frame)
        drf = H2ORandomForestEstimator(ntrees=5, seed=1)
        drf.train(x=["x1", "x2", "size"], y="label", training_frame=frame)
        out.update(glm_auc=glm.auc(), glm_coef=sorted(glm.coef()), drf_auc=drf.auc())
        h2o.remove(frame)
    h2o.connection().close()
    return out


def no_arg_methods(cls: type) -> list[str]:
    """Public methods and properties of a class that need no argument beyond self."""
    names = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property):
            names.append(name)
            continue
        if isinstance(raw, staticmethod | classmethod) or not callable(raw):
            continue
        params = list(inspect.signature(raw).parameters.values())[1:]
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            names.append(name)
    return names


def no_arg_functions(module: Any) -> list[str]:
    """Public functions of a module that need no argument, bar those in MODULE_SKIPPED."""
    names = []
    for name in sorted(dir(module)):
        fn = getattr(module, name)
        if name.startswith("_") or name in MODULE_SKIPPED or not inspect.isfunction(fn):
            continue
        params = inspect.signature(fn).parameters.values()
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            names.append(name)
    return names


def _settle(value: Any) -> Any:
    """Force a lazy H2OFrame to be evaluated on the server (h2o-py builds expressions until asked)."""
    from h2o.frame import H2OFrame

    if isinstance(value, H2OFrame):
        value.frame_id  # noqa: B018 - evaluates the expression
    elif isinstance(value, list | tuple):
        for item in value:
            _settle(item)
    return value


def _attempt(call: Callable[[], Any], failed: dict[str, str], name: str) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            _settle(call())
    except Exception as exc:  # every failure is the observation
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        # h2o-py puts the server's message on the line after its own "Server error ..." line
        failed[name] = f"{type(exc).__name__}: {' '.join(lines[:2])[:300]}"


def introspect(url: str, csv_path: str) -> dict[str, object]:
    """Call every no-argument public method of a frame/model session; report the names and which failed."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    import h2o
    from h2o.estimators import H2OGradientBoostingEstimator
    from h2o.frame import H2OFrame
    from h2o.model import ModelBase

    h2o.connect(url=url, verbose=False)
    h2o.no_progress()
    frame = h2o.import_file(csv_path)
    train, valid = frame.split_frame(ratios=[0.75], seed=1)
    gbm = H2OGradientBoostingEstimator(
        ntrees=3, max_depth=2, nfolds=3, seed=1, keep_cross_validation_predictions=True,
        keep_cross_validation_models=True, keep_cross_validation_fold_assignment=True,
    )  # fmt: skip
    gbm.train(y="label", training_frame=train, validation_frame=valid)
    failed: dict[str, str] = {}
    called: list[str] = []
    for name in no_arg_methods(H2OFrame):
        if name in FRAME_SKIPPED:
            continue
        called.append(f"H2OFrame.{name}")
        # a fresh frame of the numeric columns each time (detach() spends its receiver): most of H2OFrame's methods
        # are elementwise maths or numeric summaries
        _attempt(lambda name=name: _member(frame[["x1", "x2", "size"]], name), failed, f"H2OFrame.{name}")
    for name in no_arg_methods(ModelBase):
        if any(word in name for word in MODEL_SKIPPED_WORDS):
            continue
        called.append(f"model.{name}")
        _attempt(lambda name=name: _member(gbm, name), failed, f"model.{name}")
    for name in no_arg_functions(h2o):
        called.append(f"h2o.{name}")
        _attempt(lambda name=name: getattr(h2o, name)(), failed, f"h2o.{name}")
    called.append("h2o.remove_all")
    _attempt(h2o.remove_all, failed, "h2o.remove_all")
    left = len(h2o.ls())
    h2o.connection().close()
    return {"called": called, "failed": failed, "keys_after_remove_all": left}


def _recorder(steps: dict[str, object]) -> Callable[[str, Callable[[], Any]], None]:
    """``step(name, fn)``: fn's result as ``["ok", result]`` in ``steps``, or its error as ``["failed", why]``."""

    def step(name: str, fn: Callable[[], Any]) -> None:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                steps[name] = ["ok", fn()]
        except Exception as exc:  # every failure is the observation
            steps[name] = ["failed", f"{type(exc).__name__}: {str(exc)[:300]}"]

    return step


@contextlib.contextmanager
def _session(url: str) -> Iterator[tuple[Any, dict[str, object], Callable[[str, Callable[[], Any]], None]]]:
    """h2o connected to ``url`` (no progress bars, no usage tracking), the steps seen so far and their recorder; the
    connection closed at the end."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    import h2o

    h2o.connect(url=url, verbose=False)
    h2o.no_progress()
    steps: dict[str, object] = {}
    yield h2o, steps, _recorder(steps)
    h2o.connection().close()


def wide(url: str, csv_path: str) -> dict[str, object]:
    """Frame work, a cross-validated GBM, AutoML and remove_all, as a user goes on after the seed flow."""
    with _session(url) as (h2o, steps, step):
        from h2o.automl import H2OAutoML
        from h2o.estimators import H2OGradientBoostingEstimator

        fr = h2o.import_file(csv_path)
        x1 = fr["x1"]
        step("head", lambda: list(fr.head().as_data_frame().shape))
        step("tail", lambda: fr.tail(3).nrow)
        step("mean", lambda: x1.mean())
        step("sum", lambda: x1.sum())
        step("min_max_sd", lambda: [x1.min(), x1.max(), x1.sd()[0]])
        step("table", lambda: fr["color"].table().as_data_frame().values.tolist())
        step("filter", lambda: fr[x1 > 0].nrow)
        step("filter_and", lambda: fr[(x1 > 0) & (fr["size"] < 5)].nrow)
        step("filter_or", lambda: fr[(x1 > 0) | (fr["color"] == "red")].nrow)
        step("rows", lambda: fr[0:10, :].nrow)
        step("asfactor", lambda: fr["size"].asfactor().types)
        step("cbind", lambda: fr[["x1"]].cbind(fr[["x2"]]).ncol)
        step("rbind", lambda: fr.rbind(fr).nrow)
        step("unique", lambda: fr["color"].unique().nrow)
        step("levels", lambda: fr["color"].levels())
        step("as_data_frame", lambda: list(fr.as_data_frame().shape))
        step("ls", lambda: len(h2o.ls()))
        train, valid = fr.split_frame(ratios=[0.75], seed=1)
        steps["split"] = ["ok", [train.nrow, valid.nrow]]
        gbm = H2OGradientBoostingEstimator(
            ntrees=5, max_depth=3, nfolds=3, seed=1, keep_cross_validation_predictions=True,
        )  # fmt: skip
        step("train_cv", lambda: gbm.train(y="label", training_frame=train, validation_frame=valid) and None)
        step("auc_xval", lambda: gbm.auc(xval=True))
        step("auc_valid", lambda: gbm.auc(valid=True))
        step("cv_summary", lambda: list(gbm.cross_validation_metrics_summary().as_data_frame().shape))
        step("cv_models", lambda: len(gbm.cross_validation_models()))
        step("cv_holdout", lambda: gbm.cross_validation_holdout_predictions().nrow)
        step("scoring_history", lambda: list(gbm.scoring_history().columns))
        step("predictions", lambda: list(gbm.predict(valid).as_data_frame().shape))
        aml = H2OAutoML(max_models=3, seed=1, nfolds=3, exclude_algos=["DeepLearning", "XGBoost"])
        step("automl", lambda: aml.train(y="label", training_frame=train) and None)
        step("aml_leader", lambda: aml.leader.model_id)
        step("aml_leaderboard", lambda: aml.leaderboard.as_data_frame()["model_id"].tolist())
        step("aml_extended", lambda: list(h2o.automl.get_leaderboard(aml, extra_columns="ALL").columns))
        step("remove_all", lambda: h2o.remove_all())
        step("ls_after", lambda: len(h2o.ls()))
    return steps


def frames(url: str, csv_path: str) -> dict[str, object]:
    """Import options, sort by names, column assignment, deep_copy and apply, levels (relevel, set_levels,
    set_level), ifelse to levels and group_by: each step's result, or its error."""
    with _session(url) as (h2o, steps, step):

        def column(frame: Any, name: str) -> list[float | None]:
            return [float(v) if v else None for (v,) in frame[name].as_data_frame(use_pandas=False, header=False)]

        step("skipped", lambda: h2o.import_file(csv_path, skipped_columns=[0, 3]).types)
        step("na_strings", lambda: h2o.import_file(csv_path, na_strings={"color": ["red"], "size": ["1"]}).nacnt())
        fr = h2o.import_file(csv_path, destination_frame="frames")
        step("sort", lambda: column(fr.sort("x1"), "x1")[:3])
        step("sort_desc", lambda: column(fr.sort(["color", "x1"], ascending=[True, False]), "x1")[:2])

        def assign() -> list[Any]:
            fr["double_x1"] = fr["x1"] * 2
            fr["one"] = 1
            fr[fr["color"] == "red", "size"] = -1
            fr["x2"] = fr["x2"].isna()
            return [
                fr.names,
                fr.types["size"],
                fr["double_x1"].sum(),
                fr["one"].sum(),
                fr["size"].min(),
                fr["x2"].sum(),
            ]

        step("assign", assign)
        step("original", lambda: h2o.get_frame("frames").names)
        step(
            "group_by",
            lambda: fr.group_by("color").count().mean("x1").max("size").get_frame().as_data_frame().values.tolist(),
        )
        original = h2o.get_frame("frames")
        step("deep_copy", lambda: [h2o.deep_copy(original, "copied").dim, h2o.get_frame("copied").names])
        step(
            "apply_mean",
            lambda: original[["x1", "size"]].apply(lambda c: c.mean()).as_data_frame().values.tolist(),
        )
        step("relevel", lambda: original["color"].relevel("red").levels())
        step(
            "set_levels", lambda: original["color"].set_levels(["B", "G", "R"]).table().as_data_frame().values.tolist()
        )
        step("set_level", lambda: original["label"].set_level("yes").table().as_data_frame().values.tolist())
        step("ifelse", lambda: (fr["x1"] > 0).ifelse("pos", "neg").table().as_data_frame().values.tolist())
        step("group_by_na", lambda: h2o.get_frame("frames").group_by("label").sum("x2", na="rm").get_frame().ncol)
    return steps


def explain(url: str, csv_path: str) -> dict[str, object]:
    """predict_contributions (plain, top_n/bottom_n) and predict_leaf_node_assignment (Path, Node_ID) of a binomial
    and a regression GBM, a DRF, a multinomial GBM and a GLM, with each model's predictions of the same rows."""
    with _session(url) as (h2o, steps, step):
        from h2o.estimators import (
            H2OGeneralizedLinearEstimator,
            H2OGradientBoostingEstimator,
            H2ORandomForestEstimator,
        )

        fr = h2o.import_file(csv_path)

        def shape(frame: Any) -> dict[str, Any]:
            rows = frame.as_data_frame(use_pandas=False)[1:]
            return {
                "names": frame.names,
                "types": frame.types,
                "nrow": frame.nrow,
                "rows": rows[:5],
                "id": frame.frame_id,
            }

        models = {
            "gbm_bin": (H2OGradientBoostingEstimator(ntrees=3, max_depth=2, seed=1), "label"),
            "gbm_reg": (H2OGradientBoostingEstimator(ntrees=3, max_depth=2, seed=1), "x2"),
            "drf_bin": (H2ORandomForestEstimator(ntrees=3, max_depth=2, seed=1), "label"),
            "gbm_multi": (H2OGradientBoostingEstimator(ntrees=2, max_depth=2, seed=1), "color"),
            "glm_bin": (H2OGeneralizedLinearEstimator(family="binomial"), "label"),
        }
        for name, (model, y) in models.items():
            model.train(y=y, training_frame=fr)
            step(f"{name}.predict", lambda model=model: model.predict(fr).as_data_frame(use_pandas=False)[1:6])
            step(f"{name}.contributions", lambda model=model: shape(model.predict_contributions(fr)))
            step(f"{name}.top", lambda model=model: shape(model.predict_contributions(fr, top_n=2, bottom_n=1)))
            step(f"{name}.leaf", lambda model=model: shape(model.predict_leaf_node_assignment(fr)))
            step(f"{name}.leaf_levels", lambda model=model: model.predict_leaf_node_assignment(fr).levels())
            step(f"{name}.node_id", lambda model=model: shape(model.predict_leaf_node_assignment(fr, type="Node_ID")))
    return steps


def reshape(url: str, csv_path: str) -> dict[str, object]:
    """H2OFrame.merge (inner, all_x, hash, by_x/by_y), cut (breaks, labels, right=False), pivot and apply(axis=1)."""
    with _session(url) as (h2o, steps, step):

        def seen(frame: Any) -> dict[str, Any]:
            rows = frame.as_data_frame(use_pandas=False, header=False)
            return {"names": frame.names, "types": frame.types, "levels": frame.levels(), "rows": rows}

        fr = h2o.import_file(csv_path)
        head = fr[0:8, ["color", "x1", "size"]]
        right = h2o.H2OFrame({"color": ["blue", "green", "purple"], "w": [1, 2, 3]}, column_types={"color": "enum"})
        nums = h2o.H2OFrame({"k": [3, 1, 2, 5], "v": [0.5, 1.5, 2.5, 3.5]})
        keyed = h2o.H2OFrame({"k": [1, 2, 2, 7], "z": ["a", "b", "c", "d"]}, column_types={"z": "enum"})
        step("merge", lambda: seen(head.merge(right)))
        step("merge_all_x", lambda: seen(nums.merge(keyed, all_x=True)))
        step("merge_hash", lambda: seen(head.merge(right, method="hash")))
        step("merge_by", lambda: seen(nums.merge(keyed, by_x=["k"], by_y=["k"])))
        step("cut", lambda: seen(fr[0:10, "x1"].cut([-3, 0, 1, 3])))
        step("cut_labels", lambda: seen(fr[0:10, "x1"].cut([-3, 0, 3], labels=["neg", "pos"])))
        step("cut_left", lambda: seen(fr[0:10, "x1"].cut([-3, 0, 3], right=False, include_lowest=True)))
        long = h2o.H2OFrame(
            {"idx": [1, 1, 2, 2, 3], "col": ["a", "b", "a", "b", "a"], "val": [1.0, 2.0, 3.0, 4.0, 5.5]},
            column_types={"col": "enum"},
        )
        step("pivot", lambda: seen(long.pivot(index="idx", column="col", value="val")))
        step("apply_mean", lambda: seen(fr[0:5, ["x1", "x2", "size"]].apply(lambda r: r.mean(), axis=1)))
        step("apply_max", lambda: seen(fr[0:5, ["x1", "x2", "size"]].apply(lambda r: r.max(), axis=1)))
        step("apply_expr", lambda: seen(fr[0:5, ["x1", "x2"]].apply(lambda r: r["x1"] * 2 + r["x2"], axis=1)))
        step("apply_sum", lambda: seen(fr[0:5, ["x1", "x2", "size"]].apply(lambda r: r.sum(), axis=1)))
    return steps


def grid(url: str, csv_path: str) -> dict[str, object]:
    """H2OGridSearch: train, get_grid sorted, models, sorted_metric_table, h2o.get_grid, a random search, a grid with
    a value the builder refuses, and its models used as any other (predict, save_grid and load_grid, remove)."""
    with _session(url) as (h2o, steps, step):
        from h2o.estimators import (
            H2OGeneralizedLinearEstimator,
            H2OGradientBoostingEstimator,
            H2ORandomForestEstimator,
        )
        from h2o.grid.grid_search import H2OGridSearch

        fr = h2o.import_file(csv_path)
        hyper = {"max_depth": [1, 3], "learn_rate": [0.1, 0.5]}
        gbm = H2OGridSearch(H2OGradientBoostingEstimator(ntrees=3, seed=1), hyper_params=hyper, grid_id="gbm_grid")
        step("train", lambda: gbm.train(y="label", training_frame=fr) and None)
        step("model_ids", lambda: sorted(gbm.model_ids))
        step("hyper_names", lambda: gbm.hyper_names)
        step("models", lambda: len(gbm.models))
        by_auc = gbm.get_grid(sort_by="auc", decreasing=True)
        step("sorted_ids", lambda: by_auc.model_ids)
        step("sorted_aucs", lambda: [m.auc() for m in by_auc.models])
        step("hyperparams", lambda: [by_auc.get_hyperparams(m, display=False) for m in by_auc.model_ids])
        table = by_auc.sorted_metric_table()
        step("table", lambda: [list(table.columns), table["model_ids"].tolist()])
        step("get_grid", lambda: sorted(h2o.get_grid("gbm_grid").model_ids))
        step("predict", lambda: list(by_auc.models[0].predict(fr).as_data_frame().shape))
        # save_grid writes the grid and its models to a folder; load_grid reads them back once they are gone
        saved = os.path.join(os.path.dirname(csv_path), "saved_grid")
        best = by_auc.model_ids[0]
        before = by_auc.models[0].predict(fr).as_data_frame().values.tolist()
        step("save", lambda: [os.path.basename(h2o.save_grid(saved, "gbm_grid")), sorted(os.listdir(saved))])
        # the grid through DKV: the (rm) h2o.remove sends removes no grid on the mock's Rapids (not compared)
        step(
            "drop",
            lambda: [h2o.api("DELETE /3/DKV/gbm_grid"), *map(h2o.remove, gbm.model_ids)] and h2o.ls()["key"].tolist(),
        )
        step("load", lambda: sorted(h2o.load_grid(os.path.join(saved, "gbm_grid")).model_ids))
        step("reloaded", lambda: h2o.get_model(best).predict(fr).as_data_frame().values.tolist() == before)
        random_search = H2OGridSearch(
            H2ORandomForestEstimator(ntrees=3, seed=1),
            hyper_params={"max_depth": [1, 2, 3, 4]},
            search_criteria={"strategy": "RandomDiscrete", "max_models": 2, "seed": 1},
        )
        step("random", lambda: random_search.train(y="label", training_frame=fr) and len(random_search.model_ids))
        step("random_id", lambda: random_search.grid_id.split("_")[:2])
        glm = H2OGridSearch(H2OGeneralizedLinearEstimator(family="binomial"), hyper_params={"alpha": [0.0, 0.5]})
        step("glm", lambda: glm.train(y="label", training_frame=fr) and len(glm.model_ids))
        bad = H2OGridSearch(
            H2OGradientBoostingEstimator(ntrees=2, seed=1), hyper_params={"learn_rate": [0.1, 2.0]}, grid_id="bad_grid"
        )
        step("bad", lambda: bad.train(y="label", training_frame=fr) and len(bad.model_ids))
        step("bad_failed", lambda: [bad.failed_raw_params, len(bad.failed_params), bad.failure_details])
        step("remove", lambda: h2o.remove(by_auc.model_ids[-1]) or len(h2o.get_grid("gbm_grid").model_ids))
    return steps


def inspect_models(url: str, csv_path: str) -> dict[str, object]:
    """A GBM's first tree (H2OTree), a GLM's regularization path, the model and log downloads, and the POJO and
    MOJO downloads an OSS server refuses."""
    with _session(url) as (h2o, steps, step):
        from h2o.estimators import H2OGeneralizedLinearEstimator, H2OGradientBoostingEstimator
        from h2o.tree import H2OTree

        frame = h2o.import_file(csv_path)
        gbm = H2OGradientBoostingEstimator(ntrees=3, seed=1, model_id="inspect_gbm")
        gbm.train(y="label", training_frame=frame)
        glm = H2OGeneralizedLinearEstimator(model_id="inspect_glm")
        glm.train(y="label", training_frame=frame)
        folder = tempfile.mkdtemp()

        def tree() -> list[Any]:
            first = H2OTree(gbm, 0)
            return [first.tree_class, type(first.root_node).__name__, len(first) == len(first.predictions)]

        step("tree", tree)
        step("reg_path", lambda: sorted(H2OGeneralizedLinearEstimator.getGLMRegularizationPath(glm)["coefficients"][0]))
        step("download_model", lambda: Path(h2o.download_model(gbm, path=folder)).name)

        def save_and_load() -> list[Any]:
            saved = h2o.save_model(gbm, path=folder, filename="saved_gbm", force=True)
            h2o.remove(gbm.model_id)
            loaded = h2o.load_model(saved)
            return [Path(saved).name, loaded.model_id, loaded.predict(frame).nrows]

        step("save_and_load", save_and_load)
        step("download_logs", lambda: zipfile.is_zipfile(h2o.download_all_logs(dirname=folder)))
        step("download_pojo", lambda: h2o.download_pojo(gbm, path=folder))
        step("download_mojo", lambda: gbm.download_mojo(path=folder))
        return steps


def posts(url: str, csv_path: str) -> dict[str, object]:
    """The client calls that POST beyond training and predicting: partial_plot (a GBM's partial dependence),
    make_metrics (of a column of the data as predictions), interaction, download_model then upload_model of a
    removed model, H2OFrame.save then load_frame of the removed frame."""
    with _session(url) as (h2o, steps, step):
        from h2o.estimators import H2OGradientBoostingEstimator

        frame = h2o.import_file(csv_path, destination_frame="posts.hex")
        gbm = H2OGradientBoostingEstimator(ntrees=3, seed=1, model_id="posts_gbm")
        gbm.train(y="label", training_frame=frame)
        folder = tempfile.mkdtemp()

        def partial_plot() -> list[Any]:
            tables = gbm.partial_plot(frame, cols=["x1", "color"], nbins=4, plot=False)
            return [[t.col_header, len(t.cell_values), [row[0] for row in t.cell_values]] for t in tables]

        step("partial_plot", partial_plot)

        def make_metrics() -> list[Any]:
            made = h2o.make_metrics(frame["x2"] / 10, frame["label"])
            return [type(made).__name__, made.nobs(), round(made.auc(), 12), round(made.aucpr(), 12)]

        step("make_metrics", make_metrics)
        step("make_metrics_regression", lambda: round(h2o.make_metrics(frame["x1"], frame["size"]).mse(), 9))

        def interaction() -> list[Any]:
            made = h2o.interaction(frame, ["color", "label"], pairwise=False, max_factors=3, min_occurrence=1)
            return [made.names, made.levels(), made.nrows]

        step("interaction", interaction)

        def upload() -> list[Any]:
            saved = h2o.download_model(gbm, path=folder)
            h2o.remove(gbm.model_id)
            back = h2o.upload_model(saved)
            return [back.model_id, back.predict(frame).nrows]

        step("upload_model", upload)

        def save_and_load_frame() -> list[Any]:
            frame.save(f"{folder}/frames")
            h2o.remove(frame.frame_id)
            loaded = h2o.load_frame("posts.hex", f"{folder}/frames")
            return [loaded.frame_id, loaded.nrows, loaded.types]

        step("save_and_load_frame", save_and_load_frame)
        return steps


def _member(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    return (
        value()
        if callable(value) and not isinstance(inspect.getattr_static(type(obj), name, None), property)
        else value
    )


if __name__ == "__main__":
    mode = sys.argv[3] if len(sys.argv) > 3 else "import"
    modes = {
        "introspect": introspect, "wide": wide, "frames": frames, "explain": explain, "reshape": reshape, "grid": grid,
        "inspect": inspect_models, "posts": posts,
    }  # fmt: skip
    result = modes[mode](sys.argv[1], sys.argv[2]) if mode in modes else main(sys.argv[1], sys.argv[2], mode)
    print(json.dumps(result), flush=True)
