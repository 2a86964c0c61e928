"""Rapids functions that compute: elementwise maths, comparisons and logic, ifelse, and reductions (mean, sumNA,
min/max, sd, median, naCnt, ...)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

from h2oharness.apis.h2o3.mockparts.doubles import fsum, square, stdev
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_values import (
    NAN,
    Env,
    Op,
    Value,
    flag_arg,
    frame_arg,
    fresh_frame,
    num_arg,
    numeric_values,
    present_values,
    real_column,
)  # fmt: skip
from h2oharness.apis.h2o3.mockparts.wire import bad_request

# ---------------------------------------------------------------- elementwise


def _unary(fn: Callable[[float], float], name: str, renames: bool = True) -> Op:
    """The op applying ``fn`` to a number or to each value of a frame; a real server names each column it makes
    ``name(column)`` ("log(x1)"), but for round and signif, whose columns keep their names."""

    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        value = args[0]
        if not isinstance(value, Frame):
            return _safe(fn, num_arg(value))
        columns = []
        for c in value.columns:
            values = [_safe(fn, v) for v in numeric_values(c, name)]
            columns.append(real_column(f"{name}({c.name})" if renames else c.name, values, kind_of(values)))
        return fresh_frame(columns)

    return apply


def kind_of(values: list[float]) -> str:
    """The type a real server gives a numeric column it made of these values: int when every value present is a
    whole number (a column of nothing but NAs too), else real."""
    return "int" if all(math.isfinite(v) and v.is_integer() for v in present_values(values)) else "real"


def _safe(fn: Callable[[float], float], v: float) -> float:
    """``fn(v)`` as Java's Math answers it where Python's raises: ±Infinity past a double's range (exp, sinh...),
    a log's -Infinity at its pole, NaN off the domain."""
    if math.isnan(v):
        return NAN
    try:
        return float(fn(v))
    except OverflowError:
        return math.copysign(math.inf, v) if fn is math.sinh else math.inf
    except (ValueError, ZeroDivisionError):
        at_pole = (fn in (math.log, math.log10, math.log2) and v == 0) or (fn is math.log1p and v == -1)
        return -math.inf if at_pole else NAN


def _digamma(x: float) -> float:
    result = 0.0
    while x < 6:
        result -= 1 / x
        x += 1
    f = 1 / (x * x)
    return result + math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f / 240)))


def _trigamma(x: float) -> float:
    result = 0.0
    while x < 6:
        result += 1 / (x * x)
        x += 1
    f = 1 / (x * x)
    return result + 1 / x + f / 2 + f / x * (1 / 6 - f * (1 / 30 - f / 42))


UNARY: dict[str, Callable[[float], float]] = {
    "abs": abs, "acos": math.acos, "acosh": math.acosh, "asin": math.asin, "asinh": math.asinh,
    "atan": math.atan, "atanh": math.atanh, "ceiling": math.ceil, "cos": math.cos, "cosh": math.cosh,
    "cospi": lambda v: math.cos(math.pi * v), "digamma": _digamma, "exp": math.exp, "expm1": math.expm1,
    "floor": math.floor, "gamma": math.gamma, "lgamma": math.lgamma, "log": math.log, "log10": math.log10,
    "log1p": math.log1p, "log2": math.log2, "not": lambda v: float(v == 0),
    "sign": lambda v: float((v > 0) - (v < 0)), "sin": math.sin, "sinh": math.sinh,
    "sinpi": lambda v: math.sin(math.pi * v), "sqrt": math.sqrt, "tan": math.tan, "tanh": math.tanh,
    "tanpi": lambda v: math.tan(math.pi * v), "trigamma": _trigamma, "trunc": math.trunc,
}  # fmt: skip


def op_is_na(ev: Env, args: tuple[Any, ...]) -> Value:
    """(is.na frame): 1 where a value is missing, each column named isNA(its name)."""
    frame = frame_arg(args[0])
    return fresh_frame(
        [real_column(f"isNA({c.name})", [float(c.is_missing(r)) for r in range(c.rows)], "int") for c in frame.columns]
    )


