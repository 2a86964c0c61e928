"""SynthGen generation: a job on the state's clock whose result, once completed, says what it generated.

The SDK's ``synthgen.generate`` polls ``GET /api/synthgen/jobs/{id}`` until ``completed`` and then reads the
job's ``result`` (``num_rows``, else ``num_rows_generated`` or ``rows_generated``) and ``output_artifact_id``.
Nothing is generated, so the result describes the synthetic table a real run would have made: the rows asked for,
with the columns of the dataset version the SynthGen model was trained on, as that version was when generation
started.
"""

from __future__ import annotations

import uuid
from typing import Any

from h2oharness.apis.coreplexml.mockparts import generic
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState
from h2oharness.apis.coreplexml.mockparts.wire import Call, Reply

MODELS = "/api/synthgen/models"


def _result(state: CorePlexMLMockState, model_id: str, body: dict[str, Any], job_id: str) -> dict[str, Any]:
    model = generic.resources(state).collections.get(MODELS, {}).get(model_id, {})
    version_id = model.get("dataset_version_id")
    version = state.versions.get(version_id) if isinstance(version_id, str) else None
    columns = [c.name for c in version.columns] if version is not None else []
    result: dict[str, Any] = {
        "num_rows": max(int(body.get("num_rows", 0)), 0),
        "num_columns": len(columns),
        "columns": columns,
        "model_id": model_id,
        "model_type": model.get("model_type"),
        "source_dataset_version_id": version_id,
        "source_row_count": version.row_count if version is not None else 0,
        # the synthetic table's artifact: one per generation, fixed by its job
        "output_artifact_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"synthgen:{job_id}")),
    }
    if isinstance(body.get("seed"), int):
        result["seed"] = body["seed"]
    return result


def generate(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/synthgen/models/{model_id}/generate`` ``{num_rows, seed?}``: the generic layer's checks (404,
    422) and queued job, whose result is set now from the model's source dataset (shown once it completes)."""
    reply = generic.handler(generic.surface().operation("POST", generic.GENERATE))(state, call)
    job_id = str((reply.body or {}).get("job_id", ""))
    body = call.json() if call.body.strip() else {}
    with state.lock:
        job = state.jobs.get(job_id)
        if job is not None and isinstance(body, dict):
            job.result = _result(state, call.path_params["model_id"], body, job_id)
    return reply
