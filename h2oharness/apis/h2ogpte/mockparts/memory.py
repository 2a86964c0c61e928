"""Handlers for memory blocks: CRUD, sharing, privacy and the per-scope defaults, with the seed's 401/403/404/409."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, bad_request, empty, not_found

READ = "h2ogpte/memory_block/read"
EDIT = "h2ogpte/memory_block/edit"
PERMISSIONS = (READ, EDIT)


def _owned(state: H2OGPTeMockState, block: dict[str, Any]) -> bool:
    return bool(block["user_id"] == state.acting.id)


def _can_edit(state: H2OGPTeMockState, block: dict[str, Any]) -> bool:
    shared = block["_shared"].get(state.acting.username, [])
    return _owned(state, block) or EDIT in shared or EDIT in block.get("_public", [])


def render(state: H2OGPTeMockState, block: dict[str, Any]) -> dict[str, Any]:
    """A MemoryBlock as the acting user sees it."""
    return {
        **block,
        "is_owner": _owned(state, block),
        "can_edit": _can_edit(state, block),
        "user_count": len(block["_shared"]),
    }


def _block(state: H2OGPTeMockState, block_id: str) -> dict[str, Any]:
    block = state.memory_blocks.get(block_id)
    if block is None or not state.sees(block, "user_id"):
        raise not_found(f"Memory block {block_id}")
    return block


def _owner_only(state: H2OGPTeMockState, block: dict[str, Any], action: str) -> None:
    if not _owned(state, block):
        raise ApiError(403, f"Only the owner of memory block {block['id']} can {action} it.")


def _unique(state: H2OGPTeMockState, name: str, except_id: str | None = None) -> None:
    for block in state.memory_blocks.values():
        if _owned(state, block) and block["name"] == name and block["id"] != except_id:
            raise ApiError(409, f"A memory block named {name!r} already exists.")


def _check_length(content: str, limit: int) -> None:
    # a negative limit is refused by the contract's schema (minimum 0) before any handler runs
    if limit and len(content) > limit:
        raise bad_request(f"content is longer than max_content_length ({len(content)} > {limit}).")


def create_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/memory_blocks: 201 MemoryBlock; 409 for a name the user already has."""
    body = call.json
    _unique(state, body["name"])
    content = body.get("content") or ""
    limit = body.get("max_content_length")
    limit = 10000 if limit is None else limit
    _check_length(content, limit)
    now = state.now()
    bid = new_id()
    state.memory_blocks[bid] = {
        "id": bid,
        "name": body["name"],
        "content": content,
        "system_prompt_amendment": body.get("system_prompt_amendment") or "",
        "injection_mode": body.get("injection_mode") or "system_prompt",
        "access_mode": body.get("access_mode") or "read_write",
        "user_id": state.acting.id,
        "username": state.acting.username,
        "created_at": now,
        "updated_at": now,
        "is_public": False,
        "max_content_length": limit,
        "is_auto": False,
        "user_count": 0,
        "group_count": 0,
        "_shared": {},
    }
    return Reply(render(state, state.memory_blocks[bid]), status=201)


