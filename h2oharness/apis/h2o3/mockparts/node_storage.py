"""The node's small stores and switches: /3/NodePersistentStorage (Flow's notebooks: a value per category and name,
which a real server keeps as files under its flow folder), /3/SessionProperties (a value per session and key), and
the POSTs that only act on the node: /3/GarbageCollect, /3/UnlockKeys and /3/CloudLock."""

from __future__ import annotations

import re
import uuid
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import JAVA_ILLEGAL, H2OError, JSONDict

FLOW_DIR = "/root/h2oflows"
NO_VALUE = 'Cannot invoke "java.lang.CharSequence.toString()" because "str" is null'
# a real 3.46.0.12 takes letters, digits and "-" ("notebook", "nb-1") and refuses "_" and "." in a category
CATEGORY = re.compile(r"[A-Za-z0-9-]+")


def _category(call: Call) -> str | None:
    category = call.path_params.get("category")
    if category is not None and not CATEGORY.fullmatch(category):
        raise H2OError(400, f"NodePersistentStorage illegal category ({category})", JAVA_ILLEGAL)
    return category


def _body(category: str | None, name: str | None, value: str | None = None, **more: Any) -> JSONDict:
    body = metadata.skeleton("NodePersistentStorageV3")
    body.update(category=category, name=name, value=value, configured=False, exists=False, entries=None)
    body.update(more)
    return body


def storage(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/NodePersistentStorage/configured, /{category} and the two ``exists`` routes.

    As a real server started without -flow_dir: ``configured`` answers true, yet each answer says not configured; a
    category exists once something was stored in it (its folder stays), a name while it is stored.
    """
    call.values("NodePersistentStorageV3")
    category, name = _category(call), call.path_params.get("name")
    if call.path == "/3/NodePersistentStorage/configured":
        return Reply(_body(None, None, configured=True))
    with state.lock:
        held = state.flow_store.get(category or "")
        entries = [] if held is None else [(n, v, ms) for n, (v, ms) in held.items()]
    if call.path.endswith("/exists"):
        exists = held is not None and (name is None or name in held)
        return Reply(_body(category, name, exists=exists))
    listed = []
    for entry_name, value, ms in entries:
        entry = metadata.skeleton("NodePersistentStorageEntryV3")
        entry.update(category=category, name=entry_name, size=len(value.encode("utf-8")), timestamp_millis=ms)
        listed.append(entry)
    return Reply(_body(category, None, entries=listed))


def value(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/NodePersistentStorage/{category}/{name}: the value stored, or the real server's file-not-found."""
    call.values("NodePersistentStorageV3")
    category, name = str(_category(call)), call.path_params["name"]
    with state.lock:
        found = state.flow_store.get(category, {}).get(name)
    if found is None:
        raise H2OError(400, f"File not found ({FLOW_DIR}/{category}/{name})", JAVA_ILLEGAL)
    return Reply(_body(category, name, found[0]))


def store(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/NodePersistentStorage/{category}[/{name}]: keep ``value`` under the name (a new UUID without one).
    Without a value a real server answers 500 NullPointerException, the mock 400 with its message."""
    values = call.values("NodePersistentStorageV3")
    category = str(_category(call))
    name = call.path_params.get("name") or str(uuid.uuid4())
    given = values.get("value")
    if given is None:
        raise H2OError(400, NO_VALUE, "java.lang.NullPointerException")
    with state.lock:
        state.flow_store.setdefault(category, {})[name] = (str(given), state.epoch_ms())
    return Reply(_body(category, name, str(given)))


def delete(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/NodePersistentStorage/{category}/{name}: forget the value (a name not stored is no error)."""
    call.values("NodePersistentStorageV3")
    category, name = str(_category(call)), call.path_params["name"]
    with state.lock:
        state.flow_store.get(category, {}).pop(name, None)
    return Reply(_body(category, name))


def session_property(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/SessionProperties: the value set for the session and key, null if none."""
    values = call.values("SessionPropertyV3")
    session, key = values.get("session_key"), values.get("key")
    with state.lock:
        found = state.session_properties.get((str(session), str(key)))
    body = metadata.skeleton("SessionPropertyV3")
    body.update(session_key=session, key=key, value=found)
    return Reply(body)


def set_session_property(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/SessionProperties: set the value for the session and key, echoed."""
    values = call.values("SessionPropertyV3")
    session, key, given = values.get("session_key"), values.get("key"), values.get("value")
    with state.lock:
        state.session_properties[(str(session), str(key))] = None if given is None else str(given)
        while len(state.session_properties) > state.max_objects:
            state.session_properties.pop(next(iter(state.session_properties)))
    body = metadata.skeleton("SessionPropertyV3")
    body.update(session_key=session, key=key, value=given)
    return Reply(body)


def garbage_collect(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/GarbageCollect: nothing to collect; the empty GarbageCollectV3."""
    call.values("GarbageCollectV3")
    return Reply(metadata.skeleton("GarbageCollectV3"))


def unlock_keys(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/UnlockKeys: the mock locks no key; the empty UnlockKeysV3."""
    call.values("UnlockKeysV3")
    return Reply(metadata.skeleton("UnlockKeysV3"))


def cloud_lock(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/CloudLock: a cloud of one node is locked from its start; the reason echoed."""
    values = call.values("CloudLockV3")
    body = metadata.skeleton("CloudLockV3")
    body["reason"] = values.get("reason")
    return Reply(body)
