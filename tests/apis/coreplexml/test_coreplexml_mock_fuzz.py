"""Schemathesis's positive and negative cases for every operation of the contract: never a 5xx nor a mock bug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from h2oharness.settings import Settings

CONTRACT = Path(__file__).parents[3] / "contracts" / "coreplexml"
current = Settings.from_env()
schema = schemathesis.openapi.from_path(
    CONTRACT / "openapi.yaml", config=schemathesis.Config.from_path(CONTRACT / "schemathesis.toml")
)
schema.config.seed = current.seed or 13  # HARNESS_SEED and HARNESS_MAX_EXAMPLES for a longer exploratory run


@schema.parametrize()
@settings(
    max_examples=current.max_examples or 10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_coreplexml_mock_fuzz(case: Any, mock_fuzz: Any) -> None:
    mock_fuzz.send(case)
