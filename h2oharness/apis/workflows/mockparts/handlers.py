"""The handlers of the /v1 surface: each takes the state and a decoded Call and returns a JSON body (200)."""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.workflows.mockparts import execution, listing, source
from h2oharness.apis.workflows.mockparts.state import (
    AttemptRec,
    JobPlan,
    RevisionRec,
    RunnerRec,
    RunRec,
    StepPlan,
    WorkflowRec,
    WorkflowsMockState,
)
from h2oharness.apis.workflows.mockparts.wire import (
    JSONDict,
    RpcError,
    attempt_json,
    invalid,
    job_json,
    not_found,
    page,
    precondition,
    revision_json,
    run_json,
    runner_json,
    step_json,
    workflow_json,
)

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
RUNNER_WRITABLE = {"displayName", "aliases", "sandboxEngineImage", "sandboxEngineTemplate"}
STREAMS = {"", "OUTPUT_STREAM_UNSPECIFIED", "OUTPUT_STREAM_STDOUT", "OUTPUT_STREAM_STDERR", "OUTPUT_STREAM_COMBINED"}
# ASCII digits only: str.isdigit() is true for "²", which int() refuses
DIGITS = re.compile(r"[0-9]+")
RETRY_MODES = {"RETRY_MODE_UNSPECIFIED", "RETRY_MODE_ALL_JOBS", "RETRY_MODE_FAILED_JOBS"}


@dataclass
class Call:
    """One request, decoded: path parameters, query and JSON body (the raw body too, for the token endpoint)."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw: bytes = b""
    content_type: str = ""
    base_url: str = ""

    def obj(self) -> JSONDict:
        """The JSON object body ({} when empty); 400 otherwise."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise invalid("the request body must be a JSON object")
        return self.body


@dataclass
class Stream:
    """A newline-delimited JSON answer (server streaming, as grpc-gateway writes it)."""

    lines: list[JSONDict]


Handler = Callable[[WorkflowsMockState, Call], "JSONDict | Stream"]


def _ids(call: Call) -> None:
    for key, value in call.params.items():
        if not ID.match(value):
            raise invalid(f"invalid {key} id {value!r}: must match {ID.pattern}")


def _string(body: JSONDict, key: str, *, required: bool = False) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(f"missing required field '{key}'")
        return ""
    if not isinstance(value, str):
        raise invalid(f"field '{key}' must be a string")
    return value


def _choice(body: JSONDict, key: str, allowed: set[str], default: str) -> str:
    """A string field that must be one of ``allowed`` (null or absent is ``default``); 400 for anything else."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise invalid(f"invalid {key} {value!r}: one of {', '.join(sorted(allowed))}")
    return value


def _list(body: JSONDict, key: str, what: str) -> list[Any]:
    """A repeated field (null or absent is empty); 400 when it is not a JSON array."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"'{what}' must be a list")
    return value


def _ws(call: Call) -> str:
    return f"workspaces/{call.params['workspace']}"


def _workflow(state: WorkflowsMockState, call: Call) -> WorkflowRec:
    name = f"{_ws(call)}/workflows/{call.params['workflow']}"
    wf = state.workflows.get(name)
    if wf is None:
        raise not_found(f"workflow {name}")
    return wf


def _revision(state: WorkflowsMockState, call: Call) -> RevisionRec:
    wf = _workflow(state, call)
    rev_id = call.params["revision"]
    if rev_id == "active":
        if not wf.active_revision:
            raise precondition(f"workflow {wf.name} is not active: it has no active revision")
        return state.revisions[wf.active_revision]
    rev = state.revisions.get(f"{wf.name}/revisions/{rev_id}")
    if rev is None:
        raise not_found(f"revision {wf.name}/revisions/{rev_id}")
    return rev


def _run(state: WorkflowsMockState, call: Call) -> RunRec:
    rev = _revision(state, call)
    name = f"{rev.name}/runs/{call.params['run']}"
    run = state.runs.get(name)
    if run is None:
        raise not_found(f"run {name}")
    return run


