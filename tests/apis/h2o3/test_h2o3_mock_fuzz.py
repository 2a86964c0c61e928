"""Random query strings and bodies at the mock's routes, and schemathesis's cases for every operation of the contract:
never a 5xx nor a mock bug, and every 4xx is a well-formed H2OErrorV3."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h2oharness.apis import get_api
from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import ROUTES, H2O3MockState, H2O3Timings, make_app
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve
from h2oharness.settings import Settings

ERROR_FIELDS = {"http_status", "msg", "dev_msg", "exception_type", "exception_msg", "values", "stacktrace", "timestamp"}
ERROR_SCHEMAS = {"H2OErrorV3", "H2OModelBuilderErrorV3"}
# parameter names the routes know, so many examples get past "Unknown parameter" into the handlers
KNOWN_PARAMS = (
    "source_frames", "destination_frame", "separator", "check_header", "parse_type", "chunk_size", "column_types",
    "column_names", "row_offset", "row_count", "column_offset", "column_count", "training_frame", "response_column",
    "ntrees", "max_depth", "learn_rate", "distribution", "family", "ignored_columns", "seed", "model_id", "ast",
    "predictions_frame", "pattern", "delete_on_done", "single_quotes", "validation_frame", "sample_rate", "min_rows",
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """One mock holding a parsed frame and a model, and the names worth putting in paths."""
    csv_path = Path(tmp_path_factory.mktemp("fuzz")) / "train.csv"
    csv_path.write_text(classification_csv(rows=60))
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant())
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=30.0) as http:
        client = H2O3Client(http)
        frame = client.parse(client.parse_setup(client.import_files(str(csv_path))["destination_frames"]))
        frame_name = frame["destination_frame"]["name"]
        model = client.build_model("gbm", **gbm_params(frame_name))["job"]["dest"]["name"]
        job = client.jobs()[0]["key"]["name"]
        yield http, {"frame": frame_name, "model": model, "job": job, "csv": str(csv_path)}
    assert state.internal_errors == []


safe_text = st.text(string.ascii_letters + string.digits + "_.-$", min_size=1, max_size=12)
any_text = st.text(max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3),
    max_leaves=8,
)


@st.composite
def requests(draw: st.DrawFn, names: dict[str, str]) -> dict[str, Any]:
    """A request to one of the mock's routes (or a made-up one) with random parameters and body."""
    method, template, _ = draw(st.sampled_from((*ROUTES, ("GET", "/3/{rest}", None), ("POST", "/99/{rest}", None))))
    path = template
    for placeholder in ("frame_id", "frame", "model_id", "model", "job_id", "algo", "schemaname", "path",
                        "session_key", "rest"):  # fmt: skip
        if "{" + placeholder + "}" in path:
            pick = draw(st.sampled_from([*names.values(), "gbm", "glm", "nope"]) | safe_text)
            path = path.replace("{" + placeholder + "}", pick)
    values = st.sampled_from([names["frame"], names["csv"], f'["{names["csv"]}"]', "/nonexistent.csv", "-1", "0"])
    params = draw(st.dictionaries(st.sampled_from(KNOWN_PARAMS) | safe_text, values | any_text, max_size=4))
    # a random path could name any file on this machine: keep file paths to the test's own
    for key in ("path", "paths"):
        if key in params:
            params[key] = names["csv"]
    body_kind = draw(st.sampled_from(["none", "form", "json", "bytes"]))
    request: dict[str, Any] = {"method": method, "url": path, "params": params}
    if method in ("POST", "DELETE") and body_kind == "form":
        request["data"] = draw(
            st.dictionaries(st.sampled_from(KNOWN_PARAMS) | safe_text, values | any_text, max_size=4)
        )
    elif method == "POST" and body_kind == "json":
        request["content"] = json.dumps(draw(json_values)).encode()
        request["headers"] = {"Content-Type": "application/json"}
    elif method == "POST" and body_kind == "bytes":
        request["content"] = draw(st.binary(max_size=64))
        request["headers"] = {"Content-Type": draw(st.sampled_from(["application/json", "text/plain", ""]))}
    return request


@given(data=st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_requests_never_get_a_server_error(
    fuzz_target: tuple[httpx.Client, dict[str, str]], data: st.DataObject
) -> None:
    """Whatever arrives, the mock answers below 500, and a 4xx always carries an H2OErrorV3-shaped body."""
    http, names = fuzz_target
    request = data.draw(requests(names))
    resp = http.request(**request)
    assert resp.status_code < 500, (request, resp.text[:300])
    if resp.status_code >= 400 and request["method"] != "HEAD":  # HEAD answers carry no body
        assert resp.headers["content-type"] == "application/json", request
        body = resp.json()
        assert body["__meta"]["schema_name"] in ERROR_SCHEMAS, (request, body)
        assert set(body) >= ERROR_FIELDS, (request, body)
        assert body["http_status"] == resp.status_code
        assert "Traceback" not in resp.text


CONTRACT = Path(__file__).parents[3] / "contracts" / "h2o3"
current = Settings.from_env()
document = schemathesis.openapi.from_path(
    CONTRACT / "openapi.yaml", config=schemathesis.Config.from_path(CONTRACT / "schemathesis.toml")
)
document.config.seed = current.seed or 13  # HARNESS_SEED and HARNESS_MAX_EXAMPLES for a longer exploratory run
# the contract tests' default scope (81 of 295 operations; HARNESS_ALL_OPERATIONS=1 for all) and no coverage phase:
# drawing cases for the ~100-parameter model builders costs seconds each (the random requests above reach them all)
document.config.phases.update(phases=["examples", "fuzzing"])
scope = get_api("h2o3").plan.default_scope
schema = document.include(
    lambda ctx: current.all_operations or scope is None or scope(ctx.operation.method.upper(), ctx.operation.path)
)


@schema.parametrize()
@settings(max_examples=current.max_examples or 2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_h2o3_mock_fuzz(case: Any, mock_fuzz: Any) -> None:
    mock_fuzz.send(case)
