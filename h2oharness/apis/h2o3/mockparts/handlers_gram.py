"""GET /3/ComputeGram: the (weighted) Gram matrix X'WX of a frame's expanded columns, written to a new frame at
once, as a real 3.46.0.12's DataInfo expands them.

Enums come first, one column per level (the first dropped unless ``use_all_factor_levels``) and, unless
``skip_missing``, one ``<name>.missing(NA)`` column marking their missing values; then the numbers, a missing one
replaced by its column's mean (``standardize``: centred and divided by the sample standard deviation); then
``Intercept``. With ``skip_missing`` a row holding a missing value is left out. ``W`` names a column of weights,
which is not itself expanded.
"""

from __future__ import annotations

import math

from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, key_name, required
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import bad_request, col_specifier, key

#: the most multiply-adds (rows x expanded columns squared) the mock spends on one Gram matrix
GRAM_BUDGET = 20_000_000


def compute_gram(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/ComputeGram: the Gram matrix as a frame named after ``X`` (``<X>_gram[_<W>]``, then ``_0``, ``_1``...)."""
    values = call.values("GramV3")
    name = str(key_name(required(values, "X")))
    weights_name = values.get("W")
    with state.lock:
        frame = state.frames.get(name)
    if frame is None:
        raise bad_request(f"Frame {name} does not exist.")
    weights = None
    if weights_name is not None:
        found = frame.column(str(weights_name))
        if found is None:
            raise bad_request(f"Did not find weight vector {weights_name}")
        weights = found
    used = [c for c in frame.columns if c is not weights and c.has_numbers and c.type != "time"]
    skip = values.get("skip_missing") is True
    names, rows = _expanded(used, frame.rows, skip, values.get("use_all_factor_levels") is True,
                            values.get("standardize") is True)  # fmt: skip
    if len(rows) * len(names) ** 2 > GRAM_BUDGET:
        raise bad_request(
            f"The mock computes Gram matrices of at most {GRAM_BUDGET} multiply-adds (rows x columns squared): "
            f"{len(rows)} rows of {len(names)} expanded columns is more"
        )
    gram = [[0.0] * len(names) for _ in names]
    for row, x in rows:
        w = 1.0 if weights is None else weights.numbers[row]
        for i, xi in enumerate(x):
            if xi:
                target = gram[i]
                for j, xj in enumerate(x):
                    target[j] += w * xi * xj
    destination = _destination(state, name, None if weights_name is None else str(weights_name))
    columns = [
        Column(n, "int" if all(v.is_integer() for v in col) else "real", list(col))
        for n, col in zip(names, zip(*gram, strict=True), strict=True)
    ]
    state.publish(Frame(destination, columns))
    body = {
        "X": key(name, "Frame"),
        "W": col_specifier(None if weights_name is None else str(weights_name)),
        "use_all_factor_levels": values.get("use_all_factor_levels") is True,
        "standardize": values.get("standardize") is True,
        "skip_missing": skip,
        "destination_frame": key(destination, "Frame"),
    }
    # a real server answers a GramV3 without its __meta
    return Reply(body)


def _expanded(
    used: list[Column], nrows: int, skip: bool, all_levels: bool, standardize: bool
) -> tuple[list[str], list[tuple[int, list[float]]]]:
    enums = [c for c in used if c.domain is not None]
    numbers = [c for c in used if c.domain is None]
    names: list[str] = []
    for col in enums:
        levels = list(col.domain or [])
        names += [f"{col.name}.{level}" for level in (levels if all_levels else levels[1:])]
        if not skip:
            names.append(f"{col.name}.missing(NA)")
    names += [c.name for c in numbers] + ["Intercept"]
    centres = [(c.rollups().mean, c.rollups().sigma) for c in numbers]
    rows: list[tuple[int, list[float]]] = []
    for r in range(nrows):
        if skip and any(c.is_missing(r) for c in used):
            continue
        x: list[float] = []
        for col in enums:
            width = len(col.domain or []) - (0 if all_levels else 1)
            cells = [0.0] * (width + (0 if skip else 1))
            code = col.numbers[r]
            if math.isnan(code):
                cells[-1] = 1.0
            elif (level := int(code) - (0 if all_levels else 1)) >= 0:
                cells[level] = 1.0
            x += cells
        for col, (mean, sigma) in zip(numbers, centres, strict=True):
            v = col.numbers[r]
            v = mean if math.isnan(v) else v
            x.append((v - mean) / sigma if standardize and sigma else v)
        rows.append((r, [*x, 1.0]))
    return names, rows


def _destination(state: H2O3MockState, name: str, weights: str | None) -> str:
    base = name.removesuffix(".hex") + "_gram" + (f"_{weights}" if weights is not None else "")
    if not state.key_exists(base):
        return base
    n = 0
    while state.key_exists(f"{base}_{n}"):
        n += 1
    return f"{base}_{n}"
