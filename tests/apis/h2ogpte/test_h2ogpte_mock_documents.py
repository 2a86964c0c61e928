"""The mock's documents, by id and by collection: the index a collection's poll reads stays the scan's answer."""

from __future__ import annotations

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.state import Document, Documents
from h2oharness.mocks.clock import ManualClock


def doc(doc_id: str, collection_id: str) -> Document:
    return Document(doc_id, f"{doc_id}.txt", b"a,b\n", collection_id, f"job-{doc_id}")


def scanned(documents: Documents, collection_id: str) -> list[str]:
    return [d.id for d in documents.values() if d.collection_id == collection_id]


def test_each_collection_s_documents_are_those_a_scan_finds_whatever_removed_them() -> None:
    documents = Documents()
    for n in range(12):
        documents[f"d{n}"] = doc(f"d{n}", f"c{n % 3}")
    documents["d4"] = doc("d4", "c2")  # the same id again, in another collection: it moves
    del documents["d0"]
    assert documents.pop("d3").id == "d3"
    assert documents.pop("missing", None) is None
    assert documents.popitem()[0] == "d4"  # the last put
    for cid in ("c0", "c1", "c2", "c3"):
        assert [d.id for d in documents.of(cid)] == scanned(documents, cid), cid
    assert [d.id for d in documents.of("c2")] == ["d2", "d5", "d8", "d11"]  # in the order they were put
    assert [d.id for d in documents.of("c1")] == ["d1", "d7", "d10"]
    documents.clear()
    assert documents.of("c1") == []


def test_a_deleted_collection_s_documents_are_gone_and_the_others_kept(
    client: H2OGPTeClient, state: H2OGPTeMockState
) -> None:
    kept, dropped = (client.create_collection(name)["id"] for name in ("kept", "dropped"))
    for cid in (kept, dropped):
        upload = client.upload("sales.csv", b"region,q1\nnorth,10\n")["id"]
        client.ingest(upload, cid)
    client.delete_collection(dropped)
    assert [d.collection_id for d in state.documents.values()] == [kept]
    assert state.documents.of(dropped) == []
    assert [d.collection_id for d in state.documents.of(kept)] == [kept]


def test_a_document_renamed_to_any_string_its_contract_allows_is_renamed(
    http: httpx.Client, clock: ManualClock
) -> None:
    # the mock refused a blank name with 400, which the contract (the client's DocumentUpdateRequest: any string)
    # allows: a sweep with the feed's real document id counted a schema-valid request rejected
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("notes.txt", b"hello")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    clock.advance(5)  # the ingestion's 2 s
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    for name in ("", " ", "report.txt"):
        renamed = http.patch(f"/api/v1/documents/{doc['id']}", json={"name": name})
        assert renamed.status_code == 200, renamed.text
        assert http.get(f"/api/v1/documents/{doc['id']}").json()["name"] == name
