"""A mock H2O Workflows API (the REST surface behind ``h2o_workflows`` 1.1.2) with its own OIDC token endpoint.

``make_app(state)`` builds a fresh Starlette app around an explicit state. Resource names reach it either as
explicit segments (``/v1/workspaces/w/workflows/x:activate``, how the contract writes them) or percent-encoded
in one segment (``/v1/workspaces%2Fw%2Fworkflows%2Fx:activate``, how the SDK sends them): both decode to the
same path. JSON is camelCase with every field present; errors are RpcStatus with grpc-gateway's HTTP mapping.
Runs live on the state's clock (see ``mockparts.execution``). Bad input always gets a 4xx RpcStatus.

Example:
    state = WorkflowsMockState(clock=ManualClock(), timings=WorkflowsTimings.instant())
    with serve(make_app(state)) as served:
        token = httpx.post(served.url + "/token", data={"grant_type": "refresh_token", ...}).json()["access_token"]
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from h2oharness.apis.workflows.mockparts import handlers as h
from h2oharness.apis.workflows.mockparts.state import RecordedRequest, WorkflowsMockState, WorkflowsTimings
from h2oharness.apis.workflows.mockparts.wire import RpcError
from h2oharness.mocks.auth import bearer_token
from h2oharness.mocks.clock import Clock, MonotonicClock

__all__ = ["DEVIATIONS", "ROUTES", "WorkflowsMockState", "WorkflowsTimings", "default_state", "make_app"]

log = logging.getLogger(__name__)

WS = "/v1/workspaces/{workspace}"
WF = WS + "/workflows/{workflow}"
REV = WF + "/revisions/{revision}"
RUN = REV + "/runs/{run}"
ATT = RUN + "/attempts/{attempt}"
JOB = ATT + "/jobs/{job}"
STEP = JOB + "/steps/{step}"

# (method, template, handler): the same templates as contracts/workflows/openapi.yaml's paths
ROUTES: tuple[tuple[str, str, h.Handler], ...] = (
    ("GET", WS + "/workflows", h.list_workflows),
    ("POST", WS + "/workflows", h.create_workflow),
    ("POST", WS + "/workflows:validate", h.validate_workflow),
    ("GET", WF, h.get_workflow),
    ("PATCH", WF, h.update_workflow),
    ("DELETE", WF, h.delete_workflow),
    ("POST", WF + ":activate", h.activate_workflow),
    ("POST", WF + ":deactivate", h.deactivate_workflow),
    ("GET", WF + "/revisions", h.list_revisions),
    ("GET", REV, h.get_revision),
    ("POST", REV + ":run", h.run_revision),
    ("GET", REV + "/runs", h.list_runs),
    ("GET", RUN, h.get_run),
    ("DELETE", RUN, h.delete_run),
    ("POST", RUN + ":cancel", h.cancel_run),
    ("POST", RUN + ":retry", h.retry_run),
    ("GET", RUN + "/attempts", h.list_attempts),
    ("GET", ATT, h.get_attempt),
    ("GET", ATT + "/jobs", h.list_jobs),
    ("GET", JOB, h.get_job),
    ("GET", JOB + "/steps", h.list_steps),
    ("GET", STEP, h.get_step),
    ("GET", STEP + ":logs", h.step_logs),
    ("GET", STEP + ":streamLogs", h.stream_step_logs),
    ("GET", WS + "/runners", h.list_runners),
    ("POST", WS + "/runners", h.create_runner),
    ("GET", WS + "/runners/{runner}", h.get_runner),
    ("PATCH", WS + "/runners/{runner}", h.update_runner),
    ("DELETE", WS + "/runners/{runner}", h.delete_runner),
)

# paths outside /v1 that need no bearer token, and their one method
OPEN_PATHS = {"/.well-known/openid-configuration": "GET", "/token": "POST", "/version": "GET"}
# What the mock decides where neither the seed nor the SDK says (no real server was available to compare with).
DEVIATIONS: dict[str, str] = {
    "workflow ids": "taken from the source's top-level `id` (the SDK's create sends only sourceContents)",
    "create/update": "refuse a source with errors (400 INVALID_ARGUMENT naming the fields); validate never refuses",
    "YAML format": "the mock's reading of the SDK docstrings (mockparts/source.py); run steps are not executed: "
    "echo, sleep N, exit N and false are read, everything else succeeds silently",
    "activate": "a new revision only when the draft differs from the active revision",
    "revision and run ids": "revisions numbered from 1, runs r000001..., steps by position from 1",
    "delete run": "refused (FAILED_PRECONDITION) while the run is in progress",
    "cancel": "a cancelled pending job is SKIPPED, a running one FAILED/JOB_FAILURE_REASON_CANCELED",
    "resource ids": "any segment outside [A-Za-z0-9][A-Za-z0-9_-]{0,62} is 400 INVALID_ARGUMENT",
    "list filters": "filter, orderBy and the '-' wildcard parent are not implemented",
    "actions": "the action and action-revision services of the SDK are not served (404)",
    "streamLogs": "answers the log so far at once and ends; a real server keeps the stream open while the step runs",
}

_PARAM = re.compile(r"\{(\w+)\}")
Table = list[tuple[str, re.Pattern[str], h.Handler]]


def compile_template(template: str) -> re.Pattern[str]:
    """A regular expression for a route template: each ``{param}`` is one segment without ``/`` or ``:``."""
    out, at = [], 0
    for m in _PARAM.finditer(template):
        out += [re.escape(template[at : m.start()]), f"(?P<{m.group(1)}>[^/:]+)"]
        at = m.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out))


def make_app(state: WorkflowsMockState | None = None) -> Starlette:
    """A fresh mock Workflows app over ``state`` (a new default state when None)."""
    state = state if state is not None else WorkflowsMockState()
    table: Table = [(m, compile_template(t), fn) for m, t, fn in ROUTES]
    app = Starlette()
    # one endpoint routes everything: Starlette's router answers a bare 405/404 that is no RpcStatus
    app.router.default = request_response(_endpoint(state, table))
    app.state.workflows = state
    return app


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, headers, media_type="application/json")


def _rpc(err: RpcError) -> Response:
    headers = dict(err.headers)
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return _json(err.body(), err.status, headers)


def _endpoint(state: WorkflowsMockState, table: Table) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        path = request.scope["path"]
        prefix = state.path_prefix.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        content_type = request.headers.get("content-type", "")
        token = bearer_token(request.headers.get("authorization"))
        parsed: object = None
        try:
            if path in OPEN_PATHS and request.method != OPEN_PATHS[path]:
                raise RpcError(12, "Method Not Allowed", 405, {"Allow": OPEN_PATHS[path]})
            if path == "/.well-known/openid-configuration":
                response = _json(_discovery(request))
            elif path == "/token":
                response = await run_in_threadpool(_token, state, content_type, body)
            elif path == "/version":
                response = _json({"version": state.version})
            else:
                if body.strip():
                    try:
                        parsed = json.loads(body)
                    except ValueError as exc:
                        raise RpcError(3, f"invalid JSON body: {exc}") from None
                    if not isinstance(parsed, dict):
                        # every body of this API is a message (a JSON object); grpc-gateway refuses the rest
                        raise RpcError(3, f"invalid JSON body: expected an object, got {type(parsed).__name__}")
                response = await run_in_threadpool(_api, state, table, request.method, path, query, parsed, token)
        except RpcError as err:
            response = _rpc(err)
        state.record(
            RecordedRequest(
                method=request.method,
                path=path,
                raw_path=request.scope.get("raw_path", b"").decode("latin-1"),
                query=query,
                content_type=content_type,
                json=parsed,
                authorized=token is not None and state.token_problem(token) is None,
                user_agent=request.headers.get("user-agent", ""),
                status=response.status_code,
            )
        )
        return response

    return endpoint


def _route(table: Table, method: str, path: str) -> tuple[h.Handler, dict[str, str]]:
    allowed: list[str] = []
    for route_method, pattern, handler in table:
        if m := pattern.fullmatch(path):
            if route_method == method:
                return handler, m.groupdict()
            allowed.append(route_method)
    if allowed:
        raise RpcError(12, "Method Not Allowed", 405, {"Allow": ", ".join(sorted(allowed))})
    raise RpcError(5, "Not Found", 404)


def _api(
    state: WorkflowsMockState,
    table: Table,
    method: str,
    path: str,
    query: dict[str, str],
    body: object,
    token: str | None,
) -> Response:
    problem = state.token_problem(token)
    if problem is not None:
        raise RpcError(16, problem, 401)
    handler, params = _route(table, method, path)
    call = h.Call(method, path, params, query, body)
    try:
        with state.lock:
            out = handler(state, call)
    except RpcError:
        raise
    except Exception as exc:  # a mock bug: never a 5xx nor a traceback, but recorded for tests to see
        log.exception("workflows mock: %s %s failed", method, path)
        with state.lock:
            state.internal_errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
        raise RpcError(3, f"the mock could not handle this request: {type(exc).__name__}: {exc}") from None
    if isinstance(out, h.Stream):
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in out.lines)
        return Response(text, 200, media_type="application/json")
    return _json(out)


def _discovery(request: Request) -> dict[str, object]:
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": base,
        "token_endpoint": f"{base}/token",
        "grant_types_supported": ["refresh_token"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
    }


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return _json({"error": error, "error_description": description}, status, {"Cache-Control": "no-store"})


def _token(state: WorkflowsMockState, content_type: str, body: bytes) -> Response:
    """The OAuth 2.0 token endpoint: the refresh-token grant, form-encoded (RFC 6749 §6)."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    grant = form.get("grant_type", "")
    if grant != "refresh_token":
        kind = "invalid_request" if not grant else "unsupported_grant_type"
        return _oauth_error(kind, f"grant_type must be refresh_token, got {grant!r}")
    client_id, refresh = form.get("client_id", ""), form.get("refresh_token", "")
    if not client_id or not refresh:
        return _oauth_error("invalid_request", "client_id and refresh_token are required")
    secret = state.client_secrets.get(client_id)
    if secret is not None and form.get("client_secret") != secret:
        return _oauth_error("invalid_client", "client authentication failed", 401)
    if state.refresh_tokens.get(refresh) != client_id:
        return _oauth_error("invalid_grant", "the refresh token is invalid, expired or issued to another client")
    token, lifetime = state.issue_token()
    return _json(
        {"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime), "refresh_token": refresh},
        headers={"Cache-Control": "no-store"},
    )


def default_state(speed: float = 1.0, clock: Clock | None = None) -> WorkflowsMockState:
    """A state for a served mock: realistic run timings on wall time run ``speed`` times faster.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return WorkflowsMockState(clock=clock or MonotonicClock(speed=speed))
