"""Users and the sharing of collections: who a key acts as, and who else may see a collection.

A collection is its creator's; sharing it with a username (``PUT /collections/{id}/permissions/{username}``) lets
that user see it, its documents and its chats' collection, until it is unshared. Only the owner shares: another user
who may see it gets a 403 (the operation's first documented 4xx where 403 is not documented), one who may not a 404.
Chats are never shared with a collection: they stay their creator's.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import collection
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, User
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, empty, not_found, object_body, page


def _user_named(state: H2OGPTeMockState, username: str) -> User:
    found = next((u for u in state.users.values() if u.username == username), None)
    if found is None:
        raise not_found(f"User {username[:80]}")
    return found


def _owned_collection(state: H2OGPTeMockState, collection_id: str) -> dict[str, Any]:
    """The acting user's collection; a 404 when they may not see it, a 403 when it is someone else's."""
    coll = collection(state, collection_id)
    if not state.owns(coll):
        raise ApiError(403, f"Only the owner may change who collection {collection_id} is shared with")
    return coll


def share_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/collections/{collection_id}/permissions/{username}: 204; the user sees the collection from now on
    (sharing with the owner changes nothing)."""
    coll = _owned_collection(state, call.path_params["collection_id"])
    user = _user_named(state, call.path_params["username"])
    if user.id == state.acting.id:
        return empty()
    # a client-only operation (HANDLERS): its body is checked against the contract but not parsed into call.json,
    # which is why the permissions were lost before
    permissions = (object_body(call) if call.body.strip() else {}).get("permissions") or []
    coll["_shared"][user.username] = [str(p) for p in permissions]
    coll["user_count"] = len(coll["_shared"])
    return empty()


def unshare_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/collections/{collection_id}/permissions/{username}: 204; the user no longer sees it."""
    coll = _owned_collection(state, call.path_params["collection_id"])
    user = _user_named(state, call.path_params["username"])
    coll["_shared"].pop(user.username, None)
    coll["user_count"] = len(coll["_shared"])
    return empty()


def unshare_collection_for_all(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/collections/{collection_id}/permissions: 204; only the owner sees it."""
    coll = _owned_collection(state, call.path_params["collection_id"])
    coll["_shared"].clear()
    coll["user_count"] = 0
    return empty()


def get_collection_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/collections/{collection_id}/permissions: a SharePermission per user it is shared with."""
    coll = collection(state, call.path_params["collection_id"])
    return Reply([{"username": name, "permissions": list(given)} for name, given in coll["_shared"].items()])


def list_users(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users: every user, as UserInfo."""
    return Reply(page([u.info() for u in state.users.values()], call.query))


def get_user(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/{user_id}: the user as UserInfo, or a 404."""
    user = state.users.get(call.path_params["user_id"])
    if user is None:
        raise not_found(f"User {call.path_params['user_id'][:80]}")
    return Reply(user.info())


PROMPT_TEMPLATES = "/api/v1/prompt_templates"


def _owned_template(state: H2OGPTeMockState, template_id: str) -> dict[str, Any]:
    """The acting user's prompt template (a generic record) to share or unshare: only the owner says who sees it,
    as for collections."""
    record = _template_changed_by_owner(state, template_id, "change who prompt template {} is shared with")
    if not isinstance(record.get("_shared"), dict):
        record["_shared"] = {}
    return record


def _template_changed_by_owner(
    state: H2OGPTeMockState, template_id: str, what: str = "change or delete prompt template {}"
) -> dict[str, Any]:
    """The prompt template a user may change (update, delete, share): a 404 when they may not see it, a 403 when it
    is only shared with them or public. Sharing a template gives no permission level (share_prompt sends none), so a
    user it is shared with reads and uses it, as one a memory block is shared with for reading; the owner alone
    changes or deletes it, as only a collection's owner deletes it."""
    held = state.resources.collections.get(PROMPT_TEMPLATES, {}) if state.resources is not None else {}
    record = held.get(template_id)
    if record is None or not state.sees(record):
        raise not_found(f"prompt_template_id '{template_id[:80]}'")
    if not state.owns(record):
        raise ApiError(403, f"Only the owner may {what.format(template_id)}")
    return record


def check_template_owner(state: H2OGPTeMockState, template_id: str) -> None:
    """Refuse a change to a prompt template the acting user sees but does not own (403); an unseen one is left to
    the caller's own 404."""
    held = state.resources.collections.get(PROMPT_TEMPLATES, {}) if state.resources is not None else {}
    if template_id in held and state.sees(held[template_id]):
        _template_changed_by_owner(state, template_id)


def delete_prompt_templates(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/prompt_templates/{prompt_template_id}: 204; the path names one template or several, comma
    separated (the client's delete_prompt_templates(ids)), and all go or none does: one the user may not see is a
    404, one that is not theirs a 403 (the operation's first documented 4xx where 403 is not documented)."""
    ids = [i for i in call.path_params["prompt_template_id"].split(",") if i]
    records = [_template_changed_by_owner(state, template_id) for template_id in ids]
    held = state.resources.collections.get(PROMPT_TEMPLATES, {}) if state.resources is not None else {}
    for record in records:
        held.pop(record["id"], None)
    return empty()


def share_prompt_template(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/prompt_templates/{prompt_template_id}/permissions/{username}: 204; the user sees the template
    (lists, reads and uses it) from now on; sharing with the owner changes nothing."""
    record = _owned_template(state, call.path_params["prompt_template_id"])
    user = _user_named(state, call.path_params["username"])
    if user.id != state.acting.id:
        record["_shared"][user.username] = []
    return empty()


def unshare_prompt_template(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/prompt_templates/{prompt_template_id}/permissions/{username}: 204; the user no longer sees it
    (unless it is public)."""
    record = _owned_template(state, call.path_params["prompt_template_id"])
    user = _user_named(state, call.path_params["username"])
    record["_shared"].pop(user.username, None)
    return empty()


def unshare_prompt_template_for_all(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/prompt_templates/{prompt_template_id}/permissions: 204; it is shared with no one."""
    _owned_template(state, call.path_params["prompt_template_id"])["_shared"].clear()
    return empty()


def reset_and_share_prompt_template(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/prompt_templates/{prompt_template_id}/permissions: 204; shared with exactly the usernames given
    (each a user the mock has, else a 404 and nothing changes)."""
    record = _owned_template(state, call.path_params["prompt_template_id"])
    usernames = object_body(call).get("usernames")
    if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
        raise ApiError(400, "usernames must be a list of usernames")
    users = [_user_named(state, name) for name in usernames]
    record["_shared"].clear()
    record["_shared"].update({u.username: [] for u in users if u.id != state.acting.id})
    return empty()


def get_prompt_template_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/prompt_templates/{prompt_template_id}/permissions: a SharePermission per user it is shared with
    (a template is shared without permission levels, so none are listed)."""
    held = state.resources.collections.get(PROMPT_TEMPLATES, {}) if state.resources is not None else {}
    record = held.get(call.path_params["prompt_template_id"])
    if record is None or not state.sees(record):
        raise not_found(f"prompt_template_id '{call.path_params['prompt_template_id'][:80]}'")
    shared = record.get("_shared")
    return Reply([{"username": name} for name in shared] if isinstance(shared, dict) else [])
