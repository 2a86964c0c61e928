"""Fixtures for the H2O-3 tests: the mock's state on the hand-driven clock, the client, and a training CSV."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> H2O3MockState:
    """Mock state with the default (realistic) job timings on a manual clock."""
    return H2O3MockState(clock=clock)


@pytest.fixture
def client(http: httpx.Client) -> H2O3Client:
    """The harness's H2O-3 client on the mock."""
    return H2O3Client(http)


@pytest.fixture
def train_csv(tmp_path: Path) -> Path:
    """The 200-row classification CSV, written where the mock (same machine) can import it."""
    path = tmp_path / "train.csv"
    path.write_text(classification_csv())
    return path
