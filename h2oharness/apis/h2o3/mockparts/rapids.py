"""Evaluate the Rapids subset the ``h2o`` client emits for common frame work, on the mock's frames.

Covered: ``tmp=``/``rm``/``,``; row and column selection (``rows``, ``cols``, ``cols_py``); elementwise maths,
comparisons and logic (``+ - * / > == & | not abs log ...``); ``ifelse``; reductions (``mean``, ``sumNA``, ``min``,
``max``, ``sd``, ``median``, ``naCnt`` ...); ``table``, ``unique``, ``levels``, ``as.factor``/``as.numeric``/
``as.character``, ``cbind``/``rbind``, ``h2o.runif`` (``split_frame``), ``sort``, ``quantile``, ``scale``,
``cor``/``var``, ``GB`` (``group_by``), ``merge``, ``cut``, ``pivot``, row- and column-wise ``apply``,
column assignment (``append``, ``:=``), ``ls`` and a few more. Another function a real server knows is a 400
worded as the mock's own limit; a name it does not know (``nchar``, ``!``) is its 400 "Name lookup of ... failed".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts.doubles import fsum
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_frames import FRAME_OPS, LAZY
from h2oharness.apis.h2o3.mockparts.rapids_groupby import GROUP_OPS
from h2oharness.apis.h2o3.mockparts.rapids_math import MATH_OPS
from h2oharness.apis.h2o3.mockparts.rapids_names import REAL_FUNCTIONS
from h2oharness.apis.h2o3.mockparts.rapids_parse import Call, Id, parse
from h2oharness.apis.h2o3.mockparts.rapids_reshape import RESHAPE_OPS
from h2oharness.apis.h2o3.mockparts.rapids_stats import STATS_OPS
from h2oharness.apis.h2o3.mockparts.rapids_values import NAN, Op, Value, copy_column, frame_arg, fresh_frame, publish
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, bad_request, key, meta

OPS: dict[str, Op] = {**FRAME_OPS, **MATH_OPS, **STATS_OPS, **GROUP_OPS, **RESHAPE_OPS}


@dataclass
class Evaluator:
    """Evaluates one expression against the state's frames; ``tmp=`` publishes frames under their names."""

    state: H2O3MockState
    #: a lambda's arguments while its body is evaluated (apply)
    scope: dict[str, Value] = field(default_factory=dict)

    def eval(self, node: Any) -> Value:
        """The value of a parsed node."""
        if isinstance(node, Call):
            if node.op == "apply":
                return self.apply(node.args)
            op = OPS.get(node.op)
            if op is None and node.op not in REAL_FUNCTIONS:
                # AstExec looks the function's name up as an id: a real server says so of a name it does not know
                raise H2OError(400, f"Name lookup of '{node.op}' failed", "java.lang.IllegalArgumentException")
            if op is None:
                raise bad_request(f"The mock does not evaluate the Rapids function '{node.op}'")
            if node.op in LAZY:
                return op(self, node.args)
            return op(self, tuple(self.eval(a) for a in node.args))
        if isinstance(node, Id):
            return self.lookup(node.name)
        return node  # type: ignore[no-any-return]

    def apply(self, args: tuple[Any, ...]) -> Value:
        """(apply frame 2 { x . body }): the body per column, as AstApply's colwise does (the client's apply(axis=0)
        and h2o.deep_copy): numbers make a one-row frame, one-column frames of equal rows are bound side by side,
        each named as the column it came from. Row-wise (margin 1, the client's apply(axis=1)): the body per row, a
        number (or a one-value frame) each, in one real column C1."""
        if len(args) < 3:
            raise bad_request("apply takes a frame, a margin and a function")
        frame = frame_arg(self.eval(args[0]))
        margin = self.eval(args[1])
        if margin not in (1.0, 2.0):
            raise bad_request("Only row-wise (margin 1) or col-wise (margin 2) allowed")
        params, body = _lambda(args[2:])
        if len(params) != 1:
            raise bad_request(f"Incorrect number of arguments; the function expects {len(params)} but was passed 1")
        if margin == 1.0:
            return fresh_frame(
                [Column("C1", "real", numbers=[self._row_value(frame, r, params[0], body) for r in range(frame.rows)])]
            )
        results = [
            Evaluator(self.state, {**self.scope, params[0]: fresh_frame([col])}).eval(body) for col in frame.columns
        ]
        columns: list[Column] = []
        for col, result in zip(frame.columns, results, strict=True):
            if isinstance(result, list) and result and not isinstance(result[0], str):
                result = float(result[0])
            if isinstance(result, float | int):
                columns.append(Column(col.name, "int" if float(result).is_integer() else "real", numbers=[result]))
            elif isinstance(result, Frame):
                if len(result.columns) != 1:
                    raise bad_request(f"apply result Frames must have one column, found {len(result.columns)} cols")
                if columns and result.rows != columns[0].rows:
                    raise bad_request("apply result Frames must have all the same rows")
                columns.append(copy_column(result.columns[0], col.name))
            else:
                raise bad_request("The mock's apply takes functions answering numbers or one-column frames")
        return fresh_frame(columns)

    def _row_value(self, frame: Frame, row: int, param: str, body: Any) -> float:
        """The body's value for one row of a row-wise apply. A real server hands the body a row, not a frame: mean
        reduces it to one number, and sumNA refuses it."""
        if isinstance(body, Call) and body.args and body.args[0] == Id(param) and body.op in ROW_REDUCERS:
            if body.op == "sumNA":
                raise bad_request("Expected a Frame but found a class water.rapids.vals.ValRow")
            values = [c.numbers[row] if c.has_numbers else NAN for c in frame.columns]
            skip_na = len(body.args) > 1 and bool(self.eval(body.args[1]))
            kept = [v for v in values if not (skip_na and math.isnan(v))]
            return fsum(kept) / len(kept) if kept else NAN
        result = Evaluator(self.state, {**self.scope, param: fresh_frame([c.take([row]) for c in frame.columns])}).eval(
            body
        )
        if isinstance(result, Frame):
            if (result.rows, len(result.columns)) != (1, 1) or not result.columns[0].has_numbers:
                raise bad_request("The mock's row-wise apply takes functions answering one number per row")
            return result.columns[0].numbers[0]
        if isinstance(result, list) and len(result) == 1 and isinstance(result[0], float | int):
            return float(result[0])
        if isinstance(result, float | int):
            return float(result)
        raise bad_request("The mock's row-wise apply takes functions answering one number per row")

    def lookup(self, name: str) -> Value:
        """A lambda's argument, a frame by key, or one of Rapids' constants."""
        if name in self.scope:
            return self.scope[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        frame = self.state.frames.get(name)
        if frame is None:
            raise H2OError(400, f"Name lookup of '{name}' failed", "java.lang.IllegalArgumentException")
        return frame


def _lambda(tokens: tuple[Any, ...]) -> tuple[list[str], Any]:
    """A lambda as the client writes it, ``{ x . body }`` (parsed as the ids '{', x, '.', the body and '}'): its
    argument names and its body."""
    names = [t.name if isinstance(t, Id) else None for t in tokens]
    if len(tokens) < 4 or names[0] != "{" or names[-1] != "}" or "." not in names:
        raise bad_request("The mock evaluates functions written { args . body } only")
    dot = names.index(".")
    params = [n for n in names[1:dot] if n is not None]
    body = tokens[dot + 1 : -1]
    if len(params) != dot - 1 or len(body) != 1:
        raise bad_request("The mock evaluates functions written { args . body } only")
    return params, body[0]


#: reductions a row-wise apply's body applies to the row itself, where a row is not a frame
ROW_REDUCERS = frozenset({"mean", "sumNA"})
CONSTANTS: dict[str, Value] = {"True": 1.0, "TRUE": 1.0, "False": 0.0, "FALSE": 0.0, "NA": NAN, "_": None}


def evaluate(state: H2O3MockState, ast: str) -> JSONDict:
    """Evaluate ``ast`` and answer the schema a real server does for its result."""
    try:
        tree = parse(ast)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    with state.lock:
        value = Evaluator(state).eval(tree)
        if isinstance(value, Frame) and value.name not in state.frames:
            value = publish(state, f"RTMP_{state.next_number()}", value)
    return result_json(value)


def result_json(value: Value) -> JSONDict:
    """RapidsFrameV3, RapidsNumberV3, RapidsNumbersV3, RapidsStringV3 or RapidsStringsV3 for a value."""
    if isinstance(value, Frame):
        return _result("RapidsFrameV3", key=key(value.name, "Frame"), num_rows=value.rows, num_cols=len(value.columns))
    if isinstance(value, str):
        return _result("RapidsStringV3", string=value)
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return _result("RapidsStringsV3", string=value)
        return _result("RapidsNumbersV3", scalar=[float(v) for v in value])
    return _result("RapidsNumberV3", scalar=NAN if value is None else float(value))


def _result(schema: str, **fields: Any) -> JSONDict:
    return {
        "__meta": meta(schema, "Iced"),
        "_exclude_fields": "",
        "ast": None,
        "session_id": None,
        "id": None,
        **fields,
    }
