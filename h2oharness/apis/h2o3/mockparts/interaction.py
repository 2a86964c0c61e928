"""POST /3/Interaction (h2o.interaction): enum columns combined into interaction columns, as H2O-3's
CreateInteractions makes them. Each pair of levels (a row's two codes joined into one long) is counted; the levels
of the new column are the pairs by falling count, the first ``max_factors`` of at least ``min_occurrence`` rows,
the rest ``other``. Pairs of equal count keep the order of the hash map H2O-3 counts them in (a
NonBlockingHashMap), which the mock replays; with ``pairwise`` and three or more columns, one column per
pair, else one column chaining them all."""

from __future__ import annotations

import math
import uuid

from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, job_json, key_name, required
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request

MISSING = -(2**31)  # Integer.MIN_VALUE: H2O-3's code of a missing level
OTHER = "other"
NO_SOURCE = 'Cannot invoke "water.fvec.Frame.find(String)" because "source_frame" is null'
SLOTS = 32  # a fresh NonBlockingHashMap's table
PROBES = 10  # its REPROBE_LIMIT


def interaction(state: H2O3MockState, call: Call) -> Reply:
    """The JobV3 (described as "CreateFrame", as a real server does) of the new frame ``dest``."""
    values = call.values("InteractionV3")
    max_factors = int(required(values, "max_factors"))
    occurrence = values.get("min_occurrence")
    min_occurrence = int(occurrence) if occurrence is not None else 1
    names = [str(n) for n in values.get("factor_columns") or []]
    if not names:
        raise bad_request("factor_columns must be specified.")
    source_name = key_name(values.get("source_frame"))
    with state.lock:
        source = state.frames.get(source_name or "")
    if source is None:
        # a real server answers 500; the mock 400 with its message (mock.DEVIATIONS)
        raise H2OError(400, NO_SOURCE, "java.lang.NullPointerException")
    columns = []
    for name in names:
        col = source.column(name)
        if col is None:
            raise bad_request(f"Column {name} not found.")
        if col.domain is None:
            raise bad_request(f"Column {name} is not categorical.")
        columns.append(col)
    groups = (
        [[columns[i], columns[j]] for i in range(len(columns)) for j in range(i + 1, len(columns))]
        if values.get("pairwise") and len(columns) >= 3
        else [columns]
    )
    dest = key_name(values.get("dest")) or f"_{uuid.uuid4().hex}"
    made = Frame(dest, [_chain(group, max_factors, min_occurrence) for group in groups])
    job = state.submit("interaction", "CreateFrame", JobInfo(dest, "Frame", made), state.timings.predict)
    return Reply(job_json(state, job))


def _chain(group: list[Column], max_factors: int, min_occurrence: int) -> Column:
    if len(group) == 1:
        return _combine(group[0], group[0], f"{group[0].name}_{group[0].name}", max_factors, min_occurrence)
    out = group[0]
    for col in group[1:]:
        out = _combine(out, col, f"{out.name}_{col.name}", max_factors, min_occurrence)
    return out


def _code(value: float) -> int:
    return MISSING if math.isnan(value) else int(value)


def _combine(a: Column, b: Column, name: str, max_factors: int, min_occurrence: int) -> Column:
    same = a is b
    keys: list[int | None] = []
    for x, y in zip(a.numbers, b.numbers, strict=True):
        if same:
            keys.append(None if math.isnan(x) else _code(x))
        else:
            keys.append((_code(x) << 32) | (_code(y) & 0xFFFFFFFF))
    counts: dict[int, int] = {}
    for k in keys:
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
    ranked = sorted(_hash_order([k for k in keys if k is not None]), key=lambda k: -counts[k])
    kept: list[int] = []
    for k in ranked:
        if len(kept) < max_factors and counts[k] >= min_occurrence:
            kept.append(k)
        else:
            break
    domain = [_label(k, a, b, same) for k in kept] + ([OTHER] if len(kept) < len(ranked) else [])
    index = {k: i for i, k in enumerate(kept)}
    numbers = [math.nan if k is None else float(index.get(k, len(domain) - 1)) for k in keys]
    return Column(name, "enum", numbers=numbers, domain=domain)


def _label(key: int, a: Column, b: Column, same: bool) -> str:
    assert a.domain is not None
    assert b.domain is not None
    if same:
        return a.domain[key]
    first, second = _signed32(key >> 32), _signed32(key & 0xFFFFFFFF)
    left = a.domain[first] if first != MISSING else "NA"
    right = b.domain[second] if second != MISSING else "NA"
    return f"{left}_{right}"


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _smear(h: int) -> int:
    """NonBlockingHashMap.hash of a hashCode (Java int arithmetic)."""
    h = _signed32(h)
    h = _signed32(h ^ ((h & 0xFFFFFFFF) >> 20) ^ ((h & 0xFFFFFFFF) >> 12))
    h = _signed32(h ^ ((h & 0xFFFFFFFF) >> 7) ^ ((h & 0xFFFFFFFF) >> 4))
    return _signed32(h + (h << 7))


def _hash_order(keys: list[int]) -> list[int]:
    """The distinct keys in the order a real server's map (a NonBlockingHashMap) lists them: by slot, each key
    hashed from Long.hashCode and placed by linear probing in the order first seen. The table starts at 32 slots
    and grows as that map grows (too many probes for one key, or a half-full table after 10), its keys moved in
    slot order before the key that made it grow."""
    table: list[int | None] = [None] * SLOTS
    for held, key in enumerate(dict.fromkeys(keys)):
        size = len(table)
        index, probes = _hash(key) & (size - 1), 0
        grow = False
        while table[index] is not None:
            probes += 1
            if probes >= _probe_limit(size):
                grow = True
                break
            index = (index + 1) & (size - 1)
        if not grow and probes >= PROBES and (probes >= _probe_limit(size) or held + 1 >= size >> 1):
            grow = True
        if grow:
            bigger = size << 2 if held >= size >> 1 else size << 1
            old, table = table, [None] * bigger
            for moved in old:
                if moved is not None:
                    _place(table, moved)
        _place(table, key)
    return [k for k in table if k is not None]


def _probe_limit(size: int) -> int:
    return PROBES + (size >> 4)


def _hash(key: int) -> int:
    bits = key & 0xFFFFFFFFFFFFFFFF
    return _smear((bits ^ (bits >> 32)) & 0xFFFFFFFF)


def _place(table: list[int | None], key: int) -> None:
    size = len(table)
    index = _hash(key) & (size - 1)
    while table[index] is not None:
        index = (index + 1) & (size - 1)
    table[index] = key
