"""Copies of documents (copy_document on the import operations): a new object with its own times and, with
preserve_metadata only, the original's metadata."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import iso
from h2oharness.mocks.clock import ManualClock

V1 = "/api/v1"
METADATA = {"source": "crm", "quarter": 3}


def _ingested(http: httpx.Client, client: H2OGPTeClient, clock: ManualClock) -> tuple[str, dict[str, object]]:
    """A collection holding one ingested plain-text document with METADATA: its id and the document."""
    cid = client.create_collection("first")["id"]
    params = {"collection_id": cid, "file_name": "notes.txt", "metadata": '{"source": "crm", "quarter": 3}'}
    r = http.post(
        f"{V1}/ingest/plain_text", params=params, content=b"north 10\n", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 204, r.text
    clock.advance(5.0)
    return cid, _documents(http, cid)[0]


def _documents(http: httpx.Client, cid: str) -> list[dict[str, object]]:
    r = http.get(f"{V1}/collections/{cid}/documents")
    assert r.status_code == 200, r.text
    return list(r.json())


def _import(http: httpx.Client, how: str, target: str, source: str, doc_id: str, query: dict[str, str]) -> None:
    """Import by one of the three operations that take copy_document: the document itself, its job twin, or every
    document of its collection."""
    if how == "put":
        r = http.put(f"{V1}/collections/{target}/documents/{doc_id}", params=query)
    elif how == "document_job":
        r = http.post(f"{V1}/collections/{target}/documents/insert_job", params=query, json={"document_id": doc_id})
    else:
        r = http.post(
            f"{V1}/collections/{target}/import_collection_job", params=query, json={"source_collection_id": source}
        )
    assert r.status_code in (201, 204), r.text


HOWS = ["put", "document_job", "collection_job"]


@pytest.mark.parametrize("how", HOWS)
def test_a_copy_is_created_when_it_is_made_not_when_its_original_was(
    how: str, http: httpx.Client, client: H2OGPTeClient, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    source, original = _ingested(http, client, clock)
    clock.advance(3600.0)
    target = client.create_collection("second")["id"]
    _import(http, how, target, source, str(original["id"]), {"copy_document": "true"})
    (copy,) = _documents(http, target)
    assert copy["id"] != original["id"]
    assert copy["created_at"] == copy["updated_at"] == iso(state.now())
    assert copy["created_at"] != original["created_at"]
    # the original is as it was
    assert _documents(http, source) == [original]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(("preserve", "expected"), [("true", METADATA), ("false", {}), (None, {})])
def test_a_copy_keeps_the_original_s_metadata_only_with_preserve_metadata(
    how: str,
    preserve: str | None,
    expected: dict[str, object],
    http: httpx.Client,
    client: H2OGPTeClient,
    clock: ManualClock,
) -> None:
    source, original = _ingested(http, client, clock)
    assert original["metadata_dict"] == METADATA
    target = client.create_collection("second")["id"]
    query = {"copy_document": "true"} | ({"preserve_metadata": preserve} if preserve else {})
    _import(http, how, target, source, str(original["id"]), query)
    (copy,) = _documents(http, target)
    assert copy["metadata_dict"] == expected
    assert _documents(http, source)[0]["metadata_dict"] == METADATA


def test_without_copy_document_the_one_document_keeps_its_metadata_whatever_preserve_metadata_says(
    http: httpx.Client, client: H2OGPTeClient, clock: ManualClock
) -> None:
    source, original = _ingested(http, client, clock)
    target = client.create_collection("second")["id"]
    _import(http, "put", target, source, str(original["id"]), {"preserve_metadata": "false"})
    assert _documents(http, target) == [original] == _documents(http, source)
