"""Where traffic goes: our mock, a real local server, or a live one; ``open_target`` resolves each kind.

``h2oharness run``, ``load`` and ``serve`` and the pytest plugin's target fixtures all
resolve a target here: a mock served on loopback, a local server started from the
API's ``local`` entry, a live server from explicit values or ``<PREFIX>_URL`` and
friends (probed before use), or one the CLI already resolved and handed down.

Example:
    with open_target(get_api("h2o3"), "mock") as target:
        target.client().get("/3/Cloud")
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from h2oharness.errors import ConfigError, TargetAuthError, TargetUnavailable
from h2oharness.http.deadline import DEFAULT_REQUEST_DEADLINE, deadline_transport
from h2oharness.http.redact import redact
from h2oharness.http.unreachable import why_unreachable
from h2oharness.settings import Handed, Settings, variable

if TYPE_CHECKING:
    from h2oharness.apis import ApiInfo
    from h2oharness.mocks.clock import Clock
    from h2oharness.mocks.faults import FaultPlan

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

    def handed(self) -> Handed:
        """This target as the CLI hands it down to pytest or Locust (``Settings.handed``)."""
        c = self.credentials
        return Handed(self.kind, self.url, self.version, c.username, c.password, c.token)

    @classmethod
    def from_handed(cls, handed: Handed) -> Target:
        """The target a ``Handed`` entry names."""
        creds = Credentials(username=handed.username, password=handed.password, token=handed.token)
        return cls(check_kind(handed.kind), handed.url, creds, handed.version)

    def client(self, timeout: float = 60.0, deadline: float | None = None) -> httpx.Client:
        """An httpx client on the target's URL with its credentials (Basic auth or a bearer token).

        Each request has ``timeout`` seconds a read and ``deadline`` in all (default: ``request_deadline()``).
        """
        creds = self.credentials
        return httpx.Client(
            base_url=self.url,
            auth=creds.httpx_auth(),
            headers=creds.headers(),
            timeout=timeout,
            transport=deadline_transport(deadline or request_deadline(), verify=tls_context()),
        )


def request_deadline() -> float:
    """Seconds one request may take in all: ``HARNESS_REQUEST_DEADLINE``, else the default (120 s)."""
    return Settings.from_env().request_deadline or DEFAULT_REQUEST_DEADLINE


def stream_deadline(default: float) -> float:
    """Seconds a streamed answer may take in all: ``HARNESS_STREAM_DEADLINE``, else a request deadline the run set
    (a run told that no request may take over 5 s means its streams too), else ``default``, the call's own."""
    settings = Settings.from_env()
    return settings.stream_deadline or settings.request_deadline or default


def job_timeout(target: Target, name: str, *, mock: float, real: float) -> float:
    """Seconds a scenario waits for one job of ``target``: the variable ``name`` when set, else ``mock`` against
    the built-in mock and ``real`` against a local or live server.

    The mock's jobs end in seconds: waiting on it as long as on a real server only makes a stuck job fail late.
    """
    value = variable(name)
    if value is None:
        return mock if target.kind == "mock" else real
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"{name} must be a finite number of seconds above 0, got {value!r}")
    return seconds


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one verifying TLS context of the harness's clients: each new one reads the CA bundle again (~50 ms)."""
    return httpx.create_ssl_context()


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
    url_option: str = "--harness-url",
    before_contact: Callable[[str], None] | None = None,
) -> tuple[str, Credentials]:
    """URL and credentials of a live server: explicit values first, then ``<PREFIX>_URL`` and friends.

    A ``user:password@`` in the URL leaves it, so that no printed or reported URL carries it, and becomes the
    Basic credentials of an API that uses them (unless given otherwise). ``before_contact(url)`` runs before
    any host is contacted: the server's, and a login's (Workflows' OIDC issuer and token endpoint).
    ``url_option`` is how the caller's command line names the URL (``--url`` for the CLI), for the error.
    """
    prefix = api.env_prefix
    url, url_user, url_password = split_userinfo(given_url(api, url, url_option))
    if api.auth != "basic":
        url_user = url_password = None  # a token API: HTTP Basic from the URL would replace its bearer header
    creds = Credentials(
        username=username or url_user or variable(f"{prefix}_USERNAME"),
        password=password or url_password or variable(f"{prefix}_PASSWORD"),
        token=token or variable(f"{prefix}_API_KEY"),
    )
    if api.auth == "basic" and password and creds.username is None:
        # the password alone was dropped, the server asked with no credentials, and its 401 blamed them
        user_option = "--username" if url_option == "--url" else "--harness-username"
        raise ConfigError(f"a password is given for {api.slug} but no user: give {user_option} (or {prefix}_USERNAME)")
    url = url.rstrip("/")
    if before_contact is not None:
        before_contact(url)
    if creds.token is None and creds.username is None and api.login:
        # e.g. Workflows: an OIDC refresh token in the environment, traded for an access token here; every
        # host of the login is checked before it is contacted
        creds = Credentials(token=api.login(before_contact))
    return url, creds


