"""Grid search on the mock: ``POST /99/Grid/{algo}[/resume]``, ``GET /99/Grids`` and ``GET /99/Grids/{grid_id}``.

A grid is one job that trains a model per combination of its hyper-parameters
(all of them for a Cartesian search, ``max_models`` drawn from them for a
RandomDiscrete one), each through the same path as ``POST /3/ModelBuilders``, so
each is an ordinary model and within the same budget of work. A combination that
cannot be built (a value that does not convert, a value the builder refuses, a
missing frame) is reported in ``failed_params`` and ``failure_details`` as a real
3.46.0.12 reports it. As an AutoML run's, a grid's models appear when its job is
done. Posting again to a grid id appends the combinations it has not built yet.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, metadata, training
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, job_json, key_name
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.handlers_models import fit_model
from h2oharness.apis.h2o3.mockparts.params import KeyRef, convert_form, from_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import (
    BUILDER_ILLEGAL,
    H2O_ILLEGAL,
    JAVA_ILLEGAL,
    H2OError,
    JSONDict,
    key,
    key_not_found,
    precondition,
    two_dim_table,
)
from h2oharness.mocks.jobs import JobPhase, JobTiming

#: models one request may ask for: each is trained inside the request (as a build is, see DEVIATIONS)
MAX_GRID_MODELS = 100
GRID_FIELDS = ("hyper_parameters", "search_criteria", "grid_id", "parallelism", "recovery_dir", "job_id")
DEFAULT_SORT = {"Binomial": "logloss", "Multinomial": "logloss", "Regression": "residual_deviance"}
# what a real 3.46.0.12 accepts as sort_by, in the order its refusal lists them
SORT_METRICS = {
    "Binomial": (
        "r2", "f0point5", "loglikelihood", "mean_per_class_accuracy", "pr_auc", "max_per_class_error", "err",
        "precision", "total_rows", "accuracy", "f1", "f2", "mcc", "auc", "logloss", "lift_top_group", "recall", "rmse",
        "specificity", "aic", "err_count", "aucpr", "mse", "mean_per_class_error",
    ),
    "Multinomial": (
        "r2", "loglikelihood", "mean_per_class_accuracy", "pr_auc", "max_per_class_error", "err", "total_rows",
        "accuracy", "auc", "logloss", "rmse", "aic", "err_count", "aucpr", "mse", "mean_per_class_error",
    ),
    "Regression": (
        "residual_deviance", "mae", "r2", "mean_residual_deviance", "loglikelihood", "rmsle", "rmse", "aic", "mse",
    ),
}  # fmt: skip
# sort_by name -> the field of a ModelMetrics*V3 holding it
METRIC_FIELDS = {
    "auc": "AUC", "aucpr": "pr_auc", "pr_auc": "pr_auc", "mse": "MSE", "rmse": "RMSE", "r2": "r2",
    "logloss": "logloss", "mean_per_class_error": "mean_per_class_error", "mae": "mae", "rmsle": "rmsle",
    "residual_deviance": "mean_residual_deviance", "mean_residual_deviance": "mean_residual_deviance",
    "loglikelihood": "loglikelihood", "aic": "AIC", "total_rows": "nobs",
}  # fmt: skip
# sort_by name -> the row of a binomial model's max_criteria_and_metric_scores holding it
MAX_CRITERIA = {
    "f1": "max f1", "f2": "max f2", "f0point5": "max f0point5", "accuracy": "max accuracy",
    "precision": "max precision", "recall": "max recall", "specificity": "max specificity",
    "mcc": "max absolute_mcc", "mean_per_class_accuracy": "max mean_per_class_accuracy",
}  # fmt: skip
HISTORY_COLUMNS = {
    "Binomial": ("rmse", "logloss", "r2", "auc", "pr_auc", "lift", "classification_error"),
    "Multinomial": ("rmse", "logloss", "r2", "classification_error", "auc", "pr_auc"),
    "Regression": ("rmse", "deviance", "mae", "r2"),
}
HISTORY_TITLES = {
    "rmse": "RMSE", "logloss": "LogLoss", "r2": "r2", "auc": "AUC", "pr_auc": "pr_auc", "lift": "Lift",
    "classification_error": "Classification Error", "deviance": "Deviance", "mae": "MAE",
}  # fmt: skip
GLM_ALPHA_WARNING = (
    "Adding alpha array to hyperparameter runs slower with gridsearch. This is due to the fact that the algo has to "
    "run initialization for every alpha value. Setting the alpha array as a model parameter will skip the "
    "initialization and run faster overall."
)
NO_STACK = "\n\tat h2oharness.mock(no Java stack in the mock)\n"
#: one combination of hyper-parameter values: (name, value text) pairs in the order of the names
Combo = tuple[tuple[str, str], ...]


@dataclass
class Failure:
    """One combination a grid could not build, and the job that tried it."""

    job_id: str
    params: JSONDict | None
    raw: list[str]
    details: str
    stack: str


@dataclass
class Grid:
    """One grid: its search space, the models it built (by id, with their hyper values) and its failures."""

    grid_id: str
    algo: str
    training_frame: str | None
    hyper_names: list[str]
    #: the form fields of the search that made it (bar the grid's own), for a resume
    given_form: dict[str, str]
    #: the combinations the last search planned, each as (name, value text) pairs
    planned: list[Combo]
    job_id: str
    #: (job id, model id) of each model built, in the order they were
    entries: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: the combinations tried, as sets of (name, value text) pairs, and the job that tried each: a grid builds each
    #: once, unless that job was cancelled or failed
    tried: dict[frozenset[tuple[str, str]], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    export_checkpoints_dir: str | None = None
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


# ---------------------------------------------------------------- handlers


def train(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Grid/{algo}: start a search; the GridSearchSchema with its job (dest: the grid)."""
    algo = call.path.split("/")[3]
    form = {k: v for k, v in call.strings.items() if k != "_exclude_fields"}
    schema = builders.params_schema(algo)
    given = from_form(schema, {k: v for k, v in form.items() if k not in GRID_FIELDS})
    hyper = _hyper_space(algo, form.get("hyper_parameters"), given)
    criteria = _criteria(form.get("search_criteria"))
    frame_name = key_name(given.get("training_frame"))
    grid_id = form.get("grid_id") or _default_grid_id(state, algo, frame_name)
    with state.lock:
        grid = state.grids.get(grid_id)
    if isinstance(grid, Grid) and grid.training_frame != frame_name:
        raise _grid_argument("training_frame", "Cannot append new models to a grid with different training input")
    names = sorted(hyper)
    combos = _combinations(names, hyper, criteria)
    if not isinstance(grid, Grid):
        grid = Grid(grid_id, algo, frame_name, names, {}, [], "")
        if algo == "glm" and "alpha" in names:
            grid.warnings.append(GLM_ALPHA_WARNING)
    else:
        grid.hyper_names = sorted(set(grid.hyper_names) | set(names))
    grid.given_form = {k: v for k, v in form.items() if k not in GRID_FIELDS}
    grid.planned = combos
    grid.export_checkpoints_dir = given.get("export_checkpoints_dir") or grid.export_checkpoints_dir
    job_body = _run(state, grid, algo, given, combos)
    body = metadata.skeleton("GridSearchSchema")
    body.update(
        parameters=builders.parameters_object(algo, {**builders.defaults(algo), **given, "model_id": None}),
        hyper_parameters=None,
        grid_id=key(grid_id, "Grid") if form.get("grid_id") else None,
        search_criteria=_criteria_json(criteria),
        parallelism=int(form.get("parallelism") or 1),
        recovery_dir=form.get("recovery_dir") or None,
        job_id=None,
        total_models=0,
        job=job_body,
    )
    return Reply(body)


