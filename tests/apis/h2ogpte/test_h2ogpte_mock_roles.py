"""Roles, groups and permissions as the contract and the official client keep them: a role is given by its name
and listed as the client's UserRole (its own id and name); an unknown user, group, role or permission is a 404."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.state import ALICE, HARNESS

USERS = "/api/v1/users"


def _role(http: httpx.Client, name: str) -> dict[str, str]:
    made = http.post("/api/v1/roles", json={"name": name, "description": f"the {name} role"})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _group(http: httpx.Client, name: str) -> str:
    made = http.post("/api/v1/groups", json={"name": name, "description": f"the {name} group"})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_a_user_role_is_listed_by_its_own_id_and_name(http: httpx.Client) -> None:
    role = _role(http, "analyst")
    assert http.put(f"{USERS}/{HARNESS.id}/roles/analyst").status_code == 204
    listed = http.get(f"{USERS}/{HARNESS.id}/roles").json()
    assert listed == [{"id": role["id"], "name": "analyst", "description": "the analyst role"}]
    assert http.get(f"{USERS}/current/roles").json() == listed
    # another user holds none of them
    assert http.get(f"{USERS}/{ALICE.id}/roles").json() == []


def test_unknown_users_and_roles_are_404(http: httpx.Client) -> None:
    _role(http, "analyst")
    assert http.put(f"{USERS}/{HARNESS.id}/roles/nosuchrole").status_code == 404
    assert http.put(f"{USERS}/aZ3/roles/analyst").status_code == 404
    assert http.get(f"{USERS}/aZ3/roles").status_code == 404
    assert http.get(f"{USERS}/aZ3/permissions").status_code == 404
    assert http.delete(f"{USERS}/aZ3/roles/analyst").status_code == 404
    assert http.request("DELETE", f"{USERS}/aZ3/roles", json={"new_roles": []}).status_code == 404
    # all or none: one unknown name among known ones gives nothing
    assert http.put(f"{USERS}/{HARNESS.id}/roles/analyst,nosuchrole").status_code == 404
    assert http.get(f"{USERS}/{HARNESS.id}/roles").json() == []


def test_roles_are_taken_away_reset_and_forgotten_when_deleted(http: httpx.Client) -> None:
    first, second = _role(http, "first"), _role(http, "second")
    assert http.put(f"{USERS}/{HARNESS.id}/roles/first,second").status_code == 204
    assert [r["id"] for r in http.get(f"{USERS}/{HARNESS.id}/roles").json()] == [first["id"], second["id"]]
    assert http.delete(f"{USERS}/{HARNESS.id}/roles/first").status_code == 204
    assert [r["name"] for r in http.get(f"{USERS}/{HARNESS.id}/roles").json()] == ["second"]
    reset = http.request("DELETE", f"{USERS}/{HARNESS.id}/roles", json={"new_roles": ["first"]})
    assert reset.status_code == 204
    assert [r["name"] for r in http.get(f"{USERS}/{HARNESS.id}/roles").json()] == ["first"]
    assert http.delete(f"/api/v1/roles/{first['id']}").status_code == 204
    assert http.get(f"{USERS}/{HARNESS.id}/roles").json() == []


def test_group_roles_need_a_known_group_and_role(http: httpx.Client) -> None:
    role = _role(http, "reviewer")
    group = _group(http, "team")
    assert http.put(f"/api/v1/groups/{group}/roles/nosuchrole").status_code == 404
    assert http.put("/api/v1/groups/aZ3/roles/reviewer").status_code == 404
    assert http.put(f"/api/v1/groups/{group}/roles/reviewer").status_code == 204
    assert http.get(f"/api/v1/groups/{group}/roles").json() == [
        {"id": role["id"], "name": "reviewer", "description": "the reviewer role"}
    ]
    assert http.delete(f"/api/v1/groups/{group}/roles/reviewer").status_code == 204
    assert http.get(f"/api/v1/groups/{group}/roles").json() == []


def test_role_permissions_are_the_systems_and_reach_their_holders(http: httpx.Client) -> None:
    system = [p["name"] for p in http.get("/api/v1/permissions").json()]
    assert len(system) >= 2
    role = _role(http, "admin")
    group = _group(http, "admins")
    assert http.put(f"/api/v1/roles/{role['id']}/permissions/nosuchpermission").status_code == 404
    assert http.put(f"/api/v1/roles/aZ3/permissions/{system[0]}").status_code == 404
    assert http.get("/api/v1/roles/aZ3/permissions").status_code == 404
    assert http.put(f"/api/v1/roles/{role['id']}/permissions/{system[0]}").status_code == 204
    # the client's assign_permissions_to_role names the role by its name
    assert http.post("/api/v1/roles/admin/permissions", json={"new_permissions": system[:2]}).status_code == 204
    assert [p["name"] for p in http.get(f"/api/v1/roles/{role['id']}/permissions").json()] == system[:2]
    assert http.delete(f"/api/v1/roles/{role['id']}/permissions/{system[0]}").status_code == 204
    assert http.put(f"{USERS}/{HARNESS.id}/roles/admin").status_code == 204
    assert http.put(f"/api/v1/groups/{group}/roles/admin").status_code == 204
    held = [system[1]]
    assert [p["name"] for p in http.get(f"{USERS}/{HARNESS.id}/permissions").json()] == held
    assert [p["name"] for p in http.get(f"{USERS}/current/permissions").json()] == held
    assert [p["name"] for p in http.get(f"/api/v1/group/{group}/permissions").json()] == held
    assert [p["name"] for p in http.get("/api/v1/permissions", params={"role_names": "admin"}).json()] == held
    assert [p["name"] for p in http.get("/api/v1/permissions", params={"group_names": "admins"}).json()] == held
    assert http.get(f"{USERS}/{ALICE.id}/permissions").json() == []


def test_set_role_priority_answers_the_role(http: httpx.Client) -> None:
    role = _role(http, "ranked")
    answer = http.put(f"/api/v1/roles/{role['id']}/priority", json={"priority": 100})
    assert answer.status_code == 200
    assert answer.json() == {**role, "priority": 100}
    assert http.get(f"/api/v1/roles/{role['id']}").json()["priority"] == 100
    assert http.put("/api/v1/roles/aZ3/priority", json={"priority": 1}).status_code == 404


def test_the_official_client_gives_and_takes_roles(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    role = client.create_user_role("auditor", "reads the logs")
    group = client.create_user_group("auditors", "they audit")
    held = client.add_role_to_user(HARNESS.id, ["auditor"])
    assert [(r.id, r.name) for r in held] == [(role.id, "auditor")]
    assert [r.id for r in client.list_user_roles()] == [role.id]
    assert [r.name for r in client.add_role_to_group(group.id, ["auditor"])] == ["auditor"]
    permission = client.list_system_permissions()[0].name
    client.assign_permissions_to_role("auditor", [permission])
    assert [p.name for p in client.list_user_permissions(HARNESS.id)] == [permission]
    assert [p.name for p in client.list_group_permissions_by_name(["auditors"])] == [permission]
    assert client.set_role_priority(role.id, 7).priority == 7
    assert client.remove_role_from_user(HARNESS.id, ["auditor"]) == []
    assert [r.name for r in client.reset_roles_for_group(group.id, [])] == []
    with pytest.raises(ObjectNotFoundError):
        client.add_role_to_user(HARNESS.id, ["nosuchrole"])
    with pytest.raises(ObjectNotFoundError):
        client.list_user_roles("aZ3")
    assert not state.internal_errors
