"""The registry of APIs under test: adding an API is one folder and one line here.

Every API folder has the same pieces: ``mock.py`` (``make_app(state=None)`` and
``default_state(speed=1.0)``, whose state answers ``client_credentials()``),
``client.py`` and ``payloads.py``; ``contracts/<slug>/`` holds its OpenAPI document
and contract tests, ``scenarios/test_<slug>_*.py`` its end-to-end flows.
"""

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
    #: a path that answers JSON and, on a server that enforces auth, needs the credentials: probed before a live run
    health_path: str
    #: "module:function" that starts a real server of this API on loopback, for the ``local`` target; the module may
    #: define ``preflight()``, which raises with the reason when no server can be started (checked by the CLI)
    local: str | None = None
    #: "module:function" returning a bearer token for a live target from the environment (a login), or None
    login: str | None = None

    @property
    def module(self) -> str:
        """Dotted name of the API's folder in the package."""
        return f"h2oharness.apis.{self.slug}"

    @property
    def kinds(self) -> tuple[str, ...]:
        """The target kinds this API can be tested on."""
        return ("mock", "local", "live") if self.local else ("mock", "live")

    @property
    def contract(self) -> str:
        """Path of the OpenAPI document, relative to the repository root."""
        return f"contracts/{self.slug}/openapi.yaml"


APIS: dict[str, ApiInfo] = {
    "h2o3": ApiInfo(
        "h2o3",
        "H2O-3 REST",
        "H2O3",
        "basic",
        ("000_e1d9cd603d9ebb67.txt",),
        health_path="/3/Cloud",
        local="h2oharness.apis.h2o3.local:start_local_h2o3",
    ),
    "coreplexml": ApiInfo(
        "coreplexml",
        "CorePlexML Experiments",
        "COREPLEXML",
        "bearer",
        ("002_cb37d3b791997043.txt",),
        health_path="/api/experiments?limit=1",
    ),
    "workflows": ApiInfo(
        "workflows",
        "H2O Workflows",
        "WORKFLOWS",
        "bearer",
        ("001_43eceb0886c4a690.txt",),
        health_path="/v1/workspaces/default/workflows?pageSize=1",
        login="h2oharness.apis.workflows.client:token_from_environment",
    ),
    "h2ogpte": ApiInfo(
        "h2ogpte",
        "h2oGPTe REST",
        "H2OGPTE",
        "bearer",
        ("003_964e27c154906f81.txt", "004_6c764ce58db4db8f.txt"),
        health_path="/rpc/meta",
    ),
}


def get_api(slug: str) -> ApiInfo:
    """The registered API called ``slug``; UnknownAPI names the known ones otherwise."""
    try:
        return APIS[slug]
    except KeyError:
        raise UnknownAPI(f"unknown API {slug!r}; known APIs: {', '.join(sorted(APIS))}") from None
