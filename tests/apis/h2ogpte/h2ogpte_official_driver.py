"""Drive the official h2ogpte 1.7.5 client against a server: ``python h2ogpte_official_driver.py URL KEY MODE``.

MODE ``rest``: the generated REST client (h2ogpte.rest_sync) through seed 003's flow. MODE ``highlevel``: the
``H2OGPTE`` client (GET /rpc/meta, PUT /rpc/fs, ingestion jobs, the /ws WebSocket). MODE ``readback``: H2OGPTE
calls whose writes a later read must show. MODE ``sweep-sync``,
``sweep-async``, ``sweep-openai``: every public method of H2OGPTE, H2OGPTEAsync or the openai client's resources the
compatible API serves (h2ogpte_official_sweep.py). Prints one JSON line last.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h2ogpte_official_sweep  # type: ignore[import-not-found]  # the script's own folder is on sys.path

CSV = b"product,revenue\nWidget A,12500\nWidget B,8300\n"
COPIED_METADATA = {"team": "a", "year": 2024}


def rest_flow(url: str, key: str) -> dict[str, object]:
    from h2ogpte import rest_sync as rest

    cfg = rest.Configuration(host=f"{url}/api/v1", access_token=key)
    with rest.ApiClient(cfg) as api:
        models = rest.ModelsApi(api).list_models()
        collections = rest.CollectionsApi(api)
        col = collections.create_collection(rest.CollectionCreateRequest(name="c", description="d"))
        ingestion = rest.DocumentIngestionApi(api)
        up = ingestion.upload_file(file=("sales.csv", CSV))
        ingestion.ingest_upload(
            upload_ids=[up.id], collection_id=col.id, gen_doc_summaries=False, gen_doc_questions=False
        )
        # the seed waits for the ingestion, then checks document_count
        deadline = time.monotonic() + 30
        while collections.get_collection(col.id).document_count < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        chats = rest.ChatApi(api)
        chat = chats.create_chat_session(collection_id=col.id)
        req = rest.ChatCompletionRequest(
            message="Which product sold best? Save 'best.csv'.",
            llm="auto",
            include_chat_history="false",
            llm_args={"use_agent": True},
            rag_config={"rag_type": "rag"},
        )
        comp = chats.get_completion(chat.id, req)
        meta = chats.get_message_meta(comp.message_id, info_type="agent_files")
        refs = chats.get_message_references(comp.message_id)
        files = chats.list_agent_server_files(chat.id)
        dirs = chats.list_all_agent_server_directories_stats(chat.id, detail_level=1)
        messages = chats.get_chat_session_messages(chat.id)
        blocks = rest.MemoryBlocksApi(api)
        mb = blocks.create_memory_block(rest.MemoryBlockCreateRequest(name="Project Knowledge", content="x"))
        blocks.update_memory_block(mb.id, rest.MemoryBlockUpdateRequest(content="y"))
        listed = blocks.list_memory_blocks(name_filter="Project")
        defaults = blocks.set_default_memory_block(
            rest.SetDefaultMemoryBlockRequest(scope="llm", memory_block_id=mb.id)
        )
        got_defaults = blocks.get_default_memory_blocks()
        agents = rest.AgentsApi(api)
        tools = agents.list_agent_tools()
        added = agents.add_custom_agent_tool(
            tool_type="general_code", tool_args=json.dumps({"tool_name": "my_tool"}), file=("my_tool.py", b"print(1)\n")
        )
        tool = agents.get_custom_agent_tool(added[0].agent_custom_tool_id)
        all_agents = agents.get_all_agents()
        count = agents.delete_custom_agent_tool([added[0].agent_custom_tool_id])
        blocks.delete_memory_block(mb.id)
        collections.delete_collection(col.id)
        after = collections.get_collection
        try:
            after(col.id)
            gone = False
        except rest.ApiException as exc:
            gone = exc.status == 404
    return {
        "models": [m.id for m in models],
        "message_id": comp.message_id,
        "body": comp.body,
        "agent_files_meta": [m.content for m in meta],
        "references": [r.document_name for r in refs],
        "files": [f.filename for f in files],
        "dirs": [d.file_count for d in dirs],
        "messages": [(m.id, m.reply_to) for m in messages],
        "block_total": listed.total,
        "block_content": listed.items[0].content,
        "default_scope": defaults.scope,
        "default_llm": got_defaults.defaults.llm.id if got_defaults.defaults and got_defaults.defaults.llm else None,
        "block_id": mb.id,
        "tools": [t.name for t in tools],
        "tool_name": tool.tool_name,
        "agents": [a.type for a in all_agents],
        "deleted_tools": count.count,
        "collection_gone": gone,
    }


def _ingested(client: Any) -> str:
    """A new collection holding the sales CSV, uploaded and ingested through the client: its id."""
    cid = str(client.create_collection(name="demo", description="d"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.csv"
        path.write_bytes(CSV)
        with path.open("rb") as fh:
            uid = client.upload("sales.csv", fh)
    client.ingest_uploads(cid, [uid])
    return cid


def highlevel_flow(url: str, key: str) -> dict[str, object]:
    from h2ogpte import H2OGPTE

    client = H2OGPTE(address=url, api_key=key)
    cid = _ingested(client)
    collection = client.get_collection(cid)
    sid = client.create_chat_session(cid)
    partials: list[str] = []
    with client.connect(sid) as session:
        reply = session.query(
            "Which product sold best?", llm="auto", timeout=60, callback=lambda m: partials.append(m.content)
        )
    return {
        "collection_id": cid,
        "document_count": collection.document_count,
        "session_id": sid,
        "reply": reply.content,
        "reply_to": reply.reply_to,
        "partials": len(partials),
    }


def readback_flow(url: str, key: str) -> dict[str, object]:
    """H2OGPTE calls that change what a later call reads: what each read answered after its write."""
    from h2ogpte import H2OGPTE

    client = H2OGPTE(address=url, api_key=key)
    cid = _ingested(client)
    (doc,) = client.list_documents_in_collection(cid, 0, 10)
    renamed = client.update_document_name(doc.id, "  renamed.csv ")
    client.update_document_uri(doc.id, "https://example.com/sales.csv")
    got = client.get_document(doc.id)
    client.update_document_metadata(doc.id, {"team": "a", "year": 2024})
    client.update_collection_metadata(cid, {"team": "a"})
    other = client.create_collection(name="other", description="d")
    client.update_collection_metadata(other, {"team": "b"})

    def documents(wanted: dict[str, object]) -> list[str]:
        return [d.id for d in client.list_documents_in_collection(cid, 0, 10, metadata_filter=wanted)]

    def collections(wanted: dict[str, object]) -> list[str]:
        listed = client.list_recent_collections_metadata_filter(0, 10, current_user_only=True, metadata_filter=wanted)
        return [c.id for c in listed]

    from h2ogpte.types import SharePermission

    client.share_collection(cid, SharePermission(username="alice@example.com", permissions=["read", "edit"]))
    shared = client.list_collection_permissions(cid)
    return {
        "shared": [(p.username, p.permissions) for p in shared],
        "other_id": other,
        "collection_id": cid,
        "documents_by_metadata": [documents({"team": "a", "year": 2024}), documents({"team": "b"}), documents({})],
        "collections_by_metadata": [collections({"team": "a"}), collections({"team": "c"})],
        "document_id": doc.id,
        "renamed": renamed,
        "name": got.name,
        "uri": got.uri,
        "updated_later": got.updated_at > doc.updated_at,
        "listed": [(d.name, d.uri) for d in client.list_documents_in_collection(cid, 0, 10)],
        "chunk_names": sorted({c.name for c in client.list_document_chunks(doc.id)}),
    }


def shared_flow(url: str, key: str) -> dict[str, object]:
    """One document imported into a second and a third collection, then taken out of and deleted with them: each
    collection's documents after each step, and whether the document is still there."""
    from h2ogpte import H2OGPTE

    client = H2OGPTE(address=url, api_key=key)
    first = _ingested(client)
    (doc,) = client.list_documents_in_collection(first, 0, 10)
    second = client.create_collection(name="second", description="d")
    third = client.create_collection(name="third", description="d")
    client.import_document_into_collection(second, doc.id)
    client.import_document_into_collection(third, doc.id)

    def listed() -> list[list[str]]:
        return [[d.id for d in client.list_documents_in_collection(c, 0, 10)] for c in (first, second, third)]

    def exists() -> bool:
        try:
            client.get_document(doc.id)
        except Exception:  # the client's not-found error: the document is gone
            return False
        return True

    out: dict[str, object] = {"document_id": doc.id, "imported": listed()}
    out["counts"] = [client.get_collection(c).document_count for c in (first, second, third)]
    out["collection_ids"] = [first, second, third]
    out["collections_of_document"] = [c.id for c in client.list_collections_for_document(doc.id, 0, 10)]
    out["document_count"] = client.count_documents()
    out["recent_documents"] = [d.id for d in client.list_recent_documents(0, 10)]
    client.delete_collections([first])
    out["first_deleted"] = [[d.id for d in client.list_documents_in_collection(c, 0, 10)] for c in (second, third)]
    out["collections_after_first"] = [c.id for c in client.list_collections_for_document(doc.id, 0, 10)]
    out["after_first"] = exists()
    client.delete_documents_from_collection(second, [doc.id])
    out["second_left"] = [[d.id for d in client.list_documents_in_collection(c, 0, 10)] for c in (second, third)]
    out["after_second"] = exists()
    client.delete_collections([third])
    out["after_third"] = exists()
    return out


