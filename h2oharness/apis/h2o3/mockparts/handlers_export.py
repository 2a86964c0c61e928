"""Frame export: ``POST /3/Frames/{frame_id}/export`` (h2o.export_file) and the deprecated
``GET /3/Frames/{frame_id}/export/{path}/overwrite/{force}``, as a real 3.46.0.12 answers them: the CSV a
DownloadDataset gives, written to ``path`` by an "Export dataset" job on the frame."""

from __future__ import annotations

from pathlib import Path

from h2oharness.apis.h2o3.mockparts import csvwrite, metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame, job_json
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo
from h2oharness.apis.h2o3.mockparts.wire import H2OError, key_not_found, precondition

NPE = "java.lang.NullPointerException"
#: the deprecated route's template, its path parameter holding slashes (mock.make_app routes it)
DEPRECATED = "/3/Frames/{frame_id}/export/{path}/overwrite/{force}"


def export_frame(state: H2O3MockState, call: Call) -> Reply:
    """Write the frame as CSV to ``path`` (an existing file only with ``force``); a write that fails (no such
    folder) fails the job, as on a real server."""
    values = call.values("FramesV3")
    name = call.path_params["frame_id"]
    path: str | None
    if "force" in call.path_params:
        path, force = call.path_params["path"], call.path_params["force"]
        if force not in ("true", "false"):
            # a real server routes it as GET /3/Frames/{frame_id}, the rest of the path the frame's name
            raise key_not_found(f"{name}/export/{path}/overwrite/{force}")
        forced = force == "true"
    else:
        path, forced = call.form.get("path") or call.query.get("path"), values.get("force") is True
    with state.lock:
        frame = find_frame(state, name)
    if not path:
        raise H2OError(400, 'Cannot invoke "String.toLowerCase()" because "path" is null', NPE)
    if str(values.get("format") or "csv").lower() != "csv":
        raise H2OError(400, "The mock exports CSV files only (a real server also writes parquet)")
    target = Path(path)
    if target.exists() and not forced:
        raise precondition(f"Illegal argument: {path} of function: exportFrame: File {path} already exists!")
    text = csvwrite.frame_csv(
        frame,
        separator=chr(int(values.get("separator") or 44)),
        header=values.get("header") is not False,
        quote_header=values.get("quote_header") is not False,
    )
    failure = ""
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        failure = f"java.lang.RuntimeException: java.io.FileNotFoundException: {path} ({exc.strerror})"
    job = state.submit("export", "Export dataset", JobInfo(name, "Frame"), state.timings.predict,
                       fail_at=0.0 if failure else None, failure=failure)  # fmt: skip
    body = metadata.skeleton("FramesV3")
    body.update(
        row_offset=0, row_count=-1, column_offset=0, full_column_count=-1, column_count=-1, compression=None,
        write_checksum=True, tz_adjust_from_local=False, separator=int(values.get("separator") or 44),
        header=values.get("header") is not False, quote_header=values.get("quote_header") is not False,
        job=job_json(state, job), frames=None, compatible_models=None, domain=None,
    )  # fmt: skip
    return Reply(body)
