"""Real resources for an all-operations run: a workflow with its runs, a runner and an action, put in positive cases.

A generated ``workflow`` (``"0"``, ``"aZ3"``) names nothing, so every valid request to ``…/workflows/{workflow}/…``
gets the documented 404 and its success answer is never checked. Before an operation's cases run,
``ThingFeed.ensure`` makes, in one workspace (``WORKFLOWS_WORKSPACE``, else ``h2oharness``): a workflow whose runs
fail within seconds (active, so it has a revision), a few finished runs of it (each with attempt 1, the job
``broken`` and its step 1), a second workflow whose run sleeps (the one a cancel can stop), a runner, and an
action with a published revision. The sleeping run is started only for a cancel's case, and ``cancel_started``
cancels it after that operation's test (``remove`` too): a sweep leaves nothing running on the target, and a run
an interrupted sweep left behind ends on its own after ``SLOW_SECONDS``.
``ThingFeed.fill`` then puts their names into the path parameters (and any
query or top-level body field of the same name) of two in three positive cases, its first one included, decided
once per distinct draw, so a case hypothesis replays is filled again; the others keep their drawn ids and their 404.
Negative cases are left as drawn. Where such a case's body takes a source, it gets one the server accepts: the fed
workflow's or action's own for an update, a new action's for a create (removed at the end with the rest).

A case that consumes a fed thing (a 2xx to a delete, cancel, retry or deactivate) marks the feed stale, and the
next case's ``fill`` remakes what is missing: a new live run for cancel, the next still-failed run for retry (a
retried run fails again a second later and is used again), a re-activated workflow (its new revision).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient, WorkflowsResponseError
from h2oharness.contractplan import ExtraCase, fed_draw
from h2oharness.settings import variable

__all__ = ["RUN_WAIT", "ThingFeed", "Things", "names_for"]

#: the most a remake waits for new runs to fail (the mock's end in about a second)
RUN_WAIT = 20.0
#: how long the run a cancel stops sleeps: far longer than one case, short enough that one left behind ends soon
SLOW_SECONDS = 120
#: finished runs started at once: a retry or a delete uses one up, and a retried run is failed again a second later
POOL = 4
#: the path parameters the feed fills (an action's ``revision`` is its published one, a workflow's its active one)
PATH_NAMES = ("workspace", "workflow", "revision", "run", "attempt", "job", "step", "runner", "action")
#: the verbs after whose 2xx (or a DELETE's) the fed things must be checked and remade
CONSUMING = (":cancel", ":retry", ":deactivate")
FINAL = {"STATE_SUCCEEDED", "STATE_FAILED", "STATE_SKIPPED"}
JOB, STEP, ATTEMPT = "broken", "1", "1"
ACTIONS = "/v1/workspaces/{workspace}/actions"


def action_source(action_id: str) -> str:
    """An action the mock accepts: one step, no inputs."""
    return f"id: {action_id}\nname: h2oharness {action_id}\nsteps:\n  - run: echo hello\n"


@dataclass
class Things:
    """What exists on the target for positive cases to name (resource names, ``workspaces/…``)."""

    workspace: str
    workflow: str
    revision: str
    slow_workflow: str
    slow_revision: str
    runner: str
    action: str
    action_revision: str
    #: finished runs of ``workflow`` (the first still FAILED is the one a case gets)
    runs: list[str] = field(default_factory=list)
    #: the sleeping run of ``slow_workflow`` a cancel's case names ("" until one is started)
    live_run: str = ""


def _last(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _segments(name: str) -> dict[str, str]:
    """``workspaces/w/workflows/x/revisions/1/runs/r1`` -> {"workspace": "w", "workflow": "x", ...}."""
    parts = name.split("/")
    singular = {"workspaces": "workspace", "workflows": "workflow", "revisions": "revision", "runs": "run"}
    singular |= {"runners": "runner", "actions": "action"}
    return {singular[parts[i]]: parts[i + 1] for i in range(0, len(parts) - 1, 2) if parts[i] in singular}


def names_for(things: Things, path: str, run: str | None) -> dict[str, str]:
    """The values of the fed names for the operation at ``path`` (``run``: the run its case gets, if any)."""
    values = {"workspace": _last(things.workspace)}
    if "/runners/" in path:
        values["runner"] = _last(things.runner)
    elif "/actions/" in path:
        values |= {"action": _last(things.action), "revision": _last(things.action_revision)}
    elif "/workflows/" in path:
        values |= _segments(run or things.revision)
        values |= {"attempt": ATTEMPT, "job": JOB, "step": STEP}
    return values


def _replaced(values: dict[str, str], drawn: Any, names: set[str]) -> Any:
    """``drawn`` with each of ``names`` it carries set to its value; None if nothing changes."""
    if not isinstance(drawn, dict):
        return None
    out = {k: values[k] if k in names and k in values else v for k, v in drawn.items()}
    return None if out == drawn else out


class ThingFeed:
    """The resources the positive cases get, kept present on the target; one per session (one per xdist worker)."""

    def __init__(self) -> None:
        self.keys: Things | None = None
        self.error: str | None = None
        self._http: httpx.Client | None = None
        self._tag = "master"
        self._stale = False
        #: per draw of the current test's operation, whether its cases get the real names
        self._decided: dict[str, bool] = {}
        #: the operation (method, path template) of the case last filled, until its answer is noted
        self._filled: tuple[str, str] | None = None
        # per target URL: a session may test the mock and a live server in turn
        self._made: dict[str, Things] = {}
        #: the actions filled creates made, and how many sources were given
        self._created: list[str] = []
        self._count = 0

    def install(self, schema: Any) -> None:
        """Nothing to register: the names go in at send time (``fill``), as h2oGPTe's ids do."""

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make what is missing on the target (first use, a case deleted it, a restart lost it), before a test."""
        self._http, self._tag, self._decided = http, tag, {}
        self._make(http)

    def _make(self, http: httpx.Client) -> None:
        self._stale = False
        self.keys = self._made.get(str(http.base_url))
        try:
            self.keys = self._refresh(WorkflowsClient(http), self.keys)
            self.error = None
            self._made[str(http.base_url)] = self.keys
        except Exception as exc:  # any failure: the cases go out as drawn, and the run says why
            self.keys, self.error = None, f"{type(exc).__name__}: {exc}"
            self._made.pop(str(http.base_url), None)

    def fill(self, case: Any) -> None:
        """Put the real names into two in three positive cases (a negative case is sent as drawn)."""
        self._filled = None
        meta = case.meta
        if (
            self.keys is None
            or meta is None
            or not meta.generation.mode.is_positive
            or not fed_draw(self._decided, case, every=3)
        ):
            return
        if self._stale and self._http is not None:
            self._make(self._http)
            if self.keys is None:
                return
        path = case.operation.path
        if _cancels(path):
            self._start_live()
        values = names_for(self.keys, path, self._run_for(path))
        declared = {p.name for p in case.operation.path_parameters}
        if declared:
            case.path_parameters = {**(case.path_parameters or {}), **{k: values[k] for k in declared & set(values)}}
        for part in ("query", "body"):
            replaced = _replaced(values, getattr(case, part), set(values))
            if replaced is not None:
                setattr(case, part, replaced)
        source = self._source_for(case.method.upper(), path, values)
        if source is not None and isinstance(case.body, dict) and "sourceContents" in case.body:
            case.body = {**case.body, "sourceContents": source}
        self._filled = (case.method.upper(), path)

    def extra_cases(self, operation: Any) -> list[ExtraCase]:
        """None: the generated cases are enough."""
        return []

    def note(self, response: Any) -> None:
        """After a filled case's 2xx to a delete, cancel, retry or deactivate, remake before the next case; an action
        a filled create made is deleted with the rest."""
        filled, self._filled = self._filled, None
        if filled is None or not 200 <= int(getattr(response, "status_code", 0)) < 300:
            return
        method, path = filled
        if (method, path) == ("POST", ACTIONS):
            with contextlib.suppress(ValueError, AttributeError, TypeError, KeyError):
                self._created.append(str(response.json()["action"]["name"]))
        if method == "DELETE" or path.endswith(CONSUMING):
            self._stale = True

    def cancel_started(self, http: httpx.Client) -> None:
        """Cancel the sleeping run a cancel's cases were given, once that operation's test is over (one request: a
        run already ended answers an error, which is ignored). The runs other cases start fail within seconds."""
        keys = self.keys
        if keys is None or not keys.live_run:
            return
        run, keys.live_run = keys.live_run, ""
        with contextlib.suppress(httpx.HTTPError, WorkflowsResponseError):
            WorkflowsClient(http).cancel_run(run)

    def _start_live(self) -> None:
        """A sleeping run for a cancel's case: the one held while it still runs, else a new one."""
        if self.keys is None or self._http is None:
            return
        client = WorkflowsClient(self._http)
        with contextlib.suppress(httpx.HTTPError, WorkflowsResponseError):
            if _state(client, self.keys.live_run) in FINAL | {""}:
                self.keys.live_run = str(client.run_revision(self.keys.slow_revision)["name"])

    def remove(self, http: httpx.Client) -> None:
        """Delete the workflows (their runs with them), the runner and the action, at the end of the module."""
        made = self._made.pop(str(http.base_url), None)
        if made is None:
            return
        client = WorkflowsClient(http)
        if made.live_run:
            with contextlib.suppress(httpx.HTTPError, WorkflowsResponseError):
                client.cancel_run(made.live_run)
        for call, name in (
            (client.delete_workflow, made.slow_workflow),
            (client.delete_workflow, made.workflow),
            (client.delete_runner, made.runner),
            (lambda n: client.request("DELETE", f"/v1/{n}"), made.action),
        ):
            with contextlib.suppress(httpx.HTTPError, WorkflowsResponseError):
                call(name)
        for name in self._created:
            with contextlib.suppress(httpx.HTTPError, WorkflowsResponseError):
                client.request("DELETE", f"/v1/{name}")
        self._created = []
        if self.keys is made:
            self.keys = None

    def _source_for(self, method: str, path: str, values: dict[str, str]) -> str | None:
        """A source the server accepts where the body takes one: the fed workflow's or action's own for an update
        (nothing changes), a new action's for a create (nothing generated is an action source a server accepts)."""
        if method == "PATCH" and path.endswith("/workflows/{workflow}"):
            return payloads.failing_source(values["workflow"])
        if method == "PATCH" and path.endswith("/actions/{action}"):
            return action_source(values["action"])
        if method == "POST" and path == ACTIONS:
            self._count += 1
            return action_source(f"{self._base()}-a{self._count}")
        return None

    def _base(self) -> str:
        return "h2oharness-sweep-" + self._tag.lower().replace("_", "-")

    # ---------------------------------------------------------------------------------------- making things

    def _run_for(self, path: str) -> str | None:
        """The run a case of ``path`` names: the live one for a cancel, a failed one for the rest."""
        if "/runs/{run}" not in path or self.keys is None:
            return None
        if _cancels(path):
            return self.keys.live_run or None
        return self.keys.runs[0] if self.keys.runs else None

    def _refresh(self, client: WorkflowsClient, known: Things | None) -> Things:
        """``known`` with whatever is gone, inactive or no longer in the state a case needs made again."""
        workspace = f"workspaces/{variable('WORKFLOWS_WORKSPACE') or 'h2oharness'}"
        base = self._base()
        workflow = _active(client, workspace, base, payloads.failing_source(base))
        slow = _active(client, workspace, base + "-slow", payloads.slow_source(base + "-slow", SLOW_SECONDS))
        live = known.live_run if known is not None and known.slow_workflow == slow["name"] else ""
        runner = _present(client, f"{workspace}/runners/{base}") or str(
            client.create_runner(workspace, base, "h2oharness-image", "h2oharness-template")["name"]
        )
        action = f"{workspace}/actions/{base}"
        revision = _action_revision(client, action, action_source(base))
        runs = _failed_runs(client, workflow["activeRevision"], list(known.runs) if known is not None else [])
        return Things(workspace, workflow["name"], workflow["activeRevision"], slow["name"], slow["activeRevision"],
                      runner, action, revision, runs, live)  # fmt: skip


