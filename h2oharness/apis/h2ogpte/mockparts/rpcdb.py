"""``POST /rpc/db``: the high-level client's RPC for AI assistants, forums, event types and their links.

The body is ``["method", *args]`` with positional arguments. ``create_<kind>`` stores a record (named by its first
argument) and answers it with its ``id``; ``get_<kind>`` answers the record or a 404; ``list_<kind>s`` lists the
records of that kind (a list of links, files, messages or permissions the mock does not keep is empty);
``delete_<kind>`` removes it; every other method (update, connect, pin, vote...) is accepted with ``{}``.

A record is its creator's, as the client says ("assistants accessible to the current user"): another user does not
get or list it until its owner shares it (``share_<kind>(id, username, access_mode)``, undone by
``unshare_<kind>(id, username)``); only the owner deletes, shares or unshares it (a 403 for a user it is shared
with). Another user's record is as unknown as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, bad_request, loads_json, not_found

#: ``list_<name>`` -> the kind it lists, where the name is not simply the kind's plural
LISTS = {"list_event_subscriptions": "event_subscription"}


def _kind(method: str, verb: str) -> str:
    return method.removeprefix(verb + "_")


def _record(state: H2OGPTeMockState, kind: str, args: list[Any]) -> dict[str, Any]:
    name = args[0] if args and isinstance(args[0], str) else kind
    now = state.now().isoformat()
    record: dict[str, Any] = {
        "id": new_id(),
        "user_id": state.acting.id,
        "username": state.acting.username,
        "name": name,
        "created_at": now,
        "updated_at": now,
        "_owner": state.acting.id,
        # who it is shared with: username -> access mode
        "_shared": {},
    }
    if kind == "forum_post":
        record["forum_id"] = name
    return record


def rpc_db(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /rpc/db: ``["method", *args]`` answered from the records the mock keeps per kind."""
    body = loads_json(call.body) if call.body.strip() else None
    if not isinstance(body, list) or not body or not isinstance(body[0], str):
        raise bad_request('The body must be a JSON array: ["method", ...arguments]')
    method, args = body[0], body[1:]
    records = state.rpc_records
    if method == "subscribe_to_event_type":
        sub = {"id": new_id(), "assistant_id": str(args[0]), "event_type_id": str(args[1]) if len(args) > 1 else ""}
        records.setdefault("event_subscription", {})[sub["id"]] = {**sub, "_owner": state.acting.id}
        return Reply(sub)
    if method == "list_recent_documents_with_summaries_sort_filter_by_type":
        return Reply({"items": [], "total": 0})
    if method.startswith("create_"):
        kind = _kind(method, "create")
        record = _record(state, kind, args)
        records.setdefault(kind, {})[record["id"]] = record
        return Reply(record)
    if method.startswith("get_"):
        kind = _kind(method, "get")
        found = _seen(state, kind, args)
        if found is None:
            raise not_found(f"{kind.replace('_', ' ').capitalize()} {args[0] if args else ''}")
        return Reply(found)
    if method.startswith("list_"):
        kind = LISTS.get(method, _kind(method, "list").removesuffix("s"))
        return Reply([r for r in records.get(kind, {}).values() if visible(state, kind, r)])
    for verb in ("delete", "share", "unshare"):
        if method.startswith(verb + "_"):
            _change(state, verb, _kind(method, verb), args)
    # the client parses every answer as JSON, then drops it
    return Reply({})


def _seen(state: H2OGPTeMockState, kind: str, args: list[Any]) -> dict[str, Any] | None:
    """The record of that kind named by the first argument, when the acting user may see it."""
    found = state.rpc_records.get(kind, {}).get(str(args[0]) if args else "")
    return found if found is not None and visible(state, kind, found) else None


def visible(state: H2OGPTeMockState, kind: str, record: dict[str, Any]) -> bool:
    """Whether the acting user sees a record: theirs or shared with them; a forum post also when they see its
    forum."""
    if kind == "forum_post":
        forum = state.rpc_records.get("forum", {}).get(str(record.get("forum_id")))
        return state.sees(record) or (forum is not None and state.sees(forum))
    return state.sees(record)


def _change(state: H2OGPTeMockState, verb: str, kind: str, args: list[Any]) -> None:
    """Delete, share or unshare the record the arguments name: the owner's to do (a 403 for a user it is shared
    with); one the acting user does not see is left be, as an unknown one is."""
    found = _seen(state, kind, args)
    if found is None:
        return
    if not state.owns(found):
        raise ApiError(403, f"Only the owner may {verb} {kind.replace('_', ' ')} {found['id']}")
    if verb == "delete":
        del state.rpc_records[kind][found["id"]]
    elif len(args) > 1 and verb == "share":
        found["_shared"][str(args[1])] = str(args[2]) if len(args) > 2 else "read"
    elif len(args) > 1:
        found["_shared"].pop(str(args[1]), None)
