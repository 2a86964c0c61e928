"""Credential checks that every mock shares: HTTP Basic, bearer keys and issued access tokens, in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Iterable

from h2oharness.mocks.clock import Clock


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
    return token_in(bearer_token(header), (expected,))


def token_in(token: str | None, keys: Iterable[str]) -> bool:
    """Whether ``token`` is one of ``keys``, comparing it with every key in constant time (no early exit)."""
    if token is None:
        return False
    given = token.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.encode())
    return found


class AccessTokens:
    """Access tokens an OIDC token endpoint issued, each expiring some seconds later on a clock.

    Example:
        tokens = AccessTokens(clock)
        token = tokens.issue(lifetime=300.0)
        tokens.problem(token)        # None until the clock passes its expiry, then "access token expired"
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, lifetime: float) -> str:
        """A new access token good for ``lifetime`` seconds; the tokens already expired are forgotten."""
        token = "at-" + secrets.token_urlsafe(24)
        now = self.clock.now()
        with self._lock:
            for old in [t for t, expires in self._expiry.items() if expires <= now]:
                del self._expiry[old]
            self._expiry[token] = now + lifetime
        return token

    def problem(self, token: str) -> str | None:
        """Why an issued token is refused (unknown or expired), or None while it is good."""
        given = token.encode()
        expires: float | None = None
        with self._lock:
            for known, at in self._expiry.items():
                if hmac.compare_digest(given, known.encode()):
                    expires = at
        if expires is None:
            return "invalid access token"
        if self.clock.now() >= expires:
            return "access token expired"
        return None

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.problem(token) != "invalid access token"

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)


def basic_header(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
