"""What Rapids expressions evaluate to on the mock, and the argument helpers every group of Rapids functions shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_parse import Span
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import bad_request

Value = Frame | float | str | list[Any] | None
NAN = math.nan


class Env(Protocol):
    """What a Rapids function sees of the evaluator: the state, and evaluation of a not yet evaluated argument."""

    state: H2O3MockState

    def eval(self, node: Any) -> Value:
        """The value of a parsed node."""
        ...


Op = Callable[[Env, tuple[Any, ...]], Value]


def publish(state: H2O3MockState, name: str, frame: Frame) -> Frame:
    """Store a copy of ``frame`` under ``name``."""
    stored = Frame(name, [copy_column(c) for c in frame.columns])
    state.frames[name] = stored
    return stored


def copy_column(col: Column, name: str | None = None) -> Column:
    """A copy of a column, renamed when ``name`` is given."""
    return Column(
        name or col.name,
        col.type,
        numbers=list(col.numbers),
        strings=list(col.strings),
        domain=list(col.domain) if col.domain is not None else None,
    )


# ---------------------------------------------------------------- argument helpers


def frame_arg(value: Value, what: str = "a frame") -> Frame:
    """An argument that must be a frame."""
    if not isinstance(value, Frame):
        raise bad_request(f"Expected {what}, got {type(value).__name__}")
    return value


def num_arg(value: Value, default: float = NAN) -> float:
    """An argument as a number (a 1x1 frame's value too)."""
    if value is None:
        return default
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, Frame) and value.rows == 1 and len(value.columns) == 1:
        return value.columns[0].numbers[0] if value.columns[0].has_numbers else NAN
    raise bad_request(f"Expected a number, got {value!r:.80}")


def flag_arg(value: Value) -> bool:
    """An argument as a boolean."""
    return bool(num_arg(value, 0.0))


def indices_arg(value: Value, size: int) -> list[int]:
    """Row or column numbers from a number, a span or a list of numbers and spans."""
    items = value if isinstance(value, list) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, Span):
            out.extend(item.indices())
        elif isinstance(item, float | int):
            out.append(int(item))
        else:
            raise bad_request(f"Expected numbers or spans, got {item!r:.80}")
    if out and all(i < 0 for i in out):
        # negative numbers drop those indices (1-based, as R)
        dropped = {-i - 1 if i != 0 else 0 for i in out}
        return [i for i in range(size) if i not in dropped]
    return [i for i in out if 0 <= i < size]


def column_indices(frame: Frame, value: Value) -> list[int]:
    """Column numbers from names, numbers or spans (Rapids' column lists take either)."""
    items = value if isinstance(value, list) else [value]
    if not any(isinstance(item, str) for item in items):
        return indices_arg(value, len(frame.columns))
    out: list[int] = []
    for item in items:
        if isinstance(item, str):
            if item not in frame.names:
                raise bad_request(f"Column '{item}' not found")
            out.append(frame.names.index(item))
        else:
            out.extend(indices_arg(item, len(frame.columns)))
    return out


def numeric_values(col: Column, fn: str) -> list[float]:
    """A numeric column's values; 400 for another type."""
    if not col.has_numbers or col.type == "enum":
        kind = "String" if not col.has_numbers else "Categorical"
        raise bad_request(f"{fn}() requires a numeric column. Received {kind}.")
    return col.numbers


def real_column(name: str, numbers: list[float], kind: str = "real") -> Column:
    """A new numeric column."""
    return Column(name, kind, numbers=numbers)


def fresh_frame(columns: list[Column]) -> Frame:
    """A new, unnamed frame (published by tmp= or the evaluator)."""
    return Frame("", columns)


def present_values(values: Sequence[float]) -> list[float]:
    """The values that are not missing."""
    return [v for v in values if not math.isnan(v)]
