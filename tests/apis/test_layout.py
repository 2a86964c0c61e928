"""Every registered API has the same pieces in the same places."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from h2oharness.apis import APIS

ROOT = Path(__file__).resolve().parents[2]

#: the modules of every ``h2oharness/apis/<slug>/``; a module only one API has (h2o3's keys) is not listed
PACKAGE_MODULES = ("mock", "client", "payloads", "contract", "mockparts.state", "mockparts.wire")

#: the files of every ``tests/apis/<slug>/``; only one API's extras (test_h2o3_openapi.py) are not listed
TEST_FILES = (
    "conftest.py",
    "test_{slug}_client.py",
    "test_{slug}_mock.py",
    "test_{slug}_mock_fuzz.py",
    "test_{slug}_payloads.py",
    "test_{slug}_official_client.py",
    "{slug}_official_driver.py",
)


@pytest.mark.parametrize("slug", sorted(APIS))
def test_api_folder_has_every_common_module(slug: str) -> None:
    folder = ROOT / "h2oharness" / "apis" / slug
    missing = [m for m in PACKAGE_MODULES if not (folder / f"{m.replace('.', '/')}.py").is_file()]
    assert not missing, f"h2oharness/apis/{slug}/ lacks {missing}"
    for module in PACKAGE_MODULES:
        importlib.import_module(f"h2oharness.apis.{slug}.{module}")
    mock = importlib.import_module(f"h2oharness.apis.{slug}.mock")
    assert callable(mock.make_app)


@pytest.mark.parametrize("slug", sorted(APIS))
def test_api_tests_have_every_common_file(slug: str) -> None:
    folder = ROOT / "tests" / "apis" / slug
    missing = [name.format(slug=slug) for name in TEST_FILES if not (folder / name.format(slug=slug)).is_file()]
    assert not missing, f"tests/apis/{slug}/ lacks {missing}"


def test_every_api_test_folder_is_a_registered_api() -> None:
    """The shared fixtures pick the mock by the folder's name."""
    folders = {p.name for p in (ROOT / "tests" / "apis").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(APIS)


@pytest.mark.parametrize("slug", sorted(APIS))
def test_api_has_contract_tests_and_a_scenario(slug: str) -> None:
    assert (ROOT / APIS[slug].contract).is_file()
    assert (ROOT / "contracts" / slug / f"test_{slug}_contract.py").is_file()
    assert list((ROOT / "scenarios").glob(f"test_{slug}_*.py")), f"no scenario for {slug}"


@pytest.mark.parametrize("slug", sorted(APIS))
def test_contract_module_only_asks_the_driver(slug: str) -> None:
    """What an API's contract tests do differently lives in its plan (h2oharness/apis/<slug>/contract.py)."""
    plan = importlib.import_module(f"h2oharness.apis.{slug}.contract").PLAN
    assert APIS[slug].plan is plan
    text = (ROOT / "contracts" / slug / f"test_{slug}_contract.py").read_text()
    code = [line for line in text.split('"""', 2)[2].splitlines() if line.strip() and not line.startswith("#")]
    assert code == [
        "from pathlib import Path",
        "from h2oharness.pytest_plugin.contract import contract_tests",
        f'test_{slug}_contract, test_{slug}_stateful_flow = contract_tests("{slug}", Path(__file__).parent)',
    ]


@pytest.mark.parametrize("slug", sorted(APIS))
def test_make_app_builds_independent_apps(slug: str) -> None:
    mock = importlib.import_module(f"h2oharness.apis.{slug}.mock")
    assert mock.make_app() is not mock.make_app()
