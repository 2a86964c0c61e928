"""The H2O3Client facade: h2o-py-style requests, typed answers, and readable errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from h2oharness.apis.h2o3.client import H2O3Client, H2O3ResponseError, form, form_value
from h2oharness.apis.h2o3.mock import H2O3MockState, H2O3Timings, make_app
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params
from h2oharness.errors import ContractViolation, JobFailed
from h2oharness.http.jobkinds import JobHistory
from h2oharness.http.polling import Backoff
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

BASE = "http://h2o.test"


@pytest.fixture
def instant() -> Iterator[tuple[H2O3Client, H2O3MockState]]:
    """A client on a mock whose jobs finish at once."""
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant())
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        yield H2O3Client(http), state


def test_form_values_are_written_like_h2o_py() -> None:
    """Lists as JSON text, key objects as names, None dropped, the rest as str()."""
    assert form_value(["a", "b"]) == '["a","b"]'
    assert form_value([1, 2]) == "[1,2]"
    assert form_value({"name": "train.hex", "type": "Key<Frame>"}) == "train.hex"
    assert form_value(True) == "True"
    assert form({"a": None, "b": 1.5, "c": [{"name": "k"}]}) == {"b": "1.5", "c": '["k"]'}


def test_whole_flow_through_the_client(instant: tuple[H2O3Client, H2O3MockState], tmp_path: Path) -> None:
    """import -> setup -> parse -> wait -> frame -> build -> wait -> model -> predict -> delete."""
    client, state = instant
    path = tmp_path / "train.csv"
    path.write_text(classification_csv(rows=80))
    assert client.cloud()["cloud_healthy"] is True
    sources = client.import_files([str(path)])["destination_frames"]
    assert sources == client.import_files(str(path))["destination_frames"]
    parse = client.parse(client.parse_setup(sources))
    assert client.wait(parse["job"]["key"]["name"], timeout=5)["status"] == "DONE"
    frame_id = parse["destination_frame"]["name"]
    assert client.frame(frame_id)["rows"] == 80
    assert client.frame_summary(frame_id)["columns"][0]["percentiles"]
    job = client.build_model("gbm", **gbm_params(frame_id))["job"]
    assert client.wait(job["key"]["name"], timeout=5)["dest"]["name"] == job["dest"]["name"]
    model = client.model(job["dest"]["name"])
    assert model["output"]["training_metrics"]["AUC"] > 0.5
    assert client.predict(model["model_id"]["name"], frame_id)["predictions_frame"]["name"]
    assert frame_id in {f["frame_id"]["name"] for f in client.frames()}
    client.delete_model(model["model_id"]["name"])
    client.delete_frame(frame_id)
    assert client.models() == []
    assert state.recorded("POST", "/3/ParseSetup")[0].form["source_frames"] == f'["{sources[0]}"]'


def test_post_file_sends_the_raw_file(instant: tuple[H2O3Client, H2O3MockState], tmp_path: Path) -> None:
    """PostFile carries the file itself as the body, like h2o-py's upload_file."""
    client, state = instant
    path = tmp_path / "up.csv"
    path.write_text(classification_csv(rows=10))
    answer = client.post_file(path, destination_frame="up.csv")
    assert answer == {"destination_frame": "up.csv", "total_bytes": path.stat().st_size}
    assert state.sources["up.csv"].text == path.read_text()
    assert client.post_file(b"a,b\n1,2\n")["destination_frame"].startswith("upload_")


def test_errors_carry_the_servers_message(instant: tuple[H2O3Client, H2O3MockState], tmp_path: Path) -> None:
    """H2OErrorV3 msg and the builder's ERRR messages end up in the exception, on one line."""
    client, _ = instant
    with pytest.raises(H2O3ResponseError) as missing:
        client.frame("nope")
    assert missing.value.status == 404
    assert missing.value.schema == "H2OErrorV3"
    assert "Object 'nope' not found for argument: key" in str(missing.value)
    assert isinstance(missing.value, ContractViolation)
    path = tmp_path / "t.csv"
    path.write_text(classification_csv(rows=40))
    frame_id = client.parse(client.parse_setup(client.import_files(str(path))["destination_frames"]))[
        "destination_frame"
    ]["name"]
    with pytest.raises(H2O3ResponseError) as invalid:
        client.build_model("gbm", training_frame=frame_id, response_column="nope")
    text = str(invalid.value)
    assert "HTTP 412 H2OModelBuilderErrorV3" in text
    assert "response_column: Response column 'nope' not found in the training frame" in text
    assert "\n" not in invalid.value.reason


