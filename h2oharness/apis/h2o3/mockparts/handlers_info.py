"""Handlers for the read-only cluster facts: Ping, About, Capabilities, SteamMetrics, Typeahead and the v4 endpoint
list, as a real 3.46.0.12 of one node answers them."""

from __future__ import annotations

import os
from pathlib import Path

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, required
from h2oharness.apis.h2o3.mockparts.handlers_data import BUILD, FREE_MEM, NODE, VERSION
from h2oharness.apis.h2o3.mockparts.handlers_v4 import v4_parameters
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import JSONDict

# the extensions a real 3.46.0.12 from the h2o package's jar lists, in its order (XGBoost and Infogram are both a
# core and a REST extension, so /3/Capabilities names them twice)
CORE_CAPABILITIES = ("XGBoost", "KrbStandalone", "Infogram")
API_CAPABILITIES = (
    "Mojo 2 pipeline extensions", "XGBoost", "Amazon S3", "Algos", "Infogram", "AutoML", "Core V3", "TargetEncoder",
    "Core V4",
)  # fmt: skip

# GET /4/endpoints: the real server's v4 routes, in its order (url, description, name, input and output schema)
ENDPOINTS_V4 = (
    ("POST /4/Predictions/models/{model}/frames/{frame}", "Score (generate predictions) for the specified Frame with "
     "the specified Model.  Both the Frame of predictions and the metrics will be returned.", "predict_async",
     "ModelMetricsListSchemaV3", "JobV3"),
    ("GET /4/endpoints", "Returns the list of all REST API (v4) endpoints.", "endpoints4", "ListRequestV4",
     "EndpointsListV4"),
    ("POST /4/sessions", "Start a new Rapids session, and return the session id.", "newSession4", "InputSchemaV4",
     "SessionIdV4"),
    ("DELETE /4/sessions/{session_key}", "Close the Rapids session.", "endSession4", "InitIDV3", "InitIDV3"),
    ("GET /4/modelsinfo", "Return basic information about all models available to train.", "modelsInfo",
     "ListRequestV4", "ModelsInfoV4"),
    ("POST /4/Frames/$simple", "Create frame with random (uniformly distributed) data. You can specify how many "
     "columns of each type to make; and what the desired range for each column type.", "createSimpleFrame",
     "CreateFrameSimpleIV4", "JobV4"),
    ("GET /4/jobs/{job_id}", "Retrieve information about the current state of a job.", "getJob4", "JobIV4", "JobV4"),
)  # fmt: skip

# where a real server run as root keeps Flow's notebooks (-flow_dir's default: ~/h2oflows)


def ping(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Ping: uptime, health and each node's free memory (the node /3/Cloud lists)."""
    call.values("PingV3")
    body = metadata.skeleton("PingV3")
    node = metadata.skeleton("NodeMemoryInfoV3")
    node.update(ip_port=NODE, free_mem=FREE_MEM)
    body.update(cloud_uptime_millis=state.epoch_ms() - state.started_epoch_ms, cloud_healthy=True, nodes=[node])
    return Reply(body)


def about(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/About: the build facts /3/Cloud also gives, as name/value entries."""
    call.values("AboutV3")
    facts = (
        ("Build git branch", BUILD["branch_name"]),
        ("Build git hash", BUILD["last_commit_hash"]),
        ("Build git describe", BUILD["describe"]),
        ("Build project version", VERSION),
        ("Build age", BUILD["build_age"]),
        ("Built by", BUILD["compiled_by"]),
        ("Built on", BUILD["compiled_on"]),
        ("Internal Security", "Disabled"),
    )
    body = metadata.skeleton("AboutV3")
    body["entries"] = [_entry("AboutEntryV3", name=name, value=value) for name, value in facts]
    return Reply(body)


def capabilities(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Capabilities (core, then REST API extensions), /3/Capabilities/Core and /3/Capabilities/API."""
    call.values("CapabilitiesV3")
    names = {"/3/Capabilities/Core": CORE_CAPABILITIES, "/3/Capabilities/API": API_CAPABILITIES}.get(
        call.path, CORE_CAPABILITIES + API_CAPABILITIES
    )
    body = metadata.skeleton("CapabilitiesV3")
    body["capabilities"] = [_entry("CapabilityEntryV3", name=name) for name in names]
    return Reply(body)


def steam_metrics(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/SteamMetrics: how long the cloud has been idle: 0 while a job runs, else since the last job ended (or
    the cloud started), as H2O.getIdleTimeMillis counts it."""
    call.values("SteamMetricsV3")
    now = state.clock.now()
    last = state.started_epoch_ms
    with state.lock:
        for job in state.jobs.all():
            ended = job.ended_at(now)
            last = max(last, state.epoch_ms(now if ended is None else ended))
    body = metadata.skeleton("SteamMetricsV3")
    body.update(version=0, idle_millis=max(0, state.epoch_ms(now) - last))
    return Reply(body)


def typeahead_files(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Typeahead/files: the paths of the local file system that start with ``src``, ``limit`` at most."""
    values = call.values("TypeaheadV3")
    src = str(required(values, "src"))
    limit = int(values.get("limit") or 0)
    body = metadata.skeleton("TypeaheadV3")
    body.update(src=src, limit=limit, matches=_completions(src, limit))
    return Reply(body)


def _completions(src: str, limit: int) -> list[str]:
    # as a real server's local persist: a folder's entries, or those of src's folder whose names start with its last
    # part (any case); hidden ones left out, in the file system's order; a relative src matches nothing
    if not src.startswith("/"):
        return []
    path = Path(src)
    folder, prefix = (path, "") if path.is_dir() else (path.parent, path.name.lower())
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = [str(folder / n) for n in names if not n.startswith(".") and n.lower().startswith(prefix)]
    return found[:limit] if limit > 0 else found


def endpoints_v4(state: H2O3MockState, call: Call) -> Reply:
    """GET /4/endpoints: the v4 routes, in the v4 style (``__schema`` and no ``__meta``)."""
    v4_parameters(call, "ListRequestV4")
    endpoints = [
        {"__schema": "/4/schemas/EndpointV4", "url": url, "description": text, "name": name,
         "input_schema": f"/4/schemas/{given}", "output_schema": f"/4/schemas/{answered}"}
        for url, text, name, given, answered in ENDPOINTS_V4
    ]  # fmt: skip
    return Reply({"__schema": "/4/schemas/EndpointsListV4", "endpoints": endpoints})


def _entry(schema: str, **fields: str) -> JSONDict:
    entry = metadata.skeleton(schema)
    entry.update(fields)
    return entry
