"""What the high-level client does with what it stored: documents, counts, chunk search, renames, uploads listed or
deleted, and the ``*_job`` deletions and document processing as jobs on the clock."""

from __future__ import annotations

import re
from typing import Any

from h2oharness.apis.h2ogpte.mockparts import usage
from h2oharness.apis.h2ogpte.mockparts.chat import render_session, session_of
from h2oharness.apis.h2ogpte.mockparts.docs import (
    collection,
    job_details,
    job_view,
    metadata_filter,
    metadata_matches,
    ready_documents,
    render_collection,
)
from h2oharness.apis.h2ogpte.mockparts.schemas import RAG_TYPES
from h2oharness.apis.h2ogpte.mockparts.state import EPOCH, USERNAME, Document, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Reply,
    bad_request,
    empty,
    loads_json,
    not_found,
    object_body,
    page,
)
from h2oharness.mocks.jobs import Job, JobPhase

_WORD = re.compile(r"\w+")


def _ids(body: dict[str, Any], field: str) -> list[str]:
    ids = body.get(field)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request(f"{field} must be a list of ids")
    return ids


def render_document(state: H2OGPTeMockState, doc: Document) -> dict[str, Any]:
    """A Document (the hand-written handlers' and the generic layer's); its status follows its ingestion job."""
    job = state.jobs.get(doc.job_id)
    done = job is None or job.phase(state.clock.now()) is JobPhase.SUCCEEDED
    created = doc.created_at or (job_view(job, state.clock.now())["created_at"] if job else EPOCH)
    # the type of the name's last segment: a document ingested from a URL or path is named by it
    base = doc.name.rsplit("/", 1)[-1]
    kind = base.rsplit(".", 1)[-1].lower() if "." in base else "txt"
    return {
        "id": doc.id,
        "name": doc.name,
        "username": state.collections.get(doc.collection_id, {}).get("username") or USERNAME,
        "type": kind,
        "size": len(doc.data),
        "page_count": 1,
        "status": "completed" if done else "in progress",
        "created_at": created,
        "updated_at": doc.updated_at or created,
        "uri": doc.uri,
        "summary": None,
        "metadata_dict": dict(doc.metadata),
        "is_encrypted": False,
    }


def document_of(state: H2OGPTeMockState, document_id: str) -> Document:
    """The stored document, or a 404."""
    doc = state.documents.get(document_id)
    if doc is None or not readable(state, doc):
        raise not_found(f"Document {document_id}")
    return doc


def readable(state: H2OGPTeMockState, doc: Document) -> bool:
    """Whether the acting user may see a document: one in a collection they may see."""
    return any((c := state.collections.get(cid)) is not None and state.sees(c) for cid in doc.collection_ids)


def list_documents_for_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/documents: the collection's ingested documents (those whose metadata
    matches metadata_filter, when given)."""
    # "default" names the user's default collection, whose documents are kept under its own id
    cid = collection(state, call.path_params["collection_id"])["id"]
    wanted = metadata_filter(call)
    shown = [d for d in ready_documents(state, cid) if metadata_matches(d.metadata, wanted)]
    return Reply(page([render_document(state, d) for d in shown], call.query))


def get_document(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}."""
    return Reply(render_document(state, document_of(state, call.path_params["document_id"])))


