"""Handlers for the cluster, metadata, import/upload, parse and frame routes of the mock."""

from __future__ import annotations

import email.parser
import email.policy
import gzip
import os
import re
import uuid
from pathlib import Path
from typing import Any

from h2oharness.apis.h2o3.mockparts import csvparse, csvwrite, metadata
from h2oharness.apis.h2o3.mockparts import rapids as rapids_eval
from h2oharness.apis.h2o3.mockparts.calls import (
    Call,
    Reply,
    find_frame,
    hex_name,
    job_json,
    key_name,
    required,
)
from h2oharness.apis.h2o3.mockparts.frames import Frame, frame_json, frames_response, synopsis_json
from h2oharness.apis.h2o3.mockparts.params import KeyRef
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, RawSource
from h2oharness.apis.h2o3.mockparts.wire import (
    H2OError,
    JSONDict,
    bad_request,
    key,
    key_not_found,
    meta,
    not_found,
    precondition,
)

VERSION = "3.46.0.12"
NODE = "127.0.0.1:54321"
CHUNK_SIZE = 4_194_304
ACCEPTED_PARSE_TYPES = ("CSV", "GUESS")
#: the node's free (and max) memory, as /3/Cloud and /3/Ping report it
FREE_MEM = 1 << 30
#: the build facts /3/Cloud and /3/About report
BUILD = {
    "branch_name": "rel-3.46.0",
    "last_commit_hash": "c91838115bfadcdd79158d16c76fb6cf983157bd",
    "describe": "gha-3.46.0.11-25-gc91838115b",
    "compiled_by": "root",
    "compiled_on": "2026-08-11 13:53:15",
    "build_age": "1 month",
}


# ---------------------------------------------------------------- cluster and metadata


def cloud(state: H2O3MockState, call: Call) -> Reply:
    """GET/HEAD /3/Cloud: a healthy cloud of one node, as h2o-py's connect() requires."""
    call.values("CloudV3")
    if call.method == "HEAD":
        return Reply(b"")
    uptime = state.epoch_ms() - state.started_epoch_ms
    node = metadata.skeleton("NodeV3")
    node.update(
        h2o=f"localhost/{NODE}",
        ip_port=NODE,
        healthy=True,
        last_ping=state.epoch_ms(),
        pid=os.getpid(),
        num_cpus=os.cpu_count() or 1,
        cpus_allowed=os.cpu_count() or 1,
        nthreads=os.cpu_count() or 1,
        sys_load=0.1,
        my_cpu_pct=-1,
        sys_cpu_pct=-1,
        mem_value_size=sum(f.byte_size() for f in state.frames.values()),
        pojo_mem=0,
        free_mem=FREE_MEM,
        max_mem=FREE_MEM,
        swap_mem=0,
        num_keys=len(state.frames) + len(state.models) + len(state.sources),
        free_disk=1 << 36,
        max_disk=1 << 38,
        rpcs_active=0,
        fjthrds=[-1] * 8,
        fjqueue=[-1] * 8,
        tcps_active=0,
        open_fds=24,
        gflops=10.0,
        mem_bw=6.0e9,
    )
    body = metadata.skeleton("CloudV3")
    body.update(
        skip_ticks=False,
        version=VERSION,
        **BUILD,
        build_number="12",
        build_too_old=False,
        node_idx=0,
        cloud_name=state.cloud_name,
        cloud_size=1,
        cloud_uptime_millis=uptime,
        cloud_internal_timezone="Etc/UTC",
        datafile_parser_timezone="UTC",
        cloud_healthy=True,
        bad_nodes=0,
        consensus=True,
        locked=bool(state.frames or state.models),
        is_client=False,
        hadoop_version=None,
        telemetry_enabled=False,
        nodes=[node],
        internal_security_enabled=False,
        leader_idx=0,
        web_ip=None,
    )
    return Reply(body)


