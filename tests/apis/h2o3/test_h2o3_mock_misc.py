"""The utility routes h2o-py's module functions use: CreateFrame, MissingInserter, LogAndEcho and NetworkTest."""

from __future__ import annotations

from pathlib import Path

import httpx

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.mocks.clock import ManualClock


def test_create_frame_makes_the_asked_mix_of_columns(http: httpx.Client, clock: ManualClock) -> None:
    form = {"dest": "made", "rows": 50, "cols": 10, "categorical_fraction": 0.2, "integer_fraction": 0.2,
            "binary_fraction": 0.1, "missing_fraction": 0.0, "seed": 7, "has_response": "True"}  # fmt: skip
    job = http.post("/3/CreateFrame", data=form).json()
    assert (job["__meta"]["schema_name"], job["description"], job["dest"]["name"]) == ("JobV3", "CreateFrame", "made")
    assert http.get("/3/Frames/made").status_code == 404  # published when its job is done
    clock.advance(5.0)
    frame = http.get("/3/Frames/made").json()["frames"][0]
    assert (frame["rows"], frame["num_columns"]) == (50, 11)
    types = [c["type"] for c in frame["columns"]]
    assert (types[0], types.count("enum"), types.count("int"), types.count("real")) == ("enum", 3, 3, 5)
    too_big = http.post("/3/CreateFrame", data={"dest": "x", "rows": 10**7, "cols": 10}).json()
    clock.advance(5.0)
    failed = http.get(too_big["key"]["URL"]).json()["jobs"][0]
    assert failed["status"] == "FAILED"
    assert "OutOfMemoryError" in failed["exception"]


def test_missing_inserter_blanks_a_fraction_in_place(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    raw = client.import_files(str(train_csv))["destination_frames"]
    name = client.parse(client.parse_setup(raw))["destination_frame"]["name"]
    clock.advance(10.0)
    before = sum(c["missing_count"] for c in http.get(f"/3/Frames/{name}").json()["frames"][0]["columns"])
    job = http.post("/3/MissingInserter", data={"dataset": name, "fraction": 0.5, "seed": 1}).json()
    assert (job["description"], job["dest"]["name"]) == ("MissingValueInserter", name)
    clock.advance(5.0)
    after = sum(c["missing_count"] for c in http.get(f"/3/Frames/{name}").json()["frames"][0]["columns"])
    assert 300 < after - before < 700  # about half of 1000 values
    refused = http.post("/3/MissingInserter", data={"dataset": name, "fraction": 2})
    assert (refused.status_code, refused.json()["msg"].strip()) == (
        400,
        "ERROR MESSAGE:\n\nfraction must be between 0 and 1.",
    )
    assert http.post("/3/MissingInserter", data={"dataset": "nope", "fraction": 2}).status_code == 404


def test_log_and_echo_and_network_test(http: httpx.Client) -> None:
    assert http.post("/3/LogAndEcho", data={"message": "hi"}).json()["message"] == "hi"
    net = http.get("/3/NetworkTest").json()
    assert net["__meta"]["schema_name"] == "NetworkTestV3"
    assert len(net["microseconds_collective"]) == len(net["table"]["columns"]) - 1 == 3
