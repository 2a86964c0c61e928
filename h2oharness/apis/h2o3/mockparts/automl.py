"""AutoML on the mock: ``POST /99/AutoMLBuilder``, ``GET /99/AutoML/{id}`` and ``GET /99/Leaderboards[/{project}]``.

A run trains a few base models (GLM, DRF, GBM, as many as ``max_models`` allows, at
most three) with cross-validation, then two stacked ensembles that average their
base models' predictions; the leaderboard ranks them by their metrics on the
``leaderboard_frame`` when one is given, else by their cross-validation metrics.
Without cross-validation (nfolds=0) the models score a validation frame, cut
90/10 out of the training frame when none is given, which the leaderboard then
reads, and no ensemble is made, as on a real 3.46.0.12.
A base model its builder refuses (too few rows for the folds, constant predictors...)
is skipped and its builder's WARN and ERRR messages logged, as a real run does; a run
left without models ends DONE with an empty leaderboard and the real "Empty
leaderboard." warning.
The run is one job on the state's clock: the models appear when it is done, as a
real run's leaderboard fills while it runs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, crossval, grid_metrics, learn, metadata, tiebreak, training
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, job_json
from h2oharness.apis.h2o3.mockparts.doubles import fsum
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.metrics import metrics_json, score
from h2oharness.apis.h2o3.mockparts.params import KeyRef
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, bad_request, key, meta, not_found, precondition, two_dim_table

# (model id prefix, algo, modeling step id, group): the first steps of a real 3.46.0.12 run's plan that it builds
BASE_STEPS = (("GLM_1", "glm", "def_1", 1), ("DRF_1", "drf", "def_1", 2), ("GBM_2", "gbm", "def_2", 2))
ENSEMBLE_STEP = {"id": "best_of_family_xglm", "group": 10, "weight": 10}
# StackedEnsembleParametersV99 lists these, a real ensemble's parameters do not
ENSEMBLE_OMITTED = frozenset({
    "categorical_encoding", "checkpoint", "custom_distribution_func", "distribution", "fold_assignment", "fold_column",
    "huber_alpha", "ignore_const_cols", "ignored_columns", "keep_cross_validation_fold_assignment",
    "keep_cross_validation_models", "keep_cross_validation_predictions", "max_categorical_levels", "nfolds",
    "parallelize_cross_validation", "quantile_alpha", "score_each_iteration", "stopping_metric", "stopping_rounds",
    "stopping_tolerance", "tweedie_power",
})  # fmt: skip
SORT_METRIC = {"Binomial": "auc", "Multinomial": "mean_per_class_error", "Regression": "rmse"}
LEADERBOARD_METRICS = {
    "Binomial": ("auc", "logloss", "aucpr", "mean_per_class_error", "rmse", "mse"),
    "Multinomial": ("mean_per_class_error", "logloss", "rmse", "mse"),
    "Regression": ("rmse", "mse", "mae", "rmsle", "mean_residual_deviance"),
}
DECREASING = {"auc", "aucpr"}
NO_TRAINING_DATA = "No training data has been specified, either as a path or a key, or it is not available anymore."
NO_CV = "Cross-validation disabled by user: no fold column nor nfolds > 1."
SPLIT = (
    "Since cross-validation is disabled, and validation frame(s) were not provided, automatically split the training "
    "data into training, validation frame(s) in the ratio 90/10/0."
)
NO_BASE_MODELS = "No base models, due to timeouts or the exclude_algos option. Skipping StackedEnsemble '{}'."
EMPTY_LEADERBOARD = (
    "Empty leaderboard.\nAutoML was not able to build any model within a max runtime constraint of {} seconds, you "
    "may want to increase this value before retrying."
)
NO_ENSEMBLE = (
    "Cross-validation is disabled by the user and no blending frame was provided; skipping StackedEnsemble '{}'."
)
EXTENSIONS = ("training_time_ms", "predict_time_per_row_ms", "algo")
log = logging.getLogger(__name__)
EVENT_COLUMNS = ("timestamp", "level", "stage", "message", "name", "value")


@dataclass
class AutoMLRun:
    """One AutoML project: what was asked, the models it made, and its event log."""

    automl_id: str
    project_name: str
    spec: JSONDict
    training_frame: str
    category: str
    sort_metric: str
    job_id: str
    models: list[Model] = field(default_factory=list)
    #: the frame the models score as their validation frame (none with cross-validation)
    validation_frame: str | None = None
    #: the frame the leaderboard scores the models on (``input_spec.leaderboard_frame``, else without
    #: cross-validation the validation frame), and its checksum
    leaderboard_frame: str | None = None
    leaderboard_checksum: int = 0
    #: each model's metrics on that frame, by model id
    board_metrics: dict[str, JSONDict] = field(default_factory=dict)
    steps: list[JSONDict] = field(default_factory=list)
    events: list[tuple[int, str, str, str, str | None, str]] = field(default_factory=list)

    def finished_models(self, state: H2O3MockState) -> list[Model]:
        """The run's models that are published (all of them once its job is done)."""
        return [m for m in self.models if m.id in state.models]


