"""A negative case that takes the credentials away, or spoils them, is sent as drawn and judged on what was sent.

The contract tests and the flows send every case through the sweep with a requests session that carries the
target's credentials (the ``<slug>_session`` fixture). Schemathesis merges a session's headers into each request
above the case's own, and takes them out again only when a case's one mutation removed a header: a stateful or
fuzzing case that also mutated the query (``parameter_location`` None), or that gave ``Authorization`` an invalid
value, went out with the valid key, was answered 204, and ``negative_data_rejection`` (ST201) failed on a valid
request. The cases here are hand-built, so the outcome does not depend on a draw.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.mutations import Mutation, MutationChannel, OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import (
    CaseMetadata,
    ComponentInfo,
    GenerationInfo,
    PhaseInfo,
    StatefulPhaseData,
    TestPhase,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from h2oharness.mocks.serve import serve
from h2oharness.stateful import linked_flow
from h2oharness.sweep import Sweep, SweepGuard
from h2oharness.targets import Credentials, Target

KEY = "sk-the-real-key"
BASIC = "Basic " + base64.b64encode(b"user:secret").decode()

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "things", "version": "1"},
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": {"type": "object"}},
    },
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                        "links": {
                            "Delete": {"operationId": "deleteThing", "parameters": {"thing_id": "$response.body#/id"}}
                        },
                    }
                },
            }
        },
        "/things/{thing_id}": {
            "delete": {
                "operationId": "deleteThing",
                "parameters": [
                    {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "timeout", "in": "query", "required": False, "schema": {"type": "number"}},
                ],
                "responses": {
                    "204": {"description": "gone"},
                    "401": {
                        "description": "no key",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        },
    },
}


class _Node:
    def __init__(self) -> None:
        self.user_properties: list[tuple[str, object]] = []
        self.stash = pytest.Stash()


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """A server that records each request's URL and Authorization; 204 with a valid key, 401 without."""
    seen: list[tuple[str, str | None]] = []

    async def delete(request: Request) -> Response:
        auth = request.headers.get("authorization")
        seen.append((str(request.url.query), auth))
        if auth not in (f"Bearer {KEY}", BASIC):
            return JSONResponse({"error": "missing or invalid API key"}, status_code=401)
        return Response(status_code=204)

    with serve(Starlette(routes=[Route("/things/{thing_id}", delete, methods=["DELETE"])])) as served:
        yield served.url, seen


def _mutation(location: ParameterLocation, keyword: str, parameter: str | None = None) -> Mutation:
    return Mutation(
        path=(),
        parameter_location=location,
        schema_pointer="",
        channel=MutationChannel.SCHEMA,
        operator=OperatorKind.NEGATE_CONSTRAINTS,
        keywords=(keyword,),
        parameter=parameter,
        original_value=[parameter] if keyword == "required" else None,
        new_value=None,
    )


def _negative(*mutations: Mutation) -> CaseMetadata:
    """Metadata of a stateful negative case with these mutations (several locations: ``parameter_location`` None)."""
    locations = {m.parameter_location for m in mutations}
    single = next(iter(locations)) if len(locations) == 1 else None
    data = StatefulPhaseData(
        description="hand-built",
        parameter=mutations[0].parameter if len(mutations) == 1 else None,
        parameter_location=single,
        location=None,
        mutations=mutations,
    )
    return CaseMetadata(
        generation=GenerationInfo(time=0.0, mode=GenerationMode.NEGATIVE),
        components={location: ComponentInfo(mode=GenerationMode.NEGATIVE) for location in locations},
        phase=PhaseInfo(name=TestPhase.STATEFUL, data=data),
    )


#: the h2oGPTe flow's draw: an extra query parameter named "" whose value is [], and no Authorization
EXTRA_QUERY_AND_NO_KEY = (
    _mutation(ParameterLocation.QUERY, "additionalProperties"),
    _mutation(ParameterLocation.HEADER, "required", "Authorization"),
)