def metadata_endpoints(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Metadata/endpoints: the real server's route table."""
    call.values("MetadataV3")
    return Reply(metadata.endpoints_bytes())


def metadata_endpoint(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Metadata/endpoints/{path}: one route by index or api_name."""
    call.values("MetadataV3")
    wanted = call.path_params["path"]
    found = metadata.route(wanted)
    if found is None:
        raise not_found(f"No route found for: {wanted}")
    return Reply(metadata.metadata_response(routes=[found]))


def metadata_schemas(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Metadata/schemas: every schema of the real server."""
    call.values("MetadataV3")
    return Reply(metadata.schemas_bytes())


def metadata_schema(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Metadata/schemas/{schemaname}: one schema, 404 for an unknown name (as the real server)."""
    call.values("MetadataV3")
    name = call.path_params["schemaname"]
    found = metadata.schema(name)
    if found is None:
        raise not_found(f"Failed to find schema for schema_name: {name}")
    return Reply(metadata.metadata_response(schemas=[found]))


# ---------------------------------------------------------------- import and upload


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _import(state: H2O3MockState, paths: list[str], pattern: str | None) -> tuple[list[str], list[str]]:
    files: list[str] = []
    keys: list[str] = []
    for raw in paths:
        for file in _files(raw, pattern):
            try:
                if file.stat().st_size > state.max_import_bytes:
                    raise bad_request(f"File {file} is larger than the mock imports ({state.max_import_bytes} bytes)")
                text = _read_text(file)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise bad_request(f"Cannot read file {file}: {exc}") from None
            if not text.strip():
                continue
            source_key = "nfs:/" + str(file)
            with state.lock:
                state.sources[source_key] = RawSource(source_key, text, str(file))
            files.append(str(file))
            keys.append(source_key)
    return files, keys


def _files(raw: str, pattern: str | None) -> list[Path]:
    """The regular files a path names (itself, or a folder's files), or H2O-3's 404.

    An empty path is the working directory, as on a real server; unlike a real
    server, the mock does not descend into sub-folders.
    """
    try:
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else Path.cwd() / path
        if not path.exists():
            raise not_found(f"File {raw} does not exist")
        found = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    except (OSError, ValueError, RuntimeError):
        raise not_found(f"File {raw} does not exist") from None
    return [f for f in found if not pattern or _matches(pattern, f.name)]


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        raise bad_request(f"Invalid pattern: {pattern}") from None


def import_files(state: H2O3MockState, call: Call) -> Reply:
    """GET/POST /3/ImportFiles: read a file (or a folder's files) on the mock's machine."""
    values = call.values("ImportFilesV3")
    path = required(values, "path")
    files, keys = _import(state, [path], values.get("pattern"))
    body = metadata.skeleton("ImportFilesV3")
    body.update(path=path, pattern=values.get("pattern"), files=files, destination_frames=keys, fails=[], dels=[])
    return Reply(body)


def import_files_multi(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/ImportFilesMulti: what h2o.import_file() calls."""
    values = call.values("ImportFilesMultiV3")
    paths = required(values, "paths")
    files, keys = _import(state, list(paths), values.get("pattern"))
    body = metadata.skeleton("ImportFilesMultiV3")
    body.update(paths=paths, pattern=values.get("pattern"), files=files, destination_frames=keys, fails=[], dels=[])
    return Reply(body)


def _multipart_file(content_type: str, body: bytes) -> bytes:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload
    return b""


def post_file(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/PostFile: an upload, raw or multipart, held as a raw source until parsed."""
    data = call.body
    if call.content_type.startswith("multipart/form-data"):
        data = _multipart_file(call.content_type, call.body)
    name = call.query.get("destination_frame") or f"upload_{uuid.uuid4().hex}"
    with state.lock:
        state.sources[name] = RawSource(name, data.decode("utf-8", errors="replace"))
    # not an H2O schema: the real server answers this bare object
    return Reply({"destination_frame": name, "total_bytes": len(data) if data else -1})


# ---------------------------------------------------------------- parse


def _sources(state: H2O3MockState, refs: list[KeyRef], missing: H2OError | None = None) -> list[RawSource]:
    found = []
    for ref in refs:
        source = state.sources.get(ref.name)
        if source is None:
            raise missing or bad_request(f"Key not loaded: {ref.type or 'null'} {ref.name}")
        found.append(source)
    return found


def _joined_text(sources: list[RawSource], header: bool) -> str:
    if len(sources) == 1:
        return sources[0].text
    parts = [sources[0].text.rstrip("\n")]
    for s in sources[1:]:
        lines = s.text.rstrip("\n").split("\n")
        parts.append("\n".join(lines[1:] if header else lines))
    return "\n".join(parts) + "\n"


def parse_setup(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/ParseSetup: guess separator, header, names and types of raw sources."""
    values = call.values("ParseSetupV3")
    refs: list[KeyRef] = required(values, "source_frames")
    with state.lock:
        sources = _sources(state, refs)
    text = sources[0].text
    if not text.strip():
        raise bad_request(f"Cannot determine file type. for {refs[0].name}")
    setup = csvparse.guess_setup(
        text,
        separator=values.get("separator") or None,
        check_header=int(values.get("check_header") or 0),
        single_quotes=bool(values.get("single_quotes")),
    )
    body = metadata.skeleton("ParseSetupV3")
    body.update(
        source_frames=[key(r.name, "Frame") for r in refs],
        parse_type="CSV",
        separator=setup.separator,
        single_quotes=setup.single_quotes,
        check_header=setup.check_header,
        column_names=setup.column_names,
        column_types=setup.column_types,
        destination_frame=hex_name(state, refs[0].name),
        number_columns=setup.number_columns,
        data=setup.preview,
        chunk_size=CHUNK_SIZE,
        total_filtered_column_count=setup.number_columns,
        escapechar=values.get("escapechar") or 0,
        tz_adjust_to_local=bool(values.get("tz_adjust_to_local")),
    )
    return Reply(body)


def parse(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/Parse: parse raw sources into a frame, as a job on the clock."""
    values = call.values("ParseV3")
    refs: list[KeyRef] = required(values, "source_frames")
    dest = key_name(required(values, "destination_frame"))
    parse_type = str(values.get("parse_type") or "").upper()
    if parse_type not in ACCEPTED_PARSE_TYPES:
        # a real server fails with a NullPointerException (HTTP 500) here; the mock never answers 5xx
        raise bad_request(f"Unknown parse type: {values.get('parse_type')!r}; the mock parses CSV")
    with state.lock:
        sources = _sources(state, refs, missing=precondition("Missing data"))
        if int(values.get("chunk_size") or 0) <= 0:
            raise bad_request("Chunk sizes must be > 0.")
        if values.get("delete_on_done", True):
            for ref in refs:
                state.sources.pop(ref.name, None)
    check_header = int(values.get("check_header") or 0)
    fail_at: float | None = None
    failure = ""
    payload: Frame | None = None
    try:
        columns = csvparse.parse_columns(
            _joined_text(sources, check_header == 1),
            separator=int(values.get("separator") or 0),
            check_header=check_header,
            column_names=values.get("column_names"),
            column_types=values.get("column_types"),
            single_quotes=bool(values.get("single_quotes")),
            na_strings=values.get("na_strings"),
        )
        # column_names and column_types name every column of the file; skipped_columns (numbers of the file's
        # columns) leaves some out of the frame, as the client's import_file(skipped_columns=...) asks
        skipped = {int(i) for i in values.get("skipped_columns") or []}
        if skipped and len(skipped & set(range(len(columns)))) == len(columns):
            raise csvparse.ParseError("the mock parses no frame without columns: every column is skipped")
        payload = Frame(str(dest), [c for i, c in enumerate(columns) if i not in skipped])
    except csvparse.ParseError as exc:
        fail_at, failure = 0.0, f"java.lang.IllegalArgumentException: {exc}"
    info = JobInfo(str(dest), "Frame", payload, progress_msg="Compressing data.")
    job = state.submit("parse", "Parse", info, state.timings.parse, fail_at=fail_at, failure=failure)
    body = metadata.skeleton("ParseV3")
    echo = {k: v for k, v in values.items() if k in body and not isinstance(v, KeyRef | list)}
    body.update(echo)
    body.update(
        destination_frame=key(str(dest), "Frame"),
        source_frames=[key(r.name, "Frame") for r in refs],
        parse_type=parse_type,
        column_names=values.get("column_names"),
        column_types=values.get("column_types"),
        delete_on_done=values.get("delete_on_done", True),
        job=job_json(state, job),
        rows=0,
    )
    return Reply(body)


# ---------------------------------------------------------------- frames


def frames_list(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames: a synopsis of every frame."""
    call.values("FramesListV3")
    body = metadata.skeleton("FramesListV3")
    with state.lock:
        body["frames"] = [synopsis_json(state.frames[n]) for n in sorted(state.frames)]
    return Reply(body)


def window(values: dict[str, Any], frame: Frame) -> dict[str, int]:
    """The window of rows and columns a FramesV3 request asks for, checked against the frame."""
    window = {
        "row_offset": int(values.get("row_offset", 0)),
        "row_count": int(values.get("row_count", -1)),
        "column_offset": int(values.get("column_offset", 0)),
        "column_count": int(values.get("column_count", -1)),
        "full_column_count": int(values.get("full_column_count", -1)),
    }
    if window["row_offset"] < 0 or window["column_offset"] < 0:
        raise bad_request("row_offset and column_offset must not be negative")
    if window["row_offset"] > max(0, frame.rows - 1) and window["row_offset"] > 0:
        # a real server answers 500 (NegativeArraySizeException) here
        raise bad_request(f"row_offset {window['row_offset']} is past the last row of a {frame.rows}-row frame")
    return window


def frame(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}: a window of rows and columns."""
    return _frame(state, call, summary=False)


def frame_summary(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/summary: the frame with histograms and percentiles."""
    return _frame(state, call, summary=True)


def _frame(state: H2O3MockState, call: Call, summary: bool) -> Reply:
    values = call.values("FramesV3")
    with state.lock:
        found = find_frame(state, call.path_params["frame_id"])
    asked = window(values, found)
    return Reply(frames_response([windowed(found, asked, summary)], **asked))


def windowed(frame: Frame, asked: dict[str, int], summary: bool = False) -> JSONDict:
    """The FrameV3 of a frame in the window ``asked`` (as ``window`` gives it)."""
    return frame_json(
        frame,
        row_offset=asked["row_offset"],
        row_count=asked["row_count"],
        column_offset=asked["column_offset"],
        column_count=asked["column_count"],
        full_column_count=asked["full_column_count"],
        summary=summary,
    )


def delete_frame(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/Frames/{frame_id}."""
    call.values("FramesV3")
    name = call.path_params["frame_id"]
    with state.lock:
        if state.frames.pop(name, None) is None and state.sources.pop(name, None) is None:
            raise key_not_found(name)
    return Reply(metadata.skeleton("FramesV3"))


def delete_all_frames(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/Frames: every frame and raw source."""
    call.values("FramesV3")
    with state.lock:
        state.frames.clear()
        state.sources.clear()
    return Reply(metadata.skeleton("FramesV3"))


# ---------------------------------------------------------------- sessions and Rapids


def new_session(state: H2O3MockState, call: Call) -> Reply:
    """POST /4/sessions: a session key (a bare SessionIdV4, as the real server sends it)."""
    call.values("InputSchemaV4")
    session = f"_sid_{uuid.uuid4().hex[:4]}"
    with state.lock:
        state.sessions[session] = None
        state.trim()
    return Reply({"__schema": "/4/schemas/SessionIdV4", "session_key": session})


def end_session(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /4/sessions/{session_key}: always 200, even for an unknown key (as the real server)."""
    call.values("InitIDV3")
    session = call.path_params["session_key"]
    with state.lock:
        state.sessions.pop(session, None)
    return Reply(_init_id(session))


def init_id(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/InitID: a new session; DELETE /3/InitID ends one."""
    call.values("InitIDV3")
    session = call.strings.get("session_key") or f"_sid_{uuid.uuid4().hex[:4]}"
    with state.lock:
        if call.method == "DELETE":
            state.sessions.pop(session, None)
        else:
            state.sessions[session] = None
        state.trim()
    return Reply(_init_id(session))


def _init_id(session: str) -> JSONDict:
    body = metadata.skeleton("InitIDV3")
    body.update(session_key=session, session_properties_allowed=True)
    return body


def rapids(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Rapids: the expressions the ``h2o`` client sends for frame work (see mockparts/rapids.py)."""
    values = call.values("RapidsSchemaV3")
    if required(values, "ast") == "":
        # a real server echoes an empty expression without evaluating anything
        echo = metadata.skeleton("RapidsSchemaV3")
        echo.update(ast="", session_id=values.get("session_id"), id=values.get("id"))
        return Reply(echo)
    return Reply(rapids_eval.evaluate(state, str(values["ast"]).strip()))


# ---------------------------------------------------------------- download and DKV


def download_dataset(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/DownloadDataset[.bin]: the frame as CSV, as the real server writes it (what as_data_frame() reads)."""
    # h2o-py sends escape_quotes, which a real 3.46.0.12 takes though its metadata does not list it
    escape = call.query.pop("escape_quotes", "false").lower() == "true"
    values = call.values("DownloadDataV3")
    name = key_name(required(values, "frame_id")) or ""
    with state.lock:
        found = find_frame(state, name, "frame_id")
        text = csvwrite.frame_csv(found, escape_quotes=escape)
    headers = {"Content-Disposition": f"attachment; filename={name}.csv"}
    return Reply(text.encode("utf-8"), content_type="application/octet-stream;charset=utf-8", headers=headers)


def remove_all(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/DKV: every frame, raw source, model, AutoML run, grid and job result (h2o.remove_all())."""
    values = call.values("RemoveAllV3")
    retained = [key_name(k) for k in values.get("retained_keys") or []]
    with state.lock:
        for store in (state.frames, state.sources, state.models, state.automls, state.grids):
            for name in [n for n in store if n not in retained]:
                del store[name]
    body = metadata.skeleton("RemoveAllV3")
    body["retained_keys"] = None
    return Reply(body)


def remove_key(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/DKV/{key}: one key, whatever it holds; 404 when nothing has it."""
    call.values("RemoveV3")
    name = call.path_params["key"]
    with state.lock:
        removed = [
            store.pop(name)
            for store in (state.frames, state.sources, state.models, state.automls, state.grids)
            if name in store
        ]
    if not removed:
        raise key_not_found(name)
    body = metadata.skeleton("RemoveV3")
    body["key"] = {"__meta": meta("KeyV3", "Key<Keyed>"), "name": name, "type": "Key<Keyed>", "URL": None}
    return Reply(body)
