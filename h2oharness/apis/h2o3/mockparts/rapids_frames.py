"""Rapids functions that store, select, combine and recode frames: tmp=/assign/rm/ls, rows/cols, cbind/rbind,
table/unique/levels, as.factor/as.numeric/as.character, h2o.runif (split_frame), na.omit, sort, nrow/ncol, and
column assignment (append, :=)."""

from __future__ import annotations

import math
import random
from typing import Any

from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.rapids_parse import Id
from h2oharness.apis.h2o3.mockparts.rapids_values import (
    NAN,
    Env,
    Op,
    Value,
    column_indices,
    copy_column,
    flag_arg,
    frame_arg,
    fresh_frame,
    indices_arg,
    num_arg,
    present_values,
    publish,
    real_column,
)  # fmt: skip
from h2oharness.apis.h2o3.mockparts.wire import bad_request

# ---------------------------------------------------------------- store


def op_assign(ev: Env, args: tuple[Any, ...]) -> Value:
    """(tmp= name expr) and (assign 'name' expr): evaluate and publish the frame under ``name``."""
    name_node, expr = args
    if not isinstance(name_node, Id | str):
        raise bad_request("tmp= and assign take a name")
    value = ev.eval(expr)
    frame = frame_arg(value, "a frame to assign")
    return publish(ev.state, name_node.name if isinstance(name_node, Id) else name_node, frame)


def op_rm(ev: Env, args: tuple[Any, ...]) -> Value:
    """(rm key): remove a frame, raw source, model or grid (with its models, as a real server's AstRm does, where
    DELETE /3/DKV/{grid} keeps them); 1.0 when something was removed."""
    names = [a.name if isinstance(a, Id) else str(a) for a in args]
    removed = False
    for name in names:
        name = name.strip("'\"")
        grid = ev.state.grids.pop(name, None)
        for _, model_id in grid.entries if grid is not None else ():
            ev.state.models.pop(model_id, None)
        for store in (ev.state.frames, ev.state.sources, ev.state.models):
            removed = store.pop(name, None) is not None or removed
        removed = removed or grid is not None
    return 1.0 if removed else 0.0


def op_sequence(ev: Env, args: tuple[Any, ...]) -> Value:
    """(, e1 e2 ...): evaluate each, answer the last."""
    value: Value = None
    for arg in args:
        value = ev.eval(arg)
    return value


def op_ls(ev: Env, args: tuple[Any, ...]) -> Value:
    """(ls): every key of the store (frames, models, grids, AutoML runs) as one string column."""
    keys = sorted([*ev.state.frames, *ev.state.models, *ev.state.grids, *ev.state.automls])
    return fresh_frame([Column("key", "string", strings=list(keys))])


# ---------------------------------------------------------------- selection


def op_rows(ev: Env, args: tuple[Any, ...]) -> Value:
    """(rows frame selector): a span, numbers, or a boolean column."""
    frame = frame_arg(args[0])
    sel = args[1]
    if isinstance(sel, Frame):
        mask = sel.columns[0].numbers
        rows = [r for r, v in enumerate(mask) if not math.isnan(v) and v != 0]
    else:
        rows = indices_arg(sel, frame.rows)
    return fresh_frame([c.take(rows) for c in frame.columns])


def op_cols(ev: Env, args: tuple[Any, ...]) -> Value:
    """(cols frame selector): names, numbers or spans."""
    frame = frame_arg(args[0])
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
            chosen.extend(frame.columns[i] for i in indices_arg(item, len(frame.columns)))
    return fresh_frame([copy_column(c) for c in chosen])


def op_colnames(ev: Env, args: tuple[Any, ...]) -> Value:
    """(colnames= frame [indices] [names])."""
    frame = frame_arg(args[0])
    indices = indices_arg(args[1], len(frame.columns))
    names = args[2] if isinstance(args[2], list) else [args[2]]
    columns = [copy_column(c) for c in frame.columns]
    for i, name in zip(indices, names, strict=False):
        columns[i].name = str(name)
    return fresh_frame(columns)


def op_cbind(ev: Env, args: tuple[Any, ...]) -> Value:
    """(cbind f1 f2 ...): columns side by side; a repeated name gets the first number from 0 that makes it new, as
    H2O-3 does (x1, x10, x11)."""
    columns: list[Column] = []
    rows = None
    for arg in args:
        frame = frame_arg(arg)
        if rows is not None and frame.rows != rows:
            raise bad_request(f"Frames must have same rows, found {rows} rows and {frame.rows} rows.")
        rows = frame.rows
        for col in frame.columns:
            name, n = col.name, 0
            while any(c.name == name for c in columns):
                name = f"{col.name}{n}"
                n += 1
            columns.append(copy_column(col, name))
    return fresh_frame(columns)


