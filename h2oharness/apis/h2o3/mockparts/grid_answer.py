"""A grid's answer, the GridSchemaV99: its finished models ranked, their metrics, summary and scoring history."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, metadata
from h2oharness.apis.h2o3.mockparts.grid_metrics import (
    DEFAULT_SORT,
    SORT_METRICS,
    confusion_error,
    first_value,
    metric,
    number,
)
from h2oharness.apis.h2o3.mockparts.grid_state import Grid
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, Model
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, key, precondition, two_dim_table

HISTORY_COLUMNS = {
    "Binomial": ("rmse", "logloss", "r2", "auc", "pr_auc", "lift", "classification_error"),
    "Multinomial": ("rmse", "logloss", "r2", "classification_error", "auc", "pr_auc"),
    "Regression": ("rmse", "deviance", "mae", "r2"),
}
HISTORY_TITLES = {
    "rmse": "RMSE", "logloss": "LogLoss", "r2": "r2", "auc": "AUC", "pr_auc": "pr_auc", "lift": "Lift",
    "classification_error": "Classification Error", "deviance": "Deviance", "mae": "MAE",
}  # fmt: skip


def _finished(state: H2O3MockState, job_id: str) -> bool:
    job = state.jobs.get(job_id)
    return job is None or job.phase(state.clock.now()).final


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
            "rmse": number(metrics.get("RMSE")),
            "logloss": number(metrics.get("logloss")),
            "r2": number(metrics.get("r2")),
            "auc": number(metrics.get("AUC")),
            "pr_auc": number(metrics.get("pr_auc")),
            "lift": first_value(metrics.get("gains_lift_table"), "lift"),
            "classification_error": confusion_error(metrics)[0],
            "deviance": number(metrics.get("mean_residual_deviance")),
            "mae": number(metrics.get("mae")),
        }
        end = int(m.body["output"].get("end_time") or 0)
        stamp = dt.datetime.fromtimestamp(end / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(["", stamp, f"{0:6.3f} sec", *[by_name[c] for c in wanted]])
    return two_dim_table("Scoring History", "", columns, rows)