def copied_flow(url: str, key: str) -> dict[str, object]:
    """One document imported with copy_document into a second collection, and the first collection imported with
    copy_document into a third: each collection's documents (id, name), the copies' text, and what deleting the
    original leaves; then skip_reparse with copy_document, which the client says cannot be combined: the job's
    status and errors, and the collections after. The original has metadata: "copied_metadata" is what each copy
    carries, made without preserve_metadata (second, third), with it false, and with it true, by both operations."""
    from h2ogpte import H2OGPTE

    client = H2OGPTE(address=url, api_key=key)
    first = _ingested(client)
    (doc,) = client.list_documents_in_collection(first, 0, 10)
    client.update_document_metadata(doc.id, COPIED_METADATA)
    second = client.create_collection(name="second", description="d")
    third = client.create_collection(name="third", description="d")
    client.import_document_into_collection(second, doc.id, copy_document=True)
    client.import_collection_into_collection(third, first, copy_document=True)

    def listed() -> list[list[tuple[str, str]]]:
        return [[(d.id, d.name) for d in client.list_documents_in_collection(c, 0, 10)] for c in (first, second, third)]

    copies: dict[str, str] = {"none_document": second, "none_collection": third}
    for preserve in (False, True):
        copies[f"{str(preserve).lower()}_document"] = into = client.create_collection(name="d", description="d")
        client.import_document_into_collection(into, doc.id, copy_document=True, preserve_metadata=preserve)
        copies[f"{str(preserve).lower()}_collection"] = into = client.create_collection(name="c", description="d")
        client.import_collection_into_collection(into, first, copy_document=True, preserve_metadata=preserve)

    def metadata(cid: str) -> list[object]:
        return [[d.id, d.metadata_dict] for d in client.list_documents_in_collection(cid, 0, 10)]

    out: dict[str, object] = {"document_id": doc.id, "copied": listed()}
    out["copied_metadata"] = {how: metadata(cid) for how, cid in copies.items()}
    out["original_metadata"] = client.get_document(doc.id).metadata_dict
    out["collections_of_document"] = [c.id for c in client.list_collections_for_document(doc.id, 0, 10)]
    client.delete_documents([doc.id])
    out["after_delete"] = listed()
    refused = client.import_collection_into_collection(third, second, copy_document=True, skip_reparse=True)
    out["combined"] = [refused.failed, refused.errors]
    out["after_combined"] = listed()
    return out


