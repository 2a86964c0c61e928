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
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from h2oharness.apis.workflows.mockparts import actions, generic
from h2oharness.apis.workflows.mockparts import handlers as h
from h2oharness.apis.workflows.mockparts.state import WorkflowsMockState, WorkflowsTimings
from h2oharness.apis.workflows.mockparts.wire import JSONDict, RpcError
from h2oharness.mocks.app import Incoming, Wiring, build_app
from h2oharness.mocks.auth import bearer_token
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.router import Lookup, Router

__all__ = [
    "DEVIATIONS",
    "ROUTES",
    "RUN_TIMEOUT",
    "WorkflowsMockState",
    "WorkflowsTimings",
    "default_state",
    "make_app",
]

#: how long a scenario waits for a run on a served mock (``targets.job_timeout``): its runs end in about 3 s (0.5 s
#: queued, 0.5 s a step); a tenth of an access token's life, so that a stuck run fails as one, not as an expired token
RUN_TIMEOUT = WorkflowsMockState.token_lifetime / 10

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
    ("GET", WS + "/actions", actions.list_actions),
    ("POST", WS + "/actions", actions.create_action),
    ("POST", WS + "/actions:validate", actions.validate_action),
    ("GET", WS + "/actions/{action}", actions.get_action),
    ("PATCH", WS + "/actions/{action}", actions.update_action),
    ("DELETE", WS + "/actions/{action}", actions.delete_action),
    ("POST", WS + "/actions/{action}:publish", actions.publish_action),
    ("GET", WS + "/actions/{action}/revisions", actions.list_action_revisions),
    ("GET", WS + "/actions/{action}/revisions/{revision}", actions.get_action_revision),
)

# what a route answers: a /v1 handler's JSON or stream, or the whole response of an open path
Target = Callable[[WorkflowsMockState, h.Call], "JSONDict | h.Stream | Response"]
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
    "list filters": "filter (terms 'field = value' / 'field != value' joined by AND) on runs and jobs, orderBy "
    "('field [asc|desc]', comma-separated) on jobs; functions, OR, NOT, has and the '-' wildcard parent are not",
    "update masks": "comma-separated V1Workflow/V1Action/V1Runner field paths or '*': only the writable fields named "
    "are applied (a runner's displayName, aliases, sandboxEngineImage, sandboxEngineTemplate; a named one the body "
    "leaves out is cleared, AIP-134), output-only paths are ignored, unknown paths are 400",
    "actions": "an action's source is YAML with id, name, inputs (as a workflow's), outputs and a non-empty steps "
    "list (the mock's reading; the SDK says only that id, display name and definitions come from it); every "
    "publish makes a new revision, numbered from 1",
    "held runs": "at most max_runs (1,000): creating one beyond it drops the oldest finished runs",
    "held objects": "real: objects live until deleted; mock: its memory is bounded whatever clients send. It holds "
    "at most max_objects (10,000) workflows, revisions, runners, actions and action revisions each, and "
    "max_source_bytes (1 GiB) of source in all (workflow drafts and revisions, action drafts and published "
    "revisions), and the generic layer 1,000 objects per collection, 10,000 paths under a parent object and "
    "256 MiB of objects (as JSON) in all. Beyond "
    "a budget the oldest made go first, never the newest, as if deleted: a workflow takes its revisions and runs, a "
    "revision its runs, an action its revisions; a workflow's active revision is never dropped on its own",
    "streamLogs": "answers the log so far at once and ends; a real server keeps the stream open while the step runs",
}
# The public methods of the h2o_workflows 1.1.2 clients ("sdk <Client>.<method>") that fail against this mock, and
# why; tests/apis/workflows/test_workflows_official_client.py checks the failing set is exactly these.
SDK_FAILURES: dict[str, str] = {}
DEVIATIONS.update({f"sdk {method}": why for method, why in SDK_FAILURES.items()})


