"""Handlers for a user's agent skills: uploading them, enabling or disabling them, and which agent keys (as env
vars) and which tools each receives. A skill is its creator's alone; one that is not the user's is a 403 that
changes nothing, as the client documents for deleting skills."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.agentkeys import agent_key
from h2oharness.apis.h2ogpte.mockparts.generic import V1
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Part,
    Reply,
    bad_request,
    empty,
    not_found,
    object_body,
    parse_multipart,
)

#: where the generic layer keeps the user's skills (GET /agents/skills lists them)
SKILLS = f"{V1}/agents/skills"
MAX_SKILL = 100 * 1024 * 1024
#: the executors that may receive a skill's env vars, and the default when none is named
SKILL_TOOLS = ("python", "shell")
_FIELD = re.compile(r"^(name|description):\s*(.*?)\s*$", re.MULTILINE)


def held(state: H2OGPTeMockState) -> dict[str, dict[str, Any]]:
    """Every user's skills, by id."""
    if state.resources is None:
        return {}
    return state.resources.collections.setdefault(SKILLS, {})


def owned(state: H2OGPTeMockState, skill_ids: list[str]) -> list[dict[str, Any]]:
    """The acting user's skills of these ids; a 403 naming the first id that is not one (another user's, or
    none), so that nothing is changed."""
    skills = held(state)
    foreign = next((i for i in skill_ids if i not in skills or not state.owns(skills[i])), None)
    if foreign is not None:
        raise ApiError(403, f"Skill {foreign[:80]} does not belong to the current user; no skill was changed")
    return [skills[i] for i in skill_ids]


def _frontmatter(text: str) -> dict[str, str]:
    head = text.split("---", 2)[1] if text.startswith("---") and text.count("---") >= 2 else ""
    return {m.group(1): m.group(2).strip("'\"") for m in _FIELD.finditer(head)}