def resume(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Grid/{algo}/resume: build the planned combinations a grid has not tried (after a cancelled job)."""
    # the route names an algorithm; the grid's own is the one resumed
    name = call.strings.get("grid_id") or ""
    with state.lock:
        grid = state.grids.get(name)
    if not isinstance(grid, Grid):
        # a real 3.46.0.12 answers 500 NullPointerException (DEVIATIONS)
        raise _no_grid(name)
    schema = builders.params_schema(grid.algo)
    given = from_form(schema, grid.given_form)
    job_body = _run(state, grid, grid.algo, given, grid.planned)
    body = metadata.skeleton("GridSearchSchema")
    body.update(
        parameters=builders.parameters_object(grid.algo, {**builders.defaults(grid.algo), **given, "model_id": None}),
        hyper_parameters=None,
        grid_id=key(grid.grid_id, "Grid"),
        search_criteria=None,
        parallelism=1,
        job=job_body,
    )
    return Reply(body)


def grid(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Grids/{grid_id}: the grid's models sorted by ``sort_by`` (its default metric without one)."""
    values = call.values("GridSchemaV99")
    name = call.path_params["grid_id"]
    with state.lock:
        found = state.grids.get(name)
    if not isinstance(found, Grid):
        raise _no_grid(name)
    sort_by = values.get("sort_by") or None
    return Reply(grid_json(state, found, sort_by, bool(values.get("decreasing")) if sort_by else False))


def grids_list(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Grids: every grid, by id, each as ``GET /99/Grids/{grid_id}`` answers it."""
    call.values("GridsV99")
    with state.lock:
        held = sorted((g for g in state.grids.values() if isinstance(g, Grid)), key=lambda g: g.grid_id)
    body = metadata.skeleton("GridsV99")
    body["grids"] = [grid_json(state, g, None, False) for g in held]
    return Reply(body)


# ---------------------------------------------------------------- the search


def _run(
    state: H2O3MockState,
    grid: Grid,
    algo: str,
    given: dict[str, Any],
    combos: list[Combo],
) -> JSONDict:
    """Train the combinations (in the request, within the budget) and start the job that publishes them."""
    info = builders.ALGOS[algo]
    timing = state.timings.model
    job_id = state.new_job_id()
    fresh = [c for c in combos if not _tried(state, grid, c)]
    start = state.epoch_ms()
    times = training.BuildTimes(start, start + int(timing.total * 1000 * max(1, len(fresh))))
    built: list[Model] = []
    failure = ""
    if len(fresh) > MAX_GRID_MODELS:
        failure = (
            f"{JAVA_ILLEGAL}: the mock trains at most {MAX_GRID_MODELS} models per grid search; this one asks for "
            f"{len(fresh)} (h2oharness mock)"
        )
    else:
        with state.lock:
            frame = state.frames.get(key_name(given.get("training_frame")) or "")
            valid = state.frames.get(key_name(given.get("validation_frame")) or "")
        for combo in combos:
            model_id = f"{grid.grid_id}_model_{next(grid.counter)}"
            if _tried(state, grid, combo):
                continue  # built before: a real grid skips it too, its number spent
            grid.tried[frozenset(combo)] = job_id
            model = _build_one(state, grid, algo, given, combo, model_id, frame, valid, times, job_id)
            if model is not None:
                built.append(model)
                grid.entries.append((job_id, model.id))
    companions: list[Frame | Model] = []
    for model in built:
        companions += [model, *model.companions]
    job_info = JobInfo(grid.grid_id, "Grid", progress_msg="Building models.", companions=companions)
    running = JobTiming(timing.queued, timing.running * len(fresh)) if fresh else JobTiming(timing.queued, 0.0)
    running = JobTiming(0.0, 0.0) if failure else running
    description = f"{info.upper} Grid Search"
    fail_at = 0.0 if failure else None
    job = state.submit(algo, description, job_info, running, fail_at=fail_at, failure=failure, job_id=job_id)
    grid.job_id = job.id
    with state.lock:
        state.grids[grid.grid_id] = grid
        state.trim()
    return job_json(state, job)


def _tried(state: H2O3MockState, grid: Grid, combo: Combo) -> bool:
    """Whether a job of the grid built (or is building) the combination: one cancelled or failed did not."""
    job_id = grid.tried.get(frozenset(combo))
    if job_id is None:
        return False
    job = state.jobs.get(job_id)
    return job is None or job.phase(state.clock.now()) not in (JobPhase.CANCELLED, JobPhase.FAILED)


def _build_one(
    state: H2O3MockState,
    grid: Grid,
    algo: str,
    given: dict[str, Any],
    combo: Combo,
    model_id: str,
    frame: Frame | None,
    valid: Frame | None,
    times: training.BuildTimes,
    job_id: str,
) -> Model | None:
    """One combination's model, or None with its failure recorded in the grid."""
    schema = builders.params_schema(algo)
    specs = metadata.input_fields(schema)
    chosen: dict[str, Any] = {}
    raws = [raw for _, raw in combo]
    for name, raw in combo:
        try:
            chosen[name] = convert_form(specs[name], schema, raw)
        except H2OError:
            text = f"Cannot set field '{name}' to value {raw}"
            grid.failures.append(Failure(job_id, None, raws, text, f"{JAVA_ILLEGAL}: {text}{NO_STACK}"))
            return None
    values = {**builders.defaults(algo), **given, **chosen, "model_id": KeyRef(model_id, "Key<Model>")}
    model_given = {**given, **chosen}
    frame_name = key_name(values.get("training_frame"))
    upper = builders.ALGOS[algo].upper

    def fail(text: str, exception: str, params: dict[str, Any]) -> None:
        rendered = builders.parameters_object(algo, {**params, "model_id": None})
        grid.failures.append(Failure(job_id, rendered, raws, text, f"{exception}: {text}{NO_STACK}"))

    if frame_name is None or frame is None:
        if frame_name is None:
            details = "ERRR on field: _train: Missing training frame"
            text = f"Illegal argument(s) for {upper} model: {model_id}.  Details: {details}\n"
            fail(text, BUILDER_ILLEGAL, {**values, "training_frame": None})
        else:
            fail(
                f"Object with key='{frame_name}' doesn't exist in DKV.",
                JAVA_ILLEGAL,
                {**values, "training_frame": None},
            )
        return None
    errors = builders.validate(algo, values, frame)
    if errors:
        details = "\n".join(f"ERRR on field: _{f}: {m}" for f, m in errors)
        fail(f"Illegal argument(s) for {upper} model: {model_id}.  Details: {details}\n", BUILDER_ILLEGAL, values)
        return None
    model, _, why = fit_model(state, algo, values, model_given, frame, valid, model_id, times)
    if model is None:
        fail(why.split(": ", 1)[-1], why.split(": ", 1)[0], values)
    return model


# ---------------------------------------------------------------- the request's hyper space and criteria


def _hyper_space(algo: str, text: str | None, given: dict[str, Any]) -> dict[str, list[str]]:
    """The hyper-parameters as raw value texts by name, checked as a real server checks them."""
    if not text:
        return {}
    try:
        space = lenient_json(text)
    except ValueError as exc:
        raise precondition(
            f"Can't parse the hyper_parameters dictionary; got error: {exc} for raw value: {text}"
        ) from None
    if not isinstance(space, dict):
        raise precondition(f"Can't parse the hyper_parameters dictionary; got error: not a map for raw value: {text}")
    specs = metadata.input_fields(builders.params_schema(algo))
    defaults = builders.defaults(algo)
    out: dict[str, list[str]] = {}
    for name, values in space.items():
        if name not in specs:
            raise _grid_argument(name, "Unknown hyper parameter for grid search!")
        if name in given and given[name] != defaults.get(name):
            raise precondition(
                f"Grid search model parameter '{name}' is set in both the model parameters and in the hyperparameters "
                "map.  This is ambiguous; set it in one place or the other, not both."
            )
        items = values if isinstance(values, list) else [values]
        out[name] = [_raw_text(v) for v in items]
    return out


def _criteria(text: str | None) -> dict[str, Any]:
    """The search criteria: strategy (Cartesian or RandomDiscrete), max_models, seed and the stopping fields."""
    criteria: dict[str, Any] = {"strategy": "Cartesian"}
    if not text:
        return criteria
    try:
        parsed = lenient_json(text)
        if not isinstance(parsed, dict):
            raise ValueError("not a map")
        strategy = str(parsed.get("strategy") or "Cartesian")
        if strategy not in ("Cartesian", "RandomDiscrete", "Sequential"):
            raise ValueError(f"No enum constant hex.grid.HyperSpaceSearchCriteria.Strategy.{strategy}")
        criteria["strategy"] = strategy
        if strategy == "RandomDiscrete":
            criteria.update(
                seed=int(parsed.get("seed", -1)),
                max_models=int(parsed.get("max_models", 0)),
                max_runtime_secs=float(parsed.get("max_runtime_secs", 0.0)),
                stopping_rounds=int(parsed.get("stopping_rounds", 0)),
                stopping_metric=str(parsed.get("stopping_metric", "AUTO")).upper(),
                stopping_tolerance=float(parsed.get("stopping_tolerance", 0.001)),
            )
    except (ValueError, TypeError) as exc:
        raise precondition(
            f"Can't parse the search_criteria dictionary; got error: {exc} for raw value: {text}"
        ) from None
    return criteria


def _criteria_json(criteria: dict[str, Any]) -> JSONDict:
    if criteria["strategy"] != "RandomDiscrete":
        body = metadata.skeleton("CartesianSearchCriteriaV99")
        body["strategy"] = criteria["strategy"]
        return body
    body = metadata.skeleton("RandomDiscreteValueSearchCriteriaV99")
    body.update(criteria)
    return body


def _combinations(names: list[str], space: dict[str, list[str]], criteria: dict[str, Any]) -> list[Combo]:
    """Every combination, the first name (alphabetically) varying fastest as in a real Cartesian walk; a random
    search draws ``max_models`` of them (all when 0) from its seed (-1: 1234, see DEVIATIONS)."""
    if not names:
        return [()]
    product = [
        tuple(zip(names, reversed(c), strict=True)) for c in itertools.product(*(space[n] for n in reversed(names)))
    ]
    if criteria["strategy"] != "RandomDiscrete":
        return product
    seed = criteria.get("seed", -1)
    drawn = random.Random(1234 if seed == -1 else seed).sample(product, len(product))
    limit = criteria.get("max_models") or len(drawn)
    return drawn[:limit]


def lenient_json(text: str) -> Any:
    """JSON as Gson reads it leniently (h2o-py writes ``{"strategy": RandomDiscrete}``); scalars stay their text."""
    pos = 0

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1

    def value() -> Any:
        nonlocal pos
        skip()
        if pos >= len(text):
            raise ValueError(f"End of input at character {pos}")
        head = text[pos]
        if head in "{[":
            closing = "}" if head == "{" else "]"
            pos += 1
            items: list[Any] = []
            pairs: dict[str, Any] = {}
            skip()
            if pos < len(text) and text[pos] == closing:
                pos += 1
                return pairs if head == "{" else items
            while True:
                if head == "{":
                    name = value()
                    skip()
                    if pos >= len(text) or text[pos] not in ":=":
                        raise ValueError(f"Expected ':' at character {pos}")
                    pos += 1
                    pairs[str(name)] = value()
                else:
                    items.append(value())
                skip()
                if pos >= len(text):
                    raise ValueError(f"End of input at character {pos}")
                if text[pos] == closing:
                    pos += 1
                    return pairs if head == "{" else items
                if text[pos] != ",":
                    raise ValueError(f"Expected ',' at character {pos}")
                pos += 1
        if head in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != head:
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise ValueError(f"Unterminated string at character {pos}")
            raw = text[pos + 1 : end]
            pos = end + 1
            return json.loads(f'"{raw}"') if head == '"' else raw
        end = pos
        while end < len(text) and text[end] not in ",:]}{[ \t\r\n":
            end += 1
        if end == pos:
            raise ValueError(f"Unexpected character '{head}' at character {pos}")
        token = text[pos:end]
        pos = end
        return token

    parsed = value()
    skip()
    if pos != len(text):
        raise ValueError(f"Unexpected text at character {pos}")
    return parsed


def _raw_text(value: Any) -> str:
    """A hyper value as the form text the builder would get (a list as ``[a,b]``)."""
    if isinstance(value, list):
        return "[" + ",".join(_raw_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _default_grid_id(state: H2O3MockState, algo: str, frame: str | None) -> str:
    return f"Grid_{builders.ALGOS[algo].upper}_{frame}_model_python_{state.cloud_id}_{state.next_number()}"


def _no_grid(name: str) -> H2OError:
    """404 for a grid id nothing holds, with the values a real server puts in it."""
    error = key_not_found(name, "grid_id")
    error.values = {"argument": "grid_id", "name": name}
    return error


def _grid_argument(argument: str, value: str) -> H2OError:
    text = f"Illegal argument: {argument} of function: grid: {value}"
    return H2OError(412, text, H2O_ILLEGAL, values={"argument": argument, "function": "grid", "value": value})


# ---------------------------------------------------------------- the grid's answer


def _finished(state: H2O3MockState, job_id: str) -> bool:
    job = state.jobs.get(job_id)
    return job is None or job.phase(state.clock.now()).final


def _metrics(model: Model) -> JSONDict:
    """The metrics a grid ranks a model by: cross-validation, else validation, else training."""
    output = model.body["output"]
    for part in ("cross_validation_metrics", "validation_metrics", "training_metrics"):
        if output.get(part):
            return dict(output[part])
    return {}


def _table_value(table: JSONDict | None, row_name: str, column: str) -> float:
    if not table:
        return math.nan
    names = [c["name"] for c in table["columns"]]
    rows = list(zip(*table["data"], strict=True)) if table["data"] else []
    for row in rows:
        if row and row[0] == row_name and column in names:
            return _number(row[names.index(column)])
    return math.nan


def _first(table: JSONDict | None, column: str) -> float:
    """A table's value in its first row (a gains/lift table's top group)."""
    if not table or not table.get("data"):
        return math.nan
    names = [c["name"] for c in table["columns"]]
    if column not in names or not table["data"][names.index(column)]:
        return math.nan
    return _number(table["data"][names.index(column)][0])


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _confusion_error(metrics: JSONDict) -> tuple[float, float]:
    """(error rate, errors) of the confusion matrix's total row."""
    table = (metrics.get("cm") or {}).get("table")
    if not table or not table["data"]:
        return math.nan, math.nan
    rate = _number(table["data"][-2][-1])
    return rate, rate * _number(metrics.get("nobs"))


def metric(model: Model, name: str) -> float:
    """A model's value of a sort_by metric (NaN where the mock does not compute it)."""
    metrics = _metrics(model)
    name = name.lower()
    if name in METRIC_FIELDS:
        return _number(metrics.get(METRIC_FIELDS[name]))
    if name in MAX_CRITERIA:
        return _table_value(metrics.get("max_criteria_and_metric_scores"), MAX_CRITERIA[name], "value")
    if name in ("err", "err_count"):
        return _confusion_error(metrics)[0 if name == "err" else 1]
    if name == "max_per_class_error":
        return 1 - _table_value(metrics.get("max_criteria_and_metric_scores"), "max min_per_class_accuracy", "value")
    if name == "lift_top_group":
        return _first(metrics.get("gains_lift_table"), "lift")
    return math.nan


def grid_json(state: H2O3MockState, found: Grid, sort_by: str | None, decreasing: bool) -> JSONDict:
    """The GridSchemaV99 of a grid: its finished models ranked, their metrics, its failures and warnings."""
    with state.lock:
        models = [state.models[m] for j, m in found.entries if m in state.models and _finished(state, j)]
        failures = [f for f in found.failures if _finished(state, f.job_id)]
    category = models[0].category if models else "Binomial"
    if sort_by is not None and sort_by.lower() not in SORT_METRICS[category]:
        raise precondition(
            f"Invalid argument for sort_by specified. Must be one of: [{', '.join(SORT_METRICS[category])}]"
        )
    chosen = sort_by or (DEFAULT_SORT[category] if models else None)
    if chosen is not None:

        def rank(m: Model) -> tuple[bool, float]:
            value = metric(m, chosen)
            return math.isnan(value), (-value if decreasing else value)

        models = sorted(models, key=rank)
    body = metadata.skeleton("GridSchemaV99")
    body.update(
        grid_id=key(found.grid_id, "Grid"),
        sort_by=chosen,
        decreasing=decreasing,
        model_ids=[key(m.id, "Model") for m in models],
        hyper_names=list(found.hyper_names),
        failed_params=[f.params for f in failures],
        warning_details=list(found.warnings),
        failure_details=[f.details for f in failures],
        failure_stack_traces=[f.stack for f in failures],
        failed_raw_params=[f.raw for f in failures],
        training_metrics=[m.body["output"].get("training_metrics") for m in models],
        validation_metrics=[m.body["output"].get("validation_metrics") for m in models],
        cross_validation_metrics=[m.body["output"].get("cross_validation_metrics") for m in models],
        cross_validation_metrics_summary=[m.body["output"].get("cross_validation_metrics_summary") for m in models],
        export_checkpoints_dir=found.export_checkpoints_dir,
        summary_table=_summary(found, models, chosen, decreasing) if models and chosen else None,
        scoring_history=_history(_built_order(found, models), category),
    )
    return body


def _built_order(found: Grid, models: list[Model]) -> list[Model]:
    order = {m: i for i, (_, m) in enumerate(found.entries)}
    return sorted(models, key=lambda m: order.get(m.id, 0))


def _summary(found: Grid, models: list[Model], sort_by: str, decreasing: bool) -> JSONDict:
    specs = metadata.input_fields(builders.params_schema(found.algo))
    names = found.hyper_names
    values = {m.id: _hyper_values(m, names) for m in models}
    columns: list[tuple[str, str, str, str]] = [("", "string", "%s", "")]
    for i, name in enumerate(names):
        numeric = specs[name].type in ("int", "long", "double", "float") if name in specs else False
        numeric = numeric and all(isinstance(values[m.id][i], int | float) for m in models)
        columns.append((name, "double", "%.5f", name) if numeric else (name, "string", "%s", name))
    metric_name = sort_by.lower()
    columns += [("model_ids", "string", "%s", "model_ids"), (metric_name, "double", "%.5f", metric_name)]
    rows = [["", *values[m.id], m.id, metric(m, metric_name)] for m in models]
    order = "decreasing" if decreasing else "increasing"
    return two_dim_table("Hyper-Parameter Search Summary", f"ordered by {order} {metric_name}", columns, rows)


def _hyper_values(model: Model, names: list[str]) -> list[Any]:
    """A model's values of the grid's hyper-parameters (its input values, as the summary shows them)."""
    params = {p["name"]: p for p in model.body.get("parameters") or []}
    out: list[Any] = []
    for name in names:
        entry = params.get(name)
        value = entry.get("input_value") if entry else None
        if value is None and entry:
            value = entry.get("actual_value")
        out.append(value if isinstance(value, int | float | str) or value is None else json.dumps(value))
    return out


def _history(models: list[Model], category: str) -> JSONDict:
    """One row per model: its last training scores, as the grid's scoring history shows them."""
    wanted = HISTORY_COLUMNS[category]
    columns: list[tuple[str, str, str, str]] = [
        ("", "string", "%s", ""),
        ("timestamp", "string", "%s", "Timestamp"),
        ("duration", "string", "%s", "Duration"),
        *[(f"training_{c}", "double", "%.5f", f"Training {HISTORY_TITLES[c]}") for c in wanted],
    ]
    rows = []
    for m in models:
        metrics = m.body["output"].get("training_metrics") or {}
        by_name = {
            "rmse": _number(metrics.get("RMSE")),
            "logloss": _number(metrics.get("logloss")),
            "r2": _number(metrics.get("r2")),
            "auc": _number(metrics.get("AUC")),
            "pr_auc": _number(metrics.get("pr_auc")),
            "lift": _first(metrics.get("gains_lift_table"), "lift"),
            "classification_error": _confusion_error(metrics)[0],
            "deviance": _number(metrics.get("mean_residual_deviance")),
            "mae": _number(metrics.get("mae")),
        }
        end = int(m.body["output"].get("end_time") or 0)
        stamp = dt.datetime.fromtimestamp(end / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(["", stamp, f"{0:6.3f} sec", *[by_name[c] for c in wanted]])
    return two_dim_table("Scoring History", "", columns, rows)
