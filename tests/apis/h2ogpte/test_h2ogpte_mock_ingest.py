"""Ingestion from everything but uploads: plain text is a document with that text once its job ends on the clock,
and a website, cloud storage, Confluence, SharePoint or a file system glob is one placeholder document per name;
a user ingests only into a collection they see."""

from __future__ import annotations

import io

import httpx
import pytest

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.apis.h2ogpte.mockparts.state import ALICE
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.serve import serve

TEXT = "The falcon nests on the north tower.\nIt hunts at dawn.\n"
PLAIN = {"Content-Type": "text/plain"}


@pytest.fixture
def state(clock: ManualClock) -> H2OGPTeMockState:
    """Jobs done on submission, so the official client's waits end at once on the hand-driven clock."""
    return H2OGPTeMockState(clock=clock, timings=H2OGPTeTimings.instant())


def _collection(http: httpx.Client) -> str:
    return str(http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"])


def _names(http: httpx.Client, cid: str) -> list[str]:
    return [d["name"] for d in http.get(f"/api/v1/collections/{cid}/documents").json()]


def test_plain_text_is_a_document_only_once_its_job_ends(clock: ManualClock) -> None:
    # an ingestion queued 0.5 s, then running 1.5 s, as an upload's would be
    state = H2OGPTeMockState(clock=clock, timings=H2OGPTeTimings(ingest=JobTiming(queued=0.5, running=1.5)))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {DEFAULT_KEY}"
        _ingest_plain_text_over_time(http, clock)
    assert state.internal_errors == []


def _ingest_plain_text_over_time(http: httpx.Client, clock: ManualClock) -> None:
    cid = _collection(http)
    params = {"collection_id": cid, "file_name": "falcon.txt"}
    assert http.post("/api/v1/ingest/plain_text", params=params, content=TEXT, headers=PLAIN).status_code == 204
    job = http.post("/api/v1/ingest/plain_text/job", params={**params, "file_name": "again.txt"}, content=TEXT)
    assert job.status_code == 201, job.text
    assert (job.json()["kind"], job.json()["name"]) == ("IngestPlainTextJob", "Ingesting again.txt")
    seen = []
    for step in (0.0, 0.6, 1.0, 0.5):
        clock.advance(step)
        details = http.get(f"/api/v1/jobs/{job.json()['id']}").json()
        seen.append((details["overall_status"], http.get(f"/api/v1/collections/{cid}").json()["document_count"]))
    assert seen == [("in progress", 0), ("in progress", 0), ("in progress", 0), ("completed", 2)]
    assert sorted(_names(http, cid)) == ["again.txt", "falcon.txt"]
    assert http.get(f"/api/v1/collections/{cid}").json()["document_size"] == 2 * len(TEXT.encode())


def test_the_official_client_finds_the_text_it_ingested(url: str, http: httpx.Client, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("birds", "")
    job = client.ingest_from_plain_text(cid, TEXT, "falcon.txt", metadata={"source": "notes"})
    assert job.completed
    [doc] = client.list_documents_in_collection(cid, 0, 10)
    assert (doc.name, doc.size) == ("falcon.txt", len(TEXT.encode()))
    [found] = client.search_chunks(cid, "falcon dawn", [doc.id], 0, 1)
    assert "falcon" in found.text
    # a RAG answer on the collection cites it, as it cites an uploaded document
    harness = H2OGPTeClient(http)
    session = harness.create_chat(cid)["id"]
    answer = harness.complete(session, {"message": "Where does the falcon nest?"})
    assert [r["document_name"] for r in harness.references(answer["message_id"])] == ["falcon.txt"]
    assert harness.download(doc.id, "falcon.txt") == TEXT.encode()
    assert state.internal_errors == []


def test_the_official_client_ingests_a_placeholder_document_per_named_source(
    url: str, http: httpx.Client, state: H2OGPTeMockState
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.connectors import ConfluenceCredential, SharepointOnlineAppCredentials, SharepointOnlineEntry

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("sources", "")
    assert client.ingest_website(cid, "https://example.com/birds").completed
    client.ingest_from_s3(cid, ["s3://bucket/a.pdf", "s3://bucket/b.docx"])
    client.ingest_from_gcs(cid, "gs://bucket/c.txt")
    client.ingest_from_azure_blob_storage(cid, "container", "d.md", "account")
    client.ingest_from_confluence(cid, "https://wiki.example.com", "123", ConfluenceCredential("u", "p"))
    client.ingest_from_file_system(cid, "/data", "*.pdf")
    entry = SharepointOnlineEntry(entry_type="site", object_id="site-1")
    client.ingest_from_sharepoint_online(cid, [entry], SharepointOnlineAppCredentials("tenant", "id", "secret"))
    names = {d.name: d.type for d in client.list_documents_in_collection(cid, 0, 20)}
    assert names == {
        "https://example.com/birds": "txt",
        "s3://bucket/a.pdf": "pdf",
        "s3://bucket/b.docx": "docx",
        "gs://bucket/c.txt": "txt",
        "d.md": "md",
        "123": "txt",
        "/data/*.pdf": "pdf",
        "site-1": "txt",
    }
    # the web is not fetched: the page's placeholder names its URL
    [page] = [d for d in client.list_documents_in_collection(cid, 0, 20) if d.name.startswith("https://")]
    assert "https://example.com/birds" in H2OGPTeClient(http).download(page.id, page.name).decode()
    assert state.internal_errors == []


def test_a_user_ingests_only_into_a_collection_they_see(http: httpx.Client, anon: httpx.Client) -> None:
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "alice"})
    alice = {"Authorization": f"Bearer {made.json()['secret_key']}"}
    cid = _collection(http)
    params = {"collection_id": cid, "file_name": "hers.txt"}
    # another user's collection is as unknown as one that does not exist (the contract declares 400, not 404)
    refused = anon.post("/api/v1/ingest/plain_text/job", params=params, content=TEXT, headers={**alice, **PLAIN})
    assert refused.status_code == 400
    website = anon.post(
        "/api/v1/ingest/website", params={"collection_id": cid}, json={"url": "https://x.test"}, headers=alice
    )
    assert website.status_code == 400
    unknown = http.post("/api/v1/ingest/plain_text", params={**params, "collection_id": "nope"}, content=TEXT)
    assert unknown.status_code == 400
    assert http.get(f"/api/v1/collections/{cid}/documents/count").json() == {"count": 0}
    # once shared with her, it is hers to ingest into
    assert http.put(f"/api/v1/collections/{cid}/permissions/{ALICE.username}", json={}).status_code == 204
    shared = anon.post("/api/v1/ingest/plain_text", params=params, content=TEXT, headers={**alice, **PLAIN})
    assert shared.status_code == 204
    assert http.get(f"/api/v1/collections/{cid}/documents/count").json() == {"count": 1}


def test_an_upload_ingested_into_the_default_collection_is_listed_under_its_id(http: httpx.Client) -> None:
    # stored under the literal id "default", the documents were in no collection: its count stayed 0
    upload = http.put("/api/v1/uploads", files={"file": ("falcon.txt", TEXT.encode(), "text/plain")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": "default"}).status_code == 204
    default = http.get("/api/v1/collections/default").json()
    assert default["id"] != "default"
    assert (default["document_count"], _names(http, default["id"])) == (1, ["falcon.txt"])
    # and under the name "default" too, as GET /collections/default answers that collection
    assert _names(http, "default") == ["falcon.txt"]
    assert http.get("/api/v1/collections/default/documents/count").json()["count"] == 1
    chat = http.post("/api/v1/chats", params={"collection_id": "default"}).json()["id"]
    assert [c["id"] for c in http.get("/api/v1/collections/default/chats").json()] == [chat]
    assert http.get("/api/v1/collections/default/chats/count").json()["count"] == 1
    assert http.delete("/api/v1/collections/default").status_code == 204
    assert http.get(f"/api/v1/collections/{default['id']}").status_code == 404


def test_an_ingestion_counts_its_files_whatever_their_names(url: str, http: httpx.Client) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("reports", "")
    uploads = [client.upload(name, io.BytesIO(b"a,b\n1,2\n")) for name in ("north, south.csv", "east.csv")]
    job = client.ingest_uploads(cid, uploads)
    assert (job.completed, job.files_total, job.files_failed) == (True, 2, 0)
    assert sorted(_names(http, cid)) == ["east.csv", "north, south.csv"]
    # naming nothing to fetch ingests no file
    nothing = http.post("/api/v1/ingest/s3/job", params={"collection_id": cid}, json={"urls": []})
    assert nothing.status_code == 201, nothing.text
    assert nothing.json()["files_total"] == 0
