"""Roles, groups and the permissions they grant: who holds which role, and what each role allows.

Roles and groups are the generic layer's objects (``POST /roles``, ``POST /groups``, their GETs and deletions); the
state keeps which roles each user and group holds (by role id) and which permissions each role grants (by name).
A role is given and taken by its name, as the client's ``add_role_to_user(user_id, roles)`` sends it; an unknown
user, group, role or permission is a 404, as the contract documents. A listing shows each role as the client's
``UserRole`` reads it (its own id, name, description and priority), and forgets a role deleted since it was given.

The system's permissions (``PERMISSIONS``) are a guess: neither the seeds nor the client list them. Their names
hold no ``/``, as a path parameter (``.../permissions/{permission_name}``) could not carry one unescaped.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts import generic
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, empty, not_found, object_body

ROLES = f"{generic.V1}/roles"
GROUPS = f"{generic.V1}/groups"

#: the permissions the mock's system has, as UserPermission (a guess: see above)
PERMISSIONS: tuple[dict[str, Any], ...] = tuple(
    {"id": name, "name": name, "description": description, "category": category}
    for name, description, category in (
        ("manage_users", "Give and take users' roles", "admin"),
        ("manage_collections", "Create, share and delete collections", "collections"),
        ("use_agents", "Chat with agents and their tools", "chat"),
    )
)


def _held(state: H2OGPTeMockState, template: str) -> dict[str, dict[str, Any]]:
    if state.resources is None:
        state.resources = generic.resources(state)
    return state.resources.collections.get(template, {})


def _role_view(record: dict[str, Any]) -> dict[str, Any]:
    """A role as RoleInfo: id and name, with its description and priority when it has them."""
    view = {"id": str(record["id"]), "name": str(record.get("name") or "")}
    view.update({k: record[k] for k in ("description", "priority") if record.get(k) is not None})
    return view


def _role(state: H2OGPTeMockState, id_or_name: str) -> dict[str, Any]:
    """The role of that id, or else of that name (the client names a role by its name where a path says role_id:
    assign_permissions_to_role); a 404 when there is none."""
    roles = _held(state, ROLES)
    found = roles.get(id_or_name) or next((r for r in roles.values() if r.get("name") == id_or_name), None)
    if found is None:
        raise not_found(f"Role {id_or_name[:80]}")
    return found


def _named_roles(state: H2OGPTeMockState, names: list[str]) -> list[str]:
    """The ids of the roles of these names, all or none: an unknown name is a 404."""
    roles = _held(state, ROLES).values()
    ids = []
    for name in names:
        found = next((r for r in roles if r.get("name") == name), None)
        if found is None:
            raise not_found(f"Role {name[:80]}")
        ids.append(str(found["id"]))
    return ids


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _user_id(state: H2OGPTeMockState, user_id: str) -> str:
    if user_id not in state.users:
        raise not_found(f"User {user_id[:80]}")
    return user_id


def _group_id(state: H2OGPTeMockState, group_id: str) -> str:
    if group_id not in _held(state, GROUPS):
        raise not_found(f"Group {group_id[:80]}")
    return group_id


def _listing(state: H2OGPTeMockState, role_ids: list[str]) -> list[dict[str, Any]]:
    """The roles still there of those given, as RoleInfo, in the order given."""
    roles = _held(state, ROLES)
    return [_role_view(roles[rid]) for rid in role_ids if rid in roles]


def _granted(state: H2OGPTeMockState, role_ids: list[str]) -> list[dict[str, Any]]:
    """The permissions these roles grant, each once, in the system's order."""
    roles = _held(state, ROLES)
    names = {p for rid in role_ids if rid in roles for p in state.role_permissions.get(rid, [])}
    return [dict(p) for p in PERMISSIONS if p["name"] in names]


def _permission(name: str) -> str:
    if not any(p["name"] == name for p in PERMISSIONS):
        raise not_found(f"Permission {name[:80]}")
    return name


