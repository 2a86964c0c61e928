"""The harness client against the mock: the seed calls, waiting for ingestion, and errors as exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient, H2OGPTeResponseError
from h2oharness.mocks.clock import ManualClock


@contextmanager
def past_the_ingestion_after_the_first_poll(
    client: H2OGPTeClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Move the mock's clock past an ingestion's end (2 s after its submission) once the first poll was answered.

    A wall-clock timer raced the first poll: on a busy machine the poll came after the timer and saw the end.
    """
    read = client.get_collection
    polls: list[dict[str, Any]] = []

    def reading(collection_id: str) -> dict[str, Any]:
        answer = read(collection_id)
        polls.append(answer)
        if len(polls) == 1:
            clock.advance(2.5)
        return answer

    with monkeypatch.context() as patch:
        patch.setattr(client, "get_collection", reading)
        yield


def test_wait_for_documents_sees_the_ingestion_end(
    client: H2OGPTeClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = client.create_collection("c", "d")["id"]
    client.ingest(client.upload("sales.csv", payloads.SALES_CSV.encode())["id"], cid)
    with past_the_ingestion_after_the_first_poll(client, clock, monkeypatch):
        result = client.wait_for_documents(cid, 1, timeout=20)
    assert result.status.final
    assert result.polls >= 2
    assert result.history[0][1].progress == 0.0


def test_errors_carry_the_endpoint_error(client: H2OGPTeClient) -> None:
    with pytest.raises(H2OGPTeResponseError) as err:
        client.get_collection("nope")
    assert err.value.status == 404
    assert "not found" in err.value.message
    assert client.delete_chat("nope", missing_ok=True) == 404
    with pytest.raises(ValueError, match="verb"):
        client.control("q", "rewind")


def test_agent_answer_files_and_download(client: H2OGPTeClient) -> None:
    session = client.create_chat()["id"]
    answer = client.complete(session, payloads.agent_completion())
    names = {f["filename"]: f for f in client.agent_files(session)}
    assert set(names) == {"sales_summary.csv", "monthly_revenue.csv"}
    meta = {m["message_type"] for m in client.meta(answer["message_id"])}
    assert set(payloads.INFO_TYPES) <= meta
    for doc_id, name in ((f["id"], n) for n, f in names.items()):
        assert len(client.download(doc_id, name)) == names[name]["bytes"]
    assert client.delete_agent_files(session) == 204
    assert client.agent_files(session) == []
    assert client.questions(session)


def test_waiting_for_one_more_document_starts_at_no_progress(
    client: H2OGPTeClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the load profile ingests one document after another into one collection: its 10th ingestion is not 90 % done
    cid = client.create_collection("c", "d")["id"]
    for number in range(1, 3):
        client.ingest(client.upload(f"sales{number}.csv", payloads.SALES_CSV.encode())["id"], cid)
        with past_the_ingestion_after_the_first_poll(client, clock, monkeypatch):
            result = client.wait_for_documents(cid, number, timeout=20)
        assert result.status.final
        assert result.history[0][1].progress == 0.0, number
