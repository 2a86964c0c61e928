"""The shared state machine: it follows links on a small API, and sends every step through the sweep when given one."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from h2oharness.errors import NoAnswer
from h2oharness.mocks.faults import FaultableApp, FaultPlan, faulty, injection
from h2oharness.mocks.serve import serve
from h2oharness.pytest_plugin.contract import contract_tests
from h2oharness.stateful import _Unanswered, flow_settings, linked_flow, pinned_constants
from h2oharness.sweep import Sweep, SweepGuard
from h2oharness.targets import Target

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "things", "version": "1"},
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"id": {"type": "string"}},
                                    "required": ["id"],
                                }
                            }
                        },
                        "links": {
                            "GetThing": {"operationId": "getThing", "parameters": {"thing_id": "$response.body#/id"}}
                        },
                    }
                },
            }
        },
        "/things/{thing_id}": {
            "get": {
                "operationId": "getThing",
                "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "found", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "404": {"description": "missing"},
                },
            }
        },
    },
}


def _app() -> Starlette:
    things: set[str] = set()

    async def create(request: Request) -> JSONResponse:
        thing = f"t{len(things)}"
        things.add(thing)
        return JSONResponse({"id": thing}, status_code=201)

    async def get(request: Request) -> JSONResponse:
        thing = request.path_params["thing_id"]
        return JSONResponse({"id": thing}) if thing in things else JSONResponse({}, status_code=404)

    return Starlette(routes=[Route("/things", create, methods=["POST"]), Route("/things/{thing_id}", get)])


class _Known:
    def absorb(self, group: Any, *args: Any, **kwargs: Any) -> None:
        raise group


class _Tolerant:
    """Known findings that take every failure: a test about what a flow draws, not about the app's answers."""

    def absorb(self, group: Any, *args: Any, **kwargs: Any) -> None:
        return None


