"""Write a conformance report as JSON and as one self-contained HTML page, every string redacted first."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from h2oharness.errors import ConfigError
from h2oharness.http.redact import redact
from h2oharness.report.loadsummary import LoadSummary
from h2oharness.report.model import Conformance
from h2oharness.report.pageview import page_view

__all__ = [
    "HTML_NAME",
    "JSON_NAME",
    "load_plots",
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

_VERDICTS = {0: "conforms", 1: "contract violated", 3: "harness error"}
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
    return Environment(
        loader=PackageLoader("h2oharness", "report/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


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


_COLORS = ("#0969da", "#cf222e", "#1a7f37", "#9a6700")


@dataclass(frozen=True)
class _Line:
    label: str
    color: str
    points: str
    label_y: int


@dataclass(frozen=True)
class _Plot:
    title: str
    lines: tuple[_Line, ...]
    x_label: str
    y_label: str
    width: int = 800
    height: int = 220


def load_plots(load: LoadSummary, width: int = 800, height: int = 220) -> list[_Plot]:
    """SVG polylines of p95 latency per second for each series of a load run (computed here, drawn by templates)."""
    series = {k: pts for k, pts in load.series.items() if pts}
    if not series:
        return []
    t_max = max(p.t for pts in series.values() for p in pts) or 1.0
    y_max = max(p.p95 for pts in series.values() for p in pts) or 1.0
    lines = []
    for i, (key, pts) in enumerate(sorted(series.items())):
        coords = " ".join(
            f"{p.t / t_max * (width - 20) + 10:.1f},{height - 20 - p.p95 / y_max * (height - 40):.1f}" for p in pts
        )
        lines.append(_Line(f"p95 {key}", _COLORS[i % len(_COLORS)], coords, 16 + 14 * i))
    return [_Plot("p95 latency", tuple(lines), f"{t_max:.0f} s", f"{y_max:.0f} ms", width, height)]


def render_load_html(load: LoadSummary, secrets: Iterable[str] = ()) -> str:
    """The standalone ``load.html`` page of a load run (redacted)."""
    html = _environment().get_template("load.html.j2").render(load=load, plots=load_plots(load))
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
