"""Write a conformance report as JSON and as one self-contained HTML page, every string redacted first."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from h2oharness.errors import ConfigError
from h2oharness.http.redact import redact
from h2oharness.report.loadsummary import LoadSummary, is_latency
from h2oharness.report.model import Conformance
from h2oharness.report.pageview import page_view
from h2oharness.words import counted

__all__ = [
    "HTML_NAME",
    "JSON_NAME",
    "load_plots",
    "nice_ticks",
    "read_json",
    "redact_conformance",
    "render_html",
    "render_load_html",
    "write_all",
    "write_html",
    "write_json",
]

JSON_NAME = "conformance.json"
HTML_NAME = "conformance.html"

_VERDICTS = {
    0: "conforms",
    1: "contract violated",
    2: "interrupted",
    3: "harness error",
    4: "usage error",
    5: "no test ran",
}
# Closed vocabularies: a secret that happens to spell "passed" must not turn the report into an invalid one.
_NOT_REDACTED = frozenset({"outcome"})


def _redact_tree(value: object, secrets: tuple[str, ...]) -> object:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redact_tree(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: item if key in _NOT_REDACTED else _redact_tree(item, secrets) for key, item in value.items()}
    return value


def redact_conformance(conformance: Conformance, secrets: Iterable[str] = ()) -> Conformance:
    """A copy of the report in which every free-text string has been passed through ``redact``."""
    return Conformance.from_dict(_redact_tree(conformance.to_dict(), tuple(secrets)))


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("h2oharness", "report/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["counted"] = _counted  # "1 user", "2 users": the templates say counts as the lines do
    return env


def _counted(value: object, singular: str, plural: str | None = None) -> str:
    """``counted`` for a template, whose count may be missing from an older report (said as it is, then)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return counted(value, singular, plural)
    return f"{value} {plural or singular + 's'}"


def render_html(conformance: Conformance, secrets: Iterable[str] = (), load: LoadSummary | None = None) -> str:
    """The HTML page for a report, as text (redacted); with ``load``, a section for that load run too."""
    secrets = tuple(secrets)
    report = redact_conformance(conformance, secrets)
    verdict = _VERDICTS.get(report.exit_code, f"exit code {report.exit_code}")
    html = (
        _environment()
        .get_template("conformance.html.j2")
        .render(
            report=report, page=page_view(report), verdict=verdict, load=load, plots=load_plots(load) if load else []
        )
    )
    return redact(html, secrets)


_COLORS = ("#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bc4c00")


@dataclass(frozen=True)
class _Line:
    label: str
    color: str
    points: str
    label_y: int
    #: a marker on each second, so a series of one point still shows
    dots: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class _Tick:
    at: float  # pixels along the axis
    label: str


@dataclass(frozen=True)
class Plot:
    title: str
    lines: tuple[_Line, ...]
    x_label: str
    y_label: str
    x_ticks: tuple[_Tick, ...]
    y_ticks: tuple[_Tick, ...]
    width: int
    height: int
    #: the drawing area inside the axes, in pixels
    left: int
    top: int
    right: int
    bottom: int
    #: what a point is, under the plot (empty: the per-second latency plot's own caption)
    caption: str = ""

    @property
    def middle(self) -> tuple[float, float]:
        """The centre of the drawing area, where the axis titles go."""
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


