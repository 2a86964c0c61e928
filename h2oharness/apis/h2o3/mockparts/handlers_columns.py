"""Handlers for a frame's lighter views and its columns: /light, /columns, /columns/{column} and its domain and
summary, each shaped as a real 3.46.0.12's FramesHandler builds it."""

from __future__ import annotations

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame, frame_json, frames_response
from h2oharness.apis.h2o3.mockparts.handlers_data import frame as frame_view
from h2oharness.apis.h2o3.mockparts.handlers_data import window, windowed
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict


def light(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/light: the frame without its size, checksum and chunk tables."""
    values = call.values("FramesV3")
    with state.lock:
        found = find_frame(state, call.path_params["frame_id"])
    shown = window(values, found)
    body = windowed(found, shown)
    body.update(byte_size=0, checksum=0, chunk_summary=None, distribution_summary=None)
    return Reply(frames_response([body], **shown))


def columns(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/columns: the frame, as GET /3/Frames/{frame_id} shows it."""
    return frame_view(state, call)


def column(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/columns/{column}: a keyless frame of that column alone.

    As a real server (FrameV3's default fill), its rows start at row 1, whatever the window asked.
    """
    values = call.values("FramesV3")
    col = _column(state, call)
    body = frame_json(Frame(col.name, [col]), row_offset=1, row_count=col.rows)
    body.update(frame_id=_no_key(), row_count=col.rows)
    return Reply(frames_response([body], **_echo(values)))


def column_summary(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/columns/{column}/summary: that column alone, with its histogram and percentiles."""
    values = call.values("FramesV3")
    col = _column(state, call)
    alone = Frame(col.name, [col])
    shown = window(values, alone)
    body = windowed(alone, shown, summary=True)
    body["frame_id"] = _no_key()
    return Reply(frames_response([body], **shown))


def column_domain(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Frames/{frame_id}/columns/{column}/domain: the column's levels (null for a column without any)."""
    values = call.values("FramesV3")
    col = _column(state, call)
    body = frames_response([], **_echo(values))
    body.update(frames=None, domain=[list(col.domain) if col.domain is not None else None])
    return Reply(body)


def _column(state: H2O3MockState, call: Call) -> Column:
    name, wanted = call.path_params["frame_id"], call.path_params["column"]
    with state.lock:
        found = find_frame(state, name)
    col = found.column(wanted)
    if col is None:
        frame_name = f"Key<Frame> {name}"
        raise H2OError(
            404,
            f"Column: {wanted} not found in frame: {frame_name} from argument: column: column",
            "water.exceptions.H2OColumnNotFoundArgumentException",
            values={"argument": "column", "column_name": wanted, "frame_name": frame_name},
        )
    return col


def _echo(values: dict[str, object]) -> dict[str, int]:
    # the window asked for, echoed at the top level as a real server does even where it ignores it
    defaults = {"row_offset": 0, "row_count": -1, "column_offset": 0, "column_count": -1, "full_column_count": -1}
    return {k: int(str(values.get(k, d))) for k, d in defaults.items()}


def _no_key() -> JSONDict:
    # the FrameKeyV3 of a frame made for the answer and never put in the store
    key = metadata.skeleton("FrameKeyV3")
    key.update(name=None, type=None, URL=None)
    return key
