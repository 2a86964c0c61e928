"""Ingestion from everything but uploads: plain text, a website, S3, GCS, Azure Blob Storage, Confluence, SharePoint
Online and the server's file system. Each is a job on the clock, timed as an upload's ingestion is, whose documents
the collection lists once it ends; the mock fetches nothing, so all but plain text get placeholder content."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import collection, job_details, loads_object
from h2oharness.apis.h2ogpte.mockparts.state import Document, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, empty, object_body
from h2oharness.mocks.jobs import Job

Handler = Callable[[H2OGPTeMockState, Call], Reply]

#: each source the contract ingests from (``/api/v1/ingest/<source>``), with what its placeholder says it stands for
SOURCES: dict[str, str] = {
    "plain_text": "",
    "website": "the web page at",
    "s3": "the Amazon S3 object",
    "gcs": "the Google Cloud Storage object",
    "azure_blob_storage": "the Azure Blob Storage blob",
    "confluence": "the Confluence page",
    "sharepoint_online": "the SharePoint Online entry",
    "file_system": "the server's files matching",
}


def job_kind(source: str) -> str:
    """The kind of an ingestion job from ``source``: its ``*_job`` operation's id, which names its JobKind."""
    return f"create_ingest_from_{source}_job"


def _names(source: str, call: Call) -> list[str]:
    """What an ingestion from a (non plain text) source names: one document each."""
    body = object_body(call)
    if source == "website":
        return [str(body["url"])]
    if source in ("s3", "gcs"):
        return [str(u) for u in body["urls"]]
    if source == "azure_blob_storage":
        return [str(p) for p in body["paths"]]
    if source == "confluence":
        return [str(p) for p in body["page_ids"]]
    if source == "sharepoint_online":
        return [_entry_name(e) for e in body["entries"]]
    return [posixpath.join(str(body["root_dir"]), str(body["glob"]))]


def _entry_name(entry: dict[str, Any]) -> str:
    for field in ("name", "web_url", "object_id", "drive_id"):
        if entry.get(field):
            return str(entry[field])
    return str(entry["entry_type"])


def _documents(source: str, call: Call) -> list[tuple[str, bytes]]:
    if source == "plain_text":
        return [(str(call.query["file_name"]), call.body)]
    # the mock cannot reach the web, a bucket or a wiki: the text names what a real server would have read
    stands_for = SOURCES[source]
    return [
        (name, f"{name}\nThe h2oGPTe mock does not fetch content: this text stands for {stands_for} {name}.\n".encode())
        for name in _names(source, call)
    ]


def _metadata(source: str, call: Call) -> dict[str, Any]:
    """The metadata every document of the ingestion gets: plain text's JSON query parameter, or the body's
    ``metadata`` (none for a website or the file system, whose bodies have no such field)."""
    if source == "plain_text":
        given = call.query.get("metadata")
        return loads_object(str(given), "metadata must be a JSON object") if given else {}
    found = object_body(call).get("metadata")
    return dict(found) if isinstance(found, dict) else {}


def ingest(state: H2OGPTeMockState, source: str, call: Call) -> Job:
    """Start ingesting from ``source`` into the query's collection (one the acting user sees, as for uploads): a job
    whose documents the collection lists once it ends."""
    coll = collection(state, call.query["collection_id"])
    # naming nothing (urls: []) is a job that ingests nothing, as an empty folder would be
    made = _documents(source, call)
    metadata = _metadata(source, call)
    names = tuple(name for name, _ in made)
    job = state.jobs.submit(
        job_kind(source), state.timings.ingest, job_id=new_id(), description=", ".join(names), result=names
    )
    for name, data in made:
        doc_id = new_id()
        state.documents[doc_id] = Document(doc_id, name, data, coll["id"], job.id, dict(metadata))
    coll["updated_at"] = state.now()
    return job


def handlers() -> dict[str, Handler]:
    """The handler of every ingestion operation, by operation id: ``ingest_from_<source>`` answers 204 at once,
    ``create_ingest_from_<source>_job`` 201 with the job's JobDetails."""

    def at_once(source: str) -> Handler:
        def handle(state: H2OGPTeMockState, call: Call) -> Reply:
            ingest(state, source, call)
            return empty()

        return handle

    def as_job(source: str) -> Handler:
        def handle(state: H2OGPTeMockState, call: Call) -> Reply:
            return Reply(job_details(state, ingest(state, source, call)), status=201)

        return handle

    return {
        **{f"ingest_from_{source}": at_once(source) for source in SOURCES},
        **{job_kind(source): as_job(source) for source in SOURCES},
    }
