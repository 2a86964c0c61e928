"""What the high-level client reads before it acts, and the admin jobs it starts over ``/rpc/job``.

Skills deleted, library items starred, the default embedding model (``encode_for_retrieval`` encodes with its id),
and ``POST /rpc/job``: the client's ``["q:<queue>.<JobKind>", {arguments}, request_id]`` becomes a job on the
state's board that ``GET /jobs/{id}`` reports; deleting collections as an admin deletes them at once, as the other
delete jobs do, and a feedback export is then downloaded as CSV from
``GET /question_answer_feedbacks/export/{job_id}``.
"""

from __future__ import annotations

from h2oharness.apis.h2ogpte.mockparts import feedback
from h2oharness.apis.h2ogpte.mockparts.docs import EMBEDDING_MODEL
from h2oharness.apis.h2ogpte.mockparts.generic import V1, delete_collections
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Reply,
    bad_request,
    loads_json,
    not_found,
    object_body,
)
from h2oharness.mocks.jobs import JobPhase

#: the jobs /rpc/job starts, by the JobKind its method names
RPC_JOBS = ("DeleteCollectionsAsAdminJob", "ExportFeedbackCSVJob")


def delete_skills(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/skills/delete: the Count of distinct skills deleted. All or nothing, as the client says:
    an id that is not one of the acting user's skills (another user's, or none) is a 403 and no skill goes."""
    ids = object_body(call).get("skill_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request("skill_ids must be a list of ids")
    held = state.resources.collections.get(f"{V1}/agents/skills", {}) if state.resources is not None else {}
    wanted = list(dict.fromkeys(ids))
    foreign = next((i for i in wanted if i not in held or not state.owns(held[i])), None)
    if foreign is not None:
        raise ApiError(403, f"Skill {foreign[:80]} does not belong to the current user; no skill was deleted")
    for skill_id in wanted:
        del held[skill_id]
        state.skill_associations.pop(skill_id, None)
    return Reply({"count": len(wanted)})


def star_library_item(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST (star) or DELETE (unstar) /api/v1/agents/library/{item_kind}/{item_id}/star: the item's star state.

    Both are idempotent: starring twice counts one star, unstarring an item not starred leaves none. A star is the
    acting user's: the count is of the users who starred the item.
    """
    kind, item = call.path_params["item_kind"], call.path_params["item_id"]
    if kind not in ("skill", "mcp"):
        raise not_found(f"Library item kind {kind[:40]!r}")
    mine = (state.acting.id, kind, item)
    if call.method == "POST":
        state.stars[mine] = None
    else:
        state.stars.pop(mine, None)
    count = sum(1 for star in state.stars if star[1:] == (kind, item))
    return Reply({"item_kind": kind, "item_id": item, "is_starred_by_me": mine in state.stars, "star_count": count})


def get_default_embedding_model(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/embedding_models/default: the model new collections embed with."""
    return Reply(
        {
            "id": EMBEDDING_MODEL,
            "display_name": "BGE large (English)",
            "description": "The default embedding model",
            "languages": ["en"],
        }
    )


def rpc_job(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /rpc/job: ``["q:<queue>.<JobKind>", {arguments}, request_id]`` -> ``{"id"}`` of a job on the board."""
    body = loads_json(call.body) if call.body.strip() else None
    if not isinstance(body, list) or len(body) < 2 or not isinstance(body[0], str) or not isinstance(body[1], dict):
        raise bad_request('The body must be a JSON array: ["q:<queue>.<JobKind>", {arguments}, request_id]')
    kind = body[0].rsplit(".", 1)[-1]
    if kind not in RPC_JOBS:
        raise bad_request(f"Unknown job {body[0][:80]!r}")
    if kind == "DeleteCollectionsAsAdminJob":
        delete_collections(state, [str(cid) for cid in body[1].get("collection_ids") or []])
    csv_rows = feedback.export_csv(state, body[1]) if kind == "ExportFeedbackCSVJob" else b""
    job = state.jobs.submit(kind, state.timings.ingest, job_id=new_id())
    if kind == "ExportFeedbackCSVJob":
        # written when the job is submitted, with the filters it names
        state.exports[job.id] = csv_rows
    return Reply({"id": job.id})


def download_feedback_export(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/question_answer_feedbacks/export/{job_id}: the finished export's CSV, one row per feedback."""
    job = state.job(call.path_params["job_id"])
    if job is None or job.kind != "ExportFeedbackCSVJob":
        raise not_found(f"Export {call.path_params['job_id']}")
    if job.phase(state.clock.now()) is not JobPhase.SUCCEEDED:
        raise bad_request("The export has not finished")
    return Reply(state.exports.get(job.id, b""), content_type="text/csv")
