"""Flow's node persistent storage (store, list, read, delete), session properties and the node POSTs (GarbageCollect,
UnlockKeys, CloudLock) on the mock against a real local H2O-3 3.46.0.12: the same answers in the same order of
requests, in a category of the test's own that it empties again (a real server keeps it as files)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.targets import Target

# where a real server answers 500 (a NullPointerException), the mock answers 400 with its message (mock.DEVIATIONS)
REAL_500 = {"store_no_value"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _steps(tag: str) -> list[tuple[str, str, str, dict[str, str]]]:
    category = f"nb-{tag}"
    return [
        ("illegal_category", "POST", f"/3/NodePersistentStorage/nb_{tag}/first", {"value": "hello"}),
        ("category_before", "GET", f"/3/NodePersistentStorage/categories/{category}/exists", {}),
        ("store", "POST", f"/3/NodePersistentStorage/{category}/first", {"value": "hello"}),
        ("store_unnamed", "POST", f"/3/NodePersistentStorage/{category}", {"value": "anonymous notebook"}),
        ("store_no_value", "POST", f"/3/NodePersistentStorage/{category}/second", {}),
        ("read", "GET", f"/3/NodePersistentStorage/{category}/first", {}),
        ("list", "GET", f"/3/NodePersistentStorage/{category}", {}),
        ("category_exists", "GET", f"/3/NodePersistentStorage/categories/{category}/exists", {}),
        ("name_exists", "GET", f"/3/NodePersistentStorage/categories/{category}/names/first/exists", {}),
        ("overwrite", "POST", f"/3/NodePersistentStorage/{category}/first", {"value": "hello again"}),
        ("read_again", "GET", f"/3/NodePersistentStorage/{category}/first", {}),
        ("delete", "DELETE", f"/3/NodePersistentStorage/{category}/first", {}),
        ("delete_again", "DELETE", f"/3/NodePersistentStorage/{category}/first", {}),
        ("read_deleted", "GET", f"/3/NodePersistentStorage/{category}/first", {}),
        ("name_gone", "GET", f"/3/NodePersistentStorage/categories/{category}/names/first/exists", {}),
        ("set_property", "POST", "/3/SessionProperties", {"session_key": f"_s{tag}", "key": "k", "value": "v"}),
        ("get_property", "GET", "/3/SessionProperties", {"session_key": f"_s{tag}", "key": "k"}),
        ("get_other_property", "GET", "/3/SessionProperties", {"session_key": f"_s{tag}", "key": "other"}),
        ("garbage_collect", "POST", "/3/GarbageCollect", {}),
        ("unlock_keys", "POST", "/3/UnlockKeys", {}),
        ("cloud_lock", "POST", "/3/CloudLock", {}),
        ("cloud_lock_reason", "POST", "/3/CloudLock", {"reason": "testing"}),
    ]


def _run(http: httpx.Client, tag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, method, path, form in _steps(tag):
        if method == "GET":
            answer = http.get(path, params=form)
        else:
            answer = http.request(method, path, data=form) if form else http.request(method, path)
        out[name] = (answer.status_code, answer.json())
    # leave the real server's flow folder as it was
    for entry in http.get(f"/3/NodePersistentStorage/nb-{tag}").json()["entries"] or []:
        http.delete(f"/3/NodePersistentStorage/nb-{tag}/{entry['name']}")
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, tag))


def _stable(value: Any) -> Any:
    """An answer without what differs by the moment: generated names, timestamps."""
    if isinstance(value, str):
        return UUID.sub("UUID", value)
    if isinstance(value, dict):
        stable = {k: "TIME" if k in ("timestamp_millis", "timestamp") else _stable(v) for k, v in value.items()}
        if isinstance(stable.get("entries"), list):
            # a real server lists the category's folder in the file system's order (a hash of the names on ext4),
            # which a new UUID name reorders from run to run: the entries are compared as a set
            stable["entries"] = sorted(stable["entries"], key=lambda entry: (entry["name"], entry["size"]))
        return stable
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


@pytest.mark.live
@pytest.mark.parametrize("name", [step[0] for step in _steps("x")])
def test_the_store_and_node_posts_answer_as_on_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert shape_differences(real, mock) == []
    assert _stable(mock) == _stable(real)
