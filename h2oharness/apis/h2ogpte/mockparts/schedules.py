"""Scheduled tasks, approvals, collection graphs and connectors: high-level client paths outside h2ogpte.rest_sync.

Scheduled tasks are kept (created, read, listed, updated, triggered, deleted), each its creator's: another user
gets the 404 of an unknown task and does not see it listed or batch-deleted; the admin paths
(``/admin/scheduled_tasks``) reach every user's. A graph build is a job on the clock; the summaries, executions and
statistics the mock does not track are empty.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import collection, job_details
from h2oharness.apis.h2ogpte.mockparts.state import EPOCH, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, empty, not_found, object_body

KIND = "scheduled_task"


def _tasks(state: H2OGPTeMockState) -> dict[str, dict[str, Any]]:
    return state.rpc_records.setdefault(KIND, {})


def _reaches(state: H2OGPTeMockState, call: Call, task: dict[str, Any]) -> bool:
    """Whether the call may act on the task: the acting user's own, or any on an admin path."""
    return call.path.startswith("/api/v1/admin/") or state.owns(task)


def _task(state: H2OGPTeMockState, call: Call) -> dict[str, Any]:
    found = _tasks(state).get(call.path_params["task_id"])
    if found is None or not _reaches(state, call, found):
        raise not_found(f"Scheduled task {call.path_params['task_id']}")
    return found


def _body(call: Call) -> dict[str, Any]:
    return object_body(call) if call.body.strip() else {}


def create_task(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/scheduled_tasks: the task, active, never run yet."""
    now = state.now().isoformat()
    task = {
        **_body(call),
        "id": new_id(),
        "user_id": state.acting.id,
        "username": state.acting.username,
        "_owner": state.acting.id,
        "status": "active",
        "execution_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    _tasks(state)[task["id"]] = task
    return Reply(task, status=201)


def get_task(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/scheduled_tasks/{task_id}."""
    return Reply(_task(state, call))


def list_tasks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/scheduled_tasks (and the admin list): ``{items, total}``."""
    items = [t for t in _tasks(state).values() if _reaches(state, call, t)]
    return Reply({"items": items, "total": len(items)})


def update_task(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/scheduled_tasks/{task_id} (and the admin one): the task with the given fields."""
    task = _task(state, call)
    task.update({k: v for k, v in _body(call).items() if k != "id"})
    task["updated_at"] = state.now().isoformat()
    return Reply(task)


def delete_task(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/scheduled_tasks/{task_id}: 204."""
    del _tasks(state)[_task(state, call)["id"]]
    return empty()


def batch_delete(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/scheduled_tasks/batch_delete (and the admin one): the tasks among the given ids go."""
    ids = _body(call).get("task_ids") or []
    tasks = _tasks(state)
    gone = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i in tasks and _reaches(state, call, tasks[i])]
    for task_id in gone:
        del tasks[task_id]
    return Reply({"deleted_count": len(gone)})


def trigger_task(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/scheduled_tasks/{task_id}/trigger: one more execution counted."""
    task = _task(state, call)
    task["execution_count"] = int(task.get("execution_count") or 0) + 1
    return Reply({"task_id": task["id"], "execution_id": new_id(), "status": "triggered"})


def nothing_tracked(state: H2OGPTeMockState, call: Call) -> Reply:
    """Executions, summaries and statistics: the mock keeps none (``{items: [], total: 0}`` fits them all)."""
    if "task_id" in call.path_params:
        _task(state, call)
    return Reply({"items": [], "total": 0})


def generate_spec(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/{scheduled_tasks|ai_assistants}/generate_spec: a spec built from the request's words."""
    prompt = str(_body(call).get("prompt") or _body(call).get("user_prompt") or "")
    spec = {"name": " ".join(prompt.split()[:4]) or "Generated", "description": prompt}
    return Reply({"task": spec, "assistant": spec, "passed": True, "response": "", "llm_used": "auto"})


def approval_config(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/admin/users/{user_id}/approval_config: what was set, else the defaults."""
    user_id = call.path_params["user_id"]
    stored = state.rpc_records.get("approval_config", {}).get(user_id, {})
    return Reply({"user_id": user_id, "approval_user_id": None, **stored})


def set_approval_config(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/admin/users/{user_id}/approval_config: the config with the given fields."""
    user_id = call.path_params["user_id"]
    stored = state.rpc_records.setdefault("approval_config", {}).setdefault(user_id, {})
    stored.update({k: v for k, v in _body(call).items() if k != "user_id"})
    return Reply({"user_id": user_id, "approval_user_id": None, **stored})


def approvals_routed_to_me(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/ai_assistants_approvals/routed_to_me: none pending."""
    return Reply([])


#: a build job's status as GET .../status names it (the client's GraphStatus: none, building, ready, failed)
GRAPH_STATUS = {"in progress": "building", "completed": "ready"}


def build_graph(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/graph/{collection_id}/build: a job on the clock the client waits for."""
    coll = collection(state, call.path_params["collection_id"])
    job = state.jobs.submit("build_collection_graph", state.timings.job, job_id=new_id(), description=coll["name"])
    coll["_graph"] = job.id
    # the contract documents 201 Created (JobDetails), as for the other jobs a POST starts
    return Reply(job_details(state, job), status=201)


def graph_status(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/graph/{collection_id}/status: "none" before a build, then the build job's in the contract's words
    (building, ready, failed), with built_at once ready."""
    coll = collection(state, call.path_params["collection_id"])
    job = state.jobs.get(coll.get("_graph", ""))
    if job is None:
        return Reply({"status": "none"})
    status = GRAPH_STATUS.get(job_details(state, job)["overall_status"], "failed")
    ended = job.ended_at(state.clock.now())
    built = EPOCH + timedelta(seconds=ended) if status == "ready" and ended is not None else None
    return Reply({"status": status, "built_at": built})


def _built(state: H2OGPTeMockState, call: Call) -> dict[str, Any]:
    """The collection, when it has a graph built (ready); a 404 before a build ends or after its graph is deleted
    (a guess: the contract documents the 404, no source says when)."""
    coll = collection(state, call.path_params["collection_id"])
    job = state.jobs.get(coll.get("_graph", ""))
    if job is None or job_details(state, job)["overall_status"] != "completed":
        raise not_found(f"Graph of collection {coll['id']}")
    return coll


def get_graph(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/graph/{collection_id}: the built graph, as KnowledgeGraphData; the mock extracts no entities, so
    it has none (whole, not truncated)."""
    _built(state, call)
    return Reply({"nodes": [], "edges": [], "is_truncated": False, "total_nodes": None, "total_relationships": None})


def graph_node(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/graph/{collection_id}/node: the graph holds no entities, so any name is a 404 (as the whole
    graph is before a build)."""
    coll = _built(state, call)
    raise not_found(f"Node {call.query.get('name', '')!r} in the graph of collection {coll['id']}")


def graph_labels(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/graph/{collection_id}/labels: no entity name matches in a built graph (it has none)."""
    _built(state, call)
    return Reply({"labels": []})


def delete_graph(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/graph/{collection_id}: 204; the collection has no graph until the next build."""
    _built(state, call).pop("_graph", None)
    return empty()


def connector_status(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/connectors/status: none connected."""
    return Reply({"available": ["google_drive", "sharepoint"], "connected": []})


def list_connectors(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/connectors: none."""
    return Reply({"connectors": []})


def connect(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/connectors/connect: where the user would authorize the link."""
    return Reply({"auth_url": f"https://example.com/oauth/authorize?state={new_id()}"})


def revoke(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/connectors/revoke: 204."""
    return empty()
