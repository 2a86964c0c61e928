"""Projects and datasets: what the ``coreplexml`` SDK needs before it can create an experiment."""

from __future__ import annotations

import csv
import io
import math
import statistics

from h2oharness.apis.coreplexml.mockparts import params
from h2oharness.apis.coreplexml.mockparts.privacy import pii_counts
from h2oharness.apis.coreplexml.mockparts.state import (
    LEVEL_CHARS,
    MAX_LEVELS,
    Column,
    CorePlexMLMockState,
    Dataset,
    DatasetVersion,
    Project,
)
from h2oharness.apis.coreplexml.mockparts.wire import (
    ApiError,
    Call,
    JSONDict,
    Reply,
    not_found,
    parse_multipart,
    unprocessable,
)

MISSING = {"", "na", "nan", "null", "none", "?"}


def project_body(project: Project) -> JSONDict:
    """A project as the API renders it."""
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "created_at": project.created_at,
        "updated_at": project.updated_at or project.created_at,
    }


def page(call: Call) -> tuple[int, int]:
    """``limit`` (1-500, default 50) and ``offset`` (>= 0, default 0) of a list call."""
    return params.int_query(call, "limit", 50, 1, 500), params.int_query(call, "offset", 0, 0)


def list_projects(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/projects``."""
    limit, offset = page(call)
    search = (params.str_query(call, "search") or "").lower()
    with state.lock:
        found = [p for p in state.projects.values() if search in p.name.lower()]
    found.sort(key=lambda p: p.created_at, reverse=True)
    items = [project_body(p) for p in found[offset : offset + limit]]
    return Reply({"items": items, "total": len(found), "limit": limit, "offset": offset})


def create_project(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/projects``: 201 with the project."""
    body = call.json()
    name = params.required_str(body, "name", max_length=200)
    description = params.checked_str(body["description"], "description") if "description" in body else ""
    project = Project(id=state.new_id(), name=name, description=description, created_at=state.iso())
    with state.lock:
        state.projects[project.id] = project
    return Reply(project_body(project), status=201)


def get_project(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/projects/{project_id}``."""
    return Reply(project_body(_project(state, call.path_params["project_id"])))


def delete_project(state: CorePlexMLMockState, call: Call) -> Reply:
    """``DELETE /api/projects/{project_id}``: the project with its datasets, experiments, members and deployments."""
    project = _project(state, call.path_params["project_id"])
    state.forget_project(project.id)
    return Reply({"ok": True})


def _project(state: CorePlexMLMockState, project_id: str) -> Project:
    with state.lock:
        project = state.projects.get(project_id)
    if project is None:
        raise not_found("Project")
    return project


class Unreadable(Exception):
    """Why an uploaded file cannot be profiled as a CSV table."""


def profile_csv(data: bytes) -> tuple[int, list[Column], str]:
    """Row count, column profiles and '' for a CSV with a header and rows; 0, [] and the reason for any other file."""
    try:
        rows, columns = _profile(data)
    except Unreadable as exc:
        return 0, [], str(exc)
    return rows, columns, ""


def _profile(data: bytes) -> tuple[int, list[Column]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Unreadable(f"the file is not a valid CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise Unreadable("the CSV needs a header line and at least one data row")
    header = [h.strip() for h in rows[0]]
    if any(not h for h in header) or len(set(header)) != len(header):
        raise Unreadable("the CSV header must name every column once")
    body = rows[1:]
    if any(len(r) != len(header) for r in body):
        bad = next(i for i, r in enumerate(body, start=2) if len(r) != len(header))
        raise Unreadable(f"line {bad} of the CSV has a different number of fields than its header")
    columns = []
    for index, name in enumerate(header):
        cells = [r[index].strip() for r in body]
        present = [c for c in cells if c.lower() not in MISSING]
        numbers = [_number(c) for c in present]
        numeric = bool(present) and all(n is not None for n in numbers)
        values = [n for n in numbers if n is not None]
        columns.append(
            Column(
                name=name,
                dtype="numeric" if numeric else "categorical",
                unique=len(set(present)),
                missing=len(cells) - len(present),
                minimum=min(values) if numeric else None,
                maximum=max(values) if numeric else None,
                std=statistics.pstdev(values) if numeric and len(values) > 1 else (0.0 if numeric else None),
                levels=_levels(present),
                pii=pii_counts(present, numeric, name),
            )
        )
    return len(body), columns


def _levels(present: list[str]) -> tuple[str, ...]:
    distinct = set(present)
    if len(distinct) > MAX_LEVELS:
        return ()
    return tuple(sorted({value[:LEVEL_CHARS] for value in distinct}))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def upload_dataset(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/datasets/upload`` (multipart: project_id, name, description, file): 201, a new dataset version.

    Uploading a name that the project already has adds a version to that dataset. Any file is stored (the
    contract's ``format: binary``); one that is not a CSV table gets no profile and a ``parse_error``.
    """
    if len(call.body) > state.max_upload_bytes:
        raise ApiError(413, f"the upload exceeds {state.max_upload_bytes} bytes")
    upload = parse_multipart(call.content_type, call.body)
    for field in ("project_id", "name"):
        if not upload.fields.get(field, "").strip():
            raise unprocessable("Field required", ("body", field), "missing")
    if "file" not in upload.files:
        raise unprocessable("Field required", ("body", "file"), "missing")
    filename, data = upload.files["file"]
    project = _project(state, upload.fields["project_id"].strip())
    rows, columns, problem = profile_csv(data)
    name = upload.fields["name"].strip()
    now = state.iso()
    with state.lock:
        dataset = next((d for d in state.datasets.values() if d.project_id == project.id and d.name == name), None)
        if dataset is None:
            dataset = Dataset(
                id=state.new_id(),
                project_id=project.id,
                name=name,
                description=upload.fields.get("description", ""),
                created_at=now,
            )
            state.datasets[dataset.id] = dataset
        version = DatasetVersion(
            id=state.new_id(),
            dataset_id=dataset.id,
            # the oldest versions may have gone (``trim``): numbers go on from the newest
            version=dataset.versions[-1].version + 1 if dataset.versions else 1,
            filename=filename or "upload.csv",
            size_bytes=len(data),
            row_count=rows,
            columns=columns,
            created_at=now,
            parse_error=problem,
        )
        dataset.versions.append(version)
        state.versions[version.id] = version
    return Reply(
        {
            "dataset_id": dataset.id,
            "dataset_version_id": version.id,
            "project_id": project.id,
            "name": dataset.name,
            "version": version.version,
            "filename": version.filename,
            "row_count": rows,
            "column_count": len(columns),
            "columns": [c.name for c in columns],
            "created_at": now,
            **({"parse_error": problem} if problem else {}),
        },
        status=201,
    )


def column_body(column: Column) -> JSONDict:
    """A column profile."""
    return {"name": column.name, "dtype": column.dtype, "unique_count": column.unique, "missing_count": column.missing}


def version_body(version: DatasetVersion) -> JSONDict:
    """A dataset version."""
    return {
        "id": version.id,
        "dataset_id": version.dataset_id,
        "version": version.version,
        "filename": version.filename,
        "size_bytes": version.size_bytes,
        "row_count": version.row_count,
        "column_count": len(version.columns),
        "columns": [column_body(c) for c in version.columns],
        "created_at": version.created_at,
        **({"parse_error": version.parse_error} if version.parse_error else {}),
    }


def _dataset(state: CorePlexMLMockState, dataset_id: str) -> Dataset:
    with state.lock:
        dataset = state.datasets.get(dataset_id)
    if dataset is None:
        raise not_found("Dataset")
    return dataset


def get_dataset(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}``."""
    dataset = _dataset(state, call.path_params["dataset_id"])
    latest = dataset.versions[-1]
    return Reply(
        {
            "id": dataset.id,
            "project_id": dataset.project_id,
            "name": dataset.name,
            "description": dataset.description,
            "created_at": dataset.created_at,
            "latest_version_id": latest.id,
            "version_count": len(dataset.versions),
            "row_count": latest.row_count,
            "column_count": len(latest.columns),
        }
    )


def dataset_versions(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/datasets/{dataset_id}/versions``: newest first."""
    dataset = _dataset(state, call.path_params["dataset_id"])
    limit, offset = page(call)
    versions = list(reversed(dataset.versions))
    items = [version_body(v) for v in versions[offset : offset + limit]]
    return Reply({"items": items, "total": len(versions), "limit": limit, "offset": offset})


def delete_dataset(state: CorePlexMLMockState, call: Call) -> Reply:
    """``DELETE /api/datasets/{dataset_id}`` (experiments trained on it keep their results)."""
    dataset = _dataset(state, call.path_params["dataset_id"])
    with state.lock:
        state.forget_dataset(dataset.id)
    return Reply({"ok": True})
