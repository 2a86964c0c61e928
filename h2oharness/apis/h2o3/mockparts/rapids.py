"""Evaluate the Rapids subset the ``h2o`` client emits for common frame work, on the mock's frames.

Covered: ``tmp=``/``rm``/``,``; row and column selection (``rows``, ``cols``, ``cols_py``); elementwise maths,
comparisons and logic (``+ - * / > == & | not abs log ...``); ``ifelse``; reductions (``mean``, ``sumNA``, ``min``,
``max``, ``sd``, ``median``, ``naCnt`` ...); ``table``, ``unique``, ``levels``, ``as.factor``/``as.numeric``/
``as.character``, ``cbind``/``rbind``, ``h2o.runif`` (``split_frame``), ``sort``, ``quantile``, ``scale``,
``cor``/``var``, ``ls`` and a few more. Anything else is a 400, worded as the mock's own limit.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_parse import Call, Id, Span, parse
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, bad_request, key, meta

Value = Frame | float | str | list[Any] | None
Op = Callable[["Evaluator", tuple[Any, ...]], Value]
NAN = math.nan


@dataclass
class Evaluator:
    """Evaluates one expression against the state's frames; ``tmp=`` publishes frames under their names."""

    state: H2O3MockState
    made: list[str] = field(default_factory=list)

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
            value = _publish(state, f"RTMP_{state.next_number()}", value)
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


def _publish(state: H2O3MockState, name: str, frame: Frame) -> Frame:
    stored = Frame(name, [_copy(c) for c in frame.columns])
    state.frames[name] = stored
    return stored


def _copy(col: Column, name: str | None = None) -> Column:
    return Column(
        name or col.name,
        col.type,
        numbers=list(col.numbers),
        strings=list(col.strings),
        domain=list(col.domain) if col.domain is not None else None,
    )


# ---------------------------------------------------------------- argument helpers


def _frame(value: Value, what: str = "a frame") -> Frame:
    if not isinstance(value, Frame):
        raise bad_request(f"Expected {what}, got {type(value).__name__}")
    return value


def _num(value: Value, default: float = NAN) -> float:
    if value is None:
        return default
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, Frame) and value.rows == 1 and len(value.columns) == 1:
        return value.columns[0].numbers[0] if value.columns[0].has_numbers else NAN
    raise bad_request(f"Expected a number, got {value!r:.80}")


def _flag(value: Value) -> bool:
    return bool(_num(value, 0.0))


def _indices(value: Value, size: int) -> list[int]:
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


def _numeric(col: Column, fn: str) -> list[float]:
    if not col.has_numbers or col.type == "enum":
        kind = "String" if not col.has_numbers else "Categorical"
        raise bad_request(f"{fn}() requires a numeric column. Received {kind}.")
    return col.numbers


def _real(name: str, numbers: list[float], kind: str = "real") -> Column:
    return Column(name, kind, numbers=numbers)


def _fresh(columns: list[Column]) -> Frame:
    return Frame("", columns)