class _Sweep:
    """Stands in for ``harness_sweep``: records what it sends, sends it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.drawn: list[str] = []

    def call(self, case: Any, target: Target, session: Any = None, **kwargs: Any) -> Any:
        self.sent.append(f"{case.operation.method.upper()} {case.operation.path}")
        self.drawn.append(repr((self.sent[-1], case.path_parameters, case.query, case.headers, case.body)))
        return case.call(base_url=target.url, session=session, **kwargs)


def test_every_step_of_a_flow_goes_through_the_sweep_and_links_are_followed() -> None:
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    with serve(_app()) as served:
        target = Target("mock", served.url)
        steps: list[str] = []
        sweep = _Sweep()
        flow = linked_flow(schema, target, None, _Known(), steps, sweep)
        flow.run(settings=flow_settings(5, steps=4))
    assert steps
    assert [s.split(" -> ")[0] for s in steps] == sweep.sent
    assert "GET /things/{thing_id} -> 200" in steps  # the link carried a real id


def _resetting_app() -> Starlette:
    """Things are made, then every look at one resets the connection (the mock's ``reset``); ``/health`` answers."""
    made: list[str] = []

    async def create(request: Request) -> JSONResponse:
        made.append(f"t{len(made)}")
        return JSONResponse({"id": made[-1]}, status_code=201)

    async def get(request: Request) -> Any:
        return faulty(JSONResponse({}), injection(FaultPlan.from_data([]), "GET", request.url.path, "", "reset"))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    routes = [Route("/things", create, methods=["POST"]), Route("/things/{thing_id}", get), Route("/health", health)]
    return FaultableApp(routes=routes)


def test_a_flow_whose_request_gets_no_answer_fails_at_once_naming_it() -> None:
    # hypothesis shrinks a failing sequence, step by step; a request that got no answer fails every shrink step
    # alike, and that cost the Workflows flow 17 s under `reset` for nothing: no step runs after the first
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    tried: list[str] = []
    with serve(_resetting_app()) as served:
        target = Target("mock", served.url)
        guard = SweepGuard(Sweep(), SimpleNamespace(stash={}, user_properties=[]), "/health")  # type: ignore[arg-type]
        base = linked_flow(schema, target, None, _Known(), [], guard)
        flow: Any = type("Flow", (base,), {"before_call": lambda self, case: tried.append(case.operation.path)})
        with pytest.raises(NoAnswer, match=r"^GET /things/\{thing_id\}: no complete answer"):
            flow.run(settings=flow_settings(20, steps=4))
    assert tried.count("/things/{thing_id}") == 1
    assert tried[-1] == "/things/{thing_id}"


def _drawn(document: dict[str, Any]) -> list[str]:
    """Every request a derandomized flow over ``document`` sends to a fresh mock, as drawn."""
    with serve(_app()) as served:
        sweep = _Sweep()
        # the app accepts anything, so a negative case the draw holds is an ST201: beside the point here
        flow = linked_flow(
            schemathesis.openapi.from_dict(document), Target("mock", served.url), None, _Tolerant(), [], sweep
        )
        flow.run(settings=flow_settings(25, steps=4))
    return sweep.drawn


def test_a_flow_draws_the_same_whatever_was_imported_before(tmp_path: Path) -> None:
    # hypothesis draws, now and then, a literal from any local module imported so far: importing one more must
    # not change a flow's draw (in-process, `spec h2ogpte --from-client` once cost the h2oGPTe flow its deep step)
    document = {
        **DOCUMENT,
        "paths": {**DOCUMENT["paths"], "/things": {"post": {**DOCUMENT["paths"]["/things"]["post"]}}},
    }
    document["paths"]["/things"]["post"]["parameters"] = [
        {"name": "label", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "size", "in": "query", "schema": {"type": "integer"}},
    ]
    before = _drawn(document)
    with _one_more_local_module(tmp_path):
        after = _drawn(document)
    assert after == before


@contextmanager
def _one_more_local_module(folder: Path) -> Iterator[None]:
    """A module outside site-packages, full of literals hypothesis may draw from, is imported while inside."""
    module = "h2oharness_leak_constants"
    (folder / f"{module}.py").write_text("".join(f"C{i} = ({i * 7919}, 'constant-{i}')\n" for i in range(300)))
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(module)
        yield
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(module, None)


def test_pinned_constants_keep_a_seeded_draw_whatever_was_imported(tmp_path: Path) -> None:
    # what the contract tests' harness_pinned_constants fixture holds while schemathesis draws their cases
    def draw() -> list[tuple[str, int]]:
        seen: list[tuple[str, int]] = []

        @settings(max_examples=200, derandomize=True, database=None)
        @given(st.text(), st.integers())
        def record(text: str, number: int) -> None:
            seen.append((text, number))

        with pinned_constants():
            record()
        return seen

    before = draw()
    with _one_more_local_module(tmp_path):
        after = draw()
    assert after == before


def test_the_contract_driver_draws_with_pinned_constants() -> None:
    # one driver builds every API's contract test: the smallest document shows it
    contract, _ = contract_tests("coreplexml", Path(__file__).parents[1] / "contracts" / "coreplexml")
    used = {name for mark in contract.pytestmark if mark.name == "usefixtures" for name in mark.args}
    assert "harness_pinned_constants" in used


def test_a_request_unanswered_where_an_earlier_sequence_went_on_is_the_targets_no_answer() -> None:
    # seed 8675309, h2oGPTe's flow: a reset ended a sequence sooner than an earlier one with the same draws, and
    # hypothesis's bookkeeping said FlakyStrategyDefinition, reported as an internal error of the harness
    unanswered = NoAnswer("DELETE /things/{thing_id}: no complete answer (the target reset the connection)")

    class Drawn:
        @classmethod
        def run(cls, **kwargs: Any) -> None:
            try:
                raise _Unanswered(unanswered)
            except _Unanswered:
                raise FlakyStrategyDefinition("Inconsistent data generation!") from None

    flow = linked_flow(SimpleNamespace(as_state_machine=lambda: Drawn), Target("mock", "u"), None, _Known(), [])
    with pytest.raises(NoAnswer) as raised:
        flow.run()
    assert raised.value is unanswered
