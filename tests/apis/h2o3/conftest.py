"""Fixtures for the H2O-3 tests: a mock on loopback over a hand-driven clock, clients, and a training CSV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()


@pytest.fixture
def mock_state(manual_clock: ManualClock) -> H2O3MockState:
    """Mock state with the default (realistic) job timings on a manual clock."""
    return H2O3MockState(clock=manual_clock)


@pytest.fixture
def mock_url(mock_state: H2O3MockState) -> Iterator[str]:
    """The mock served over loopback (sync tests cannot use ASGITransport)."""
    with serve(make_app(mock_state)) as served:
        yield served.url


@pytest.fixture
def mock_http(mock_url: str) -> Iterator[httpx.Client]:
    """A plain httpx client on the mock."""
    with httpx.Client(base_url=mock_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def mock_client(mock_http: httpx.Client) -> H2O3Client:
    """The harness's H2O-3 client on the mock."""
    return H2O3Client(mock_http)


@pytest.fixture
def train_csv(tmp_path: Path) -> Path:
    """The 200-row classification CSV, written where the mock (same machine) can import it."""
    path = tmp_path / "train.csv"
    path.write_text(classification_csv())
    return path
