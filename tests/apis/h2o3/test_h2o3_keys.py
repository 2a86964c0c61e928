"""Real keys for the sweep: made on the target, fed to the generators, made again when lost, jobs cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.keys import KeyFeed, SweepKeys, fed, make_keys
from h2oharness.apis.h2o3.mock import default_state, make_app
from h2oharness.mocks.serve import serve

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "h2o3" / "openapi.yaml"
KEYS = SweepKeys(frame="fr_real", columns=("x1", "label"), response="label", model="gbm_real", job="job_real")


@pytest.fixture(scope="module")
def schema() -> object:
    return schemathesis.openapi.from_path(str(CONTRACT))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with serve(make_app(default_state(speed=50.0))) as served, httpx.Client(base_url=served.url, timeout=30) as client:
        yield client


def test_every_key_parameter_an_operation_declares_is_fed(schema: object) -> None:
    frame = schema["/3/Frames/{frame_id}"]["GET"]  # type: ignore[index]
    assert fed(KEYS, frame, "path", {"frame_id": "zz"}) == {"frame_id": "fr_real"}
    gbm = schema["/3/ModelBuilders/gbm"]["POST"]  # type: ignore[index]
    query = fed(KEYS, gbm, "query", {"ntrees": 7, "model_id": "mine"})
    assert query is not None
    assert (query["training_frame"], query["response_column"], query["ntrees"]) == ("fr_real", "label", 7)
    assert query["model_id"] == "mine"  # a builder's model_id names what it makes: never the sweep's model
    # a build that gets a real frame runs: it must not write checkpoints to a drawn server-side path
    assert "export_checkpoints_dir" not in (fed(KEYS, gbm, "query", {"export_checkpoints_dir": "/x"}) or {})
    predict = schema["/3/Predictions/models/{model}/frames/{frame}"]["POST"]  # type: ignore[index]
    assert fed(KEYS, predict, "path", {"model": "a", "frame": "b"}) == {"model": "gbm_real", "frame": "fr_real"}
    assert fed(None, frame, "path", {"frame_id": "zz"}) is None
    assert fed(KEYS, schema["/3/Cloud"]["GET"], "query", {}) is None  # type: ignore[index]
    # no key to feed: a required path stays (ImportFiles without it is a 412)
    assert fed(KEYS, schema["/3/ImportFiles"]["GET"], "query", {"path": "/data"}) is None  # type: ignore[index]


def test_the_generators_draw_cases_with_and_without_the_real_keys(schema: object) -> None:
    feed = KeyFeed()
    filtered = schema.include(path_regex="^/3/Frames/\\{frame_id\\}$")  # type: ignore[attr-defined]
    feed.install(filtered)
    feed.keys = KEYS
    drawn: list[str] = []

    @given(filtered["/3/Frames/{frame_id}"]["GET"].as_strategy())
    @settings(max_examples=30, database=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def draw(case: schemathesis.Case) -> None:
        drawn.append(case.path_parameters["frame_id"])

    draw()
    assert "fr_real" in drawn
    assert any(value != "fr_real" for value in drawn)


def test_keys_are_made_on_the_target_and_made_again_when_deleted(http: httpx.Client) -> None:
    client = H2O3Client(http)
    keys = make_keys(client, "t1")
    assert client.frame(keys.frame)["rows"] == 80
    assert "label" in keys.columns
    assert client.model(keys.model)["model_id"]["name"] == keys.model
    feed = KeyFeed()
    feed.ensure(http, "t2")
    first = feed.keys
    assert first is not None
    assert feed.error is None
    feed.ensure(http, "t2")
    assert feed.keys is first  # present: not made again
    client.delete_frame(first.frame)
    feed.ensure(http, "t2")
    assert feed.keys is not None
    assert feed.keys is not first
    assert client.frame(feed.keys.frame)["rows"] == 80
    made = feed.keys
    feed.remove(http)
    assert feed.keys is None
    assert http.get(f"/3/Frames/{made.frame}").status_code == 404
    assert http.get(f"/3/Models/{made.model}").status_code == 404


def test_jobs_a_cases_answers_started_are_cancelled_and_others_left_alone(http: httpx.Client) -> None:
    client = H2O3Client(http)
    feed = KeyFeed()
    feed.ensure(http, "t3")
    assert feed.keys is not None
    params = {"training_frame": feed.keys.frame, "response_column": "label", "ntrees": 100000}
    other = client.build_model("gbm", **params)["job"]["key"]["name"]  # not through the feed: someone else's
    answer = http.post("/3/ModelBuilders/gbm", params=params)
    feed.note(answer)
    feed.note(http.get("/3/Cloud"))  # no job in it
    mine = answer.json()["job"]["key"]["name"]
    assert feed.cancel_started(http) == [mine]
    assert client.job(mine)["status"] == "CANCELLED"
    assert client.job(other)["status"] != "CANCELLED"
    assert feed.cancel_started(http) == []  # each case's jobs once


def test_a_target_that_cannot_make_keys_leaves_the_feed_empty_with_the_reason() -> None:
    feed = KeyFeed()
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=2) as dead:
        feed.ensure(dead, "t4")
    assert feed.keys is None
    assert feed.error is not None
    assert "ConnectError" in feed.error


def test_each_target_keeps_its_own_keys(http: httpx.Client) -> None:
    feed = KeyFeed()
    with serve(make_app(default_state(speed=50.0))) as other, httpx.Client(base_url=other.url, timeout=30) as second:
        feed.ensure(http, "a")
        first = feed.keys
        feed.ensure(second, "b")
        assert feed.keys is not None
        assert feed.keys is not first
        feed.ensure(http, "a")
        assert feed.keys is first  # still on the first target: not made again
        feed.remove(second)
        assert feed.keys is first
