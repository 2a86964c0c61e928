"""The registry of APIs under test: adding an API is one folder and one line here.

Every API folder has the same pieces: ``mock.py`` (``make_app(state=None)`` and
``default_state(speed=1.0, clock=None)``, whose state answers ``client_credentials()``),
``client.py``, ``payloads.py`` and ``contract.py`` (its ``PLAN`` for the contract driver);
``contracts/<slug>/`` holds its OpenAPI document and contract tests,
``scenarios/test_<slug>_*.py`` its end-to-end flows (tests/apis/test_layout.py checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from h2oharness.apis.coreplexml.contract import PLAN as COREPLEXML_PLAN
from h2oharness.apis.h2o3 import local as h2o3_local
from h2oharness.apis.h2o3.contract import PLAN as H2O3_PLAN
from h2oharness.apis.h2ogpte.contract import PLAN as H2OGPTE_PLAN
from h2oharness.apis.workflows.client import token_from_environment
from h2oharness.apis.workflows.contract import PLAN as WORKFLOWS_PLAN
from h2oharness.contractplan import ContractPlan
from h2oharness.errors import UnknownAPI

if TYPE_CHECKING:
    from h2oharness.targets import LocalServer


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
    #: what the contract driver needs to know of this API (scope, skips, real keys, the stateful flow)
    plan: ContractPlan = field(default_factory=ContractPlan)
    #: starts a real server of this API on loopback, for the ``local`` target
    local: Callable[[], LocalServer] | None = None
    #: raises, with the reason, when no local server can be started (no Java, no jar); checked before a run
    local_preflight: Callable[[], None] | None = None
    #: a bearer token for a live target from the environment (a login), or None when not configured; it calls
    #: its argument (when given) with each URL before contacting it, which may refuse by raising
    login: Callable[[Callable[[str], None] | None], str | None] | None = None
    #: what its servers are called, with their version after it ("H2O-3 3.46.0.12"); default: the title
    product: str = ""

    @property
    def server_name(self) -> str:
        """The name of this API's server, as a report's reason says it ("found on H2O-3 3.46.0.12")."""
        return self.product or self.title

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
        plan=H2O3_PLAN,
        local=h2o3_local.start_local_h2o3,
        local_preflight=h2o3_local.preflight,
        product="H2O-3",
    ),
    "coreplexml": ApiInfo(
        "coreplexml",
        "CorePlexML Experiments",
        "COREPLEXML",
        "bearer",
        ("002_cb37d3b791997043.txt",),
        health_path="/api/experiments?limit=1",
        plan=COREPLEXML_PLAN,
        product="CorePlexML",
    ),
    "workflows": ApiInfo(
        "workflows",
        "H2O Workflows",
        "WORKFLOWS",
        "bearer",
        ("001_43eceb0886c4a690.txt",),
        health_path="/v1/workspaces/default/workflows?pageSize=1",
        plan=WORKFLOWS_PLAN,
        login=token_from_environment,
        product="H2O Workflows",
    ),
    "h2ogpte": ApiInfo(
        "h2ogpte",
        "h2oGPTe REST",
        "H2OGPTE",
        "bearer",
        ("003_964e27c154906f81.txt", "004_6c764ce58db4db8f.txt"),
        health_path="/rpc/meta",
        plan=H2OGPTE_PLAN,
        product="h2oGPTe",
    ),
}


def get_api(slug: str) -> ApiInfo:
    """The registered API called ``slug``; UnknownAPI names the known ones otherwise."""
    try:
        return APIS[slug]
    except KeyError:
        raise UnknownAPI(f"unknown API {slug!r}; known APIs: {', '.join(sorted(APIS))}") from None
