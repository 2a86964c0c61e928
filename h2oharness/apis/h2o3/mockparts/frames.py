"""Frames of the mock: typed columns, their rollups, and their FramesV3 / FrameV3 / ColV3 renderings."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, key, meta, two_dim_table

DEFAULT_PERCENTILES = [
    0.001, 0.01, 0.1, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.7, 0.75, 0.8, 0.9, 0.99, 0.999,
]  # fmt: skip
DEFAULT_ROWS_SHOWN = 100
REAL_BINS = 1000
BYTES_PER_VALUE = {"real": 8, "int": 4, "enum": 1, "time": 8, "string": 16, "uuid": 16}
PRECISION = {"real": 0, "time": 5}
# ParseSetup/Parse spell types differently from ColV3
SETUP_TYPE = {"real": "Numeric", "int": "Numeric", "enum": "Enum", "time": "Time", "string": "String", "uuid": "UUID"}


@dataclass(frozen=True)
class Rollups:
    """What H2O-3 computes once per column: counts, extremes, mean and standard deviation."""

    missing: int
    zeros: int
    pinfs: int
    ninfs: int
    mins: list[float]
    maxs: list[float]
    mean: float
    sigma: float


@dataclass
class Column:
    """One column: numbers (real, int, time, enum codes; NaN = missing) or strings (string, uuid; None = missing)."""

    name: str
    type: str
    numbers: list[float] = field(default_factory=list)
    strings: list[str | None] = field(default_factory=list)
    domain: list[str] | None = None
    #: what is computed of its values once (rollups, sorted values, histogram): cleared by :meth:`changed`
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def has_numbers(self) -> bool:
        """Whether the column is held as numbers (everything but string and uuid)."""
        return self.type not in ("string", "uuid")

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.numbers) if self.has_numbers else len(self.strings)

    def is_missing(self, row: int) -> bool:
        """Whether the value at ``row`` is missing."""
        return math.isnan(self.numbers[row]) if self.has_numbers else self.strings[row] is None

    def label(self, row: int) -> str | None:
        """The text of a value: the level of an enum, the string of a string column, None when missing."""
        if self.has_numbers:
            value = self.numbers[row]
            if math.isnan(value):
                return None
            return self.domain[int(value)] if self.domain is not None else repr(value)
        return self.strings[row]

    def rollups(self) -> Rollups:
        """The column's rollups, computed once."""
        return self._cached("rollups", lambda: _rollups(self))  # type: ignore[no-any-return]

    def sorted_present(self) -> list[float]:
        """Its present values in order, sorted once (percentiles read them on every summary)."""
        return self._cached("sorted", lambda: sorted(v for v in self.numbers if not math.isnan(v)))  # type: ignore[no-any-return]

    def changed(self) -> None:
        """Say its values were changed in place: what was computed of them is computed again."""
        self._cache.clear()

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def take(self, rows: list[int]) -> Column:
        """A new column holding only the given rows."""
        if self.has_numbers:
            return Column(self.name, self.type, numbers=[self.numbers[r] for r in rows], domain=self.domain)
        return Column(self.name, self.type, strings=[self.strings[r] for r in rows])


def _mean_sigma(finite: list[float], low: float, high: float, *, infinite: bool) -> tuple[float, float]:
    """Mean and standard deviation as H2O-3's rollups compute them in doubles (RollupStats.map, and
    RollupStatsHelpers' Welford loop): the same floats for a frame of one chunk, and NaN or infinity where the
    doubles overflow (1e308 values), where exact sums raised OverflowError."""
    n = len(finite)
    if low == high:  # a constant column
        return low, 0.0
    # the boolean shortcut, taken where the values' range (infinities included) is 0 to 1
    if not infinite and low == 0.0 and high == 1.0 and all(x in (0.0, 1.0) for x in finite):
        ones = sum(1 for x in finite if x == 1.0)
        mean = ones / n
        m2 = (n - ones) * (0.0 - mean) * (0.0 - mean) + ones * (1.0 - mean) * (1.0 - mean)
    else:
        mean = m2 = 0.0
        for rows, x in enumerate(finite, 1):
            delta = x - mean
            mean += delta / rows
            m2 += delta * (x - mean)
    variance = m2 / (n - 1)
    return mean, math.sqrt(variance) if variance >= 0.0 else math.nan  # Java's sqrt of a negative is NaN