def op_rbind(ev: Env, args: tuple[Any, ...]) -> Value:
    """(rbind f1 f2 ...): rows one after another; categorical levels are merged."""
    frames = [frame_arg(a) for a in args]
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
    return fresh_frame(columns)


# ---------------------------------------------------------------- categorical and structure


def op_table(ev: Env, args: tuple[Any, ...]) -> Value:
    """(table frame dense): counts of each level (one column) or each pair of levels (two)."""
    frame = frame_arg(args[0])
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
        return fresh_frame([
            Column(col.name, col.type, numbers=[k[0] for k in keys], domain=col.domain),
            Column(other.name, other.type, numbers=[k[1] for k in keys], domain=other.domain),
            real_column("Count", [float(pairs[k]) for k in keys], "int"),
        ])  # fmt: skip
    counts: dict[float, int] = {}
    for v in col.numbers if col.has_numbers else []:
        if not math.isnan(v):
            counts[v] = counts.get(v, 0) + 1
    levels = sorted(counts)
    return fresh_frame([
        Column(col.name, col.type, numbers=levels, domain=col.domain),
        real_column("Count", [float(counts[v]) for v in levels], "int"),
    ])  # fmt: skip


def op_unique(ev: Env, args: tuple[Any, ...]) -> Value:
    """(unique frame include_nas): the distinct values of a column, sorted (levels in domain order), named C1."""
    frame = frame_arg(args[0])
    include_na = flag_arg(args[1]) if len(args) > 1 else False
    col = frame.columns[0]
    if not col.has_numbers:
        texts = sorted({s for s in col.strings if s is not None})
        missing: list[str | None] = [None] if include_na and None in col.strings else []
        return fresh_frame([Column("C1", col.type, strings=[*texts, *missing])])
    numbers = sorted({v for v in col.numbers if not math.isnan(v)})
    if include_na and any(math.isnan(v) for v in col.numbers):
        numbers.append(NAN)
    return fresh_frame([Column("C1", col.type, numbers=numbers, domain=col.domain)])


def op_levels(ev: Env, args: tuple[Any, ...]) -> Value:
    """(levels frame): one column of levels per column; the frame is as long as the longest domain."""
    frame = frame_arg(args[0])
    domains = [c.domain or [] for c in frame.columns]
    longest = max((len(d) for d in domains), default=0)
    columns = []
    for j, domain in enumerate(domains):
        numbers = [float(i) if i < len(domain) else NAN for i in range(longest)]
        columns.append(Column(f"C{j + 1}", "enum", numbers=numbers, domain=list(domain)))
    return fresh_frame(columns)


def _level_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def op_as_factor(ev: Env, args: tuple[Any, ...]) -> Value:
    """(as.factor frame): integer or string columns become categorical, levels sorted as H2O-3 sorts them."""
    frame = frame_arg(args[0])
    columns = []
    for col in frame.columns:
        if col.type == "enum":
            columns.append(copy_column(col))
            continue
        if col.has_numbers:
            present = sorted(set(present_values(col.numbers)))
            domain = [_level_text(v) for v in present]
            index = {v: float(i) for i, v in enumerate(present)}
            numbers = [NAN if math.isnan(v) else index[v] for v in col.numbers]
        else:
            domain = sorted({s for s in col.strings if s is not None})
            lookup = {s: float(i) for i, s in enumerate(domain)}
            numbers = [NAN if s is None else lookup[s] for s in col.strings]
        columns.append(Column(col.name, "enum", numbers=numbers, domain=domain))
    return fresh_frame(columns)


def op_as_numeric(ev: Env, args: tuple[Any, ...]) -> Value:
    """(as.numeric frame): categorical columns become their level codes, strings their numbers."""
    frame = frame_arg(args[0])
    columns = []
    for col in frame.columns:
        if col.has_numbers:
            columns.append(Column(col.name, "int" if col.type == "enum" else col.type, numbers=list(col.numbers)))
        else:
            columns.append(real_column(col.name, [_to_float(s) for s in col.strings]))
    return fresh_frame(columns)


def _to_float(text: str | None) -> float:
    try:
        return float(text) if text is not None else NAN
    except ValueError:
        return NAN


def op_as_character(ev: Env, args: tuple[Any, ...]) -> Value:
    """(as.character frame): every column becomes a string column."""
    frame = frame_arg(args[0])
    return fresh_frame([Column(c.name, "string", strings=[c.label(r) for r in range(c.rows)]) for c in frame.columns])


def op_runif(ev: Env, args: tuple[Any, ...]) -> Value:
    """(h2o.runif frame seed): one column of uniform draws; ``split_frame`` filters on it."""
    frame = frame_arg(args[0])
    seed = int(num_arg(args[1], -1.0))
    rng = random.Random(seed if seed != -1 else None)
    return fresh_frame([real_column("rnd", [rng.random() for _ in range(frame.rows)])])


