"""Generic resources: operations classified from their shape, objects kept, answers valid under the contract."""

from __future__ import annotations

from typing import Any

import pytest

from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.jobs import JobBoard, JobPhase
from h2oharness.mocks.resources import GenericCall, GenericReply, Kind, Resources, Rules, Surface

THING = {"$ref": "#/components/schemas/Thing"}
ERRORS = {"400": {"description": "bad"}, "404": {"description": "missing"}}


def _json(schema: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _op(status: str, schema: Any = None, body: Any = None, params: Any = ()) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {status: {"description": "ok", **(_json(schema) if schema else {})}, **ERRORS}}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = list(params)
    return op


def _query(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
ID = [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}]
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "post": _op("200", THING, {"type": "object", "required": ["name"], "properties": {"name": STRING}}),
            "get": _op(
                "200",
                {"type": "array", "items": THING},
                params=[_query("offset", "integer"), _query("limit", "integer"), _query("sort_column"), _query("name")],
            ),
        },
        "/things/count": {
            "get": _op("200", {"type": "object", "required": ["count"], "properties": {"count": INTEGER}})
        },
        "/things/{thing_id}": {
            "parameters": ID,
            "get": _op("200", THING),
            "patch": _op("200", THING, {"type": "object"}),
            "delete": _op("204"),
        },
        "/things/{thing_id}/settings": {
            "parameters": ID,
            "get": _op("200", {"type": "object", "properties": {"color": {"type": "string"}}}),
            "put": _op("200", {"type": "object", "properties": {"color": {"type": "string"}}}, {"type": "object"}),
        },
        "/things/{thing_id}/archive": {"parameters": ID, "post": _op("200", THING)},
        "/things/delete_job": {"post": _op("202", {"$ref": "#/components/schemas/Job"}, {"type": "object"})},
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "name", "size"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "size": {"type": "integer"}},
            },
            "Job": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {"id": {"type": "string"}, "status": {"type": "string"}},
            },
        }
    },
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def resources(clock: ManualClock) -> Resources:
    rules = Rules(job_view=lambda job, now: {"status": job.phase(now).value})
    return Resources(Surface(DOCUMENT, rules), jobs=JobBoard(clock))


def _call(resources: Resources, method: str, template: str, body: Any = None, **params: str) -> GenericReply:
    op = resources.surface.operation(method, template)
    path = {k: v for k, v in params.items() if op.params.get(k, ("",))[0] == "path"}
    query = {k: v for k, v in params.items() if k not in path}
    return resources.answer(GenericCall(op, path, query, body))


def test_every_operation_is_classified_by_its_shape(resources: Resources) -> None:
    kinds = {(op.method, op.template): op.kind for op in resources.surface.operations}
    assert kinds == {
        ("POST", "/things"): Kind.CREATE,
        ("GET", "/things"): Kind.LIST,
        ("GET", "/things/count"): Kind.COUNT,
        ("GET", "/things/{thing_id}"): Kind.GET,
        ("PATCH", "/things/{thing_id}"): Kind.UPDATE,
        ("DELETE", "/things/{thing_id}"): Kind.DELETE,
        ("GET", "/things/{thing_id}/settings"): Kind.GET_ONE,
        ("PUT", "/things/{thing_id}/settings"): Kind.SET_ONE,
        ("POST", "/things/{thing_id}/archive"): Kind.ACTION,
        ("POST", "/things/delete_job"): Kind.JOB,
    }


def test_create_get_update_delete(resources: Resources) -> None:
    made = _call(resources, "POST", "/things", {"name": "a"})
    assert made.status == 200
    assert made.body["name"] == "a"
    assert made.body["size"] == 0
    thing_id = made.body["id"]
    assert _call(resources, "GET", "/things/{thing_id}", thing_id=thing_id).body == made.body
    assert _call(resources, "PATCH", "/things/{thing_id}", {"size": 3}, thing_id=thing_id).body["size"] == 3
    assert _call(resources, "GET", "/things/{thing_id}", thing_id=thing_id).body["size"] == 3
    gone = _call(resources, "DELETE", "/things/{thing_id}", thing_id=thing_id)
    assert (gone.status, gone.body) == (204, None)
    assert _call(resources, "GET", "/things/{thing_id}", thing_id=thing_id).status == 404


