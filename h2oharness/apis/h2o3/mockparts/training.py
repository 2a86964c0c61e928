"""Training and scoring of the mock's models: fit on the frame, render ModelV3 with real metrics, predict frames."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.h2o3.mockparts import actuals, learn, metadata, tiebreak
from h2oharness.apis.h2o3.mockparts.builders import ALGOS, glm_family, parameters_list, predictors
from h2oharness.apis.h2o3.mockparts.doubles import fsum, square
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.metrics import Scores, metrics_json, score
from h2oharness.apis.h2o3.mockparts.state import Model
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, bad_request, key, two_dim_table


@dataclass(frozen=True)
class BuildTimes:
    """Epoch milliseconds of a build, for the model's output."""

    start: int
    end: int


def tree_params(algo: str, values: dict[str, Any]) -> learn.TreeParams:
    """The learner settings of a GBM or DRF request."""
    seed = int(values.get("seed", -1))
    drf = algo == "drf"
    return learn.TreeParams(
        ntrees=int(values.get("ntrees", 50)),
        max_depth=int(values.get("max_depth", 20 if drf else 5)) or 30,
        min_rows=float(values.get("min_rows", 1.0 if drf else 10.0)),
        nbins=max(2, int(values.get("nbins", 20))),
        learn_rate=float(values.get("learn_rate", 0.1)),
        sample_rate=float(values.get("sample_rate", 0.632 if drf else 1.0)),
        col_sample_rate=float(values.get("col_sample_rate", 1.0)),
        mtries=int(values.get("mtries", -1)),
        # H2O-3 draws a random seed for -1; the mock stays reproducible
        seed=seed if seed != -1 else 1234,
    )


def training_sample(frame: Frame, limit: int) -> Frame:
    """At most ``limit`` rows of a frame, evenly spread, so big frames keep the mock responsive."""
    if frame.rows <= limit:
        return frame
    rows = learn.spread(list(range(frame.rows)), limit)
    return Frame(frame.name, [c.take(rows) for c in frame.columns])


