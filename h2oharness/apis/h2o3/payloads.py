"""Pure builders and hypothesis strategies for H2O-3 requests: CSV data, model parameters, bad parameters.

Nothing here does I/O: a test writes the CSV text where its server can read it.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

COLORS = ("red", "green", "blue")
ENUM_LEVELS = ("lo", "mid", "hi", "x", "y")


def classification_csv(rows: int = 200, *, seed: int = 0, missing_every: int = 37, label: str = "label") -> str:
    """A binary classification CSV: ``x1`` real, ``x2`` real with gaps, ``color`` enum, ``size`` int, and ``label``.

    The label depends on the features plus noise, so a model learns something
    (training AUC well above 0.5). The same arguments always give the same text.
    """
    rng = random.Random(seed)
    lines = [f"x1,x2,color,size,{label}"]
    for i in range(rows):
        x1 = round(rng.gauss(0, 1), 4)
        x2 = round(rng.uniform(0, 10), 3)
        color = rng.choice(COLORS)
        size = rng.randint(1, 5)
        score = x1 + 0.3 * x2 + (1 if color == "red" else 0) - 2 + rng.gauss(0, 0.7)
        x2_text = "" if missing_every and i % missing_every == 5 else str(x2)
        lines.append(f"{x1},{x2_text},{color},{size},{'yes' if score > 0 else 'no'}")
    return "\n".join(lines) + "\n"


def regression_csv(rows: int = 200, *, seed: int = 0, response: str = "y") -> str:
    """A regression CSV: ``a`` and ``b`` real, ``group`` enum, and a real response that depends on them."""
    rng = random.Random(seed)
    lines = [f"a,b,group,{response}"]
    for _ in range(rows):
        a, b = rng.uniform(-3, 3), rng.uniform(0, 5)
        group = rng.choice(("g1", "g2", "g3", "g4"))
        y = 2 * a - b + {"g1": 0.0, "g2": 1.5, "g3": -1.0, "g4": 3.0}[group] + rng.gauss(0, 0.5)
        lines.append(f"{a:.4f},{b:.4f},{group},{y:.4f}")
    return "\n".join(lines) + "\n"


def gbm_params(training_frame: str, response_column: str = "label", **overrides: Any) -> dict[str, Any]:
    """A small, quick GBM."""
    return {
        "training_frame": training_frame,
        "response_column": response_column,
        "ntrees": 5,
        "max_depth": 3,
        "learn_rate": 0.1,
        "seed": 42,
        **overrides,
    }


def glm_params(
    training_frame: str, response_column: str = "label", family: str = "binomial", **overrides: Any
) -> dict[str, Any]:
    """A GLM of the given family."""
    return {"training_frame": training_frame, "response_column": response_column, "family": family, **overrides}


def drf_params(training_frame: str, response_column: str = "label", **overrides: Any) -> dict[str, Any]:
    """A small, quick DRF."""
    return {
        "training_frame": training_frame,
        "response_column": response_column,
        "ntrees": 10,
        "max_depth": 8,
        "seed": 42,
        **overrides,
    }


# ---------------------------------------------------------------- strategies


@dataclass(frozen=True)
class TableSpec:
    """What a generated CSV holds, so a test can check what the server parsed."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    rows: int
    domains: tuple[tuple[str, ...] | None, ...]
    missing: tuple[int, ...]


_names = st.text(string.ascii_lowercase, min_size=1, max_size=6).map(lambda s: "c_" + s)


