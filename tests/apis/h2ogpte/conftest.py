"""Fixtures for the h2oGPTe tests: the mock's state on the hand-driven clock, with quick answers, and the client."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState, H2OGPTeTimings
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobTiming


@pytest.fixture
def state(clock: ManualClock) -> H2OGPTeMockState:
    """Mock state on a manual clock: ingestion takes 2 s (queued 0.5 s), answers have no pauses."""
    timings = H2OGPTeTimings(ingest=JobTiming(queued=0.5, running=1.5), first_token=0.0, token_gap=0.0, tokens=12)
    return H2OGPTeMockState(clock=clock, timings=timings)


@pytest.fixture
def client(http: httpx.Client) -> H2OGPTeClient:
    """The harness's h2oGPTe client on the mock."""
    return H2OGPTeClient(http)


@pytest.fixture
def fuzz_names(fuzz_http: httpx.Client) -> dict[str, str]:
    """A collection with an upload, a chat session on it with one answered message, and a memory block."""
    client = H2OGPTeClient(fuzz_http)
    collection = client.create_collection("fuzz")["id"]
    upload = client.upload("fuzz.csv", b"a,b\n1,2\n")["id"]
    session = client.create_chat(collection)["id"]
    message = client.complete(session, {"message": "hello"})["message_id"]
    block = client.create_memory_block(payloads.memory_block("fuzz"))["id"]
    return {
        "collection_id": collection,
        "upload_ids": upload,
        "session_id": session,
        "message_id": message,
        "memory_block_id": block,
    }