def _after(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.upper().replace("Z", "+00:00").replace(":60", ":59"))
    except ValueError:
        raise bad_request(f"Invalid value for parameter updated_after: {raw!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise bad_request(f"Invalid value for parameter updated_after: {raw!r} has no time zone")
    return moment


def list_memory_blocks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/memory_blocks: {items, total}."""
    q = call.query
    items = [b for b in state.memory_blocks.values() if state.sees(b, "user_id")]
    if q.get("name_filter"):
        items = [b for b in items if str(q["name_filter"]).lower() in b["name"].lower()]
    if "updated_after" in q:
        after = _after(q["updated_after"])
        items = [b for b in items if b["updated_at"] > after]
    items.sort(key=lambda b: b["updated_at"], reverse=True)
    offset, limit = max(0, q.get("offset", 0)), max(0, q.get("limit", 100))
    return Reply({"items": [render(state, b) for b in items[offset : offset + limit]], "total": len(items)})


def get_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/memory_blocks/{memory_block_id}."""
    return Reply(render(state, _block(state, call.path_params["memory_block_id"])))


def update_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/memory_blocks/{memory_block_id}: 204; only the given fields change."""
    block = _block(state, call.path_params["memory_block_id"])
    if not _can_edit(state, block):
        raise ApiError(403, f"You may not edit memory block {block['id']}.")
    changes = {k: v for k, v in call.json.items() if k in block and not k.startswith("_") and v is not None}
    changes = {
        k: v
        for k, v in changes.items()
        if k in ("name", "content", "system_prompt_amendment", "injection_mode", "access_mode", "max_content_length")
    }
    if "name" in changes:
        _unique(state, changes["name"], except_id=block["id"])
    _check_length(
        changes.get("content", block["content"]), changes.get("max_content_length", block["max_content_length"])
    )
    block.update(changes, updated_at=state.now())
    return empty()


def delete_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/memory_blocks/{memory_block_id}: 204; owner only (403)."""
    block = _block(state, call.path_params["memory_block_id"])
    _owner_only(state, block, "delete")
    del state.memory_blocks[block["id"]]
    # it is no longer anyone's default
    for defaults in state.default_blocks.values():
        for scope, bid in defaults.items():
            if bid == block["id"]:
                defaults[scope] = None
    return empty()


def _permissions(body: dict[str, Any] | None) -> list[str]:
    permissions = list((body or {}).get("permissions") or [READ])
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise bad_request(f"Unknown permission {unknown[0]!r}; expected {READ} or {EDIT}.")
    return permissions


def share_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/memory_blocks/{memory_block_id}/permissions/{username}: 204; owner only."""
    block = _block(state, call.path_params["memory_block_id"])
    _owner_only(state, block, "share")
    permissions = _permissions(call.json)
    block["_shared"][call.path_params["username"]] = permissions
    return empty()


def unshare_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/memory_blocks/{memory_block_id}/permissions/{username}: 204; 404 when not shared."""
    block = _block(state, call.path_params["memory_block_id"])
    _owner_only(state, block, "unshare")
    if block["_shared"].pop(call.path_params["username"], None) is None:
        raise not_found(f"A share of memory block {block['id']} with {call.path_params['username']!r}")
    return empty()


def set_memory_block_privacy(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/memory_blocks/{memory_block_id}/privacy: 204; owner only."""
    block = _block(state, call.path_params["memory_block_id"])
    _owner_only(state, block, "change the privacy of")
    block["is_public"] = call.json["is_public"]
    block["_public"] = _permissions(call.json) if call.json["is_public"] else []
    block["updated_at"] = state.now()
    return empty()


def _defaults(state: H2OGPTeMockState) -> dict[str, str | None]:
    """The acting user's default block ids, by scope (each user sets their own: ``/users/current/...``)."""
    return state.default_blocks.setdefault(state.acting.id, {"llm": None, "agent": None})


def _default(state: H2OGPTeMockState, scope: str) -> dict[str, Any] | None:
    bid = _defaults(state).get(scope)
    block = state.memory_blocks.get(bid) if bid else None
    return render(state, block) if block is not None and state.sees(block, "user_id") else None


def get_default_memory_blocks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/current/default_memory_blocks: {defaults: {llm, agent}}."""
    return Reply({"defaults": {"llm": _default(state, "llm"), "agent": _default(state, "agent")}})


def set_default_memory_block(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/users/current/default_memory_blocks: 200 {scope, memory_block|null}."""
    scope, bid = call.json["scope"], call.json.get("memory_block_id")
    if bid is not None:
        _block(state, bid)
    _defaults(state)[scope] = bid
    return Reply({"scope": scope, "memory_block": _default(state, scope)})