def train(
    algo: str,
    values: dict[str, Any],
    given: dict[str, Any],
    frame: Frame,
    model_id: str,
    times: BuildTimes,
    *,
    max_rows: int,
    max_trees: int = 200,
    validation: Frame | None = None,
    budget: learn.Budget | None = None,
    names: list[str] | None = None,
) -> Model:
    """Fit a model on the frame and render its ModelV3, in at most ``budget`` steps (``learn.WORK_BUDGET``).

    ``names``: the predictors, when they are known already (a fold model takes its main model's).
    """
    info = ALGOS[algo]
    response_col = frame.column(values.get("response_column") or "")
    if response_col is None:
        raise bad_request("the response column is not in the training frame")
    names = names if names is not None else predictors(values, frame)
    budget = budget if budget is not None else learn.Budget()
    target = learn.target_of(response_col)
    family = None
    if algo == "glm":
        family = glm_family(values, response_col)
        if family == "binomial" and response_col.type != "enum":
            target = learn.Target("Binomial", list(response_col.numbers), ["0", "1"])
        elif family not in ("binomial", "multinomial"):
            target = learn.Target("Regression", list(response_col.numbers), None)
    if algo in ("gbm", "drf"):
        values = {**values, "ntrees": max(0, min(tree_params(algo, values).ntrees, max_trees))}
    fitted_rows, limit = _row_limits(algo, values, frame, names, target, family, budget)
    sample = training_sample(frame, min(max_rows, fitted_rows))
    scored_frame = training_sample(frame, limit)
    scored_target = learn.Target(target.category, _take_target(target, frame, scored_frame), target.domain)
    validation = training_sample(validation, limit) if validation is not None else None
    sample_target = learn.Target(target.category, _take_target(target, frame, sample), target.domain)
    features = learn.features_of(sample, names)
    domains = [f.domain for f in features]
    history: list[tuple[int, list[list[float]]]] = []
    # the validation frame is scored at each point of the history too, as the real scoring_history shows
    valid_y = _response_on(validation, values["response_column"], target) if validation is not None else None
    valid_features = learn.features_of(validation, names, domains) if validation is not None and valid_y else None
    valid_history: list[list[list[float]]] = []
    fitted: learn.TreeModel | learn.LinearModel
    if algo in ("gbm", "drf"):
        fit: Callable[..., learn.TreeModel] = learn.fit_gbm if algo == "gbm" else learn.fit_drf

        staged: list[Callable[[int], list[list[float]]]] = []

        def on_history(step: int, model: learn.TreeModel) -> None:
            if not staged:
                staged.extend(model.staged(f) for f in (features, valid_features or []))
            history.append((step, staged[0](step)))
            if valid_features is not None:
                valid_history.append(staged[1](step))

        params = tree_params(algo, values)  # ntrees capped at max_trees above
        # each tree is applied to the sample (history), the validation frame (history) and the whole frame (metrics)
        scored = sample.rows + scored_frame.rows + (validation.rows if valid_features and validation else 0)
        fitted = fit(features, sample_target, params, on_history, budget, scored)
    else:
        fitted = learn.fit_glm(features, sample_target, family or "gaussian", lambda_=1e-3, budget=budget)
    scored_features = learn.features_of(scored_frame, names, domains)
    predictions = fitted.predict(scored_features)
    priors = _priors(target, frame, values) if target.category == "Multinomial" else None
    # a real tree model of no trees hashes each training row to break a tie; once it has trees, no row (hash 0)
    no_trees = isinstance(fitted, learn.TreeModel) and not fitted.trees
    scores = score(
        target.category,
        scored_target.y,
        predictions,
        target.domain,
        priors=priors,
        rows=row_values(scored_features) if no_trees else None,
    )
    if isinstance(fitted, learn.TreeModel) and algo == "drf" and not fitted.trees:
        # a real DRF's training metrics are out-of-bag: without a tree, no row was ever out of a bag
        scores = score(target.category, [], [], target.domain)
    checksum = random.Random(model_id).getrandbits(63)
    frame_checksum = frame.checksum()
    glm_extra = _glm_extra(fitted, scored_target, predictions) if isinstance(fitted, learn.LinearModel) else None
    training_metrics = metrics_json(
        scores,
        model=model_id,
        model_checksum=checksum,
        frame=frame.name,
        frame_checksum=frame_checksum,
        scoring_time=times.end,
        glm=algo == "glm",
        glm_extra=glm_extra,
        # a real DRF scores its training metrics on out-of-bag rows (the mock in-sample, see DEVIATIONS)
        description="Metrics reported on Out-Of-Bag training samples" if algo == "drf" else None,
    )
    validation_metrics = None
    if validation is not None:
        validation_metrics = scored_metrics(
            fitted,
            target,
            names,
            domains,
            values["response_column"],
            validation,
            model_id,
            checksum,
            times.end,
            algo,
            # a real GLM leaves its validation metrics without a description
            description=None if algo == "glm" else "Validation metrics",
            priors=priors,
        )
    output = metadata.skeleton(f"{info.upper}ModelOutputV3")
    chosen = set(names)
    used = [c for c in frame.columns if c.name in chosen] + [response_col]
    output.update(
        names=[c.name for c in used],
        original_names=None,
        column_types=["Enum" if c.type == "enum" else "Numeric" for c in used],
        domains=[c.domain for c in used],
        model_category=target.category,
        training_metrics=training_metrics,
        validation_metrics=validation_metrics,
        start_time=times.start,
        end_time=times.end,
        run_time=times.end - times.start,
        default_threshold=scores.default_threshold if target.category == "Binomial" else 0.5,
        help=metadata.help_map(f"{info.upper}ModelOutputV3"),
        reproducibility_information_table=[_input_frames_table(frame, frame_checksum)],
    )
    if isinstance(fitted, learn.TreeModel):
        validation_history = (valid_y, valid_history) if valid_y and valid_history else None
        ties = _HistoryTies(priors, row_values(features), row_values(valid_features or []))
        output.update(_tree_output(algo, fitted, target, history, sample_target, times, validation_history, ties))
    else:
        output.update(_glm_output(fitted, frame.name, scores, times))
    body = metadata.skeleton(f"{info.upper}ModelV3")
    body.pop("checksum", None)
    body.update(
        model_id=key(model_id, "Model"),
        algo=algo,
        algo_full_name=info.full_name,
        response_column_name=response_col.name,
        treatment_column_name=None,
        data_frame=key(frame.name, "Frame"),
        timestamp=times.end,
        have_pojo=True,
        have_mojo=True,
        parameters=parameters_list(
            algo,
            values,
            given,
            actual=actuals.resolve(algo, values, target.category, frame.rows, glm_family=family),
            omit=actuals.OMITTED_IN_MODEL.get(algo, frozenset()),
        ),
        output=output,
        compatible_frames=None,
    )
    synopsis = metadata.skeleton("ModelSynopsisV3")
    synopsis.update({k: body[k] for k in synopsis if k in body and k != "__meta"})
    return Model(
        id=model_id,
        algo=algo,
        category=target.category,
        response=response_col.name,
        predictors=names,
        domains=domains,
        response_domain=target.domain,
        fitted=fitted,
        training_frame=frame.name,
        checksum=checksum,
        default_threshold=scores.default_threshold,
        body=body,
        synopsis=synopsis,
        glm_family=family,
        priors=priors,
    )