def _rollups(col: Column) -> Rollups:
    nan5 = [math.nan] * 5
    if not col.has_numbers:
        missing = sum(1 for s in col.strings if s is None)
        return Rollups(missing, 0, 0, 0, nan5, nan5, math.nan, math.nan)
    present = [v for v in col.numbers if not math.isnan(v)]
    finite = [v for v in present if not math.isinf(v)]
    ordered = sorted(finite)
    mins = (ordered[:5] + nan5)[:5]
    maxs = (ordered[::-1][:5] + nan5)[:5]
    mean = sigma = math.nan
    # H2O-3 leaves the mean of a categorical column undefined unless it is binary
    if finite and (col.type != "enum" or len(col.domain or []) <= 2):
        mean, sigma = _mean_sigma(finite, ordered[0], ordered[-1], infinite=len(present) > len(finite))
    elif not finite and col.type != "enum":
        mean, sigma = 0.0, -0.0
    return Rollups(
        missing=len(col.numbers) - len(present),
        zeros=sum(1 for v in finite if v == 0),
        pinfs=sum(1 for v in present if v == math.inf),
        ninfs=sum(1 for v in present if v == -math.inf),
        mins=mins,
        maxs=maxs,
        mean=mean,
        sigma=sigma,
    )


@dataclass
class Frame:
    """A parsed frame held by the mock."""

    name: str
    columns: list[Column]

    @property
    def rows(self) -> int:
        """Number of rows (0 for a frame without columns)."""
        return self.columns[0].rows if self.columns else 0

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def byte_size(self) -> int:
        """A plausible in-memory size, as H2O-3 reports it."""
        return sum(BYTES_PER_VALUE.get(c.type, 8) * c.rows + 64 for c in self.columns)

    def checksum(self) -> int:
        """A signed 64-bit checksum of names, types and values."""
        digest = hashlib.blake2b(digest_size=8)
        for col in self.columns:
            digest.update(f"{col.name}\x00{col.type}\x00".encode())
            digest.update(repr(col.numbers[:1000] if col.has_numbers else col.strings[:1000]).encode())
            digest.update(str(col.rows).encode())
        return int.from_bytes(digest.digest(), "big", signed=True)


def col_json(col: Column, row_offset: int, row_count: int, summary: bool = False) -> JSONDict:
    """A ColV3 for one column, with ``row_count`` values from ``row_offset``."""
    r = col.rollups()
    body = metadata.skeleton("ColV3")
    stop = min(col.rows, row_offset + row_count)
    body.update(
        label=col.name,
        missing_count=r.missing,
        zero_count=r.zeros,
        positive_infinity_count=r.pinfs,
        negative_infinity_count=r.ninfs,
        mins=r.mins,
        maxs=r.maxs,
        mean=r.mean,
        sigma=r.sigma,
        type=col.type,
        domain=col.domain,
        domain_cardinality=len(col.domain or []),
        data=col.numbers[row_offset:stop] if col.has_numbers else None,
        string_data=None if col.has_numbers else col.strings[row_offset:stop],
        precision=PRECISION.get(col.type, -1),
        histogram_bins=None,
        histogram_base=0.0,
        histogram_stride=0.0,
        percentiles=None,
    )
    if summary and col.has_numbers:
        bins, base, stride = histogram(col)
        body.update(
            histogram_bins=bins,
            histogram_base=base,
            histogram_stride=stride,
            percentiles=percentiles(col, DEFAULT_PERCENTILES),
        )
    return body


def histogram(col: Column) -> tuple[list[int], float, float]:
    """Histogram bins, base and stride as H2O-3 lays them out (one bin per level or integer, else 1000), computed once
    per column (a summary of 2 million values took a second each time)."""
    return col._cached("histogram", lambda: _histogram(col))  # type: ignore[no-any-return]


def _histogram(col: Column) -> tuple[list[int], float, float]:
    values = [v for v in col.numbers if not math.isnan(v) and not math.isinf(v)]
    if not values:
        return [], 0.0, 0.0
    low, high = min(values), max(values)
    if col.type == "enum":
        nbins, stride = max(1, len(col.domain or [])), 1.0
    elif col.type == "int" and high - low < REAL_BINS:
        nbins, stride = int(high - low) + 1, 1.0
    else:
        nbins = REAL_BINS
        stride = (high - low) / nbins if high > low else 1.0
    bins = [0] * nbins
    for v in values:
        bins[min(nbins - 1, int((v - low) / stride))] += 1
    return bins, low, stride