def test_list_pages_filters_orders_and_counts(resources: Resources) -> None:
    for name in ("c", "a", "b", "a"):
        _call(resources, "POST", "/things", {"name": name})
    names = [t["name"] for t in _call(resources, "GET", "/things", sort_column="name").body]
    assert names == ["a", "a", "b", "c"]
    page = _call(resources, "GET", "/things", sort_column="name", offset="1", limit="2").body
    assert [t["name"] for t in page] == ["a", "b"]
    assert len(_call(resources, "GET", "/things", name="a").body) == 2
    assert _call(resources, "GET", "/things/count").body == {"count": 4}


def test_bad_input_is_a_documented_4xx_naming_the_problem(resources: Resources) -> None:
    missing = _call(resources, "POST", "/things", {"size": 1})
    assert missing.status == 400
    assert "name" in missing.error
    wrong = _call(resources, "GET", "/things", limit="many")
    assert wrong.status == 400
    assert "limit" in wrong.error
    assert _call(resources, "POST", "/things").status == 400


def test_sub_resources_need_their_parent(resources: Resources) -> None:
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id="nope").status == 404
    thing_id = _call(resources, "POST", "/things", {"name": "a"}).body["id"]
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id=thing_id).body == {}
    _call(resources, "PUT", "/things/{thing_id}/settings", {"color": "red"}, thing_id=thing_id)
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id=thing_id).body == {"color": "red"}
    assert _call(resources, "POST", "/things/{thing_id}/archive", thing_id=thing_id).body["id"] == thing_id


def test_the_api_can_vouch_for_objects_its_own_handlers_hold(resources: Resources) -> None:
    resources.exists = lambda collection, path, object_id: object_id == "held" if collection == "/things" else None
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id="held").status == 200
    assert _call(resources, "GET", "/things/{thing_id}", thing_id="held").body["id"] == "held"
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id="other").status == 404


def test_an_object_the_caller_may_not_see_is_as_unknown_as_a_missing_one(resources: Resources) -> None:
    caller = {"name": "ann"}
    resources.stamp = lambda collection: {"_owner": caller["name"]}
    resources.visible = lambda collection, record: record.get("_owner") == caller["name"]
    anns = _call(resources, "POST", "/things", {"name": "a"}).body["id"]
    caller["name"] = "bob"
    bobs = _call(resources, "POST", "/things", {"name": "b"}).body["id"]
    assert [t["id"] for t in _call(resources, "GET", "/things").body] == [bobs]
    assert _call(resources, "GET", "/things/count").body["count"] == 1
    for method, template in (("GET", "/things/{thing_id}"), ("PATCH", "/things/{thing_id}"),
                             ("DELETE", "/things/{thing_id}"), ("GET", "/things/{thing_id}/settings")):  # fmt: skip
        body = {} if method == "PATCH" else None
        assert _call(resources, method, template, body, thing_id=anns).status == 404, (method, template)
    caller["name"] = "ann"
    assert _call(resources, "GET", "/things/{thing_id}", thing_id=anns).body["name"] == "a"


def test_jobs_run_on_the_clock(resources: Resources, clock: ManualClock) -> None:
    reply = _call(resources, "POST", "/things/delete_job", {})
    assert reply.status == 202
    assert reply.body["status"] == "queued"
    clock.advance(5)
    job = resources.jobs.get(reply.body["id"])
    assert job is not None
    assert job.phase(clock.now()) is JobPhase.SUCCEEDED


def test_collections_are_bounded(resources: Resources) -> None:
    resources.max_per_collection = 3
    ids = [_call(resources, "POST", "/things", {"name": str(n)}).body["id"] for n in range(5)]
    assert list(resources.collections["/things"]) == ids[2:]


def test_the_bytes_held_are_bounded_oldest_written_first(resources: Resources) -> None:
    """A count alone bounded nothing: 1,000 objects a collection of bodies up to the mock's body limit each."""
    resources.max_bytes = 10_000
    big = "x" * 3_000
    ids = [_call(resources, "POST", "/things", {"name": big}).body["id"] for _ in range(5)]
    # three of about 3 kB fit in 10 kB: the two written first went, as if deleted
    assert list(resources.collections["/things"]) == ids[2:]
    assert _call(resources, "GET", "/things/{thing_id}", thing_id=ids[0]).status == 404
    # a write again makes an object the newest; a deletion frees its bytes, so nothing else goes for the next
    assert _call(resources, "PATCH", "/things/{thing_id}", {"size": 1}, thing_id=ids[2]).status == 200
    assert _call(resources, "DELETE", "/things/{thing_id}", thing_id=ids[3]).status == 204
    newer = _call(resources, "POST", "/things", {"name": big}).body["id"]
    assert list(resources.collections["/things"]) == [ids[2], ids[4], newer]
    # singleton values count too, and the newest stays whatever its size
    huge = {"color": "y" * 20_000}
    assert _call(resources, "PUT", "/things/{thing_id}/settings", huge, thing_id=newer).status == 200
    assert resources.collections["/things"] == {}
    assert resources.singletons == {f"/things/{newer}/settings": huge}


