"""Any contract operation no hand-written handler answers: the shared generic resources, as RpcStatus speaks.

Today every operation of the contract has its own handler; this is what answers one the client adds before the
mock learns it (its documented answer at its smallest, validated input, NOT_FOUND for unknown parents).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from h2oharness.apis.workflows.mockparts.handlers import Call
from h2oharness.apis.workflows.mockparts.state import WorkflowsMockState
from h2oharness.apis.workflows.mockparts.wire import JSONDict, RpcError
from h2oharness.mocks.resources import GenericCall, Operation, Resources, Rules, Surface
from h2oharness.openapi import contract_document

Handler = Callable[[WorkflowsMockState, Call], JSONDict]
#: HTTP status -> the gRPC code grpc-gateway maps to it
CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 422: 3}


@functools.cache
def surface() -> Surface:
    """The contract's operations, classified once per process."""
    return Surface(contract_document("workflows"), Rules(id_field="name"))


def resources(state: WorkflowsMockState) -> Resources:
    """The state's generic objects (made on first use)."""
    with state.lock:
        if state.generic is None:
            state.generic = Resources(surface(), jobs=state.board)
        held: Resources = state.generic
        return held


def handler(operation: Operation) -> Handler:
    """The handler of one generic operation."""

    def handle(state: WorkflowsMockState, call: Call) -> JSONDict:
        reply = resources(state).answer(GenericCall(operation, call.params, call.query, call.body))
        if reply.error:
            raise RpcError(CODES.get(reply.status, 3), reply.error, reply.status)
        return reply.body if isinstance(reply.body, dict) else {}

    return handle


def routes(hand_written: set[tuple[str, str]]) -> list[tuple[str, str, Handler]]:
    """A route for every /v1 contract operation the hand-written handlers do not take."""
    return [
        (op.method, op.template, handler(op))
        for op in surface().operations
        if op.template.startswith("/v1/") and (op.method, op.template) not in hand_written
    ]
