"""Cross-validation of a mock model (``nfolds`` > 1): fold models, holdout predictions, metrics and their summary.

As a real server does, the main model is fitted on all rows and ``nfolds`` more
models each on all rows but one fold; their predictions on the rows they did not
see are scored together (``cross_validation_metrics``) and fold by fold (the
``Cross-Validation Metrics Summary``). Fold models and frames are published with
the main model (``Model.companions``) when the ``keep_cross_validation_*`` flags say so.

The fold models share one ``learn.Budget`` between them, and each is fitted on at
most the rows its share allows, so that cross-validation costs about one more model
however many folds are asked for (``MAX_FOLD_MODELS`` at most).
"""

from __future__ import annotations

import math
import random
from typing import Any

from h2oharness.apis.h2o3.mockparts import learn, training
from h2oharness.apis.h2o3.mockparts.doubles import fsum, stdev
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.metrics import Scores, metrics_json, score
from h2oharness.apis.h2o3.mockparts.state import Model
from h2oharness.apis.h2o3.mockparts.wire import key, two_dim_table

COMBINED = "(Metrics computed for combined holdout predictions)"
#: fold models the mock fits at most: nfolds may be as large as the frame's rows, and each fold model has a cost
#: that the budget does not count (its frames, their rollups and checksums), in proportion to the frame's width
MAX_FOLD_MODELS = 100
#: fold models times the frame's columns, at most
MAX_FOLD_COLUMNS = 20_000