def test_the_objects_an_api_lends_are_its_own_to_bound(resources: Resources) -> None:
    held: dict[str, dict[str, Any]] = {}
    resources.records = lambda template, values: held if template == "/things" else None
    resources.max_bytes = 1_000
    for n in range(5):
        _call(resources, "POST", "/things", {"name": "x" * 500 + str(n)})
    assert len(held) == 5


def test_every_contract_is_found_and_classified() -> None:
    from h2oharness.openapi import contract_document

    for slug in ("h2o3", "h2ogpte", "coreplexml", "workflows"):
        surface = Surface(contract_document(slug))
        assert len(surface.operations) >= 10
        assert {op.kind for op in surface.operations} & {Kind.GET, Kind.LIST, Kind.CREATE}


NESTED: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/owners/{owner_id}/pets": {
            "parameters": [{"name": "owner_id", "in": "path", "required": True, "schema": STRING}],
            "post": _op("200", {"$ref": "#/components/schemas/Pet"}, {"type": "object"}),
        },
        "/pets/{pet_id}": {
            "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": STRING}],
            "get": _op("200", {"$ref": "#/components/schemas/Pet"}),
            "delete": _op("204"),
        },
        "/pets/{pet_id}/walk": {
            "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": STRING}],
            "post": _op("200", {"$ref": "#/components/schemas/Job"}),
        },
        "/jobs/{job_id}": {
            "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": STRING}],
            "get": _op("200", {"$ref": "#/components/schemas/Job"}),
        },
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["id", "owner_id"],
                "properties": {"id": STRING, "owner_id": STRING, "name": STRING},
            },
            "Job": DOCUMENT["components"]["schemas"]["Job"],
        }
    },
}


def test_objects_made_under_a_parent_are_read_at_their_own_collection() -> None:
    """A kind override makes a POST without an item GET a creation; the object carries its parent's id, is found
    at the top-level collection of its name, deleted there, and a job started on it is read at /jobs/{id}."""
    rules = Rules(
        kinds={("POST", "/owners/{owner_id}/pets"): Kind.CREATE},
        is_job=lambda method, template: template.endswith("/walk"),
        job_view=lambda job, now: {"status": job.phase(now).value},
    )
    surface = Surface(NESTED, rules)
    assert surface.operation("POST", "/owners/{owner_id}/pets").kind is Kind.CREATE
    clock = ManualClock()
    resources = Resources(surface, jobs=JobBoard(clock))

    def call(method: str, template: str, path: dict[str, str], body: Any = None) -> GenericReply:
        return resources.answer(GenericCall(surface.operation(method, template), path, {}, body))

    made = call("POST", "/owners/{owner_id}/pets", {"owner_id": "o1"}, {"name": "rex"})
    assert made.body["owner_id"] == "o1"
    got = call("GET", "/pets/{pet_id}", {"pet_id": made.body["id"]})
    assert got.status == 200
    assert got.body == made.body
    walk = call("POST", "/pets/{pet_id}/walk", {"pet_id": made.body["id"]})
    clock.advance(60.0)
    assert call("GET", "/jobs/{job_id}", {"job_id": walk.body["id"]}).body["status"] == JobPhase.SUCCEEDED.value
    assert call("GET", "/jobs/{job_id}", {"job_id": "nope"}).status == 404
    assert call("DELETE", "/pets/{pet_id}", {"pet_id": made.body["id"]}).status == 204
    assert call("GET", "/pets/{pet_id}", {"pet_id": made.body["id"]}).status == 404


def test_the_api_can_lend_its_own_objects(resources: Resources) -> None:
    held = {"h1": {"id": "h1", "name": "mine", "size": 3}}
    resources.records = lambda template, values: held if template == "/things" else None
    assert [t["id"] for t in _call(resources, "GET", "/things").body] == ["h1"]
    assert _call(resources, "GET", "/things/count").body["count"] == 1
    assert _call(resources, "GET", "/things/{thing_id}", thing_id="h1").body["name"] == "mine"
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id="h2").status == 404
    _call(resources, "DELETE", "/things/{thing_id}", thing_id="h1")
    assert held == {}


