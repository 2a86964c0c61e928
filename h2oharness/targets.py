"""Where a suite sends its traffic: our mock, a real local H2O-3, or a live server."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Literal

import httpx

from h2oharness.apis import ApiInfo
from h2oharness.errors import ConfigError, TargetAuthError, TargetUnavailable

TargetKind = Literal["mock", "local", "live"]
TARGET_KINDS: tuple[TargetKind, ...] = ("mock", "local", "live")


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials or a bearer token; ``repr`` never shows the secret."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def httpx_auth(self) -> tuple[str, str] | None:
        """The ``auth=`` value for httpx when Basic credentials are set."""
        if self.username is not None:
            return (self.username, self.password or "")
        return None

    def headers(self) -> dict[str, str]:
        """Headers that carry a bearer token, if any."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for redaction."""
        return tuple(s for s in (self.password, self.token) if s)


@dataclass(frozen=True)
class Target:
    """A resolved target: kind, base URL (no trailing slash) and credentials."""

    kind: TargetKind
    url: str
    credentials: Credentials = Credentials()
    version: str = ""

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An httpx client on the target's URL with its credentials (Basic auth or a bearer token)."""
        creds = self.credentials
        return httpx.Client(base_url=self.url, auth=creds.httpx_auth(), headers=creds.headers(), timeout=timeout)


def check_kind(kind: str) -> TargetKind:
    """Validate a target kind given on the command line or in the environment."""
    if kind not in TARGET_KINDS:
        raise ConfigError(f"unknown target {kind!r}; choose one of: {', '.join(TARGET_KINDS)}")
    return kind


def live_settings(
    api: ApiInfo,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> tuple[str, Credentials]:
    """URL and credentials of a live server: explicit values first, then ``<PREFIX>_URL`` and friends."""
    env = os.environ
    prefix = api.env_prefix
    url = url or env.get(f"{prefix}_URL")
    if not url:
        raise ConfigError(f"target 'live' needs a URL for {api.slug}: set {prefix}_URL or --harness-url")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{prefix}_URL must start with http:// or https://, got {url!r}")
    creds = Credentials(
        username=username or env.get(f"{prefix}_USERNAME"),
        password=password or env.get(f"{prefix}_PASSWORD"),
        token=token or env.get(f"{prefix}_API_KEY"),
    )
    if creds.token is None and creds.username is None and api.login:
        # e.g. Workflows: an OIDC refresh token in the environment, traded for an access token here
        module, _, function = api.login.partition(":")
        login = getattr(importlib.import_module(module), function)
        creds = Credentials(token=login())
    return url.rstrip("/"), creds


def probe(url: str, health_path: str, creds: Credentials, timeout: float = 10.0) -> str:
    """Check that a server answers ``health_path`` with these credentials; return its version if it says one.

    Raises TargetUnavailable (unreachable, times out, not the expected API) or TargetAuthError (401/403),
    each with a one-line message.
    """
    try:
        with httpx.Client(timeout=timeout, auth=creds.httpx_auth(), headers=creds.headers()) as client:
            resp = client.get(f"{url}{health_path}")
    except httpx.TimeoutException as exc:
        raise TargetUnavailable(f"{url} did not answer within {timeout:.0f} s ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise TargetUnavailable(f"cannot reach {url}: {exc or type(exc).__name__}") from None
    if resp.status_code in (401, 403):
        what = "API key or token" if creds.token else "user/password" if creds.username else "credentials (none given)"
        raise TargetAuthError(f"{url} refused the credentials (HTTP {resp.status_code}): wrong or missing {what}")
    try:
        body = resp.json()
    except ValueError:
        raise TargetUnavailable(f"{url}{health_path} did not answer JSON (HTTP {resp.status_code})") from None
    if resp.status_code != 200 or not isinstance(body, dict):
        raise TargetUnavailable(f"{url}{health_path} answered HTTP {resp.status_code}: is this the right server?")
    if body.get("cloud_healthy") is False:
        raise TargetUnavailable(f"the server at {url} reports itself unhealthy")
    return str(body.get("version", ""))
