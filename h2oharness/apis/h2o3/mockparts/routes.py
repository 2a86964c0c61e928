"""The real server's route table as path templates: which methods it documents for a path.

Built once from the committed ``/3/Metadata/endpoints`` snapshot (all of its
routes, not only those the mock implements), which is also what
``contracts/h2o3/openapi.yaml`` is generated from. The mock uses it to tell an
undocumented path (404) from a documented path asked with a method it does not
have (405 with ``Allow``), and to answer ``OPTIONS``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.mocks.router import compile_template, literal_segments

# Allow lists methods in this order; anything else the metadata names comes after, alphabetically.
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class RouteTemplate:
    """One url_pattern of the metadata and the methods it is documented for."""

    pattern: str
    regex: re.Pattern[str]
    methods: tuple[str, ...]
    literal_segments: int

    @property
    def allow(self) -> str:
        """The value of an ``Allow`` header for this template."""
        return ", ".join(self.methods)


def _method_rank(method: str) -> tuple[int, str]:
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


@functools.cache
def templates() -> tuple[RouteTemplate, ...]:
    """Every url_pattern of the snapshot with its documented methods, in the snapshot's order."""
    methods: dict[str, set[str]] = {}
    for route in metadata.routes():
        methods.setdefault(route["url_pattern"], set()).add(str(route["http_method"]).upper())
    return tuple(
        RouteTemplate(
            pattern=pattern,
            regex=compile_template(pattern),
            methods=tuple(sorted(found, key=_method_rank)),
            literal_segments=literal_segments(pattern),
        )
        for pattern, found in methods.items()
    )


def matching(path: str) -> list[RouteTemplate]:
    """The templates a concrete path matches, the most specific (most literal segments) first."""
    found = [t for t in templates() if t.regex.fullmatch(path)]
    return sorted(found, key=lambda t: -t.literal_segments)


def resource(path: str) -> RouteTemplate | None:
    """The template that names a path's resource, or None when the metadata documents no such path.

    A literal route shadows a templated one: ``/3/ModelBuilders/gbm`` is the POST-only
    builder route, not ``/3/ModelBuilders/{algo}``, as the contract's path items see it.
    """
    found = matching(path)
    return found[0] if found else None


def routed(path: str, method: str) -> bool:
    """Whether any documented route takes ``method`` on ``path`` (H2O-3 routes by method, then by path)."""
    return any(method.upper() in t.methods for t in matching(path))
