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
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, empty, not_found, page


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
    permissions = (call.json or {}).get("permissions") or []
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