@st.composite
def csv_tables(draw: st.DrawFn, max_rows: int = 40, max_columns: int = 5) -> tuple[str, TableSpec]:
    """A CSV (header, at least one numeric column) and what H2O-3 should parse it into.

    Columns are int, real or enum; enums repeat a few levels so they are never
    mistaken for free text, and a numeric column other than the first may have
    empty cells (missing).
    """
    ncols = draw(st.integers(1, max_columns))
    nrows = draw(st.integers(3, max_rows))
    names = draw(st.lists(_names, min_size=ncols, max_size=ncols, unique=True))
    kinds = draw(st.lists(st.sampled_from(("int", "real", "enum")), min_size=ncols, max_size=ncols))
    kinds[0] = draw(st.sampled_from(("int", "real")))  # line 1 holds a number, so the header is recognised
    columns: list[list[str]] = []
    domains: list[tuple[str, ...] | None] = []
    missing: list[int] = []
    types: list[str] = []
    for index, kind in enumerate(kinds):
        if kind == "enum":
            # fewer levels than rows, so H2O-3 sees repeats and does not call the column free text
            levels = draw(st.lists(st.sampled_from(ENUM_LEVELS), min_size=1, max_size=min(3, nrows - 1), unique=True))
            cells = draw(st.lists(st.sampled_from(levels), min_size=nrows, max_size=nrows))
            columns.append(cells)
            domains.append(tuple(sorted(set(cells))))
            missing.append(0)
            types.append("enum")
            continue
        if kind == "int":
            values = draw(st.lists(st.integers(-1000, 1000), min_size=nrows, max_size=nrows))
            cells = [str(v) for v in values]
        else:
            values_f = draw(
                st.lists(st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False), min_size=nrows, max_size=nrows)
            )
            cells = [repr(round(v, 3) + 0.5 if round(v, 3).is_integer() else round(v, 3)) for v in values_f]
        # the first column stays full, so no line is blank (H2O-3 skips blank lines)
        holes = draw(st.sets(st.integers(1, nrows - 1), max_size=nrows // 4)) if index else set()
        cells = ["" if i in holes else c for i, c in enumerate(cells)]
        columns.append(cells)
        domains.append(None)
        missing.append(len(holes))
        types.append(kind)
    lines = [",".join(names)] + [",".join(col[r] for col in columns) for r in range(nrows)]
    spec = TableSpec(tuple(names), tuple(types), nrows, tuple(domains), tuple(missing))
    return "\n".join(lines) + "\n", spec


@dataclass(frozen=True)
class BadParams:
    """A model-builder request that a real H2O-3 refuses, and how."""

    params: dict[str, Any]
    status: int
    schema: str
    why: str


def bad_builder_params(training_frame: str, response_column: str = "label") -> st.SearchStrategy[BadParams]:
    """GBM parameters that H2O-3 3.46.0.12 rejects, each with the status and error schema it answers."""
    base = {"training_frame": training_frame, "response_column": response_column}
    words = st.text(string.ascii_letters, min_size=1, max_size=8)
    not_int = words.filter(lambda s: not s.lstrip("+-").isdigit())
    not_number = words.filter(lambda s: _not_float(s))
    return st.one_of(
        words.map(lambda w: BadParams({**base, f"bogus_{w}": "1"}, 412, "H2OErrorV3", "unknown parameter")),
        not_int.map(lambda w: BadParams({**base, "ntrees": w}, 412, "H2OErrorV3", "ntrees is not an int")),
        not_number.map(lambda w: BadParams({**base, "learn_rate": w}, 412, "H2OErrorV3", "learn_rate is no number")),
        # a real server accepts 0 trees (the model predicts the prior), whatever its message says of 1 to 100000
        st.one_of(
            st.integers(min_value=-(2**31), max_value=-1), st.integers(min_value=100_001, max_value=2**31 - 1)
        ).map(lambda n: BadParams({**base, "ntrees": n}, 412, "H2OModelBuilderErrorV3", "ntrees out of range")),
        st.floats(min_value=1.01, max_value=1e6).map(
            lambda x: BadParams({**base, "learn_rate": x}, 412, "H2OModelBuilderErrorV3", "learn_rate above 1")
        ),
        words.map(lambda w: BadParams({**base, "distribution": f"no_{w}"}, 400, "H2OErrorV3", "unknown distribution")),
        words.map(
            lambda w: BadParams(
                {**base, "response_column": f"missing_{w}"}, 412, "H2OModelBuilderErrorV3", "unknown response"
            )
        ),
        words.map(lambda w: BadParams({**base, "training_frame": f"nope_{w}.hex"}, 400, "H2OErrorV3", "unknown frame")),
    )


def _not_float(text: str) -> bool:
    """Whether Java's Double.parseDouble refuses the text: it reads "NaN" and "Infinity" (which a real server then
    refuses in the builder, a different error), not Python's "nan", "NAN" or "inf"."""
    if text.strip().lstrip("+-") in ("NaN", "Infinity"):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return text.strip().lstrip("+-").lower().startswith(("nan", "inf"))