def too_many_folds(nfolds: int, columns: int) -> str:
    """The failure of a build asking for more fold models than the mock fits, or '' when it asks for few enough."""
    most = max(2, min(MAX_FOLD_MODELS, MAX_FOLD_COLUMNS // max(1, columns)))
    if nfolds <= most:
        return ""
    return (
        f"java.lang.IllegalArgumentException: the mock fits at most {most} cross-validation models on a frame of "
        f"{columns} columns (nfolds={nfolds}) (h2oharness mock)"
    )


def folds_of(values: dict[str, Any], rows: int, nfolds: int) -> list[int]:
    """The fold of each row: Modulo as row % nfolds, anything else drawn from the seed."""
    if str(values.get("fold_assignment") or "AUTO").lower() == "modulo":
        return [r % nfolds for r in range(rows)]
    seed = int(values.get("seed", -1))
    rng = random.Random(seed if seed != -1 else 1234)
    return [rng.randrange(nfolds) for _ in range(rows)]


def _subset(frame: Frame, rows: list[int], name: str) -> Frame:
    return Frame(name, [c.take(rows) for c in frame.columns])


def cross_validate(
    algo: str,
    values: dict[str, Any],
    given: dict[str, Any],
    frame: Frame,
    model: Model,
    times: training.BuildTimes,
    *,
    max_rows: int,
    max_trees: int,
) -> None:
    """Fit the fold models of ``model`` and add the cross-validation outputs to its ModelV3 (in place)."""
    nfolds = int(values["nfolds"])
    folds = folds_of(values, frame.rows, nfolds)
    fold_values = {**values, "nfolds": 0}
    fold_models: list[Model] = []
    fold_scores: list[Scores] = []
    holdout: list[list[float]] = [[] for _ in range(frame.rows)]
    per_fold: list[list[list[float]]] = []
    target = learn.target_of(frame.column(model.response))  # type: ignore[arg-type]
    keep_predictions = bool(values.get("keep_cross_validation_predictions", False))
    budget = learn.Budget().share(nfolds)
    members: list[list[int]] = [[] for _ in range(nfolds)]
    for r, fold in enumerate(folds):
        members[fold].append(r)
    # the rows a fold model may be fitted on within its share, picked before the fold's frame is made
    limit = min(max_rows, training.fit_rows(algo, fold_values, frame, model.predictors, budget))
    for k in range(nfolds):
        outside = members[k]
        inside = learn.spread([r for r in range(frame.rows) if folds[r] != k], limit)
        fold_id = f"{model.id}_cv_{k + 1}"
        fold_values["model_id"] = fold_id
        held = _subset(frame, outside, frame.name)
        fitted = training.train(
            algo, fold_values, given, _subset(frame, inside, frame.name), fold_id, times,
            max_rows=max_rows, max_trees=max_trees, validation=held, budget=learn.Budget(budget.limit),
            names=model.predictors,
        )  # fmt: skip
        fold_models.append(fitted)
        held_features = learn.features_of(held, fitted.predictors, fitted.domains)
        held_predictions = fitted.fitted.predict(held_features)
        # a value per row for regression, else a probability per class (also for a fold that drew no rows)
        width = 1 if model.category == "Regression" else len(model.response_domain or [])
        for r, p in zip(outside, held_predictions, strict=True):
            holdout[r] = p
        if keep_predictions:
            fold_rows = [[0.0] * width for _ in range(frame.rows)]
            for r, p in zip(outside, held_predictions, strict=True):
                fold_rows[r] = p
            per_fold.append(fold_rows)
        held_y = [target.y[r] for r in outside]
        held_rows = training.row_values(held_features)
        fold_scores.append(
            score(target.category, held_y, held_predictions, target.domain, priors=fitted.priors, rows=held_rows)
        )
    # a tie is broken by the row (as each fold model breaks it) but with the main model's class shares
    all_rows = training.row_values(learn.features_of(frame, model.predictors, model.domains))
    combined = score(target.category, target.y, holdout, target.domain, priors=model.priors, rows=all_rows)
    output = model.body["output"]
    output["cross_validation_metrics"] = metrics_json(
        combined,
        model=model.id,
        model_checksum=model.checksum,
        frame=frame.name,
        frame_checksum=frame.checksum(),
        scoring_time=times.end,
        glm=algo == "glm",
        description=f"{nfolds}-fold cross-validation on training data {COMBINED}",
    )
    output["cross_validation_metrics_summary"] = summary_table(fold_scores)
    output["cv_scoring_history"] = [m.body["output"].get("scoring_history") for m in fold_models]
    keep_models = values.get("keep_cross_validation_models", True) is not False
    keep_folds = bool(values.get("keep_cross_validation_fold_assignment", False))
    output["cross_validation_models"] = [key(m.id, "Model") for m in fold_models] if keep_models else None
    companions: list[Frame | Model] = list(fold_models) if keep_models else []
    if keep_predictions:
        holdout_name = f"cv_holdout_prediction_{model.id}"
        fold_names = [f"prediction_{m.id}" for m in fold_models]
        companions.append(training.prediction_frame(model, holdout, holdout_name))
        companions.extend(training.prediction_frame(model, p, n) for p, n in zip(per_fold, fold_names, strict=True))
        output["cross_validation_holdout_predictions_frame_id"] = key(holdout_name, "Frame")
        output["cross_validation_predictions"] = [key(n, "Frame") for n in fold_names]
    if keep_folds:
        fold_name = f"cv_fold_assignment_{model.id}"
        companions.append(Frame(fold_name, [Column("fold_assignment", "int", numbers=[float(f) for f in folds])]))
        output["cross_validation_fold_assignment_frame_id"] = key(fold_name, "Frame")
    model.companions = companions


def _binomial_row(s: Scores) -> dict[str, float]:
    # a fold that drew no rows has no confusion matrix
    (tn, fp), (fn, tp) = s.confusion or ((0, 0), (0, 0))
    n = max(1, tn + fp + fn + tp)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0

    def f_beta(beta: float) -> float:
        den = beta * beta * precision + recall
        return (1 + beta * beta) * precision * recall / den if den else 0.0

    mcc_den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "accuracy": (tp + tn) / n, "aic": math.nan, "auc": s.auc, "err": (fp + fn) / n, "err_count": float(fp + fn),
        "f0point5": f_beta(0.5), "f1": f_beta(1.0), "f2": f_beta(2.0), "lift_top_group": s.lift_top_group,
        "loglikelihood": math.nan,
        "logloss": s.logloss, "max_per_class_error": max(1 - recall, 1 - specificity),
        "mcc": (tp * tn - fp * fn) / mcc_den if mcc_den else 0.0,
        "mean_per_class_accuracy": 1 - s.mean_per_class_error, "mean_per_class_error": s.mean_per_class_error,
        "mse": s.mse, "pr_auc": s.pr_auc, "precision": precision, "r2": s.r2, "recall": recall, "rmse": s.rmse,
        "specificity": specificity,
    }  # fmt: skip


def _row(s: Scores) -> dict[str, float]:
    if s.category == "Binomial":
        return _binomial_row(s)
    if s.category == "Regression":
        return {
            "mae": s.mae, "mean_residual_deviance": s.mse, "mse": s.mse, "r2": s.r2,
            "residual_deviance": s.mse * s.nobs, "rmse": s.rmse, "rmsle": s.rmsle,
        }  # fmt: skip
    return {
        "accuracy": 1 - s.classification_error, "err": s.classification_error,
        "err_count": round(s.classification_error * s.nobs) if s.nobs else 0, "logloss": s.logloss,
        "mean_per_class_accuracy": 1 - s.mean_per_class_error, "mean_per_class_error": s.mean_per_class_error,
        "mse": s.mse, "r2": s.r2, "rmse": s.rmse,
    }  # fmt: skip


def summary_table(fold_scores: list[Scores]) -> dict[str, Any]:
    """The Cross-Validation Metrics Summary: one row per metric, its mean and sd over folds, then each fold."""
    rows_by_fold = [_row(s) for s in fold_scores]
    names = sorted(rows_by_fold[0]) if rows_by_fold else []
    columns = [("", "string", "%s", ""), ("mean", "float", "%f", "mean"), ("sd", "float", "%f", "sd")]
    columns += [(f"cv_{k + 1}_valid", "float", "%f", f"cv_{k + 1}_valid") for k in range(len(fold_scores))]
    rows = []
    for name in names:
        values = [float(r[name]) for r in rows_by_fold]
        finite = [v for v in values if not math.isnan(v)]
        mean = fsum(finite) / len(finite) if finite else math.nan
        sd = stdev(finite) if len(finite) > 1 else math.nan
        rows.append([name, mean, sd, *values])
    return two_dim_table("Cross-Validation Metrics Summary", "", columns, rows)
