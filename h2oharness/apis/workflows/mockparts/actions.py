"""The action and action-revision services: reusable step bundles, drafted from YAML and published as revisions.

An action's source is YAML with an ``id`` (the action id, as a workflow's), an optional ``name``, ``inputs``
(declared as a workflow's), ``outputs`` (name -> ``{description}``) and a non-empty list of ``steps``. Publishing
snapshots the draft as revision 1, 2, ...; deleting an action deletes its revisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from h2oharness.apis.workflows.mockparts import listing, source
from h2oharness.apis.workflows.mockparts.handlers import Call, _ids, _string, _ws
from h2oharness.apis.workflows.mockparts.source import EMPTY_INPUT_DEFINITIONS, Problem
from h2oharness.apis.workflows.mockparts.state import PRINCIPAL, WorkflowsMockState
from h2oharness.apis.workflows.mockparts.wire import JSONDict, RpcError, invalid, not_found, page, timestamp

TOP_LEVEL = {"id", "name", "description", "inputs", "outputs", "steps"}


@dataclass(frozen=True)
class ActionSpec:
    """A valid action source, parsed."""

    id: str
    name: str
    inputs: dict[str, Any]
    outputs: list[JSONDict]


@dataclass
class ActionRec:
    """An action's draft."""

    name: str
    source: str
    spec: ActionSpec
    seq: int
    created: float
    updated: float | None = None
    published: int = 0


@dataclass
class ActionRevisionRec:
    """A published snapshot of an action."""

    name: str
    action: str
    snapshot: JSONDict
    seq: int
    created: float


