"""The H2O-3 mock's answers to methods and paths, and to values, that the contract says to reject.

A documented path asked with a method its route lacks gets 405 with an ``Allow``
naming exactly the contract's methods for it, OPTIONS gets that ``Allow``, an
undocumented path a 404 H2OErrorV3, and a boolean that is neither true nor
false a 412, where a real 3.46.0.12 differs (see ``DEVIATIONS``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml

from h2oharness.apis.h2o3.mock import DEVIATIONS, H2O3MockState, make_app
from h2oharness.apis.h2o3.mockparts import routes
from h2oharness.mocks.serve import serve

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "h2o3" / "openapi.yaml"
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
ERROR_FIELDS = {"__meta", "http_status", "msg", "dev_msg", "exception_type", "exception_msg", "values", "stacktrace"}


def h2o_error(resp: httpx.Response, status: int, text: str = "") -> dict[str, Any]:
    """The H2OErrorV3 of a response with ``status``, whose message holds ``text``."""
    assert resp.status_code == status, resp.text[:300]
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    assert body["__meta"]["schema_name"] == "H2OErrorV3"
    assert set(body) >= ERROR_FIELDS
    assert body["http_status"] == status
    assert text in body["msg"], body["msg"]
    return body


@pytest.fixture(scope="module")
def contract_doc() -> dict[str, Any]:
    """contracts/h2o3/openapi.yaml as a dict (read with libyaml: it is big)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc: dict[str, Any] = yaml.load(CONTRACT.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    return doc


@pytest.fixture(scope="module")
def contract(contract_doc: dict[str, Any]) -> Any:
    """The contract as a schemathesis schema, to validate answers with."""
    return schemathesis.openapi.from_dict(contract_doc)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[httpx.Client, H2O3MockState]]:
    """One mock for the module, with a client that keeps its connection."""
    state = H2O3MockState()
    with serve(make_app(state)) as app, httpx.Client(base_url=app.url, timeout=30.0) as http:
        yield http, state


@pytest.fixture
def http(served: tuple[httpx.Client, H2O3MockState]) -> Iterator[httpx.Client]:
    """The module's client; the test fails if the mock logged an internal error meanwhile."""
    client, state = served
    yield client
    assert state.internal_errors == []


def concrete(template: str) -> str:
    """A path the template matches, each parameter one made-up segment."""
    return template.replace("{", "p_").replace("}", "")


# ---------------------------------------------------------------- undocumented methods


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/3/Cloud", "GET, HEAD"),
        ("POST", "/3/Cloud", "GET, HEAD"),
        ("PUT", "/3/Frames/x", "GET, DELETE"),
        ("PATCH", "/3/Frames/x", "GET, DELETE"),
        ("TRACE", "/3/Jobs", "GET"),
        ("QUERY", "/3/Jobs", "GET"),
        ("GET", "/3/Parse", "POST"),
        ("PUT", "/3/ModelBuilders/gbm", "POST"),  # the literal builder route, not /3/ModelBuilders/{algo}
        ("POST", "/3/ModelBuilders/nope", "GET"),  # an algorithm with no builder route: only the GET template
    ],
)
def test_a_method_the_route_lacks_is_405_with_exact_allow(
    http: httpx.Client, method: str, path: str, allow: str
) -> None:
    """405 H2OErrorV3 whose Allow lists the documented methods (a real server: 400, 501 or 405 without Allow)."""
    resp = http.request(method, path)
    body = h2o_error(resp, 405, f"Method {method} is not allowed on {path}")
    assert resp.headers["allow"] == allow
    assert body["error_url"] == path


def test_allow_names_exactly_the_contracts_methods_on_every_documented_path(
    http: httpx.Client, contract_doc: dict[str, Any]
) -> None:
    """All 279 paths of the contract, implemented or not: PUT is 405 and OPTIONS 200, both with the same Allow."""
    paths = contract_doc["paths"]
    assert len(paths) == len(routes.templates())
    for template, item in paths.items():
        documented = {m.upper() for m in item if m in HTTP_METHODS}
        path = concrete(template)
        refused = http.put(path)
        assert refused.status_code == 405, (template, refused.text[:200])
        assert set(refused.headers["allow"].split(", ")) == documented, template
        options = http.options(path)
        assert options.status_code == 200, template
        assert options.headers["allow"] == refused.headers["allow"]
        assert options.content == b""


def test_head_is_documented_for_the_cloud_only(http: httpx.Client) -> None:
    """HEAD /3/Cloud is a route; HEAD on another GET route is 405 without a body (a real server: 404)."""
    assert http.head("/3/Cloud").status_code == 200
    resp = http.head("/3/Frames")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, DELETE"
    assert resp.content == b""


def test_a_documented_method_the_mock_does_not_implement_is_404(http: httpx.Client) -> None:
    """Routed, so not a 405: the mock does not implement it (GET via {category}, POST via {category} too)."""
    h2o_error(http.get("/99/Rapids/help"), 404, "the mock does not implement /99/Rapids/help")
    h2o_error(http.post("/3/ModelBuilders/xgboost"), 404, "the mock does not implement")
    # /3/NodePersistentStorage/configured is GET only, but POST /3/NodePersistentStorage/{category} takes it: a value
    # stored in the category "configured", as on a real server
    assert http.options("/3/NodePersistentStorage/configured").headers["allow"] == "GET"
    stored = http.post("/3/NodePersistentStorage/configured", data={"value": "v"}).json()
    assert (stored["category"], stored["value"]) == ("configured", "v")
    # the literal builder route shadows the template in Allow, yet GET still reaches the builder
    assert http.get("/3/ModelBuilders/gbm").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/3/Nope"),
        ("PUT", "/nope"),
        ("OPTIONS", "/3/Nope"),
        ("DELETE", "/"),
        ("GET", "/3/Cloud/"),  # no route has the trailing slash, and nothing redirects to one that has not
        ("GET", "/3/Frames/a%0Ab/c/d"),
    ],
)
def test_an_undocumented_path_is_404_for_every_method(http: httpx.Client, method: str, path: str) -> None:
    """No Allow there: the metadata knows no such resource."""
    resp = http.request(method, path)
    h2o_error(resp, 404, "not found")
    assert "allow" not in resp.headers


