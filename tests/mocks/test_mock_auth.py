"""The shared credential checks of the mocks."""

from __future__ import annotations

import base64
import hmac

import pytest

from h2oharness.mocks.auth import (
    AccessTokens,
    basic_credentials,
    basic_header,
    basic_matches,
    bearer_matches,
    bearer_token,
    token_in,
)
from h2oharness.mocks.clock import ManualClock


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


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic c2stMTIz", "Token sk-123", "sk-123"])
def test_malformed_bearer_headers_match_no_key(header: str | None) -> None:
    """Without a well-formed Bearer header there is no token, so no key of any set matches."""
    assert bearer_token(header) is None
    assert not token_in(bearer_token(header), {"sk-123"})


def test_a_token_is_one_of_a_set_only_when_equal_to_a_member() -> None:
    """The set check is exact: no prefix, no case folding, nothing in an empty set."""
    keys = {"sk-a", "sk-bb"}
    assert token_in("sk-bb", keys)
    assert not token_in("sk-b", keys)
    assert not token_in("SK-A", keys)
    assert not token_in("sk-a", set())
    assert not token_in(None, keys)


def test_the_set_check_compares_with_every_key_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every key is compared with hmac.compare_digest, even after a match: no early exit, no ``in``."""
    compared: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return bool(real(a, b))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert token_in("k1", ["k1", "k2", "k3"])
    assert compared == [b"k1", b"k2", b"k3"]


def test_issued_tokens_expire_on_the_clock() -> None:
    """An issued token is good until its lifetime has passed on the clock, then refused as expired."""
    clock = ManualClock()
    tokens = AccessTokens(clock)
    token = tokens.issue(lifetime=10.0)
    assert token.startswith("at-")
    assert token in tokens
    assert tokens.problem(token) is None
    clock.advance(9.9)
    assert tokens.problem(token) is None
    clock.advance(0.1)
    assert tokens.problem(token) == "access token expired"
    assert tokens.problem(token + "x") == "invalid access token"
    assert tokens.problem("") == "invalid access token"


def test_issuing_forgets_the_expired_tokens() -> None:
    """The table stays bounded under load: each issue drops what has expired."""
    clock = ManualClock()
    tokens = AccessTokens(clock)
    old = tokens.issue(lifetime=1.0)
    clock.advance(2.0)
    new = tokens.issue(lifetime=1.0)
    assert len(tokens) == 1
    assert old not in tokens
    assert new in tokens
    assert new != old
