"""The H2O-3 mock over loopback: parsing, job lifecycle on a manual clock, models, predictions, errors, auth."""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client, H2O3ResponseError
from h2oharness.apis.h2o3.mock import DEVIATIONS, ROUTES, H2O3MockState, H2O3Timings, make_app
from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params, regression_csv
from h2oharness.mocks.auth import basic_header
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

ERROR_FIELDS = {
    "__meta", "http_status", "msg", "dev_msg", "exception_type", "exception_msg",
    "values", "stacktrace", "timestamp", "error_url",
}  # fmt: skip


def load(client: H2O3Client, clock: ManualClock, path: Path) -> str:
    """Import, guess and parse a CSV on the mock, running the clock until the frame exists."""
    raw = client.import_files(str(path))["destination_frames"]
    parse = client.parse(client.parse_setup(raw))
    clock.advance(10.0)
    assert client.job(parse["job"]["key"]["name"])["status"] == "DONE"
    return str(parse["destination_frame"]["name"])


def assert_h2o_error(resp: httpx.Response, status: int, text: str = "") -> dict[str, Any]:
    """A 4xx H2OErrorV3 with every field a real server sends."""
    assert resp.status_code == status, resp.text[:300]
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert body["__meta"]["schema_name"] == "H2OErrorV3"
    assert set(body) >= ERROR_FIELDS
    assert body["http_status"] == status
    assert text in body["msg"]
    return dict(body)


def statuses_while(
    clock: ManualClock, client: H2O3Client, job_id: str, step: float, steps: int
) -> list[dict[str, Any]]:
    """The job as seen after each of ``steps`` advances of ``step`` seconds (and once before)."""
    seen = [client.job(job_id)]
    for _ in range(steps):
        clock.advance(step)
        seen.append(client.job(job_id))
    return seen


# ---------------------------------------------------------------- cluster, metadata, routes


def test_cloud_is_healthy_and_carries_only_cloudv3_fields(http: httpx.Client) -> None:
    """h2o-py needs consensus and health, and reads only the fields /3/Metadata/schemas/CloudV3 lists."""
    body = http.get("/3/Cloud").json()
    assert body["__meta"]["schema_name"] == "CloudV3"
    assert body["version"] == "3.46.0.12"
    assert body["consensus"] is True
    assert body["cloud_healthy"] is True
    assert set(body) == set(metadata.skeleton("CloudV3"))
    assert http.head("/3/Cloud").status_code == 200


def test_metadata_is_the_real_servers(http: httpx.Client) -> None:
    """Endpoints and schemas come from the committed snapshot; an unknown schema is a 404 H2OErrorV3."""
    routes = http.get("/3/Metadata/endpoints").json()["routes"]
    assert len(routes) == len(metadata.routes())
    one = http.get("/3/Metadata/schemas/FrameV3").json()
    assert [s["name"] for s in one["schemas"]] == ["FrameV3"]
    assert len(http.get("/3/Metadata/schemas").json()["schemas"]) > 300
    assert http.get("/3/Metadata/endpoints/0").json()["routes"][0] == routes[0]
    assert_h2o_error(http.get("/3/Metadata/schemas/Nope"), 404, "Failed to find schema for schema_name: Nope")
    assert_h2o_error(http.get("/3/Metadata/endpoints/nope_no_such_api"), 404)


def test_every_implemented_route_is_one_the_real_server_has() -> None:
    """The mock invents no route (bar PostFile and Logs/download, which the real server serves outside its route
    table, GET /99/Models/{model_id}, which it answers as /3/Models/{model_id}: h2o-py's get_grid asks it, and POST
    /99/Models.bin/ and /99/Models.upload.bin/, their templates with no model_id, which h2o-py's load_model and
    upload_model ask)."""
    real = {(r["http_method"], r["url_pattern"]) for r in metadata.routes()}
    ours = {(m, p) for m, p, _ in ROUTES}
    assert ours - real == {
        ("POST", "/3/PostFile"), ("POST", "/3/PostFile.bin"), ("GET", "/99/Models/{model_id}"),
        ("GET", "/3/Logs/download"), ("GET", "/3/Logs/download/{container}"), ("POST", "/99/Models.bin/"),
        ("POST", "/99/Models.upload.bin/"),
    }  # fmt: skip
    assert DEVIATIONS


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/3/Frames/nope", 404, "Object 'nope' not found for argument: key"),
        ("GET", "/3/Frames/nope/summary", 404, "Object 'nope' not found"),
        ("DELETE", "/3/Frames/nope", 404, "Object 'nope' not found"),
        ("GET", "/3/Models/nope", 404, "Object 'nope' not found for argument: key"),
        ("DELETE", "/3/Models/nope", 404, "Object 'nope' not found"),
        ("GET", "/3/Jobs/nope", 400, "Job is missing"),
        ("POST", "/3/Jobs/nope/cancel", 400, "No job with key nope"),
        ("GET", "/3/Nope", 404, "GET /3/Nope not found"),
        ("POST", "/3/Nope", 404, "POST /3/Nope not found"),
        ("POST", "/3/Predictions/models/nope/frames/nope", 404, "not found in function: predict for argument: model"),
        ("GET", "/3/ModelBuilders/nope", 404, "Algorithm 'nope' is not registered"),
        ("POST", "/3/ModelBuilders/nope/parameters", 404, "POST /3/ModelBuilders/nope/parameters not found"),
        ("GET", "/3/ImportFiles", 412, "Required field path not specified"),
        ("GET", "/3/ImportFiles?path=/nonexistent/x.csv", 404, "File /nonexistent/x.csv does not exist"),
        ("GET", "/3/Frames?bogus=1", 412, "Unknown parameter: bogus"),
    ],
)
def test_bad_requests_get_h2o_errors(http: httpx.Client, method: str, path: str, status: int, text: str) -> None:
    """Unknown keys, routes and parameters: the status and message a real 3.46.0.12 answers."""
    assert_h2o_error(http.request(method, path), status, text)


