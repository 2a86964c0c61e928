"""A model's files: GET /99/Models/{model_id}/json (its details written to a file, as a real 3.46.0.12 writes them:
a GET that writes, h2o-py's save_model_details), /3/Models.fetch.bin (its binary), /99/Models.bin (save_model,
load_model), /99/Models.upload.bin (upload_model: a file uploaded with /3/PostFile.bin), and the POJO and MOJO
downloads a real OSS build refuses."""

from __future__ import annotations

from pathlib import Path

from h2oharness.apis.h2o3.mockparts import grid_files, metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_model
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, Model
from h2oharness.apis.h2o3.mockparts.wire import H2O_ILLEGAL, H2OError, bad_request, encode, precondition

FS_IO = "water.api.FSIOException"
NPE = "java.lang.NullPointerException"
NO_PATH = 'Cannot invoke "String.matches(String)" because "path" is null'
VEC, BYTE_VEC = "water.fvec.Vec", "water.fvec.ByteVec"


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
    return _written(path, encode(_details(found.body)), str(target))


def _written(path: Path, content: bytes, target: str) -> Reply:
    """Write a model's file where ``dir`` says (its folders made as needed) and answer ModelExportV3; a failed write
    is the real server's FS IO failure (a 500 there, 400 here)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise H2OError(
            400, f"FS IO Failure: \n accessed path : file:{path} caused by: {path} ({exc.strerror})", FS_IO
        ) from None
    body = metadata.skeleton("ModelExportV3")
    body.update(dir=target, force=True, export_cross_validation_predictions=False)
    return Reply(body)


def _held(state: H2O3MockState, model: Model) -> Reply:
    """Hold a model read back from a file (under its own id) and answer ModelsV3 with it."""
    with state.lock:
        state.models[model.id] = model
        state.trim()
    body = metadata.skeleton("ModelsV3")
    body["models"] = [model.body]
    return Reply(body)


def _details(model: dict[str, object]) -> dict[str, object]:
    # the file holds the model's schema without the request-side _exclude_fields
    return {k: v for k, v in model.items() if k != "_exclude_fields"}


# what a real 3.46.0.12 (an H2O-3 OSS build) answers every POJO and MOJO download with, before it looks at the key
SECURE_REQUIRED = (
    "H2O-3 SECURE REQUIRED - {what} is blocked. {what} is a production capability available only in H2O-3 Secure, "
    "the commercially supported tier of H2O-3. You are running self-managed H2O-3 OSS. You must upgrade to H2O-3 "
    "Secure for Hadoop and Kubernetes enterprise packages, audit-supporting capabilities (SOC 2, ISO 27001, ISO "
    "42001), commercial CVE patching and long-term support, and premium support with SLAs. If you need MOJO, we "
    "provide a free license for non-commercial use. See h2o.ai/h2o-3/oss-vs-secure to compare the two tiers. Request "
    "a license or upgrade at enterprise@h2o.ai"
)


def pojo_blocked(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Models.java/{model_id}(/preview), /99/Assembly.java/...: 412, POJO download is blocked."""
    raise H2OError(412, SECURE_REQUIRED.format(what="POJO download"), H2O_ILLEGAL)


def mojo_blocked(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Models.mojo/{model_id}, /3/Models/{model_id}/mojo, /99/Assembly.fetch_mojo_pipeline/...: 412, MOJO
    export is blocked."""
    raise H2OError(412, SECURE_REQUIRED.format(what="MOJO export"), H2O_ILLEGAL)


def fetch_binary(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Models.fetch.bin/{model_id}: the model's file as an attachment named after the model (the mock's own
    file, which the mock's Grid.bin import reads; a real server sends Java's binary, which opens with 0x1CED)."""
    call.values("ModelsV3")
    name = call.path_params["model_id"]
    with state.lock:
        found = find_model(state, name)
        content = grid_files.model_file(found)
    return Reply(
        content,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def export_binary(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Models.bin/{model_id}: the model written to the file ``dir`` names (its folders made as needed; the
    mock's own file, as /3/Models.fetch.bin answers it); with ``force`` false an existing file is a 412."""
    values = call.values("ModelExportV3")
    with state.lock:
        found = find_model(state, call.path_params["model_id"], "model_id")
        content = grid_files.model_file(found)
    target = values.get("dir")
    if not target:
        raise H2OError(400, NO_PATH, NPE)
    force = values.get("force", True) is not False
    path = Path(str(target))
    if path.exists() and not force:
        raise precondition(
            f"Illegal argument: dir of function: exportModel: {FS_IO}: FS IO Failure: \n accessed path : "
            f"file:{path} msg: File already exists"
        )
    return _written(path, content, str(target))


def import_binary(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Models.bin/{model_id}: a model the mock saved, read from ``dir`` and held again under its own id
    (whatever the path names); a missing file is a 412, a file the mock did not write a 400 (no magic number)."""
    values = call.values("ModelImportV3")
    target = values.get("dir")
    if not target:
        raise H2OError(400, NO_PATH, NPE)
    path = Path(str(target))
    if not path.is_file():
        raise precondition(
            f"Illegal argument: dir of function: importModel: {FS_IO}: FS IO Failure: \n accessed path : "
            f"file:{path} msg: File not found"
        )
    model = grid_files.read_model(path)
    return _held(state, model)


def upload_binary(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Models.upload.bin/{model_id}: a model the mock saved, read from the upload ``dir`` names (a key of
    /3/PostFile.bin, kept for another upload) and held again under its own id, whatever the path names. Where a
    real server answers 500 (no such upload, a parsed frame) the mock answers 400 with the same message."""
    values = call.values("ModelImportV3")
    name = str(values.get("dir") or "")
    with state.lock:
        source = state.sources.get(name)
        parsed = name in state.frames
    if parsed:
        raise H2OError(400, f"class {VEC} cannot be cast to class {BYTE_VEC} ({VEC} and {BYTE_VEC} are in unnamed "
                       "module of loader 'app')", "java.lang.ClassCastException")  # fmt: skip
    if source is None:
        raise H2OError(400, 'Cannot invoke "water.fvec.Frame.vec(int)" because "fr" is null', NPE)
    model = grid_files.model_from_bytes(source.text.encode("utf-8"), name)
    return _held(state, model)
