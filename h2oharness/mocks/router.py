"""Routing over path templates: ``{name}`` segments to regular expressions, the most specific template first.

Example:
    router: Router[Handler] = Router([("GET", "/v1/things/{thing}", get_thing)], segment="[^/:]+")
    found = router.lookup("DELETE", "/v1/things/a")
    found.route is None and found.allow == ("GET",)     # a 405 with Allow: GET
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PARAM = re.compile(r"\{([^/{}]+)\}")


def compile_template(template: str, segment: str = "[^/]+") -> re.Pattern[str]:
    """A regular expression for a path template, one named group per ``{param}``, each matching ``segment``."""
    out, at = [], 0
    for param in PARAM.finditer(template):
        out += [re.escape(template[at : param.start()]), f"(?P<{param.group(1)}>{segment})"]
        at = param.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out))


def literal_segments(template: str) -> int:
    """How many segments of a template are not parameters: the more, the more specific the template."""
    return sum(1 for segment in template.split("/") if segment and not PARAM.fullmatch(segment))


@dataclass(frozen=True)
class Route(Generic[T]):
    """One method on one path template, and what answers it."""

    method: str
    template: str
    target: T
    regex: re.Pattern[str]
    #: the template's literal segments
    specificity: int


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """Where a request lands: its route and path parameters, or None and every route the path matches."""

    method: str
    path: str
    route: Route[T] | None
    params: dict[str, str]
    #: every route whose template matches the path, the most specific first
    matches: tuple[Route[T], ...]

    @property
    def allow(self) -> tuple[str, ...]:
        """The methods of the most specific templates matching the path, sorted (empty when none matches)."""
        if not self.matches:
            return ()
        best = self.matches[0].specificity
        return tuple(sorted({r.method for r in self.matches if r.specificity == best}))


class Router(Generic[T]):
    """Routes by method and path template; a literal template shadows a templated one of the same shape.

    ``routes`` are (method, template, target) triples, as if added one by one. ``segment`` is the regular
    expression one ``{param}`` matches (an API's own rule, e.g. no ``:`` in it).
    With ``by_resource``, the most specific template matching a path is its resource (with the templates of its
    shape) and only their methods are tried (``GET /things/search`` is a 405 when only ``POST /things/search``
    exists, not ``GET /things/{id}``); otherwise the most specific route of the request's method wins.
    """

    def __init__(
        self, routes: Iterable[tuple[str, str, T]] = (), *, segment: str = "[^/]+", by_resource: bool = False
    ) -> None:
        self.segment = segment
        self.by_resource = by_resource
        self._routes: list[Route[T]] = []
        for method, template, target in routes:
            self.add(method, template, target)

    @property
    def routes(self) -> tuple[Route[T], ...]:
        """Every route, the most specific first (in the order added among equals)."""
        return tuple(self._routes)

    def add(self, method: str, template: str, target: T, *, segment: str | None = None) -> Route[T]:
        """Register ``target`` for ``method`` on ``template``; ``segment`` replaces the router's own rule for its
        parameters (e.g. ``.+`` for a parameter that holds slashes)."""
        regex = compile_template(template, segment or self.segment)
        route = Route(method.upper(), template, target, regex, literal_segments(template))
        at = len(self._routes)
        while at > 0 and self._routes[at - 1].specificity < route.specificity:
            at -= 1
        self._routes.insert(at, route)
        return route

    def lookup(self, method: str, path: str) -> Lookup[T]:
        """The route ``method path`` lands on, with its parameters, and every route matching the path."""
        found = [(r, m) for r in self._routes if (m := r.regex.fullmatch(path))]
        matches = tuple(r for r, _ in found)
        if self.by_resource and found:
            # templates of one shape are one resource, whatever their parameters are called
            resource = PARAM.sub("{}", found[0][0].template)
            found = [(r, m) for r, m in found if PARAM.sub("{}", r.template) == resource]
        for route, match in found:
            if route.method == method:
                return Lookup(method, path, route, match.groupdict(), matches)
        return Lookup(method, path, None, {}, matches)
