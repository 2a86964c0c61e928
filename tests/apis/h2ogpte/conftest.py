"""Fixtures for the h2oGPTe tests: a mock on loopback over a hand-driven clock, and clients with and without a key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.serve import serve

AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()


@pytest.fixture
def mock_state(manual_clock: ManualClock) -> H2OGPTeMockState:
    """Mock state on a manual clock: ingestion takes 2 s (queued 0.5 s), answers have no pauses."""
    timings = H2OGPTeTimings(ingest=JobTiming(queued=0.5, running=1.5), first_token=0.0, token_gap=0.0, tokens=12)
    return H2OGPTeMockState(clock=manual_clock, timings=timings)


@pytest.fixture
def mock_url(mock_state: H2OGPTeMockState) -> Iterator[str]:
    """The mock served over loopback."""
    with serve(make_app(mock_state)) as served:
        yield served.url


@pytest.fixture
def http(mock_url: str) -> Iterator[httpx.Client]:
    """An httpx client with the mock's key."""
    with httpx.Client(base_url=mock_url, headers=AUTH, timeout=30.0) as client:
        yield client


@pytest.fixture
def anonymous(mock_url: str) -> Iterator[httpx.Client]:
    """An httpx client without a key."""
    with httpx.Client(base_url=mock_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def gpte(http: httpx.Client) -> H2OGPTeClient:
    """The harness client on the mock."""
    return H2OGPTeClient(http)
