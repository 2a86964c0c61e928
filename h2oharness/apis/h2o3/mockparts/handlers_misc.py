"""Handlers for the small utility routes h2o-py's module functions use: CreateFrame, MissingInserter, LogAndEcho,
NetworkTest."""

from __future__ import annotations

import math
import random
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame, job_json, key_name, required
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.handlers_data import NODE
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo
from h2oharness.apis.h2o3.mockparts.wire import bad_request, two_dim_table

MAX_CREATED_VALUES = 2_000_000
MAX_CREATED_LEVELS = 100_000


def log_and_echo(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/LogAndEcho: the message back (a real server also writes it to its log)."""
    values = call.values("LogAndEchoV3")
    body = metadata.skeleton("LogAndEchoV3")
    body["message"] = values.get("message")
    return Reply(body)


def network_test(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/NetworkTest: loopback timings of a one-node cloud, made up but shaped as the real table."""
    call.values("NetworkTestV3")
    sizes = (1, 1024, 1048576)
    micros = [20.0, 12.0, 10.0]
    bandwidths = [s / (m / 1e6) for s, m in zip(sizes, micros, strict=True)]
    body = metadata.skeleton("NetworkTestV3")
    cells = [f"{m:3.0f} usec, {b / 1e6:.1f} MB/S" for m, b in zip(micros, bandwidths, strict=True)]
    body.update(
        microseconds_collective=micros,
        bandwidths_collective=bandwidths,
        microseconds=[[m] for m in micros],
        bandwidths=[[b] for b in bandwidths],
        nodes=[f"localhost/{NODE}"],
        table=two_dim_table(
            "Network Test",
            f"Launched from localhost/{NODE}",
            [("destination", "string", "%s", "Destination")]
            + [(f"{s}_bytes", "string", "%s", f"{s} bytes") for s in sizes],
            [["all - collective bcast/reduce", *cells], [f"self localhost/{NODE}", *cells]],
        ),
    )
    return Reply(body)


def missing_inserter(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/MissingInserter: replace a fraction of a frame's values with NA, in place, as a job."""
    values = call.values("MissingInserterV3")
    name = key_name(required(values, "dataset")) or ""
    with state.lock:
        frame = find_frame(state, name, "dataset")
    fraction = float(values.get("fraction") or 0.0)
    if not 0.0 <= fraction <= 1.0:
        raise bad_request("fraction must be between 0 and 1.")
    seed = int(values.get("seed") or -1)
    rng = random.Random(seed if seed != -1 else None)
    with state.lock:
        columns = []
        for col in frame.columns:
            hit = [rng.random() < fraction for _ in range(col.rows)]
            if col.has_numbers:
                numbers = [math.nan if h else v for h, v in zip(hit, col.numbers, strict=True)]
                columns.append(Column(col.name, col.type, numbers=numbers, domain=col.domain))
            else:
                strings = [None if h else s for h, s in zip(hit, col.strings, strict=True)]
                columns.append(Column(col.name, col.type, strings=strings))
    info = JobInfo(name, "Frame", Frame(name, columns))
    job = state.submit("missing", "MissingValueInserter", info, state.timings.predict)
    return Reply(job_json(state, job))


def create_frame(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/CreateFrame: a random frame with h2o.create_frame()'s mix of column types, as a job.

    Sizes a real server would run out of memory on (values, levels) make a job that fails at once, saying why.
    """
    values = call.values("CreateFrameV3")
    rows, cols = int(values.get("rows") or 10000), int(values.get("cols") or 10)
    dest = key_name(values.get("dest")) or f"frame_{state.next_number()}"
    if rows <= 0 or cols <= 0:
        raise bad_request("Must have number of rows > 0 and columns > 0.")
    failure = ""
    payload: Frame | None = None
    levels = max(int(values.get("factors") or 100), int(values.get("response_factors") or 2))
    if rows * cols > MAX_CREATED_VALUES or levels > MAX_CREATED_LEVELS:
        failure = (
            f"java.lang.OutOfMemoryError: the mock creates frames of at most {MAX_CREATED_VALUES} values "
            f"and {MAX_CREATED_LEVELS} levels"
        )
    else:
        try:
            payload = Frame(dest, _random_columns(values, rows, cols))
        except (ValueError, OverflowError) as exc:
            failure = f"java.lang.IllegalArgumentException: {exc}"
    info = JobInfo(dest, "Frame", payload)
    job = state.submit("create", "CreateFrame", info, state.timings.parse, fail_at=0.0 if failure else None,
                       failure=failure)  # fmt: skip
    return Reply(job_json(state, job))


def _random_columns(values: dict[str, Any], rows: int, cols: int) -> list[Column]:
    seed = int(values.get("seed") or -1)
    rng = random.Random(seed if seed != -1 else None)
    fractions = [
        ("enum", float(values.get("categorical_fraction") or 0.0)),
        ("int", float(values.get("integer_fraction") or 0.0)),
        ("binary", float(values.get("binary_fraction") or 0.0)),
    ]
    kinds: list[str] = []
    for kind, share in fractions:
        kinds += [kind] * max(0, round(share * cols))
    kinds = (kinds + ["real"] * cols)[:cols]
    missing = float(values.get("missing_fraction") or 0.0)
    real_range = abs(float(values.get("real_range") or 100.0))
    int_range = abs(int(values.get("integer_range") or 100))
    factors = max(2, int(values.get("factors") or 100))
    ones = float(values.get("binary_ones_fraction") or 0.02)

    def draw(kind: str) -> float:
        if rng.random() < missing:
            return math.nan
        if kind == "enum":
            return float(rng.randrange(factors))
        if kind == "int":
            return float(rng.randint(-int_range, int_range))
        if kind == "binary":
            return float(rng.random() < ones)
        return rng.uniform(-real_range, real_range)

    columns = []
    for j, kind in enumerate(kinds):
        numbers = [draw(kind) for _ in range(rows)]
        domain = [f"c{j}.l{i}" for i in range(factors)] if kind == "enum" else None
        column_type = "enum" if kind == "enum" else "int" if kind != "real" else "real"
        columns.append(Column(f"C{j + 1}", column_type, numbers=numbers, domain=domain))
    if values.get("has_response"):
        response_factors = int(values.get("response_factors") or 2)
        numbers = [float(rng.randrange(max(1, response_factors))) for _ in range(rows)]
        domain = [str(i) for i in range(response_factors)] if response_factors > 1 else None
        columns.insert(0, Column("response", "enum" if domain else "real", numbers=numbers, domain=domain))
    return columns