def percentiles(col: Column, probs: list[float]) -> list[float]:
    """Linearly interpolated quantiles of the column's present values."""
    values = col.sorted_present()
    if not values:
        return [math.nan] * len(probs)
    out = []
    for p in probs:
        pos = p * (len(values) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(values) - 1)
        out.append(values[lo] + (values[hi] - values[lo]) * (pos - lo))
    return out


def _size(n: int) -> str:
    return f"{n:7d}  B" if n < 1024 else f"{n / 1024:7.1f} KB"


def frame_json(
    frame: Frame,
    *,
    row_offset: int = 0,
    row_count: int = -1,
    column_offset: int = 0,
    column_count: int = -1,
    full_column_count: int = -1,
    summary: bool = False,
    node: str = "127.0.0.1:54321",
) -> JSONDict:
    """A FrameV3 showing a window of rows and columns; the columns past ``full_column_count`` of them (all by
    default) come without their data."""
    shown_rows = DEFAULT_ROWS_SHOWN if row_count < 0 else row_count
    shown_rows = max(0, min(shown_rows, frame.rows - row_offset))
    cols = (
        frame.columns[column_offset:]
        if column_count < 0
        else frame.columns[column_offset : column_offset + column_count]
    )
    full = len(cols) if full_column_count < 0 else min(full_column_count, len(cols))
    shown = [col_json(c, row_offset, shown_rows, summary) for c in cols]
    for col in shown[full:]:
        col.update(data=None, string_data=None)
    size = frame.byte_size()
    body = metadata.skeleton("FrameV3")
    body.update(
        frame_id=key(frame.name, "Frame"),
        byte_size=size,
        is_text=False,
        row_offset=row_offset,
        row_count=shown_rows,
        column_offset=column_offset,
        column_count=len(cols),
        full_column_count=full,
        total_column_count=len(frame.columns),
        checksum=frame.checksum(),
        rows=frame.rows,
        num_columns=len(frame.columns),
        default_percentiles=DEFAULT_PERCENTILES,
        columns=shown,
        compatible_models=None,
        chunk_summary=two_dim_table(
            "Chunk compression summary",
            "",
            [
                ("chunk_type", "string", "%8s", "Chunk Type"),
                ("chunk_name", "string", "%s", "Chunk Name"),
                ("count", "int", "%10d", "Count"),
                ("count_percentage", "float", "%10.3f %%", "Count Percentage"),
                ("size", "string", "%10s", "Size"),
                ("size_percentage", "float", "%10.3f %%", "Size Percentage"),
            ],
            [["C8D", "64-bit Reals", len(frame.columns), 100.0, _size(size), 100.0]],
        ),
        distribution_summary=two_dim_table(
            "Frame distribution summary",
            "",
            [
                ("", "string", "%s", ""),
                ("size", "string", "%s", "Size"),
                ("number_of_rows", "float", "%f", "Number of Rows"),
                ("number_of_chunks_per_column", "float", "%f", "Number of Chunks per Column"),
                ("number_of_chunks", "float", "%f", "Number of Chunks"),
            ],
            [
                [node, _size(size), frame.rows, 1, len(frame.columns)],
                ["mean", _size(size), float(frame.rows), 1.0, float(len(frame.columns))],
                ["min", _size(size), float(frame.rows), 1.0, float(len(frame.columns))],
                ["max", _size(size), float(frame.rows), 1.0, float(len(frame.columns))],
                ["stddev", _size(0), 0.0, 0.0, 0.0],
                ["total", _size(size), frame.rows, 1, len(frame.columns)],
            ],
        ),
    )
    return body


def frames_response(frames: list[JSONDict], *, row_offset: int, row_count: int, column_offset: int,
                    column_count: int, full_column_count: int) -> JSONDict:  # fmt: skip
    """A FramesV3 body around some FrameV3 instances, echoing the window that was asked for."""
    body = metadata.skeleton("FramesV3")
    body.update(
        row_offset=row_offset,
        row_count=row_count,
        column_offset=column_offset,
        column_count=column_count,
        full_column_count=full_column_count,
        frames=frames,
    )
    return body


def synopsis_json(frame: Frame) -> JSONDict:
    """A FrameSynopsisV3, the entry of ``GET /3/Frames``."""
    return {
        "__meta": meta("FrameSynopsisV3", "Iced"),
        "_exclude_fields": "",
        "frame_id": key(frame.name, "Frame"),
        "byte_size": frame.byte_size(),
        "is_text": False,
        "rows": frame.rows,
        "columns": len(frame.columns),
    }
