"""``POST /rpc/db``: the high-level client's RPC for AI assistants, forums, event types and their links.

The body is ``["method", *args]`` with positional arguments. ``create_<kind>`` stores a record (named by its first
argument) and answers it with its ``id``; ``get_<kind>`` answers the record or a 404; ``list_<kind>s`` lists the
records of that kind (a list of links, files, messages or permissions the mock does not keep is empty);
``delete_<kind>`` removes it; every other method (update, share, connect, pin, vote...) is accepted with ``{}``.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.state import USER_ID, USERNAME, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, bad_request, loads_json, not_found

#: ``list_<name>`` -> the kind it lists, where the name is not simply the kind's plural
LISTS = {"list_event_subscriptions": "event_subscription"}


def _kind(method: str, verb: str) -> str:
    return method.removeprefix(verb + "_")


def _record(state: H2OGPTeMockState, kind: str, args: list[Any]) -> dict[str, Any]:
    name = args[0] if args and isinstance(args[0], str) else kind
    now = state.now().isoformat()
    record: dict[str, Any] = {
        "id": new_id(),
        "user_id": USER_ID,
        "username": USERNAME,
        "name": name,
        "created_at": now,
        "updated_at": now,
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
        records.setdefault("event_subscription", {})[sub["id"]] = sub
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
        found = records.get(kind, {}).get(str(args[0]) if args else "")
        if found is None:
            raise not_found(f"{kind.replace('_', ' ').capitalize()} {args[0] if args else ''}")
        return Reply(found)
    if method.startswith("list_"):
        kind = LISTS.get(method, _kind(method, "list").removesuffix("s"))
        return Reply(list(records.get(kind, {}).values()))
    if method.startswith("delete_"):
        kind = _kind(method, "delete")
        records.get(kind, {}).pop(str(args[0]) if args else "", None)
    # the client parses every answer as JSON, then drops it
    return Reply({})