# ---------------------------------------------------------------- import and parse


def test_parse_of_a_real_csv(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """ParseSetup guesses like H2O-3; the frame has the CSV's rows, columns, types, domains and rollups."""
    imported = client.import_files(str(train_csv))
    assert imported["destination_frames"] == ["nfs:/" + str(train_csv)]
    assert imported["fails"] == []
    setup = client.parse_setup(imported["destination_frames"])
    assert setup["separator"] == 44
    assert setup["check_header"] == 1
    assert setup["column_names"] == ["x1", "x2", "color", "size", "label"]
    assert setup["column_types"] == ["Numeric", "Numeric", "Enum", "Numeric", "Enum"]
    assert setup["destination_frame"] == "train.hex"
    assert len(setup["data"]) == 9
    parse = client.parse(setup)
    job_id = parse["job"]["key"]["name"]
    with pytest.raises(H2O3ResponseError) as not_yet:
        client.frame("train.hex")
    assert not_yet.value.status == 404
    clock.advance(5.0)
    assert client.job(job_id)["status"] == "DONE"

    rows = list(csv.DictReader(io.StringIO(train_csv.read_text())))
    frame = client.frame_summary("train.hex")
    assert frame["rows"] == len(rows) == 200
    assert frame["num_columns"] == 5
    cols = {c["label"]: c for c in frame["columns"]}
    assert [c["type"] for c in frame["columns"]] == ["real", "real", "enum", "int", "enum"]
    assert cols["color"]["domain"] == ["blue", "green", "red"]
    assert cols["label"]["domain"] == ["no", "yes"]
    x2 = [float(r["x2"]) for r in rows if r["x2"]]
    assert cols["x2"]["missing_count"] == len(rows) - len(x2) > 0
    assert cols["x2"]["mins"][0] == min(x2)
    assert cols["x2"]["maxs"][0] == max(x2)
    assert math.isclose(cols["x2"]["mean"], statistics.fmean(x2))
    assert math.isclose(cols["x2"]["sigma"], statistics.stdev(x2))
    assert sum(cols["size"]["histogram_bins"]) == len(rows)
    assert cols["x1"]["percentiles"][8] == pytest.approx(statistics.median(float(r["x1"]) for r in rows))
    # a second parse of the same file gets a fresh name, as on a real server
    again = client.parse_setup(client.import_files(str(train_csv))["destination_frames"])
    assert again["destination_frame"] == "train1.hex"


def test_frame_window_parameters(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """row_offset/row_count/column_offset/column_count select the data h2o-py asks for."""
    name = load(client, clock, train_csv)
    window = client.frame(name, row_offset=5, row_count=3, column_offset=1, column_count=2)
    assert [c["label"] for c in window["columns"]] == ["x2", "color"]
    assert window["row_offset"] == 5
    assert window["row_count"] == 3
    assert len(window["columns"][0]["data"]) == 3
    # every column shown has its data, unless full_column_count says fewer (as on a real server)
    assert window["full_column_count"] == 2
    assert window["total_column_count"] == 5
    assert window["rows"] == 200
    names = [f["frame_id"]["name"] for f in client.frames()]
    assert names == [name]


def test_parse_accepts_query_strings_and_typed_json(http: httpx.Client, train_csv: Path) -> None:
    """ParseSetup reads query strings and JSON bodies (key objects with a type) as well as forms."""
    source = http.get("/3/ImportFiles", params={"path": str(train_csv)}).json()["destination_frames"][0]
    by_query = http.post("/3/ParseSetup", params={"source_frames": f'["{source}"]'}).json()
    by_json = http.post("/3/ParseSetup", json={"source_frames": [{"name": source, "type": "Key<Frame>"}]}).json()
    assert by_query["column_types"] == by_json["column_types"] == ["Numeric", "Numeric", "Enum", "Numeric", "Enum"]


def test_seed_literal_calls_answer_like_the_real_server(http: httpx.Client, train_csv: Path) -> None:
    """Seed 000's own JSON examples: real 3.46.0.12 refuses the first two and accepts-then-fails the build."""
    path = str(train_csv)
    assert http.get("/3/ImportFiles", params={"path": path}).status_code == 200
    setup = http.post("/3/ParseSetup", json={"source_frames": [{"name": path}]})
    assert_h2o_error(setup, 400, f"Key not loaded: null {path}")
    seed_parse = {
        "source_frames": [{"name": path}],
        "destination_frame": "train_frame",
        "parse_type": "CSV",
        "separator": 44,
        "header": 1,
    }
    assert_h2o_error(http.post("/3/Parse", json=seed_parse), 400, "Field not found: 'header' on object")
    seed_parse.pop("header")
    assert_h2o_error(
        http.post("/3/Parse", json=seed_parse),
        400,
        "Can not set byte field water.api.schemas3.ParseV3.separator to java.lang.Double",
    )
    seed_gbm = {"training_frame": "train_frame", "response_column": {"column_name": "label"}, "ntrees": 50}
    built = http.post("/3/ModelBuilders/gbm", json=seed_gbm)
    assert built.status_code == 200
    job = http.get(f"/3/Jobs/{built.json()['job']['key']['name']}").json()["jobs"][0]
    assert job["status"] == "FAILED"
    assert "Missing training frame" in job["exception"]


def test_upload_raw_and_multipart(http: httpx.Client) -> None:
    """PostFile takes h2o-py's raw body or a multipart form; ParseSetup then reads the upload."""
    text = classification_csv(rows=30).encode()
    raw = http.post("/3/PostFile", params={"destination_frame": "up.csv"}, content=text).json()
    assert raw == {"destination_frame": "up.csv", "total_bytes": len(text)}
    multi = http.post("/3/PostFile", files={"file": ("x.csv", text)}).json()
    assert multi["destination_frame"].startswith("upload_")
    assert multi["total_bytes"] == len(text)
    for key in ("up.csv", multi["destination_frame"]):
        setup = http.post("/3/ParseSetup", data={"source_frames": f'["{key}"]'}).json()
        assert setup["number_columns"] == 5
    assert http.post("/3/ParseSetup", data={"source_frames": '["up.csv"]'}).json()["destination_frame"] == (
        "Key_Frame__up.hex"
    )


# ---------------------------------------------------------------- jobs on the clock


def test_build_job_goes_created_running_done(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """A GBM job walks CREATED -> RUNNING -> DONE as the clock moves; progress only rises; the model appears at DONE."""
    frame = load(client, clock, train_csv)
    built = client.build_model("gbm", **gbm_params(frame))
    job_id, model_id = built["job"]["key"]["name"], built["job"]["dest"]["name"]
    assert built["job"]["status"] == "CREATED"
    assert built["job"]["dest"]["type"] == "Key<Model>"
    seen = statuses_while(clock, client, job_id, step=0.25, steps=16)
    states = [j["status"] for j in seen]
    assert states[0] == "CREATED"
    assert states[-1] == "DONE"
    assert "RUNNING" in states
    order = {"CREATED": 0, "RUNNING": 1, "DONE": 2}
    assert [order[s] for s in states] == sorted(order[s] for s in states)
    progress = [j["progress"] for j in seen]
    assert progress == sorted(progress)
    assert progress[0] >= 0.0
    assert progress[-1] == 1.0
    assert all(j["key"]["name"] == job_id and j["dest"]["name"] == model_id for j in seen)
    assert seen[-1]["exception"] is None
    assert seen[-1]["msec"] >= seen[1]["msec"]
    running = [j for j in seen if j["status"] == "RUNNING"]
    assert any(0 < j["progress"] < 1 for j in running)
    assert client.model(model_id)["model_id"]["name"] == model_id


def test_model_is_absent_until_its_job_is_done(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """GET /3/Models/{id} is a 404 while the build runs."""
    frame = load(client, clock, train_csv)
    model_id = client.build_model("gbm", **gbm_params(frame))["job"]["dest"]["name"]
    clock.advance(1.0)
    with pytest.raises(H2O3ResponseError) as missing:
        client.model(model_id)
    assert missing.value.status == 404
    clock.advance(5.0)
    assert client.model(model_id)["algo"] == "gbm"


def test_cancel_stops_a_running_job(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """Cancel -> CANCELLED with progress frozen, and the model is never published."""
    frame = load(client, clock, train_csv)
    job_id = client.build_model("gbm", **gbm_params(frame))["job"]["key"]["name"]
    clock.advance(1.5)
    before = client.job(job_id)
    assert before["status"] == "RUNNING"
    answer = client.cancel_job(job_id)
    assert answer["__meta"]["schema_name"] == "JobsV3"
    assert answer["job_id"]["name"] == job_id
    clock.advance(60.0)
    after = client.job(job_id)
    assert after["status"] == "CANCELLED"
    assert after["progress"] == pytest.approx(before["progress"])
    assert client.models() == []
    assert client.cancel_job(job_id)["job_id"]["name"] == job_id  # again: still 200


def test_failing_build_ends_failed_part_way(client: H2O3Client, clock: ManualClock, tmp_path: Path) -> None:
    """A frame with the state's failure column makes the build die half way with an exception, like a real one."""
    path = tmp_path / "fails.csv"
    rows = classification_csv(rows=60).splitlines()
    path.write_text("\n".join([rows[0] + ",h2oharness_fail"] + [r + f",{i % 3}" for i, r in enumerate(rows[1:])]))
    frame = load(client, clock, path)
    job_id = client.build_model("gbm", **gbm_params(frame))["job"]["key"]["name"]
    seen = statuses_while(clock, client, job_id, step=0.5, steps=10)
    states = [j["status"] for j in seen]
    assert "RUNNING" in states
    assert states[-1] == "FAILED"
    assert "DONE" not in states
    failed = seen[-1]
    assert "injected failure" in failed["exception"]
    assert failed["stacktrace"]
    assert 0.4 < failed["progress"] < 0.6
    assert client.models() == []


def test_build_without_training_frame_fails_at_once(http: httpx.Client) -> None:
    """As on a real server: 200 and a job that is FAILED from the start."""
    body = http.post("/3/ModelBuilders/gbm", data={"response_column": "label"}).json()
    assert body["error_count"] == 0
    assert body["messages"] == []
    job = http.get(f"/3/Jobs/{body['job']['key']['name']}").json()["jobs"][0]
    assert job["status"] == "FAILED"
    assert job["progress"] == 0.0
    assert job["exception"].startswith("water.exceptions.H2OModelBuilderIllegalArgumentException")


def test_finished_jobs_are_bounded(tmp_path: Path) -> None:
    """The job board keeps only the newest finished jobs."""
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant(), keep_finished_jobs=3)
    path = tmp_path / "t.csv"
    path.write_text(classification_csv(rows=20))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url) as http:
        client = H2O3Client(http)
        for _ in range(6):
            client.parse(client.parse_setup(client.import_files(str(path))["destination_frames"]))
        assert len(client.jobs()) == 3
        assert len(state.frames) == 6


# ---------------------------------------------------------------- models and predictions


def test_gbm_metrics_are_computed_from_the_data(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """Binomial training metrics look real: AUC above chance, logloss below a coin's, RMSE the root of MSE."""
    frame = load(client, clock, train_csv)
    model_id = client.build_model("gbm", **gbm_params(frame))["job"]["dest"]["name"]
    clock.advance(10.0)
    model = client.model(model_id)
    assert model["__meta"]["schema_name"] == "GBMModelV3"
    output = model["output"]
    assert output["model_category"] == "Binomial"
    metrics = output["training_metrics"]
    assert metrics["__meta"]["schema_name"] == "ModelMetricsBinomialV3"
    assert 0.75 < metrics["AUC"] <= 1.0
    assert metrics["logloss"] < math.log(2)
    assert metrics["RMSE"] == pytest.approx(math.sqrt(metrics["MSE"]))
    assert metrics["Gini"] == pytest.approx(2 * metrics["AUC"] - 1)
    assert metrics["nobs"] == 200
    assert metrics["domain"] == ["no", "yes"]
    cm = metrics["cm"]["table"]
    assert sum(cm["data"][0][:2]) + sum(cm["data"][1][:2]) == 200
    assert output["names"] == ["x1", "x2", "color", "size", "label"]
    assert {p["name"]: p["actual_value"] for p in model["parameters"]}["ntrees"] == 5
    history = output["scoring_history"]
    assert history["data"][3] == [0, 1, 2, 3, 4, 5]


def test_regression_and_other_algorithms(client: H2O3Client, clock: ManualClock, tmp_path: Path) -> None:
    """GBM, DRF and GLM on a regression CSV: R2 close to what the data allows; GLM has coefficients."""
    path = tmp_path / "reg.csv"
    path.write_text(regression_csv())
    frame = load(client, clock, path)
    ids = {}
    for algo, extra in (("gbm", {"ntrees": 30}), ("drf", {"ntrees": 10}), ("glm", {"family": "gaussian"})):
        ids[algo] = client.build_model(algo, training_frame=frame, response_column="y", **extra)["job"]
    clock.advance(10.0)
    for algo, job in ids.items():
        assert client.job(job["key"]["name"])["status"] == "DONE"
        metrics = client.model(job["dest"]["name"])["output"]["training_metrics"]
        assert metrics["__meta"]["schema_name"].startswith("ModelMetricsRegression")
        assert metrics["r2"] > 0.7, algo
        assert metrics["RMSE"] == pytest.approx(math.sqrt(metrics["MSE"]))
    glm = client.model(ids["glm"]["dest"]["name"])["output"]
    names = glm["coefficients_table"]["data"][0]
    assert names[0] == "Intercept"
    assert "a" in names
    assert "group.g2" in names
    coefs = dict(zip(names, glm["coefficients_table"]["data"][1], strict=True))
    assert coefs["a"] == pytest.approx(2.0, abs=0.2)


def test_predictions_have_one_row_per_scored_row(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """/3/Predictions answers metrics and a frame; /4/Predictions a job whose dest is the frame; both full length."""
    frame = load(client, clock, train_csv)
    model_id = client.build_model("gbm", **gbm_params(frame))["job"]["dest"]["name"]
    clock.advance(10.0)
    sync = client.predict(model_id, frame)
    assert sync["__meta"]["schema_name"] == "ModelMetricsListSchemaV3"
    assert sync["model_metrics"][0]["AUC"] > 0.5
    scored = client.frame(sync["predictions_frame"]["name"])
    assert scored["rows"] == 200
    assert [c["label"] for c in scored["columns"]] == ["predict", "no", "yes"]
    assert scored["columns"][0]["domain"] == ["no", "yes"]
    job = client.predict(model_id, frame, asynchronous=True)
    assert job["__meta"]["schema_name"] == "JobV3"
    assert job["description"] == "transformation"
    assert job["dest"]["name"].startswith("transformation_")
    assert job["dest"]["type"] == "Key<Frame>"
    clock.advance(1.0)
    assert client.job(job["key"]["name"])["status"] == "DONE"
    assert client.frame(job["dest"]["name"])["rows"] == 200


def test_validation_errors_match_the_real_server(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """412 H2OModelBuilderErrorV3 for model-level problems, 412/400 H2OErrorV3 for parameter-level ones."""
    frame = load(client, clock, train_csv)
    with pytest.raises(H2O3ResponseError) as bad_response:
        client.build_model("gbm", training_frame=frame, response_column="nope")
    err = bad_response.value
    assert (err.status, err.schema) == (412, "H2OModelBuilderErrorV3")
    assert err.body["error_count"] == 4
    assert err.messages == [("response_column", "Response column 'nope' not found in the training frame")] * 2
    assert err.body["parameters"]["__meta"]["schema_name"] == "GBMParametersV3"
    assert "Response column 'nope' not found" in str(err)
    cases = [
        ({"ntrees": "abc"}, 412, 'cannot convert "abc" to type int'),
        ({"bogus": "1"}, 412, "Unknown parameter: bogus"),
        ({"distribution": "nope"}, 400, "No enum constant hex.genmodel.utils.DistributionFamily.nope"),
        ({"training_frame": "nope.hex"}, 400, "Object with key='nope.hex' doesn't exist in DKV."),
        ({"ntrees": "-1"}, 412, "Requested ntrees must be between 1 and 100000"),
        ({"learn_rate": "2"}, 412, "learn_rate must be between 0 and 1"),
        ({"max_depth": "-1"}, 412, "_max_depth must be >= 0."),
        ({"min_rows": "0"}, 412, "_min_rows must be > 0."),
        ({"response_column": "x1", "distribution": "bernoulli"}, 412, "categorical\n\nFor more information visit:"),
    ]
    for extra, status, text in cases:
        with pytest.raises(H2O3ResponseError) as caught:
            client.build_model("gbm", **{"training_frame": frame, "response_column": "label", **extra})
        assert caught.value.status == status, extra
        assert text in caught.value.reason, extra
    checked = client.validate_parameters("gbm", training_frame=frame, response_column="nope")
    assert checked["error_count"] == 4
    assert checked["job"] is None
    with pytest.raises(H2O3ResponseError) as glm:
        client.build_model("glm", training_frame=frame, response_column="label", family="gaussian")
    assert glm.value.messages[0][0] == "response"


def test_builds_on_constant_predictors_or_an_empty_response_are_refused_as_on_a_real_server(
    client: H2O3Client, clock: ManualClock, tmp_path: Path
) -> None:
    """A real 3.46.0.12 drops constant predictors with a WARN, then finds too few columns; an empty response column
    names a column '' (not found, before and after the drop), and the tree checks follow a response not set."""
    path = tmp_path / "constant.csv"
    path.write_text("x,label\n" + "".join(f"1,{'yes' if i % 2 else 'no'}\n" for i in range(20)))
    frame = load(client, clock, path)
    too_few = ("train", "Training data must have at least 2 features (incl. response).")
    balance = ("TRACE", "max_after_balance_size", "Balance classes is false, hide max_after_balance_size")
    dropped = ("WARN", "train", "Dropping bad and constant columns: [x]")
    with pytest.raises(H2O3ResponseError) as constant:
        client.build_model("glm", training_frame=frame, response_column="label")
    assert constant.value.messages == [too_few]
    kinds = [(m["message_type"], m["field_name"], m["message"]) for m in constant.value.body["messages"]]
    assert kinds.index(dropped) < kinds.index(balance)
    assert kinds.index(balance) + 1 == kinds.index(("ERRR", *too_few))
    with pytest.raises(H2O3ResponseError) as empty:
        client.build_model("gbm", training_frame=frame, response_column="", min_rows="1")
    not_found = ("response_column", "Response column '' not found in the training frame")
    assert empty.value.messages == [not_found, not_found, too_few]
    kinds = [(m["message_type"], m["field_name"], m["message"]) for m in empty.value.body["messages"]]
    assert kinds.index(dropped) == kinds.index(("ERRR", *not_found)) + 1
    assert "ERRR on field: _response_column: Response column '' not found" in empty.value.reason
    with pytest.raises(H2O3ResponseError) as unset:
        client.build_model("gbm", training_frame=frame, ntrees="-1")
    assert [f for f, _ in unset.value.messages] == ["train", "response_column", "ntrees"]
    kept = client.build_model("gbm", training_frame=frame, response_column="label", ignore_const_cols="false")
    assert kept["messages"] == [m for m in kept["messages"] if m["message_type"] == "TRACE"]


def test_tree_builds_on_a_frame_too_small_to_split_are_refused(
    client: H2O3Client, clock: ManualClock, tmp_path: Path
) -> None:
    """GBM and DRF need twice ``min_rows`` (weighted) rows, as a real 3.46.0.12 checks after its hints; GLM does not."""
    path = tmp_path / "small.csv"
    rows = [f"{i * 1.5},{(i * 7) % 5},{0.5 + (i % 2) / 2},{'yes' if i % 2 else 'no'}" for i in range(19)]
    path.write_text("\n".join(["x1,x2,w,label", *rows]) + "\n")
    frame = load(client, clock, path)
    base = {"training_frame": frame, "response_column": "label"}
    refused = {
        "gbm": ({}, "min_rows=10.0: must have at least 20.0 (weighted) rows, but have only 19.0."),
        "drf": ({"min_rows": "10"}, "min_rows=10.0: must have at least 20.0 (weighted) rows, but have only 19.0."),
    }
    for algo, (extra, text) in refused.items():
        with pytest.raises(H2O3ResponseError) as caught:
            client.build_model(algo, **base, **extra)
        err = caught.value
        assert (err.status, err.schema, err.body["error_count"]) == (412, "H2OModelBuilderErrorV3", 2)
        assert err.messages == [("min_rows", f"The dataset size is too small to split for {text}")]
        assert err.body["messages"][-1]["message_type"] == "ERRR"  # after every hint, where a real server puts it
    with pytest.raises(H2O3ResponseError) as weighted:
        client.build_model("gbm", **base, min_rows="8", weights_column="w")
    assert weighted.value.messages == [
        ("min_rows", "The dataset size is too small to split for min_rows=8.0: must have at least 16.0 (weighted) "
         "rows, but have only 14.0.")
    ]  # fmt: skip
    with pytest.raises(H2O3ResponseError) as both:
        client.build_model("gbm", **base, learn_rate="2")
    assert [field for field, _ in both.value.messages] == ["min_rows", "learn_rate"]
    for algo, extra in (("gbm", {"min_rows": "1"}), ("drf", {}), ("glm", {})):
        job = client.build_model(algo, **base, **extra)["job"]
        clock.advance(3600)
        assert client.job(job["key"]["name"])["status"] == "DONE", algo


def test_delete_and_lists(client: H2O3Client, clock: ManualClock, train_csv: Path) -> None:
    """Frames and models can be listed and deleted; a deleted one is then a 404."""
    frame = load(client, clock, train_csv)
    model_id = client.build_model("glm", training_frame=frame, response_column="label")["job"]["dest"]["name"]
    clock.advance(10.0)
    assert [m["model_id"]["name"] for m in client.models()] == [model_id]
    assert client.delete_model(model_id)["models"] is None
    assert client.delete_frame(frame)["frames"] is None
    for call in (lambda: client.model(model_id), lambda: client.frame(frame)):
        with pytest.raises(H2O3ResponseError) as gone:
            call()
        assert gone.value.status == 404


def test_model_builders_sessions_and_rapids_rm(http: httpx.Client, client: H2O3Client) -> None:
    """The small routes h2o-py touches: builders list, sessions, and Rapids (rm key)."""
    builders = http.get("/3/ModelBuilders").json()["model_builders"]
    assert sorted(builders) == ["drf", "gbm", "glm"]
    assert builders["gbm"]["algo_full_name"] == "Gradient Boosting Machine"
    session = http.post("/4/sessions").json()
    assert session["__schema"] == "/4/schemas/SessionIdV4"
    assert session["session_key"].startswith("_sid_")
    ended = http.delete(f"/4/sessions/{session['session_key']}").json()
    assert ended["__meta"]["schema_name"] == "InitIDV3"
    http.post("/3/PostFile", params={"destination_frame": "x.csv"}, content=b"a,b\n1,2\n")
    removed = http.post("/99/Rapids", data={"ast": "(rm x.csv)"}).json()
    assert removed["scalar"] == 1.0
    assert http.post("/99/Rapids", data={"ast": "(rm x.csv)"}).json()["scalar"] == 0.0
    assert_h2o_error(http.post("/99/Rapids", data={"ast": "(cols x 0)"}), 400, "Name lookup of 'x' failed")
    # a function a real server does not know is its lookup failure; one it knows, unevaluated, the mock's own limit
    assert_h2o_error(http.post("/99/Rapids", data={"ast": "(h2o.nosuch 1)"}), 400, "Name lookup of 'h2o.nosuch' failed")
    assert_h2o_error(http.post("/99/Rapids", data={"ast": "(tokenize 1 ' ')"}), 400, "Rapids function 'tokenize'")


# ---------------------------------------------------------------- auth and the request log


def test_basic_auth_like_jetty(tmp_path: Path) -> None:
    """With credentials: 401 + WWW-Authenticate as H2O-3's Jetty sends; the right ones pass; without: open."""
    state = H2O3MockState(credentials=("admin", "s3cret"))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url) as http:
        denied = http.get("/3/Cloud")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == 'basic realm="H2O"'
        assert denied.headers["content-type"].startswith("text/html")
        assert "HTTP ERROR 401 Unauthorized" in denied.text
        assert http.get("/3/Cloud", auth=("admin", "wrong")).status_code == 401
        assert http.get("/3/Cloud", headers={"Authorization": "Bearer s3cret"}).status_code == 401
        assert http.get("/3/Cloud", headers={"Authorization": basic_header("admin", "s3cret")}).status_code == 200
        assert http.get("/3/Cloud", auth=("admin", "s3cret")).json()["cloud_healthy"] is True
    assert [r.status for r in state.recorded("GET", "/3/Cloud")] == [401, 401, 401, 200, 200]
    assert "s3cret" not in repr(list(state.requests))
    open_state = H2O3MockState()
    with serve(make_app(open_state)) as served:
        assert httpx.get(served.url + "/3/Cloud").status_code == 200


def test_request_log_is_bounded_and_keeps_what_was_sent(train_csv: Path) -> None:
    """The state records method, path, query and form of each request, up to its bound."""
    state = H2O3MockState(max_recorded_requests=4)
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url) as http:
        for _ in range(5):
            http.get("/3/Cloud")
        http.post("/3/ImportFilesMulti", data={"paths": f"[{train_csv}]"})
    assert len(state.requests) == 4
    last = state.recorded("POST", "/3/ImportFilesMulti")[0]
    assert last.form == {"paths": f"[{train_csv}]"}
    assert last.content_type == "application/x-www-form-urlencoded"
    assert last.status == 200
    assert state.internal_errors == []


def test_multinomial_models_and_predictions(client: H2O3Client, clock: ManualClock, tmp_path: Path) -> None:
    """A three-class response: multinomial metrics, and one probability column per class that sums to one."""
    path = tmp_path / "multi.csv"
    lines = ["a,b,cls"] + [f"{i % 7},{(i * 3) % 11},{('k1', 'k2', 'k3')[(i + i % 7) % 3]}" for i in range(90)]
    path.write_text("\n".join(lines) + "\n")
    frame = load(client, clock, path)
    jobs = {
        algo: client.build_model(algo, training_frame=frame, response_column="cls", **extra)["job"]
        for algo, extra in (("gbm", {"ntrees": 5}), ("drf", {"ntrees": 5}), ("glm", {"family": "multinomial"}))
    }
    clock.advance(10.0)
    for algo, job in jobs.items():
        metrics = client.model(job["dest"]["name"])["output"]["training_metrics"]
        assert metrics["model_category"] == "Multinomial", algo
        assert metrics["__meta"]["schema_name"] == f"ModelMetricsMultinomial{'GLM' if algo == 'glm' else ''}V3"
        assert len(metrics["hit_ratio_table"]["data"][0]) == 3
        scored = client.frame(client.predict(job["dest"]["name"], frame)["predictions_frame"]["name"])
        assert [c["label"] for c in scored["columns"]] == ["predict", "k1", "k2", "k3"]
        probabilities = [c["data"] for c in scored["columns"][1:]]
        assert all(sum(row) == pytest.approx(1.0) for row in zip(*probabilities, strict=True))


def test_a_huge_ntrees_is_fitted_up_to_the_mocks_cap(
    client: H2O3Client, state: H2O3MockState, clock: ManualClock, train_csv: Path
) -> None:
    """A drawn ntrees=100000 is in the real server's range: the mock fits only up to its cap, so it answers at once."""
    state.max_fitted_trees = 4
    frame = load(client, clock, train_csv)
    params = {"training_frame": frame, "response_column": "label", "ntrees": 100_000, "model_id": "big"}
    build = client.build_model("gbm", **params)
    clock.advance(600.0)
    assert client.job(build["job"]["key"]["name"])["status"] == "DONE"
    summary = client.model("big")["output"]["model_summary"]
    trees = summary["data"][[c["name"] for c in summary["columns"]].index("number_of_trees")][0]
    assert trees == 4


def test_held_objects_stay_under_their_caps_under_a_load_that_never_deletes() -> None:
    """Issue 13's growth: finished jobs kept their frames and models alive; frames, models, sources had no cap."""
    clock = ManualClock()
    state = H2O3MockState(clock=clock, max_objects=3, keep_finished_jobs=4)
    csv_bytes = classification_csv(rows=30).encode()
    frames = []
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        client = H2O3Client(http)
        for i in range(10):
            upload = client.post_file(csv_bytes, destination_frame=f"soak_{i}.csv")
            client.post_file(csv_bytes, destination_frame=f"kept_source_{i}.csv")
            client.parse(client.parse_setup([str(upload["destination_frame"])]), destination_frame=f"soak_{i}")
            clock.advance(60)
            client.build_model("gbm", **gbm_params(f"soak_{i}", ntrees=2, model_id=f"gbm_{i}"))
            clock.advance(60)
            client.cloud()  # any request publishes what finished jobs made, and trims
            frames.append(f"soak_{i}")
            assert max(len(state.frames), len(state.models), len(state.sources)) <= 3, i
            assert len(state.jobs.all()) <= 4 + 1, i  # the board trims when it takes a job, which is then live
    assert list(state.frames) == frames[-3:], "the oldest frames went first"
    assert sorted(state.models) == ["gbm_7", "gbm_8", "gbm_9"]
    assert all(job.result.payload is None for job in state.jobs.all()), "a finished job holds no frame or model"
    assert state.internal_errors == []


def test_held_frames_stay_under_their_value_budget_the_newest_kept_whatever_its_size() -> None:
    # a thousand of CreateFrame's largest frames (2M values each) were 64 GB under the count cap alone
    from h2oharness.apis.h2o3.mockparts.frames import Column, Frame

    def frame(name: str, rows: int) -> Frame:
        return Frame(name, [Column(f"C{i}", "real", numbers=[float(r) for r in range(rows)]) for i in range(2)])

    state = H2O3MockState(clock=ManualClock(), max_frame_values=100)
    for i in range(5):
        state.publish(frame(f"f{i}", 20))  # 40 values each
        state.trim()
    assert list(state.frames) == ["f3", "f4"]
    state.publish(frame("huge", 500))
    state.trim()
    assert list(state.frames) == ["huge"]


def test_rollups_compute_in_doubles_as_a_real_server_does_where_exact_sums_overflowed() -> None:
    # math.fsum raised OverflowError on 1e308 values: every GET of such a frame was a mock bug
    from h2oharness.apis.h2o3.mockparts.frames import Column

    def rollups(values: list[float]) -> tuple[float, float]:
        r = Column("x", "real", numbers=values).rollups()
        return r.mean, r.sigma

    mean, sigma = rollups([1e308, 1e308, -1e308, 1.5e308])
    assert math.isnan(mean)
    assert math.isnan(sigma)  # what H2O-3 3.46.0.12 answers (Welford's updates meet inf - inf)
    assert rollups([1e308, 1e308, 1e308]) == (1e308, 0.0)
    assert rollups([0.0, 1.0, 1.0, 0.0, 1.0]) == (
        0.6,
        math.sqrt((2 * (0.0 - 0.6) * (0.0 - 0.6) + 3 * (1.0 - 0.6) * (1.0 - 0.6)) / 4),
    )
    mean, sigma = rollups([1.0, 2.0, 4.0])
    assert mean == 7 / 3
    assert math.isclose(sigma, statistics.stdev([1.0, 2.0, 4.0]), rel_tol=1e-15)  # Welford's rounding, not exact


# what a real H2O-3 3.46.0.12 answered for a model of 0 trees on the 200-row classification CSV (82 of its 200
# labels 'yes'; colors about a third each): (response, algo) -> the first row of its predictions, its training nobs
NO_TREES = {
    ("label", "gbm"): (["yes", 0.59, 0.41], 200),
    ("label", "drf"): (["yes", 0.0, 1.0], 0),
    ("x1", "drf"): ([0.0], 0),
    ("color", "gbm"): ([1 / 3, 1 / 3, 1 / 3], 200),
    ("color", "drf"): ([0.0, 0.0, 0.0], 0),
}


@pytest.mark.parametrize(("response", "algo"), list(NO_TREES))
def test_a_model_of_no_trees_predicts_what_it_starts_from_as_a_real_server_does(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path, response: str, algo: str
) -> None:
    frame = client.parse(client.parse_setup(client.import_files(str(train_csv))["destination_frames"]))
    clock.advance(10.0)
    name = frame["destination_frame"]["name"]
    job = client.build_model(algo, training_frame=name, response_column=response, ntrees=0, model_id="none")["job"]
    clock.advance(60.0)
    assert client.job_status(job["key"]["name"]).state == "DONE"
    output = client.model("none")["output"]
    assert [column[0] for column in output["model_summary"]["data"][1:]] == [0, 0, 0, 0, 0, 0.0, 0, 0, 0.0]
    assert output["variable_importances"] is None
    expected, nobs = NO_TREES[response, algo]
    assert output["training_metrics"]["nobs"] == nobs
    http.post(f"/3/Predictions/models/none/frames/{name}", data={"predictions_frame": "p"}).raise_for_status()
    first = next(csv.reader(io.StringIO(http.get("/3/DownloadDataset", params={"frame_id": "p"}).text.split("\n")[1])))
    if response == "color":  # of 3 equally likely classes a real server picks one by the row: left out
        first = first[1:]
    assert [v if v in ("yes", "no") else float(v) for v in first] == pytest.approx(expected)
