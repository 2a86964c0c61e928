"""Evaluate the Rapids subset the ``h2o`` client emits for common frame work, on the mock's frames.

Covered: ``tmp=``/``rm``/``,``; row and column selection (``rows``, ``cols``, ``cols_py``); elementwise maths,
comparisons and logic (``+ - * / > == & | not abs log ...``); ``ifelse``; reductions (``mean``, ``sumNA``, ``min``,
``max``, ``sd``, ``median``, ``naCnt`` ...); ``table``, ``unique``, ``levels``, ``as.factor``/``as.numeric``/
``as.character``, ``cbind``/``rbind``, ``h2o.runif`` (``split_frame``), ``sort``, ``quantile``, ``scale``,
``cor``/``var``, ``GB`` (``group_by``), column assignment (``append``, ``:=``), ``ls`` and a few more. Anything else
is a 400, worded as the mock's own limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.rapids_frames import FRAME_OPS, LAZY
from h2oharness.apis.h2o3.mockparts.rapids_groupby import GROUP_OPS
from h2oharness.apis.h2o3.mockparts.rapids_math import MATH_OPS
from h2oharness.apis.h2o3.mockparts.rapids_parse import Call, Id, parse
from h2oharness.apis.h2o3.mockparts.rapids_stats import STATS_OPS
from h2oharness.apis.h2o3.mockparts.rapids_values import NAN, Op, Value, publish
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, bad_request, key, meta

OPS: dict[str, Op] = {**FRAME_OPS, **MATH_OPS, **STATS_OPS, **GROUP_OPS}


@dataclass
class Evaluator:
    """Evaluates one expression against the state's frames; ``tmp=`` publishes frames under their names."""

    state: H2O3MockState

    def eval(self, node: Any) -> Value:
        """The value of a parsed node."""
        if isinstance(node, Call):
            op = OPS.get(node.op)
            if op is None:
                raise bad_request(f"The mock does not evaluate the Rapids function '{node.op}'")
            if node.op in LAZY:
                return op(self, node.args)
            return op(self, tuple(self.eval(a) for a in node.args))
        if isinstance(node, Id):
            return self.lookup(node.name)
        return node  # type: ignore[no-any-return]

    def lookup(self, name: str) -> Value:
        """A frame by key, or one of Rapids' constants."""
        if name in CONSTANTS:
            return CONSTANTS[name]
        frame = self.state.frames.get(name)
        if frame is None:
            raise H2OError(400, f"Name lookup of '{name}' failed", "java.lang.IllegalArgumentException")
        return frame


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