@dataclass
class Ensemble:
    """A stacked ensemble's learner: the mean of its base learners' predictions."""

    members: list[Any]

    def predict(self, features: list[learn.Feature]) -> list[list[float]]:
        """Average predictions (a value, or class probabilities, per row)."""
        each = [m.predict(features) for m in self.members]
        return [
            [fsum([p[r][j] for p in each]) / len(each) for j in range(len(each[0][r]))] for r in range(len(each[0]))
        ]


# ---------------------------------------------------------------- handlers


def build(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/AutoMLBuilder (JSON, as h2o-py sends it): start a run; the AutoMLBuildSpecV99 with its job."""
    body = call.json_body if call.is_json else _form_spec(call)
    if not isinstance(body, dict):
        raise bad_request("POST /99/AutoMLBuilder takes an AutoMLBuildSpec")
    control = dict(body.get("build_control") or {})
    spec_in = dict(body.get("input_spec") or {})
    models_in = dict(body.get("build_models") or {})
    criteria = dict(control.get("stopping_criteria") or {})
    frame_name = _key_name(spec_in.get("training_frame"))
    response = _column_name(spec_in.get("response_column"))
    with state.lock:
        frame = state.frames.get(frame_name or "")
        validation = state.frames.get(_key_name(spec_in.get("validation_frame")) or "")
        # a real server ignores a leaderboard frame it does not hold (the leaderboard then reads the models' metrics)
        board_frame = state.frames.get(_key_name(spec_in.get("leaderboard_frame")) or "")
    if frame is None:
        # a real server: 412 for a JSON spec; a form-encoded one without a frame crashes it (500 NullPointerException)
        raise precondition(NO_TRAINING_DATA)
    if not response:
        raise precondition("Response column is required")
    response_col = frame.column(response)
    if response_col is None:
        raise bad_request(f"Response column '{response}' is not in the training frame")
    target = learn.target_of(response_col)
    stamp = dt.datetime.fromtimestamp(state.epoch_ms() / 1000, tz=dt.UTC).strftime("%Y%m%d_%H%M%S")
    # the models are named after the run, not the project: a real server names those of project "pone"
    # GLM_1_AutoML_1_20261205_144256
    run_name = f"{state.next_number()}_{stamp}"
    project = str(control.get("project_name") or f"AutoML_{run_name}")
    automl_id = f"{project}@@{response}"
    nfolds = int(control.get("nfolds", -1))
    nfolds = 5 if nfolds == -1 else nfolds
    # a real run uses a validation frame only without cross-validation: each model scores it, the leaderboard reads it
    validation = validation if nfolds == 0 else None
    # more folds than rows: every base model refuses them (below) and nothing is fitted, as on a real server
    too_many = crossval.too_many_folds(nfolds, len(frame.columns)) if nfolds <= frame.rows else ""
    if too_many:
        raise precondition(too_many.split(": ", 1)[1])
    seed = int(criteria.get("seed", -1))
    sort_metric = str(spec_in.get("sort_metric") or "AUTO").lower()
    sort_metric = SORT_METRIC[target.category] if sort_metric == "auto" else sort_metric
    excluded = {str(a).lower() for a in models_in.get("exclude_algos") or []}
    included = {str(a).lower() for a in models_in.get("include_algos") or []}
    algos = [step for step in BASE_STEPS if step[1] not in excluded and (not included or step[1] in included)]
    max_models = int(criteria.get("max_models") or 0) or len(algos)
    algos = algos[: max(1, min(max_models, len(algos)))]
    training_copy = Frame(f"{project}_training_{frame.name}", frame.columns)
    split = None
    cut = nfolds == 0 and validation is None
    if cut:
        training_copy, split = _split(frame, project)
        validation = split
    if nfolds == 0:
        board_frame = board_frame or validation
    times = training.BuildTimes(state.epoch_ms(), state.epoch_ms() + int(state.timings.model.total * 1000))
    run = AutoMLRun(automl_id, project, {}, training_copy.name, target.category, sort_metric, "")
    run.validation_frame = validation.name if validation is not None else None
    now = state.epoch_ms()
    run.events.append((now, "INFO", "Workflow", f"Project: {project}", None, ""))
    if nfolds == 0:
        run.events.append((now, "INFO", "Validation", NO_CV, None, ""))
    run.events.append((now, "INFO", "Validation", f"Build control seed: {seed}", None, ""))
    if cut:
        run.events.append((now, "INFO", "DataImport", SPLIT, None, ""))
    bases = []
    suffix = run_name
    for prefix, algo, step_id, group in algos:
        model_id = f"{prefix}_AutoML_{suffix}"
        values, given = _base_values(algo, model_id, training_copy, response, nfolds, seed, validation)
        starting = f"AutoML: starting {model_id} model training"
        run.events.append((times.start, "INFO", "ModelTraining", starting, f"start_{algo.upper()}_{step_id}", ""))
        # a real run skips a model its builder refuses (too few rows or folds, constant predictors...), logging why
        refused = _refusals(algo, values, training_copy)
        if refused:
            run.events += [(times.start, level, "ModelTraining", text, None, "") for level, text in refused]
            continue
        try:
            model = _base_model(algo, model_id, training_copy, values, given, times, state, validation)
        except (ArithmeticError, ValueError, IndexError) as exc:
            log.exception("the mock's %s learner failed in an AutoML run", algo)
            with state.lock:
                state.internal_errors.append(f"AutoML {algo} learner: {type(exc).__name__}: {exc}")
            run.events.append((times.end, "ERROR", "ModelTraining", f"{model_id} failed: {exc}", None, ""))
            continue
        bases.append(model)
        run.steps.append({"name": prefix.split("_")[0], "alias": None,
                          "steps": [{"id": step_id, "group": group, "weight": 10}]})  # fmt: skip
        run.events.append(
            (times.end, "INFO", "ModelTraining", f"{model.id} [{prefix[:3]} {step_id}] complete", None, "")
        )
    run.models = list(bases)
    wants_ensemble = "stackedensemble" not in excluded and (not included or "stackedensemble" in included)
    if not bases and wants_ensemble:
        for step in ("best_of_family_xglm", "all_xglm"):
            run.events.append((times.end, "INFO", "ModelTraining", NO_BASE_MODELS.format(step), None, ""))
    elif nfolds == 0 and wants_ensemble:
        # a real run stacks on cross-validation predictions or a blending frame (which the mock does not take)
        for step in ("best_of_family_xglm", "all_xglm"):
            run.events.append((times.end, "INFO", "ModelTraining", NO_ENSEMBLE.format(step), None, ""))
    elif len(bases) > 1 and wants_ensemble:
        # one base model per family: a real run's AllModels ensemble would repeat BestOfFamily, so it makes only that
        se = _ensemble(f"StackedEnsemble_BestOfFamily_1_AutoML_{suffix}", bases, training_copy, nfolds, times)
        run.models.append(se)
        run.steps.append({"name": "StackedEnsemble", "alias": None, "steps": [dict(ENSEMBLE_STEP)]})
    if board_frame is not None:
        run.leaderboard_frame, run.leaderboard_checksum = board_frame.name, board_frame.checksum()
        for model in run.models:
            scored = training.model_metrics(model, board_frame, times.end)
            if scored is not None:
                run.board_metrics[model.id] = scored
    run.events.append((times.end, "INFO", "Workflow", "AutoML build stopped: no more steps", "stop_reason", ""))
    run.events.append((times.end, "INFO", "Workflow", "AutoML build done", "stop_epoch", str(times.end // 1000)))
    if not run.models:
        # without either stopping criterion a real run gives itself an hour
        runtime = int(criteria.get("max_runtime_secs") or 0) or (0 if criteria.get("max_models") else 3600)
        run.events.append((times.end, "WARN", "Workflow", EMPTY_LEADERBOARD.format(runtime), None, ""))
    frames = [training_copy] if split is None else [training_copy, split]
    info = JobInfo(automl_id, "AutoML", None, progress_msg="AutoML build", companions=[*frames, *run.models])
    job = state.submit("automl", "AutoML build", info, state.timings.model)
    run.job_id = job.id
    job_body = job_json(state, job)
    job_body["dest"] = automl_key(automl_id)
    run.spec = _spec_json(body, project, nfolds, frame.name, response, job_body)
    with state.lock:
        state.automls[automl_id] = run
    return Reply(run.spec)


def automl(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/AutoML/{automl_id}: the run, its leaderboard so far and its event log (by id or project name)."""
    values = call.query
    run = find_run(state, call.path_params["automl_id"])
    body = metadata.skeleton("AutoMLV99")
    board = leaderboard_json(state, run, extensions=())
    verbosity = values.get("verbosity")
    body.update(
        automl_id=automl_key(run.automl_id),
        verbosity=verbosity.upper() if verbosity else None,
        training_frame=key(run.training_frame, "Frame"),
        validation_frame=_frame_key(run.validation_frame),
        blending_frame=None,
        leaderboard_frame=_frame_key(run.leaderboard_frame),
        project_name=run.project_name,
        leaderboard=board,
        leaderboard_table=board["table"],
        event_log={"automl_id": None, "events": _events(run), "table": _event_table(run), "verbosity": None},
        event_log_table=_event_table(run),
        sort_metric=run.sort_metric,
        modeling_steps=run.steps,
    )
    return Reply(body)


def leaderboard(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Leaderboards/{project_name}: a run's leaderboard; ``extensions=[ALL]`` adds time and algo columns."""
    extensions = call.query.get("extensions", "")
    run = find_run(state, call.path_params["project_name"])
    wanted = {e.strip(" '\"").lower() for e in extensions.strip("[]").split(",") if e.strip()}
    chosen = EXTENSIONS if "all" in wanted else tuple(e for e in EXTENSIONS if e in wanted)
    return Reply(leaderboard_json(state, run, extensions=chosen))


def leaderboards(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Leaderboards: the leaderboard of every run."""
    body = metadata.skeleton("LeaderboardsV99")
    with state.lock:
        runs = list(state.automls.values())
    body.update(extensions=None, leaderboards=[leaderboard_json(state, r, extensions=()) for r in runs])
    return Reply(body)


# ---------------------------------------------------------------- helpers


def _form_spec(call: Call) -> JSONDict:
    """A build spec sent as form or query fields, each part a JSON text (as a real server reads them)."""
    spec: JSONDict = {}
    for part in ("build_control", "input_spec", "build_models"):
        text = call.strings.get(part)
        if text:
            try:
                spec[part] = json.loads(text)
            except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
                raise bad_request(f"Cannot parse {part}: not a JSON object") from None
    return spec


def find_run(state: H2O3MockState, name: str) -> AutoMLRun:
    """A run by its id (``project@@response``) or its project name; 404 otherwise."""
    with state.lock:
        found = state.automls.get(name)
        if found is None:
            found = next((r for r in state.automls.values() if r.project_name == name), None)
    if not isinstance(found, AutoMLRun):
        raise not_found(f"No AutoML instance with id {name}")
    return found


def automl_key(automl_id: str) -> JSONDict:
    """An AutoMLKeyV3 (a real server gives it no URL)."""
    return {"__meta": meta("AutoMLKeyV3", "Key<AutoML>"), "name": automl_id, "type": "Key<AutoML>", "URL": None}


def _key_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None


def _column_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("column_name")
    return str(value) if value else None


def _base_values(
    algo: str, model_id: str, frame: Frame, response: str, nfolds: int, seed: int, validation: Frame | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters of a run's base model (all of them, and those the run sets)."""
    given: dict[str, Any] = {
        "training_frame": KeyRef(frame.name, "Key<Frame>"),
        "response_column": response,
        "model_id": KeyRef(model_id, "Key<Model>"),
        "nfolds": nfolds,
        "seed": seed if seed != -1 else random.Random(model_id).getrandbits(31),
        "keep_cross_validation_predictions": True,
        "keep_cross_validation_models": False,
    }
    if algo in ("gbm", "drf"):
        given["ntrees"] = 30
    values = {**builders.defaults(algo), **given}
    if validation is not None:
        given["validation_frame"] = values["validation_frame"] = KeyRef(validation.name, "Key<Frame>")
    return values, given


def _refusals(algo: str, values: dict[str, Any], frame: Frame) -> list[tuple[str, str]]:
    """The WARN and ERROR events of a base model its builder refuses (none when it accepts it), as a real run logs
    the builder's messages: ``_field param, message``."""
    errors = builders.validate(algo, values, frame)
    if not errors:
        return []
    category = builders.category_of(algo, values, frame)
    messages = builders.build_messages(
        algo, category, errors, builders.nfolds_of(values), builders.dropped_columns(values, frame)
    )
    levels = {"WARN": "WARN", "ERRR": "ERROR"}
    return [(levels[t], f"_{f} param, {m}") for t, f, m in messages if t in levels]


def _base_model(
    algo: str,
    model_id: str,
    frame: Frame,
    values: dict[str, Any],
    given: dict[str, Any],
    times: training.BuildTimes,
    state: H2O3MockState,
    validation: Frame | None = None,
) -> Model:
    nfolds = int(values["nfolds"])
    model = training.train(
        algo,
        values,
        given,
        frame,
        model_id,
        times,
        max_rows=state.max_training_rows,
        max_trees=state.max_fitted_trees,
        validation=validation,
    )
    if nfolds > 1:
        crossval.cross_validate(
            algo, values, given, frame, model, times, max_rows=state.max_training_rows, max_trees=state.max_fitted_trees
        )
    return model


def _holdout(model: Model) -> list[list[float]] | None:
    for item in model.companions:
        if isinstance(item, Frame) and item.name.startswith("cv_holdout_prediction_"):
            columns = item.columns[1:] if model.category != "Regression" else item.columns[:1]
            return [[c.numbers[r] for c in columns] for r in range(item.rows)]
    return None


def _ensemble(model_id: str, bases: list[Model], frame: Frame, nfolds: int, times: training.BuildTimes) -> Model:
    """A StackedEnsembleModelV99 that averages its base models (a real one fits a GLM metalearner on them)."""
    first = bases[0]
    fitted = Ensemble([b.fitted for b in bases])
    target = learn.target_of(frame.column(first.response))  # type: ignore[arg-type]
    features = learn.features_of(frame, first.predictors, first.domains)
    scores = score(target.category, target.y, fitted.predict(features), target.domain)
    checksum = random.Random(model_id).getrandbits(63)
    common: dict[str, Any] = {
        "model": model_id,
        "model_checksum": checksum,
        "frame": frame.name,
        "frame_checksum": frame.checksum(),
        "scoring_time": times.end,
    }
    output = metadata.skeleton("StackedEnsembleModelOutputV99")
    holdouts = [_holdout(b) for b in bases]
    cv_metrics = None
    if nfolds > 1 and all(h is not None for h in holdouts):
        each = [h for h in holdouts if h is not None]
        averaged = [
            [fsum([h[r][j] for h in each]) / len(each) for j in range(len(each[0][r]))] for r in range(frame.rows)
        ]
        if target.category == "Binomial":
            averaged = [[p[0], p[1]] for p in averaged]
        cv_metrics = metrics_json(
            score(target.category, target.y, averaged, target.domain),
            **common,
            description=f"{nfolds}-fold cross-validation on training data {crossval.COMBINED}",
        )
    output.update(
        names=first.body["output"]["names"],
        column_types=first.body["output"]["column_types"],
        domains=first.body["output"]["domains"],
        model_category=target.category,
        training_metrics=metrics_json(scores, **common),
        cross_validation_metrics=cv_metrics,
        start_time=times.start,
        end_time=times.end,
        run_time=times.end - times.start,
        default_threshold=scores.default_threshold if target.category == "Binomial" else 0.5,
        metalearner=None,
        stacking_strategy="cross_validation",
        model_summary=two_dim_table(
            "Model Summary for Stacked Ensemble",
            "",
            [("key", "string", "%s", "key"), ("value", "string", "%s", "value")],
            [
                ["Stacking strategy", "cross_validation"],
                ["Number of base models (used / total)", f"{len(bases)}/{len(bases)}"],
                *[[f"# {b.algo.upper()} base models (used / total)", "1/1"] for b in bases],
                ["Metalearner algorithm", "mean (h2oharness mock)"],
            ],
        ),
    )
    body = metadata.skeleton("StackedEnsembleModelV99")
    body.pop("checksum", None)
    body.update(
        model_id=key(model_id, "Model"),
        algo="stackedensemble",
        algo_full_name="Stacked Ensemble",
        response_column_name=first.response,
        treatment_column_name=None,
        data_frame=key(frame.name, "Frame"),
        timestamp=times.end,
        have_pojo=False,
        have_mojo=True,
        parameters=_ensemble_parameters(model_id, bases, frame.name, first.response),
        output=output,
        compatible_frames=None,
    )
    synopsis = metadata.skeleton("ModelSynopsisV3")
    synopsis.update({k: body[k] for k in synopsis if k in body and k != "__meta"})
    return Model(
        id=model_id,
        algo="stackedensemble",
        category=target.category,
        response=first.response,
        predictors=first.predictors,
        domains=first.domains,
        response_domain=target.domain,
        fitted=fitted,
        training_frame=frame.name,
        checksum=checksum,
        default_threshold=scores.default_threshold,
        body=body,
        synopsis=synopsis,
    )


def _ensemble_parameters(model_id: str, bases: list[Model], frame: str, response: str) -> list[JSONDict]:
    given = {
        "model_id": {"name": model_id, "type": "Key<Model>", "URL": f"/3/Models/{model_id}"},
        "training_frame": {"name": frame, "type": "Key<Frame>", "URL": f"/3/Frames/{frame}"},
        "response_column": {"column_name": response, "is_member_of_frames": None},
        "base_models": [{"name": b.id, "type": "Key<Keyed>", "URL": f"/3/Models/{b.id}"} for b in bases],
    }
    out = []
    for spec in metadata.input_fields("StackedEnsembleParametersV99").values():
        if not spec.json or spec.name in ENSEMBLE_OMITTED:
            continue
        out.append(builders.parameter_entry(spec, given.get(spec.name, spec.default), given.get(spec.name)))
    return out


def _split(frame: Frame, project: str) -> tuple[Frame, Frame | None]:
    """The training and validation frames a run without cross-validation nor a validation frame cuts from its
    training frame, 90/10, as ShuffleSplitFrame cuts it: a row goes to validation when its draw is 0.9 or more, the
    draws from a ``java.util.Random`` seeded with the run's seed times the chunk's index. The mock's frames are one
    chunk, so the seed is 0 whatever the run's seed (a real frame of several chunks draws otherwise). No validation
    frame when no row was drawn (a frame of 7 rows or fewer)."""
    draw = tiebreak.JavaRandom(0)
    valid = [r for r in range(frame.rows) if draw.next_double() >= 0.9]
    kept = [r for r in range(frame.rows) if r not in set(valid)]
    training_copy = Frame(f"{project}_training_{frame.name}", [c.take(kept) for c in frame.columns])
    if not valid:
        return training_copy, None
    return training_copy, Frame(f"{project}_validation_{frame.name}", [c.take(valid) for c in frame.columns])


def _frame_key(name: str | None) -> JSONDict | None:
    return key(name, "Frame") if name else None


def _metric(run: AutoMLRun, model: Model, name: str) -> float:
    # on the leaderboard frame; without one as a grid's sort (a real 3.46.0.12 ranks both by the validation frame's
    # metrics when there are no folds)
    metrics = run.board_metrics.get(model.id) or grid_metrics.ranking_metrics(model)
    field_name = {"auc": "AUC", "aucpr": "pr_auc", "mse": "MSE", "rmse": "RMSE", "mean_residual_deviance": "MSE"}
    value = metrics.get(field_name.get(name, name), math.nan)
    return float(value) if isinstance(value, int | float) else math.nan


def _ranked(run: AutoMLRun, models: list[Model]) -> list[Model]:
    decreasing = run.sort_metric in DECREASING

    def rank(m: Model) -> float:
        v = _metric(run, m, run.sort_metric)
        return math.inf if math.isnan(v) else (-v if decreasing else v)

    return sorted(models, key=rank)


def leaderboard_json(state: H2O3MockState, run: AutoMLRun, *, extensions: tuple[str, ...]) -> JSONDict:
    """The LeaderboardV99 of a run: models best first and the table h2o-py turns into a frame."""
    ranked = _ranked(run, run.finished_models(state))
    metrics = LEADERBOARD_METRICS[run.category]
    columns: list[tuple[str, str, str, str]] = [("", "string", "%s", ""), ("model_id", "string", "%s", "model_id")]
    columns += [(m, "double", "%.6f", m) for m in metrics]
    kinds = {
        "training_time_ms": ("long", "%s"),
        "predict_time_per_row_ms": ("double", "%.6f"),
        "algo": ("string", "%s"),
    }
    columns += [(e, *kinds[e], e) for e in extensions]
    rows = []
    for i, m in enumerate(ranked):
        row: list[Any] = [str(i), m.id, *[_metric(run, m, name) for name in metrics]]
        extra = {
            "training_time_ms": int(m.body["output"]["run_time"]),
            "predict_time_per_row_ms": 0.01,
            "algo": "StackedEnsemble" if m.algo == "stackedensemble" else m.algo.upper(),
        }
        rows.append(row + [extra[e] for e in extensions])
    board_name = f"Leaderboard for project {run.automl_id}"
    description = (
        f"models sorted in order of {run.sort_metric}, best first" if rows else "no models in this leaderboard"
    )
    table = two_dim_table(board_name, description, columns, rows)
    body = metadata.skeleton("LeaderboardV99")
    body.update(
        project_name=run.automl_id,
        models=[key(m.id, "Model") for m in ranked],
        leaderboard_frame=_frame_key(run.leaderboard_frame),
        leaderboard_frame_checksum=run.leaderboard_checksum,
        sort_metrics=[_metric(run, m, run.sort_metric) for m in ranked] if ranked else None,
        sort_metric=run.sort_metric if ranked else None,
        sort_decreasing=run.sort_metric in DECREASING or not ranked,
        table=table,
    )
    return body


def _stamp(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%H:%M:%S.") + f"{ms % 1000:03d}"


def _events(run: AutoMLRun) -> list[JSONDict]:
    return [
        {
            "__meta": meta("EventLogEntryV99", "EventLogEntry", 99),
            "timestamp": t,
            "level": lvl,
            "stage": stage,
            "message": msg,
            "name": name,
            "value": value,
        }
        for t, lvl, stage, msg, name, value in run.events
    ]


def _event_table(run: AutoMLRun) -> JSONDict:
    columns = [("", "string", "%s", ""), *[(c, "string", "%s", c) for c in EVENT_COLUMNS]]
    rows = [
        [str(i), _stamp(t), lvl, stage, msg, name, value if name else None]
        for i, (t, lvl, stage, msg, name, value) in enumerate(run.events)
    ]
    return two_dim_table(
        f"Event Log for:{run.automl_id}", "Actions taken and discoveries made by AutoML", columns, rows
    )


def _spec_json(body: JSONDict, project: str, nfolds: int, frame: str, response: str, job: JSONDict) -> JSONDict:
    control = dict(body.get("build_control") or {})
    criteria = dict(control.get("stopping_criteria") or {})
    models_in = dict(body.get("build_models") or {})
    spec = metadata.skeleton("AutoMLBuildSpecV99")
    build_control = metadata.skeleton("AutoMLBuildControlV99")
    build_control.update({k: v for k, v in control.items() if k in build_control and k != "stopping_criteria"})
    stopping = metadata.skeleton("AutoMLStoppingCriteriaV99")
    stopping.update({k: v for k, v in criteria.items() if k in stopping})
    stopping["max_runtime_secs"] = float(stopping.get("max_runtime_secs") or 0.0)
    build_control.update(
        project_name=project,
        nfolds=nfolds,
        stopping_criteria=stopping,
        distribution=str(control.get("distribution") or "AUTO").upper(),
    )
    spec_in = dict(body.get("input_spec") or {})
    input_spec = metadata.skeleton("AutoMLInputV99")
    input_spec.update(
        training_frame=key(frame, "Frame"),
        response_column={
            "__meta": meta("ColSpecifierV3", "VecSpecifier"),
            "column_name": response,
            "is_member_of_frames": None,
        },
        sort_metric=str(spec_in.get("sort_metric") or "AUTO"),
        # echoed as given, a frame the server does not hold included
        validation_frame=_frame_key(_key_name(spec_in.get("validation_frame"))),
        leaderboard_frame=_frame_key(_key_name(spec_in.get("leaderboard_frame"))),
    )
    build_models = metadata.skeleton("AutoMLBuildModelsV99")
    build_models.update(
        exclude_algos=models_in.get("exclude_algos"),
        include_algos=models_in.get("include_algos"),
        exploitation_ratio=float(models_in.get("exploitation_ratio", -1.0)),
        algo_parameters=None,
    )
    spec.update(build_control=build_control, input_spec=input_spec, build_models=build_models, job=job)
    return spec
