"""The official h2ogpte 1.7.5 clients run against the mock in a subprocess: the generated REST client through the
seed flow, and the high-level ``H2OGPTE`` client (REST + /rpc + the /ws WebSocket)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.jobs import JobTiming

COPIED_METADATA = {"team": "a", "year": 2024}

Drive = Callable[..., dict[str, Any]]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("h2ogpte") is None, reason="h2ogpte is not installed")


@pytest.fixture
def state() -> H2OGPTeMockState:
    """The mock with realistic timings on a clock ten times faster than wall time."""
    return H2OGPTeMockState(clock=MonotonicClock(speed=10.0), timings=H2OGPTeTimings(), stream_speed=10.0)


@pytest.fixture
def openai_client(url: str) -> Iterator[Any]:
    """The openai client on the mock's OpenAI-compatible part, closed after the test: left open, its connections
    were found by a later test's garbage collection as unclosed sockets (a ResourceWarning, an error there)."""
    openai = pytest.importorskip("openai", reason="the openai client is not installed")
    with openai.OpenAI(base_url=f"{url}/openai_api/v1", api_key=DEFAULT_KEY, max_retries=0) as client:
        yield client


def test_rest_sync_runs_the_seed_flow(url: str, state: H2OGPTeMockState, drive: Drive) -> None:
    """Every answer of the seed flow deserializes into the generated models, and the results hang together."""
    out = drive(url, DEFAULT_KEY, "rest")
    assert out["models"]
    assert out["message_id"]
    assert out["references"] == ["sales.csv"], "the RAG answer cites the document the flow ingested"
    assert out["files"] == ["best.csv"]
    (meta,) = out["agent_files_meta"]
    assert list(json.loads(meta)[0].values()) == ["best.csv"]
    assert out["dirs"] == [1]
    question, answer = out["messages"]
    assert question[1] is None
    assert answer == [out["message_id"], question[0]]
    assert out["block_total"] == 1
    assert out["block_content"] == "y"
    assert out["default_llm"] == out["block_id"]
    assert out["tool_name"] == "my_tool"
    assert out["deleted_tools"] == 1
    assert "built_in" in out["agents"]
    assert out["collection_gone"] is True
    assert state.internal_errors == []
    seen = {(r.method, r.path.split("/")[3] if r.path.startswith("/api/v1/") else r.path) for r in state.requests}
    assert ("PUT", "uploads") in seen
    assert all(r.status < 500 for r in state.requests)


