"""Credential checks that every mock shares: HTTP Basic and bearer tokens, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic ...`` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


def basic_matches(header: str | None, expected: tuple[str, str]) -> bool:
    """Whether an Authorization header carries exactly the expected Basic user and password."""
    given = basic_credentials(header)
    if given is None:
        return False
    user_ok = hmac.compare_digest(given[0].encode(), expected[0].encode())
    password_ok = hmac.compare_digest(given[1].encode(), expected[1].encode())
    return user_ok and password_ok


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_matches(header: str | None, expected: str) -> bool:
    """Whether an Authorization header carries exactly the expected bearer token."""
    token = bearer_token(header)
    return token is not None and hmac.compare_digest(token.encode(), expected.encode())


def basic_header(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