def op_na_omit(ev: Env, args: tuple[Any, ...]) -> Value:
    """(na.omit frame): the rows without a missing value."""
    frame = frame_arg(args[0])
    rows = [r for r in range(frame.rows) if not any(c.is_missing(r) for c in frame.columns)]
    return fresh_frame([c.take(rows) for c in frame.columns])


def op_sort(ev: Env, args: tuple[Any, ...]) -> Value:
    """(sort frame [cols] [ascending]): missing values first, as H2O-3."""
    frame = frame_arg(args[0])
    # the client names the columns (sort(by="x1") sends ['x1']); numbers are accepted too
    by = column_indices(frame, args[1])
    ascending = args[2] if len(args) > 2 and isinstance(args[2], list) else [1.0] * len(by)
    rows = list(range(frame.rows))
    for j, asc in reversed(list(zip(by, ascending, strict=False))):
        col = frame.columns[j]
        numbers = col.numbers
        rows.sort(key=lambda r: (not math.isnan(numbers[r]), numbers[r]), reverse=float(asc) < 0)
    return fresh_frame([c.take(rows) for c in frame.columns])


def _constant_column(name: str, value: Value, rows: int) -> Column:
    """A column holding one number (NaN for NA) on every row: an int column for a whole number, as makeCon's."""
    if not isinstance(value, float | int):
        raise bad_request(f"The mock assigns numbers and frames only, not {value!r:.80}")
    number = float(value)
    return real_column(name, [number] * rows, "int" if number.is_integer() else "real")


def op_append(ev: Env, args: tuple[Any, ...]) -> Value:
    """(append frame src 'name' [src 'name' ...]): the frame with each ``src`` (a one-column frame or a number)
    added as a last column called ``name`` (the client's ``fr["new"] = expr``; it joins assignments in a row)."""
    frame = frame_arg(args[0])
    pairs = args[1:]
    if not pairs or len(pairs) % 2:
        raise bad_request("append takes pairs of a column and its name")
    columns = [copy_column(c) for c in frame.columns]
    for src, name in zip(pairs[::2], pairs[1::2], strict=True):
        if not isinstance(name, str):
            raise bad_request("append takes a column name")
        if isinstance(src, Frame):
            if len(src.columns) != 1:
                raise bad_request("Can only append one column")
            if src.rows != frame.rows:
                raise bad_request(f"Can only append a column of {frame.rows} rows, not {src.rows}")
            columns.append(copy_column(src.columns[0], name))
        else:
            columns.append(_constant_column(name, src, frame.rows))
    return fresh_frame(columns)


def _assigned_rows(selector: Value, frame: Frame) -> list[int]:
    """The rows ``:=`` writes: all of them for an empty list, a boolean column's true rows, or numbers and spans."""
    if isinstance(selector, Frame):
        mask = selector.columns[0].numbers
        return [r for r, v in enumerate(mask) if not math.isnan(v) and v != 0]
    if selector is None or selector == []:
        return list(range(frame.rows))
    return indices_arg(selector, frame.rows)


def op_rec_assign(ev: Env, args: tuple[Any, ...]) -> Value:
    """(:= frame src cols rows): a copy of the frame whose columns ``cols`` hold ``src`` on ``rows`` (the client's
    ``fr["x"] = expr`` and ``fr[mask, "x"] = value``): a whole column takes the source's column as it is, some rows
    of a numeric column take numbers; the frame the client named keeps its values."""
    frame = frame_arg(args[0])
    src = args[1]
    cols = column_indices(frame, args[2])
    rows = _assigned_rows(args[3] if len(args) > 3 else None, frame)
    columns = [copy_column(c) for c in frame.columns]
    if isinstance(src, Frame) and src.rows != frame.rows and src.rows != len(rows):
        raise bad_request(f"Source frame has {src.rows} rows; {len(rows)} rows are assigned")
    for n, j in enumerate(cols):
        target = columns[j]
        if isinstance(src, Frame):
            source = src.columns[min(n, len(src.columns) - 1)]
            if len(rows) == frame.rows:
                columns[j] = copy_column(source, target.name)
                continue
            if not (source.has_numbers and target.has_numbers) or target.type == "enum" or source.type == "enum":
                raise bad_request("The mock assigns some rows of numeric columns only")
            picked = rows if source.rows == frame.rows else range(len(rows))
            values = [source.numbers[r] for r in picked]
        else:
            if len(rows) == frame.rows:
                columns[j] = _constant_column(target.name, src, frame.rows)
                continue
            if not target.has_numbers or target.type == "enum":
                raise bad_request("The mock assigns some rows of numeric columns only")
            values = _constant_column(target.name, src, len(rows)).numbers
        numbers = list(target.numbers)
        for r, v in zip(rows, values, strict=True):
            numbers[r] = v
        fractional = any(not math.isnan(v) and not float(v).is_integer() for v in values)
        columns[j] = Column(
            target.name, "real" if target.type == "int" and fractional else target.type, numbers=numbers
        )
    return fresh_frame(columns)


