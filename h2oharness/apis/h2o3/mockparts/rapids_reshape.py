"""Rapids ``merge``, ``cut`` and ``pivot``: the client's H2OFrame.merge, cut and pivot, answered as a real 3.46.0.12
answers them for small frames (the columns, their order and types, and the rows' order)."""

from __future__ import annotations

import itertools
import math
from typing import Any

from h2oharness.apis.h2o3.mockparts.doubles import java_string
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_values import (
    NAN,
    Env,
    Op,
    Value,
    flag_arg,
    frame_arg,
    fresh_frame,
    indices_arg,
    num_arg,
)
from h2oharness.apis.h2o3.mockparts.wire import bad_request

MERGE_METHODS = ("auto", "radix", "hash")


def _key_of(frame: Frame, by: list[int], row: int) -> tuple[Any, ...] | None:
    """A row's key by label (enums match across frames by level, not by code); None when a part is missing."""
    parts: list[Any] = []
    for j in by:
        col = frame.columns[j]
        if col.is_missing(row):
            return None
        parts.append(col.label(row) if col.type == "enum" or not col.has_numbers else col.numbers[row])
    return tuple(parts)


def _sort_key(frame: Frame, by: list[int], row: int) -> tuple[Any, ...]:
    """Where the radix merge puts a row: missing keys first, then by value (an enum by its level's index)."""
    parts: list[Any] = []
    for j in by:
        col = frame.columns[j]
        if col.is_missing(row):
            parts.append((0, 0.0, ""))
        elif col.has_numbers:
            parts.append((1, col.numbers[row], ""))
        else:
            parts.append((1, 0.0, col.strings[row] or ""))
    return tuple(parts)


def _taken(col: Column, rows: list[int | None], name: str | None = None) -> Column:
    """``col``'s values at ``rows`` (None: missing)."""
    if col.has_numbers:
        numbers = [col.numbers[r] if r is not None else NAN for r in rows]
        return Column(name or col.name, col.type, numbers=numbers, domain=col.domain)
    return Column(name or col.name, col.type, strings=[col.strings[r] if r is not None else None for r in rows])


def _recoded(source: Column, like: Column, rows: list[int | None]) -> Column:
    """A right-hand key column's values at ``rows``, in the left column's levels."""
    if like.type != "enum" or like.domain is None:
        return _taken(source, rows, like.name)
    index = {level: float(i) for i, level in enumerate(like.domain)}
    values = [index.get(source.label(r) or "", NAN) if r is not None else NAN for r in rows]
    return Column(like.name, "enum", numbers=values, domain=like.domain)


def op_merge(ev: Env, args: tuple[Any, ...]) -> Value:
    """(merge left right all_x all_y [by_x] [by_y] method): the key columns, the left's others, then the right's
    others; the rows in key order (radix, the default) or in the left's order (hash); a left row once per right
    row with its key, and (all_x) once with missing right values when none has it."""
    if len(args) != 7:
        raise bad_request("merge takes a left and a right frame, all_x, all_y, by_x, by_y and a method")
    left, right = frame_arg(args[0]), frame_arg(args[1])
    all_x, all_y = flag_arg(args[2]), flag_arg(args[3])
    by_x, by_y = indices_arg(args[4], len(left.columns)), indices_arg(args[5], len(right.columns))
    method = args[6]
    if method not in MERGE_METHODS:
        raise bad_request(f"Unknown merge method '{method}': one of {', '.join(MERGE_METHODS)}")
    if all_y:
        raise bad_request("The mock does not evaluate merge with all_y (a right outer join)")
    if not by_x or len(by_x) != len(by_y):
        raise bad_request("merge needs as many key columns on the left as on the right, at least one")
    for i, j in zip(by_x, by_y, strict=True):
        if (left.columns[i].type == "enum") != (right.columns[j].type == "enum"):
            raise bad_request(f"Merging columns must be the same type, column {left.columns[i].name} found types "
                              f"{left.columns[i].type} and {right.columns[j].type}")  # fmt: skip
    matches: dict[tuple[Any, ...], list[int]] = {}
    for r in range(right.rows):
        found = _key_of(right, by_y, r)
        if found is not None:
            matches.setdefault(found, []).append(r)
    order = list(range(left.rows))
    if method != "hash":
        order.sort(key=lambda r: _sort_key(left, by_x, r))
    left_rows: list[int | None] = []
    right_rows: list[int | None] = []
    for r in order:
        found = _key_of(left, by_x, r)
        partners = matches.get(found, []) if found is not None else []
        if not partners and all_x:
            partners = [-1]
        for p in partners:
            left_rows.append(r)
            right_rows.append(p if p >= 0 else None)
    columns = [_taken(left.columns[j], left_rows) for j in by_x]
    columns += [_taken(c, left_rows) for j, c in enumerate(left.columns) if j not in by_x]
    columns += [_taken(c, right_rows) for j, c in enumerate(right.columns) if j not in by_y]
    return fresh_frame(columns)