def given_url(api: ApiInfo, url: str | None = None, url_option: str = "--harness-url") -> str:
    """The live URL ``url`` (else ``<PREFIX>_URL``) gives for ``api``, as given; ConfigError, naming where it came
    from, when none is given or it is not an http(s) URL with a host."""
    source = url_option if url else f"{api.env_prefix}_URL"
    url = url or variable(f"{api.env_prefix}_URL")
    if not url:
        raise ConfigError(f"target 'live' needs a URL for {api.slug}: set {api.env_prefix}_URL or pass {url_option}")
    check_url(url, source)
    return lower_scheme(url)


def lower_scheme(url: str) -> str:
    """``url`` with its scheme in lower case (``HTTP://h`` -> ``http://h``): a scheme is case-insensitive (RFC 3986),
    and what follows compares it as ``http``/``https``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.lower()}{sep}{rest}" if sep else url


def named_url(api: ApiInfo, url: str | None = None) -> str:
    """The live URL ``url`` (else ``<PREFIX>_URL``) names for ``api``, without its ``user:password@``: how a report
    names a target it could not use; empty when none is named."""
    given = url or variable(f"{api.env_prefix}_URL")
    return split_userinfo(given)[0].rstrip("/") if given else ""


def check_url(url: str, source: str) -> None:
    """ConfigError, naming ``source`` (``--url``, ``H2O3_URL``), unless ``url`` is an http(s) URL with a host."""
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{source} must start with http:// or https://, got {redact(url)!r}")
    try:
        # httpx refuses what it could not send (a port that is not a number, an unclosed IPv6 bracket) only
        # when the request is built, as InvalidURL: no HTTPError, so a probe would not catch it
        host = httpx.URL(url).host
    except httpx.InvalidURL as exc:
        raise ConfigError(f"{source} is not a valid URL ({exc}): {redact(url)!r}") from None
    if not host:
        raise ConfigError(f"{source} has no host: {redact(url)!r}")


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without its ``user:password@``, and the user and password it had (percent-decoded), or None."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=host))
    return clean, unquote(user) or None, unquote(password) if colon else None


def _probing_client(creds: Credentials, timeout: float) -> httpx.Client:
    """A client for one health probe: the target's credentials, every request bounded by ``timeout`` in all."""
    return httpx.Client(
        timeout=timeout,
        auth=creds.httpx_auth(),
        headers=creds.headers(),
        transport=deadline_transport(timeout, verify=tls_context()),
    )