def test_array_and_date_parameters_are_read_as_such() -> None:
    ids = {"name": "ids", "in": "path", "required": True, "schema": {"type": "array", "items": INTEGER}}
    when = {"name": "after", "in": "query", "schema": {"type": "string", "format": "date-time"}}
    document = {**DOCUMENT, "paths": {"/bits/{ids}": {"delete": _op("204", params=[ids, when])}}}
    resources = Resources(Surface(document), jobs=JobBoard(ManualClock()))
    # valid input reaches the objects (none: a 404); invalid input is a 400
    assert _call(resources, "DELETE", "/bits/{ids}", ids="1,2").status == 404
    assert _call(resources, "DELETE", "/bits/{ids}", ids="1,x").status == 400
    assert _call(resources, "DELETE", "/bits/{ids}", ids="1", after="2026-01-01T00:00:00Z").status == 404
    assert _call(resources, "DELETE", "/bits/{ids}", ids="1", after="yesterday").status == 400
    assert _call(resources, "DELETE", "/bits/{ids}", ids="1", after="2026-01-01").status == 400


def test_a_delete_of_several_ids_deletes_all_or_none() -> None:
    """DELETE /groups/{group_ids} with "a,b" (the client's delete_groups(ids)) looked up one object named "a,b": a
    404 for objects that were all there."""
    ids = {"name": "bit_ids", "in": "path", "required": True, "schema": {"type": "array", "items": STRING}}
    bits = {"post": _op("200", THING, {"type": "object"}), "get": _op("200", {"type": "array", "items": THING})}
    one = {"get": _op("200", THING, params=[{**ids, "schema": STRING}])}
    paths = {"/bits": bits, "/bits/{bit_ids}": {"delete": _op("204", params=[ids])}, "/bits/{bit_id}": one}
    resources = Resources(Surface({**DOCUMENT, "paths": paths}), jobs=JobBoard(ManualClock()))
    made = [_call(resources, "POST", "/bits", {"name": str(n)}).body["id"] for n in range(3)]
    assert _call(resources, "DELETE", "/bits/{bit_ids}", bit_ids=f"{made[0]},{made[1]}").status == 204
    assert [bit["id"] for bit in _call(resources, "GET", "/bits").body] == [made[2]]
    # one unknown id: a 404 naming it, and the others stay
    refused = _call(resources, "DELETE", "/bits/{bit_ids}", bit_ids=f"{made[2]},nope")
    assert (refused.status, refused.error) == (404, "bit_ids 'nope' not found")
    assert [bit["id"] for bit in _call(resources, "GET", "/bits").body] == [made[2]]
    assert _call(resources, "DELETE", "/bits/{bit_ids}", bit_ids=made[2]).status == 204
    assert _call(resources, "GET", "/bits").body == []


def test_paths_are_bounded_oldest_first(clock: ManualClock) -> None:
    parts = {
        "parameters": ID,
        "post": _op("200", THING, {"type": "object"}),
        "get": _op("200", {"type": "array", "items": THING}),
    }
    part = {"parameters": [*ID, {**ID[0], "name": "part_id"}], "get": _op("200", THING)}
    paths = {**DOCUMENT["paths"], "/things/{thing_id}/parts": parts, "/things/{thing_id}/parts/{part_id}": part}
    document = {**DOCUMENT, "paths": paths}
    rules = Rules(job_view=lambda job, now: {"status": job.phase(now).value})
    resources = Resources(Surface(document, rules), jobs=JobBoard(clock))
    resources.max_paths = 2
    things = [_call(resources, "POST", "/things", {"name": str(n)}).body["id"] for n in range(4)]
    for thing in things:
        assert _call(resources, "POST", "/things/{thing_id}/parts", {}, thing_id=thing).status == 200
        assert _call(resources, "PUT", "/things/{thing_id}/settings", {"color": thing}, thing_id=thing).status == 200
        # reading a path makes it too: listing the parts of every thing holds no more paths
        assert _call(resources, "GET", "/things/{thing_id}/parts", thing_id=things[0]).status == 200
    # the contract's own path (/things) stays: only the paths under a thing count
    assert "/things" in resources.collections
    assert len(resources.collections) == 1 + 2
    assert len(resources.singletons) == 2
    # the newest survive; the oldest thing's parts and settings went, as if deleted
    assert len(_call(resources, "GET", "/things/{thing_id}/parts", thing_id=things[-1]).body) == 1
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id=things[-1]).body == {"color": things[-1]}
    assert _call(resources, "GET", "/things/{thing_id}/settings", thing_id=things[1]).body == {}
