"""The SDK calls beyond the seed that read what the hand-written state holds: project updates, dataset
listings and profiles, downloads, and the models experiments trained (the rest is generic, see ``generic``)."""

from __future__ import annotations

import csv
import io
import math

from h2oharness.apis.coreplexml.mockparts import params
from h2oharness.apis.coreplexml.mockparts.handlers_data import (
    _dataset,
    _project,
    column_body,
    page,
    project_body,
)
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState, Experiment, PlannedModel
from h2oharness.apis.coreplexml.mockparts.wire import Call, JSONDict, Reply, not_found

#: the smallest PDF readers open: a report's download while the mock renders no content
EMPTY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
    b"trailer<</Root 1 0 R>>\n%%EOF\n"  # fmt: skip


def update_project(state: CorePlexMLMockState, call: Call) -> Reply:
    """``PUT /api/projects/{project_id}``: ``name`` is required, as the SDK's docstring says."""
    project = _project(state, call.path_params["project_id"])
    body = call.json()
    name = params.required_str(body, "name", max_length=200)
    description = params.checked_str(body["description"], "description") if "description" in body else None
    with state.lock:
        project.name = name
        if description is not None:
            project.description = description
        project.updated_at = state.iso()
    return Reply(project_body(project))


def list_datasets(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets``: newest first, optionally of one project."""
    limit, offset = page(call)
    project_id = params.str_query(call, "project_id")
    with state.lock:
        found = [d for d in state.datasets.values() if project_id is None or d.project_id == project_id]
    found.sort(key=lambda d: d.created_at, reverse=True)
    items = [
        {
            "id": d.id,
            "project_id": d.project_id,
            "name": d.name,
            "description": d.description,
            "created_at": d.created_at,
            "latest_version_id": d.versions[-1].id,
            "version_count": len(d.versions),
            "row_count": d.versions[-1].row_count,
            "column_count": len(d.versions[-1].columns),
        }
        for d in found[offset : offset + limit]
    ]
    return Reply({"items": items, "total": len(found), "limit": limit, "offset": offset})


def dataset_columns(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}/columns``: the latest version's column profiles."""
    version = _dataset(state, call.path_params["dataset_id"]).versions[-1]
    return Reply({"columns": [column_body(c) for c in version.columns]})


def dataset_analyze(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}/analyze``: row and column counts with the column profiles."""
    dataset = _dataset(state, call.path_params["dataset_id"])
    version = dataset.versions[-1]
    return Reply(
        {
            "dataset_id": dataset.id,
            "row_count": version.row_count,
            "column_count": len(version.columns),
            "columns": [column_body(c) for c in version.columns],
        }
    )


def dataset_quality(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}/quality``: the share of present cells, and each column with gaps."""
    dataset = _dataset(state, call.path_params["dataset_id"])
    version = dataset.versions[-1]
    cells = max(1, version.row_count * len(version.columns))
    missing = sum(c.missing for c in version.columns)
    issues = [{"column": c.name, "kind": "missing_values", "count": c.missing} for c in version.columns if c.missing]
    rows = version.row_count
    issues += [{"column": c.name, "kind": "constant", "count": rows} for c in version.columns if c.unique <= 1]
    return Reply({"dataset_id": dataset.id, "score": round(1.0 - missing / cells, 4), "issues": issues})


def dataset_download(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}/download``: the latest version as CSV (its header; rows are not kept)."""
    version = _dataset(state, call.path_params["dataset_id"]).versions[-1]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([c.name for c in version.columns])
    return Reply(None, content=out.getvalue().encode(), media_type="text/csv")


def report_download(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/reports/{report_id}/download``: an empty PDF for a report the generic layer holds."""
    from h2oharness.apis.coreplexml.mockparts.generic import resources

    report_id = call.path_params["report_id"]
    held = resources(state).collections.get("/api/reports", {})
    if report_id not in held:
        raise not_found("Report")
    return Reply(None, content=EMPTY_PDF, media_type="application/pdf")


def _model_body(experiment: Experiment, model: PlannedModel, state: CorePlexMLMockState) -> JSONDict:
    return {
        "id": model.id,
        "name": model.name,
        "experiment_id": experiment.id,
        "project_id": experiment.project_id,
        "algorithm": model.algo,
        "algo": model.algo,
        "metrics": {k: v for k, v in model.metrics.items() if math.isfinite(v)},
        "created_at": experiment.created_at,
    }


def _models(state: CorePlexMLMockState) -> list[tuple[Experiment, PlannedModel]]:
    now = state.clock.now()
    with state.lock:
        return [(e, m) for e in state.experiments.values() for m in e.models(now)]


def list_models(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/models``: the models experiments trained so far, optionally of one project or experiment."""
    limit, offset = page(call)
    project_id, experiment_id = params.str_query(call, "project_id"), params.str_query(call, "experiment_id")
    found = [
        (e, m)
        for e, m in _models(state)
        if (project_id is None or e.project_id == project_id) and (experiment_id is None or e.id == experiment_id)
    ]
    items = [_model_body(e, m, state) for e, m in found[offset : offset + limit]]
    return Reply({"items": items, "total": len(found), "limit": limit, "offset": offset})


def _model(state: CorePlexMLMockState, model_id: str) -> tuple[Experiment, PlannedModel]:
    found = next(((e, m) for e, m in _models(state) if m.id == model_id), None)
    if found is None:
        raise not_found("Model")
    return found


def get_model(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/models/{model_id}``: a model an experiment trained."""
    return Reply(_model_body(*_model(state, call.path_params["model_id"]), state))


def get_model_parameters(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/models/{model_id}/parameters``: the model's id and its parameters, none (the mock trains nothing,
    so it knows no hyperparameters; the generic placeholder answered an empty model_id)."""
    _, model = _model(state, call.path_params["model_id"])
    return Reply({"model_id": model.id, "parameters": {}})


def delete_model(state: CorePlexMLMockState, call: Call) -> Reply:
    """``DELETE /api/models/{model_id}``: off its experiment's leaderboard and every read (its best falls back)."""
    experiment, model = _model(state, call.path_params["model_id"])
    with state.lock:
        experiment.deleted.add(model.id)
    return Reply({"ok": True})


def explain_model(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/models/{model_id}/explain``: the model's variable importances, the same ones the experiment's
    explain shows, most important first (none for a StackedEnsemble, as there)."""
    experiment, model = _model(state, call.path_params["model_id"])
    pairs = [] if model.algo == "StackedEnsemble" else list(zip(experiment.features, model.varimp, strict=False))
    pairs.sort(key=lambda pair: -pair[1])
    return Reply({"model_id": model.id, "feature_importance": [{"feature": f, "importance": v} for f, v in pairs]})


def project_timeline(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/projects/{project_id}/timeline``: what happened in the project, newest first: its creation, each
    dataset version uploaded, each experiment created (what the mock holds; deleted objects leave no event)."""
    project = _project(state, call.path_params["project_id"])
    with state.lock:
        events: list[JSONDict] = [
            {"id": f"project:{project.id}", "kind": "project_created", "message": f"Project {project.name!r} created",
             "created_at": project.created_at}
        ]  # fmt: skip
        for dataset in [d for d in state.datasets.values() if d.project_id == project.id]:
            events += [
                {"id": f"dataset_version:{v.id}", "kind": "dataset_uploaded", "created_at": v.created_at,
                 "message": f"Dataset {dataset.name!r} version {v.version} uploaded ({v.row_count} rows)"}
                for v in dataset.versions
            ]  # fmt: skip
        events += [
            {"id": f"experiment:{e.id}", "kind": "experiment_created", "message": f"Experiment {e.name!r} created",
             "created_at": e.created_at}
            for e in state.experiments.values()
            if e.project_id == project.id
        ]  # fmt: skip
    # stable: events made at the same moment keep the order they were made in, reversed
    events.reverse()
    events.sort(key=lambda event: str(event["created_at"]), reverse=True)
    return Reply({"events": events})
