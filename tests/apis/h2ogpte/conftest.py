"""Fixtures for the h2oGPTe tests: the mock's state on the hand-driven clock, with quick answers, and the client."""

from __future__ import annotations

import httpx
import pytest

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