def op_round(ev: Env, args: tuple[Any, ...]) -> Value:
    """(round frame digits), half to even as Java's Math.rint."""
    digits = int(num_arg(args[1], 0.0))
    return _unary(lambda v: round(v, digits), "round", renames=False)(ev, args[:1])


def op_signif(ev: Env, args: tuple[Any, ...]) -> Value:
    """(signif frame digits)."""
    digits = int(num_arg(args[1], 6.0))

    def signif(v: float) -> float:
        return 0.0 if v == 0 else round(v, digits - 1 - math.floor(math.log10(abs(v))))

    return _unary(signif, "signif", renames=False)(ev, args[:1])


def _compare(op: str) -> Callable[[float, float], float]:
    table: dict[str, Callable[[float, float], bool]] = {
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    }  # fmt: skip
    # Java's comparisons: a missing value compares false, and unequal to everything (a real server answers 0 for
    # NA > 0 and 1 for NA != 0, not NA)
    return lambda a, b: float(table[op](a, b))


def _arith(op: str) -> Callable[[float, float], float]:
    def div(a: float, b: float) -> float:
        if b == 0:
            return NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
        return a / b

    table: dict[str, Callable[[float, float], float]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": div,
        "^": lambda a, b: a**b, "%": lambda a, b: NAN if b == 0 else math.fmod(a, b),
        "%%": lambda a, b: NAN if b == 0 else a % b, "intDiv": lambda a, b: NAN if b == 0 else float(a // b),
        "%/%": lambda a, b: NAN if b == 0 else float(a // b),
        "&": lambda a, b: 0.0 if a == 0 or b == 0 else (NAN if math.isnan(a) or math.isnan(b) else 1.0),
        # H2O-3's AstOr: true only for a 1 (2.5 | 0 is 0), NA where a side is missing and neither is 1
        "|": lambda a, b: 1.0 if a == 1 or b == 1 else (NAN if math.isnan(a) or math.isnan(b) else 0.0),
    }  # fmt: skip
    table["&&"], table["||"] = table["&"], table["|"]
    fn = table[op]
    logical = op in ("&", "|", "&&", "||")

    def guarded(a: float, b: float) -> float:
        if not logical and (math.isnan(a) or math.isnan(b)):
            return NAN
        try:
            return float(fn(a, b))
        except (ValueError, OverflowError, ZeroDivisionError):
            return NAN

    return guarded


def _binary(op: str) -> Op:
    fn = _compare(op) if op in ("<", "<=", ">", ">=", "==", "!=") else _arith(op)
    comparison = op in ("<", "<=", ">", ">=", "==", "!=")

    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        if len(args) != 2:
            raise bad_request(f"Incorrect number of arguments; '{op}' expects 2 but was passed {len(args)}")
        left, right = args
        if not isinstance(left, Frame) and not isinstance(right, Frame):
            return fn(num_arg(left), num_arg(right))
        frame = left if isinstance(left, Frame) else right
        other = right if frame is left else left
        assert isinstance(frame, Frame)
        width = max(len(f.columns) for f in (left, right) if isinstance(f, Frame))
        columns = []
        for j in range(width):
            lv = _operand(left, j, frame.rows, right)
            rv = _operand(right, j, frame.rows, left)
            source = frame.columns[min(j, len(frame.columns) - 1)]
            # a real server names a number's ==/!= against a scalar C1 (a categorical's keeps its name)
            renamed = op in ("==", "!=") and source.type not in ("enum", "string") and isinstance(other, float | int)
            name = "C1" if renamed else source.name
            out = [fn(a, b) for a, b in zip(lv, rv, strict=True)]
            columns.append(real_column(name, out, "int" if comparison else kind_of(out)))
        return fresh_frame(columns)

    return apply


def _operand(value: Value, j: int, rows: int, other: Value) -> list[float]:
    """Column ``j`` of a frame operand as numbers, or a scalar repeated; a string compares to enum levels."""
    if isinstance(value, Frame):
        col = value.columns[min(j, len(value.columns) - 1)]
        if col.type == "enum" and isinstance(other, str):
            return list(col.numbers)
        if not col.has_numbers:
            return [NAN if s is None else float(hash(s)) for s in col.strings]
        return list(col.numbers)
    if isinstance(value, str):
        if isinstance(other, Frame):
            col = other.columns[min(j, len(other.columns) - 1)]
            if col.type == "enum":
                index = (col.domain or []).index(value) if value in (col.domain or []) else -1
                return [float(index)] * rows
            if not col.has_numbers:
                return [float(hash(value))] * rows
        raise bad_request(f"Cannot compare a number with the string '{value}'")
    return [num_arg(value)] * rows


def _level_side(value: Value, level: str | None, rows: int) -> tuple[list[str], list[float]] | None:
    """A side of a string ifelse as (domain, codes): a string is one level; an enum frame its levels; None when
    the side was not evaluated (no row picks it)."""
    if isinstance(value, str):
        return [value], [0.0] * rows
    if isinstance(value, Frame) and value.columns[0].type == "enum":
        return list(value.columns[0].domain or []), list(value.columns[0].numbers)
    if level is None:
        return None
    # AstIfElse: a string on one side needs a categorical column on the other (H2O.unimpl otherwise)
    raise bad_request("ifelse with a string on one side takes a string or a categorical column on the other")


def _ifelse_levels(test: Frame, yes: Value, no: Value) -> Frame:
    """AstIfElse with a string side: a categorical column. Two strings give the levels [no, yes]; a string and a
    categorical column give their levels sorted; then only the levels used are kept, in that order. A side no row
    picks is not evaluated, so a string then faces nothing, which AstIfElse does not implement."""
    mask = test.columns[0].numbers
    # AstIfElse evaluates the yes side unless every test value is 0, the no side if any is 0
    picks_yes = any(v != 0 for v in mask)
    picks_no = any(v == 0 for v in mask)
    yes_side = _level_side(yes, "yes", test.rows) if picks_yes else None
    no_side = _level_side(no, "no", test.rows) if picks_no else None
    if yes_side is None or no_side is None:
        raise bad_request("ifelse with a string needs rows taking either side (H2O's AstIfElse: unimplemented)")
    if isinstance(yes, str) and isinstance(no, str):
        domain = [no, yes]
        yes_codes, no_codes = [1.0] * test.rows, [0.0] * test.rows
    else:
        domain = sorted(yes_side[0] + no_side[0])
        yes_codes = [NAN if math.isnan(c) else float(domain.index(yes_side[0][int(c)])) for c in yes_side[1]]
        no_codes = [NAN if math.isnan(c) else float(domain.index(no_side[0][int(c)])) for c in no_side[1]]
    codes = [NAN if math.isnan(t) else (y if t != 0 else n) for t, y, n in zip(mask, yes_codes, no_codes, strict=True)]
    used = sorted({int(c) for c in codes if not math.isnan(c)})
    renumber = {old: float(new) for new, old in enumerate(used)}
    flattened = [NAN if math.isnan(c) else renumber[int(c)] for c in codes]
    return fresh_frame([Column(test.columns[0].name, "enum", numbers=flattened, domain=[domain[i] for i in used])])


def _described(frame: Frame) -> str:
    """A frame as H2O-3's Frame.toString starts (its key, columns, rows, chunks)."""
    return f"Frame key: null\n   cols: {len(frame.columns)}\n   rows: {frame.rows}\n chunks: 1\n"


def op_ifelse(ev: Env, args: tuple[Any, ...]) -> Value:
    """(ifelse test yes no); a string on either side makes a categorical column (_ifelse_levels)."""
    test = frame_arg(args[0])
    for side in args[1:3]:
        if isinstance(side, Frame) and (len(side.columns), side.rows) != (len(test.columns), test.rows):
            raise bad_request(
                "ifelse test frame and other frames must match dimensions, found "
                f"{_described(test)} and {_described(side)}"
            )
    if isinstance(args[1], str) or isinstance(args[2], str):
        return _ifelse_levels(test, args[1], args[2])
    mask = test.columns[0].numbers
    yes = _operand(args[1], 0, test.rows, test)
    no = _operand(args[2], 0, test.rows, test)
    out = [NAN if math.isnan(t) else (y if t != 0 else n) for t, y, n in zip(mask, yes, no, strict=True)]
    return fresh_frame([real_column("C1", out, kind_of(out))])


# ---------------------------------------------------------------- reductions


def _all_numbers(frame: Frame) -> list[float]:
    return [v for c in frame.columns if c.has_numbers for v in c.numbers]


# A real server reduces a column through its rollups, which leave ±Infinity out (they count them apart): the max of
# a column with +Infinity in it is its largest finite value, and a column of nothing else has no max (NaN); so are
# its min, sd and mean.


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def op_sum(ev: Env, args: tuple[Any, ...]) -> Value:
    """(sumNA frame) / (sum frame): the sum of every present value (a real server answers its finite values' mean
    times their count beside the infinities, a finite sum of a column holding +Infinity: not copied)."""
    return fsum(present_values(_all_numbers(frame_arg(args[0]))))


def _extreme(pick: Callable[[list[float]], float]) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        finite = _finite(_all_numbers(frame_arg(args[0])))
        return pick(finite) if finite else NAN

    return apply


def _sd(present: list[float]) -> float:
    """A column's standard deviation as its rollups give it: of its finite values; -0.0 when it has only
    infinities (what a real server answers)."""
    finite = _finite(present)
    if not finite:
        return -0.0
    return stdev(finite) if len(finite) > 1 else NAN


def op_prod(ev: Env, args: tuple[Any, ...]) -> Value:
    """(prod frame)."""
    return math.prod(_all_numbers(frame_arg(args[0])))


def _per_column(fn: Callable[[list[float]], float]) -> Op:
    def apply(ev: Env, args: tuple[Any, ...]) -> Value:
        frame = frame_arg(args[0])
        out = []
        for col in frame.columns:
            present = present_values(col.numbers) if col.has_numbers and col.type != "enum" else []
            out.append(fn(present) if present else NAN)
        return out

    return apply


def _moment(power: int) -> Callable[[list[float]], float]:
    def moment(values: list[float]) -> float:
        n = len(values)
        if n < 2:
            return NAN
        mean = fsum(values) / n
        sd = math.sqrt(fsum([square(v - mean) for v in values]) / n)
        if sd == 0:
            return NAN
        return fsum([((v - mean) / sd) ** power for v in values]) / n

    return moment


def op_mean(ev: Env, args: tuple[Any, ...]) -> Value:
    """(mean frame na_rm axis): a one-row frame of column means (axis 0) or a column of row means (axis 1)."""
    frame = frame_arg(args[0])
    na_rm = flag_arg(args[1]) if len(args) > 1 else False
    axis = int(num_arg(args[2], 0.0)) if len(args) > 2 else 0

    def mean(values: list[float]) -> float:
        kept = present_values(values) if na_rm else values
        if any(math.isnan(v) for v in kept):
            return NAN
        finite = _finite(kept)
        if not finite:
            return 0.0 if kept else NAN  # only infinities: the rollups' mean of nothing
        return fsum(finite) / len(finite)

    usable = [c for c in frame.columns if c.has_numbers]
    if axis == 1:
        rows = [mean([c.numbers[r] for c in usable if c.type != "enum"]) for r in range(frame.rows)]
        return fresh_frame([real_column("mean", rows)])
    # as H2O-3's rollups: the mean of a categorical column is defined only when it has at most two levels
    return fresh_frame([real_column(c.name, [mean(c.numbers) if _has_mean(c) else NAN]) for c in frame.columns])


def _has_mean(col: Column) -> bool:
    return col.has_numbers and (col.type != "enum" or len(col.domain or []) <= 2)


def op_getrow(ev: Env, args: tuple[Any, ...]) -> Value:
    """(getrow frame): the values of a one-row frame."""
    frame = frame_arg(args[0])
    if frame.rows != 1:
        raise bad_request(f"Frame must have a single row, found {frame.rows} rows.")
    return [c.numbers[0] if c.has_numbers else NAN for c in frame.columns]


def op_flatten(ev: Env, args: tuple[Any, ...]) -> Value:
    """(flatten frame): the one value of a 1x1 frame, a number or a string; any other frame unchanged."""
    frame = frame_arg(args[0])
    if frame.rows != 1 or len(frame.columns) != 1:
        return frame
    col = frame.columns[0]
    if col.type == "enum" or not col.has_numbers:
        return col.label(0)
    return col.numbers[0]


def op_nacnt(ev: Env, args: tuple[Any, ...]) -> Value:
    """(naCnt frame): missing values per column."""
    frame = frame_arg(args[0])
    return [float(sum(c.is_missing(r) for r in range(c.rows))) for c in frame.columns]


def _column_test(test: Callable[[Column], bool]) -> Op:
    return lambda ev, args: [float(test(c)) for c in frame_arg(args[0]).columns]


def op_columns_by_type(ev: Env, args: tuple[Any, ...]) -> Value:
    """(columnsByType frame type): indices of the columns of that type."""
    frame = frame_arg(args[0])
    wanted = str(args[1])
    kinds = {
        "numeric": ("real", "int"), "categorical": ("enum",), "string": ("string",), "time": ("time",),
        "uuid": ("uuid",), "bad": (),
    }  # fmt: skip
    return [float(i) for i, c in enumerate(frame.columns) if c.type in kinds.get(wanted, ())]


def op_filter_na_cols(ev: Env, args: tuple[Any, ...]) -> Value:
    """(filterNACols frame fraction): indices of the columns with fewer missing values than the fraction."""
    frame = frame_arg(args[0])
    limit = num_arg(args[1], 0.2)
    rows = max(1, frame.rows)
    return [float(i) for i, c in enumerate(frame.columns) if sum(map(c.is_missing, range(c.rows))) / rows < limit]


def _truthy(pick: Callable[[list[bool]], bool]) -> Op:
    return lambda ev, args: float(pick([v != 0 for v in _all_numbers(frame_arg(args[0])) if not math.isnan(v)]))


MATH_OPS: dict[str, Op] = {
    **{name: _unary(fn, name) for name, fn in UNARY.items()},
    "is.na": op_is_na, "round": op_round, "signif": op_signif, "ifelse": op_ifelse,
    **{op: _binary(op) for op in ("<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/", "^", "%", "%%", "intDiv",
                                  "%/%", "&", "|", "&&", "||")},
    "sum": op_sum, "sumNA": op_sum, "min": _extreme(min), "max": _extreme(max), "prod": op_prod,
    "mean": op_mean, "getrow": op_getrow, "flatten": op_flatten, "naCnt": op_nacnt,
    "sd": _per_column(_sd),
    "median": _per_column(statistics.median),
    "kurtosis": _per_column(_moment(4)), "skewness": _per_column(_moment(3)),
    "all": _truthy(all), "any": _truthy(any),
    "any.na": lambda ev, args: float(any(c.is_missing(r) for c in frame_arg(args[0]).columns for r in range(c.rows))),
    "any.factor": lambda ev, args: float(any(c.type == "enum" for c in frame_arg(args[0]).columns)),
    "is.factor": _column_test(lambda c: c.type == "enum"),
    "is.numeric": _column_test(lambda c: c.type in ("real", "int")),
    "is.character": _column_test(lambda c: c.type == "string"),
    "columnsByType": op_columns_by_type, "filterNACols": op_filter_na_cols,
}  # fmt: skip