def _rounded(value: float, digits: int) -> float:
    """``value`` to ``digits`` significant digits, as the cut labels' dig_lab rounds it."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def op_cut(ev: Env, args: tuple[Any, ...]) -> Value:
    """(cut col [breaks] [labels] include_lowest right digits): each value's interval between two breaks as an
    enum of every interval, "(a,b]" (right; the first "[a,b]" with include_lowest) or "[a,b)", or the labels given;
    a value outside them is missing."""
    if len(args) != 6:
        raise bad_request("cut takes a column, breaks, labels, include_lowest, right and digits")
    frame = frame_arg(args[0])
    if len(frame.columns) != 1:
        raise bad_request("Can only cut a single column")
    col = frame.columns[0]
    if not col.has_numbers or col.type == "enum":
        raise bad_request("Cannot cut a categorical or string column")
    breaks = sorted(float(b) for b in (args[1] if isinstance(args[1], list) else [args[1]]))
    labels = args[2] if isinstance(args[2], list) else [args[2]] if isinstance(args[2], str) else []
    lowest, right, digits = flag_arg(args[3]), flag_arg(args[4]), int(num_arg(args[5], 3.0))
    if len(breaks) < 2:
        raise bad_request("Must have at least 2 breaks")
    if labels and len(labels) != len(breaks) - 1:
        raise bad_request("Number of labels must be one less than the number of breaks")
    if not labels:
        shown = [java_string(_rounded(b, digits)) for b in breaks]
        opening, closing = ("(", "]") if right else ("[", ")")
        labels = [f"{opening}{a},{b}{closing}" for a, b in itertools.pairwise(shown)]
        if lowest and right:
            labels[0] = "[" + labels[0][1:]
    codes = []
    for v in col.numbers:
        code = NAN
        for i in range(len(breaks) - 1):
            low, high = breaks[i], breaks[i + 1]
            # include_lowest takes the lowest break into the first interval (a no-op for left-closed ones)
            if (low < v <= high if right else low <= v < high) or (lowest and i == 0 and v == low):
                code = float(i)
                break
        codes.append(code)
    return fresh_frame([Column(col.name, "enum", numbers=codes, domain=[str(label) for label in labels])])


def op_pivot(ev: Env, args: tuple[Any, ...]) -> Value:
    """(pivot frame 'index' 'column' 'value'): one row per index value, in order, and one column per level (or
    value) of ``column`` holding ``value`` (missing where a pair has none); int where every value is whole."""
    if len(args) != 4:
        raise bad_request("pivot takes a frame and the names of its index, column and value columns")
    frame = frame_arg(args[0])
    named = []
    for name in args[1:]:
        if not isinstance(name, str) or name not in frame.names:
            raise bad_request(f"Column '{name}' not found")
        named.append(frame.columns[frame.names.index(name)])
    index, column, value = named
    if not value.has_numbers:
        raise bad_request("The value column of a pivot must be numeric")
    rows: dict[Any, dict[Any, float]] = {}
    for r in range(frame.rows):
        if index.is_missing(r) or column.is_missing(r):
            continue
        rows.setdefault(index.numbers[r] if index.has_numbers else index.strings[r], {})[_pivot_label(column, r)] = (
            value.numbers[r]
        )
    keys = sorted(rows)
    heads = column.domain if column.type == "enum" and column.domain is not None else None
    if heads is None:
        heads = [_pivot_label(column, r) for r in sorted(range(frame.rows), key=lambda r: column.numbers[r])]
        heads = list(dict.fromkeys(h for h in heads if h))
    if index.has_numbers:
        out = [Column(index.name, index.type, numbers=list(keys), domain=index.domain)]
    else:
        out = [Column(index.name, index.type, strings=list(keys))]
    for head in heads:
        values = [rows[k].get(head, NAN) for k in keys]
        whole = all(math.isnan(v) or v == int(v) for v in values)
        out.append(Column(head, "int" if whole else "real", numbers=values))
    return fresh_frame(out)


def _pivot_label(column: Column, row: int) -> str:
    if column.type == "enum":
        return column.label(row) or ""
    value = column.numbers[row]
    return "" if math.isnan(value) else str(int(value)) if value == int(value) else repr(value)


RESHAPE_OPS: dict[str, Op] = {"merge": op_merge, "cut": op_cut, "pivot": op_pivot}
