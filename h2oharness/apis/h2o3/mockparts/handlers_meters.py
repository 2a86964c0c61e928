"""Handlers for a one-node cloud's meters and plumbing: FrameChunks, WaterMeterIo, WaterMeterCpuTicks and
KillMinus3, shaped as a real 3.46.0.12 answers them (the counts are the mock's own, plausible ones)."""

from __future__ import annotations

import os

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame
from h2oharness.apis.h2o3.mockparts.params import from_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, key, meta

# the persist backends a real server counts, in its order
BACKENDS = ("local", "hdfs", "s3", "ice")
OUT_OF_BOUNDS = "java.lang.ArrayIndexOutOfBoundsException"


def frame_chunks(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/FrameChunks/{frame_id}: the frame's chunks; a mock frame is one chunk on node 0."""
    call.values("FrameChunksV3")
    with state.lock:
        found = find_frame(state, call.path_params["frame_id"])
    chunk = {"__meta": meta("FrameChunkV3", "Iced"), "chunk_id": 0, "row_count": found.rows, "node_idx": 0}
    body = {"__meta": meta("FrameChunksV3", "Iced"), "frame_id": key(found.name, "Frame"), "chunks": [chunk]}
    return Reply(body)


def water_meter_io(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/WaterMeterIo and /3/WaterMeterIo/{nodeidx}: the node's persist counts, per backend."""
    values = call.values("WaterMeterIoV3")
    node = _node(call, values, "WaterMeterIoV3")
    with state.lock:
        loads = len(state.recorded("POST", "/3/Parse"))
    body = metadata.skeleton("WaterMeterIoV3")
    body.update(nodeidx=node, persist_stats=[_io(backend, loads if backend == "local" else 0) for backend in BACKENDS])
    return Reply(body)


def water_meter_cpu_ticks(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/WaterMeterCpuTicks/{nodeidx}: user, system, other and idle ticks of each CPU /3/Cloud counts."""
    values = call.values("WaterMeterCpuTicksV3")
    node = _node(call, values, "WaterMeterCpuTicksV3")
    uptime = max(1, (state.epoch_ms() - state.started_epoch_ms) // 10)
    body = metadata.skeleton("WaterMeterCpuTicksV3")
    body.update(nodeidx=node, cpu_ticks=[[uptime // 10, uptime // 50, 0, uptime] for _ in range(os.cpu_count() or 1)])
    return Reply(body)


def kill_minus3(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/KillMinus3: a real server logs each node's thread dump; the mock has none to log."""
    call.values("KillMinus3V3")
    return Reply(metadata.skeleton("KillMinus3V3"))


def _node(call: Call, values: dict[str, object], schema: str) -> int:
    # a path's nodeidx converts as a query's does: "x" is the real 412 "cannot convert"
    given = {**values, **from_form(schema, {k: v for k, v in call.path_params.items() if k == "nodeidx"})}
    node = int(str(given.get("nodeidx", 0)))
    if node != 0:
        # a real server's 500 (an index past its one-node cloud), as the 404 of a node that is not there
        raise H2OError(404, f"Index {node} out of bounds for length 1", OUT_OF_BOUNDS)
    return node


def _io(backend: str, loads: int) -> JSONDict:
    return {
        "__meta": meta("IoStatsEntry", "Iced", -1),
        "backend": backend,
        "store_count": 0,
        "store_bytes": 0,
        "delete_count": 0,
        "load_count": loads,
        "load_bytes": loads * 4096,
    }