def test_high_level_client_ingests_and_queries_over_the_websocket(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """H2OGPTE: /rpc/meta, /rpc/fs, an ingestion job it polls, a chat session and a query over /ws."""
    out = drive(url, DEFAULT_KEY, "highlevel")
    assert out["document_count"] == 1, "ingest_uploads returns only once its job has completed"
    assert "sales.csv" in out["reply"]
    assert out["partials"] >= 2
    paths = [r.path for r in state.requests]
    assert "/rpc/meta" in paths
    assert "/rpc/fs" in paths
    assert any(p.startswith("/api/v1/jobs/") for p in paths)
    assert state.internal_errors == []
    question = state.messages[out["reply_to"]]
    assert question["reply_to"] is None
    assert question["_session"] == out["session_id"]


def test_high_level_client_reads_back_a_renamed_document(url: str, state: H2OGPTeMockState, drive: Drive) -> None:
    """update_document_name and update_document_uri (PATCH /documents/{id}) change what get_document, the listing
    and the chunks read; the rename is trimmed by the client and answers the document's id."""
    out = drive(url, DEFAULT_KEY, "readback")
    assert out["renamed"] == out["document_id"]
    assert (out["name"], out["uri"]) == ("renamed.csv", "https://example.com/sales.csv")
    assert out["updated_later"] is True
    assert out["listed"] == [["renamed.csv", "https://example.com/sales.csv"]]
    assert out["chunk_names"] == ["renamed.csv"]
    assert state.internal_errors == []


def test_high_level_client_lists_by_metadata(url: str, state: H2OGPTeMockState, drive: Drive) -> None:
    """list_documents_in_collection and list_recent_collections_metadata_filter keep what the metadata filter
    matches (each key with its value), after update_document_metadata and update_collection_metadata."""
    out = drive(url, DEFAULT_KEY, "readback")
    doc = out["document_id"]
    assert out["documents_by_metadata"] == [[doc], [], [doc]]
    assert out["collections_by_metadata"] == [[out["collection_id"]], []]
    assert state.internal_errors == []


def test_high_level_client_reads_back_the_permissions_it_shared(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """share_collection sends the permissions in the body; list_collection_permissions answers them."""
    out = drive(url, DEFAULT_KEY, "readback")
    assert out["shared"] == [["alice@example.com", ["read", "edit"]]]
    assert state.internal_errors == []


def test_openai_client_gets_an_answer_cut_at_max_tokens(url: str, state: H2OGPTeMockState, openai_client: Any) -> None:
    """max_tokens (seed 004's request) stops the answer after that many tokens with finish_reason "length", streamed
    or not, and usage counts the tokens sent; without it the whole answer ends with "stop"."""
    client = openai_client
    messages = [{"role": "user", "content": "Tell me about the sales figures"}]
    whole = client.chat.completions.create(model="auto", messages=messages)
    assert whole.choices[0].finish_reason == "stop"
    assert whole.usage is not None
    assert whole.usage.completion_tokens > 3
    cut = client.chat.completions.create(model="auto", messages=messages, max_tokens=3)
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None
    assert cut.usage.completion_tokens == 3
    assert whole.choices[0].message.content.startswith(cut.choices[0].message.content)
    stream = client.chat.completions.create(
        model="auto", messages=messages, max_tokens=3, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == cut.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert state.internal_errors == []


def test_high_level_client_keeps_one_document_in_several_collections(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """import_document_into_collection puts the document in another collection too (the real server keeps one
    document in several); deleting a collection, or removing the document from one, leaves it in the others, and
    it is gone only with the last (the seeds are silent: the client's docs say delete_documents_from_collection
    removes it from a collection, and delete_documents from the system and all collections)."""
    out = drive(url, DEFAULT_KEY, "shared")
    doc = out["document_id"]
    assert out["imported"] == [[doc], [doc], [doc]]
    assert out["counts"] == [1, 1, 1]
    assert out["first_deleted"] == [[doc], [doc]]
    assert out["after_first"] is True
    assert out["second_left"] == [[], [doc]]
    assert out["after_second"] is True
    assert out["after_third"] is False
    assert doc not in state.documents
    assert state.internal_errors == []


def test_high_level_client_saves_a_new_copy_with_copy_document(url: str, state: H2OGPTeMockState, drive: Drive) -> None:
    """import_document_into_collection and import_collection_into_collection with copy_document ("Whether to save a
    new copy of the document") put a document of its own, with a new id and the same name, in the target: the
    original stays in its one collection, and deleting it leaves the copies. skip_reparse with copy_document is
    refused (the client: "Cannot be combined with copy_document=True"): its job fails and imports nothing (a 400
    would refuse a request the contract cannot tell from a valid one)."""
    out = drive(url, DEFAULT_KEY, "copied")
    doc = out["document_id"]
    (original,), (into_second,), (into_third,) = out["copied"]
    assert original == [doc, "sales.csv"]
    assert into_second[1] == into_third[1] == "sales.csv"
    assert len({doc, into_second[0], into_third[0]}) == 3
    assert len(out["collections_of_document"]) == 1
    assert out["after_delete"] == [[], [into_second], [into_third]]
    failed, errors = out["combined"]
    assert failed == 1.0
    assert any("copy_document" in error for error in errors)
    assert out["after_combined"] == out["after_delete"]
    assert state.internal_errors == []


def test_high_level_client_s_copy_carries_the_original_s_metadata_only_with_preserve_metadata(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """preserve_metadata on both copying operations (the client: "Whether to preserve the document's existing
    metadata when importing"): the copy made with it true carries the original's metadata; made with it false or
    without it (no default is documented: taken as false) it carries none. The original keeps its own."""
    out = drive(url, DEFAULT_KEY, "copied")
    doc = out["document_id"]
    assert out["original_metadata"] == COPIED_METADATA
    carried = {}
    for how, documents in out["copied_metadata"].items():
        ((copy_id, metadata),) = documents
        assert copy_id != doc, how
        carried[how] = metadata
    kept = {how: metadata for how, metadata in carried.items() if metadata}
    assert kept == {"true_document": COPIED_METADATA, "true_collection": COPIED_METADATA}
    assert len(carried) == 6
    assert state.internal_errors == []


def test_high_level_client_lists_every_collection_a_document_is_in(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """list_collections_for_document names every collection the document was imported into (and no longer the one
    deleted), and count_documents and list_recent_documents count the shared document once."""
    out = drive(url, DEFAULT_KEY, "shared")
    first, second, third = out["collection_ids"]
    assert sorted(out["collections_of_document"]) == sorted([first, second, third])
    assert sorted(out["collections_after_first"]) == sorted([second, third])
    assert out["document_count"] == 1
    assert out["recent_documents"] == [out["document_id"]]
    assert state.internal_errors == []


def test_rest_client_answers_and_deletes_in_the_collection_named(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """A RAG answer in a chat on the collection a document was imported into cites it in that collection, and the
    REST client's delete_document_from_collection takes it out of the collection named only."""
    out = drive(url, DEFAULT_KEY, "shared-rest")
    doc = out["document_id"]
    second = out["collection_ids"][1]
    assert out["references"] == [[second, doc]]
    assert out["left"] == [[], [doc]]
    assert state.internal_errors == []


def test_rest_client_inserts_a_document_into_another_collection(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """The REST client's insert_document_into_collection (no job) puts the document in the collection named too, as
    its job twin does: both collections list it and count it, and an unknown document is a 404."""
    out = drive(url, DEFAULT_KEY, "insert-rest")
    doc = out["document_id"]
    assert out["listed"] == [[doc], [doc]]
    assert out["count"] == 1
    assert out["collections_of_document"] == out["collection_ids"]
    assert out["unknown_status"] == 404
    assert state.internal_errors == []


def test_openai_client_is_told_an_unknown_model_was_not_found(
    url: str, state: H2OGPTeMockState, openai_client: Any
) -> None:
    """A chat completion or response naming a model the list lacks gets OpenAI's 404 (the seeds are silent):
    code model_not_found, which the openai client raises as NotFoundError, streamed or not; "auto" and the listed
    models are answered."""
    openai = pytest.importorskip("openai", reason="the openai client is not installed")
    client = openai_client
    messages = [{"role": "user", "content": "hi"}]
    calls = [
        lambda: client.chat.completions.create(model="no-such-model", messages=messages),
        lambda: client.chat.completions.create(model="no-such-model", messages=messages, stream=True),
        lambda: client.responses.create(model="no-such-model", input="hi"),
        lambda: client.models.retrieve("no-such-model"),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as err:
            call()
        assert err.value.code == "model_not_found"
        assert err.value.type == "invalid_request_error"
        assert "no-such-model" in err.value.message
    listed = next(iter(client.models.list())).id
    assert client.chat.completions.create(model=listed, messages=messages).choices[0].message.content
    assert client.responses.create(model="auto", input="hi").status == "completed"
    assert state.internal_errors == []


def test_openai_client_gets_n_choices(url: str, state: H2OGPTeMockState, openai_client: Any) -> None:
    """n=2 answers two choices (indexes 0 and 1), streamed or not, and usage counts the tokens of both, as OpenAI's
    API does (seed 004 is silent on n)."""
    client = openai_client
    messages = [{"role": "user", "content": "Tell me about the sales figures"}]
    one = client.chat.completions.create(model="auto", messages=messages)
    two = client.chat.completions.create(model="auto", messages=messages, n=2)
    assert [c.index for c in two.choices] == [0, 1]
    assert all(c.message.content and c.finish_reason == "stop" for c in two.choices)
    assert one.usage is not None
    assert two.usage is not None
    assert two.usage.completion_tokens == 2 * one.usage.completion_tokens
    stream = client.chat.completions.create(
        model="auto", messages=messages, n=2, stream=True, stream_options={"include_usage": True}
    )
    texts: dict[int, str] = {}
    finished: dict[int, str | None] = {}
    chunks = list(stream)
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            finished[choice.index] = choice.finish_reason or finished.get(choice.index)
    assert texts == {0: two.choices[0].message.content, 1: two.choices[1].message.content}
    assert finished == {0: "stop", 1: "stop"}
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == two.usage.completion_tokens
    assert state.internal_errors == []


def test_openai_client_gets_a_response_cut_at_max_output_tokens(
    url: str, state: H2OGPTeMockState, openai_client: Any
) -> None:
    """The Responses API's max_output_tokens stops the answer after that many tokens with status "incomplete" and
    incomplete_details.reason "max_output_tokens", as OpenAI's Responses API does (seed 004 documents the endpoint,
    not the field); streamed, the last event is response.incomplete."""
    client = openai_client
    question = "Tell me about the sales figures"
    whole = client.responses.create(model="auto", input=question)
    assert (whole.status, whole.incomplete_details) == ("completed", None)
    cut = client.responses.create(model="auto", input=question, max_output_tokens=3)
    assert cut.status == "incomplete"
    assert cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"
    assert cut.output_text
    assert whole.output_text.startswith(cut.output_text)
    assert len(cut.output_text.split()) == 3
    events = list(client.responses.create(model="auto", input=question, max_output_tokens=3, stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == cut.output_text
    assert state.internal_errors == []


def test_high_level_client_counts_the_jobs_it_ran(url: str, state: H2OGPTeMockState, drive: Drive) -> None:
    """count_jobs_by_status counts the mock's jobs by status (an ingestion and a collection deletion, both
    completed), those created since created_after (the last 7 days when omitted); the seeds are silent."""
    out = drive(url, DEFAULT_KEY, "job-stats")
    default, later = out["default"], out["later"]
    assert default["total"] == len(state.jobs.all()) >= 2
    assert default["completed"] == default["total"]
    assert sum(default[k] for k in default if k != "total") == default["total"]
    assert later == dict.fromkeys(later, 0)
    assert state.internal_errors == []


def test_high_level_client_counts_the_queued_jobs_and_its_templates(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """get_scheduler_stats counts the jobs still queued (two ingestions, an hour in the queue here), in all and for
    their queue; count_prompt_templates follows the templates made and deleted (the seeds are silent on both)."""
    state.timings = dataclasses.replace(state.timings, ingest=JobTiming(queued=3600.0, running=1.0))
    out = drive(url, DEFAULT_KEY, "scheduler")
    assert out["before"] == {"queue_length": 0, "queue_infos": []}
    assert out["queued"] == {"queue_length": 2, "queue_infos": [{"name": "IngestUploadsJob", "length": 2}]}
    assert [state.jobs.get(j) is not None for j in out["jobs"]] == [True, True]
    assert out["templates"] == [0, 2, 1]
    assert state.internal_errors == []


def test_high_level_client_reads_the_llm_usage_of_the_calls_answered(
    url: str, state: H2OGPTeMockState, drive: Drive
) -> None:
    """Every LLM call the mock answers counts in the usage statistics (the seeds are silent): the WebSocket query,
    the REST and agent completions, summarize_content and the OpenAI-compatible completion, by the model they named
    ("auto" is the first listed, a display name its model) and the user who asked; a user's own figures
    (get_llm_usage_24h/6h/with_limits/by_llm) hold their calls only, by_user and by_llm_and_user every user's."""
    out = drive(url, DEFAULT_KEY, "usage")
    danube, llama, mini = "h2oai/h2o-danube3-4b-chat", "meta-llama/Llama-3.3-70B-Instruct", "gpt-4o-mini"
    assert out["before"] == 0
    mine = {row["llm_name"]: row for row in out["by_llm"]}
    assert {name: row["call_count"] for name, row in mine.items()} == {danube: 4, mini: 1}
    assert out["by_llm_24h"] == out["by_llm_6h"] == out["by_llm"]
    spent = sum(row["llm_cost"] for row in out["by_llm"])
    assert spent > 0
    assert out["usage_24h"] == out["usage_6h"] == pytest.approx(spent)
    assert out["with_limits"] == {**out["limits_24h"], "interval": "24 hours"}
    assert out["with_limits"]["current"] == pytest.approx(spent)
    assert out["with_limits"]["cost_unit"]
    assert 0 < out["alice_24h"] != out["usage_24h"]
    asked = out["completion_usage"]
    assert (mine[mini]["input_tokens"], mine[mini]["output_tokens"]) == (asked["input_tokens"], asked["output_tokens"])
    assert mine[mini]["llm_cost"] == pytest.approx(asked["cost"])
    assert mine[danube]["input_tokens"] >= out["openai_usage"]["prompt_tokens"]
    users = {row["username"]: row for row in out["by_user"]}
    assert set(users) == {"harness@example.com", "alice@example.com"}
    assert users["harness@example.com"]["llm_usage"] == out["by_llm"]
    assert [row["llm_name"] for row in users["alice@example.com"]["llm_usage"]] == [llama]
    by_model = {row["llm_name"]: row for row in out["by_llm_and_user"]}
    assert set(by_model) == {danube, llama, mini}
    for row in out["by_llm_and_user"]:
        assert row["total_calls"] == sum(u["call_count"] for u in row["user_usage"])
        assert row["total_output_tokens"] == sum(u["output_tokens"] for u in row["user_usage"])
        assert row["total_cost"] == pytest.approx(sum(u["llm_cost"] for u in row["user_usage"]))
    assert [u["username"] for u in by_model[llama]["user_usage"]] == ["alice@example.com"]
    performance = {row["llm_name"]: row for row in out["performance"]}
    assert {name: row["call_count"] for name, row in performance.items()} == {danube: 4, llama: 1, mini: 1}
    assert all(row["tokens_per_second"] > 0 and row["time_to_first_token"] > 0 for row in out["performance"])
    assert state.internal_errors == []


def test_openai_client_is_answered_for_the_contracts_model_example(
    url: str, state: H2OGPTeMockState, openai_client: Any
) -> None:
    """The contract's example model of both OpenAI operations is one the mock serves, so schemathesis's examples
    (and the coverage phase, which draws them too) reach the 200 answer: a drawn model string is OpenAI's 404."""
    from h2oharness.openapi import contract_document

    schemas = contract_document("h2ogpte")["components"]["schemas"]
    chat = schemas["OpenAIChatCompletionRequest"]["properties"]["model"].get("example")
    response = schemas["OpenAIResponsesRequest"]["properties"]["model"].get("example")
    assert isinstance(chat, str)
    assert isinstance(response, str)
    client = openai_client
    messages = [{"role": "user", "content": "hi"}]
    assert client.chat.completions.create(model=chat, messages=messages).choices[0].message.content
    assert client.responses.create(model=response, input="hi").status == "completed"
    assert state.internal_errors == []