def update_document(state: H2OGPTeMockState, call: Call) -> Reply:
    """PATCH /api/v1/documents/{document_id}: the name and uri given (null or absent: left as they are), 200 the
    Document as GET now reads it (the client's update_document_name and update_document_uri)."""
    doc = document_of(state, call.path_params["document_id"])
    body = object_body(call)
    for field in ("name", "uri"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise bad_request(f"{field} must be a string")
    if isinstance(body.get("name"), str):
        # any string: the client's DocumentUpdateRequest (the contract) sets no rule, and neither seed gives one
        doc.name = body["name"]
    if isinstance(body.get("uri"), str):
        doc.uri = body["uri"]
    doc.updated_at = state.now()
    return Reply(render_document(state, doc))


def get_document_part(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}/{internal_metadata|page_layout|...}: 200 {} (the mock keeps none)."""
    document_of(state, call.path_params["document_id"])
    return Reply({})


def get_document_metadata(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}/metadata: the metadata its ingestion or the last update gave it."""
    return Reply(dict(document_of(state, call.path_params["document_id"]).metadata))


def update_document_metadata(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/documents/{document_id}/metadata: 204; the body replaces the metadata (the client: "overwriting
    the existing metadata"; no body or null clears it)."""
    doc = document_of(state, call.path_params["document_id"])
    # checked against the contract before the handler runs (generic.check): an object or null
    given = loads_json(call.body) if call.body.strip() else None
    doc.metadata = dict(given) if isinstance(given, dict) else {}
    return empty()


def get_document_guardrails_settings(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}/guardrails_settings: 204, none set."""
    document_of(state, call.path_params["document_id"])
    return empty()


def count(value: int) -> Reply:
    """A Count."""
    return Reply({"count": value})


def get_collection_count(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/count."""
    return count(sum(1 for c in state.collections.values() if state.sees(c)))


def get_document_count_for_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/documents/count: ingested documents only."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    return count(len(ready_documents(state, cid)))


def get_document_count(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/count: every document of the collections the user may see, once however many of them
    hold it (``owned`` changes nothing)."""
    shown = [cid for cid, c in state.collections.items() if state.sees(c)]
    return count(len({d.id for cid in shown for d in ready_documents(state, cid)}))


def _user_sessions(state: H2OGPTeMockState) -> list[dict[str, Any]]:
    return [s for s in state.sessions.values() if not s.get("_openai") and state.owns(s)]


def get_chat_session_count(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/count."""
    return count(len(_user_sessions(state)))


def get_chat_session_count_for_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/chats/count."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    return count(sum(1 for s in _user_sessions(state) if s.get("collection_id") == cid))


def list_chat_sessions_for_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/chats: most recently updated first."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    mine = [s for s in _user_sessions(state) if s.get("collection_id") == cid]
    mine.sort(key=lambda s: s["updated_at"], reverse=True)
    return Reply(page([render_session(state, s) for s in mine], call.query))


def collection_chunks(state: H2OGPTeMockState, collection_id: str) -> list[dict[str, Any]]:
    """The chunks of a collection: each non-blank line of its ingested documents, numbered from 1 in order."""
    chunks: list[dict[str, Any]] = []
    chunk_id = 0
    for doc in ready_documents(state, collection_id):
        for line in doc.data.decode("utf-8", errors="replace").splitlines():
            chunk_id += 1
            if line.strip():
                size = len(line.encode())
                chunks.append(
                    {"text": line, "id": chunk_id, "name": doc.name, "size": size, "pages": "1", "topic": doc.id}
                )
    return chunks


def search_collection_chunks(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections/{collection_id}/chunks/search: the ingested lines sharing words with the query."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    body = object_body(call)
    query = body.get("query")
    if not isinstance(query, str):
        raise bad_request("query is required")
    wanted = {w.lower() for w in _WORD.findall(query)}
    found: list[dict[str, Any]] = []
    for chunk in collection_chunks(state, cid):
        words = {w.lower() for w in _WORD.findall(chunk["text"])}
        score = len(words & wanted) / max(1, len(wanted))
        if score > 0 or not wanted:
            found.append({**chunk, "score": round(score, 4)})
    found.sort(key=lambda c: -c["score"])
    offset = max(0, int(body.get("offset") or 0))
    limit = max(0, int(body.get("limit") or 100))
    return Reply(found[offset : offset + limit])


def get_collection_chunks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/chunks/{chunk_ids}: those chunks (comma-separated ids), in that
    order; a 404 names the first id the collection lacks."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    by_id = {c["id"]: c for c in collection_chunks(state, cid)}
    wanted = [part.strip() for part in call.path_params["chunk_ids"].split(",")]
    missing = next((w for w in wanted if not w.isdigit() or int(w) not in by_id), None)
    if missing is not None:
        raise not_found(f"Chunk {missing[:40]}")
    return Reply([{k: v for k, v in by_id[int(w)].items() if k != "topic"} for w in wanted])


def list_document_chunks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}/chunks?collection_id=: the document's chunks in that collection."""
    doc_id = call.path_params["document_id"]
    given = call.query.get("collection_id")
    cid = collection(state, given)["id"] if given else _seen_in(state, document_of(state, doc_id))
    return Reply([{**c, "score": 1.0} for c in collection_chunks(state, cid) if c["topic"] == doc_id])


def _seen_in(state: H2OGPTeMockState, doc: Document) -> str:
    # the collection it was ingested into, else another it is in that the user sees (document_of found one)
    seen = [cid for cid in doc.collection_ids if (c := state.collections.get(cid)) is not None and state.sees(c)]
    return doc.collection_id if doc.collection_id in seen else min(seen)


def update_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """PATCH /api/v1/collections/{collection_id}: name, description and rag_type as given; 200 Collection."""
    coll = collection(state, call.path_params["collection_id"])
    body = object_body(call)
    for field in ("name", "description"):
        if body.get(field) is not None:
            if not isinstance(body[field], str):
                raise bad_request(f"{field} must be a string")
            coll[field] = body[field]
    if body.get("rag_type") is not None:
        if body["rag_type"] not in RAG_TYPES:
            raise bad_request(f"rag_type must be one of {', '.join(RAG_TYPES)}")
        coll["rag_type"] = body["rag_type"]
    coll["updated_at"] = state.now()
    return Reply(render_collection(state, coll))


def update_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """PATCH /api/v1/chats/{session_id}: a new name; 200 ChatSession."""
    session = session_of(state, call.path_params["session_id"])
    name = object_body(call).get("name")
    if not isinstance(name, str):
        raise bad_request("name is required")
    session["name"] = name
    session["updated_at"] = state.now()
    return Reply(render_session(state, session))


def _job(state: H2OGPTeMockState, kind: str, description: str, failure: str = "") -> Reply:
    # the job's kind is the operation's id, as the generic layer names its jobs (job_view renders both); an id it
    # names that does not exist fails the job (its status says why), not the request
    fail_at = 0.0 if failure else None
    job: Job = state.jobs.submit(
        kind, state.timings.job, job_id=new_id(), description=description, fail_at=fail_at, failure=failure
    )
    return Reply(job_details(state, job), status=201)


def create_delete_collection_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections/delete_job: 201 JobDetails; the collections go (with their documents) at once, or,
    when one does not exist, none does and the job fails."""
    ids = _ids(object_body(call), "collection_ids")
    missing = next((cid for cid in ids if cid not in state.collections or not state.owns(state.collections[cid])), None)
    if missing is not None:
        return _job(state, "create_delete_collection_job", ", ".join(ids), f"Collection {missing} not found")
    for cid in ids:
        del state.collections[cid]
        state.documents.drop_collection(cid)
    return _job(state, "create_delete_collection_job", ", ".join(ids))


def create_delete_chat_session_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/chats/delete_job: 201 JobDetails; the sessions go with their messages and files, or, when one
    does not exist, none does and the job fails."""
    ids = _ids(object_body(call), "session_ids")
    missing = next((sid for sid in ids if sid not in state.sessions or not state.owns(state.sessions[sid])), None)
    if missing is not None:
        return _job(state, "create_delete_chat_session_job", ", ".join(ids), f"Chat session {missing} not found")
    for sid in ids:
        del state.sessions[sid]
        state.agent_files.pop(sid, None)
        state.forget_messages([mid for mid, m in state.messages.items() if m.get("_session") == sid])
    return _job(state, "create_delete_chat_session_job", ", ".join(ids))


def _missing_document(state: H2OGPTeMockState, ids: list[str], collection_id: str | None) -> str:
    """Why these documents cannot all be deleted ('' when they can)."""
    for doc_id in ids:
        doc = state.documents.get(doc_id)
        if doc is None or not readable(state, doc):
            return f"Document {doc_id} not found"
        if collection_id is not None and collection_id not in doc.collection_ids:
            return f"Document {doc_id} in collection {collection_id} not found"
    return ""


def create_delete_document_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/documents/delete_job: 201 JobDetails (a failed job, deleting nothing, when one does not exist)."""
    ids = _ids(object_body(call), "document_ids")
    failure = _missing_document(state, ids, None)
    for doc_id in [] if failure else ids:
        del state.documents[doc_id]
    return _job(state, "create_delete_document_job", ", ".join(ids), failure)


def create_delete_document_from_collection_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections/{collection_id}/documents/delete_job: 201 JobDetails (a failed job, deleting
    nothing, when a document is not in the collection)."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    ids = _ids(object_body(call), "document_ids")
    failure = _missing_document(state, ids, cid)
    for doc_id in [] if failure else ids:
        state.documents.remove_from(state.documents[doc_id], cid)
    return _job(state, "create_delete_document_from_collection_job", ", ".join(ids), failure)


def _import(state: H2OGPTeMockState, doc: Document, collection_id: str, call: Call) -> Document:
    """Put a document in a collection: with copy_document, a new copy of it there (the client: "Whether to save a
    new copy of the document"; a new id, its name and bytes, no tags, created now), else the same document, in one
    more collection. The copy has the original's metadata only with preserve_metadata (the client: "Whether to
    preserve document metadata when copying documents"; unset is false, as preserve_document_status says of itself);
    the one document keeps its own whatever it says."""
    if not call.query.get("copy_document"):
        state.documents.add_to(doc, collection_id)
        return doc
    metadata = dict(doc.metadata) if call.query.get("preserve_metadata") else {}
    now = state.now()
    copy = Document(
        new_id(), doc.name, doc.data, collection_id, doc.job_id, metadata, uri=doc.uri, updated_at=now, created_at=now
    )
    state.documents[copy.id] = copy
    return copy


def create_insert_document_to_collection_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections/{collection_id}/insert_document_job: 201 JobDetails; the document is in that
    collection too (a real server keeps one document in several), or a copy of it with copy_document, or the job
    fails when either does not exist."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    doc_id = str(object_body(call).get("document_id"))
    doc = state.documents.get(doc_id)
    if doc is None or not readable(state, doc):
        return _job(state, "create_insert_document_to_collection_job", doc_id, f"Document {doc_id} not found")
    _import(state, doc, cid, call)
    return _job(state, "create_insert_document_to_collection_job", doc.name)


def insert_document_into_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/collections/{collection_id}/documents/{document_id}: 204; the document is in that collection too
    (or a copy of it, with copy_document), as its job twin (create_insert_document_to_collection_job) puts it; an
    unknown collection or document is a 404."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    _import(state, document_of(state, call.path_params["document_id"]), cid, call)
    return empty()


def create_import_collection_to_collection_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections/{collection_id}/import_collection_job: 201 JobDetails; every ingested document of
    the source collection is in this one too (copies of them, with copy_document), or the job fails when the source
    is not a collection the user sees, or skip_reparse comes with copy_document (the client: "Cannot be combined
    with copy_document=true"; a job fails, as for an unknown source, since the contract cannot state that the two
    exclude each other and the request is schema-valid); the other options are accepted without effect."""
    cid = collection(state, call.path_params["collection_id"])["id"]
    source_id = str(object_body(call).get("source_collection_id"))
    source = state.collections.get(source_id)
    kind = "create_import_collection_to_collection_job"
    if source is None or not state.sees(source):
        return _job(state, kind, source_id[:80], f"Collection {source_id[:80]} not found")
    if call.query.get("skip_reparse") and call.query.get("copy_document"):
        return _job(state, kind, str(source["name"]), "skip_reparse cannot be combined with copy_document=true")
    for doc in ready_documents(state, source_id):
        _import(state, doc, cid, call)
    return _job(state, kind, str(source["name"]))


def create_process_document_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/documents/process_job: 201 JobDetails; the summary is readable under the given summary_id (a
    failed job when the document does not exist)."""
    body = object_body(call)
    doc = state.documents.get(str(body.get("document_id")))
    if doc is None or not readable(state, doc):
        return _job(state, "create_process_document_job", "", f"Document {body.get('document_id')} not found")
    summary_id = body.get("summary_id") or new_id()
    if summary_of(state, summary_id) is None and summary_id in state.summaries:
        # another user's summary keeps its id: this job does not write over it
        return _job(state, "create_process_document_job", doc.name, f"Document summary {summary_id} already exists")
    text = doc.data.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    content = f"{doc.name}: {len(lines)} lines. " + " ".join(lines[:3])
    # the summary is an LLM's answer: a call of the model asked for (else the default one) on the document's text
    usage.record(state, body.get("llm"), len(text.split()), len(content.split()))
    state.summaries[summary_id] = {
        "id": summary_id,
        "document_id": doc.id,
        "content": content,
        "error": "",
        "kwargs": "{}",
        "created_at": state.now().isoformat(),
        "usage_stats": None,
    }
    return _job(state, "create_process_document_job", doc.name)


def summary_of(state: H2OGPTeMockState, summary_id: str) -> dict[str, Any] | None:
    """The summary of that id when the acting user may read its document (one of a collection they may see); None
    for another user's, as for an unknown one."""
    summary = state.summaries.get(summary_id)
    doc = state.documents.get(str(summary.get("document_id"))) if summary is not None else None
    return summary if doc is not None and readable(state, doc) else None


def get_document_summary(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/document_summaries/{summary_id}."""
    summary = summary_of(state, call.path_params["summary_id"])
    if summary is None:
        raise not_found(f"Document summary {call.path_params['summary_id']}")
    return Reply(summary)


def list_document_summaries(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/documents/{document_id}/summaries: the summaries process jobs wrote of the document, oldest
    first (a 404 for a document the user may not see)."""
    doc = document_of(state, call.path_params["document_id"])
    return Reply(page([s for s in state.summaries.values() if s["document_id"] == doc.id], call.query))


def delete_document_summaries(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/documents/summaries/{summary_ids} (comma-separated): 204; all or nothing, a 404 naming the
    first id that is no summary the user may read (another user's, as an unknown one)."""
    ids = [i for i in call.path_params["summary_ids"].split(",") if i]
    missing = next((i for i in ids if summary_of(state, i) is None), None)
    if missing is not None:
        raise not_found(f"Document summary {missing[:80]}")
    for summary_id in ids:
        state.summaries.pop(summary_id, None)
    return empty()


def list_uploads(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /rpc/fs: the ids of the uploads not yet ingested or deleted."""
    return Reply([uid for uid in state.uploads if state.upload(uid) is not None])


def delete_upload(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /rpc/fs?id=: ``{"id"}`` of the deleted upload."""
    uid = call.query.get("id", "")
    if state.upload(uid) is None:
        raise ApiError(404, f"Upload {uid} not found")
    del state.uploads[uid]
    state.upload_owners.pop(uid, None)
    return Reply({"id": uid})
