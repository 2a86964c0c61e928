"""Name a request by the contract operation it calls, so statistics group ``/3/Jobs/$abc`` as ``/3/Jobs/{job_id}``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

_PATH_LINE = re.compile(r"""^  (?:\? )?['"]?(/[^'"]*?)['"]?(?::)?\s*$""")
_METHOD_LINE = re.compile(r"^(?:    |  : )(get|put|post|delete|options|head|patch|trace):(\s.*)?$")


def contract_operations(document: Path) -> list[tuple[str, str]]:
    """(METHOD, path template) of a contract, read off its ``paths`` block without parsing the whole YAML.

    Loading the H2O-3 contract takes over a second; a Locust process only needs its operation names.
    """
    found: list[tuple[str, str]] = []
    in_paths, current = False, None
    # a byte that is not UTF-8 (a damaged file) spoils its line alone: the rest still names its operations
    for line in document.read_text(errors="replace").splitlines() if document.is_file() else []:
        if not line.startswith(" "):
            in_paths = line.rstrip() == "paths:"
            continue
        if not in_paths:
            continue
        if match := _PATH_LINE.match(line):
            current = match.group(1)
        elif current and (match := _METHOD_LINE.match(line)):
            found.append((match.group(1).upper(), current))
    return found


@functools.lru_cache(maxsize=8)
def operation_namer(document: Path) -> Callable[[str, str], str]:
    """A function naming a request by its contract path ("/3/Jobs/{job_id}"; Locust shows the method), else its path."""
    patterns: list[tuple[int, str, re.Pattern[str], str]] = []
    for method, template in contract_operations(document):
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        patterns.append((-literal, method, re.compile(regex), template))
    patterns.sort(key=lambda p: p[0])  # the most literal template wins: /3/Frames/{id}/summary over /3/Frames/{id}

    def name(method: str, path: str) -> str:
        for _, m, regex, template in patterns:
            if m == method and regex.match(path):
                return template
        return path

    return name


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def documented_operations(document: Path, fast: bool = True) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of an OpenAPI document; empty when the file is missing. ``fast``: with
    libyaml's parser where it is installed (PyYAML's own reads some documents libyaml stops on, a deep one)."""
    import yaml

    if not document.is_file():
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast else yaml.SafeLoader
    doc = yaml.load(document.read_text(), Loader=loader)  # noqa: S506 - a safe loader, C or Python
    paths = doc.get("paths", {}) if isinstance(doc, dict) else {}
    return [(m.upper(), p) for p, item in paths.items() for m in item if m in _HTTP_METHODS]
