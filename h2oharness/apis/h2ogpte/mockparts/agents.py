"""Handlers for agent tools, custom tools (multipart, with the seed's error table), MCP inspection,
custom agents and their tool and key associations."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import loads_object
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    URLENCODED,
    ApiError,
    Call,
    Part,
    Reply,
    attachment,
    bad_request,
    check,
    check_form,
    loads_json,
    not_found,
    parse_multipart,
)

MAX_FILE = 20 * 1024 * 1024
TOOL_EXTENSIONS = {"local_mcp": (".zip",), "browser_action": (".zip", ".py"), "general_code": (".zip", ".py")}
BUILT_IN_TOOLS: tuple[tuple[str, str, bool, bool, list[str], list[str]], ...] = (
    ("python", "Run Python code in a sandbox", True, False, [], []),
    ("shell", "Run shell commands in the agent's workspace", True, False, [], []),
    ("web_search", "Search the web", True, True, ["SERPAPI_API_KEY"], []),
    ("browser", "Browse web pages", False, True, [], ["BROWSER_TOKEN"]),
)
BUILT_IN_AGENTS = (
    ("general-agent", "general", "General agent"),
    ("deep-research-agent", "deep_research", "Deep research"),
    ("coder-agent", "coder", "Coder"),
)


def list_agent_tools(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/tools: List[AgentToolSpec]."""
    return Reply(
        [
            {
                "name": name,
                "description": desc,
                "enabled": True,
                "default": default,
                "extendable": extendable,
                "api_keys": {"required": required, "optional": optional, "internal": []},
            }
            for name, desc, default, extendable, required, optional in BUILT_IN_TOOLS
        ]
    )


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _file_of(parts: dict[str, Part], override: str | None) -> tuple[str, bytes] | None:
    part = parts.get("file")
    if part is None:
        return None
    return (override or part.filename or "", part.value)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE:
        raise ApiError(413, "File is too large, maximum size is 20MB")


def add_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/custom_tools (multipart): 201 [{agent_custom_tool_id}], or the seed's 400/413/415."""
    parts = parse_multipart(call.content_type, call.body)
    if "tool_type" not in parts:
        raise bad_request("tool_type is required.")
    values = check_form("AddCustomAgentToolForm", parts)
    tool_type: str = values["tool_type"]
    args = loads_object(values["tool_args"], "Invalid JSON format for tool_args.")
    upload = _file_of(parts, values.get("filename"))
    if tool_type in TOOL_EXTENSIONS:
        if upload is None:
            raise bad_request("The request does not contain a file.")
        allowed = TOOL_EXTENSIONS[tool_type]
        ext = _extension(upload[0])
        if ext not in allowed:
            raise ApiError(415, f"Invalid file extension: {ext}. Allowed extensions are {', '.join(allowed)}.")
        _check_size(upload[1])
        names = [str(args.get("tool_name") or PurePosixPath(upload[0]).stem)]
    else:
        if upload is not None:
            ext = _extension(upload[0])
            if ext != ".json":
                raise ApiError(415, f"Invalid file extension: {ext}. For remote_mcp, allowed extensions are .json.")
            _check_size(upload[1])
        config = args.get("mcp_config_json")
        servers = loads_object(config, "Invalid JSON format for tool_args.") if isinstance(config, str) else None
        if not servers or not isinstance(servers.get("mcpServers"), dict) or not servers["mcpServers"]:
            raise bad_request("tool_args.mcp_config_json must hold a non-empty mcpServers object.")
        names = [str(n) for n in servers["mcpServers"]]
    created = []
    for name in names:
        tid = new_id()
        args_of = {**args, "tool_name": name, "enable_by_default": args.get("enable_by_default", True)}
        args_of.setdefault("tool_usage_mode", ["runner", "creator"])
        state.custom_tools[tid] = {
            "id": tid,
            "tool_name": name,
            "tool_type": tool_type,
            "tool_args": args_of,
            "owner_email": state.acting.username,
            "_owner": state.acting.id,
            "file_name": upload[0] if upload else None,
            "_data": upload[1] if upload else None,
        }
        created.append({"agent_custom_tool_id": tid})
    return Reply(created, status=201)


def _tool(state: H2OGPTeMockState, tool_id: str) -> dict[str, Any]:
    tool = state.custom_tools.get(tool_id)
    # another user's tool is as unknown as one that does not exist
    if tool is None or not state.owns(tool):
        raise not_found(f"Custom agent tool {tool_id}")
    return tool


