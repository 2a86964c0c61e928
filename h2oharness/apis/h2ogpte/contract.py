"""h2oGPTe's contract plan: every operation, and a flow from a collection to a completion's meta and references."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.schemas import OPERATIONS
from h2oharness.contractplan import BeforeCall, CaseFeed, ContractPlan, FlowContext, FlowPlan

# the contract's hand-kept part (seeds 003/004 and /rpc): the default run; the client's other 328 operations run
# with --harness-all-operations, so a default run stays the seeds' size
KEPT = frozenset((op.method, op.path) for op in OPERATIONS if op.documented)

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


def _id_feed() -> CaseFeed:
    from h2oharness.apis.h2ogpte.feed import IdFeed

    return IdFeed()


def in_default_scope(method: str, path: str) -> bool:
    """Whether an operation is contract-tested without ``--harness-all-operations``: the hand-kept part's."""
    return (method.upper(), path) in KEPT


PLAN = ContractPlan(
    default_scope=in_default_scope,
    feed=_id_feed,
    flow=FlowPlan(
        operations=FLOW,
        prune_links=True,
        fresh_mock=True,
        # the flow's draw no longer depends on what ran before it (h2oharness.stateful.pinned_constants). 80
        # sequences reached a completion's meta only through a negative case that removed Authorization and was
        # sent with the key anyway; sent as drawn (h2oharness.http.asdrawn) it is refused, and 120 are needed
        min_examples=120,
        start=_flow_start,
        check=_flow_check,
    ),
)