def _attempt(state: WorkflowsMockState, call: Call) -> tuple[RunRec, AttemptRec]:
    run = _run(state, call)
    ident = call.params["attempt"]
    if ident == "latest":
        return run, run.attempts[-1]
    if DIGITS.fullmatch(ident) and 1 <= int(ident) <= len(run.attempts):
        return run, run.attempts[int(ident) - 1]
    raise not_found(f"attempt {run.name}/attempts/{ident}")


def _job(state: WorkflowsMockState, call: Call) -> tuple[str, AttemptRec, JobPlan]:
    run, attempt = _attempt(state, call)
    attempt_name = f"{run.name}/attempts/{attempt.number}"
    for job in attempt.jobs:
        if job.job_id == call.params["job"]:
            return attempt_name, attempt, job
    raise not_found(f"job {attempt_name}/jobs/{call.params['job']}")


def _step(state: WorkflowsMockState, call: Call) -> tuple[str, AttemptRec, StepPlan]:
    attempt_name, attempt, job = _job(state, call)
    job_name = f"{attempt_name}/jobs/{job.job_id}"
    for step in job.steps:
        if str(step.index) == call.params["step"]:
            return job_name, attempt, step
    raise not_found(f"step {job_name}/steps/{call.params['step']}")


def _spec(text: str) -> source.WorkflowSpec:
    spec, problems = source.validate(text)
    if spec is None:
        errors = [p for p in problems if p.severity == "SEVERITY_ERROR"]
        where = "; ".join(
            f"{p.field_path or '<root>'} (line {p.line}, column {p.column}): {p.message}" for p in errors[:5]
        )
        raise invalid(f"invalid workflow source: {where}")
    return spec


# ------------------------------------------------------------------------------------------------ workflows


def list_workflows(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*}/workflows."""
    _ids(call)
    prefix = f"{_ws(call)}/workflows/"
    items = [w for n, w in state.workflows.items() if n.startswith(prefix)]
    chunk, token = page(items, lambda w: w.seq, call.query, state, "workflows")
    return {"workflows": [workflow_json(state, w) for w in chunk], "nextPageToken": token}


def create_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{parent=workspaces/*}/workflows: the workflow id is the source's ``id``."""
    _ids(call)
    text = _string(call.obj(), "sourceContents", required=True)
    spec = _spec(text)
    name = f"{_ws(call)}/workflows/{spec.id}"
    if name in state.workflows:
        raise RpcError(6, f"workflow {name} already exists")
    wf = WorkflowRec(name=name, source=text, spec=spec, seq=state.next_seq(), created=state.now())
    state.workflows[name] = wf
    return {"workflow": workflow_json(state, wf)}


