"""GET /3/Find: the rows before and after ``row`` nearest to it where a frame (or one of its columns) holds
``match``, as a real 3.46.0.12's FindHandler finds them.

A row matches where any searched column holds the value: an enum's level, or a number Java's parseDouble reads from
``match``; a numeric column is searched for a missing value where ``match`` is not a number (or is NaN), as a real
server searches it for NaN then.
The answer carries the searched frame as a FrameV3 of all its rows from row 1 (a real server's ``new FrameV3(fr)``).
"""

from __future__ import annotations

import math
import re

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, key_name, required
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame, frame_json
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, meta

NPE = "java.lang.NullPointerException"
# what Java's Double.parseDouble reads: a decimal or hexadecimal-free number with an optional type suffix, NaN,
# or Infinity, with surrounding blanks
JAVA_DOUBLE = re.compile(r"\s*[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)\s*")
NO_KEY = 'Cannot invoke "water.Key.toString()" because "frame._key" is null'


def find(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Find: ``prev`` and ``next`` (-1 where there is none) around ``row``."""
    values = call.values("FindV3")
    row = int(required(values, "row"))
    name = key_name(required(values, "key"))
    with state.lock:
        frame = state.frames.get(name or "")
    if frame is None:
        raise H2OError(400, 'Cannot read field "_fr" because "find.key" is null', NPE)
    match = values.get("match")
    column = values.get("column")
    searched = frame
    if column is not None:
        col = frame.column(str(column))
        if col is None:
            raise H2OError(
                404,
                f"Column: {column} not found in frame: {frame.name} from argument: column: column",
                "water.exceptions.H2OColumnNotFoundArgumentException",
                values={"argument": "column", "column_name": column, "frame_name": frame.name},
            )
        searched = Frame("", [col])
    wanted = [_wanted(col, match, alone=column is not None) for col in searched.columns]
    rows = [r for r in range(searched.rows) if _matches(searched.columns, wanted, r)]
    body = metadata.skeleton("FindV3")
    body.update(
        key=_frame_json(searched),
        column=column,
        row=row,
        match=match,
        prev=max((r for r in rows if r < row), default=-1),
        next=min((r for r in rows if r > row), default=-1),
    )
    return Reply(body)


def _wanted(col: Column, match: str | None, *, alone: bool) -> float | None:
    # the value a column is searched for, None for a column that cannot hold it; a lone column that cannot is the
    # real server's NullPointerException (it names the searched frame, which has no key)
    if col.domain is not None:
        if match is None:
            raise H2OError(400, 'Cannot invoke "Object.equals(Object)" because "elem" is null', NPE)
        if match in col.domain:
            return float(col.domain.index(match))
        if alone:
            raise H2OError(400, NO_KEY, NPE)
        return None
    if not col.has_numbers or col.type == "time":
        raise H2OError(400, f"The mock does not search {col.type} columns (a real server: H2O.unimpl)")
    if match is None:
        return math.nan
    if JAVA_DOUBLE.fullmatch(match) is None:
        if alone:
            raise H2OError(400, NO_KEY, NPE)
        return math.nan
    return float(match.strip().rstrip("fFdD"))


def _matches(columns: list[Column], wanted: list[float | None], row: int) -> bool:
    for col, value in zip(columns, wanted, strict=True):
        held = col.numbers[row]
        if value is not None and (held == value or (math.isnan(held) and math.isnan(value))):
            return True
    return False


def _frame_json(frame: Frame) -> dict[str, object]:
    body = frame_json(frame, row_offset=1, row_count=frame.rows)
    body["row_count"] = frame.rows
    if not frame.name:
        body["frame_id"] = {"__meta": meta("FrameKeyV3", "Key<Frame>"), "name": None, "type": None, "URL": None}
    return body
