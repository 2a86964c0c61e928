"""The h2oGPTe feed: real ids made on the mock, put into positive cases (path ids in every other one), remade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, find, settings

from h2oharness.apis.h2ogpte.contract import in_default_scope
from h2oharness.apis.h2ogpte.feed import MAKERS, IdFeed, SweepIds, wanted
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

IDS = SweepIds(collection="c-1", chat_session="s-1", memory_block="m-1", model="h2oai/danube")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client on a mock whose clock runs (the feed waits for an ingestion), with quick jobs and answers."""
    timings = H2OGPTeTimings(ingest=JobTiming(queued=0.0, running=0.05), first_token=0.0, token_gap=0.0, tokens=8)
    state = H2OGPTeMockState(clock=MonotonicClock(), timings=timings)
    with serve(make_app(state)) as served, Target("mock", served.url, state.client_credentials()).client() as client:
        yield client


def _case(positive: bool, query: Any, body: Any, path: dict[str, Any] | None = None, method: str = "GET") -> Any:
    mode = SimpleNamespace(is_positive=positive)
    template = "/x/" + "/".join("{" + name + "}" for name in path or {})
    # every path parameter of these operations is a string
    declared = [SimpleNamespace(name=name, is_valid=lambda v: isinstance(v, str)) for name in path or {}]
    return SimpleNamespace(
        meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)),
        operation=SimpleNamespace(method=method, path=template, path_parameters=declared),
        path_parameters=path,
        query=query,
        body=body,
    )


def _fed(keys: SweepIds = IDS) -> IdFeed:
    feed = IdFeed()
    feed.keys = keys
    return feed


def test_a_positive_case_gets_the_real_ids_where_it_names_them() -> None:
    feed = _fed()
    case = _case(True, {"collection_id": "", "follow_links": True}, {"chat_session_id": "x", "is_private": None})
    feed.fill(case)
    assert case.query == {"collection_id": "c-1", "follow_links": True}
    assert case.body == {"chat_session_id": "s-1", "is_private": None}


def test_every_other_positive_case_gets_real_path_ids_and_a_replay_is_filled_as_before() -> None:
    feed = _fed()
    drawn = [{"memory_block_id": f"aZ{n}", "model_name": "0"} for n in range(4)]
    cases = [_case(True, None, None, dict(path)) for path in drawn]
    for case in cases:
        feed.fill(case)
    # percent-encoded, as schemathesis encodes the drawn path parameters: a model's name has a "/"
    real = {"memory_block_id": "m-1", "model_name": "h2oai%2Fdanube"}
    assert [c.path_parameters for c in cases] == [real, drawn[1], real, drawn[3]]
    # hypothesis replays a failing case: it is sent as it was the first time, fed or not
    again = [_case(True, None, None, dict(drawn[1])), _case(True, None, None, dict(drawn[0]))]
    for case in again:
        feed.fill(case)
    assert [c.path_parameters for c in again] == [drawn[1], real]


SPEC = Path(__file__).resolve().parents[3] / "contracts" / "h2ogpte" / "openapi.yaml"


def _fed_positive(path: str, method: str, keys: SweepIds) -> Any:
    """The first positive case drawn for an operation, filled by a feed whose next new case is fed, revalidated."""
    operation = schemathesis.openapi.from_path(str(SPEC))[path][method]
    case = find(
        operation.as_strategy(),
        lambda c: c.meta.generation.mode.is_positive,
        settings=settings(database=None, suppress_health_check=list(HealthCheck)),
    )
    _fed(keys).fill(case)
    operation.schema.revalidate_case_metadata(case)
    return case


