"""Parse setup and parsing of delimited text, guessing what H2O-3 guesses on the same file.

What was checked against a real 3.46.0.12 (ParseSetup then Parse on the same files):
separator (``,`` tab ``;`` ``|`` space, and 32 when no separator splits the lines),
header (line 0 all non-numeric while line 1 holds a number), types (Numeric with
at most one stray string, Enum for repeated strings, String when nearly every
value is distinct (95% or more; one string throughout is Enum, in a one-row file too),
Time for dates, UUID), ``C1..Cn`` names without a header,
sorted Enum domains, and stray strings in a Numeric column becoming missing.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from h2oharness.apis.h2o3.mockparts.frames import Column

SEPARATORS = (",", "\t", ";", "|", " ")
NO_SEPARATOR = 32
GUESS_LINES = 1000
PREVIEW_LINES = 10
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d-%b-%Y",
)
NA_TOKENS = frozenset({"", "NA"})
TYPE_ALIASES = {
    "numeric": "Numeric",
    "real": "Numeric",
    "int": "Numeric",
    "integer": "Numeric",
    "long": "Numeric",
    "double": "Numeric",
    "float": "Numeric",
    "enum": "Enum",
    "categorical": "Enum",
    "factor": "Enum",
    "string": "String",
    "str": "String",
    "time": "Time",
    "uuid": "UUID",
    "unknown": "Numeric",
    "bad": "Numeric",
}


class ParseError(ValueError):
    """The text cannot be parsed with the given setup."""


@dataclass(frozen=True)
class Setup:
    """What ParseSetup guessed (or was told) about a file."""

    separator: int
    check_header: int
    column_names: list[str] | None
    column_types: list[str]
    preview: list[list[str]]
    single_quotes: bool = False

    @property
    def number_columns(self) -> int:
        """How many columns the file has."""
        return len(self.column_types)


def is_number(token: str) -> bool:
    """Whether H2O-3 would read the token as a number."""
    return bool(NUMBER.match(token.strip()))


def parse_time(token: str) -> float | None:
    """Milliseconds since the epoch (UTC) for a date/time token, or None."""
    text = token.strip()
    if not text or not text[0].isdigit():
        return None
    for fmt in TIME_FORMATS:
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return moment.timestamp() * 1000.0
    return None


def _is_uuid(token: str) -> bool:
    return bool(UUID.match(token.strip()))


def read_rows(text: str, separator: str, single_quotes: bool = False, limit: int | None = None) -> list[list[str]]:
    """Split text into rows of tokens, skipping blank lines; ``limit`` bounds the rows read."""
    quote = "'" if single_quotes else '"'
    reader = csv.reader(io.StringIO(text), delimiter=separator, quotechar=quote, skipinitialspace=separator == " ")
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise ParseError(f"cannot split the file into rows: {exc}") from None
    return rows


def guess_separator(text: str, single_quotes: bool = False) -> int:
    """The separator whose split gives the same column count (more than one) on the first lines."""
    for sep in SEPARATORS:
        rows = read_rows(text, sep, single_quotes, limit=20)
        if not rows:
            continue
        counts = {len(r) for r in rows[: min(len(rows), 10)]}
        if len(rows[0]) > 1 and len(counts) == 1:
            return ord(sep)
    for sep in SEPARATORS:
        rows = read_rows(text, sep, single_quotes, limit=20)
        if rows and len(rows[0]) > 1:
            return ord(sep)
    return NO_SEPARATOR


def guess_header(rows: list[list[str]]) -> bool:
    """H2O-3's rule: line 0 holds no number at all while line 1, if any, holds at least one."""
    if not rows or any(is_number(t) or t.strip() in NA_TOKENS for t in rows[0]):
        return False
    return len(rows) == 1 or any(is_number(t) for t in rows[1])


def guess_type(tokens: list[str]) -> str:
    """The H2O-3 column type (Numeric, Enum, String, Time, UUID) for a column's sample of tokens."""
    values = [t.strip() for t in tokens if t.strip() not in NA_TOKENS]
    if not values:
        return "Numeric"
    numbers = sum(1 for t in values if is_number(t))
    others = len(values) - numbers
    if numbers >= len(values) or (others <= 1 and numbers > 0):
        return "Numeric"
    if all(_is_uuid(t) for t in values):
        return "UUID"
    if all(parse_time(t) is not None for t in values):
        return "Time"
    if others >= numbers:
        # one string throughout is a category (a file of one row too); 95% or more of them distinct, a String
        distinct = len({t for t in values if not is_number(t)})
        return "String" if distinct > 1 and distinct >= 0.95 * others else "Enum"
    return "Numeric"