def _archive(call: Call) -> tuple[dict[str, Part], dict[str, str], bytes]:
    """The request's form, the SKILL.md texts of its skill archive (at its root or one folder down, by path) and the
    archive's bytes; a 400, 413 or 415 for a file that is no skill archive."""
    parts = parse_multipart(call.content_type, call.body)
    part = parts.get("file")
    if part is None:
        raise bad_request("The request does not contain a file.")
    ext = PurePosixPath(part.filename or "").suffix.lower()
    if ext not in (".zip", ".skill"):
        raise ApiError(415, f"Invalid file extension: {ext}. Allowed extensions are .zip, .skill.")
    if len(part.value) > MAX_SKILL:
        raise ApiError(413, "File is too large, maximum size is 100MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(part.value)) as archive:
            found = {n: archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if _is_skill_md(n)}
    except zipfile.BadZipFile:
        raise bad_request("The file is not a valid .zip archive.") from None
    if not found:
        raise bad_request("The archive holds no SKILL.md.")
    return parts, found, part.value


def _name(path: str, text: str, filename: str | None) -> str:
    return _frontmatter(text).get("name") or PurePosixPath(path).parent.name or _stem(filename)


def add_skill(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/skills (multipart .zip or .skill): 201 List[AgentSkill], a skill per SKILL.md (at the
    archive's root or one folder down, named by its frontmatter), which GET /agents/skills lists."""
    parts, found, _ = _archive(call)
    enabled = parts["enable_by_default"].text().strip().lower() == "true" if "enable_by_default" in parts else False
    now = state.now().isoformat()
    made = []
    for name, text in sorted(found.items()):
        skill_id = new_id()
        skill: dict[str, Any] = {
            "id": skill_id,
            "skill_name": _name(name, text, parts["file"].filename),
            "description": _frontmatter(text).get("description"),
            "owner_email": state.acting.username,
            "_owner": state.acting.id,
            "enabled": enabled,
            "created_at": now,
            "updated_at": now,
        }
        held(state)[skill_id] = skill
        made.append({k: v for k, v in skill.items() if not k.startswith("_")})
    return Reply(made, status=201)


def _stem(filename: str | None) -> str:
    """A file's name without its extension ('skill' for none)."""
    return PurePosixPath(filename or "skill").stem


def _is_skill_md(name: str) -> bool:
    path = PurePosixPath(name)
    return path.name == "SKILL.md" and len(path.parts) <= 2


def set_agent_skill_preference(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/skill_preference: 204; the named skills (only those) are enabled or disabled."""
    body = object_body(call)
    skills = owned(state, list(dict.fromkeys(body["skill_ids"])))
    for skill in skills:
        skill["enabled"] = bool(body["enabled"])
        skill["updated_at"] = state.now().isoformat()
    return empty()


def set_skill_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/skill_association: the skill's env var -> agent key bindings (a null or empty key_id
    clears one) and the tools that receive them (python and shell when none is named); 200 {count, tools}."""
    body = object_body(call)
    [skill] = owned(state, [body["skill_id"]])
    tools = list(dict.fromkeys(body.get("tools") or SKILL_TOOLS))
    if any(t not in SKILL_TOOLS for t in tools):
        raise bad_request(f"tools may name only {', '.join(SKILL_TOOLS)}")
    keys = body.get("keys") or []
    unknown = next((k["key_id"] for k in keys if k.get("key_id") and agent_key(state, k["key_id"]) is None), None)
    if unknown is not None:
        raise not_found(f"Agent key {str(unknown)[:80]}")
    kept = state.skill_associations.setdefault(skill["id"], {"bindings": {}, "tools": list(SKILL_TOOLS)})
    for key in keys:
        if key.get("key_id"):
            kept["bindings"][key["name"]] = key["key_id"]
        else:
            kept["bindings"].pop(key["name"], None)
    kept["tools"] = tools
    return Reply({"count": sum(1 for k in keys if k.get("key_id")), "tools": tools})


def list_skill_associations(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/skill_association: List[SkillAssociations], one per skill of the user's that has any."""
    listed = []
    for skill_id, kept in state.skill_associations.items():
        skill = held(state).get(skill_id)
        if skill is None or not state.owns(skill):
            continue
        keys = []
        for name, key_id in kept["bindings"].items():
            key = agent_key(state, key_id)
            keys.append(
                {
                    "name": name,
                    "key_id": key_id if key is not None else None,
                    "key_name": key["name"] if key is not None else None,
                    "owner_email": state.acting.username,
                    "requirement_type": "custom",
                }
            )
        listed.append({"skill_id": skill_id, "keys": keys, "tools": list(kept["tools"])})
    return Reply(listed)


def _installed(state: H2OGPTeMockState, library_id: str) -> list[dict[str, Any]]:
    """Every user's skills installed from that library entry."""
    return [s for s in held(state).values() if s.get("_library_id") == library_id]


def list_library_skills(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/builtin_skills: the library (predefined, then published), each entry with whether the
    acting user installed it (and their skill's id), how many users have, and its stars."""
    listed = []
    for library_id, entry in state.library_skills.items():
        installed = _installed(state, library_id)
        mine = next((s["id"] for s in installed if state.owns(s)), None)
        stars = {user for user, kind, item in state.stars if (kind, item) == ("skill", library_id)}
        listed.append(
            {
                **{k: v for k, v in entry.items() if not k.startswith("_")},
                "is_skill_added": mine is not None,
                "user_skill_id": mine,
                "install_count": len({s.get("_owner") for s in installed}),
                "star_count": len(stars),
                "is_starred_by_me": state.acting.id in stars,
            }
        )
    return Reply(listed)


def install_library_skill(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/builtin_skills/add: 201 with the id of the user's new skill, a copy of the library
    entry, which GET /agents/skills lists; a 404 for an entry the library lacks, a 409 for one the user installed."""
    body = object_body(call)
    library_id = str(body["skill_id"])
    entry = state.library_skills.get(library_id)
    if entry is None:
        raise not_found(f"Library skill {library_id[:80]}")
    if any(state.owns(s) for s in _installed(state, library_id)):
        raise ApiError(409, f"Library skill {library_id[:80]} is already installed")
    skill_id = new_id()
    now = state.now().isoformat()
    held(state)[skill_id] = {
        "id": skill_id,
        "skill_name": entry["skill_name"],
        "description": entry.get("description"),
        "owner_email": state.acting.username,
        "_owner": state.acting.id,
        "_library_id": library_id,
        "enabled": bool(body.get("enable_by_default")),
        "created_at": now,
        "updated_at": now,
    }
    return Reply({"id": skill_id}, status=201)


def publish_library_skill(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/agents/builtin_skills/admin (multipart .zip or .skill): 201, an entry per SKILL.md, whose
    library id is its name + ``_library``; one whose name the library has replaces that entry (``inserted`` false)."""
    parts, found, data = _archive(call)
    now = state.now().isoformat()
    rows = []
    for path, text in sorted(found.items()):
        name = _name(path, text, parts["file"].filename)
        library_id = f"{name}_library"
        old = state.library_skills.get(library_id)
        if old is not None and not old.get("added_by_admin"):
            raise ApiError(409, f"{name} is a predefined skill of the library")
        entry = {
            "id": library_id,
            "skill_name": name,
            "description": _frontmatter(text).get("description"),
            "added_by_admin": True,
            "added_by_email": state.acting.username,
            "added_by_user_id": state.acting.id,
            "last_edited_by_email": state.acting.username,
            "_row": old["_row"] if old is not None else new_id(),
            "_created_at": old["_created_at"] if old is not None else now,
            "_data": _folder(data, path),
        }
        state.library_skills[library_id] = entry
        rows.append(
            {
                "id": entry["_row"],
                "skill_id": library_id,
                "config": {"name": name, "description": entry["description"]},
                "inserted": old is None,
                "created_at": entry["_created_at"],
                "updated_at": now,
            }
        )
    return Reply(rows, status=201)


def _folder(data: bytes, skill_md: str) -> bytes:
    """A zip of the archive's files that make up the skill whose SKILL.md is at that path (the whole archive for a
    SKILL.md at its root)."""
    folder = PurePosixPath(skill_md).parent
    if folder == PurePosixPath("."):
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as archive, zipfile.ZipFile(out, "w") as kept:
        for name in archive.namelist():
            if PurePosixPath(name).is_relative_to(folder):
                kept.writestr(name, archive.read(name))
    return out.getvalue()


def delete_library_skill(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/agents/builtin_skills/admin/{skill_id}: a published entry leaves the library (the users'
    installed copies stay theirs); a predefined or unknown one is a 404."""
    library_id = call.path_params["skill_id"]
    entry = state.library_skills.get(library_id)
    if entry is None or not entry.get("added_by_admin"):
        raise not_found(f"Published library skill {library_id[:80]}")
    del state.library_skills[library_id]
    return Reply({"message": "Skill removed from the library"})


def download_library_skill(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/builtin_skills/{skill_id}/download: the entry's zip (a predefined one's SKILL.md alone)."""
    library_id = call.path_params["skill_id"]
    entry = state.library_skills.get(library_id)
    if entry is None:
        raise not_found(f"Library skill {library_id[:80]}")
    data = entry.get("_data")
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            front = f"---\nname: {entry['skill_name']}\ndescription: {entry.get('description') or ''}\n---\n"
            archive.writestr(f"{entry['skill_name']}/SKILL.md", front)
        data = out.getvalue()
    return Reply(data, content_type="application/octet-stream")