def test_the_deviation_is_recorded() -> None:
    """DEVIATIONS says what the real server answers instead."""
    assert "501" in DEVIATIONS["undocumented method"]
    assert "Allow" in DEVIATIONS["undocumented method"]


# ---------------------------------------------------------------- values the schema forbids


@pytest.mark.parametrize("value", ["null", "1", "yes", "", " true"])
def test_a_boolean_that_is_neither_true_nor_false_is_412(http: httpx.Client, value: str) -> None:
    """As the real server refuses an unconvertible number (it reads such a boolean as false)."""
    resp = http.get("/3/Cloud", params={"skip_ticks": value})
    h2o_error(resp, 412, f'Illegal argument for field: skip_ticks of schema: CloudV3: cannot convert "{value}" to type')
    h2o_error(http.get("/3/Models", params={"preview": value}), 412, "field: preview of schema: ModelsV3")
    assert "boolean parameters" in DEVIATIONS


@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE"])
def test_true_and_false_in_any_case_are_booleans(http: httpx.Client, value: str) -> None:
    """h2o-py sends Python's str(True)."""
    assert http.get("/3/Cloud", params={"skip_ticks": value}).status_code == 200
    assert http.get("/3/Models", params={"preview": value}).status_code == 200


def test_an_empty_required_key_is_404_as_on_the_real_server(http: httpx.Client) -> None:
    """H2O-3's Schema.parse refuses it before anything else, with H2OKeyNotFoundArgumentException."""
    setup = http.post("/3/ParseSetup", params={"source_frames": '[""]'})
    assert h2o_error(setup, 404, "Object '' not found for argument: source_frames")["exception_type"].endswith(
        "H2OKeyNotFoundArgumentException"
    )
    parse = http.post("/3/Parse", params={"source_frames": '["nope"]', "destination_frame": ""})
    h2o_error(parse, 404, "Object '' not found for argument: destination_frame")


# ---------------------------------------------------------------- the mirrored contract breaks stay narrow


KNOWN_DRIFT = ("parameters", "visibility")


def _blanked(resp: httpx.Response) -> httpx.Response:
    def blank(body: dict[str, Any]) -> dict[str, Any]:
        return {k: (None if k in KNOWN_DRIFT else v) for k, v in body.items()}

    body = blank(resp.json())
    if isinstance(body.get("model_builders"), dict):
        body["model_builders"] = {k: blank(v) for k, v in body["model_builders"].items()}
    blanked = httpx.Response(resp.status_code, headers=resp.headers, content=json.dumps(body).encode())
    blanked.request = resp.request
    blanked._elapsed = resp.elapsed
    return blanked


@pytest.mark.parametrize(
    ("method", "template", "path"),
    [
        ("GET", "/3/ModelBuilders", "/3/ModelBuilders"),
        ("GET", "/3/ModelBuilders/{algo}", "/3/ModelBuilders/glm"),
        *(("POST", f"/3/ModelBuilders/{a}", f"/3/ModelBuilders/{a}") for a in ("drf", "gbm", "glm")),
        *(("POST", f"/3/ModelBuilders/{a}/parameters", f"/3/ModelBuilders/{a}/parameters") for a in ("gbm", "glm")),
    ],
)
def test_builder_answers_break_the_contract_only_where_the_real_server_does(
    http: httpx.Client, contract: Any, method: str, template: str, path: str
) -> None:
    """Blank the list-shaped ``parameters`` and ``visibility`` "Stable" (known findings) and the answer conforms."""
    resp = http.request(method, path)
    assert resp.status_code == 200, resp.text[:300]
    body = resp.json()
    builder = body["model_builders"][next(iter(body["model_builders"]))] if "model_builders" in body else body
    assert isinstance(builder["parameters"], list)
    assert builder["visibility"] == "Stable"
    contract[template][method].validate_response(_blanked(resp))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/3/ModelBuilders"),
        ("GET", "/3/ModelBuilders/gbm"),
        ("POST", "/4/sessions"),
        ("DELETE", "/4/sessions/nope"),
        ("GET", "/3/InitID"),
        ("DELETE", "/3/InitID"),
        ("DELETE", "/3/Frames"),
        ("DELETE", "/3/Models"),
    ],
)
def test_every_implemented_route_checks_its_parameters(http: httpx.Client, method: str, path: str) -> None:
    """Against the route's input schema, as a real server does: an unknown one is 412."""
    h2o_error(http.request(method, path, params={"bogus": "1"}), 412, "Unknown parameter: bogus")


def test_an_empty_rapids_expression_is_echoed(http: httpx.Client) -> None:
    """A real server answers ast= with the RapidsSchemaV3 it was given, evaluating nothing."""
    body = http.post("/99/Rapids", params={"ast": "", "id": ""}).json()
    assert body["__meta"]["schema_name"] == "RapidsSchemaV3"
    assert (body["ast"], body["id"]) == ("", "")
    h2o_error(http.post("/99/Rapids"), 412, "Required field ast not specified")


def test_an_empty_value_of_a_listed_enum_is_refused_as_a_real_server_does(http: httpx.Client) -> None:
    resp = http.post("/3/ModelBuilders/glm/parameters", params={"solver": ""})
    assert resp.status_code == 400
    assert "No enum constant" in resp.json()["msg"]
