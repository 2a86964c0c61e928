"""Arbitrary JSON bodies, queries and forms, and schemathesis's cases for every operation of the contract, never get
a 5xx from the mock nor trip an internal error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, make_app
from h2oharness.apis.h2ogpte.mockparts.schemas import OPERATIONS, Operation
from h2oharness.mocks.serve import serve
from h2oharness.settings import Settings

JSON_OPS = [op for op in OPERATIONS if op.body and op.auth]
QUERY_OPS = [op for op in OPERATIONS if op.query and op.auth]
FORM_OPS = [op for op in OPERATIONS if op.form]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
FUZZ = settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[httpx.Client, H2OGPTeMockState]]:
    """One mock for the module, with a keyed client."""
    state = H2OGPTeMockState()
    with (
        serve(make_app(state)) as srv,
        httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}, timeout=30) as client,
    ):
        yield client, state


def _path(op: Operation) -> str:
    return re.sub(r"\{\w+\}", "x", op.path)


def _ok(resp: httpx.Response, state: H2OGPTeMockState) -> None:
    assert resp.status_code < 500 or resp.json()["code"] == 500, resp.text
    assert state.internal_errors == []


@pytest.mark.parametrize("op", JSON_OPS, ids=[op.operation_id for op in JSON_OPS])
def test_json_bodies(served: tuple[httpx.Client, H2OGPTeMockState], op: Operation) -> None:
    client, state = served

    @FUZZ
    @given(body=json_values)
    def run(body: Any) -> None:
        _ok(client.request(op.method, _path(op), json=body), state)

    run()


def test_non_standard_json_constants_are_400(served: tuple[httpx.Client, H2OGPTeMockState]) -> None:
    client, state = served
    resp = client.post("/api/v1/memory_blocks", content=b'{"name": NaN}', headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert state.internal_errors == []


@pytest.mark.parametrize("op", QUERY_OPS, ids=[op.operation_id for op in QUERY_OPS])
def test_queries(served: tuple[httpx.Client, H2OGPTeMockState], op: Operation) -> None:
    client, state = served
    names = st.sampled_from([p.name for p in op.query] + ["bogus"])

    @FUZZ
    @given(params=st.lists(st.tuples(names, st.text(max_size=12)), max_size=4))
    def run(params: list[tuple[str, str]]) -> None:
        _ok(client.request(op.method, _path(op), params=params, json={} if op.body else None), state)

    run()


@pytest.mark.parametrize("op", FORM_OPS, ids=[op.operation_id for op in FORM_OPS])
def test_forms(served: tuple[httpx.Client, H2OGPTeMockState], op: Operation) -> None:
    client, state = served
    fields = st.sampled_from(["file", "tool_type", "tool_args", "agent_type", "agent_args", "filename", "x"])

    @FUZZ
    @given(parts=st.dictionaries(fields, st.binary(max_size=30), max_size=4), raw=st.binary(max_size=40))
    def run(parts: dict[str, bytes], raw: bytes) -> None:
        files = {k: (f"{k}.zip" if k == "file" else None, v) for k, v in parts.items()}
        _ok(client.request(op.method, _path(op), files=files or {"x": (None, b"")}), state)
        bad = {"Content-Type": "multipart/form-data; boundary=zz"}
        _ok(client.request(op.method, _path(op), content=raw, headers=bad), state)

    run()


CONTRACT = Path(__file__).parents[3] / "contracts" / "h2ogpte"
current = Settings.from_env()
schema = schemathesis.openapi.from_path(
    CONTRACT / "openapi.yaml", config=schemathesis.Config.from_path(CONTRACT / "schemathesis.toml")
)
schema.config.seed = current.seed or 13  # HARNESS_SEED and HARNESS_MAX_EXAMPLES for a longer exploratory run


@schema.parametrize()
@settings(
    max_examples=current.max_examples or 10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_h2ogpte_mock_fuzz(case: Any, mock_fuzz: Any) -> None:
    mock_fuzz.send(case)
