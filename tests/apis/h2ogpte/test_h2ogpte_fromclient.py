"""The h2oGPTe contract is what ``h2oharness spec h2ogpte --from-client`` writes from the installed client."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from h2oharness.apis.h2ogpte import fromclient
from h2oharness.cli import main

CONTRACT = Path(__file__).parents[3] / "contracts" / "h2ogpte" / "openapi.yaml"


def test_to_openapi30_turns_null_alternatives_into_nullable() -> None:
    pydantic_schema = {
        "anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}],
        "title": "X",
        "default": None,
    }
    assert fromclient.to_openapi30(pydantic_schema) == {
        "allOf": [{"$ref": "#/components/schemas/X"}],
        "nullable": True,
    }
    number = {"anyOf": [{"type": "number"}, {"type": "integer"}, {"type": "null"}]}
    assert fromclient.to_openapi30(number) == {"type": "number", "nullable": True}
    assert fromclient.to_openapi30({"const": "a", "exclusiveMinimum": 0}) == {
        "enum": ["a"],
        "minimum": 0,
        "exclusiveMinimum": True,
    }


def test_regenerating_from_the_installed_client_reproduces_the_committed_contract(tmp_path: Path) -> None:
    client = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    if client.__version__ != "1.7.5":
        pytest.skip(f"the contract is generated from h2ogpte 1.7.5, not {client.__version__}")
    out = tmp_path / "openapi.yaml"
    # in this process: the drift test reads the same client document (h2ogpte.rest_sync imported once, the document
    # built once), and a stateful flow run later draws the same whatever this imports (h2oharness.stateful)
    assert main(["spec", "h2ogpte", "--from-client", "--out", str(out)]) == 0
    assert out.read_text() == CONTRACT.read_text(), "run: h2oharness spec h2ogpte --from-client --out " + str(CONTRACT)
    document = yaml.load(out.read_text(), Loader=yaml.CSafeLoader)
    operations = {o["operationId"] for item in document["paths"].values() for o in item.values()}
    # the client's 385 operations and the 11 of the kept part it lacks (seed-only, OpenAI-compatible, /rpc)
    assert len(operations) == 396
    assert {"list_documents_for_collection", "create_delete_collection_job", "readiness", "rpc_meta"} <= operations