def shared_rest_flow(url: str, key: str) -> dict[str, object]:
    """One document imported into a second collection (H2OGPTE), then a RAG answer in a chat on the second and the
    document taken out of the first through the REST client's DELETE /collections/{id}/documents/{id}: the
    references' collection, and each collection's documents after."""
    from h2ogpte import H2OGPTE
    from h2ogpte import rest_sync as rest

    client = H2OGPTE(address=url, api_key=key)
    first = _ingested(client)
    (doc,) = client.list_documents_in_collection(first, 0, 10)
    second = client.create_collection(name="second", description="d")
    client.import_document_into_collection(second, doc.id)
    with rest.ApiClient(rest.Configuration(host=f"{url}/api/v1", access_token=key)) as api:
        chats = rest.ChatApi(api)
        chat = chats.create_chat_session(collection_id=second)
        req = rest.ChatCompletionRequest(message="Which product sold best?", rag_config={"rag_type": "rag"})
        comp = chats.get_completion(chat.id, req)
        refs = chats.get_message_references(comp.message_id)
        rest.CollectionsApi(api).delete_document_from_collection(first, doc.id)
    return {
        "document_id": doc.id,
        "collection_ids": [first, second],
        "references": [(r.collection_id, r.document_id) for r in refs],
        "left": [[d.id for d in client.list_documents_in_collection(c, 0, 10)] for c in (first, second)],
    }


