"""POST /3/Frames/{frame_id}/save and POST /3/Frames/load (H2OFrame.save, h2o.load_frame): a frame written to the
folder ``dir`` names, in a file named after the frame, and read back from there under that name. The mock writes
its own file (one JSON file; a real server writes Java's binary, a file and one per chunk) and reads only those."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame, job_json, key_name
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request

MAGIC = "h2oharness mock H2O-3 frame file 1\n"
#: the largest frame file the mock reads back (about a 2M-value frame)
MAX_FILE_BYTES = 256 * 1024 * 1024
NPE = "java.lang.NullPointerException"
FS_IO = "water.api.FSIOException"
NO_DIR = 'Cannot invoke "String.endsWith(String)" because "uri" is null'


def save(state: H2O3MockState, call: Call) -> Reply:
    """Write the frame to ``dir``/{frame_id}; an existing file only with ``force`` (the default)."""
    values = call.values("FrameSaveV3")
    name = call.path_params["frame_id"]
    with state.lock:
        frame = find_frame(state, name, "frame_id")
    folder = values.get("dir")
    if not folder:
        # a real server answers 500 NullPointerException; the mock 400 with its message (mock.DEVIATIONS)
        raise H2OError(400, NO_DIR, NPE)
    target = Path(str(folder)) / name
    force = values.get("force", True) is not False
    if target.exists() and not force:
        raise bad_request(f"File already exists at file:{target}")
    failure = ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(MAGIC + json.dumps(_record(frame)), encoding="utf-8")
    except OSError as exc:
        failure = f"{FS_IO}: FS IO Failure: \n accessed path : file:{target} caused by: {exc.strerror}"
    job = state.submit("save", "Save frame", JobInfo(name, "Frame"), state.timings.predict,
                       fail_at=0.0 if failure else None, failure=failure)  # fmt: skip
    body = metadata.skeleton("FrameSaveV3")
    body.update(dir=str(folder), force=force, job=job_json(state, job))
    return Reply(body)


def load(state: H2O3MockState, call: Call) -> Reply:
    """Read ``dir``/{frame_id} (a file the mock saved) and hold it as that frame when the job is done; with
    ``force`` (the default) a frame held under the name is removed first, even if the load then fails."""
    values = call.values("FrameLoadV3")
    name = key_name(values.get("frame_id"))
    if name is None:
        raise H2OError(400, 'Cannot invoke "water.api.schemas3.KeyV3$FrameKeyV3.key()" because "req.frame_id" is null',
                       NPE)  # fmt: skip
    force = values.get("force", True) is not False
    with state.lock:
        if name in state.frames:
            if not force:
                raise bad_request(f"Frame Key<Frame> {name} already exists.")
            # as a real server, the frame goes first: a load that then fails leaves none
            del state.frames[name]
    folder = values.get("dir")
    if not folder:
        raise H2OError(400, NO_DIR, NPE)
    source = Path(str(folder)) / name
    frame = _read(source, name)
    job = state.submit("load", "Load frame", JobInfo(name, "Frame", frame), state.timings.predict)
    body = metadata.skeleton("FrameLoadV3")
    body.update(dir=str(folder), force=force, job=job_json(state, job))
    return Reply(body)


def _record(frame: Frame) -> dict[str, Any]:
    return {
        "columns": [
            {"name": c.name, "type": c.type, "domain": c.domain,
             "values": c.numbers if c.has_numbers else c.strings}
            for c in frame.columns
        ]
    }  # fmt: skip


def _read(path: Path, name: str) -> Frame:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        # a real server answers 500 FSIOException; the mock 400 with its message (mock.DEVIATIONS)
        raise H2OError(400, f"FS IO Failure: \n accessed path : file:{path} msg: File not found", FS_IO) from None
    if len(data) > MAX_FILE_BYTES:
        raise bad_request(f"the mock reads frame files of at most {MAX_FILE_BYTES} bytes: {path}")
    head = MAGIC.encode()
    if not data.startswith(head):
        raise bad_request("Missing magic number 0x1CED at stream start")
    try:
        record = json.loads(data[len(head) :])
        columns = []
        for c in record["columns"]:
            col = Column(str(c["name"]), str(c["type"]), domain=c["domain"])
            if col.has_numbers:
                col.numbers = [float(v) for v in c["values"]]
            else:
                col.strings = list(c["values"])
            columns.append(col)
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request(f"the mock cannot read the frame file {path}: {type(exc).__name__} {exc}") from None
    return Frame(name, columns)
