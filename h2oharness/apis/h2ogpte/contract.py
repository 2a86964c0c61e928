"""h2oGPTe's contract plan: every operation, and a flow from a collection to a completion's meta and references."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from h2oharness.contractplan import BeforeCall, ContractPlan, FlowContext, FlowPlan

# The links of the seed 003 flow: collection -> RAG session -> completion -> message -> meta/references -> delete.
FLOW = frozenset({
    ("POST", "/api/v1/collections"),
    ("DELETE", "/api/v1/collections/{collection_id}"),
    ("POST", "/api/v1/chats"),
    ("DELETE", "/api/v1/chats/{session_id}"),
    ("POST", "/api/v1/chats/{session_id}/completions"),
    ("GET", "/api/v1/messages/{message_id}/meta"),
    ("GET", "/api/v1/messages/{message_id}/references"),
})  # fmt: skip
DEEP = frozenset({
    "GET /api/v1/messages/{message_id}/meta -> 200",
    "GET /api/v1/messages/{message_id}/references -> 200",
})  # fmt: skip


def _before_call(case: Any) -> None:
    # a JSON answer carries the message_id the links follow; a JSONL stream has it only on its last line
    if case.operation.path.endswith("/completions") and isinstance(case.body, dict):
        case.body = {**case.body, "stream": False}


@contextmanager
def _flow_start(context: FlowContext) -> Iterator[BeforeCall]:
    yield _before_call


def _flow_check(steps: list[str]) -> None:
    reached = {step for step in steps if step.endswith("-> 200")}
    assert reached & DEEP, f"no sequence reached a completion's meta or references: {sorted(set(steps))}"


PLAN = ContractPlan(
    flow=FlowPlan(
        operations=FLOW, prune_links=True, fresh_mock=True, min_examples=60, start=_flow_start, check=_flow_check
    )
)