def make_app(state: WorkflowsMockState | None = None) -> Starlette:
    """A fresh mock Workflows app over ``state`` (a new default state when None)."""
    state = state if state is not None else WorkflowsMockState()
    # a {param} is one segment without "/" or ":" (workflows/{workflow}:activate)
    # every other /v1 operation of the contract is answered by the generic resources
    hand_written = {(method, template) for method, template, _ in ROUTES}
    router: Router[Target] = Router((*ROUTES, *generic.routes(hand_written), *OPEN_ROUTES), segment="[^/:]+")
    # every answer is an RpcStatus, never Starlette's bare 404/405
    wiring = Wiring(
        name="workflows",
        router=router,
        path=_path,
        decode=_decode,
        authenticate=lambda state, incoming: state.token_problem(bearer_token(incoming.authorization)),
        unauthorized=_unauthorized,
        unrouted=_unrouted,
        invoke=_invoke,
        refusal=RpcError,
        refuse=lambda state, incoming, lookup, err: _rpc(err),
        bug=_bug,
        render=_render,
        protects=lambda lookup: not any(r.template in OPEN_PATHS for r in lookup.matches),
        seen=lambda call: (call.body, {}),
    )
    return build_app(state, wiring)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, headers, media_type="application/json")


def _rpc(err: RpcError) -> Response:
    headers = dict(err.headers)
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return _json(err.body(), err.status, headers)


def _path(state: WorkflowsMockState, request: Request) -> str:
    path: str = request.scope["path"]
    prefix = state.path_prefix.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return path


def _decode(state: WorkflowsMockState, incoming: Incoming, lookup: Lookup[Target]) -> h.Call:
    query = dict(parse_qsl(incoming.query_string, keep_blank_values=True))
    call = h.Call(incoming.method, incoming.path, lookup.params, query, None, incoming.body, incoming.content_type)
    call.base_url = incoming.base_url
    if incoming.path not in OPEN_PATHS and incoming.body.strip():
        try:
            call.body = json.loads(incoming.body)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
            raise RpcError(3, f"invalid JSON body: {exc}") from None
        if not isinstance(call.body, dict):
            # every body of this API is a message (a JSON object); grpc-gateway refuses the rest
            raise RpcError(3, f"invalid JSON body: expected an object, got {type(call.body).__name__}")
    return call


def _unauthorized(state: WorkflowsMockState, incoming: Incoming, lookup: Lookup[Target], problem: str) -> Response:
    raise RpcError(16, problem, 401)


def _unrouted(state: WorkflowsMockState, call: h.Call, lookup: Lookup[Target]) -> Response:
    if lookup.allow:
        raise RpcError(12, "Method Not Allowed", 405, {"Allow": ", ".join(lookup.allow)})
    raise RpcError(5, "Not Found", 404)


def _invoke(state: WorkflowsMockState, handler: Target, call: h.Call) -> Response:
    with state.lock:
        try:
            out = handler(state, call)
        finally:
            # whatever a write made, the oldest objects beyond the state's budgets go (a read makes nothing)
            if call.method != "GET":
                h.trim(state)
    if isinstance(out, Response):
        return out
    if isinstance(out, h.Stream):
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in out.lines)
        return Response(text, 200, media_type="application/json")
    return _json(out)


def _bug(state: WorkflowsMockState, incoming: Incoming, lookup: Lookup[Target], what: str) -> Response:
    return _rpc(RpcError(3, f"the mock could not handle this request: {what}"))


async def _render(state: WorkflowsMockState, incoming: Incoming, response: Response) -> Response:
    return response


def _discovery(state: WorkflowsMockState, call: h.Call) -> JSONDict:
    base = call.base_url.rstrip("/")
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


def _token(state: WorkflowsMockState, call: h.Call) -> Response:
    """The OAuth 2.0 token endpoint: the refresh-token grant, form-encoded (RFC 6749 §6)."""
    if call.content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = dict(parse_qsl(call.raw.decode("utf-8", errors="replace"), keep_blank_values=True))
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


def _version(state: WorkflowsMockState, call: h.Call) -> JSONDict:
    return {"version": state.version}


# paths outside /v1 that need no bearer token, with their one method
OPEN_ROUTES: tuple[tuple[str, str, Target], ...] = (
    ("GET", "/.well-known/openid-configuration", _discovery),
    ("POST", "/token", _token),
    ("GET", "/version", _version),
)
OPEN_PATHS = frozenset(template for _, template, _ in OPEN_ROUTES)


def default_state(speed: float = 1.0, clock: Clock | None = None) -> WorkflowsMockState:
    """A state for a served mock: realistic run timings on wall time run ``speed`` times faster.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return WorkflowsMockState(clock=clock or MonotonicClock(speed=speed))