def guess_setup(
    text: str, *, separator: int | None = None, check_header: int = 0, single_quotes: bool = False
) -> Setup:
    """Guess separator, header, names and types the way H2O-3's ParseSetup does."""
    sep = separator if separator else guess_separator(text, single_quotes)
    rows = read_rows(text, chr(sep), single_quotes, limit=GUESS_LINES)
    header = guess_header(rows) if check_header == 0 else check_header == 1
    width = max((len(r) for r in rows[: PREVIEW_LINES + 1]), default=0)
    names = [_name(t, i) for i, t in enumerate(_pad(rows[0], width))] if header and rows else None
    data = rows[1:] if header else rows
    types = [guess_type([r[i] if i < len(r) else "" for r in data]) for i in range(width)]
    # the preview is the data among the file's first lines
    preview = [_pad(r, width) for r in rows[int(header) : PREVIEW_LINES]]
    return Setup(sep, 1 if header else -1, names, types, preview, single_quotes)


def _pad(row: list[str], width: int) -> list[str]:
    return (row + [""] * width)[:width]


def _name(token: str, index: int) -> str:
    name = token.strip()
    return name or f"C{index + 1}"


def canonical_type(name: str) -> str | None:
    """The H2O-3 spelling of a column type a client sent, or None when unknown."""
    return TYPE_ALIASES.get(name.strip().lower())


def parse_columns(
    text: str,
    *,
    separator: int,
    check_header: int,
    column_names: list[str] | None,
    column_types: list[str] | None,
    single_quotes: bool = False,
    na_strings: list[list[str]] | None = None,
) -> list[Column]:
    """Parse a whole file into typed columns; ``na_strings`` (one list per column) are read as missing values."""
    sep = separator if separator else guess_separator(text, single_quotes)
    rows = read_rows(text, chr(sep), single_quotes)
    header = guess_header(rows) if check_header == 0 else check_header == 1
    data = rows[1:] if header else rows
    width = max(
        [len(rows[0]) if rows else 0, len(column_types or []), len(column_names or [])]
        + [len(r) for r in data[:PREVIEW_LINES]]
    )
    if column_names:
        names = [_name(n, i) for i, n in enumerate(_pad(column_names, width))]
    elif header and rows:
        names = [_name(t, i) for i, t in enumerate(_pad(rows[0], width))]
    else:
        names = [f"C{i + 1}" for i in range(width)]
    columns: list[Column] = []
    for i in range(width):
        tokens = [r[i] if i < len(r) else "" for r in data]
        missing = set(na_strings[i]) if na_strings and i < len(na_strings) else set()
        if missing:
            tokens = ["" if t in missing else t for t in tokens]
        wanted = column_types[i] if column_types and i < len(column_types) else guess_type(tokens[:GUESS_LINES])
        kind = canonical_type(wanted)
        if kind is None:
            raise ParseError(f"Unknown column type {wanted!r} for column {names[i]!r}")
        columns.append(_column(names[i], kind, tokens))
    return columns


def _column(name: str, kind: str, tokens: list[str]) -> Column:
    if kind == "Numeric":
        numbers = [float(t) if is_number(t) else math.nan for t in tokens]
        integral = all(math.isnan(v) or (v.is_integer() and abs(v) < 2**53) for v in numbers)
        return Column(name, "int" if integral else "real", numbers=numbers)
    if kind == "Time":
        times = [parse_time(t) for t in tokens]
        return Column(name, "time", numbers=[math.nan if v is None else v for v in times])
    if kind == "Enum":
        cleaned = [t.strip() for t in tokens]
        domain = sorted({t for t in cleaned if t not in NA_TOKENS})
        index = {level: float(i) for i, level in enumerate(domain)}
        codes = [index.get(t, math.nan) for t in cleaned]
        return Column(name, "enum", numbers=codes, domain=domain)
    if kind == "UUID":
        return Column(name, "uuid", strings=[t.strip().upper() if _is_uuid(t) else None for t in tokens])
    return Column(name, "string", strings=[t if t.strip() not in NA_TOKENS else None for t in tokens])
