"""Handlers for what a user sets for their agent's tools: the tool preference, changes to their agent keys, and
which of those keys each tool receives (the key's env var name per tool). Every one is the acting user's own."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts.generic import V1, named_agent_key
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, bad_request, empty, not_found, object_body

#: where the generic layer keeps the agent keys (POST /agents/keys makes them)
AGENT_KEYS = f"{V1}/agents/keys"


def list_agent_tool_preference(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/tool_preference: the user's tool preference, else the default one."""
    return Reply(list(state.tool_preferences.get(state.acting.id, state.tool_preference)))


def update_agent_tool_preference(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/tool_preference: 204; ``reference_value`` is the user's preference from now on."""
    tools = object_body(call).get("reference_value")
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        raise bad_request("reference_value must be a list of tool names")
    state.tool_preferences[state.acting.id] = list(tools)
    return empty()


def delete_agent_tool_preference(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/tool_preference: 204; the user is back to the default preference."""
    state.tool_preferences.pop(state.acting.id, None)
    return empty()


def agent_key(state: H2OGPTeMockState, key_id: str) -> dict[str, Any] | None:
    """The acting user's agent key of that id; None for another user's, as for an unknown one."""
    held = state.resources.collections.get(AGENT_KEYS, {}) if state.resources is not None else {}
    found = held.get(key_id)
    return found if found is not None and state.owns(found) else None


def update_agent_key(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/keys/{key_id}: the given fields (a null one is left as it was); 200 AgentKey. A name
    another of the user's keys has is a 409, as it is for a new key."""
    key = agent_key(state, call.path_params["key_ids"])
    if key is None:
        raise not_found(f"Agent key {call.path_params['key_ids'][:80]}")
    body = object_body(call)
    if body.get("name") is not None and named_agent_key(state, body["name"], but=key["id"]) is not None:
        raise ApiError(409, f"An agent key named {str(body['name'])[:80]!r} already exists")
    key.update({k: body[k] for k in ("name", "type", "value", "description") if body.get(k) is not None})
    key["updated_at"] = state.now().isoformat()
    # the value is a secret: kept for the agent's tools, never answered (as GET /agents/keys never shows it)
    return Reply({k: v for k, v in key.items() if k != "value" and not k.startswith("_")})


def _render_tools(associations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools: dict[str, list[dict[str, Any]]] = {}
    for assoc in associations:
        tools.setdefault(assoc["tool"], []).append({k: v for k, v in assoc.items() if k != "tool"})
    return [{"tool": tool, "keys": keys} for tool, keys in tools.items()]


def bind_key(state: H2OGPTeMockState, tool: str, name: str, key_id: str) -> dict[str, Any]:
    """Give the acting user's agent key to ``tool`` as env var ``name``, in place of the key that name held."""
    for old in [a for a in _mine(state) if a["tool"] == tool and a["name"] == name]:
        del state.key_tool_associations[old["associate_id"]]
    assoc = {
        "tool": tool,
        "name": name,
        "key_id": key_id,
        "associate_id": new_id(),
        "user_id": state.acting.id,
        "email": state.acting.username,
    }
    state.key_tool_associations[assoc["associate_id"]] = assoc
    return assoc


def _mine(state: H2OGPTeMockState) -> list[dict[str, Any]]:
    return [a for a in state.key_tool_associations.values() if a["user_id"] == state.acting.id]


def list_agent_key_tool_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/tool_association: the user's associations, one AgentToolKeyAssociations per tool."""
    return Reply(_render_tools(_mine(state)))


def create_agent_key_tool_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/tool_association: each key is given to the tool under its env var name (one already
    given under that name is replaced); 200 AgentToolKeyAssociations with each association's ``associate_id``.
    A key that is not one of the user's is a 404 and nothing is associated."""
    body = object_body(call)
    tool, keys = body["tool"], body["keys"]
    missing = next((k["key_id"] for k in keys if agent_key(state, k["key_id"]) is None), None)
    if missing is not None:
        raise not_found(f"Agent key {str(missing)[:80]}")
    made = [bind_key(state, tool, key["name"], key["key_id"]) for key in keys]
    return Reply({"tool": tool, "keys": _render_tools(made)[0]["keys"] if made else []})


def delete_agent_tool_association(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/tool_association/{associate_ids} (comma-separated): 200 Count; all or nothing, a 404
    naming the first id that is not one of the user's associations."""
    ids = list(dict.fromkeys(i for i in call.path_params["associate_ids"].split(",") if i))
    mine = {a["associate_id"] for a in _mine(state)}
    missing = next((i for i in ids if i not in mine), None)
    if missing is not None:
        raise not_found(f"Agent tool association {missing[:80]}")
    for associate_id in ids:
        del state.key_tool_associations[associate_id]
    return Reply({"count": len(ids)})