def test_a_fed_ingest_job_names_its_upload_as_the_array_its_schema_declares_and_stays_positive() -> None:
    # a plain string for {upload_ids} (an array here, a string in POST .../ingest) made schemathesis call the case
    # negative once it was changed: its 201 then counted for nothing
    keys = SweepIds(collection="c-1", chat_session="s-1", upload="u-1")
    case = _fed_positive("/api/v1/uploads/{upload_ids}/ingest/job", "POST", keys)
    assert case.formatted_path == "/api/v1/uploads/u-1/ingest/job"
    assert case.query["collection_id"] == "c-1"
    assert case.meta.generation.mode.is_positive


def test_a_fed_chunk_read_names_the_chunk_as_an_integer_and_stays_positive() -> None:
    # chunk_ids is an array of integers: the chunk's number as a string made the case negative
    keys = SweepIds(collection="c-1", chat_session="s-1", chunk="3")
    case = _fed_positive("/api/v1/collections/{collection_id}/chunks/{chunk_ids}", "GET", keys)
    assert case.formatted_path == "/api/v1/collections/c-1/chunks/3"
    assert case.meta.generation.mode.is_positive


@pytest.mark.parametrize(("path", "method", "field"), [("/file", "GET", "document"), ("/rpc/fs", "DELETE", "upload")])
def test_an_id_query_parameter_gets_the_id_its_operation_takes(path: str, method: str, field: str) -> None:
    keys = SweepIds(collection="c-1", chat_session="s-1", document="d-1", upload="u-1")
    case = _fed_positive(path, method, keys)
    assert case.query["id"] == getattr(keys, field)
    assert case.meta.generation.mode.is_positive