def test_wait_raises_job_failed_with_the_exception(tmp_path: Path) -> None:
    """A FAILED job surfaces as JobFailed carrying the server's exception text."""
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant())
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url) as http:
        client = H2O3Client(http)
        job = client.build_model("gbm", response_column="label")["job"]
        with pytest.raises(JobFailed) as failed:
            client.wait(job["key"]["name"], timeout=2, backoff=Backoff(initial=0.01))
    assert "Missing training frame" in str(failed.value)


@respx.mock
def test_non_json_and_server_errors_are_contract_violations() -> None:
    """A 200 that is not a JSON object, or a 500 HTML page, is reported, not returned."""
    respx.get(f"{BASE}/3/Cloud").mock(return_value=httpx.Response(200, text="<html>hi</html>"))
    respx.get(f"{BASE}/3/Frames").mock(return_value=httpx.Response(500, text="<html>boom</html>"))
    respx.get(f"{BASE}/3/Jobs/j1").mock(return_value=httpx.Response(200, json={"jobs": []}))
    with httpx.Client(base_url=BASE) as http:
        client = H2O3Client(http)
        with pytest.raises(ContractViolation, match="without a JSON object"):
            client.cloud()
        with pytest.raises(H2O3ResponseError) as server_error:
            client.frames()
        assert server_error.value.status == 500
        assert "boom" in server_error.value.reason
        with pytest.raises(ContractViolation, match="answered no job"):
            client.job("j1")


@respx.mock
def test_wait_teaches_the_kind_it_is_given() -> None:
    """With the submit's time, ``wait`` hands the job to its kind's history: the progress it saw is kept there."""
    running = {"jobs": [{"key": {"name": "j1"}, "status": "RUNNING", "progress": 0.5}]}
    done = {"jobs": [{"key": {"name": "j1"}, "status": "DONE", "progress": 1.0}]}
    respx.get(f"{BASE}/3/Jobs/j1").mock(
        side_effect=[httpx.Response(200, json=running), *[httpx.Response(200, json=done)] * 2]
    )
    history = JobHistory()
    with httpx.Client(base_url=BASE) as http:
        H2O3Client(http).wait(
            "j1", timeout=10, backoff=Backoff(initial=0.01), started=time.monotonic() - 0.01, history=history
        )
    assert history.values[0.5] == 1
    # without the submit's time a kind cannot place the job: nothing is kept
    respx.get(f"{BASE}/3/Jobs/j1").mock(
        side_effect=[httpx.Response(200, json=running), *[httpx.Response(200, json=done)] * 2]
    )
    other = JobHistory()
    with httpx.Client(base_url=BASE) as http:
        H2O3Client(http).wait("j1", timeout=10, backoff=Backoff(initial=0.01), history=other)
    assert not other.values


@respx.mock
def test_wait_bears_a_poll_the_server_puts_off() -> None:
    """A 503 (with the wait it asks for) and a 429 on the way are polled again; a 500 is not."""
    done = {"jobs": [{"key": {"name": "j1"}, "status": "DONE", "progress": 1.0}]}
    respx.get(f"{BASE}/3/Jobs/j1").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "0.01"}, text="busy"),
            httpx.Response(429, json={"msg": "slow down"}),
            *[httpx.Response(200, json=done)] * 2,  # the last poll, and the job ``wait`` returns
        ]
    )
    with httpx.Client(base_url=BASE) as http:
        assert H2O3Client(http).wait("j1", timeout=10, backoff=Backoff(initial=0.01))["status"] == "DONE"
        respx.get(f"{BASE}/3/Jobs/j2").mock(return_value=httpx.Response(500, text="boom"))
        with pytest.raises(H2O3ResponseError) as refused:
            H2O3Client(http).wait("j2", timeout=10, backoff=Backoff(initial=0.01))
    assert respx.calls.call_count == 5
    assert refused.value.status == 500
    assert refused.value.retry_after is None
