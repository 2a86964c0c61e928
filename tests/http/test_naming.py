"""Request naming by contract operation: a fast line scan that agrees with a full YAML parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.apis import APIS
from h2oharness.http.naming import contract_operations, documented_operations, operation_namer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("slug", sorted(APIS))
def test_line_scan_finds_exactly_the_documented_operations(slug: str) -> None:
    document = ROOT / APIS[slug].contract
    assert sorted(contract_operations(document)) == sorted(documented_operations(document))


def test_names_follow_the_most_literal_template() -> None:
    name = operation_namer(ROOT / "contracts" / "h2o3" / "openapi.yaml")
    assert name("GET", "/3/Jobs/$03017f00000132d4ffffffff$_abc") == "/3/Jobs/{job_id}"
    assert name("GET", "/3/Frames/train.hex/summary") == "/3/Frames/{frame_id}/summary"
    assert name("GET", "/3/Frames/train.hex") == "/3/Frames/{frame_id}"
    assert name("POST", "/3/ModelBuilders/gbm") == "/3/ModelBuilders/gbm"
    assert name("GET", "/not/in/the/contract") == "/not/in/the/contract"


def test_quoted_keys_and_other_sections(tmp_path: Path) -> None:
    doc = tmp_path / "o.yaml"
    doc.write_text(
        "openapi: 3.0.3\npaths:\n  '/v1/{name}:activate':\n    post:\n      summary: x\n    parameters: []\n"
        '  "/v1/items":\n    get: {}\ncomponents:\n  schemas:\n    get:\n      type: object\n'
    )
    assert contract_operations(doc) == [("POST", "/v1/{name}:activate"), ("GET", "/v1/items")]


def test_a_contract_that_is_not_text_names_what_it_can(tmp_path: Path) -> None:
    # the report builder reads a suite's contract by this scan: one that was not UTF-8 (run --suite-dir) raised a
    # UnicodeDecodeError at the end of the session, and the run's report was never written
    contract = tmp_path / "openapi.yaml"
    contract.write_bytes(b"paths:\n  /a:\n    get:\n      summary: \xff\xfe\n  /b:\n    post: {}\n")
    assert contract_operations(contract) == [("GET", "/a"), ("POST", "/b")]
