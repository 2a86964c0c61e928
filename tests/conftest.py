"""Fixtures shared by the harness's own tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_suite(tmp_path: Path) -> Callable[[str], Path]:
    """A suite folder (``--suite-dir``) of one API's contract and two tests on its target, for a run of seconds."""

    def make(slug: str) -> Path:
        root = tmp_path / "suite"
        (root / "contracts" / slug).mkdir(parents=True)
        (root / "scenarios").mkdir()
        contract = (ROOT / "contracts" / slug / "openapi.yaml").read_text()
        (root / "contracts" / slug / "openapi.yaml").write_text(contract)
        (root / "scenarios" / f"test_{slug}_reach.py").write_text(
            f"def test_one({slug}_target):\n    assert {slug}_target.url\n\n\n"
            f"def test_two({slug}_target):\n    assert {slug}_target.url\n"
        )
        return root

    return make