def probe(url: str, health_path: str, creds: Credentials, timeout: float = 10.0) -> str:
    """Check that a server answers ``health_path`` with these credentials; return its version if it says one.

    Raises TargetUnavailable (unreachable, times out, not the expected API) or TargetAuthError (401/403),
    each with a one-line message.
    """
    try:
        with _probing_client(creds, timeout) as client:
            resp = client.get(f"{url}{health_path}")
    except httpx.TimeoutException as exc:
        raise TargetUnavailable(f"{url} did not answer within {timeout:.0f} s ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise TargetUnavailable(f"cannot reach {url}: {why_unreachable(exc, url)}") from None
    if resp.status_code in (401, 403):
        what = "API key or token" if creds.token else "user/password" if creds.username else "credentials (none given)"
        raise TargetAuthError(f"{url} refused the credentials (HTTP {resp.status_code}): wrong or missing {what}")
    try:
        body = resp.json()
    except ValueError:
        hint = _root_hint(url, health_path, creds, timeout)
        raise TargetUnavailable(f"{url}{health_path} did not answer JSON (HTTP {resp.status_code}){hint}") from None
    if resp.status_code != 200 or not isinstance(body, dict):
        hint = _root_hint(url, health_path, creds, timeout) or ": is this the right server?"
        raise TargetUnavailable(f"{url}{health_path} answered HTTP {resp.status_code}{hint}")
    if body.get("cloud_healthy") is False:
        raise TargetUnavailable(f"the server at {url} reports itself unhealthy")
    return str(body.get("version", ""))


def _root_hint(url: str, health_path: str, creds: Credentials, timeout: float) -> str:
    """``; the API answers at <root>: ...`` when ``url`` has a path and the same server answers ``health_path`` at
    its root: the path is most likely the API's own prefix (``/3``, ``/api/v1``), which every request already
    carries, so it was sent twice (``/3/3/Cloud``); empty otherwise (a real path prefix, such as a proxy's)."""
    parts = urlsplit(url)
    if parts.path.strip("/") == "":
        return ""
    root = urlunsplit(parts._replace(path="", query="", fragment=""))
    try:
        with _probing_client(creds, timeout) as client:
            resp = client.get(f"{root}{health_path}")
            body = resp.json()
    except (httpx.HTTPError, ValueError):
        return ""
    if resp.status_code != 200 or not isinstance(body, dict):
        return ""
    return (
        f"; the API answers at {root}: give the server's base URL, without {parts.path!r}"
        " (the harness adds each API path, /3/... or /api/v1/..., itself)"
    )


class LocalServer(Protocol):
    """A real server the harness started on loopback."""

    url: str
    version: str

    def stop(self) -> None:
        """Stop the server and remove what it left behind."""

    def restart(self) -> None:
        """Start a fresh server on the same URL (after a request killed it)."""


def preflight_local(api: ApiInfo) -> None:
    """Fail now, with the reason, when a local server of ``api`` cannot be started (no Java, no jar)."""
    if api.local is None:
        raise ConfigError(f"{api.title} has no local target; use mock or live")
    if api.local_preflight is not None:
        api.local_preflight()


def start_local(api: ApiInfo) -> LocalServer:
    """Start the real server an API's ``local`` entry names (it has ``url``, ``version`` and ``stop()``)."""
    if api.local is None:
        raise ConfigError(f"{api.title} has no local target; use mock or live")
    return api.local()


def check_fault_plan(
    plan: FaultPlan, apis: Sequence[ApiInfo], source: str, specs: Mapping[str, Path] | None = None
) -> None:
    """FaultError when a rule of ``plan`` names an operation that none of the mocks of ``apis`` routes, or a path
    glob that matches none of their routes nor of their contracts' operations (``specs``: the documents a run
    tests instead of an API's contract), with the closest ones.

    A mock answers every documented path (a 404 or 405 for one it does not implement), so a glob of a contract's
    path is a fault a run's tests meet; one of no path at all only ever met a mistyped request.
    """
    if not plan.operations and all(rule.path is None for rule in plan.rules):
        return  # no mock is built when no rule names an operation or a path
    try:
        _check_plan(plan, apis, source, specs)
    except ConfigError as exc:
        # a plan written for another API (h2oGPTe's /api/v1/... given to serve --api h2o3) was answered with the
        # closest of this API's routes, which named nothing the user had meant
        fits = [other.slug for other in _other_apis(apis) if _plan_fits(plan, other, source)]
        if not fits:
            raise
        raise type(exc)(f"{exc}; its rules are those of the {' or '.join(fits)} mock") from None


def _check_plan(plan: FaultPlan, apis: Sequence[ApiInfo], source: str, specs: Mapping[str, Path] | None) -> None:
    from h2oharness.http.naming import contract_operations
    from h2oharness.openapi import contract_path

    operations: set[str] = set()
    documented: set[str] = set()
    for api in apis:
        mock = importlib.import_module(f"{api.module}.mock")
        operations |= mock.make_app(mock.default_state()).operations
        for document in (contract_path(api.slug), (specs or {}).get(api.slug)):
            documented |= {f"{m} {t}" for m, t in contract_operations(document)} if document else set()
    names = " or ".join(api.slug for api in apis)
    plan.check_operations(operations, f"the operations of the {names} mock", source)
    plan.check_paths(operations | documented, f"the {names} mock nor of its contract", source)


def _other_apis(apis: Sequence[ApiInfo]) -> list[ApiInfo]:
    from h2oharness.apis import APIS

    return [api for api in APIS.values() if api not in apis]


def _plan_fits(plan: FaultPlan, api: ApiInfo, source: str) -> bool:
    try:
        _check_plan(plan, [api], source, None)
    except ConfigError:
        return False
    return True


@contextlib.contextmanager
def serve_mock(
    api: ApiInfo,
    *,
    speed: float = 1.0,
    clock: Clock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    configure: Callable[[Any], None] | None = None,
    faults: FaultPlan | None = None,
) -> Iterator[Target]:
    """Serve a fresh mock of ``api`` on loopback; ``configure(state)`` may set credentials before it serves.

    ``faults``: the plan of faults the mock injects (mocks/faults.py).
    """
    from h2oharness.mocks.serve import serve

    mock = importlib.import_module(f"{api.module}.mock")
    state = mock.default_state(speed=speed, clock=clock)
    if faults is not None:
        state.faults = faults
    if configure is not None:
        configure(state)
    with serve(mock.make_app(state), host=host, port=port) as served:
        yield Target("mock", served.url, state.client_credentials())


@contextlib.contextmanager
def open_target(
    api: ApiInfo,
    kind: str,
    *,
    handed: Handed | None = None,
    speed: float = 1.0,
    clock: Clock | None = None,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    before_live: Callable[[str], None] | None = None,
    url_option: str = "--harness-url",
    faults: FaultPlan | None = None,
) -> Iterator[Target]:
    """The target of ``kind`` for ``api``, for as long as the block runs (a mock or local server is then stopped).

    ``handed`` (a server the CLI already resolved, of the same kind) is used as it is. ``before_live(url)`` runs
    before each host of a live target is contacted at all, the server's and its login's (the load command's
    host allowlist). ``url_option`` names the caller's URL option in errors (``--harness-url`` in pytest,
    ``--url`` in the CLI). ``faults``: the plan a mock injects.
    """
    checked = check_kind(kind)
    if checked not in api.kinds:
        raise ConfigError(f"{api.title} has no {checked} target; choose one of {', '.join(api.kinds)}")
    if handed is not None and handed.kind == checked and handed.error:
        raise TargetUnavailable(handed.error)  # the CLI met it already: not contacted again, by every worker
    if handed is not None and handed.kind == checked and handed.url:
        yield Target.from_handed(handed)
    elif checked == "mock":
        with serve_mock(api, speed=speed, clock=clock, faults=faults) as target:
            yield target
    elif checked == "local":
        server = start_local(api)
        try:
            yield Target("local", server.url, version=getattr(server, "version", ""))
        finally:
            server.stop()
    else:
        live_url, creds = live_settings(
            api,
            url=url,
            username=username,
            password=password,
            token=token,
            url_option=url_option,
            before_contact=before_live,
        )
        try:
            version = probe(live_url, api.health_path, creds)
        except TargetAuthError as exc:
            if creds.token or creds.username or creds.password:
                raise
            raise TargetAuthError(f"{exc}: {_credentials_hint(api)}") from None
        yield Target("live", live_url, creds, version)


def _credentials_hint(api: ApiInfo) -> str:
    """Where a live target's credentials come from, for a target that refused a run that gave none."""
    prefix = api.env_prefix
    if api.auth == "basic":
        return f"set {prefix}_USERNAME and {prefix}_PASSWORD (or pass --username and --password-env)"
    login = f", or the login's variables ({prefix}_ISSUER_URL, {prefix}_CLIENT_ID, ...)" if api.login else ""
    return f"set {prefix}_API_KEY{login} (or name the variable with --api-key-env)"