def _case(query: dict[str, Any], headers: dict[str, Any], meta: CaseMetadata | None) -> Any:
    operation = schemathesis.openapi.from_dict(DOCUMENT)["/things/{thing_id}"]["DELETE"]
    return operation.Case(path_parameters={"thing_id": "t1"}, query=query, headers=headers, _meta=meta)


def _session(credentials: Credentials) -> requests.Session:
    """What the ``<slug>_session`` fixture makes of a target's credentials."""
    session = requests.Session()
    auth = credentials.httpx_auth()
    if auth:
        session.auth = auth
    session.headers.update(credentials.headers())
    return session


def _judged(case: Any, response: Any) -> list[str]:
    try:
        case.validate_response(response)
    except FailureGroup as group:
        return [type(failure).__name__ for failure in group.exceptions]
    return []


def test_a_case_that_removed_the_key_and_added_a_query_parameter_goes_without_the_key_and_passes(
    recorded: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = recorded
    seen.clear()
    target = Target("mock", url, Credentials(token=KEY))
    session = _session(target.credentials)
    case = _case({"timeout": 1.5, "": []}, {}, _negative(*EXTRA_QUERY_AND_NO_KEY))
    guard = SweepGuard(Sweep(), _Node(), "/", "things")  # type: ignore[arg-type]
    response = guard.call(case, target, session=session, timeout=10)
    # the extra parameter's value [] has no wire form (requests sends no pair for an empty list): only timeout
    # goes; the Authorization header the case removed stays away, so the server refuses and ST201 is satisfied
    assert seen == [("timeout=1.5", None)]
    assert response.status_code == 401
    assert _judged(case, response) == []
    # the session keeps its key for the next case
    assert session.headers["Authorization"] == f"Bearer {KEY}"


def test_a_removed_key_stays_away_on_the_flow_path_and_with_basic_credentials_too(
    recorded: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = recorded
    seen.clear()
    target = Target("mock", url, Credentials(username="user", password="secret"))
    session = _session(target.credentials)
    case = _case({"timeout": 1.5, "": "x"}, {}, _negative(*EXTRA_QUERY_AND_NO_KEY))
    machine = linked_flow(schemathesis.openapi.from_dict(DOCUMENT), target, session, None, [])()
    # without a sweep, the flow sends through schemathesis with its own call kwargs (the session among them)
    response = machine.call(case, **machine.get_call_kwargs(case))
    assert seen == [("timeout=1.5&=x", None)]
    assert response.status_code == 401
    assert _judged(case, response) == []
    assert session.auth == ("user", "secret")


def test_an_invalid_key_the_case_drew_is_sent_instead_of_the_sessions(
    recorded: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = recorded
    seen.clear()
    target = Target("mock", url, Credentials(token=KEY))
    spoiled = _negative(
        _mutation(ParameterLocation.QUERY, "type", "timeout"),
        _mutation(ParameterLocation.HEADER, "format", "Authorization"),
    )
    case = _case({"timeout": "soon"}, {"Authorization": "oo"}, spoiled)
    guard = SweepGuard(Sweep(), _Node(), "/", "things")  # type: ignore[arg-type]
    response = guard.call(case, target, session=_session(target.credentials), timeout=10)
    assert seen == [("timeout=soon", "oo")]
    assert response.status_code == 401


def test_positive_cases_and_negative_ones_that_leave_the_key_alone_carry_the_sessions_key(
    recorded: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = recorded
    seen.clear()
    target = Target("mock", url, Credentials(token=KEY))
    session = _session(target.credentials)
    guard = SweepGuard(Sweep(), _Node(), "/", "things")  # type: ignore[arg-type]
    assert guard.call(_case({"timeout": 1.5}, {}, None), target, session=session, timeout=10).status_code == 204
    query_only = _negative(_mutation(ParameterLocation.QUERY, "type", "timeout"))
    guard.call(_case({"timeout": "soon"}, {}, query_only), target, session=session, timeout=10)
    assert seen == [("timeout=1.5", f"Bearer {KEY}"), ("timeout=soon", f"Bearer {KEY}")]