def _cancels(path: str) -> bool:
    """Whether the operation at ``path`` cancels a run (its cases need one still running)."""
    return "/runs/{run}" in path and path.endswith(":cancel")


def _state(client: WorkflowsClient, run: str) -> str:
    """A run's state, or "" when there is none by that name."""
    if not run:
        return ""
    try:
        return str(client.get_run(run).get("state", ""))
    except WorkflowsResponseError as exc:
        if exc.status == 404:
            return ""
        raise


def _present(client: WorkflowsClient, name: str) -> str:
    """``name`` when a GET finds it, else ""."""
    try:
        client.request("GET", f"/v1/{name}")
    except WorkflowsResponseError as exc:
        if exc.status == 404:
            return ""
        raise
    return name


def _active(client: WorkflowsClient, workspace: str, workflow_id: str, source: str) -> dict[str, Any]:
    """The workflow, created if missing and activated if not active."""
    name = f"{workspace}/workflows/{workflow_id}"
    workflow = client.get_workflow(name) if _present(client, name) else client.create_workflow(workspace, source)
    if workflow.get("state") != "STATE_ACTIVE" or not workflow.get("activeRevision"):
        workflow = client.activate(name)
    return workflow


def _action_revision(client: WorkflowsClient, action: str, source: str) -> str:
    """The action's first published revision, the action created and published if it is missing."""
    workspace = action.split("/actions/")[0]
    if not _present(client, action):
        client.request("POST", f"/v1/{workspace}/actions", json={"sourceContents": source})
    revisions = client.request("GET", f"/v1/{action}/revisions").get("actionRevisions") or []
    if revisions:
        return str(revisions[0]["name"])
    return str(client.request("POST", f"/v1/{action}:publish", json={})["actionRevision"]["name"])


def _failed_runs(client: WorkflowsClient, revision: str, known: list[str]) -> list[str]:
    """Known runs still there, a FAILED one first; when none is FAILED, ``POOL`` new ones, waited for."""
    states = {run: _state(client, run) for run in known[: 2 * POOL]}
    kept = [run for run, state in states.items() if state]
    failed = [run for run in kept if states[run] == "STATE_FAILED"]
    if failed:
        return failed + [run for run in kept if run not in failed]
    started = [str(client.run_revision(revision)["name"]) for _ in range(POOL)]
    deadline = time.monotonic() + RUN_WAIT
    for run in started:
        client.wait_final(run, timeout=max(0.1, deadline - time.monotonic()))
    return started + kept[:POOL]
