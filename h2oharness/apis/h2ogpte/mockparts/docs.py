"""Handlers for health, models, collections, uploads, ingestion, jobs, /file and the high-level client's /rpc."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.state import EPOCH, Document, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Reply,
    attachment,
    bad_request,
    check_form,
    empty,
    loads_json,
    not_found,
    page,
    parse_iso,
    parse_multipart,
)
from h2oharness.mocks.jobs import Job, JobPhase

VERSION = "1.7.5"
MODELS: tuple[dict[str, Any], ...] = (
    {"id": "h2oai/h2o-danube3-4b-chat", "display_name": "H2O Danube3 4B", "base_model": "h2oai/h2o-danube3-4b-chat"},
    {"id": "meta-llama/Llama-3.3-70B-Instruct", "display_name": "Llama 3.3 70B", "base_model": "llama-3.3"},
    {"id": "gpt-4o-mini", "display_name": "GPT-4o mini", "base_model": "gpt-4o-mini"},
)
EMBEDDING_MODEL = "BAAI/bge-large-en-v1.5"


def readiness(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /rpc/health/readiness."""
    return Reply({"status": "ok"})


def list_models(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/models: List[Model]."""
    return Reply([dict(m) for m in MODELS])


def openai_model_list(state: H2OGPTeMockState) -> list[dict[str, Any]]:
    """The models as OpenAI model objects."""
    created = int(state.now().timestamp())
    return [
        {
            "id": m["id"],
            "object": "model",
            "created": created,
            "owned_by": "h2oai",
            "permission": [
                {
                    "id": f"modelperm-{i}",
                    "object": "model_permission",
                    "created": created,
                    "allow_create_engine": False,
                    "allow_sampling": True,
                    "allow_logprobs": False,
                    "allow_search_indices": False,
                    "allow_view": True,
                    "allow_fine_tuning": False,
                    "organization": "*",
                    "group": None,
                    "is_blocking": False,
                }
            ],
            "root": m["id"],
            "parent": None,
        }
        for i, m in enumerate(MODELS)
    ]


def openai_list_models(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /openai_api/v1/models: the OpenAI list object."""
    return Reply({"object": "list", "data": openai_model_list(state)})


def ready_documents(state: H2OGPTeMockState, collection_id: str) -> list[Document]:
    """The documents of a collection whose ingestion has finished, on the state's clock (a job the board no longer
    holds has ended, and an ingestion only ends by succeeding: its documents are ready, as ``render_document`` says)."""
    now = state.clock.now()
    ready = []
    for doc in state.documents.of(collection_id):
        job = state.jobs.get(doc.job_id)
        if job is None or job.phase(now) is JobPhase.SUCCEEDED:
            ready.append(doc)
    return ready


def render_collection(state: H2OGPTeMockState, coll: dict[str, Any]) -> dict[str, Any]:
    """A Collection as the API renders it; the document counts are those of finished ingestions."""
    docs = ready_documents(state, coll["id"])
    sessions = sum(1 for s in state.sessions.values() if s.get("collection_id") == coll["id"])
    return {
        **coll,
        "document_count": len(docs),
        "document_size": sum(len(d.data) for d in docs),
        "sessions_count": sessions,
    }


#: the collection id by which the API means the user's default collection
DEFAULT_COLLECTION = "default"


def collection(state: H2OGPTeMockState, collection_id: str) -> dict[str, Any]:
    """The stored collection (``default``: the collection-specific key's collection, else the user's default
    collection), or a 404."""
    if collection_id == DEFAULT_COLLECTION:
        if state.scope is None:
            return default_collection(state)
        collection_id = state.scope
    coll = state.collections.get(collection_id)
    # another user's collection not shared with this one is as unknown as one that does not exist
    if coll is None or not state.sees(coll):
        raise not_found(f"Collection {collection_id}")
    return coll


def default_collection(state: H2OGPTeMockState) -> dict[str, Any]:
    """The user's default collection, made the first time it is asked for."""
    found = next((c for c in state.collections.values() if c.get("_default") and state.owns(c)), None)
    if found is None:
        found = _new_collection(state, {"name": "Default collection", "description": "The user's default collection"})
        found["_default"] = True
    return found


def create_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/collections: 201 Collection."""
    coll = _new_collection(state, call.json)
    return Reply(render_collection(state, coll), status=201)


def _new_collection(state: H2OGPTeMockState, body: dict[str, Any]) -> dict[str, Any]:
    now = state.now()
    cid = new_id()
    settings = body.get("collection_settings") or {}
    state.collections[cid] = {
        "id": cid,
        "name": body["name"],
        "description": body["description"],
        "embedding_model": body.get("embedding_model") or EMBEDDING_MODEL,
        "created_at": now,
        "updated_at": now,
        "user_count": 0,
        "is_public": False,
        "username": state.acting.username,
        "status": "completed",
        "rag_type": "auto",
        "metadata_dict": {},
        "workspace": body.get("workspace") or "workspaces/default",
        "vex_encryption": body.get("vex_encryption") or "disabled",
        "expiry_date": None,
        "exempt_from_chat_expiry": False,
        "_settings": settings,
        "_owner": state.acting.id,
        # who it is shared with: username -> permissions
        "_shared": {},
    }
    return state.collections[cid]


def metadata_filter(call: Call) -> dict[str, Any]:
    """The ``metadata_filter`` query parameter, a JSON object; {} (no filter) when absent or not a JSON object: the
    contract declares any string, and nothing says what a real server does with one that is not a dict's JSON."""
    text = str(call.query.get("metadata_filter") or "").strip()
    try:
        wanted = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        return {}
    return wanted if isinstance(wanted, dict) else {}


def metadata_matches(metadata: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    """Whether metadata has each key of the filter with the value it gives (the client says only 'matching')."""
    held = metadata or {}
    return all(name in held and held[name] == value for name, value in wanted.items())


def list_collections(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections."""
    q = call.query
    mine = bool(q.get("current_user_only"))
    shown = [c for c in state.collections.values() if state.owns(c) or (not mine and state.sees(c))]
    wanted = metadata_filter(call)
    items = [render_collection(state, c) for c in shown if metadata_matches(c["metadata_dict"], wanted)]
    if q.get("name_filter"):
        items = [c for c in items if str(q["name_filter"]).lower() in c["name"].lower()]
    column = q.get("sort_column", "updated_at")
    if column in ("name", "description", "updated_at", "created_at", "document_count", "document_size"):
        items.sort(key=lambda c: c[column], reverse=not q.get("ascending", False))
    return Reply(page(items, q))


def get_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}."""
    return Reply(render_collection(state, collection(state, call.path_params["collection_id"])))


def delete_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/collections/{collection_id}: 204, then 404."""
    coll = collection(state, call.path_params["collection_id"])
    cid = coll["id"]  # "default" names the user's default collection
    if not state.owns(coll):
        raise ApiError(403, f"Only the owner may delete collection {cid}")
    del state.collections[cid]
    state.documents.drop_collection(cid)
    return empty()


def get_collection_settings(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/settings (high-level client): the settings it was created with."""
    return Reply(dict(collection(state, call.path_params["collection_id"])["_settings"]))


def get_collection_chat_settings(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/chat_settings (high-level client): what PUT set over the defaults."""
    coll = collection(state, call.path_params["collection_id"])
    return Reply({"llm": "auto", "include_chat_history": "auto", **(coll.get("_chat_settings") or {})})


def get_collection_metadata(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/metadata (high-level client)."""
    return Reply(dict(collection(state, call.path_params["collection_id"])["metadata_dict"]))


def _store_upload(state: H2OGPTeMockState, call: Call, form: str) -> tuple[str, str]:
    parts = parse_multipart(call.content_type, call.body)
    check_form(form, parts)
    part = parts["file"]
    filename = part.filename or "upload.bin"
    uid = new_id()
    state.uploads[uid] = (filename, part.value)
    state.upload_owners[uid] = state.acting.id
    state.trim()
    return uid, filename


def upload_file(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/uploads (multipart ``file``): 200 UploadedFile."""
    uid, filename = _store_upload(state, call, "UploadFileForm")
    return Reply({"id": uid, "filename": filename})


def rpc_fs(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /rpc/fs, the high-level client's upload: ``{"id": ...}``."""
    uid, _ = _store_upload(state, call, "FsUploadForm")
    return Reply({"id": uid})


def _ingest(state: H2OGPTeMockState, call: Call) -> Job:
    collection_id = call.query["collection_id"]
    coll = collection(state, collection_id)
    ids = [u for u in call.path_params["upload_ids"].split(",") if u]
    if not ids:
        raise bad_request("No upload ids given")
    uploads = {uid: state.upload(uid) for uid in ids}
    for uid, found in uploads.items():
        if found is None:
            raise not_found(f"Upload {uid}")
    # the client: a dictionary mapping each upload id to its document's metadata
    given = (call.json or {}).get("metadata") or {}
    names = [state.uploads[uid][0] for uid in ids]
    job = state.jobs.submit(
        "ingest", state.timings.ingest, job_id=new_id(), description=", ".join(names), result=tuple(names)
    )
    for uid in ids:
        name, data = state.uploads[uid]
        doc_id = new_id()
        # under the collection's own id: "default" names one, and its documents are listed under its id
        metadata = given.get(uid)
        state.documents[doc_id] = Document(
            doc_id, name, data, str(coll["id"]), job.id, dict(metadata) if isinstance(metadata, dict) else {}
        )
    coll["updated_at"] = state.now()
    return job


def ingest_upload(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/uploads/{upload_ids}/ingest: 204 at once; the documents appear when the ingestion ends."""
    _ingest(state, call)
    return empty()


#: the JobKind (the client's enum) of each ``*_job`` operation; a kind outside the enum fails the client's Job
JOB_KINDS = {
    "admin_cleanup_chat_sessions": "DeleteChatSessionsAsAdminJob",
    "migrate_scheduled_connectors_to_collection": "MigrateScheduledConnectorsToCollectionJob",
    # the jobs POST /rpc/job starts are named by their kind
    "DeleteCollectionsAsAdminJob": "DeleteCollectionsAsAdminJob",
    "ExportFeedbackCSVJob": "ExportFeedbackCSVJob",
    "build_collection_graph": "BuildCollectionGraphJob",
    "create_delete_chat_session_job": "DeleteChatSessionsJob",
    "create_delete_collection_job": "DeleteCollectionsJob",
    "create_delete_collection_thumbnail_job": "DeleteCollectionThumbnailJob",
    "create_delete_document_from_collection_job": "DeleteDocumentsFromCollectionJob",
    "create_delete_document_job": "DeleteDocumentsJob",
    "create_extractor_run_job": "RunExtractorJob",
    "create_import_collection_to_collection_job": "ImportCollectionIntoCollectionJob",
    "create_ingest_agent_only_to_standard_job": "IngestAgentOnlyToStandardJob",
    "create_ingest_from_azure_blob_storage_job": "IngestFromCloudStorageJob",
    "create_ingest_from_confluence_job": "IngestFromCloudStorageJob",
    "create_ingest_from_file_system_job": "IngestFromFileSystemJob",
    "create_ingest_from_gcs_job": "IngestFromCloudStorageJob",
    "create_ingest_from_s3_job": "IngestFromCloudStorageJob",
    "create_ingest_from_plain_text_job": "IngestPlainTextJob",
    "create_ingest_from_sharepoint_online_job": "IngestFromCloudStorageJob",
    "create_ingest_from_website_job": "IngestWebsiteJob",
    "create_ingest_upload_job": "IngestUploadsJob",
    "create_insert_document_to_collection_job": "ImportDocumentIntoCollectionJob",
    "create_migrate_collection_chat_sessions_job": "MigrateCollectionChatSessionsJob",
    "create_process_document_job": "DocumentProcessJob",
    "create_update_collection_thumbnail_job": "UpdateCollectionThumbnailJob",
}


def job_details(state: H2OGPTeMockState, job: Job) -> dict[str, Any]:
    """A JobDetails for a mock job."""
    return job_view(job, state.clock.now())


def job_view(job: Job, now: float) -> dict[str, Any]:
    """A JobDetails for a job at clock time ``now``: an ingestion, or a generic ``*_job`` named by its operation."""
    phase = job.phase(now)
    words = {
        JobPhase.QUEUED: "in progress",
        JobPhase.RUNNING: "in progress",
        JobPhase.SUCCEEDED: "completed",
        JobPhase.FAILED: "failed",
        JobPhase.CANCELLED: "canceled",
    }
    ended = job.ended_at(now)
    duration = (ended if ended is not None else now) - job.submitted_at
    done = phase is JobPhase.SUCCEEDED
    created = EPOCH + timedelta(seconds=job.submitted_at)
    # an upload's ingestion, or one from another source (mockparts/ingest.py): both say what they ingest
    ingest = job.kind == "ingest" or job.kind.startswith("create_ingest_from_")
    return {
        "id": job.id,
        "name": f"Ingesting {job.description}" if ingest else job.kind,
        "overall_status": words[phase],
        "status": words[phase],
        "passed_percentage": 1.0 if done else 0.0,
        "failed_percentage": 1.0 if phase is JobPhase.FAILED else 0.0,
        "progress": job.progress(now),
        "created_at": created,
        "updated_at": EPOCH + timedelta(seconds=now),
        "kind": "IngestUploadsJob" if job.kind == "ingest" else JOB_KINDS.get(job.kind, "NoOpJob"),
        "statuses": [{"id": job.id, "status": words[phase]}],
        "errors": [job.failure] if phase is JobPhase.FAILED and job.failure else [],
        "duration": f"{duration:.1f}s",
        "duration_seconds": round(duration, 3),
        "canceled_by": None,
        "cancel_reason": None,
        "timeout": None,
        "start_time": job.submitted_at,
        # counted from the names it ingests (its result), not from its description: a name may hold ", "
        **({"files_total": len(job.result or ()), "files_failed": 0} if ingest else {}),
    }


def ingest_upload_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/uploads/{upload_ids}/ingest/job: 201 JobDetails (the high-level client's ingestion)."""
    return Reply(job_details(state, _ingest(state, call)), status=201)


def get_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/jobs/{job_id}."""
    job = state.job(call.path_params["job_id"])
    if job is None:
        raise not_found(f"Job {call.path_params['job_id']}")
    return Reply(job_details(state, job))


#: the JobHistoryStats count each phase of a job adds to (timeout, stale and unknown: none of the mock's jobs)
JOB_STAT = {
    JobPhase.QUEUED: "queued",
    JobPhase.RUNNING: "running",
    JobPhase.SUCCEEDED: "completed",
    JobPhase.FAILED: "failed",
    JobPhase.CANCELLED: "canceled",
}


def get_admin_jobs_stats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/admin/jobs/stats?created_after=: every user's jobs made since then (7 days ago by default) that
    the mock still holds, counted by status."""
    given = str(call.query.get("created_after") or "")
    since = parse_iso(given) if given else state.now() - timedelta(days=7)
    if since is None:
        raise bad_request(f"created_after is not a date-time: {given[:80]!r}")
    now = state.clock.now()
    counts = dict.fromkeys(("total", *JOB_STAT.values(), "timeout", "stale", "unknown"), 0)
    for job in state.jobs.all():
        if EPOCH + timedelta(seconds=job.submitted_at) >= since:
            counts[JOB_STAT[job.phase(now)]] += 1
            counts["total"] += 1
    return Reply(counts)


def count_pending_jobs(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/jobs/pending/count (the client's get_scheduler_stats): every user's jobs the mock holds that are
    still queued, in all and per queue, a queue being a job kind (its JobDetails kind, as IngestUploadsJob)."""
    now = state.clock.now()
    queues: dict[str, int] = {}
    for job in state.jobs.all():
        if job.phase(now) is JobPhase.QUEUED:
            kind = str(job_view(job, now)["kind"])
            queues[kind] = queues.get(kind, 0) + 1
    infos = [{"name": name, "length": length} for name, length in sorted(queues.items())]
    return Reply({"count": sum(queues.values()), "queue_infos": infos})


def download_file(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /file?id=&name=: an agent file's bytes, or an ingested document's (saved under the name asked for)."""
    doc = state.documents.get(call.query["id"])
    colls = [state.collections.get(cid) for cid in doc.collection_ids] if doc is not None else []
    # another user's document (in no collection this user sees) is as unknown as one that does not exist
    doc = doc if any(c is not None and state.sees(c) for c in colls) else None
    stored = (call.query["name"], doc.data) if doc is not None else agent_file(state, call.query["id"])
    if stored is None or stored[0] != call.query["name"]:
        raise not_found(f"File {call.query['name']!r}")
    name, data = stored
    return Reply(
        data,
        content_type="application/octet-stream",
        headers={"Content-Disposition": attachment(name)},
    )


def agent_file(state: H2OGPTeMockState, file_id: str) -> tuple[str, bytes] | None:
    """An agent file (name and bytes) of one of the acting user's chats; None for another user's, as for an unknown
    one (chats are never shared, so neither are the files their agent wrote)."""
    for sid, made in state.agent_files.items():
        session = state.sessions.get(sid)
        if session is not None and state.owns(session) and any(f["id"] == file_id for f in made):
            return state.files.get(file_id)
    return None


def rpc_meta(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /rpc/meta: the Meta the high-level client validates on construction."""
    return Reply(
        {
            "version": VERSION,
            "build": "h2oharness-mock",
            "username": state.acting.username,
            "user_id": state.acting.id,
            "subject": state.acting.id,
            "email": state.acting.username,
            "is_guest": False,
            "license_expired": False,
            "license_expiry_date": "2099-01-01",
            "global_configs": [],
            "user_configs": [],
            "picture": None,
            "groups": None,
            "workspaces": None,
            "permissions": ["ConfigureAgents", "ManageCustomAgent", "DeleteCustomAgent"],
            "ui_config": {
                "logo": "",
                "chat_logo": "",
                "primary_color": "",
                "chat_name": "h2oGPTe",
                "greeting": "",
                "show_private_button": False,
                "show_workers_status": False,
                "show_live_logs": False,
                "show_eval": False,
                "show_extractors": False,
                "public_mode": False,
            },
        }
    )


def loads_object(text: str, message: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object, or a 400 with ``message``."""
    try:
        value = loads_json(text.encode())
    except ApiError:
        raise bad_request(message) from None
    if not isinstance(value, dict):
        raise bad_request(message)
    return value