def list_custom_agent_tools(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_tools."""
    mine = [t for t in state.custom_tools.values() if state.owns(t)]
    return Reply([{k: v for k, v in t.items() if k != "file_name"} for t in mine])


def get_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_tools/{tool_id}."""
    return Reply(_tool(state, call.path_params["tool_id"]))


def update_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/agents/custom_tools/{tool_id}: a form (the clients) or JSON (the seed) ``tool_args``."""
    media = call.content_type.split(";")[0].strip().lower()
    upload = None
    if media in ("multipart/form-data", URLENCODED):
        parts = parse_multipart(call.content_type, call.body)
        if "tool_args" not in parts:
            raise bad_request("tool_args is required for update.")
        values = check_form("UpdateCustomAgentToolForm", parts)
        args = loads_object(values["tool_args"], "Invalid JSON format for tool_args.")
        upload = _file_of(parts, values.get("filename"))
    else:
        body = loads_json(call.body) if call.body.strip() else {}
        if not isinstance(body, dict) or "tool_args" not in body:
            raise bad_request("tool_args is required for update.")
        check("UpdateCustomAgentToolJson", body)
        args = body["tool_args"]
    tool = state.custom_tools.get(call.path_params["tool_id"])
    if tool is None or not state.owns(tool):
        raise ApiError(404, "Custom agent tool not found or no changes made.")
    if upload is not None:
        _check_size(upload[1])
        tool["file_name"], tool["_data"] = upload
    tool["tool_args"] = {**tool["tool_args"], **args}
    return Reply({"agent_custom_tool_id": tool["id"]})


def _ids(raw: str) -> list[str]:
    return [i for i in raw.split(",") if i]


def delete_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/custom_tools/{tool_ids} (comma-separated): 200 Count."""
    count = 0
    for tid in _ids(call.path_params["tool_id"]):
        if tid in state.custom_tools and state.owns(state.custom_tools[tid]):
            del state.custom_tools[tid]
            count += 1
    return Reply({"count": count})


def launch_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/custom_tools/{tool_id}/launch: the CodeAPI job running the user's tool, started now or
    (launched already) the one running it, until it is removed."""
    tool = _tool(state, call.path_params["tool_id"])
    if tool.get("_launch") is None:
        job_id = new_id()
        tool["_launch"] = {"codeapi_job_id": job_id, "codeapi_url": f"http://codeapi.h2oharness.invalid/jobs/{job_id}"}
    return Reply(dict(tool["_launch"]))


def remove_custom_agent_tool_from_codeapi(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/custom_tools/{tool_id}/launch: the tool's CodeAPI job ends (``success`` false when none
    ran); the next launch starts another."""
    tool = _tool(state, call.path_params["tool_id"])
    return Reply({"success": tool.pop("_launch", None) is not None})


def download_custom_agent_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_tools/{tool_id}/download: the tool's file as application/octet-stream."""
    tool = _tool(state, call.path_params["tool_id"])
    if tool["tool_type"] not in TOOL_EXTENSIONS:
        raise bad_request(f"Tools of type {tool['tool_type']} have no file to download.")
    if tool.get("_data") is None:
        raise not_found(f"File of custom agent tool {tool['id']}")
    return Reply(
        tool["_data"],
        content_type="application/octet-stream",
        headers={"Content-Disposition": attachment(tool["file_name"])},
    )


def inspect_mcp_tool(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/mcp/inspect_tool: exactly one of tool_id, servers, file_name (+file_data_base64)."""
    body = call.json
    modes = [k for k in ("tool_id", "servers", "file_name") if body.get(k) is not None]
    if len(modes) != 1:
        raise bad_request("Invalid format for the request body.")
    if modes == ["tool_id"]:
        tool = _tool(state, body["tool_id"])
        if tool["tool_type"] not in ("local_mcp", "remote_mcp"):
            raise bad_request("Invalid format for the request body.")
        servers = [tool["tool_name"]]
    elif modes == ["servers"]:
        servers = [str(name) for name in body["servers"]]
    else:
        try:
            base64.b64decode(body.get("file_data_base64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("Invalid format for the request body.") from None
        if not body.get("file_data_base64"):
            raise bad_request("Invalid format for the request body.")
        servers = [PurePosixPath(body["file_name"]).stem or "server"]
    results = [
        {
            "status": "success",
            "server_name": name,
            "server_type": "stdio",
            "tools": [{"name": f"{name}_search", "description": f"Search with {name}", "parameters": {}}],
            "tool_count": 1,
            "error": None,
            "detection_method": "mock",
        }
        for name in servers
    ]
    return Reply({"status": "success", "servers": results, "error": None})


def _agent(state: H2OGPTeMockState, agent_id: str) -> dict[str, Any]:
    agent = state.custom_agents.get(agent_id)
    if agent is None or not state.owns(agent):
        raise not_found(f"Custom agent {agent_id}")
    return agent


def _zip_folders(data: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise bad_request("The file is not a valid .zip archive.") from None
    return sorted({n.split("/", 1)[0] for n in names if "/" in n})


def add_custom_agent(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/custom_agents (multipart): 201 [{agent_custom_agent_id}] per agent folder in the zip."""
    parts = parse_multipart(call.content_type, call.body)
    values = check_form("AddCustomAgentForm", parts)
    args = loads_object(values["agent_args"], "Invalid JSON format for agent_args.")
    part = parts["file"]
    ext = _extension(part.filename or "")
    if ext != ".zip":
        raise ApiError(415, f"Invalid file extension: {ext}. Allowed extensions are .zip.")
    _check_size(part.value)
    folders = _zip_folders(part.value) or [PurePosixPath(part.filename or "agent").stem]
    if values.get("agent_name") and len(folders) == 1:
        folders = [values["agent_name"]]
    created = []
    for name in folders:
        aid = new_id()
        state.custom_agents[aid] = {
            "id": aid,
            "agent_name": name,
            "agent_type": values["agent_type"],
            "agent_args": args,
            "owner_email": state.acting.username,
            "_owner": state.acting.id,
        }
        created.append({"agent_custom_agent_id": aid})
    return Reply(created, status=201)


def render_agent(state: H2OGPTeMockState, agent: dict[str, Any]) -> dict[str, Any]:
    """A CustomAgentDetail, with its MCP server and key associations."""
    servers = [
        {
            "tool_name": a["mcp_server_name"],
            "tool_args": "{}",
            "associated_tool": {
                "id": a["tool_id"],
                "name": a["tool_name"],
                "owner_email": state.acting.username,
                "description": None,
            }
            if a["tool_id"]
            else None,
        }
        for a in state.tool_associations.values()
        if a["agent_id"] == agent["id"]
    ]
    keys = [k for k in state.key_associations.values() if k["agent_id"] == agent["id"]]
    return {**agent, "mcp_servers": servers, "api_keys": keys}


def list_custom_agents(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_agents."""
    return Reply([render_agent(state, a) for a in _agents(state)])


def _agents(state: H2OGPTeMockState) -> list[dict[str, Any]]:
    return [a for a in state.custom_agents.values() if state.owns(a)]


def get_custom_agent(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_agents/{agent_id}."""
    return Reply(render_agent(state, _agent(state, call.path_params["agent_id"])))


def update_custom_agent(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/agents/custom_agents/{agent_id}: 200 {agent_custom_agent_id}."""
    agent = _agent(state, call.path_params["agent_id"])
    agent["agent_args"] = call.json["agent_args"]
    for server, tool_name in (call.json.get("mcp_servers_mapping") or {}).items():
        _associate(state, agent, str(server), tool_name)
    return Reply({"agent_custom_agent_id": agent["id"]})


def delete_custom_agent(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/custom_agents/{agent_ids}: 200 Count."""
    count = 0
    for aid in _ids(call.path_params["agent_id"]):
        if aid in state.custom_agents and state.owns(state.custom_agents[aid]):
            del state.custom_agents[aid]
            count += 1
            for table in (state.tool_associations, state.key_associations):
                for key in [k for k, v in table.items() if v["agent_id"] == aid]:
                    del table[key]
    return Reply({"count": count})


def get_all_agents(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents: built-in agents and the user's custom agents."""
    agents: list[dict[str, Any]] = [
        {
            "id": aid,
            "value": value,
            "label": label,
            "enabled": True,
            "type": "built_in",
            "owner": None,
            "description": f"The built-in {label.lower()} agent",
            "api_keys": {"optional": [], "required": [], "custom": []},
        }
        for aid, value, label in BUILT_IN_AGENTS
    ]
    for agent in _agents(state):
        detail = render_agent(state, agent)
        keys = [
            {
                "name": k["env_key_name"],
                "associated_key": {
                    "id": k["key_id"],
                    "name": k["key_name"],
                    "owner_email": state.acting.username,
                    "description": None,
                },
            }
            for k in detail["api_keys"]
        ]
        agents.append(
            {
                "id": agent["id"],
                "value": agent["agent_name"],
                "label": agent["agent_name"],
                "enabled": True,
                "type": agent["agent_type"],
                "owner": state.acting.username,
                "description": str(agent["agent_args"].get("description", "")),
                "api_keys": {"optional": [], "required": [], "custom": keys},
                "mcp_servers": detail["mcp_servers"],
            }
        )
    return Reply(agents)


def get_agent_suggestions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_agents/{agent_id}/suggestions."""
    agent = _agent(state, call.path_params["agent_id"])
    servers = [{"tool_name": s["tool_name"], "tool_args": ""} for s in render_agent(state, agent)["mcp_servers"]]
    return Reply([{"mcp_servers": servers}])


def _associate(state: H2OGPTeMockState, agent: dict[str, Any], server: str, tool_name: str | None) -> dict[str, Any]:
    mine = (t for t in state.custom_tools.values() if state.owns(t))
    tool = next((t for t in mine if tool_name and t["tool_name"] == tool_name), None)
    existing = next(
        (
            a
            for a in state.tool_associations.values()
            if a["agent_id"] == agent["id"] and a["mcp_server_name"] == server
        ),
        None,
    )
    assoc = existing or {
        "id": new_id(),
        "agent_id": agent["id"],
        "agent_name": agent["agent_name"],
        "mcp_server_name": server,
        "user_id": state.acting.id,
    }
    assoc.update(tool_id=tool["id"] if tool else None, tool_name=tool_name)
    state.tool_associations[assoc["id"]] = assoc
    return assoc


def list_custom_agent_tool_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_agent_tool_associations[?agent_id=&agent_name=]."""
    items = [
        a
        for a in _associations(state, state.tool_associations)
        if call.query.get("agent_id", a["agent_id"]) == a["agent_id"]
        and call.query.get("agent_name", a["agent_name"]) == a["agent_name"]
    ]
    return Reply(items)


def create_custom_agent_tool_association(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/custom_agent_tool_associations: 200 CustomAgentToolAssociation."""
    body = call.json
    agent = _agent(state, body["agent_id"])
    return Reply(_associate(state, agent, body["mcp_server_name"], body.get("tool_name")))


def _associations(state: H2OGPTeMockState, table: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The associations of the acting user's agents."""
    agents = {a["id"] for a in _agents(state)}
    return [a for a in table.values() if a["agent_id"] in agents]


def _delete_associations(state: H2OGPTeMockState, table: dict[str, dict[str, Any]], raw: str) -> Reply:
    mine = {a["id"] for a in _associations(state, table)}
    gone = [aid for aid in _ids(raw) if aid in mine and table.pop(aid, None) is not None]
    return Reply({"deleted_count": len(gone)})


def delete_custom_agent_tool_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/custom_agent_tool_associations/{association_ids}: 200 {deleted_count}."""
    return _delete_associations(state, state.tool_associations, call.path_params["association_ids"])


def list_custom_agent_key_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/custom_agent_key_associations[?agent_id=]."""
    mine = _associations(state, state.key_associations)
    items = [k for k in mine if call.query.get("agent_id", k["agent_id"]) == k["agent_id"]]
    return Reply(items)


def create_custom_agent_key_association(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/custom_agent_key_associations: 200 CustomAgentKeyAssociation."""
    body = call.json
    _agent(state, body["agent_id"])
    assoc = {
        "id": new_id(),
        "agent_id": body["agent_id"],
        "env_key_name": body["env_key_name"],
        "key_id": body["key_id"],
        "user_id": state.acting.id,
        "requirement_type": "custom",
        "key_name": body["env_key_name"].lower(),
        "owner_email": state.acting.username,
    }
    state.key_associations[assoc["id"]] = assoc
    return Reply(assoc)


def delete_custom_agent_key_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/custom_agent_key_associations/{association_ids}: 200 {deleted_count}."""
    return _delete_associations(state, state.key_associations, call.path_params["association_ids"])
