"""A mock CorePlexML Experiments API: ``make_app(state)`` builds a fresh Starlette app around an explicit state.

It speaks like the FastAPI server the ``coreplexml`` SDK talks to: JSON under
``/api/``, ``Authorization: Bearer <api key>``, errors as ``{"detail": ...}``
(422 with FastAPI's ``[{loc, msg, type}]`` for bad input), 404 ``Not Found`` and
405 ``Method Not Allowed`` (with ``Allow``) from the router. An experiment is an
AutoML job on the state's clock: ``queued``, then ``running`` with models
reaching the leaderboard one by one, then ``succeeded``, ``failed`` (bad data) or
``canceled``. Bad input always gets a 4xx, never a 5xx or a traceback.

Example:
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    with serve(make_app(state)) as served:
        httpx.get(served.url + "/api/projects", headers={"Authorization": "Bearer sk-h2oharness-mock"})
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from h2oharness.apis.coreplexml.mockparts import handlers_data as data
from h2oharness.apis.coreplexml.mockparts import handlers_experiments as experiments
from h2oharness.apis.coreplexml.mockparts.state import (
    CorePlexMLMockState,
    CorePlexMLTimings,
    RecordedRequest,
)
from h2oharness.apis.coreplexml.mockparts.wire import ApiError, Call, Reply, encode
from h2oharness.mocks.auth import bearer_token
from h2oharness.mocks.clock import Clock, MonotonicClock

__all__ = ["DEVIATIONS", "ROUTES", "CorePlexMLMockState", "CorePlexMLTimings", "default_state", "make_app"]

log = logging.getLogger(__name__)

Handler = Callable[[CorePlexMLMockState, Call], Reply]

# (method, path template, handler); literal paths before templated ones (capabilities before {experiment_id})
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/projects", data.list_projects),
    ("POST", "/api/projects", data.create_project),
    ("GET", "/api/projects/{project_id}", data.get_project),
    ("DELETE", "/api/projects/{project_id}", data.delete_project),
    ("POST", "/api/datasets/upload", data.upload_dataset),
    ("GET", "/api/datasets/{dataset_id}", data.get_dataset),
    ("DELETE", "/api/datasets/{dataset_id}", data.delete_dataset),
    ("GET", "/api/datasets/{dataset_id}/versions", data.dataset_versions),
    ("GET", "/api/experiments/capabilities", experiments.capabilities),
    ("GET", "/api/experiments", experiments.list_experiments),
    ("POST", "/api/experiments", experiments.create_experiment),
    ("GET", "/api/experiments/{experiment_id}", experiments.detail),
    ("DELETE", "/api/experiments/{experiment_id}", experiments.delete),
    ("GET", "/api/experiments/{experiment_id}/status", experiments.status),
    ("GET", "/api/experiments/{experiment_id}/logs", experiments.logs),
    ("GET", "/api/experiments/{experiment_id}/explain", experiments.explain),
    ("POST", "/api/experiments/{experiment_id}/best-model", experiments.set_best_model),
    ("GET", "/api/experiments/{experiment_id}/engine-runs", experiments.engine_runs),
)


# What the mock decides where the seed and the SDK are silent (the docs drift test reports the seed's gaps).
DEVIATIONS: dict[str, str] = {
    "training": "nothing is trained: models, metrics, training times and importances are drawn from a generator "
    "seeded by the experiment id, the config seed and the dataset version, consistent with each other",
    "max_models": "counts base models, as H2O AutoML does; up to two StackedEnsembles come on top (none when "
    "nfolds is 0 or fewer than two base models exist); values above the quota (50) are capped, with a log note",
    "bad data": "a target column the dataset lacks, a constant target or a non-numeric regression target makes the "
    "experiment fail the moment it starts running (the API accepts it with 201, as a queued job would be)",
    "cancel": "the API documents no cancel call; CorePlexMLMockState.cancel() cancels as an operator would, and "
    "DELETE stops a live run before removing it",
    "config": "unknown config keys and null values are refused with 422 (a real server may ignore them)",
    "metrics": "sort and stopping metrics may be spelled as the seed (auc) or as H2O (AUC); detail shows the "
    "resolved lower-case name, AUTO replaced by the problem type's default",
    "list filters": "dataset_id filters by dataset or by dataset version; sort_by/sort_order are the mock's names "
    "for the seed's two unnamed sort parameters",
    "explain": "409 while no model is on the leaderboard; StackedEnsemble models have no variable importances",
    "best-model": "400 for a model of another experiment, 404 for an unknown model, 409 for one not trained yet",
    "projects and datasets": "shapes chosen to satisfy the SDK's normalisers (flat project; dataset_id and "
    "dataset_version_id on upload); uploading an existing dataset name adds a version",
}


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(pattern)


Table = list[tuple[str, re.Pattern[str], Handler]]


def make_app(state: CorePlexMLMockState | None = None) -> Starlette:
    """A fresh mock CorePlexML app over ``state`` (a new default state when None)."""
    state = state if state is not None else CorePlexMLMockState()
    table: Table = [(method, _compile(path), handler) for method, path, handler in ROUTES]
    app = Starlette()
    # one endpoint routes every request, so unknown paths and methods get FastAPI's JSON bodies, not Starlette's text
    app.router.default = request_response(_endpoint(state, table))
    app.state.coreplexml = state
    return app


def _route(table: Table, method: str, path: str) -> tuple[Handler | None, dict[str, str], list[str]]:
    """The handler for ``method path`` and its path parameters, or None and the methods the path allows.

    The first template that matches the path is the resource (``/api/datasets/upload`` is not a dataset id), as
    Starlette's router treats its first partial match.
    """
    resource: str | None = None
    allowed: list[str] = []
    for route_method, pattern, handler in table:
        match = pattern.fullmatch(path)
        if match is None or (resource is not None and pattern.pattern != resource):
            continue
        resource = pattern.pattern
        if route_method == method:
            return handler, match.groupdict(), []
        allowed.append(route_method)
    return None, {}, allowed


def _endpoint(state: CorePlexMLMockState, table: Table) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        path = request.scope["path"]
        handler, path_params, allowed = _route(table, request.method, path)
        body = await request.body()
        call = Call(
            method=request.method,
            path=path,
            path_params=path_params,
            query=parse_qs(request.url.query, keep_blank_values=True),
            body=body,
            content_type=request.headers.get("content-type", ""),
            user_agent=request.headers.get("user-agent", ""),
        )
        authorization = request.headers.get("authorization")
        authorized = _authorized(state, authorization)
        reply, content = await run_in_threadpool(_answer, state, handler, allowed, call, authorized)
        state.record(
            RecordedRequest(
                method=call.method,
                path=call.path,
                query=call.query,
                content_type=call.content_type,
                json=_json_or_none(call),
                body_size=len(body),
                user_agent=call.user_agent,
                authorized=authorized,
                status=reply.status,
            )
        )
        if request.method == "HEAD":
            content = b""
        return Response(content, status_code=reply.status, headers=reply.headers, media_type="application/json")

    return endpoint


def _authorized(state: CorePlexMLMockState, header: str | None) -> bool:
    if not state.api_keys:
        return True
    token = bearer_token(header)
    return token is not None and token in state.api_keys


def _json_or_none(call: Call) -> object:
    if "json" not in call.content_type.lower():
        return None
    try:
        return call.json()
    except ApiError:
        return None


def _answer(
    state: CorePlexMLMockState, handler: Handler | None, allowed: list[str], call: Call, authorized: bool
) -> tuple[Reply, bytes]:
    try:
        if handler is None:
            if allowed:
                raise ApiError(405, "Method Not Allowed", {"Allow": ", ".join(sorted(set(allowed)))})
            raise ApiError(404, "Not Found")
        if not authorized:
            detail = "Not authenticated" if not call.path.startswith("/api/") else "Invalid or missing API key"
            raise ApiError(401, detail, {"WWW-Authenticate": "Bearer"})
        reply = handler(state, call)
        return reply, encode(reply.body or {})
    except ApiError as err:
        reply = Reply(err.body(), status=err.status, headers=err.headers)
        return reply, encode(err.body())
    except Exception as exc:  # a mock bug: never a 5xx nor a traceback, but recorded for tests to see
        log.exception("coreplexml mock: %s %s failed", call.method, call.path)
        with state.lock:
            state.internal_errors.append(f"{call.method} {call.path}: {type(exc).__name__}: {exc}")
        body = {"detail": f"The mock could not handle this request: {type(exc).__name__}: {exc}"}
        return Reply(body, status=400), encode(body)


def default_state(speed: float = 1.0, clock: Clock | None = None) -> CorePlexMLMockState:
    """A state for a served mock: realistic experiment timings on wall time run ``speed`` times faster.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return CorePlexMLMockState(clock=clock or MonotonicClock(speed=speed))