def nice_ticks(high: float, most: int = 6) -> list[float]:
    """Round tick values from 0 to at least ``high``: a step of 1, 2 or 5 times a power of ten, at most ``most``.

    Example:
        >>> nice_ticks(37)
        [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    if not math.isfinite(high) or high <= 0:
        return [0.0, 1.0]
    raw = high / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    count = math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _tick_label(value: float) -> str:
    return f"{value:g}"


def xy_plot(
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    x_label: str,
    y_label: str,
    caption: str,
    width: int = 800,
    height: int = 260,
) -> Plot | None:
    """A line plot of ``series`` ({label: [(x, y)]}, points sorted by x), axes from 0; None when nothing to draw."""
    drawn = {label: sorted(points) for label, points in series.items() if points}
    if not drawn:
        return None
    left, top, right, bottom = 64, 12 + 16 * len(drawn), width - 16, height - 44
    x_ticks = nice_ticks(max(x for points in drawn.values() for x, _ in points) or 1.0)
    y_ticks = nice_ticks(max(y for points in drawn.values() for _, y in points) or 1.0)
    x_max, y_max = x_ticks[-1], y_ticks[-1]

    def px(value: float) -> float:
        return round(left + value / x_max * (right - left), 1)

    def py(value: float) -> float:
        return round(bottom - value / y_max * (bottom - top), 1)

    lines = []
    for i, (label, points) in enumerate(drawn.items()):
        dots = tuple((px(x), py(y)) for x, y in points)
        coords = " ".join(f"{dx:.1f},{dy:.1f}" for dx, dy in dots)
        lines.append(_Line(label, _COLORS[i % len(_COLORS)], coords, 14 + 16 * i, dots))
    return Plot(
        title,
        tuple(lines),
        x_label,
        y_label,
        tuple(_Tick(px(t), _tick_label(t)) for t in x_ticks),
        tuple(_Tick(py(v), _tick_label(v)) for v in y_ticks),
        width,
        height,
        left,
        top,
        right,
        bottom,
        caption,
    )


def load_plots(load: LoadSummary, width: int = 800, height: int = 260) -> list[Plot]:
    """The latency of each plotted entry over the run: mean milliseconds of each second's requests (Python scales).

    Only entries that measure time are drawn (a job's "submitted" marker or "polls per job" count is not a
    latency), and only seconds that saw requests: an interval without any is a gap, not a 0.
    """
    series = {
        key: [(p.t, p.mean) for p in points if p.count > 0]
        for key, points in sorted(load.series.items())
        if is_latency(key) and any(p.count > 0 and p.mean > 0 for p in points)
    }
    plot = xy_plot("Mean latency per second", series, "time (s)", "latency (ms)", "", width, height)
    return [plot] if plot else []


def render_load_html(load: LoadSummary, secrets: Iterable[str] = ()) -> str:
    """The standalone ``load.html`` page of a load run (redacted)."""
    from h2oharness.report.capacityview import capacity_plots

    html = (
        _environment()
        .get_template("load.html.j2")
        .render(load=load, plots=load_plots(load), capacity_plots=capacity_plots(load))
    )
    return redact(html, tuple(secrets))


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a CI job that dies mid-write never leaves a half report behind.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def write_json(conformance: Conformance, path: str | os.PathLike[str], secrets: Iterable[str] = ()) -> Path:
    """Write the report's ``to_dict()`` layout as indented UTF-8 JSON (redacted); returns the path."""
    return _write_text(Path(path), redact_conformance(conformance, secrets).to_json())


def write_html(conformance: Conformance, path: str | os.PathLike[str], secrets: Iterable[str] = ()) -> Path:
    """Write the report as a single self-contained HTML page (redacted); returns the path."""
    return _write_text(Path(path), render_html(conformance, secrets))


def write_all(
    conformance: Conformance, report_dir: str | os.PathLike[str], secrets: Iterable[str] = ()
) -> tuple[Path, Path]:
    """Write ``conformance.json`` and ``conformance.html`` into ``report_dir``, creating it; returns both paths."""
    secrets = tuple(secrets)
    directory = Path(report_dir)
    return (
        write_json(conformance, directory / JSON_NAME, secrets),
        write_html(conformance, directory / HTML_NAME, secrets),
    )


def read_json(path: str | os.PathLike[str]) -> Conformance:
    """Read a ``conformance.json``; ConfigError with a one-line message if it is missing or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read report {os.fspath(path)}: {exc}") from None
    return Conformance.from_json(text, source=os.fspath(path))
