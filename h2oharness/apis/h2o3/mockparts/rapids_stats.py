"""Rapids functions for statistics and column utilities: scale, quantile, t, cumulative sums, cor/var, which.max,
impute/fillna, fold columns, topn, relevel.by.freq, the string functions and time zones."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from h2oharness.apis.h2o3.mockparts.doubles import fsum, square, stdev
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_values import (
    NAN,
    Env,
    Op,
    Value,
    copy_column,
    flag_arg,
    frame_arg,
    fresh_frame,
    num_arg,
    numeric_values,
    present_values,
    real_column,
)  # fmt: skip
from h2oharness.apis.h2o3.mockparts.wire import bad_request


def op_scale(ev: Env, args: tuple[Any, ...]) -> Value:
    """(scale frame center scale)."""
    frame = frame_arg(args[0])
    center, scale = flag_arg(args[1]), flag_arg(args[2])
    columns = []
    for col in frame.columns:
        values = numeric_values(col, "scale")
        present = present_values(values)
        mean = fsum(present) / len(present) if present and center else 0.0
        sd = stdev(present) if len(present) > 1 and scale else 1.0
        columns.append(real_column(col.name, [(v - mean) / (sd or 1.0) for v in values]))
    return fresh_frame(columns)


def _cumulative(step: Callable[[float, float], float]) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        frame = frame_arg(args[0])
        columns = []
        for col in frame.columns:
            acc: float | None = None
            out = []
            for v in numeric_values(col, "cumulative"):
                # a missing value makes the rest missing (max and min would step over it)
                acc = v if acc is None else NAN if math.isnan(acc) or math.isnan(v) else step(acc, v)
                out.append(acc)
            columns.append(real_column(col.name, out))
        if len(columns) == 1:
            columns[0].name = "C1"  # a real server names a one-column result so; a wider one keeps its names
        return fresh_frame(columns)

    return apply


def op_quantile(ev: Env, args: tuple[Any, ...]) -> Value:
    """(quantile frame [probs] method weights): a Probs column and one Quantiles column per column."""
    frame = frame_arg(args[0])
    probs = [float(p) for p in args[1]] if isinstance(args[1], list) else [num_arg(args[1])]
    columns = [real_column("Probs", probs)]
    for col in frame.columns:
        values = sorted(present_values(col.numbers)) if col.has_numbers else []
        out = []
        for p in probs:
            if not values:
                out.append(NAN)
                continue
            pos = p * (len(values) - 1)
            lo = math.floor(pos)
            hi = min(lo + 1, len(values) - 1)
            out.append(values[lo] + (values[hi] - values[lo]) * (pos - lo))
        columns.append(real_column(f"{col.name}Quantiles", out))
    return fresh_frame(columns)


def op_transpose(ev: Env, args: tuple[Any, ...]) -> Value:
    """(t frame)."""
    frame = frame_arg(args[0])

    def row(r: int) -> list[float]:
        return [c.numbers[r] if c.has_numbers else NAN for c in frame.columns]

    return fresh_frame([real_column(f"C{r + 1}", row(r)) for r in range(frame.rows)])


def _covariance(correlate: bool) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        x = frame_arg(args[0])
        y = args[1] if isinstance(args[1], Frame) else x
        columns = []
        for cy in y.columns:
            out = []
            for cx in x.columns:
                pairs = [
                    (a, b) for a, b in zip(cx.numbers, cy.numbers, strict=True) if not (math.isnan(a) or math.isnan(b))
                ]
                out.append(_cov(pairs, correlate))
            columns.append(real_column(cy.name, out))
        return fresh_frame(columns)

    return apply


def _cov(pairs: list[tuple[float, float]], correlate: bool) -> float:
    n = len(pairs)
    if n < 2:
        return NAN
    ma = fsum([a for a, _ in pairs]) / n
    mb = fsum([b for _, b in pairs]) / n
    cov = fsum([(a - ma) * (b - mb) for a, b in pairs]) / (n - 1)
    if not correlate:
        return cov
    sa = math.sqrt(fsum([square(a - ma) for a, _ in pairs]) / (n - 1))
    sb = math.sqrt(fsum([square(b - mb) for _, b in pairs]) / (n - 1))
    return cov / (sa * sb) if sa and sb else NAN


def _which_extreme(pick_max: bool) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        frame = frame_arg(args[0])
        columns = []
        for col in frame.columns:
            present = [(v, r) for r, v in enumerate(col.numbers) if not math.isnan(v)] if col.has_numbers else []
            best = (max if pick_max else min)(present, key=lambda t: t[0])[1] if present else NAN
            columns.append(real_column(col.name, [float(best)], "int"))
        return fresh_frame(columns)

    return apply


def op_impute(ev: Env, args: tuple[Any, ...]) -> Value:
    """(h2o.impute frame column method ...): fill missing values with the column mean in place; the means."""
    frame = frame_arg(args[0])
    which = int(num_arg(args[1], -1.0))
    chosen = frame.columns if which < 0 else [frame.columns[which]]
    means = []
    for col in chosen:
        present = present_values(col.numbers) if col.has_numbers and col.type != "enum" else []
        mean = fsum(present) / len(present) if present else NAN
        means.append(mean)
        if present:
            col.numbers[:] = [mean if math.isnan(v) else v for v in col.numbers]
            col.changed()
    return means


def op_fillna(ev: Env, args: tuple[Any, ...]) -> Value:
    """(h2o.fillna frame method axis maxlen): carry values forward (or backward) down each column."""
    frame = frame_arg(args[0])
    backward = str(args[1]) == "backward"
    maxlen = int(num_arg(args[3], 1.0)) if len(args) > 3 else 1
    columns = []
    for col in frame.columns:
        values = list(col.numbers) if col.has_numbers else []
        order = range(len(values) - 1, -1, -1) if backward else range(len(values))
        last, run = NAN, 0
        for r in order:
            if math.isnan(values[r]):
                if not math.isnan(last) and run < maxlen:
                    values[r] = last
                    run += 1
            else:
                last, run = values[r], 0
        columns.append(
            Column(col.name, col.type, numbers=values, domain=col.domain) if col.has_numbers else copy_column(col)
        )
    return fresh_frame(columns)


def _folds(kind: str) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        frame = frame_arg(args[0])
        nfolds = int(num_arg(args[1], 3.0))
        if kind == "modulo":
            folds = [float(r % nfolds) for r in range(frame.rows)]
        else:
            seed = int(num_arg(args[2], -1.0)) if len(args) > 2 else -1
            rng = random.Random(seed if seed != -1 else None)
            folds = [float(rng.randrange(nfolds)) for _ in range(frame.rows)]
        return fresh_frame([real_column("C1", folds, "int")])

    return apply


def op_topn(ev: Env, args: tuple[Any, ...]) -> Value:
    """(topn frame column percent top): the row numbers and values of the top (or bottom) percent."""
    frame = frame_arg(args[0])
    col = frame.columns[int(num_arg(args[1], 0.0))]
    percent = num_arg(args[2], 10.0)
    top = num_arg(args[3], 1.0) > 0 if len(args) > 3 else True
    present = [(v, r) for r, v in enumerate(col.numbers) if not math.isnan(v)] if col.has_numbers else []
    present.sort(reverse=top)
    chosen = present[: max(1, round(len(present) * percent / 100))] if present else []
    return fresh_frame([
        real_column("Row Indices", [float(r) for _, r in chosen], "int"),
        real_column(f"{'Top' if top else 'Bottom'} {percent:g}% {col.name}", [v for v, _ in chosen]),
    ])  # fmt: skip


def op_relevel_by_freq(ev: Env, args: tuple[Any, ...]) -> Value:
    """(relevel.by.freq frame weights top_n): categorical levels reordered by frequency, most frequent first."""
    frame = frame_arg(args[0])
    columns = []
    for col in frame.columns:
        if col.type != "enum" or not col.domain:
            columns.append(copy_column(col))
            continue
        counts = [0] * len(col.domain)
        for v in present_values(col.numbers):
            counts[int(v)] += 1
        order = sorted(range(len(col.domain)), key=lambda i: -counts[i])
        remap = {old: float(new) for new, old in enumerate(order)}
        numbers = [NAN if math.isnan(v) else remap[int(v)] for v in col.numbers]
        columns.append(Column(col.name, "enum", numbers=numbers, domain=[col.domain[i] for i in order]))
    return fresh_frame(columns)


#: string functions that change a categorical column's levels and name a one-column result C1, as a real server does
_LEVEL_OPS = ("toupper", "tolower")


def _string_op(name: str, fn: Callable[[str], str | float]) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        frame = frame_arg(args[0])
        columns = []
        for i, col in enumerate(frame.columns):
            if col.type not in ("string", "enum"):
                raise bad_request(
                    f"{name}() requires a string or categorical column. Received Numeric. "
                    "Please convert column to a string or categorical first."
                )
            if col.type == "enum" and name in _LEVEL_OPS:
                # a categorical column stays one, its levels changed (merged where two become one)
                labels = [None if t is None else str(fn(t)) for t in (col.label(r) for r in range(col.rows))]
                domain = sorted({t for t in labels if t is not None})
                codes = [NAN if t is None else float(domain.index(t)) for t in labels]
                columns.append(Column(col.name, "enum", numbers=codes, domain=domain))
                continue
            texts = [col.label(r) for r in range(col.rows)]
            out = [None if t is None else fn(t) for t in texts]
            if all(isinstance(o, float) or o is None for o in out):
                # a real server names strlen's columns by position (C1, C2 ...), as it answered for nchar()
                named = f"C{i + 1}" if name == "length" else col.name
                columns.append(real_column(named, [NAN if o is None else float(o) for o in out], "int"))
            else:
                columns.append(Column(col.name, "string", strings=[None if o is None else str(o) for o in out]))
        if len(columns) == 1 and name in _LEVEL_OPS:
            columns[0].name = "C1"
        return fresh_frame(columns)

    return apply


def op_time_zone(ev: Env, args: tuple[Any, ...]) -> Value:
    """(getTimeZone)."""
    return "UTC"


def op_list_time_zones(ev: Env, args: tuple[Any, ...]) -> Value:
    """(listTimeZones): the zones a real server knows, a few of them here."""
    zones = ["Africa/Abidjan", "America/New_York", "Asia/Tokyo", "Europe/London", "Europe/Prague", "UTC"]
    return fresh_frame([Column("Timezones", "string", strings=list(zones))])


STATS_OPS: dict[str, Op] = {
    "scale": op_scale, "quantile": op_quantile, "t": op_transpose,
    "cumsum": _cumulative(lambda a, b: a + b), "cumprod": _cumulative(lambda a, b: a * b),
    "cummin": _cumulative(min), "cummax": _cumulative(max),
    "cor": _covariance(True), "var": _covariance(False),
    "which.max": _which_extreme(True), "which.min": _which_extreme(False),
    "h2o.impute": op_impute, "h2o.fillna": op_fillna,
    "kfold_column": _folds("random"), "stratified_kfold_column": _folds("random"),
    "modulo_kfold_column": _folds("modulo"), "topn": op_topn, "relevel.by.freq": op_relevel_by_freq,
    "toupper": _string_op("toupper", str.upper), "tolower": _string_op("tolower", str.lower),
    "trim": _string_op("trim", str.strip), "lstrip": _string_op("trim", str.lstrip),
    "rstrip": _string_op("trim", str.rstrip), "strlen": _string_op("length", lambda s: float(len(s))),
    "getTimeZone": op_time_zone, "listTimeZones": op_list_time_zones,
}  # fmt: skip