def validate_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{parent=workspaces/*}/workflows:validate: every problem, with line, column and fieldPath."""
    _ids(call)
    text = _string(call.obj(), "sourceContents", required=True)
    spec, problems = source.validate(text)
    return {"isValid": spec is not None, "validationErrors": [p.to_json() for p in problems]}


def get_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=workspaces/*/workflows/*}."""
    _ids(call)
    return {"workflow": workflow_json(state, _workflow(state, call))}


def update_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """PATCH /v1/{workflow.name=workspaces/*/workflows/*}: replaces the draft; no revision is made."""
    _ids(call)
    wf = _workflow(state, call)
    fields = set(workflow_json(state, wf))
    if "sourceContents" not in listing.mask(call.query.get("updateMask", ""), fields, {"sourceContents"}):
        return {"workflow": workflow_json(state, wf)}  # only output-only fields named: nothing to change
    text = _string(call.obj(), "sourceContents", required=True)
    spec = _spec(text)
    if spec.id != call.params["workflow"]:
        raise invalid(f"the source's id {spec.id!r} does not match the workflow {wf.name}")
    wf.source, wf.spec, wf.updated = text, spec, state.now()
    return {"workflow": workflow_json(state, wf)}


def delete_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """DELETE /v1/{name=workspaces/*/workflows/*}: its revisions and runs go with it."""
    _ids(call)
    forget(state, _workflow(state, call).name)
    return {}


def forget(state: WorkflowsMockState, name: str) -> None:
    """Drop a workflow or a revision (by resource name) with everything under it: revisions and runs (a live run
    cancelled), or an action with its published revisions."""
    for run in [r for n, r in state.runs.items() if n.startswith(name + "/")]:
        for attempt in run.attempts:
            execution.cancel_attempt(attempt, state.now())
        del state.runs[run.name]
    for held in (state.revisions, state.action_revisions):
        for rev in [n for n in held if n.startswith(name + "/")]:
            del held[rev]
    for held in (state.workflows, state.revisions, state.actions, state.action_revisions):
        held.pop(name, None)


def trim(state: WorkflowsMockState) -> None:
    """Keep memory bounded whatever clients send: drop the oldest workflows, revisions (never one a workflow has
    active), runners, actions and action revisions beyond ``max_objects`` of each, then the oldest of them beyond
    ``max_source_bytes`` of source in all (never the newest made), each as if deleted."""
    cap = max(1, state.max_objects)
    active = {wf.active_revision for wf in state.workflows.values()}
    inactive = [n for n in state.revisions if n not in active]
    gone = inactive[: max(0, len(state.revisions) - cap)]
    for held in (state.workflows, state.runners, state.actions, state.action_revisions):
        gone += list(itertools.islice(held, max(0, len(held) - cap)))
    for name in gone:
        if state.runners.pop(name, None) is None:
            forget(state, name)
    sources = _sources(state)
    total = sum(size for _, size in sources.values())
    if total <= state.max_source_bytes:
        return
    # a revision is under its workflow's name, a published action revision under its action's
    under: dict[str, list[str]] = {}
    for name in sources:
        if "/revisions/" in name:
            under.setdefault(name.split("/revisions/")[0], []).append(name)
    oldest = sorted((seq, name) for name, (seq, _) in sources.items() if name not in active)
    for _, name in oldest[:-1]:
        if total <= state.max_source_bytes:
            break
        if name not in sources:
            continue  # it went with its workflow or action
        forget(state, name)
        for freed in [name, *under.get(name, [])]:
            total -= sources.pop(freed, (0, 0))[1]


def _sources(state: WorkflowsMockState) -> dict[str, tuple[int, int]]:
    """Everything that holds source, by resource name: its creation order and its bytes of source."""
    held: dict[str, tuple[int, int]] = {}
    for records in (state.workflows, state.revisions, state.actions):
        held.update((name, (r.seq, len(r.source))) for name, r in records.items())
    for name, r in state.action_revisions.items():
        held[name] = (r.seq, len(str(r.snapshot.get("sourceContents", ""))))
    return held


def activate_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST …:activate: a new ACTIVE revision from the draft, unless the draft is already the active one."""
    _ids(call)
    call.obj()
    wf = _workflow(state, call)
    now = state.now()
    current = state.revisions.get(wf.active_revision)
    if wf.state == "STATE_ACTIVE" and current is not None and current.source == wf.source:
        return {"workflow": workflow_json(state, wf)}
    if current is not None:
        current.state, current.deactivated = "STATE_INACTIVE", now
    wf.revisions += 1
    rev = RevisionRec(f"{wf.name}/revisions/{wf.revisions}", wf.name, wf.source, wf.spec, state.next_seq(), now)
    state.revisions[rev.name] = rev
    wf.state, wf.active_revision, wf.activated = "STATE_ACTIVE", rev.name, now
    return {"workflow": workflow_json(state, wf)}


def deactivate_workflow(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST …:deactivate: no more runs; the active revision becomes INACTIVE."""
    _ids(call)
    call.obj()
    wf = _workflow(state, call)
    current = state.revisions.get(wf.active_revision)
    if current is not None:
        current.state, current.deactivated = "STATE_INACTIVE", state.now()
    wf.state, wf.active_revision = "STATE_INACTIVE", ""
    return {"workflow": workflow_json(state, wf)}


# ------------------------------------------------------------------------------------------------ revisions


def list_revisions(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*/workflows/*}/revisions."""
    _ids(call)
    wf = _workflow(state, call)
    items = [r for r in state.revisions.values() if r.workflow == wf.name]
    chunk, token = page(items, lambda r: r.seq, call.query, state, "revisions")
    return {"workflowRevisions": [revision_json(state, r) for r in chunk], "nextPageToken": token}


def get_revision(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=workspaces/*/workflows/*/revisions/*} (``active`` names the active one)."""
    _ids(call)
    return {"workflowRevision": revision_json(state, _revision(state, call))}


def _input_values(spec: source.WorkflowSpec, raw: Any) -> tuple[JSONDict, dict[str, str]]:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise invalid("'inputs' must be an object")
    defs = {d.parameter: d for d in spec.inputs}
    given: dict[str, str] = {}
    echo: JSONDict = {"stringValues": [], "boolValues": [], "intValues": []}
    for key, kind in (("stringValues", "string"), ("boolValues", "bool"), ("intValues", "int")):
        for item in _list(raw, key, f"inputs.{key}"):
            if not isinstance(item, dict) or not isinstance(item.get("parameter"), str) or "value" not in item:
                raise invalid(f"each of 'inputs.{key}' needs 'parameter' and 'value'")
            pname, value = item["parameter"], item["value"]
            d = defs.get(pname)
            if d is None or d.type != kind:
                raise invalid(f"the workflow declares no {kind} input {pname!r}")
            if (kind == "bool" and not isinstance(value, bool)) or (kind != "bool" and not isinstance(value, str)):
                raise invalid(f"input {pname!r} has a value of the wrong type")
            if kind == "int" and not re.fullmatch(r"-?[0-9]{1,18}", value):  # the contract's pattern
                raise invalid(f"input {pname!r} must be an integer, got {value!r}")
            given[pname] = str(value).lower() if kind == "bool" else str(value)
            shown = {"parameter": pname, "value": "***" if d.secret else value}
            echo[key].append({**shown, "redacted": d.secret} if kind == "string" else shown)
    for d in spec.inputs:
        if d.parameter not in given:
            if d.required and d.default is None:
                raise invalid(f"missing required input {d.parameter!r}")
            if d.default is not None:
                given[d.parameter] = str(d.default).lower() if d.type == "bool" else str(d.default)
    return echo, given


def run_revision(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST …/revisions/*:run: a manual run of an ACTIVE revision; its first attempt is queued now."""
    _ids(call)
    rev = _revision(state, call)
    if rev.state != "STATE_ACTIVE":
        raise precondition(f"revision {rev.name} is not active: the workflow was deactivated or re-activated")
    echo, given = _input_values(rev.spec, call.obj().get("inputs"))
    seq = state.next_seq()
    run = RunRec(f"{rev.name}/runs/r{seq:06d}", rev.name, echo, given, seq, state.now())
    run.attempts.append(execution.plan_attempt(state, rev.spec, 1, given, call.params["workspace"]))
    state.runs[run.name] = run
    _trim_runs(state)
    return {"run": run_json(state, run)}


def _trim_runs(state: WorkflowsMockState) -> None:
    excess = len(state.runs) - state.max_runs
    if excess <= 0:
        return
    now = state.now()
    done = [n for n, r in state.runs.items() if execution.attempt_status(r.attempts[-1], now).state in execution.FINAL]
    for name in done[:excess]:
        del state.runs[name]


# ------------------------------------------------------------------------------------------------ runs


def list_runs(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*/workflows/*/revisions/*}/runs."""
    _ids(call)
    rev = _revision(state, call)
    items = [run_json(state, r) for r in sorted(state.runs.values(), key=lambda r: r.seq) if r.revision == rev.name]
    chosen = list(enumerate(listing.matching(items, call.query.get("filter", "")), start=1))
    chunk, token = page(chosen, lambda p: p[0], call.query, state, "runs")
    return {"runs": [r for _, r in chunk], "nextPageToken": token}


def get_run(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=…/runs/*}."""
    _ids(call)
    return {"run": run_json(state, _run(state, call))}


def delete_run(state: WorkflowsMockState, call: Call) -> JSONDict:
    """DELETE /v1/{name=…/runs/*}: only a finished run."""
    _ids(call)
    run = _run(state, call)
    if execution.attempt_status(run.attempts[-1], state.now()).state not in execution.FINAL:
        raise precondition(f"run {run.name} is still in progress: cancel it first")
    del state.runs[run.name]
    return {}


def cancel_run(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST …:cancel: a queued or running run ends FAILED with RUN_FAILURE_REASON_CANCELED."""
    _ids(call)
    call.obj()
    run = _run(state, call)
    if not execution.cancel_attempt(run.attempts[-1], state.now()):
        raise precondition(f"run {run.name} has already finished")
    return {"run": run_json(state, run)}


def retry_run(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST …:retry: a FAILED run gets a new attempt (failed jobs only by default, or all jobs)."""
    _ids(call)
    mode = _choice(call.obj(), "retryMode", RETRY_MODES, "RETRY_MODE_UNSPECIFIED")
    run = _run(state, call)
    now = state.now()
    last = run.attempts[-1]
    if execution.attempt_status(last, now).state != "STATE_FAILED":
        raise precondition(f"run {run.name} has not failed: only a failed run can be retried")
    keep: set[str] = set()
    if mode != "RETRY_MODE_ALL_JOBS":
        keep = {
            j.job_id
            for j in last.jobs
            if not j.selected or execution.job_status(j, last, now).state == "STATE_SUCCEEDED"
        }
    rev = state.revisions[run.revision]
    attempt = execution.plan_attempt(
        state, rev.spec, len(run.attempts) + 1, run.input_map, call.params["workspace"], keep
    )
    run.attempts.append(attempt)
    return {"run": run_json(state, run)}


def list_attempts(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=…/runs/*}/attempts."""
    _ids(call)
    run = _run(state, call)
    chunk, token = page(run.attempts, lambda a: a.number, call.query, state, "attempts")
    return {"runAttempts": [attempt_json(state, run, a) for a in chunk], "nextPageToken": token}


def get_attempt(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=…/attempts/*} (``latest`` names the latest)."""
    _ids(call)
    run, attempt = _attempt(state, call)
    return {"runAttempt": attempt_json(state, run, attempt)}


def list_jobs(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=…/attempts/*}/jobs, in schedule order."""
    _ids(call)
    run, attempt = _attempt(state, call)
    name = f"{run.name}/attempts/{attempt.number}"
    items = listing.matching([job_json(state, name, attempt, j) for j in attempt.jobs], call.query.get("filter", ""))
    indexed = list(enumerate(listing.ordered(items, call.query.get("orderBy", "")), start=1))
    chunk, token = page(indexed, lambda p: p[0], call.query, state, "jobs")
    return {"jobs": [j for _, j in chunk], "nextPageToken": token}


def get_job(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=…/jobs/*}."""
    _ids(call)
    name, attempt, job = _job(state, call)
    return {"job": job_json(state, name, attempt, job)}


def list_steps(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=…/jobs/*}/steps."""
    _ids(call)
    name, attempt, job = _job(state, call)
    job_name = f"{name}/jobs/{job.job_id}"
    chunk, token = page(job.steps, lambda s: s.index, call.query, state, "steps")
    return {"steps": [step_json(state, job_name, attempt, s) for s in chunk], "nextPageToken": token}


def get_step(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=…/steps/*}."""
    _ids(call)
    job_name, attempt, step = _step(state, call)
    return {"step": step_json(state, job_name, attempt, step)}


def _stream(call: Call) -> str:
    stream = call.query.get("stream", "")
    if stream not in STREAMS:
        raise invalid(f"invalid stream {stream!r}: one of {', '.join(sorted(STREAMS - {''}))}")
    return stream


def step_logs(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET …/steps/*:logs: what the step has written so far, base64."""
    _ids(call)
    stream = _stream(call)
    _, attempt, step = _step(state, call)
    text = execution.visible_log(step, attempt, state.now(), stream)
    return {"data": base64.b64encode(text.encode()).decode("ascii")}


def stream_step_logs(state: WorkflowsMockState, call: Call) -> Stream:
    """GET …/steps/*:streamLogs: the log from ``offset`` as newline-delimited ``{"result": …}`` chunks."""
    _ids(call)
    stream = _stream(call)
    raw = call.query.get("offset", "") or "0"
    if not DIGITS.fullmatch(raw):
        raise invalid(f"invalid offset {raw!r}: a byte offset")
    _, attempt, step = _step(state, call)
    data = execution.visible_log(step, attempt, state.now(), stream).encode()
    start = int(raw)
    chunks: list[JSONDict] = []
    for line in _lines(data[start:]):
        chunks.append({"result": {"data": base64.b64encode(line).decode("ascii"), "offset": str(start)}})
        start += len(line)
    return Stream(chunks)


def _lines(data: bytes) -> Iterator[bytes]:
    yield from (data.splitlines(keepends=True) if data else [])


# ------------------------------------------------------------------------------------------------ runners


def _runner_body(body: JSONDict) -> JSONDict:
    out: JSONDict = {}
    for key in ("sandboxEngineImage", "sandboxEngineTemplate"):
        value = _string(body, key, required=True)
        if not value:
            raise invalid(f"'{key}' must not be empty")
        out[key] = value
    out["displayName"] = _string(body, "displayName")
    aliases = _list(body, "aliases", "aliases")
    if not all(isinstance(a, str) for a in aliases):
        raise invalid("'aliases' must be a list of strings")
    out["aliases"] = aliases
    return out


def list_runners(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*}/runners."""
    _ids(call)
    prefix = f"{_ws(call)}/runners/"
    items = [r for n, r in state.runners.items() if n.startswith(prefix)]
    chunk, token = page(items, lambda r: r.seq, call.query, state, "runners")
    return {"runners": [runner_json(state, r) for r in chunk], "nextPageToken": token}


def create_runner(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{parent=workspaces/*}/runners?runnerId=…."""
    _ids(call)
    runner_id = call.query.get("runnerId", "")
    if not source.ID_PATTERN.match(runner_id):
        raise invalid(f"invalid runnerId {runner_id!r}: must match {source.ID_PATTERN.pattern}")
    name = f"{_ws(call)}/runners/{runner_id}"
    body = _runner_body(call.obj())
    if name in state.runners:
        raise RpcError(6, f"runner {name} already exists")
    runner = RunnerRec(name, body, state.next_seq(), state.now())
    state.runners[name] = runner
    return {"runner": runner_json(state, runner)}


def _runner(state: WorkflowsMockState, call: Call) -> RunnerRec:
    name = f"{_ws(call)}/runners/{call.params['runner']}"
    runner = state.runners.get(name)
    if runner is None:
        raise not_found(f"runner {name}")
    return runner


def get_runner(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=workspaces/*/runners/*}."""
    _ids(call)
    return {"runner": runner_json(state, _runner(state, call))}


def update_runner(state: WorkflowsMockState, call: Call) -> JSONDict:
    """PATCH /v1/{runner.name=workspaces/*/runners/*}?updateMask=…: only the fields the mask names change."""
    _ids(call)
    runner = _runner(state, call)
    chosen = listing.mask(call.query.get("updateMask", ""), set(runner_json(state, runner)), RUNNER_WRITABLE)
    body = call.obj()
    # AIP-134: a named field the body leaves out is cleared; one the mask does not name keeps its value
    runner.body = _runner_body({**runner.body, **{key: body.get(key) for key in chosen}})
    runner.updated = state.now()
    return {"runner": runner_json(state, runner)}


def delete_runner(state: WorkflowsMockState, call: Call) -> JSONDict:
    """DELETE /v1/{name=workspaces/*/runners/*}."""
    _ids(call)
    del state.runners[_runner(state, call).name]
    return {}


def dumps(body: JSONDict) -> bytes:
    """Compact JSON."""
    return json.dumps(body, separators=(",", ":")).encode()