def insert_rest_flow(url: str, key: str) -> dict[str, object]:
    """One document put into a second collection through the REST client's insert_document_into_collection (PUT
    /collections/{id}/documents/{id}, no job), then an unknown document put there: each collection's documents after,
    the second's document_count, and the status the unknown one got."""
    from h2ogpte import H2OGPTE
    from h2ogpte import rest_sync as rest

    client = H2OGPTE(address=url, api_key=key)
    first = _ingested(client)
    (doc,) = client.list_documents_in_collection(first, 0, 10)
    second = client.create_collection(name="second", description="d")
    with rest.ApiClient(rest.Configuration(host=f"{url}/api/v1", access_token=key)) as api:
        collections = rest.CollectionsApi(api)
        collections.insert_document_into_collection(second, doc.id)
        try:
            collections.insert_document_into_collection(second, "no-such-document")
            unknown = 0
        except rest.ApiException as exc:
            unknown = exc.status
    return {
        "document_id": doc.id,
        "listed": [[d.id for d in client.list_documents_in_collection(c, 0, 10)] for c in (first, second)],
        "count": client.get_collection(second).document_count,
        "collections_of_document": sorted(c.id for c in client.list_collections_for_document(doc.id, 0, 10)),
        "collection_ids": sorted([first, second]),
        "unknown_status": unknown,
    }


def scheduler_flow(url: str, key: str) -> dict[str, object]:
    """get_scheduler_stats (GET /jobs/pending/count) before and after two ingestion jobs are submitted through the
    REST client (the mock's jobs stay queued long enough to be counted), and count_prompt_templates as templates are
    made and deleted."""
    from h2ogpte import H2OGPTE
    from h2ogpte import rest_sync as rest

    client = H2OGPTE(address=url, api_key=key)
    before = client.get_scheduler_stats().model_dump()
    cid = client.create_collection(name="demo", description="d")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.csv"
        path.write_bytes(CSV)
        uids = []
        for _ in range(2):
            with path.open("rb") as fh:
                uids.append(client.upload("sales.csv", fh))
    with rest.ApiClient(rest.Configuration(host=f"{url}/api/v1", access_token=key)) as api:
        ingestion = rest.DocumentIngestionApi(api)
        jobs = [ingestion.create_ingest_upload_job([uid], cid).id for uid in uids]
    queued = client.get_scheduler_stats().model_dump()
    templates = [client.count_prompt_templates()]
    made = [client.create_prompt_template(name=f"template {i}") for i in range(2)]
    templates.append(client.count_prompt_templates())
    client.delete_prompt_templates(made[:1])
    templates.append(client.count_prompt_templates())
    return {"before": before, "queued": queued, "jobs": jobs, "templates": templates}


