"""Payload builders produce what the seed sends and what the contract accepts."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
from hypothesis import given, settings

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.mockparts.schemas import REQUEST_SCHEMAS
from h2oharness.apis.h2ogpte.mockparts.wire import to_json_schema


def _valid(name: str, value: object) -> bool:
    return jsonschema.Draft7Validator(to_json_schema(REQUEST_SCHEMAS[name])).is_valid(value)


def test_bodies_match_the_request_schemas() -> None:
    assert _valid("ChatCompletionRequest", payloads.agent_completion())
    assert _valid("ChatCompletionRequest", payloads.rag_completion("q", rag_type="rlm_rag"))
    assert _valid("MemoryBlockCreateRequest", payloads.memory_block("n"))
    assert not _valid("MemoryBlockCreateRequest", {**payloads.memory_block("n"), "injection_mode": "nowhere"})


def test_seed_csv_and_zip() -> None:
    assert payloads.SALES_CSV.splitlines()[0] == "product,category,revenue,units_sold,month"
    with zipfile.ZipFile(io.BytesIO(payloads.tool_zip(("a", "b")))) as archive:
        assert sorted(archive.namelist()) == ["a/main.py", "b/main.py"]
    config = json.loads(payloads.remote_mcp_args("x", "y")["mcp_config_json"])
    assert set(config["mcpServers"]) == {"x", "y"}


@settings(max_examples=25, deadline=None, database=None)
@given(payloads.completion_messages())
def test_generated_messages_make_valid_completions(message: str) -> None:
    assert message
    assert _valid("ChatCompletionRequest", payloads.agent_completion(message))
