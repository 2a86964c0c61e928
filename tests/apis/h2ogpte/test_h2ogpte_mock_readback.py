"""What the h2oGPTe mock is told is what it reads back: document summaries a process job wrote are listed and
deleted where they are kept, and the agent operations that change something (tool preference, agent keys and
their tool associations, skill preference and associations) show it on the next read, per user."""

from __future__ import annotations

import io

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings
from h2oharness.apis.h2ogpte.mockparts.state import ALICE
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> H2OGPTeMockState:
    """Jobs done on submission, so the official client's waits end at once on the hand-driven clock."""
    return H2OGPTeMockState(clock=clock, timings=H2OGPTeTimings.instant())


def _alice(http: httpx.Client) -> dict[str, str]:
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "alice"})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['secret_key']}"}


def test_a_processed_documents_summary_is_listed_until_deleted(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("reports", "")
    upload = client.upload("sales.csv", io.BytesIO(b"region,total\nnorth,10\n"))
    client.ingest_uploads(cid, [upload], gen_doc_summaries=False, gen_doc_questions=False)
    [doc] = client.list_documents_in_collection(cid, 0, 10)
    made = client.process_document(doc.id)
    assert [s.id for s in client.list_recent_document_summaries(doc.id, 0, 10)] == [made.id]

    client.delete_document_summaries([made.id])
    assert client.list_recent_document_summaries(doc.id, 0, 10) == []
    with pytest.raises(ObjectNotFoundError):
        client.delete_document_summaries([made.id])
    assert not state.internal_errors


def test_summaries_are_deleted_all_or_nothing_and_only_by_their_readers(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    for summary_id in ("s1", "s2"):
        job = {"document_id": doc["id"], "summary_id": summary_id}
        assert http.post("/api/v1/documents/process_job", json=job).status_code == 201
    listed = f"/api/v1/documents/{doc['id']}/summaries"
    assert [s["id"] for s in http.get(listed).json()] == ["s1", "s2"]
    assert [s["id"] for s in http.get(listed, params={"offset": 1}).json()] == ["s2"]

    # a summary alice may not read is as unknown to her as one that does not exist; an unknown id keeps the rest
    assert anon.delete("/api/v1/documents/summaries/s1", headers=alice).status_code == 404
    assert http.delete("/api/v1/documents/summaries/s1,nope").status_code == 404
    assert [s["id"] for s in http.get(listed).json()] == ["s1", "s2"]
    assert http.delete("/api/v1/documents/summaries/s1,s2").status_code == 204
    assert http.get(listed).json() == []
    assert http.get("/api/v1/document_summaries/s1").status_code == 404
