"""The shared credential checks of the mocks."""

from __future__ import annotations

import base64

import pytest

from h2oharness.mocks.auth import basic_credentials, basic_header, basic_matches, bearer_matches, bearer_token


def test_basic_round_trip() -> None:
    """A header built by basic_header is read back and matched."""
    header = basic_header("admin", "pa:ss wörd")
    assert basic_credentials(header) == ("admin", "pa:ss wörd")
    assert basic_matches(header, ("admin", "pa:ss wörd"))
    assert not basic_matches(header, ("admin", "other"))
    assert not basic_matches(header, ("root", "pa:ss wörd"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic !!!notbase64",
        "Bearer abc",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
def test_malformed_basic_headers_are_refused(header: str | None) -> None:
    """Anything that is not well-formed Basic gives no credentials and no match."""
    assert basic_credentials(header) is None
    assert not basic_matches(header, ("a", "b"))


def test_bearer() -> None:
    """Bearer tokens are read case-insensitively by scheme and compared exactly."""
    assert bearer_token("Bearer sk-123") == "sk-123"
    assert bearer_token("bearer  sk-123 ") == "sk-123"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_matches("Bearer sk-123", "sk-123")
    assert not bearer_matches("Bearer sk-124", "sk-123")
    assert not bearer_matches(None, "sk-123")
