"""Where the harness writes: folders made on demand, files written, one-line errors naming the option."""

from __future__ import annotations

from pathlib import Path

from h2oharness.errors import ConfigError


def output_dir(path: Path, option: str) -> Path:
    """``path`` made with its parents, resolved; ConfigError naming ``option`` when it cannot be (a file, no rights)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot make that folder ({exc.strerror})") from None
    return path.resolve()


def write_output(path: Path, text: str, option: str) -> None:
    """Write ``text`` to ``path`` (its folder made); ConfigError naming ``option`` when it cannot be written."""
    output_dir(path.parent, option)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write it ({exc.strerror})") from None