def validate(text: str) -> tuple[ActionSpec | None, list[Problem]]:
    """Parse and check an action source: the spec when it has no errors, and every problem found."""
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, [Problem(f"invalid YAML: {exc.problem or exc.context}", "", line, column)]
    except yaml.YAMLError as exc:
        return None, [Problem(f"invalid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [Problem("an action must be a YAML mapping with 'id' and 'steps'")]
    problems = [
        Problem(f"unknown field '{k}'", str(k), severity="SEVERITY_WARNING") for k in data if k not in TOP_LEVEL
    ]
    action_id = data.get("id")
    if not isinstance(action_id, str) or not source.ID_PATTERN.match(action_id):
        problems.append(Problem(f"'id' must match {source.ID_PATTERN.pattern}, got {action_id!r}", "id"))
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(Problem("'steps' must be a non-empty list", "steps"))
    outputs = data.get("outputs") or {}
    if not isinstance(outputs, dict):
        problems.append(Problem("'outputs' must be a mapping of output name to definition", "outputs"))
        outputs = {}
    # the inputs are declared as a workflow's: reuse its reading through a one-job workflow
    as_workflow = {"id": "a", "inputs": data.get("inputs"), "jobs": {"a": {"steps": [{"run": "true"}]}}}
    workflow, found = source.validate(yaml.safe_dump(as_workflow))
    problems += [p for p in found if p.field_path.startswith("inputs")]
    if any(p.severity == "SEVERITY_ERROR" for p in problems) or workflow is None:
        return None, problems
    name = data.get("name")
    spec = ActionSpec(
        id=str(action_id),
        name=name if isinstance(name, str) and name else str(action_id),
        inputs=workflow.input_definitions() if workflow.inputs else dict(EMPTY_INPUT_DEFINITIONS),
        outputs=[
            {"parameter": str(k), "description": str((v or {}).get("description", "") if isinstance(v, dict) else "")}
            for k, v in outputs.items()
        ],
    )
    return spec, problems


def _spec(text: str) -> ActionSpec:
    spec, problems = validate(text)
    if spec is None:
        errors = "; ".join(
            f"{p.field_path or '<root>'}: {p.message}" for p in problems if p.severity == "SEVERITY_ERROR"
        )
        raise invalid(f"invalid action source: {errors}")
    return spec


def action_json(state: WorkflowsMockState, action: ActionRec) -> JSONDict:
    """A V1Action with every field present."""
    return {
        "name": action.name,
        "sourceContents": action.source,
        "displayName": action.spec.name,
        "createTime": timestamp(state, action.created),
        "creator": PRINCIPAL,
        "updateTime": timestamp(state, action.updated),
        "updater": PRINCIPAL if action.updated is not None else "",
        "inputDefinitions": action.spec.inputs,
        "outputDefinitions": {"outputs": action.spec.outputs},
    }


def revision_json(state: WorkflowsMockState, revision: ActionRevisionRec) -> JSONDict:
    """A V1ActionRevision."""
    return {
        "name": revision.name,
        "snapshot": revision.snapshot,
        "createTime": timestamp(state, revision.created),
        "creator": PRINCIPAL,
    }


def _action(state: WorkflowsMockState, call: Call) -> ActionRec:
    name = f"{_ws(call)}/actions/{call.params['action']}"
    action = state.actions.get(name)
    if action is None:
        raise not_found(f"action {name}")
    if not isinstance(action, ActionRec):
        raise TypeError(f"state.actions holds a {type(action).__name__}")
    return action


def list_actions(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*}/actions."""
    _ids(call)
    prefix = f"{_ws(call)}/actions/"
    items = [a for n, a in state.actions.items() if n.startswith(prefix)]
    chunk, token = page(items, lambda a: a.seq, call.query, state, "actions")
    return {"actions": [action_json(state, a) for a in chunk], "nextPageToken": token}


def create_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{parent=workspaces/*}/actions: the action id is the source's ``id``."""
    _ids(call)
    text = _string(call.obj(), "sourceContents", required=True)
    spec = _spec(text)
    name = f"{_ws(call)}/actions/{spec.id}"
    if name in state.actions:
        raise RpcError(6, f"action {name} already exists")
    action = ActionRec(name=name, source=text, spec=spec, seq=state.next_seq(), created=state.now())
    state.actions[name] = action
    return {"action": action_json(state, action)}


def validate_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{parent=workspaces/*}/actions:validate: every problem; never refuses a source."""
    _ids(call)
    spec, problems = validate(_string(call.obj(), "sourceContents", required=True))
    return {"isValid": spec is not None, "validationErrors": [p.to_json() for p in problems]}


def get_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=workspaces/*/actions/*}."""
    _ids(call)
    return {"action": action_json(state, _action(state, call))}


def update_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """PATCH /v1/{action.name=workspaces/*/actions/*}?updateMask=…: replaces the draft (source_contents)."""
    _ids(call)
    action = _action(state, call)
    fields = set(action_json(state, action))
    if "sourceContents" in listing.mask(call.query.get("updateMask", ""), fields, {"sourceContents"}):
        text = _string(call.obj(), "sourceContents", required=True)
        spec = _spec(text)
        if spec.id != call.params["action"]:
            raise invalid(f"the source's id {spec.id!r} does not match the action {action.name}")
        action.source, action.spec, action.updated = text, spec, state.now()
    return {"action": action_json(state, action)}


def delete_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """DELETE /v1/{name=workspaces/*/actions/*}: its revisions go with it."""
    _ids(call)
    action = _action(state, call)
    for name in [n for n in state.action_revisions if n.startswith(action.name + "/")]:
        del state.action_revisions[name]
    del state.actions[action.name]
    return {}


def publish_action(state: WorkflowsMockState, call: Call) -> JSONDict:
    """POST /v1/{name=workspaces/*/actions/*}:publish: the draft becomes the next revision."""
    _ids(call)
    call.obj()
    action = _action(state, call)
    action.published += 1
    name = f"{action.name}/revisions/{action.published}"
    revision = ActionRevisionRec(name, action.name, action_json(state, action), state.next_seq(), state.now())
    state.action_revisions[name] = revision
    return {"actionRevision": revision_json(state, revision)}


def list_action_revisions(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{parent=workspaces/*/actions/*}/revisions, oldest first."""
    _ids(call)
    action = _action(state, call)
    items = [r for r in state.action_revisions.values() if r.action == action.name]
    chunk, token = page(items, lambda r: r.seq, call.query, state, "actionRevisions")
    return {"actionRevisions": [revision_json(state, r) for r in chunk], "nextPageToken": token}


def get_action_revision(state: WorkflowsMockState, call: Call) -> JSONDict:
    """GET /v1/{name=workspaces/*/actions/*/revisions/*}."""
    _ids(call)
    action = _action(state, call)
    revision = state.action_revisions.get(f"{action.name}/revisions/{call.params['revision']}")
    if revision is None:
        raise not_found(f"action revision {action.name}/revisions/{call.params['revision']}")
    return {"actionRevision": revision_json(state, revision)}