def _factor(args: tuple[Any, ...], name: str) -> tuple[Column, str]:
    """The one categorical column and the level named, as relevel and setLevel check them."""
    frame = frame_arg(args[0])
    if len(frame.columns) != 1:
        raise bad_request(f"`{name}` works on a single column at a time.")
    col = frame.columns[0]
    if col.type != "enum" or col.domain is None:
        raise bad_request("Cannot set the level on a non-factor column!")
    level = args[1]
    if not isinstance(level, str) or level not in col.domain:
        raise bad_request(f"Did not find level `{level}` in the column.")
    return col, level


def op_relevel(ev: Env, args: tuple[Any, ...]) -> Value:
    """(relevel col 'level'): that level first, the others after it in their order (AstReLevel)."""
    col, level = _factor(args, "setLevel")
    domain = col.domain or []
    idx = domain.index(level)
    codes = [NAN if math.isnan(v) else 0.0 if v == idx else v + (1 if v < idx else 0) for v in col.numbers]
    return fresh_frame([Column(col.name, "enum", numbers=codes, domain=[level, *(d for d in domain if d != level)])])


def op_set_level(ev: Env, args: tuple[Any, ...]) -> Value:
    """(setLevel col 'level'): every row that level, missing ones too (AstSetLevel)."""
    col, level = _factor(args, "setLevel")
    code = float((col.domain or []).index(level))
    return fresh_frame([Column(col.name, "enum", numbers=[code] * col.rows, domain=list(col.domain or []))])


def op_set_domain(ev: Env, args: tuple[Any, ...]) -> Value:
    """(setDomain col inPlace [levels]): the levels renamed (AstSetDomain); a list of another length must match the
    levels the column uses, which are renumbered densely. In place, the frame named changes too."""
    frame = frame_arg(args[0])
    if len(frame.columns) != 1:
        raise bad_request(f"Must be a single column. Got: {len(frame.columns)} columns.")
    col = frame.columns[0]
    if col.type != "enum" or col.domain is None:
        raise bad_request(f"Vector must be a factor column. Got: {col.type}")
    levels = args[2] if isinstance(args[2], list) else [args[2]]
    if not all(isinstance(v, str) for v in levels):
        raise bad_request("setDomain takes a list of strings")
    codes = list(col.numbers)
    if len(levels) != len(col.domain):
        used = sorted({int(v) for v in codes if not math.isnan(v)})
        if len(used) != len(levels):
            raise bad_request(
                "Number of replacement factors must equal current number of levels. Current number of levels: "
                f"{len(used)} != {len(levels)}"
            )
        dense = {old: float(new) for new, old in enumerate(used)}
        codes = [NAN if math.isnan(v) else dense[int(v)] for v in codes]
    renamed = Column(col.name, "enum", numbers=codes, domain=[str(v) for v in levels])
    if flag_arg(args[1]):
        frame.columns[0] = renamed
        return frame
    return fresh_frame([renamed])


def op_nrow(ev: Env, args: tuple[Any, ...]) -> Value:
    """(nrow frame)."""
    return float(frame_arg(args[0]).rows)


def op_ncol(ev: Env, args: tuple[Any, ...]) -> Value:
    """(ncol frame)."""
    return float(len(frame_arg(args[0]).columns))


# functions whose arguments are not evaluated first (they take a name, or run in order)
LAZY = frozenset({"tmp=", "assign", "rm", ","})
FRAME_OPS: dict[str, Op] = {
    "tmp=": op_assign, "assign": op_assign, "rm": op_rm, ",": op_sequence, "ls": op_ls,
    "rows": op_rows, "cols": op_cols, "cols_py": op_cols, "colnames=": op_colnames,
    "cbind": op_cbind, "rbind": op_rbind,
    "table": op_table, "unique": op_unique, "levels": op_levels,
    "as.factor": op_as_factor, "as.numeric": op_as_numeric, "as.character": op_as_character,
    "h2o.runif": op_runif, "na.omit": op_na_omit, "sort": op_sort, "nrow": op_nrow, "ncol": op_ncol,
    "append": op_append, ":=": op_rec_assign,
    "relevel": op_relevel, "setLevel": op_set_level, "setDomain": op_set_domain,
}  # fmt: skip
