"""The registry of APIs under test: adding an API is one folder and one line here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from h2oharness.errors import UnknownAPI


@dataclass(frozen=True)
class ApiInfo:
    """What the harness needs to know about one API: where its pieces live and how it authenticates."""

    slug: str
    title: str
    env_prefix: str
    auth: Literal["basic", "bearer"]
    seeds: tuple[str, ...]

    @property
    def module(self) -> str:
        """Dotted name of the API's folder in the package."""
        return f"h2oharness.apis.{self.slug}"

    @property
    def contract(self) -> str:
        """Path of the OpenAPI document, relative to the repository root."""
        return f"contracts/{self.slug}/openapi.yaml"


APIS: dict[str, ApiInfo] = {
    "h2o3": ApiInfo("h2o3", "H2O-3 REST", "H2O3", "basic", ("000_e1d9cd603d9ebb67.txt",)),
}


def get_api(slug: str) -> ApiInfo:
    """The registered API called ``slug``; UnknownAPI names the known ones otherwise."""
    try:
        return APIS[slug]
    except KeyError:
        raise UnknownAPI(f"unknown API {slug!r}; known APIs: {', '.join(sorted(APIS))}") from None