def _new_roles(call: Call) -> list[str]:
    given = object_body(call).get("new_roles")
    if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
        raise ApiError(400, "new_roles must be a list of role names")
    return given


def _add(held: list[str], ids: list[str]) -> None:
    held.extend(rid for rid in ids if rid not in held)


def _prune(state: H2OGPTeMockState) -> None:
    """Forget what deleted roles and groups held (a listing already skips them): the state stays bounded."""
    roles, groups = _held(state, ROLES), _held(state, GROUPS)
    for gid in [gid for gid in state.group_roles if gid not in groups]:
        del state.group_roles[gid]
    for rid in [rid for rid in state.role_permissions if rid not in roles]:
        del state.role_permissions[rid]
    for holders in (state.user_roles, state.group_roles):
        for key, held in holders.items():
            holders[key] = [rid for rid in held if rid in roles]


# users


def get_user_roles(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/{user_id}/roles: the roles the user holds, as RoleInfo; a 404 for an unknown user."""
    user_id = _user_id(state, call.path_params["user_id"])
    return Reply(_listing(state, state.user_roles.get(user_id, [])))


def get_current_user_roles(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/current/roles: the roles the acting user holds."""
    return Reply(_listing(state, state.user_roles.get(state.acting.id, [])))


def assign_roles_to_user(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/users/{user_id}/roles/{role_names}: 204; the user holds these roles (named, comma separated)
    as well as those they held."""
    user_id = _user_id(state, call.path_params["user_id"])
    _add(state.user_roles.setdefault(user_id, []), _named_roles(state, _names(call.path_params["role_names"])))
    _prune(state)
    return empty()


def remove_roles_from_user(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/users/{user_id}/roles/{role_names}: 204; the user no longer holds these roles (one they did
    not hold is no error; an unknown one is a 404)."""
    user_id = _user_id(state, call.path_params["user_id"])
    gone = set(_named_roles(state, _names(call.path_params["role_names"])))
    state.user_roles[user_id] = [rid for rid in state.user_roles.get(user_id, []) if rid not in gone]
    return empty()


def reset_user_roles(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/users/{user_id}/roles with ``{"new_roles": [names]}``: 204; the user holds exactly these."""
    user_id = _user_id(state, call.path_params["user_id"])
    state.user_roles[user_id] = list(dict.fromkeys(_named_roles(state, _new_roles(call))))
    _prune(state)
    return empty()


def get_user_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/{user_id}/permissions: what the user's roles grant; a 404 for an unknown user."""
    user_id = _user_id(state, call.path_params["user_id"])
    return Reply(_granted(state, state.user_roles.get(user_id, [])))


def get_current_user_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/users/current/permissions: what the acting user's roles grant."""
    return Reply(_granted(state, state.user_roles.get(state.acting.id, [])))


# groups


def get_group_roles(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/groups/{group_id}/roles: the roles the group holds; a 404 for an unknown group."""
    group_id = _group_id(state, call.path_params["group_id"])
    return Reply(_listing(state, state.group_roles.get(group_id, [])))


def assign_roles_to_group(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/groups/{group_id}/roles/{role_names}: 204; the group holds these roles too."""
    group_id = _group_id(state, call.path_params["group_id"])
    _add(state.group_roles.setdefault(group_id, []), _named_roles(state, _names(call.path_params["role_names"])))
    _prune(state)
    return empty()


def remove_roles_from_group(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/groups/{group_id}/roles/{role_names}: 204; the group no longer holds these roles."""
    group_id = _group_id(state, call.path_params["group_id"])
    gone = set(_named_roles(state, _names(call.path_params["role_names"])))
    state.group_roles[group_id] = [rid for rid in state.group_roles.get(group_id, []) if rid not in gone]
    return empty()


def reset_group_roles(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/groups/{group_id}/roles with ``{"new_roles": [names]}``: 204; the group holds exactly these."""
    group_id = _group_id(state, call.path_params["group_id"])
    state.group_roles[group_id] = list(dict.fromkeys(_named_roles(state, _new_roles(call))))
    _prune(state)
    return empty()


def get_group_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/group/{group_id}/permissions: what the group's roles grant; a 404 for an unknown group."""
    group_id = _group_id(state, call.path_params["group_id"])
    return Reply(_granted(state, state.group_roles.get(group_id, [])))


# roles and their permissions


def list_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/permissions: the system's permissions; with ``role_names`` or ``group_names``, only those the
    named roles, or the named groups' roles, grant (an unknown name grants nothing)."""
    roles = {str(r.get("name")): rid for rid, r in _held(state, ROLES).items()}
    groups = {str(g.get("name")): gid for gid, g in _held(state, GROUPS).items()}
    asked = [(name, value) for name, value in call.raw_query if name in ("role_names", "group_names")]
    if not asked:
        return Reply([dict(p) for p in PERMISSIONS])
    role_ids: list[str] = []
    for name, value in asked:
        for item in _names(value):
            if name == "role_names" and item in roles:
                role_ids.append(roles[item])
            elif name == "group_names" and item in groups:
                role_ids.extend(state.group_roles.get(groups[item], []))
    return Reply(_granted(state, role_ids))


def get_role_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/roles/{role_id}/permissions: what the role grants; a 404 for an unknown role."""
    role = _role(state, call.path_params["role_id"])
    return Reply(_granted(state, [str(role["id"])]))


def set_role_permissions(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/roles/{role_id}/permissions with ``{"new_permissions": [names]}``: 204; the role grants exactly
    these (all known, else a 404 and nothing changes)."""
    role = _role(state, call.path_params["role_id"])
    given = object_body(call).get("new_permissions")
    if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
        raise ApiError(400, "new_permissions must be a list of permission names")
    state.role_permissions[str(role["id"])] = list(dict.fromkeys(_permission(n) for n in given))
    _prune(state)
    return empty()


def assign_permission_to_role(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/roles/{role_id}/permissions/{permission_name}: 204; the role grants it too."""
    role = _role(state, call.path_params["role_id"])
    name = _permission(call.path_params["permission_name"])
    _add(state.role_permissions.setdefault(str(role["id"]), []), [name])
    _prune(state)
    return empty()


def remove_permission_from_role(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/roles/{role_id}/permissions/{permission_name}: 204; the role no longer grants it."""
    role = _role(state, call.path_params["role_id"])
    name = _permission(call.path_params["permission_name"])
    held = state.role_permissions.get(str(role["id"]), [])
    state.role_permissions[str(role["id"])] = [p for p in held if p != name]
    return empty()


def set_role_priority(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/roles/{role_id}/priority: the role, as RoleInfo, with its new priority (an absent body keeps
    the one it had)."""
    role = _role(state, call.path_params["role_id"])
    body = object_body(call) if call.body.strip() else {}
    priority = body.get("priority")
    if priority is not None:
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise ApiError(400, "priority must be an integer")
        role["priority"] = priority
    return Reply(_role_view(role))


HANDLERS = {
    "get_user_roles": get_user_roles,
    "get_current_user_roles": get_current_user_roles,
    "assign_roles_to_user": assign_roles_to_user,
    "remove_roles_from_user": remove_roles_from_user,
    "reset_user_roles": reset_user_roles,
    "get_user_permissions": get_user_permissions,
    "get_current_user_permissions": get_current_user_permissions,
    "get_group_roles": get_group_roles,
    "assign_roles_to_group": assign_roles_to_group,
    "remove_roles_from_group": remove_roles_from_group,
    "reset_group_roles": reset_group_roles,
    "get_group_permissions": get_group_permissions,
    "list_permissions": list_permissions,
    "get_role_permissions": get_role_permissions,
    "set_role_permissions": set_role_permissions,
    "assign_permission_to_role": assign_permission_to_role,
    "remove_permission_from_role": remove_permission_from_role,
    "set_role_priority": set_role_priority,
}
