"""A frame as the CSV a real server writes for ``GET /3/DownloadDataset``: quoted names and labels, bare numbers."""

from __future__ import annotations

import math

from h2oharness.apis.h2o3.mockparts.frames import Column, Frame


def _quote(text: str, escape_quotes: bool) -> str:
    return '"' + (text.replace('"', '""') if escape_quotes else text) + '"'


def number_text(value: float, integral: bool) -> str:
    """A number as H2O-3 prints it: integers without a fraction, NaN as an empty field, Java's "Infinity"."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if integral and value.is_integer():
        return str(int(value))
    return repr(value)


def _cell(col: Column, row: int, escape_quotes: bool) -> str:
    if col.type == "enum" or not col.has_numbers:
        label = col.label(row)
        return "" if label is None else _quote(label, escape_quotes)
    return number_text(col.numbers[row], col.type == "int")


def frame_csv(
    frame: Frame, escape_quotes: bool = False, *, separator: str = ",", header: bool = True, quote_header: bool = True
) -> str:
    """The whole frame as CSV text, one header line of (quoted) names unless ``header`` is false, then a line per
    row, the fields joined by ``separator``."""
    names = [_quote(c.name, escape_quotes) if quote_header else c.name for c in frame.columns]
    lines = [separator.join(names)] if header else []
    lines.extend(separator.join(_cell(c, r, escape_quotes) for c in frame.columns) for r in range(frame.rows))
    return "\n".join(lines) + "\n"
