"""GET /99/Models/{model_id}/json: a model's details (its /3/Models rendering) written to a file, as a real
3.46.0.12 writes them (a GET that writes: h2o-py's save_model_details)."""

from __future__ import annotations

from pathlib import Path

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_model
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request, encode

FS_IO = "water.api.FSIOException"


def export_details(state: H2O3MockState, call: Call) -> Reply:
    """Write the model's JSON to ``dir`` (a file's path, its folders made as needed); with ``force`` false an
    existing file is refused. Where a real server answers 500 (no ``dir``, a failed write), the mock answers 400
    with the same message."""
    values = call.values("ModelExportV3")
    with state.lock:
        found = find_model(state, call.path_params["model_id"], "model_id")
    target = values.get("dir")
    if not target:
        raise bad_request('Cannot invoke "String.matches(String)" because "path" is null')
    force = values.get("force", True) is not False
    path = Path(str(target))
    if path.exists() and not force:
        raise H2OError(400, f"FS IO Failure: \n accessed path : file:{path} msg: File already exists", FS_IO)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(_details(found.body)))
    except OSError as exc:
        raise H2OError(
            400, f"FS IO Failure: \n accessed path : file:{path} caused by: {path} ({exc.strerror})", FS_IO
        ) from None
    body = metadata.skeleton("ModelExportV3")
    body.update(dir=str(target), force=True, export_cross_validation_predictions=False)
    return Reply(body)


def _details(model: dict[str, object]) -> dict[str, object]:
    # the file holds the model's schema without the request-side _exclude_fields
    return {k: v for k, v in model.items() if k != "_exclude_fields"}