def row_values(features: list[learn.Feature]) -> list[list[float]]:
    """Each row's predictor values, in the model's order: what a real server hashes to break a tie."""
    return [list(values) for values in zip(*(f.values for f in features), strict=True)] if features else []


def _priors(target: learn.Target, frame: Frame, values: dict[str, Any]) -> list[float]:
    """The share of each class among the training rows, weighted as the weights column says."""
    weights = frame.column(values.get("weights_column") or "")
    totals = [0.0] * target.nclasses
    for r, y in enumerate(target.y):
        w = weights.numbers[r] if weights is not None and weights.has_numbers else 1.0
        if not math.isnan(y) and not math.isnan(w):
            totals[int(y)] += w
    whole = fsum(totals)
    return [t / whole if whole else 0.0 for t in totals]


def fit_rows(algo: str, values: dict[str, Any], frame: Frame, names: list[str], budget: learn.Budget) -> int:
    """How many rows of ``frame`` a build of these parameters on the predictors ``names`` is fitted on."""
    response_col = frame.column(values.get("response_column") or "")
    if response_col is None:
        return frame.rows
    family = glm_family(values, response_col) if algo == "glm" else None
    return _row_limits(algo, values, frame, names, learn.target_of(response_col), family, budget)[0]


def _row_limits(
    algo: str,
    values: dict[str, Any],
    frame: Frame,
    names: list[str],
    target: learn.Target,
    family: str | None,
    budget: learn.Budget,
) -> tuple[int, int]:
    """(rows the learner may fit on, rows the model's metrics are scored on) within the budget.

    Fewer rows are fitted as the design widens or classes multiply. The training and validation metrics are scored
    on at most SCORED_VALUES (rows x classes x columns), and a tree ensemble's on the rows all its trees can be
    applied to, tree by tree, in the budget's other half (shared by the sample's history, the validation frame's and
    the metrics' rows).
    """
    features = learn.features_of(Frame(frame.name, [c.take([]) for c in frame.columns]), names)
    if algo == "glm":
        # the fit solves once per class of a multinomial family; the metrics score a column per class of the response
        scored_classes = target.nclasses if target.category == "Multinomial" or family == "multinomial" else 1
        width, _ = learn.glm_width(features, 1, budget)
        fitted = learn.glm_rows(features, target.nclasses if family == "multinomial" else 1, budget)
        return fitted, max(learn.MIN_FIT_ROWS, learn.SCORED_VALUES // (scored_classes * (width + 1)))
    classes = target.nclasses if target.category == "Multinomial" else 1
    params = tree_params(algo, values)
    applied = learn.tree_scored_rows(classes, params, budget)
    scored = max(learn.MIN_FIT_ROWS, min(applied // 3, learn.SCORED_VALUES // (classes * (len(names) + 1))))
    return learn.tree_rows(len(features), classes, params, budget), scored


def _take_target(target: learn.Target, frame: Frame, sample: Frame) -> list[float]:
    if sample is frame:
        return list(target.y)
    step = frame.rows / sample.rows
    return [target.y[int(i * step)] for i in range(sample.rows)]


def _glm_extra(fitted: learn.LinearModel, target: learn.Target, predictions: list[list[float]]) -> JSONDict:
    rows = [(y, p) for y, p in zip(target.y, predictions, strict=True) if not math.isnan(y)]
    n = len(rows)
    if fitted.family == "gaussian" or target.category == "Regression":
        mean = fsum([y for y, _ in rows]) / max(1, n)
        residual = fsum([square(y - p[0]) for y, p in rows])
        null = fsum([square(y - mean) for y, _ in rows])
    else:
        counts = [sum(1 for y, _ in rows if int(y) == j) / max(1, n) for j in range(target.nclasses)]
        residual = -2 * fsum([math.log(max(1e-15, p[int(y)])) for y, p in rows])
        null = -2 * fsum([math.log(max(1e-15, counts[int(y)])) for y, _ in rows])
    k = len(fitted.names) + 1
    return {
        "residual_deviance": residual,
        "null_deviance": null,
        "AIC": residual + 2 * k,
        "loglikelihood": -residual / 2,
        "null_degrees_of_freedom": max(0, n - 1),
        "residual_degrees_of_freedom": max(0, n - k),
    }


def _input_frames_table(frame: Frame, checksum: int) -> JSONDict:
    return two_dim_table(
        "Input Frames Information",
        "",
        [
            ("", "string", "%s", ""),
            ("input_frame", "string", "%s", "input_frame"),
            ("checksum", "long", "%d", "checksum"),
            ("espc", "string", "%s", "espc"),
        ],
        [["", "training_frame", checksum, f"[0, {frame.rows}]"]],
    )


def _importance_table(pairs: list[tuple[str, float]]) -> JSONDict:
    pairs = sorted(pairs, key=lambda p: -p[1])
    top = max((v for _, v in pairs), default=0.0) or 1.0
    total = fsum([v for _, v in pairs]) or 1.0
    return two_dim_table(
        "Variable Importances",
        "",
        [
            ("variable", "string", "%s", "Variable"),
            ("relative_importance", "double", "%5f", "Relative Importance"),
            ("scaled_importance", "double", "%5f", "Scaled Importance"),
            ("percentage", "double", "%5f", "Percentage"),
        ],
        [[n, v, v / top, v / total] for n, v in pairs],
    )


def _stamp(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class _HistoryTies:
    """What the scoring history breaks a tie between classes with: the class shares and each frame's row values."""

    priors: list[float] | None
    training: list[list[float]]
    validation: list[list[float]]


def _tree_output(
    algo: str,
    fitted: learn.TreeModel,
    target: learn.Target,
    history: list[tuple[int, list[list[float]]]],
    sample_target: learn.Target,
    times: BuildTimes,
    validation: tuple[list[float], list[list[list[float]]]] | None = None,
    ties: _HistoryTies | None = None,
) -> JSONDict:
    ties = ties or _HistoryTies(None, [], [])
    trees = [t for round_ in fitted.trees for t in round_]
    depths = [t.depth for t in trees] or [0]
    leaves = [t.leaves for t in trees] or [0]
    summary = two_dim_table(
        "Model Summary",
        "",
        [
            ("", "string", "%s", ""),
            ("number_of_trees", "long", "%d", "Number of Trees"),
            ("number_of_internal_trees", "long", "%d", "Number of Internal Trees"),
            ("model_size_in_bytes", "long", "%d", "Model Size in Bytes"),
            ("min_depth", "long", "%d", "Min. Depth"),
            ("max_depth", "long", "%d", "Max. Depth"),
            ("mean_depth", "double", "%.5f", "Mean Depth"),
            ("min_leaves", "long", "%d", "Min. Leaves"),
            ("max_leaves", "long", "%d", "Max. Leaves"),
            ("mean_leaves", "double", "%.5f", "Mean Leaves"),
        ],
        [
            [
                "",
                len(fitted.trees),
                len(trees),
                sum(len(t.value) for t in trees) * 12 + 64 if trees else 0,
                min(depths),
                max(depths),
                sum(depths) / len(depths),
                min(leaves),
                max(leaves),
                sum(leaves) / len(leaves),
            ]
        ],
    )
    columns: list[tuple[str, str, str, str]] = [
        ("", "string", "%s", ""),
        ("timestamp", "string", "%s", "Timestamp"),
        ("duration", "string", "%s", "Duration"),
        ("number_of_trees", "long", "%d", "Number of Trees"),
        *_history_columns(target.category, "training", "Training"),
    ]
    if validation is not None:
        columns += _history_columns(target.category, "validation", "Validation")
    rows = []
    span = max(1, times.end - times.start)
    last = max(1, history[-1][0]) if history else 1
    for i, (step, preds) in enumerate(history):
        ms = times.start + span * step // last
        row: list[Any] = ["", _stamp(ms), f"{(ms - times.start) / 1000:6.3f} sec", step]
        # a real DRF scores out-of-bag rows: before its first tree there are none, and the row is NaN
        scored_y, scored_preds = ([], []) if algo == "drf" and step == 0 else (sample_target.y, preds)
        # the training rows are hashed for a tie only before the first tree (as for the training metrics)
        training_rows = ties.training if step == 0 else None
        row += _history_values(
            score(target.category, scored_y, scored_preds, target.domain, priors=ties.priors, rows=training_rows)
        )
        if validation is not None:
            row += _history_values(
                score(
                    target.category,
                    validation[0],
                    validation[1][i],
                    target.domain,
                    priors=ties.priors,
                    rows=ties.validation,
                )
            )
        rows.append(row)
    out: JSONDict = {
        "model_summary": summary,
        "scoring_history": two_dim_table("Scoring History", "", columns, rows),
        # no tree, no importances: a real server leaves the table out
        "variable_importances": _importance_table(list(zip(fitted.features, fitted.importance, strict=True)))
        if trees
        else None,
    }
    if algo == "gbm":
        out["init_f"] = fitted.init[0] if len(fitted.init) == 1 else 0.0
    else:
        out["init_f"] = 0.0
    return out


def _history_columns(category: str, prefix: str, title: str) -> list[tuple[str, str, str, str]]:
    columns = [(f"{prefix}_rmse", "double", "%.5f", f"{title} RMSE")]
    if category == "Regression":
        mae = (f"{prefix}_mae", "double", "%.5f", f"{title} MAE")
        return [*columns, mae, (f"{prefix}_deviance", "double", "%.5f", f"{title} Deviance")]
    columns.append((f"{prefix}_logloss", "double", "%.5f", f"{title} LogLoss"))
    if category == "Binomial":
        columns += [
            (f"{prefix}_auc", "double", "%.5f", f"{title} AUC"),
            (f"{prefix}_pr_auc", "double", "%.5f", f"{title} pr_auc"),
            (f"{prefix}_lift", "double", "%.5f", f"{title} Lift"),
        ]
    columns.append((f"{prefix}_classification_error", "double", "%.5f", f"{title} Classification Error"))
    if category == "Multinomial":  # (NaN unless a multinomial AUC is asked for, which the mock does not compute)
        columns += [
            (f"{prefix}_auc", "double", "%.5f", f"{title} AUC"),
            (f"{prefix}_pr_auc", "double", "%.5f", f"{title} pr_auc"),
        ]
    return columns


def _history_values(s: Scores) -> list[float]:
    if s.category == "Regression":
        return [s.rmse, s.mae, s.mse]
    values = [s.rmse, s.logloss]
    if s.category == "Binomial":
        values += [s.auc, s.pr_auc, s.lift_top_group]
    values.append(s.classification_error)
    return [*values, math.nan, math.nan] if s.category == "Multinomial" else values


def _response_on(frame: Frame, response: str, target: learn.Target) -> list[float] | None:
    """The response of another frame coded as the training target is, or None when it lacks a usable one."""
    col = frame.column(response)
    if col is None or not col.has_numbers:
        return None
    if target.domain is not None:
        index = {level: float(j) for j, level in enumerate(target.domain)}
        return [index.get(col.label(r) or "", math.nan) for r in range(col.rows)]
    return list(col.numbers)


def _glm_output(fitted: learn.LinearModel, frame_name: str, scores: Scores, times: BuildTimes) -> JSONDict:
    coefs = fitted.coefficients()
    link = {"binomial": "logit", "multinomial": "multinomial", "gaussian": "identity"}.get(fitted.family, "log")
    magnitudes = sorted(((n, abs(s), "POS" if s >= 0 else "NEG") for n, _, s in coefs[1:]), key=lambda t: -t[1])
    summary = two_dim_table(
        "GLM Model",
        "",
        [
            ("", "string", "%s", ""),
            ("family", "string", "%s", "Family"),
            ("link", "string", "%s", "Link"),
            ("regularization", "string", "%s", "Regularization"),
            ("number_of_predictors_total", "int", "%d", "Number of Predictors Total"),
            ("number_of_active_predictors", "int", "%d", "Number of Active Predictors"),
            ("number_of_iterations", "int", "%d", "Number of Iterations"),
            ("training_frame", "string", "%s", "Training Frame"),
        ],
        [
            [
                "",
                fitted.family,
                link,
                "Ridge ( lambda = 0.001 )",
                len(fitted.names),
                sum(1 for _, c, _ in coefs[1:] if c != 0),
                fitted.iterations,
                frame_name,
            ]
        ],
    )
    history_rows = [
        ["", _stamp(times.start), f"{i * 0.001:6.3f} sec", i, d * scores.nobs / 2, d / 2]
        for i, d in enumerate(fitted.deviance_path)
    ]
    return {
        "model_summary": summary,
        "scoring_history": two_dim_table(
            "Scoring History",
            "",
            [
                ("", "string", "%s", ""),
                ("timestamp", "string", "%s", "Timestamp"),
                ("duration", "string", "%s", "Duration"),
                ("iterations", "int", "%d", "Iterations"),
                ("negative_log_likelihood", "double", "%.5f", "Negative Log Likelihood"),
                ("objective", "double", "%.5f", "Objective"),
            ],
            history_rows,
        ),
        "coefficients_table": two_dim_table(
            "Coefficients",
            "",
            [
                ("names", "string", "%s", "names"),
                ("coefficients", "double", "%5f", "coefficients"),
                ("standardized_coefficients", "double", "%5f", "standardized_coefficients"),
            ],
            [[n, c, s] for n, c, s in coefs],
        ),
        "standardized_coefficient_magnitudes": two_dim_table(
            "Standardized Coefficient Magnitudes",
            "standardized coefficient magnitudes",
            [
                ("names", "string", "%s", "names"),
                ("coefficients", "double", "%5f", "coefficients"),
                ("sign", "string", "%s", "sign"),
            ],
            [list(m) for m in magnitudes],
        ),
        "variable_importances": _importance_table([(n, v) for n, v, _ in magnitudes]),
        "lambda_best": 1e-3,
        "alpha_best": 0.0,
        "best_submodel_index": 0,
        "lambda_1se": -1.0,
        "lambda_min": -1.0,
        "lambda_max": -1.0,
        "dispersion": 1.0,
        "coefficient_names": [n for n, _, _ in coefs[1:]] + ["Intercept"],
        "all_constraints_satisfied": True,
    }


# ---------------------------------------------------------------- prediction


def predict_frame(model: Model, frame: Frame, dest: str) -> Frame:
    """The predictions frame: ``predict`` plus one probability column per class for classification."""
    features = learn.features_of(frame, model.predictors, model.domains)
    return prediction_frame(model, model.fitted.predict(features), dest, features)


def predict_with_metrics(model: Model, frame: Frame, dest: str, scoring_time: int) -> tuple[Frame, JSONDict | None]:
    """The predictions frame and the model's metrics on ``frame`` (``/3/Predictions``), from one scoring of its rows."""
    features = learn.features_of(frame, model.predictors, model.domains)
    predictions = model.fitted.predict(features)
    return prediction_frame(model, predictions, dest, features), model_metrics(model, frame, scoring_time, predictions)


def prediction_frame(
    model: Model, predictions: list[list[float]], dest: str, features: list[learn.Feature] | None = None
) -> Frame:
    """A predictions frame from the learner's raw predictions (a value, or class probabilities, per row).

    With the rows' ``features``, a tie between the most likely classes is broken as a real server breaks it.
    """
    if model.category == "Regression":
        return Frame(dest, [Column("predict", "real", numbers=[p[0] for p in predictions])])
    domain = model.response_domain or []
    if model.category == "Binomial":
        labels = [1.0 if p[1] >= model.default_threshold else 0.0 for p in predictions]
    elif features is not None:
        labels = [
            float(tiebreak.label(p, model.priors, [f.values[r] for f in features])) for r, p in enumerate(predictions)
        ]
    else:
        labels = [float(max(range(len(p)), key=p.__getitem__)) for p in predictions]
    columns = [Column("predict", "enum", numbers=labels, domain=list(domain))]
    for j, level in enumerate(domain):
        columns.append(Column(level, "real", numbers=[p[j] for p in predictions]))
    return Frame(dest, columns)


def scored_metrics(
    fitted: Any,
    target: learn.Target,
    names: list[str],
    domains: list[list[str] | None],
    response: str,
    frame: Frame,
    model_id: str,
    checksum: int,
    scoring_time: int,
    algo: str,
    description: str | None = None,
    predictions: list[list[float]] | None = None,
    priors: list[float] | None = None,
) -> JSONDict | None:
    """Metrics of a model on another frame, or None when that frame lacks a usable response column; ``predictions``:
    the model's on ``frame`` when they are already known; ``priors``: the training rows' class shares."""
    y = _response_on(frame, response, target)
    if y is None:
        return None
    features = learn.features_of(frame, names, domains)
    if predictions is None:
        predictions = fitted.predict(features)
    scores = score(target.category, y, predictions, target.domain, priors=priors, rows=row_values(features))
    extra = _glm_extra(fitted, learn.Target(target.category, y, target.domain), predictions) if algo == "glm" else None
    return metrics_json(
        scores,
        model=model_id,
        model_checksum=checksum,
        frame=frame.name,
        frame_checksum=frame.checksum(),
        scoring_time=scoring_time,
        glm=algo == "glm",
        glm_extra=extra,
        description=description,
    )


def model_metrics(
    model: Model, frame: Frame, scoring_time: int, predictions: list[list[float]] | None = None
) -> JSONDict | None:
    """Metrics of a stored model on a frame (``/3/Predictions`` and ``/3/ModelMetrics``), scored unless
    ``predictions`` are given."""
    target = learn.Target(model.category, [], model.response_domain)
    return scored_metrics(
        model.fitted,
        target,
        model.predictors,
        model.domains,
        model.response,
        frame,
        model.id,
        model.checksum,
        scoring_time,
        model.algo,
        predictions=predictions,
        priors=model.priors,
    )