def _present(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


# ---------------------------------------------------------------- store


def op_assign(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(tmp= name expr) and (assign 'name' expr): evaluate and publish the frame under ``name``."""
    name_node, expr = args
    if not isinstance(name_node, Id | str):
        raise bad_request("tmp= and assign take a name")
    value = ev.eval(expr)
    frame = _frame(value, "a frame to assign")
    return _publish(ev.state, name_node.name if isinstance(name_node, Id) else name_node, frame)


def op_rm(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(rm key): remove a frame, raw source or model; 1.0 when something was removed."""
    names = [a.name if isinstance(a, Id) else str(a) for a in args]
    removed = False
    for name in names:
        for store in (ev.state.frames, ev.state.sources, ev.state.models):
            removed = store.pop(name.strip("'\""), None) is not None or removed
    return 1.0 if removed else 0.0


def op_sequence(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(, e1 e2 ...): evaluate each, answer the last."""
    value: Value = None
    for arg in args:
        value = ev.eval(arg)
    return value


def op_ls(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(ls): every key of the store as one string column."""
    keys = sorted([*ev.state.frames, *ev.state.models, *getattr(ev.state, "automls", {})])
    return _fresh([Column("key", "string", strings=list(keys))])


# ---------------------------------------------------------------- selection


def op_rows(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(rows frame selector): a span, numbers, or a boolean column."""
    frame = _frame(args[0])
    sel = args[1]
    if isinstance(sel, Frame):
        mask = sel.columns[0].numbers
        rows = [r for r, v in enumerate(mask) if not math.isnan(v) and v != 0]
    else:
        rows = _indices(sel, frame.rows)
    return _fresh([c.take(rows) for c in frame.columns])


def op_cols(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(cols frame selector): names, numbers or spans."""
    frame = _frame(args[0])
    sel = args[1]
    items = sel if isinstance(sel, list) else [sel]
    chosen: list[Column] = []
    for item in items:
        if isinstance(item, str):
            col = frame.column(item)
            if col is None:
                raise bad_request(f"Column '{item}' not found")
            chosen.append(col)
        else:
            chosen.extend(frame.columns[i] for i in _indices(item, len(frame.columns)))
    return _fresh([_copy(c) for c in chosen])


def op_colnames(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(colnames= frame [indices] [names])."""
    frame = _frame(args[0])
    indices = _indices(args[1], len(frame.columns))
    names = args[2] if isinstance(args[2], list) else [args[2]]
    columns = [_copy(c) for c in frame.columns]
    for i, name in zip(indices, names, strict=False):
        columns[i].name = str(name)
    return _fresh(columns)


def op_cbind(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(cbind f1 f2 ...): columns side by side; a repeated name gets a number, as H2O-3 does."""
    columns: list[Column] = []
    rows = None
    for arg in args:
        frame = _frame(arg)
        if rows is not None and frame.rows != rows:
            raise bad_request(f"Frames must have same rows, found {rows} rows and {frame.rows} rows.")
        rows = frame.rows
        for col in frame.columns:
            name, n = col.name, 0
            while any(c.name == name for c in columns):
                n += 1
                name = f"{col.name}{n}"
            columns.append(_copy(col, name))
    return _fresh(columns)


def op_rbind(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(rbind f1 f2 ...): rows one after another; categorical levels are merged."""
    frames = [_frame(a) for a in args]
    first = frames[0]
    for other in frames[1:]:
        if len(other.columns) != len(first.columns):
            raise bad_request("rbind frames must have all the same number of columns")
    columns = []
    for j, col in enumerate(first.columns):
        parts = [f.columns[j] for f in frames]
        if col.type == "enum":
            domain = sorted({level for p in parts for level in (p.domain or [])})
            index = {level: float(i) for i, level in enumerate(domain)}
            numbers = [index[lab] if (lab := p.label(r)) is not None else NAN for p in parts for r in range(p.rows)]
            columns.append(Column(col.name, "enum", numbers=numbers, domain=domain))
        elif col.has_numbers:
            columns.append(Column(col.name, col.type, numbers=[v for p in parts for v in p.numbers]))
        else:
            columns.append(Column(col.name, col.type, strings=[s for p in parts for s in p.strings]))
    return _fresh(columns)


# ---------------------------------------------------------------- elementwise


def _unary(fn: Callable[[float], float], name: str) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        value = args[0]
        if not isinstance(value, Frame):
            return _safe(fn, _num(value))
        return _fresh([_real(c.name, [_safe(fn, v) for v in _numeric(c, name)]) for c in value.columns])

    return apply


def _safe(fn: Callable[[float], float], v: float) -> float:
    if math.isnan(v):
        return NAN
    try:
        return float(fn(v))
    except (ValueError, OverflowError, ZeroDivisionError):
        return NAN


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
    "log1p": math.log1p, "log2": math.log2, "not": lambda v: float(v == 0), "!": lambda v: float(v == 0),
    "sign": lambda v: float((v > 0) - (v < 0)), "sin": math.sin, "sinh": math.sinh,
    "sinpi": lambda v: math.sin(math.pi * v), "sqrt": math.sqrt, "tan": math.tan, "tanh": math.tanh,
    "tanpi": lambda v: math.tan(math.pi * v), "trigamma": _trigamma, "trunc": math.trunc,
}  # fmt: skip


def op_is_na(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(is.na frame): 1 where a value is missing."""
    frame = _frame(args[0])
    return _fresh([_real(c.name, [float(c.is_missing(r)) for r in range(c.rows)], "int") for c in frame.columns])


def op_round(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(round frame digits), half to even as Java's Math.rint."""
    digits = int(_num(args[1], 0.0))
    return _unary(lambda v: round(v, digits), "round")(ev, args[:1])


def op_signif(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(signif frame digits)."""
    digits = int(_num(args[1], 6.0))

    def signif(v: float) -> float:
        return 0.0 if v == 0 else round(v, digits - 1 - math.floor(math.log10(abs(v))))

    return _unary(signif, "signif")(ev, args[:1])


def _compare(op: str) -> Callable[[float, float], float]:
    table: dict[str, Callable[[float, float], bool]] = {
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    }  # fmt: skip
    test = table[op]
    return lambda a, b: NAN if math.isnan(a) or math.isnan(b) else float(test(a, b))


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
        "|": lambda a, b: 1.0 if (a != 0 and not math.isnan(a)) or (b != 0 and not math.isnan(b))
        else (NAN if math.isnan(a) or math.isnan(b) else 0.0),
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

    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        left, right = args
        if not isinstance(left, Frame) and not isinstance(right, Frame):
            return fn(_num(left), _num(right))
        frame = left if isinstance(left, Frame) else right
        assert isinstance(frame, Frame)
        width = max(len(f.columns) for f in (left, right) if isinstance(f, Frame))
        columns = []
        for j in range(width):
            lv = _operand(left, j, frame.rows, right)
            rv = _operand(right, j, frame.rows, left)
            name = frame.columns[min(j, len(frame.columns) - 1)].name
            out = [fn(a, b) for a, b in zip(lv, rv, strict=True)]
            columns.append(_real(name, out, "int" if comparison else "real"))
        return _fresh(columns)

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
    return [_num(value)] * rows


def op_ifelse(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(ifelse test yes no)."""
    test = _frame(args[0])
    mask = test.columns[0].numbers
    yes = _operand(args[1], 0, test.rows, test)
    no = _operand(args[2], 0, test.rows, test)
    out = [NAN if math.isnan(t) else (y if t != 0 else n) for t, y, n in zip(mask, yes, no, strict=True)]
    return _fresh([_real(test.columns[0].name, out)])


# ---------------------------------------------------------------- reductions


def _all_numbers(frame: Frame) -> list[float]:
    return [v for c in frame.columns if c.has_numbers for v in c.numbers]


def op_sum(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(sumNA frame) / (sum frame): the sum of every present value."""
    return math.fsum(_present(_all_numbers(_frame(args[0]))))


def _extreme(pick: Callable[[list[float]], float]) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        present = _present(_all_numbers(_frame(args[0])))
        return pick(present) if present else NAN

    return apply


def op_prod(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(prod frame)."""
    return math.prod(_all_numbers(_frame(args[0])))


def _per_column(fn: Callable[[list[float]], float]) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        frame = _frame(args[0])
        out = []
        for col in frame.columns:
            present = _present(col.numbers) if col.has_numbers and col.type != "enum" else []
            out.append(fn(present) if present else NAN)
        return out

    return apply


def _moment(power: int) -> Callable[[list[float]], float]:
    def moment(values: list[float]) -> float:
        n = len(values)
        if n < 2:
            return NAN
        mean = math.fsum(values) / n
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)
        if sd == 0:
            return NAN
        return math.fsum(((v - mean) / sd) ** power for v in values) / n

    return moment


def op_mean(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(mean frame na_rm axis): a one-row frame of column means (axis 0) or a column of row means (axis 1)."""
    frame = _frame(args[0])
    na_rm = _flag(args[1]) if len(args) > 1 else False
    axis = int(_num(args[2], 0.0)) if len(args) > 2 else 0

    def mean(values: list[float]) -> float:
        kept = _present(values) if na_rm else values
        return math.fsum(kept) / len(kept) if kept else NAN

    usable = [c for c in frame.columns if c.has_numbers]
    if axis == 1:
        rows = [mean([c.numbers[r] for c in usable if c.type != "enum"]) for r in range(frame.rows)]
        return _fresh([_real("mean", rows)])
    # as H2O-3's rollups: the mean of a categorical column is defined only when it has at most two levels
    return _fresh([_real(c.name, [mean(c.numbers) if _has_mean(c) else NAN]) for c in frame.columns])


def _has_mean(col: Column) -> bool:
    return col.has_numbers and (col.type != "enum" or len(col.domain or []) <= 2)


def op_getrow(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(getrow frame): the values of a one-row frame."""
    frame = _frame(args[0])
    if frame.rows != 1:
        raise bad_request(f"Frame must have a single row, found {frame.rows} rows.")
    return [c.numbers[0] if c.has_numbers else NAN for c in frame.columns]


def op_flatten(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(flatten frame): the one value of a 1x1 frame, a number or a string; any other frame unchanged."""
    frame = _frame(args[0])
    if frame.rows != 1 or len(frame.columns) != 1:
        return frame
    col = frame.columns[0]
    if col.type == "enum" or not col.has_numbers:
        return col.label(0)
    return col.numbers[0]


def op_nacnt(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(naCnt frame): missing values per column."""
    frame = _frame(args[0])
    return [float(sum(c.is_missing(r) for r in range(c.rows))) for c in frame.columns]


def _column_test(test: Callable[[Column], bool]) -> Op:
    return lambda ev, args: [float(test(c)) for c in _frame(args[0]).columns]


def op_columns_by_type(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(columnsByType frame type): indices of the columns of that type."""
    frame = _frame(args[0])
    wanted = str(args[1])
    kinds = {
        "numeric": ("real", "int"), "categorical": ("enum",), "string": ("string",), "time": ("time",),
        "uuid": ("uuid",), "bad": (),
    }  # fmt: skip
    return [float(i) for i, c in enumerate(frame.columns) if c.type in kinds.get(wanted, ())]


def op_filter_na_cols(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(filterNACols frame fraction): indices of the columns with fewer missing values than the fraction."""
    frame = _frame(args[0])
    limit = _num(args[1], 0.2)
    rows = max(1, frame.rows)
    return [float(i) for i, c in enumerate(frame.columns) if sum(map(c.is_missing, range(c.rows))) / rows < limit]


def _truthy(pick: Callable[[list[bool]], bool]) -> Op:
    return lambda ev, args: float(pick([v != 0 for v in _all_numbers(_frame(args[0])) if not math.isnan(v)]))


# ---------------------------------------------------------------- categorical and structure


def op_table(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(table frame dense): counts of each level (one column) or each pair of levels (two)."""
    frame = _frame(args[0])
    if len(frame.columns) not in (1, 2):
        raise bad_request("table expects one or two columns")
    col = frame.columns[0]
    if len(frame.columns) == 2:
        other = frame.columns[1]
        pairs: dict[tuple[float, float], int] = {}
        for r in range(col.rows):
            a, b = col.numbers[r], other.numbers[r]
            if not (math.isnan(a) or math.isnan(b)):
                pairs[(a, b)] = pairs.get((a, b), 0) + 1
        keys = sorted(pairs)
        return _fresh([
            Column(col.name, col.type, numbers=[k[0] for k in keys], domain=col.domain),
            Column(other.name, other.type, numbers=[k[1] for k in keys], domain=other.domain),
            _real("Counts", [float(pairs[k]) for k in keys], "int"),
        ])  # fmt: skip
    counts: dict[float, int] = {}
    for v in col.numbers if col.has_numbers else []:
        if not math.isnan(v):
            counts[v] = counts.get(v, 0) + 1
    levels = sorted(counts)
    return _fresh([
        Column(col.name, col.type, numbers=levels, domain=col.domain),
        _real("Counts", [float(counts[v]) for v in levels], "int"),
    ])  # fmt: skip


def op_unique(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(unique frame include_nas): the distinct values of a column, in order of first appearance."""
    frame = _frame(args[0])
    include_na = _flag(args[1]) if len(args) > 1 else False
    col = frame.columns[0]
    if not col.has_numbers:
        seen_s = list(dict.fromkeys(s for s in col.strings if s is not None or include_na))
        return _fresh([Column(col.name, col.type, strings=seen_s)])
    seen: dict[Any, float] = {}
    for v in col.numbers:
        if math.isnan(v):
            if include_na:
                seen.setdefault("nan", v)
            continue
        seen.setdefault(v, v)
    return _fresh([Column(col.name, col.type, numbers=list(seen.values()), domain=col.domain)])


def op_levels(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(levels frame): one column of levels per column; the frame is as long as the longest domain."""
    frame = _frame(args[0])
    domains = [c.domain or [] for c in frame.columns]
    longest = max((len(d) for d in domains), default=0)
    columns = []
    for j, domain in enumerate(domains):
        numbers = [float(i) if i < len(domain) else NAN for i in range(longest)]
        columns.append(Column(f"C{j + 1}", "enum", numbers=numbers, domain=list(domain)))
    return _fresh(columns)


def _level_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def op_as_factor(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(as.factor frame): integer or string columns become categorical, levels sorted as H2O-3 sorts them."""
    frame = _frame(args[0])
    columns = []
    for col in frame.columns:
        if col.type == "enum":
            columns.append(_copy(col))
            continue
        if col.has_numbers:
            present = sorted(set(_present(col.numbers)))
            domain = [_level_text(v) for v in present]
            index = {v: float(i) for i, v in enumerate(present)}
            numbers = [NAN if math.isnan(v) else index[v] for v in col.numbers]
        else:
            domain = sorted({s for s in col.strings if s is not None})
            lookup = {s: float(i) for i, s in enumerate(domain)}
            numbers = [NAN if s is None else lookup[s] for s in col.strings]
        columns.append(Column(col.name, "enum", numbers=numbers, domain=domain))
    return _fresh(columns)


def op_as_numeric(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(as.numeric frame): categorical columns become their level codes, strings their numbers."""
    frame = _frame(args[0])
    columns = []
    for col in frame.columns:
        if col.has_numbers:
            columns.append(Column(col.name, "int" if col.type == "enum" else col.type, numbers=list(col.numbers)))
        else:
            columns.append(_real(col.name, [_to_float(s) for s in col.strings]))
    return _fresh(columns)


def _to_float(text: str | None) -> float:
    try:
        return float(text) if text is not None else NAN
    except ValueError:
        return NAN


def op_as_character(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(as.character frame): every column becomes a string column."""
    frame = _frame(args[0])
    return _fresh([Column(c.name, "string", strings=[c.label(r) for r in range(c.rows)]) for c in frame.columns])


def op_runif(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(h2o.runif frame seed): one column of uniform draws; ``split_frame`` filters on it."""
    frame = _frame(args[0])
    seed = int(_num(args[1], -1.0))
    rng = random.Random(seed if seed != -1 else None)
    return _fresh([_real("rnd", [rng.random() for _ in range(frame.rows)])])


def op_na_omit(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(na.omit frame): the rows without a missing value."""
    frame = _frame(args[0])
    rows = [r for r in range(frame.rows) if not any(c.is_missing(r) for c in frame.columns)]
    return _fresh([c.take(rows) for c in frame.columns])


def op_sort(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(sort frame [cols] [ascending]): missing values first, as H2O-3."""
    frame = _frame(args[0])
    by = _indices(args[1], len(frame.columns))
    ascending = args[2] if len(args) > 2 and isinstance(args[2], list) else [1.0] * len(by)
    rows = list(range(frame.rows))
    for j, asc in reversed(list(zip(by, ascending, strict=False))):
        col = frame.columns[j]
        numbers = col.numbers
        rows.sort(key=lambda r: (not math.isnan(numbers[r]), numbers[r]), reverse=float(asc) < 0)
    return _fresh([c.take(rows) for c in frame.columns])


def op_nrow(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(nrow frame)."""
    return float(_frame(args[0]).rows)


def op_ncol(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(ncol frame)."""
    return float(len(_frame(args[0]).columns))


def op_scale(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(scale frame center scale)."""
    frame = _frame(args[0])
    center, scale = _flag(args[1]), _flag(args[2])
    columns = []
    for col in frame.columns:
        values = _numeric(col, "scale")
        present = _present(values)
        mean = math.fsum(present) / len(present) if present and center else 0.0
        sd = statistics.stdev(present) if len(present) > 1 and scale else 1.0
        columns.append(_real(col.name, [(v - mean) / (sd or 1.0) for v in values]))
    return _fresh(columns)


def _cumulative(step: Callable[[float, float], float]) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        frame = _frame(args[0])
        columns = []
        for col in frame.columns:
            acc: float | None = None
            out = []
            for v in _numeric(col, "cumulative"):
                acc = v if acc is None else step(acc, v)
                out.append(acc)
            columns.append(_real(col.name, out))
        return _fresh(columns)

    return apply


def op_quantile(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(quantile frame [probs] method weights): a Probs column and one Quantiles column per column."""
    frame = _frame(args[0])
    probs = [float(p) for p in args[1]] if isinstance(args[1], list) else [_num(args[1])]
    columns = [_real("Probs", probs)]
    for col in frame.columns:
        values = sorted(_present(col.numbers)) if col.has_numbers else []
        out = []
        for p in probs:
            if not values:
                out.append(NAN)
                continue
            pos = p * (len(values) - 1)
            lo = math.floor(pos)
            hi = min(lo + 1, len(values) - 1)
            out.append(values[lo] + (values[hi] - values[lo]) * (pos - lo))
        columns.append(_real(f"{col.name}Quantiles", out))
    return _fresh(columns)


def op_transpose(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(t frame)."""
    frame = _frame(args[0])
    return _fresh([
        _real(f"C{r + 1}", [c.numbers[r] if c.has_numbers else NAN for c in frame.columns]) for r in range(frame.rows)
    ])  # fmt: skip


def _covariance(correlate: bool) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        x = _frame(args[0])
        y = args[1] if isinstance(args[1], Frame) else x
        columns = []
        for cy in y.columns:
            out = []
            for cx in x.columns:
                pairs = [
                    (a, b) for a, b in zip(cx.numbers, cy.numbers, strict=True) if not (math.isnan(a) or math.isnan(b))
                ]
                out.append(_cov(pairs, correlate))
            columns.append(_real(cy.name, out))
        return _fresh(columns)

    return apply


def _cov(pairs: list[tuple[float, float]], correlate: bool) -> float:
    n = len(pairs)
    if n < 2:
        return NAN
    ma = math.fsum(a for a, _ in pairs) / n
    mb = math.fsum(b for _, b in pairs) / n
    cov = math.fsum((a - ma) * (b - mb) for a, b in pairs) / (n - 1)
    if not correlate:
        return cov
    sa = math.sqrt(math.fsum((a - ma) ** 2 for a, _ in pairs) / (n - 1))
    sb = math.sqrt(math.fsum((b - mb) ** 2 for _, b in pairs) / (n - 1))
    return cov / (sa * sb) if sa and sb else NAN


def _which_extreme(pick_max: bool) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        frame = _frame(args[0])
        columns = []
        for col in frame.columns:
            present = [(v, r) for r, v in enumerate(col.numbers) if not math.isnan(v)] if col.has_numbers else []
            best = (max if pick_max else min)(present, key=lambda t: t[0])[1] if present else NAN
            columns.append(_real(col.name, [float(best)], "int"))
        return _fresh(columns)

    return apply


def op_impute(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(h2o.impute frame column method ...): fill missing values with the column mean in place; the means."""
    frame = _frame(args[0])
    which = int(_num(args[1], -1.0))
    chosen = frame.columns if which < 0 else [frame.columns[which]]
    means = []
    for col in chosen:
        present = _present(col.numbers) if col.has_numbers and col.type != "enum" else []
        mean = math.fsum(present) / len(present) if present else NAN
        means.append(mean)
        if present:
            col.numbers[:] = [mean if math.isnan(v) else v for v in col.numbers]
            col._rollups = None
    return means


def op_fillna(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(h2o.fillna frame method axis maxlen): carry values forward (or backward) down each column."""
    frame = _frame(args[0])
    backward = str(args[1]) == "backward"
    maxlen = int(_num(args[3], 1.0)) if len(args) > 3 else 1
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
        columns.append(Column(col.name, col.type, numbers=values, domain=col.domain) if col.has_numbers else _copy(col))
    return _fresh(columns)


def _folds(kind: str) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        frame = _frame(args[0])
        nfolds = int(_num(args[1], 3.0))
        if kind == "modulo":
            folds = [float(r % nfolds) for r in range(frame.rows)]
        else:
            seed = int(_num(args[2], -1.0)) if len(args) > 2 else -1
            rng = random.Random(seed if seed != -1 else None)
            folds = [float(rng.randrange(nfolds)) for _ in range(frame.rows)]
        return _fresh([_real("C1", folds, "int")])

    return apply


def op_topn(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(topn frame column percent top): the row numbers and values of the top (or bottom) percent."""
    frame = _frame(args[0])
    col = frame.columns[int(_num(args[1], 0.0))]
    percent = _num(args[2], 10.0)
    top = _num(args[3], 1.0) > 0 if len(args) > 3 else True
    present = [(v, r) for r, v in enumerate(col.numbers) if not math.isnan(v)] if col.has_numbers else []
    present.sort(reverse=top)
    chosen = present[: max(1, round(len(present) * percent / 100))] if present else []
    return _fresh([
        _real("Row Indices", [float(r) for _, r in chosen], "int"),
        _real(f"{'Top' if top else 'Bottom'} {percent:g}% {col.name}", [v for v, _ in chosen]),
    ])  # fmt: skip


def op_relevel_by_freq(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(relevel.by.freq frame weights top_n): categorical levels reordered by frequency, most frequent first."""
    frame = _frame(args[0])
    columns = []
    for col in frame.columns:
        if col.type != "enum" or not col.domain:
            columns.append(_copy(col))
            continue
        counts = [0] * len(col.domain)
        for v in _present(col.numbers):
            counts[int(v)] += 1
        order = sorted(range(len(col.domain)), key=lambda i: -counts[i])
        remap = {old: float(new) for new, old in enumerate(order)}
        numbers = [NAN if math.isnan(v) else remap[int(v)] for v in col.numbers]
        columns.append(Column(col.name, "enum", numbers=numbers, domain=[col.domain[i] for i in order]))
    return _fresh(columns)


def _string_op(name: str, fn: Callable[[str], str | float]) -> Op:
    def apply(ev: Evaluator, args: tuple[Any, ...]) -> Value:
        frame = _frame(args[0])
        columns = []
        for col in frame.columns:
            if col.type not in ("string", "enum"):
                raise bad_request(
                    f"{name}() requires a string or categorical column. Received Numeric. "
                    "Please convert column to a string or categorical first."
                )
            texts = [col.label(r) for r in range(col.rows)]
            out = [None if t is None else fn(t) for t in texts]
            if all(isinstance(o, float) or o is None for o in out):
                columns.append(_real(col.name, [NAN if o is None else float(o) for o in out], "int"))
            else:
                columns.append(Column(col.name, "string", strings=[None if o is None else str(o) for o in out]))
        return _fresh(columns)

    return apply


def op_time_zone(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(getTimeZone)."""
    return "UTC"


def op_list_time_zones(ev: Evaluator, args: tuple[Any, ...]) -> Value:
    """(listTimeZones): the zones a real server knows, a few of them here."""
    zones = ["Africa/Abidjan", "America/New_York", "Asia/Tokyo", "Europe/London", "Europe/Prague", "UTC"]
    return _fresh([Column("Timezones", "string", strings=list(zones))])


# ops whose arguments are not evaluated first (they take a name, or run in order)
LAZY = {"tmp=", "assign", "rm", ","}
OPS: dict[str, Op] = {
    "tmp=": op_assign, "assign": op_assign, "rm": op_rm, ",": op_sequence, "ls": op_ls,
    "rows": op_rows, "cols": op_cols, "cols_py": op_cols, "colnames=": op_colnames,
    "cbind": op_cbind, "rbind": op_rbind,
    **{name: _unary(fn, name) for name, fn in UNARY.items()},
    "is.na": op_is_na, "round": op_round, "signif": op_signif, "ifelse": op_ifelse,
    **{op: _binary(op) for op in ("<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/", "^", "%", "%%", "intDiv",
                                  "%/%", "&", "|", "&&", "||")},
    "sum": op_sum, "sumNA": op_sum, "min": _extreme(min), "max": _extreme(max), "prod": op_prod,
    "mean": op_mean, "getrow": op_getrow, "flatten": op_flatten, "naCnt": op_nacnt,
    "sd": _per_column(lambda v: statistics.stdev(v) if len(v) > 1 else NAN),
    "median": _per_column(statistics.median),
    "kurtosis": _per_column(_moment(4)), "skewness": _per_column(_moment(3)),
    "all": _truthy(all), "any": _truthy(any),
    "any.na": lambda ev, args: float(any(c.is_missing(r) for c in _frame(args[0]).columns for r in range(c.rows))),
    "any.factor": lambda ev, args: float(any(c.type == "enum" for c in _frame(args[0]).columns)),
    "is.factor": _column_test(lambda c: c.type == "enum"),
    "is.numeric": _column_test(lambda c: c.type in ("real", "int")),
    "is.character": _column_test(lambda c: c.type == "string"),
    "columnsByType": op_columns_by_type, "filterNACols": op_filter_na_cols,
    "table": op_table, "unique": op_unique, "levels": op_levels,
    "as.factor": op_as_factor, "as.numeric": op_as_numeric, "as.character": op_as_character,
    "h2o.runif": op_runif, "na.omit": op_na_omit, "sort": op_sort, "nrow": op_nrow, "ncol": op_ncol,
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