def test_the_feeds_role_and_group_get_a_real_permission_and_role_and_answer_2xx(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    assert keys.permission in {p["name"] for p in http.get("/api/v1/permissions").json()}
    grant = _case(True, None, None, {"role_id": "x", "permission_name": "y"}, method="PUT")
    feed.fill(grant)
    assert grant.path_parameters == {"role_id": keys.role, "permission_name": keys.permission}
    assert http.put(f"/api/v1/roles/{keys.role}/permissions/{keys.permission}").status_code == 204
    feed.fill(_case(True, None, None, {"role_id": "z"}))  # left as drawn: the other half
    reset = _case(True, None, {"new_permissions": ["drawn"]}, {"role_id": "x"}, method="POST")
    feed.fill(reset)
    assert reset.body == {"new_permissions": [keys.permission]}
    feed.fill(_case(True, None, None, {"role_id": "w"}))
    roles = _case(True, None, {"new_roles": ["drawn"]}, {"group_id": "x"}, method="DELETE")
    feed.fill(roles)
    assert roles.body == {"new_roles": [keys.role_name]}
    assert http.request("DELETE", f"/api/v1/groups/{keys.group}/roles", json=roles.body).status_code == 204


def test_a_fed_delete_of_agent_directories_names_the_feeds_chat_which_gets_its_directory_back(
    http: httpx.Client,
) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    stats = f"/api/v1/chats/{keys.chat_session}/agent_server_directories/{keys.directory}/stats"
    delete = _case(True, None, None, {"session_ids": "x"}, method="DELETE")
    delete.operation.path = "/api/v1/chats/{session_ids}/agent_server_directories"
    feed.fill(delete)
    assert str(delete.path_parameters["session_ids"]) == keys.chat_session
    feed.note(http.delete(f"/api/v1/chats/{keys.chat_session}/agent_server_directories"))
    assert http.get(stats).status_code == 404
    feed.fill(_case(True, None, None, {"session_id": "y"}))
    assert feed.keys is not None
    assert http.get(stats.replace(keys.directory or "", feed.keys.directory or "")).status_code == 200


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_fed_star_names_the_feeds_library_skill_and_stays_positive(method: str) -> None:
    keys = SweepIds(collection="c-1", chat_session="s-1", skill="k-1")
    case = _fed_positive("/api/v1/agents/library/{item_kind}/{item_id}/star", method, keys)
    assert case.formatted_path == "/api/v1/agents/library/skill/k-1/star"
    assert case.meta.generation.mode.is_positive


def test_an_array_query_field_gets_a_list_of_the_real_name_and_the_case_stays_positive() -> None:
    # role_names of GET /permissions is an array: a bare string written into it is not what its schema declares
    keys = SweepIds(collection="c-1", chat_session="s-1", role_name="r-1")
    operation = schemathesis.openapi.from_path(str(SPEC))["/api/v1/permissions"]["GET"]
    case = find(
        operation.as_strategy(),
        lambda c: c.meta.generation.mode.is_positive and "role_names" in (c.query or {}),
        settings=settings(database=None, suppress_health_check=list(HealthCheck)),
    )
    _fed(keys).fill(case)
    operation.schema.revalidate_case_metadata(case)
    assert case.query["role_names"] == ["r-1"]
    assert case.meta.generation.mode.is_positive


@pytest.mark.parametrize("path", ["/api/v1/ingest/s3", "/api/v1/ingest/website/job"])
def test_an_ingest_gets_its_collection_while_its_other_query_values_are_in_wire_form(path: str) -> None:
    # the drawn booleans are "true"/"false" by then: the whole query checked at once refused every real id
    keys = SweepIds(collection="c-1", chat_session="s-1")
    operation = schemathesis.openapi.from_path(str(SPEC))[path]["POST"]
    case = find(
        operation.as_strategy(),
        lambda c: c.meta.generation.mode.is_positive and len(c.query or {}) > 3,
        settings=settings(database=None, suppress_health_check=list(HealthCheck)),
    )
    _fed(keys).fill(case)
    operation.schema.revalidate_case_metadata(case)
    assert case.query["collection_id"] == "c-1"
    assert case.meta.generation.mode.is_positive


def test_a_field_whose_drawn_value_is_no_string_keeps_it_and_a_drawn_list_gets_a_list() -> None:
    # a stand-in operation has no schema: the drawn value's type says what the field takes
    feed = _fed(SweepIds(collection="c-1", chat_session="s-1", memory_block="m-1", upload="u-1"))
    case = _case(True, {"memory_block_id": 7, "upload_ids": ["a", "b"]}, {"memory_block_id": {"x": 1}, "model": "m"})
    feed.fill(case)
    assert case.query == {"memory_block_id": 7, "upload_ids": ["u-1"]}
    assert case.body == {"memory_block_id": {"x": 1}, "model": "m"}


def test_a_path_with_a_drawn_integer_array_is_left_as_drawn_and_stays_positive() -> None:
    # the drawn chunk_ids ("0", the wire form of [0]) fail their array schema once the path is revalidated
    case = _fed_positive("/api/v1/collections/{collection_id}/chunks/{chunk_ids}", "GET", IDS)
    assert case.path_parameters["collection_id"] != "c-1"
    assert case.meta.generation.mode.is_positive


def test_a_case_left_as_drawn_still_gets_the_collection_an_ingest_needs_but_no_other_id() -> None:
    feed = _fed()
    feed.fill(_case(True, None, None, {"memory_block_id": "a"}))
    second = _case(True, {"collection_id": "", "memory_block_id": "b"}, None, {"memory_block_id": "b"})
    feed.fill(second)
    assert second.query == {"collection_id": "c-1", "memory_block_id": "b"}
    assert second.path_parameters == {"memory_block_id": "b"}


def test_an_admin_login_session_and_a_model_self_test_keep_their_drawn_path_ids() -> None:
    feed = _fed()
    left = {
        "/api/v1/admin/sessions/{session_id}": "session_id",
        "/api/v1/models/{model_name}/self_test/{mode}": "model_name",
    }
    for template, name in left.items():
        case = _case(True, None, None, {name: "drawn"}, method="POST")
        case.operation.path = template
        feed.fill(case)
        assert case.path_parameters == {name: "drawn"}


def test_a_negative_case_an_absent_parameter_and_a_text_body_stay_as_drawn() -> None:
    feed = _fed()
    negative = _case(False, {"collection_id": ["not", "a", "string"]}, None, {"memory_block_id": 5})
    feed.fill(negative)
    assert negative.query == {"collection_id": ["not", "a", "string"]}
    assert negative.path_parameters == {"memory_block_id": 5}
    positive = _case(True, {"limit": 3}, "plain text", {"extractor_id": "e"})
    feed.fill(positive)
    assert positive.query == {"limit": 3}
    assert positive.body == "plain text"
    assert positive.path_parameters == {"extractor_id": "e"}


def test_ensure_makes_on_the_mock_everything_the_id_taking_paths_name(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    assert feed.error is None
    assert feed.missing == {}
    assert http.get(f"/api/v1/collections/{keys.collection}").json()["username"] == keys.username
    assert http.get(f"/api/v1/chats/{keys.chat_session}").json()["collection_id"] == keys.collection
    documents = http.get(f"/api/v1/collections/{keys.collection}/documents").json()
    assert [d["id"] for d in documents] == [keys.document]
    messages = {m["id"]: m for m in http.get(f"/api/v1/chats/{keys.chat_session}/messages").json()}
    assert messages[keys.message]["reply_to"] == keys.question
    assert http.get(f"/api/v1/memory_blocks/{keys.memory_block}").status_code == 200
    assert http.get(f"/api/v1/agents/custom_tools/{keys.tool}/download").status_code == 200
    assert http.get(f"/api/v1/agents/custom_agents/{keys.agent}").status_code == 200
    assert keys.model in {m["id"] for m in http.get("/api/v1/models").json()}
    for path in (
        f"/api/v1/users/{keys.user}",
        f"/api/v1/extractors/{keys.extractor}",
        f"/api/v1/prompt_templates/{keys.prompt_template}",
        f"/api/v1/roles/{keys.role}",
        f"/api/v1/groups/{keys.group}/roles",
        f"/api/v1/secrets/{keys.secret}",
        f"/api/v1/shared_chats/{keys.shared_chat}",
        f"/api/v1/tags/{keys.tag}",
        f"/api/v1/jobs/{keys.job}",
        f"/api/v1/document_summaries/{keys.summary}",
        f"/api/v1/agents/builtin_skills/{keys.skill}/download",
        f"/api/v1/graph/{keys.collection}",
        f"/api/v1/collections/{keys.collection}/chunks/{keys.chunk}",
        f"/api/v1/chats/{keys.chat_session}/agent_server_directories/{keys.directory}/stats",
    ):
        assert http.get(path).status_code == 200, path
    assert http.get(f"/api/v1/users/{keys.user}").json()["username"] == keys.username
    assert http.get(f"/api/v1/roles/{keys.role}").json()["name"] == keys.role_name
    held = http.get(f"/api/v1/users/{keys.user}/roles").json()
    assert {"id": keys.role, "name": keys.role_name} in [{k: r[k] for k in ("id", "name")} for r in held]
    assert keys.showcase in {s["id"] for s in http.get("/api/v1/showcase").json()}
    assert keys.api_key in {k["id"] for k in http.get("/api/v1/admin/api_keys").json()}
    assert keys.agent_key in {k["id"] for k in http.get("/api/v1/agents/keys").json()}
    assert keys.mcp in {m["id"] for apps in http.get("/api/v1/agents/builtin_mcps").json().values() for m in apps}
    tagged = http.get(f"/api/v1/tags/{keys.tag}/documents", params={"collection_id": keys.collection}).json()
    assert [d["id"] for d in tagged] == [keys.document]
    ingest = http.post(f"/api/v1/uploads/{keys.upload}/ingest", params={"collection_id": keys.collection})
    assert ingest.status_code == 204
    # nothing missing: a second ensure makes nothing new
    feed.ensure(http, tag="t")
    assert feed.keys == keys


def test_a_fed_case_that_deleted_its_id_is_followed_by_one_with_the_id_made_again(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    delete = _case(True, None, None, {"memory_block_id": "x"}, method="DELETE")
    feed.fill(delete)
    assert delete.path_parameters == {"memory_block_id": keys.memory_block}
    feed.note(http.delete(f"/api/v1/memory_blocks/{keys.memory_block}"))
    feed.fill(_case(True, None, None, {"memory_block_id": "y"}))  # left as drawn: the other half
    after = _case(True, None, None, {"memory_block_id": "z"})
    feed.fill(after)
    assert feed.keys is not None
    assert feed.keys.memory_block not in (None, keys.memory_block)
    assert after.path_parameters == {"memory_block_id": feed.keys.memory_block}
    assert http.get(f"/api/v1/memory_blocks/{feed.keys.memory_block}").status_code == 200
    assert feed.keys.collection == keys.collection


def test_a_fed_case_that_deleted_an_extractor_is_followed_by_one_naming_a_new_one(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    delete = _case(True, None, None, {"extractor_id": "x"}, method="DELETE")
    feed.fill(delete)
    assert delete.path_parameters == {"extractor_id": keys.extractor}
    feed.note(http.delete(f"/api/v1/extractors/{keys.extractor}"))
    feed.fill(_case(True, None, None, {"extractor_id": "y"}))  # left as drawn: the other half
    after = _case(True, None, None, {"extractor_id": "z"})
    feed.fill(after)
    assert feed.keys is not None
    assert feed.keys.extractor not in (None, keys.extractor)
    assert after.path_parameters == {"extractor_id": feed.keys.extractor}
    assert http.get(f"/api/v1/extractors/{feed.keys.extractor}").status_code == 200
    assert feed.keys.role == keys.role


def test_a_role_taken_from_the_user_by_a_fed_case_is_given_back_before_the_next(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    assert keys.role_name is not None
    delete = _case(True, None, None, {"user_id": "x", "role_names": "y"}, method="DELETE")
    feed.fill(delete)
    assert delete.path_parameters == {"user_id": keys.user, "role_names": keys.role_name}
    feed.note(http.delete(f"/api/v1/users/{keys.user}/roles/{keys.role_name}"))
    assert keys.role not in {r["id"] for r in http.get(f"/api/v1/users/{keys.user}/roles").json()}
    feed.fill(_case(True, None, None, {"user_id": "y"}))
    assert keys.role in {r["id"] for r in http.get(f"/api/v1/users/{keys.user}/roles").json()}
    assert feed.keys is not None
    assert feed.keys.role == keys.role


def test_a_graph_deleted_by_a_fed_case_is_built_again_before_the_next(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    assert keys.graph == keys.collection
    delete = _case(True, None, None, {"collection_id": "x"}, method="DELETE")
    feed.fill(delete)
    assert delete.path_parameters == {"collection_id": keys.collection}
    feed.note(http.delete(f"/api/v1/graph/{keys.collection}"))
    assert http.get(f"/api/v1/graph/{keys.collection}").status_code == 404
    feed.fill(_case(True, None, None, {"collection_id": "y"}))
    assert http.get(f"/api/v1/graph/{keys.collection}").status_code == 200


def test_a_fed_share_names_the_current_user_in_its_usernames_array_and_stays_positive() -> None:
    keys = SweepIds(collection="c-1", chat_session="s-1", prompt_template="p-1", username="me@example.com")
    case = _fed_positive("/api/v1/prompt_templates/{prompt_template_id}/permissions", "PUT", keys)
    assert case.path_parameters == {"prompt_template_id": "p-1"}
    assert case.body["usernames"] == ["me@example.com"]
    assert case.meta.generation.mode.is_positive


def test_the_harness_users_roles_are_never_all_taken_away() -> None:
    feed = _fed(SweepIds(collection="c-1", chat_session="s-1", user="u-1"))
    for method in ("DELETE", "GET"):
        case = _case(True, None, None, {"user_id": "drawn"}, method=method)
        case.operation.path = "/api/v1/users/{user_id}/roles"
        feed.fill(case)
        feed.fill(_case(True, None, None, {"user_id": "drawn"}))  # the other half
        assert case.path_parameters == {"user_id": "drawn" if method == "DELETE" else "u-1"}


def test_remove_deletes_what_was_made_remade_ones_too(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    first = feed.keys
    assert first is not None
    http.delete(f"/api/v1/collections/{first.collection}")
    feed.ensure(http, tag="t")
    second = feed.keys
    assert second is not None
    assert second.collection != first.collection
    assert None not in (second.memory_block, second.tool, second.agent)
    feed.remove(http)
    assert feed.keys is None
    assert http.get(f"/api/v1/collections/{second.collection}").status_code == 404
    assert http.get(f"/api/v1/chats/{second.chat_session}").status_code == 404
    assert http.get(f"/api/v1/memory_blocks/{second.memory_block}").status_code == 404
    assert http.get(f"/api/v1/agents/custom_tools/{second.tool}").status_code == 404
    assert http.get(f"/api/v1/agents/custom_agents/{second.agent}").status_code == 404
    assert http.get(f"/api/v1/extractors/{second.extractor}").status_code == 404
    assert http.get(f"/api/v1/prompt_templates/{second.prompt_template}").status_code == 404
    assert http.get(f"/api/v1/secrets/{second.secret}").status_code == 404
    assert http.get(f"/api/v1/shared_chats/{second.shared_chat}").status_code == 404
    assert http.get(f"/api/v1/tags/{second.tag}").status_code == 404
    assert http.get(f"/api/v1/document_summaries/{second.summary}").status_code == 404
    assert http.get(f"/api/v1/agents/builtin_skills/{second.skill}/download").status_code == 404
    assert http.get("/api/v1/admin/api_keys").json() == []
    assert http.get("/api/v1/agents/keys").json() == []
    assert http.get("/api/v1/showcase").json() == []
    assert second.group not in {g["id"] for g in http.get("/api/v1/groups").json()}
    assert second.mcp not in {m["id"] for apps in http.get("/api/v1/agents/builtin_mcps").json().values() for m in apps}


def _scoped(all_operations: bool) -> Any:
    schema = schemathesis.openapi.from_path(str(SPEC))
    return schema.exclude(
        lambda ctx: not (all_operations or in_default_scope(ctx.operation.method, ctx.operation.path))
    )


def test_a_default_run_wants_no_library_item_showcase_tile_or_admin_key_which_a_sweep_does() -> None:
    # feeds run in default runs too: on a shared server a default run published a showcase tile, a library MCP and
    # skill and an admin API key its operations never named
    default, sweep = wanted(_scoped(False)), wanted(_scoped(True))
    assert {"showcase", "shared_chat", "mcp", "skill", "api_key", "extractor", "secret", "graph"}.isdisjoint(default)
    # the seeds' operations name them (an agent key given to a custom agent: its key_id is no admin's API key)
    assert {"agent_key", "directory"} <= default
    assert sweep == {field for maker in MAKERS for field in maker.fields}
    # what making a wanted thing needs comes with it
    assert wanted(schemathesis.openapi.from_path(str(SPEC)).include(path="/api/v1/showcase/{showcase_id}")) >= {
        "showcase",
        "shared_chat",
    }


def test_a_feed_installed_on_the_default_run_s_operations_makes_only_what_they_name(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.install(_scoped(False))
    feed.ensure(http, tag="t")
    keys = feed.keys
    assert keys is not None
    assert keys.memory_block is not None
    assert (keys.showcase, keys.shared_chat, keys.mcp, keys.skill, keys.api_key) == (None,) * 5
    assert http.get("/api/v1/showcase").json() == []
    assert keys.agent_key in {k["id"] for k in http.get("/api/v1/agents/keys").json()}
