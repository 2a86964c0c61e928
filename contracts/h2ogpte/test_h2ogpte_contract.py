"""Property-based contract tests of h2oGPTe against contracts/h2ogpte/openapi.yaml.

Each documented operation (all 63 of seeds 003 and 004) is one pytest item, run
against the chosen target: no server errors, documented status codes and content
types, bodies that match the schemas, bad input rejected, 401 without the key.
The stateful test follows the document's links from a real collection to a chat
answer's metadata and references.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from h2oharness.stateful import flow_settings, linked_flow
from h2oharness.targets import Target

SPEC = Path(os.environ.get("HARNESS_H2OGPTE_SPEC") or Path(__file__).with_name("openapi.yaml"))

# The links of the seed 003 flow: collection -> RAG session -> completion -> message -> meta/references -> delete.
FLOW = {
    ("POST", "/api/v1/collections"),
    ("DELETE", "/api/v1/collections/{collection_id}"),
    ("POST", "/api/v1/chats"),
    ("DELETE", "/api/v1/chats/{session_id}"),
    ("POST", "/api/v1/chats/{session_id}/completions"),
    ("GET", "/api/v1/messages/{message_id}/meta"),
    ("GET", "/api/v1/messages/{message_id}/references"),
}

schema = schemathesis.openapi.from_path(
    str(SPEC), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)
if os.environ.get("HARNESS_SEED"):
    schema.config.seed = int(os.environ["HARNESS_SEED"])


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("HARNESS_MAX_EXAMPLES", "10")),
    suppress_health_check=list(HealthCheck),
    deadline=None,
    database=None,
)
def test_h2ogpte_contract(
    case: schemathesis.Case,
    h2ogpte_target: Target,
    h2ogpte_session: Any,
    harness_known_findings: Any,
    harness_sweep: Any,
) -> None:
    """Every generated request gets a response that its operation documents."""
    response = harness_sweep.call(case, h2ogpte_target, session=h2ogpte_session, timeout=30)
    try:
        case.validate_response(response)
    except FailureGroup as group:
        harness_known_findings.absorb(group, h2ogpte_target, response=response)


def _flow_document() -> dict[str, Any]:
    """The document cut down to the flow's operations (and the links between them), so that the state machine's
    few steps go deep instead of wandering over 63 operations."""
    document = yaml.safe_load(SPEC.read_text())
    kept_ids = set()
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (method.upper(), path) in FLOW:
                paths.setdefault(path, {})[method] = operation
                kept_ids.add(operation["operationId"])
    for item in paths.values():
        for operation in item.values():
            for response in operation["responses"].values():
                links = response.get("links", {})
                for name in [n for n, link in links.items() if link["operationId"] not in kept_ids]:
                    del links[name]
    return {**document, "paths": paths}


_flow = schemathesis.openapi.from_dict(
    _flow_document(), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)


def test_h2ogpte_stateful_flow(
    h2ogpte_fresh_target: Target, h2ogpte_session: Any, harness_known_findings: Any, harness_sweep: Any
) -> None:
    """Sequences that follow the links: collection -> session -> completion -> meta / references -> delete."""
    h2ogpte_target = h2ogpte_fresh_target  # a mock of its own on the mock target
    steps: list[str] = []

    class Flow(linked_flow(_flow, h2ogpte_target, h2ogpte_session, harness_known_findings, steps, harness_sweep)):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # a JSON answer carries the message_id the links follow; a JSONL stream has it only on its last line
            if case.operation.path.endswith("/completions") and isinstance(case.body, dict):
                case.body = {**case.body, "stream": False}

    Flow.run(settings=flow_settings(60))
    reached = {step for step in steps if step.endswith("-> 200")}
    deep = {"GET /api/v1/messages/{message_id}/meta -> 200", "GET /api/v1/messages/{message_id}/references -> 200"}
    assert reached & deep, f"no sequence reached a completion's meta or references: {sorted(set(steps))}"
