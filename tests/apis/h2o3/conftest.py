"""Fixtures for the H2O-3 tests: the mock's state on the hand-driven clock, the client, and a training CSV."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params
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


@pytest.fixture
def fuzz_names(fuzz_http: httpx.Client, clock: ManualClock, train_csv: Path) -> dict[str, str]:
    """A parsed frame and a GBM trained on it, its job finished."""
    client = H2O3Client(fuzz_http)
    frame = client.parse(client.parse_setup(client.import_files(str(train_csv))["destination_frames"]))
    frame_name = str(frame["destination_frame"]["name"])
    clock.advance(3600)
    job = client.build_model("gbm", **gbm_params(frame_name))["job"]
    clock.advance(3600)
    model = str(job["dest"]["name"])
    frames = dict.fromkeys(("frame_id", "frame", "key", "predictions_frame", "actuals_frame"), frame_name)
    return {**frames, "model_id": model, "model": model, "job_id": str(job["key"]["name"]), "column": "label"}


@pytest.fixture
def fuzz_pinned(train_csv: Path) -> dict[str, str]:
    """The mock imports the files a path names: every case names the test's own CSV."""
    return {"path": str(train_csv), "paths": str(train_csv)}
