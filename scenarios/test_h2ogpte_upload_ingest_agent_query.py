"""Seed 003's flow end to end: health -> models -> collection -> upload CSV -> ingest -> wait -> agent and RAG
sessions -> agent query (JSON and JSONL stream) -> messages, meta, references -> agent files and download ->
pause and stop a live stream -> memory block round trip -> clean up."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient, H2OGPTeResponseError
from h2oharness.apis.h2ogpte.mock import INGEST_TIMEOUT
from h2oharness.targets import Target, job_timeout


def _question_of(gpte: H2OGPTeClient, session_id: str) -> str:
    """The id of the session's latest question (a message without reply_to), as the seed finds it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        questions = [m for m in gpte.messages(session_id) if not m.get("reply_to")]
        if questions:
            return str(questions[-1]["id"])
        time.sleep(0.05)
    pytest.fail(f"no question appeared in session {session_id} while its answer streamed")


def test_upload_ingest_agent_query(h2ogpte_target: Target, h2ogpte_http: httpx.Client) -> None:
    gpte = H2OGPTeClient(h2ogpte_http)
    assert gpte.readiness() == 200
    assert gpte.liveness() == 200
    models = gpte.models()
    assert models
    assert all(m["id"] and m["display_name"] for m in models)

    name = f"h2oharness-{uuid.uuid4().hex[:8]}"
    collection = gpte.create_collection(name, "h2oharness scenario: agent files from a CSV")
    cid = collection["id"]
    sessions: list[str] = []
    try:
        assert collection["document_count"] == 0
        upload = gpte.upload("sales_data.csv", payloads.SALES_CSV.encode())
        assert upload["filename"] == "sales_data.csv"
        gpte.ingest(upload["id"], cid)
        ingest_timeout = job_timeout(h2ogpte_target, "H2OGPTE_INGEST_TIMEOUT", mock=INGEST_TIMEOUT, real=180)
        gpte.wait_for_documents(cid, 1, timeout=ingest_timeout)
        assert gpte.get_collection(cid)["document_size"] >= len(payloads.SALES_CSV.encode())

        agent = gpte.create_chat()["id"]
        rag = gpte.create_chat(cid)["id"]
        sessions += [agent, rag]
        assert gpte.get_chat(rag)["collection_id"] == cid
        assert gpte.get_chat(agent).get("collection_id") is None

        # non-streaming agent query
        answer = gpte.complete(agent, payloads.agent_completion())
        message_id = answer["message_id"]
        assert message_id
        assert answer["body"].strip()

        # streaming agent query: the reader checks the order (finished last, with message_id) and times it
        streaming = gpte.create_chat()["id"]
        sessions.append(streaming)
        with gpte.stream(streaming, payloads.agent_completion(payloads.STREAM_PROMPT, accuracy="quick")) as stream:
            events = stream.read()
        assert stream.finished
        assert stream.message_id
        assert stream.text.strip()
        assert len(events) >= 2
        assert stream.stats.time_to_first_token is not None

        # messages: the question has no reply_to, the answer replies to it and is the message_id we got
        messages = gpte.messages(agent)
        questions = [m for m in messages if not m.get("reply_to")]
        replies = [m for m in messages if m.get("reply_to")]
        assert questions
        assert replies
        assert any(r["id"] == message_id and r["reply_to"] == questions[0]["id"] for r in replies)

        usage = gpte.meta(message_id, "usage_stats")
        assert usage
        assert isinstance(json.loads(usage[0]["content"]), dict)
        files_meta = gpte.meta(message_id, "agent_files")
        assert files_meta, "an agent answer that saved files has agent_files metadata"
        file_map: dict[str, str] = {}
        for entry in json.loads(files_meta[0]["content"]):
            file_map.update(entry)
        assert file_map

        # agent files: listed, with sizes that match what /file downloads
        listed = {f["filename"]: f for f in gpte.agent_files(agent)}
        for doc_id, filename in file_map.items():
            assert filename in listed, f"{filename} in agent_files metadata but not in agent_server_files"
            data = gpte.download(doc_id, filename)
            assert len(data) == listed[filename]["bytes"]
        stats = gpte.directory_stats(agent)
        assert stats
        assert sum(d["file_count"] for d in stats) >= len(file_map)

        # a RAG answer cites the document we ingested
        rag_answer = gpte.complete(rag, payloads.rag_completion("Which product sold best in January?"))
        references = gpte.references(rag_answer["message_id"])
        assert references
        assert {r["document_name"] for r in references} == {"sales_data.csv"}
        assert all(r["collection_id"] in (None, cid) for r in references)

        # pause and stop a live stream: both answer 204, and the stream still ends well-formed
        live = gpte.create_chat()["id"]
        sessions.append(live)
        with gpte.stream(live, payloads.agent_completion("Explain the revenue trend in detail.")) as stream:
            iterator = iter(stream)
            first = next(iterator)
            assert first.data.get("finished") is False
            question = _question_of(gpte, live)
            gpte.control(question, "pause")
            gpte.control(question, "resume")
            gpte.control(question, "stop")
            rest = list(iterator)
        assert stream.finished
        assert stream.message_id
        assert len(rest) >= 1

        # memory block round trip
        block_name = f"h2oharness {uuid.uuid4().hex[:8]}"
        block = gpte.create_memory_block(payloads.memory_block(block_name))
        assert block["name"] == block_name
        assert gpte.get_memory_block(block["id"])["content"] == block["content"]
        gpte.update_memory_block(block["id"], {"content": "Budget: $75,000 (revised Q2)"})
        assert gpte.get_memory_block(block["id"])["content"] == "Budget: $75,000 (revised Q2)"
        found = gpte.list_memory_blocks(name_filter=block_name, limit=10)
        assert [b["id"] for b in found["items"]] == [block["id"]]
        assert found["total"] == 1
        assert gpte.delete_memory_block(block["id"]) in (200, 204)
        with pytest.raises(H2OGPTeResponseError) as gone:
            gpte.get_memory_block(block["id"])
        assert gone.value.status == 404
    finally:
        for sid in sessions:
            gpte.delete_chat(sid, missing_ok=True)
        gpte.delete_collection(cid, missing_ok=True)
    # a second delete finds nothing: 404, which the seed says cleanup scripts may ignore
    assert gpte.delete_collection(cid, missing_ok=True) == 404
    assert all(gpte.delete_chat(sid, missing_ok=True) == 404 for sid in sessions)
