"""Handlers for the built-in MCP library: what an admin publishes, edits and removes (shared by every user; the mock
has no roles, so any key may), and a user's adding of an entry to their own tools, which the listing then shows."""

from __future__ import annotations

import json
import re
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.agentkeys import agent_key, bind_key
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    Call,
    Reply,
    bad_request,
    not_found,
    object_body,
    parse_multipart,
)

MCP_TYPES = ("oauth_app", "api_app")
REQUIRED = ("name", "description", "type", "mcp_config_json")


def _entry(state: H2OGPTeMockState, mcp_id: str) -> dict[str, Any]:
    found = state.builtin_mcps.get(mcp_id)
    if found is None:
        raise not_found(f"Built-in MCP {mcp_id[:80]}")
    return found


def _added(state: H2OGPTeMockState, mcp_id: str) -> dict[str, Any] | None:
    """The acting user's custom tool made from that library entry, if they added it."""
    mine = (t for t in state.custom_tools.values() if state.owns(t))
    return next((t for t in mine if t["tool_args"].get("builtin_mcp_id") == mcp_id), None)


def _checked(config: Any) -> dict[str, Any]:
    """An MCP configuration as the client's UpdateUserBuiltinMcpRequest requires it (a 400 otherwise)."""
    if not isinstance(config, dict):
        raise bad_request("mcp_config must be a JSON object")
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise bad_request(f"mcp_config lacks {', '.join(missing)}")
    if config["type"] not in MCP_TYPES:
        raise bad_request(f"type must be one of {', '.join(MCP_TYPES)}")
    if not isinstance(config["mcp_config_json"], dict):
        raise bad_request("mcp_config_json must be a JSON object")
    return dict(config)


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("id", "mcp_id", "config", "user_id", "created_at", "updated_at")}