def usage_flow(url: str, key: str) -> dict[str, object]:
    """The LLM usage statistics after answered calls of every kind: a query over the WebSocket ("auto"), a REST
    completion (gpt-4o-mini), an agent answer, a summarize_content call, an OpenAI-compatible chat completion and a
    query by a second user (alice, through a key made for her): each get_llm_usage_* answer, model_dump'ed, and the
    usage_stats metadata of the REST completion."""
    import httpx
    from h2ogpte import H2OGPTE
    from h2ogpte import rest_sync as rest

    client = H2OGPTE(address=url, api_key=key)
    before = client.get_llm_usage_24h()
    cid = _ingested(client)
    sid = client.create_chat_session(cid)
    with client.connect(sid) as session:
        session.query("Which product sold best?", llm="auto", timeout=60)
    with rest.ApiClient(rest.Configuration(host=f"{url}/api/v1", access_token=key)) as api:
        chats = rest.ChatApi(api)
        chat = chats.create_chat_session(collection_id=cid)
        asked = rest.ChatCompletionRequest(message="Sum the revenue", llm="gpt-4o-mini")
        comp = chats.get_completion(chat.id, asked)
        (meta,) = chats.get_message_meta(comp.message_id, info_type="usage_stats")
        agent = rest.ChatCompletionRequest(message="Write best.csv", llm="auto", llm_args={"use_agent": True})
        chats.get_completion(chat.id, agent)
    client.summarize_content(text_context_list=["Widget A sold best. Widget B sold less."], llm="auto")
    answered = httpx.post(
        f"{url}/openai_api/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "auto", "messages": [{"role": "user", "content": "hi there"}]},
        timeout=30,
    ).json()
    alice_key = client.create_api_key_for_user(user_id="00000000-0000-4000-8000-000000000002", name="alice")
    alice = H2OGPTE(address=url, api_key=alice_key)
    alice_cid = alice.create_collection(name="alice", description="d")
    with alice.connect(alice.create_chat_session(alice_cid)) as session:
        session.query("hello from alice", llm="Llama 3.3 70B", timeout=60)

    def dump(items: list[Any]) -> list[dict[str, Any]]:
        return [i.model_dump() for i in items]

    return {
        "before": before,
        "usage_24h": client.get_llm_usage_24h(),
        "usage_6h": client.get_llm_usage_6h(),
        "alice_24h": alice.get_llm_usage_24h(),
        "with_limits": client.get_llm_usage_with_limits("24 hours").model_dump(),
        "limits_24h": client.get_llm_usage_24h_with_limits().model_dump(),
        "by_llm": dump(client.get_llm_usage_by_llm("1 day")),
        "by_llm_24h": dump(client.get_llm_usage_24h_by_llm()),
        "by_llm_6h": dump(client.get_llm_usage_6h_by_llm()),
        "by_user": dump(client.get_llm_usage_by_user("24 hours")),
        "by_llm_and_user": dump(client.get_llm_usage_by_llm_and_user("24 hours")),
        "performance": dump(client.get_llm_performance_by_llm("24 hours")),
        "completion_usage": json.loads(meta.content),
        "openai_usage": answered["usage"],
    }


def job_stats_flow(url: str, key: str) -> dict[str, object]:
    """count_jobs_by_status (GET /admin/jobs/stats) after an ingestion and a delete job: the counts by default (the
    last 7 days) and from a moment after both."""
    import datetime

    from h2ogpte import H2OGPTE

    client = H2OGPTE(address=url, api_key=key)
    cid = _ingested(client)
    client.delete_collections([cid])
    later = datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)
    return {
        "default": client.count_jobs_by_status().model_dump(),
        "later": client.count_jobs_by_status(created_after=later).model_dump(),
    }


def main() -> None:
    url, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    flows = {
        "rest": rest_flow,
        "highlevel": highlevel_flow,
        "readback": readback_flow,
        "shared": shared_flow,
        "shared-rest": shared_rest_flow,
        "copied": copied_flow,
        "insert-rest": insert_rest_flow,
        "job-stats": job_stats_flow,
        "scheduler": scheduler_flow,
        "usage": usage_flow,
        "sweep-sync": h2ogpte_official_sweep.sweep_sync,
        "sweep-async": h2ogpte_official_sweep.sweep_async,
        "sweep-openai": h2ogpte_official_sweep.sweep_openai,
    }
    print(json.dumps(flows[mode](url, key)))


if __name__ == "__main__":
    main()
