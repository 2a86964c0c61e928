"""The mock's request table and the contract's hand-kept part agree: same operations, parameters and request schemas."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from h2oharness.apis.h2ogpte.mock import HANDLERS
from h2oharness.apis.h2ogpte.mockparts.schemas import FORM_SCHEMAS, OPERATIONS, REQUEST_SCHEMAS

CONTRACT_DIR = Path(__file__).parents[3] / "contracts" / "h2ogpte"
CONTRACT = yaml.safe_load((CONTRACT_DIR / "kept.yaml").read_text())


def test_the_kept_part_documents_exactly_the_mocks_documented_operations() -> None:
    documented = {(m.upper(), p) for p, item in CONTRACT["paths"].items() for m in item}
    assert documented == {(op.method, op.path) for op in OPERATIONS if op.documented}
    # the 63 of seeds 003 and 004, GET /openai_api/v1/models/{model}, and the high-level client's /rpc/meta and
    # PUT/GET/DELETE /rpc/fs
    assert len(documented) == 68


def test_every_operation_has_a_handler() -> None:
    declared = {op.operation_id for op in OPERATIONS}
    assert declared <= set(HANDLERS)
    # the other handlers answer operations of the whole contract the table lacks (mock._generic_targets): none is
    # left unreachable by a name the contract does not have
    whole = yaml.safe_load((CONTRACT_DIR / "openapi.yaml").read_text())
    ids = {op["operationId"] for item in whole["paths"].values() for op in item.values() if "operationId" in op}
    assert set(HANDLERS) - declared <= ids


def test_parameters_and_bodies_match_the_contract() -> None:
    for op in OPERATIONS:
        if not op.documented:
            continue
        operation = CONTRACT["paths"][op.path][op.method.lower()]
        assert operation["operationId"] == op.operation_id
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {p.name: (p.schema, p.required) for p in op.query} == {
            n: (p["schema"], p["required"]) for n, p in params.items()
        }, op.operation_id
        path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert path_params == re.findall(r"\{(\w+)\}", op.path)
        content = operation.get("requestBody", {}).get("content", {})
        if op.body:
            assert content["application/json"]["schema"]["$ref"].endswith("/" + op.body)
        if op.form:
            assert content["multipart/form-data"]["schema"]["$ref"].endswith("/" + op.form)
        assert bool(content) == bool(op.body or op.form)
        security = operation.get("security")
        assert (security == []) == (not op.auth)


def test_request_schemas_are_the_mocks() -> None:
    schemas = CONTRACT["components"]["schemas"]
    for name, schema in {**REQUEST_SCHEMAS, **FORM_SCHEMAS}.items():
        assert schemas[name] == schema, name


def test_the_contract_states_the_intervals_the_mock_takes() -> None:
    # the contract said "30 days" only, while the mock (and the tests) took "1d": a key made to expire in "1d" was a 400
    from h2oharness.apis.h2ogpte.mockparts.wire import INTERVAL_PATTERN, interval

    whole = yaml.safe_load((CONTRACT_DIR / "openapi.yaml").read_text())
    schemas = whole["components"]["schemas"]
    for model in ("APIKeyCreateRequest", "APIKeyUpdateExpiryRequest"):
        assert schemas[model]["properties"]["expires_in"]["pattern"] == INTERVAL_PATTERN
    # every query parameter named interval (stats, feedback, guardrail violations) is such an interval
    intervals = {
        op["operationId"]: param["schema"].get("pattern")
        for item in whole["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
        for param in op.get("parameters", [])
        if param["name"] == "interval" and param["in"] == "query"
    }
    assert "list_guardrail_violations" in intervals
    assert {name: pattern for name, pattern in intervals.items() if pattern != INTERVAL_PATTERN} == {}
    for text in ("1d", "30 days", "2 hrs", "999 years", "1 h"):
        assert re.fullmatch(INTERVAL_PATTERN, text)
        assert interval(text).total_seconds() > 0
