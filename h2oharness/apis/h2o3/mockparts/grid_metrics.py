"""The metric a grid ranks its models by: each ``sort_by`` name a real server accepts, read from a model's metrics."""

from __future__ import annotations

import math
from typing import Any

from h2oharness.apis.h2o3.mockparts.state import Model
from h2oharness.apis.h2o3.mockparts.wire import JSONDict

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


def ranking_metrics(model: Model) -> JSONDict:
    """The metrics a grid ranks a model by: cross-validation, else validation, else training."""
    output = model.body["output"]
    for part in ("cross_validation_metrics", "validation_metrics", "training_metrics"):
        if output.get(part):
            return dict(output[part])
    return {}


def table_value(table: JSONDict | None, row_name: str, column: str) -> float:
    """A table's value in the row named ``row_name`` and the column named ``column`` (NaN without one)."""
    if not table:
        return math.nan
    names = [c["name"] for c in table["columns"]]
    rows = list(zip(*table["data"], strict=True)) if table["data"] else []
    for row in rows:
        if row and row[0] == row_name and column in names:
            return number(row[names.index(column)])
    return math.nan


def first_value(table: JSONDict | None, column: str) -> float:
    """A table's value in its first row (a gains/lift table's top group)."""
    if not table or not table.get("data"):
        return math.nan
    names = [c["name"] for c in table["columns"]]
    if column not in names or not table["data"][names.index(column)]:
        return math.nan
    return number(table["data"][names.index(column)][0])


def number(value: Any) -> float:
    """A metric's value as a float; NaN where it is not a number."""
    return float(value) if isinstance(value, int | float) else math.nan


def confusion_error(metrics: JSONDict) -> tuple[float, float]:
    """(error rate, errors) of the confusion matrix's total row."""
    table = (metrics.get("cm") or {}).get("table")
    if not table or not table["data"]:
        return math.nan, math.nan
    rate = number(table["data"][-2][-1])
    return rate, rate * number(metrics.get("nobs"))


def metric(model: Model, name: str) -> float:
    """A model's value of a sort_by metric (NaN where the mock does not compute it)."""
    metrics = ranking_metrics(model)
    name = name.lower()
    if name in METRIC_FIELDS:
        return number(metrics.get(METRIC_FIELDS[name]))
    if name in MAX_CRITERIA:
        return table_value(metrics.get("max_criteria_and_metric_scores"), MAX_CRITERIA[name], "value")
    if name in ("err", "err_count"):
        return confusion_error(metrics)[0 if name == "err" else 1]
    if name == "max_per_class_error":
        return 1 - table_value(metrics.get("max_criteria_and_metric_scores"), "max min_per_class_accuracy", "value")
    if name == "lift_top_group":
        return first_value(metrics.get("gains_lift_table"), "lift")
    return math.nan
