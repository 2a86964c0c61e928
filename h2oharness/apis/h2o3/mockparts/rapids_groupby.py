"""Rapids ``GB``, the client's ``group_by``: one row per group of the grouping columns' values, sorted by them, with
a column per aggregate, computed as H2O-3's AstGroup does (its NA handling, names and odd corners included)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from h2oharness.apis.h2o3.mockparts.doubles import fsum, square
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_values import (
    NAN,
    Env,
    Op,
    Value,
    frame_arg,
    fresh_frame,
    indices_arg,
    real_column,
)
from h2oharness.apis.h2o3.mockparts.wire import bad_request

#: AstGroup.FCN: the aggregates GB knows, by the name the client sends
AGGREGATES = ("nrow", "mean", "sum", "sumSquares", "var", "sdev", "min", "max", "median", "mode")
NA_HANDLING = ("all", "rm", "ignore")
#: Double.MAX_VALUE, the start of min (and, negated, of max): a group without a value to reduce answers it
MAX_DOUBLE = 1.7976931348623157e308


def _selection(value: Value, ncols: int) -> list[int]:
    """AstGroup.check: column numbers (a list, a number or spans), each of the frame's."""
    if isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value)):
        raise bad_request("Requires a number-list, but found a string")
    if value == []:
        return []
    items = value if isinstance(value, list) else [value]
    raw = [int(i) for i in items if isinstance(i, float | int)]
    if any(not 0 <= i < ncols for i in raw):
        raise bad_request(f"Selection must be an integer from 0 to {ncols}")
    return indices_arg(value, ncols)


def _reduce(fcn: str, values: list[float], n: int, levels: int) -> float:
    """AstGroup.FCN's postPass over the values op() was given, n being the count AGG.op kept."""
    if fcn == "nrow":
        return float(len(values))
    if fcn in ("mean", "sum", "sumSquares"):
        total = fsum([square(v) for v in values]) if fcn == "sumSquares" else fsum(values)
        return total if fcn != "mean" else (total / n if n else NAN)
    if fcn in ("var", "sdev"):
        squares, total = fsum([square(v) for v in values]), fsum(values)
        numerator = squares - total * total / n if n else NAN
        if abs(numerator) < 1e-5:
            numerator = 0.0
        variance = numerator / (n - 1) if n > 1 else (NAN if numerator == 0 or math.isnan(numerator) else math.inf)
        return variance if fcn == "var" else math.sqrt(variance) if variance >= 0 else NAN
    if fcn in ("min", "max"):
        pick: Callable[[float, float], float] = min if fcn == "min" else max
        acc = MAX_DOUBLE if fcn == "min" else -MAX_DOUBLE
        for v in values:
            # Java's Math.min/max: a NaN on either side is NaN
            acc = NAN if math.isnan(v) or math.isnan(acc) else pick(acc, v)
        return acc
    # mode: counts by level code; Java's (int) NaN is 0, so an NA counts as the first level
    counts = [0] * max(levels, 1)
    for v in values:
        code = 0 if math.isnan(v) else int(v)
        if 0 <= code < len(counts):
            counts[code] += 1
    return float(counts.index(max(counts)))


def _median(values: list[float]) -> float:
    """The middle value (or the mean of the two) with missing values sorted first, as Merge.sort does."""
    if not values:
        return NAN
    ordered = sorted(values, key=lambda v: (not math.isnan(v), v))
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _group_key(frame: Frame, by: list[int], row: int) -> tuple[Any, ...]:
    return tuple(
        frame.columns[j].strings[row] if not frame.columns[j].has_numbers else frame.columns[j].numbers[row] for j in by
    )


def _order(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """AstGroup's comparator: numbers with NaN least; strings with a missing one last."""
    out: list[Any] = []
    for part in key:
        if isinstance(part, float):
            out.append((not math.isnan(part), 0.0 if math.isnan(part) else part))
        else:
            out.append((part is None, part or ""))
    return tuple(out)


def op_group_by(ev: Env, args: tuple[Any, ...]) -> Value:
    """(GB frame [by] fcn col na ...): per group, each aggregate of a column; string columns are not aggregated."""
    frame = frame_arg(args[0])
    ncols = len(frame.columns)
    by = _selection(args[1], ncols)
    rest = args[2:]
    if len(rest) % 3:
        raise bad_request("GB takes its aggregates as triples of function, column and NA handling")
    aggregates: list[tuple[str, int, str]] = []
    for i in range(0, len(rest), 3):
        fcn, col, na = rest[i], _selection(rest[i + 1], ncols), rest[i + 2]
        if len(col) != 1:
            raise bad_request("Group-By functions take only a single column")
        if fcn not in AGGREGATES:
            raise bad_request(f"No enum constant water.rapids.ast.prims.mungers.AstGroup.FCN.{fcn}")
        if fcn == "mode" and frame.columns[col[0]].type != "enum":
            raise bad_request("Mode only allowed on categorical columns")
        if not isinstance(na, str) or na.lower() not in NA_HANDLING:
            raise bad_request(f"No enum constant water.rapids.ast.prims.mungers.AstGroup.NAHandling.{na}")
        if frame.columns[col[0]].has_numbers:  # a string column is skipped, as AstGroup does (with a warning)
            aggregates.append((fcn, col[0], na.lower()))
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in range(frame.rows):
        groups.setdefault(_group_key(frame, by, row), []).append(row)
    keys = sorted(groups, key=_order)
    columns: list[Column] = []
    for n, j in enumerate(by):
        source = frame.columns[j]
        if source.has_numbers:
            columns.append(Column(source.name, source.type, numbers=[k[n] for k in keys], domain=source.domain))
        else:
            columns.append(Column(source.name, source.type, strings=[k[n] for k in keys]))
    for fcn, j, na in aggregates:
        source = frame.columns[j]
        levels = len(source.domain) if source.domain is not None else int(max(source.numbers, default=0)) + 1
        results: list[float] = []
        for key in keys:
            cells = [source.numbers[r] for r in groups[key]]
            # AGG.op: a value (or any one with 'all') is reduced; a value (or any one with 'ignore') is counted
            reduced = [v for v in cells if not math.isnan(v) or na == "all"]
            counted = sum(1 for v in cells if not math.isnan(v) or na == "ignore")
            if fcn == "median":
                results.append(_median([v for v in cells if not math.isnan(v) or na != "rm"]))
            else:
                results.append(_reduce(fcn, reduced, counted, levels))
        columns.append(real_column(fcn if fcn == "nrow" else f"{fcn}_{source.name}", results))
    return fresh_frame(columns)


GROUP_OPS: dict[str, Op] = {"GB": op_group_by}
