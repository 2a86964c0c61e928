"""The checks of an OpenAPI document a user gives (``--spec``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from h2oharness import openapi
from h2oharness.errors import SpecError

CONTRACT = Path(__file__).resolve().parents[1] / "contracts" / "coreplexml" / "openapi.yaml"


def test_a_document_found_valid_is_not_checked_again_by_its_sha256_but_a_changed_one_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = tmp_path / "given.yaml"
    shutil.copy(CONTRACT, given)
    digest = openapi.check_spec_file(given)
    validated: list[Any] = []

    def refuse(document: Any) -> None:
        validated.append(document)
        raise SpecError("validated again")

    monkeypatch.setattr(openapi, "validate_openapi", refuse)
    assert openapi.check_spec_file(given, [digest]) == digest
    assert validated == []
    given.write_text(given.read_text() + "\n# one more line\n")
    with pytest.raises(SpecError, match="validated again"):
        openapi.check_spec_file(given, [digest])
    # a digest taken is only ever a document found valid: a broken one is still refused
    given.write_text("openapi: 3.0.3\ninfo: {title: t\n")
    with pytest.raises(SpecError, match="is not valid YAML/JSON"):
        openapi.check_spec_file(given, [digest])