def list_builtin_mcps(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/builtin_mcps: the library by type, each entry with whether the acting user added it (and
    their tool's id); the client finds an entry by its ``id``, the mcp_id."""
    listing: dict[str, list[dict[str, Any]]] = {"oauth_apps": [], "api_key_apps": []}
    for mcp_id, entry in state.builtin_mcps.items():
        config = entry["config"]
        tool = _added(state, mcp_id)
        shown = {
            **{k: v for k, v in config.items() if k != "mcp_config_json"},
            "id": mcp_id,
            "logo_url": entry["logo_url"],
            "added_by_admin": entry["user_id"] is not None,
            "is_added": tool is not None,
            "tool_id": tool["id"] if tool is not None else None,
        }
        if config["type"] == "oauth_app":
            # the mock connects no OAuth connector
            listing["oauth_apps"].append({**shown, "is_connected": False})
        else:
            listing["api_key_apps"].append(shown)
    return Reply(listing)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "mcp"


def create_user_builtin_mcp(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/builtin_mcps/admin (multipart ``mcp_config``, optional ``logo_file``): 201 with the new
    entry, whose mcp_id is its name's slug + ``_builtin``; a name whose mcp_id the library has is a 400."""
    parts = parse_multipart(call.content_type, call.body)
    raw = parts["mcp_config"].text() if "mcp_config" in parts else ""
    try:
        config = _checked(json.loads(raw))
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise bad_request("mcp_config is not valid JSON") from None
    mcp_id = f"{_slug(str(config['name']))}_builtin"
    if mcp_id in state.builtin_mcps:
        raise bad_request(f"MCP ID {mcp_id} already exists")
    now = state.now().isoformat()
    logo = parts.get("logo_file")
    state.builtin_mcps[mcp_id] = {
        "id": new_id(),
        "mcp_id": mcp_id,
        "config": config,
        "user_id": state.acting.id,
        "logo_url": _logo_url(logo.filename) if logo is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    return Reply(_public(state.builtin_mcps[mcp_id]), status=201)


def _logo_url(filename: str | None) -> str:
    return f"/file?id={new_id()}&name={filename or 'logo.png'}"


def update_user_builtin_mcp(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/agents/builtin_mcps/admin/{mcp_id}: the entry's configuration is the one given; 200 the entry."""
    entry = _entry(state, call.path_params["mcp_id"])
    entry["config"] = _checked(object_body(call))
    entry["updated_at"] = state.now().isoformat()
    return Reply(_public(entry))


def delete_user_builtin_mcp(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/builtin_mcps/admin/{mcp_id}: gone from the library (the tools users made from it stay
    theirs)."""
    _entry(state, call.path_params["mcp_id"])
    del state.builtin_mcps[call.path_params["mcp_id"]]
    return Reply({"message": "MCP deleted successfully"})


def update_admin_mcp_logo(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/builtin_mcps/admin/{mcp_id}/logo (multipart ``file``): the entry's logo_url from now on."""
    entry = _entry(state, call.path_params["mcp_id"])
    part = parse_multipart(call.content_type, call.body).get("file")
    if part is None:
        raise bad_request("file is required.")
    entry["logo_url"] = _logo_url(part.filename)
    return Reply({"message": "Logo updated successfully", "logo_url": entry["logo_url"]})


def remove_admin_mcp_logo(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/builtin_mcps/admin/{mcp_id}/logo: the entry has no logo from now on."""
    entry = _entry(state, call.path_params["mcp_id"])
    entry["logo_url"] = None
    return Reply({"message": "Logo removed successfully"})


def add_builtin_mcp(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/builtin_mcps/add (multipart ``mcp_id``, optional ``keys``): 201 {tool_id} of the user's
    new custom tool running the entry's server, added to their tool preference, with the keys given to it; an entry
    they added already answers its tool's id. An unknown entry, an OAuth app (the client: those need OAuth) or a
    key not the user's is refused (the contract declares no 404: its 400)."""
    parts = parse_multipart(call.content_type, call.body)
    mcp_id = parts["mcp_id"].text().strip()
    entry = _entry(state, mcp_id)
    if entry["config"]["type"] == "oauth_app":
        raise bad_request(f"Cannot add MCP '{mcp_id}' of type 'oauth_app': it requires OAuth authentication")
    keys = _keys(state, parts["keys"].text() if "keys" in parts else "")
    tool = _added(state, mcp_id)
    if tool is None:
        tid = new_id()
        servers = {"mcpServers": {mcp_id: entry["config"]["mcp_config_json"]}}
        tool = {
            "id": tid,
            "tool_name": mcp_id,
            "tool_type": "local_mcp" if "command" in entry["config"]["mcp_config_json"] else "remote_mcp",
            "tool_args": {
                "tool_name": mcp_id,
                "builtin_mcp_id": mcp_id,
                "mcp_config_json": json.dumps(servers),
                "enable_by_default": True,
                "tool_usage_mode": ["runner", "creator"],
            },
            "owner_email": state.acting.username,
            "_owner": state.acting.id,
            "file_name": None,
            "_data": None,
        }
        state.custom_tools[tid] = tool
    preference = state.tool_preferences.setdefault(state.acting.id, list(state.tool_preference))
    if mcp_id not in preference:
        preference.append(mcp_id)
    for key in keys:
        bind_key(state, mcp_id, key["name"], key["key_id"])
    return Reply({"tool_id": tool["id"]}, status=201)


def _keys(state: H2OGPTeMockState, raw: str) -> list[dict[str, str]]:
    """The ``keys`` form field: a JSON list of {name, key_id}, each key one of the user's agent keys."""
    if not raw.strip():
        return []
    try:
        keys = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise bad_request("keys is not valid JSON") from None
    ok = isinstance(keys, list) and all(
        isinstance(k, dict) and isinstance(k.get("name"), str) and isinstance(k.get("key_id"), str) for k in keys
    )
    if not ok:
        raise bad_request('keys must be a JSON list of {"name": ..., "key_id": ...}')
    unknown = next((k["key_id"] for k in keys if agent_key(state, k["key_id"]) is None), None)
    if unknown is not None:
        raise not_found(f"Agent key {unknown[:80]}")
    return [{"name": k["name"], "key_id": k["key_id"]} for k in keys]
