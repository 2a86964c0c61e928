"""Every registered API has the same pieces in the same places."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from h2oharness.apis import APIS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("slug", sorted(APIS))
def test_api_folder_has_mock_client_payloads(slug: str) -> None:
    for module in ("mock", "client", "payloads"):
        importlib.import_module(f"h2oharness.apis.{slug}.{module}")
    mock = importlib.import_module(f"h2oharness.apis.{slug}.mock")
    assert callable(mock.make_app)


@pytest.mark.parametrize("slug", sorted(APIS))
def test_api_has_contract_tests_and_a_scenario(slug: str) -> None:
    assert (ROOT / APIS[slug].contract).is_file()
    assert (ROOT / "contracts" / slug / f"test_{slug}_contract.py").is_file()
    assert list((ROOT / "scenarios").glob(f"test_{slug}_*.py")), f"no scenario for {slug}"


@pytest.mark.parametrize("slug", sorted(APIS))
def test_make_app_builds_independent_apps(slug: str) -> None:
    mock = importlib.import_module(f"h2oharness.apis.{slug}.mock")
    assert mock.make_app() is not mock.make_app()
