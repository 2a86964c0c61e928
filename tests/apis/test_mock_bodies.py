"""What every mock answers a body it cannot read: a 4xx of the API's own, never a 5xx nor a mock bug."""

from __future__ import annotations

from typing import Any

import pytest

from h2oharness.apis import APIS, get_api
from h2oharness.targets import serve_mock

#: a POST each API reads a JSON body on
_POSTS = {
    "h2o3": "/3/Parse",
    "h2ogpte": "/api/v1/collections",
    "coreplexml": "/api/experiments",
    "workflows": "/v1/workspaces/default/workflows",
}


@pytest.mark.parametrize("slug", sorted(APIS))
def test_json_nested_deeper_than_the_parser_goes_is_a_client_error(slug: str) -> None:
    """``[[[...]]]`` 5,000 deep makes Python's json raise RecursionError, not ValueError: a 500 (CorePlexML) or a
    mock bug (H2O-3, h2oGPTe) until each mock read it as the malformed JSON it is."""
    states: list[Any] = []
    with serve_mock(get_api(slug), configure=states.append) as target, target.client(timeout=10.0) as http:
        answer = http.post(
            _POSTS[slug], content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"}
        )
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert states[0].internal_errors == []


def test_an_automl_spec_field_nested_deeper_than_the_parser_goes_is_a_client_error() -> None:
    """H2O-3 reads a form's ``build_control`` as a JSON text: one too deep for the parser is as unreadable as any."""
    states: list[Any] = []
    with serve_mock(get_api("h2o3"), configure=states.append) as target, target.client(timeout=10.0) as http:
        answer = http.post("/99/AutoMLBuilder", data={"build_control": "[" * 5000 + "]" * 5000})
    assert answer.status_code == 400, answer.text[:300]
    assert "Cannot parse build_control" in answer.text
    assert states[0].internal_errors == []
