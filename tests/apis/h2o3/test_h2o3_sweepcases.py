"""The extra cases of an H2O-3 sweep, and the three node killers of a real 3.46.0.12 they reach.

The first tests need no JVM. The last one starts a real local node (skipped without Java or
the jar): each root cause kills a fresh node, is confirmed by a replay, keeps its minimal form,
and its FATAL line and throw site are read from the node's log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis

from h2oharness.apis.h2o3.keys import SweepKeys
from h2oharness.apis.h2o3.sweepcases import (
    FORM,
    MAX_PER_OPERATION,
    Operation,
    Parameter,
    extra_cases,
    kind_of,
    system_family,
)
from h2oharness.contractplan import ExtraCase

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "h2o3" / "openapi.yaml"
KEYS = SweepKeys(frame="fr_real", columns=("x1", "label"), response="label", model="gbm_real", job="job_real")


@pytest.fixture(scope="module")
def schema() -> object:
    return schemathesis.openapi.from_path(str(CONTRACT))


def _cases(schema: object, method: str, path: str) -> list[ExtraCase]:
    return list(extra_cases(Operation.from_schemathesis(schema[path][method]), KEYS))  # type: ignore[index]


def test_a_key_in_the_path_gets_system_keys_and_unicode_the_killer_first(schema: object) -> None:
    cases = _cases(schema, "GET", "/3/Frames/{frame_id}")
    paths = [c.formatted_path for c in cases if c.family.startswith("system-key:")]
    assert paths[0] == "/3/Frames/%05a"  # what kills 3.46.0.12 (water.Key.D)
    assert {f"/3/Frames/%{b:02X}a" for b in range(1, 32)} <= set(paths)
    assert "/3/Frames/%05" in paths  # a one-byte system key: 500 ArrayIndexOutOfBounds, not a death
    assert "/3/Frames/%05%C3%A8" in paths  # the Models.bin reproduction's key
    assert "/3/Frames/%00a" not in paths  # Jetty refuses a NUL before H2O sees it
    assert any(c.family == "unicode:path" and c.formatted_path == "/3/Frames/%C3%A8" for c in cases)
    # one family per first byte, wherever the key goes: one death of the root cause is enough
    assert {c.family for c in cases if c.path_parameters["frame_id"] == "\x05a"} == {"system-key:05"}
    assert system_family("\x05") == "system-key:05:alone"
    assert system_family("\x05a", "DELETE") == "system-key:05:write"  # a read-only route gets its own death
    # the same operation and keys give the same cases in the same order
    assert cases == _cases(schema, "GET", "/3/Frames/{frame_id}")


def test_a_schema_class_name_is_asked_for_first_where_a_class_name_is_taken(schema: object) -> None:
    cases = _cases(schema, "GET", "/3/Metadata/schemaclasses/{classname}")
    # a real class, fully qualified, kills 3.46.0.12 (Schema.createImpl); a generated name is an unknown class (400)
    assert (cases[0].family, cases[0].formatted_path) == (
        "schema-class",
        "/3/Metadata/schemaclasses/water.api.schemas3.CloudV3",
    )
    assert [c.family for c in _cases(schema, "GET", "/3/Metadata/schemas/{schemaname}")].count("schema-class") == 0


def test_other_path_parameters_hold_the_real_keys(schema: object) -> None:
    cases = _cases(schema, "GET", "/3/Frames/{frame_id}/columns/{column}")
    column = [c for c in cases if c.path_parameters["column"] == "\x05a"]
    assert column[0].path_parameters["frame_id"] == "fr_real"
    assert column[0].formatted_path == "/3/Frames/fr_real/columns/%05a"


def test_every_builder_gets_form_and_json_bodies_and_object_parameters_as_strings(schema: object) -> None:
    automl = _cases(schema, "POST", "/99/AutoMLBuilder")
    form = [c for c in automl if c.family == "object-as-string" and c.media_type == FORM]
    assert [c.body for c in form] == [{"build_control": "x"}, {"build_models": "x"}, {"input_spec": "x"}]
    assert {c.media_type for c in form} == {"application/x-www-form-urlencoded"}
    assert any(c.family == "object-as-string" and c.media_type == "application/json" for c in automl)
    assert any(c.family == "object-as-string" and c.query == {"build_control": "x"} for c in automl)
    gbm = _cases(schema, "POST", "/99/Grid/gbm")
    keyed = {c.family: c for c in gbm if c.family.startswith(("keys:", "empty:"))}
    assert set(keyed) == {"keys:form", "keys:json", "empty:form", "empty:json"}
    assert keyed["keys:form"].body["training_frame"] == "fr_real"
    assert keyed["keys:json"].media_type == "application/json"
    # a key query parameter gets a few system keys, the other parameters their real keys
    query = [c for c in gbm if c.family.startswith("system-key:") and c.query]
    real = {"training_frame": "fr_real", "validation_frame": "fr_real", "response_column": "label"}
    assert query[0].query == {"calibration_frame": "\x05a", **real}


def test_the_cases_stay_bounded_over_the_whole_contract(schema: object) -> None:
    total = 0
    for result in schema.get_all_operations():  # type: ignore[attr-defined]
        count = len(list(extra_cases(Operation.from_schemathesis(result.ok()), KEYS)))
        assert count <= MAX_PER_OPERATION
        total += count
    assert total < 12_000  # a minute or two against a local node


def test_parameter_kinds_come_from_the_schema_or_the_content() -> None:
    assert kind_of({"schema": {"type": "integer"}}) == "integer"
    assert kind_of({"content": {"application/json": {"schema": {"type": "object"}}}}) == "object"
    assert kind_of({"schema": {"$ref": "#/components/schemas/X"}}) == "object"
    assert kind_of({"schema": {"type": ["null", "array"]}}) == "array"
    assert kind_of({}) == "string"
    assert Parameter("training_frame", "query").takes_key
    assert not Parameter("ntrees", "query", "integer").takes_key


@pytest.mark.slow
def test_the_three_node_killers_of_a_real_h2o3_are_confirmed_minimal_with_their_fatal_line() -> None:
    from h2oharness.apis.h2o3 import local
    from h2oharness.confirm import Request, confirm_crash
    from h2oharness.errors import TargetUnavailable
    from h2oharness.report.defects import fatal_of

    try:
        local.preflight()
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    logs: list[str] = []

    def start() -> local.LocalH2O3:
        server = local.start_local_h2o3(memory="1g")
        original = server.restart

        def restart() -> None:
            logs.append(server.log_path.read_text(errors="replace"))
            original()

        server.restart = restart  # type: ignore[method-assign]
        return server

    frames = Request("GET", "/3/Frames/%05a", template="/3/Frames/{frame_id}", path_parameters={"frame_id": "\x05a"})
    automl = Request("POST", "/99/AutoMLBuilder", body={"build_control": "x"},
                     media_type="application/x-www-form-urlencoded")  # fmt: skip
    classname = {"classname": "water.api.schemas3.CloudV3"}
    template = "/3/Metadata/schemaclasses/{classname}"
    schema_class = Request("GET", template.format(**classname), template=template, path_parameters=classname)
    found = {}
    for request in (frames, automl, schema_class):
        logs.clear()
        outcome = confirm_crash(request, start, "/3/Cloud", budget=2, settle=3.0)
        assert outcome.confirmed, outcome.summary()
        assert outcome.minimal == request  # nothing left to drop: the repro is minimal
        found[request.path] = fatal_of(logs[0])
    assert found["/3/Frames/%05a"] == ("Unknown code failure", "water.Key.D(Key.java:119)")
    assert found["/99/AutoMLBuilder"] == (
        "Unimplemented schema fill from AutoMLBuildControlV99",
        "water.api.Schema.parse(Schema.java:591)",
    )
    assert found["/3/Metadata/schemaclasses/water.api.schemas3.CloudV3"] == (
        "Exception making a newInstance",
        "water.api.Schema.createImpl(Schema.java:168)",
    )
