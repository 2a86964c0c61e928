"""Handlers for a node's own diagnostics: Timeline, JStack, Profiler and Logs, as a real 3.46.0.12 of one node
answers them at its default log level (INFO). The mock has no JVM: the events, threads and stacks are made up but
shaped as the real ones, and its logs hold one line of its start."""

from __future__ import annotations

import io
import os
import time
import zipfile

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, required
from h2oharness.apis.h2o3.mockparts.handlers_data import NODE
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, meta

# the log files LogsHandler knows, by name; the level ones below INFO are not written at the default level
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
QUIET_LEVELS = {"trace": "TRACE", "debug": "DEBUG", "default": "DEBUG"}
OTHER_LOGS = ("httpd", "stdout", "stderr")
# the stacks a resting node's threads wait in, as a real Profiler counts them at depth 1
RESTING_STACKS = (
    ("java.base@17.0.15/jdk.internal.misc.Unsafe.park(Native Method)", 1300),
    ("java.base@17.0.15/java.lang.Object.wait(Native Method)", 300),
    ("java.base@17.0.15/java.lang.Thread.sleep(Native Method)", 200),
)


def timeline(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Timeline: the node's recent events; a resting node's are its heartbeats and the timeline's own
    multicast (``now`` is 0 and ``self`` null, as a real server leaves them)."""
    call.values("TimelineV3")
    body = metadata.skeleton("TimelineV3")
    stamp = time.strftime("%H:%M:%S", time.gmtime(state.epoch_ms() / 1000))
    nanos = time.monotonic_ns()
    body["events"] = [
        {"__meta": meta("HeartBeatEvent", "Iced", -1), "date": f"{stamp}:000", "nanos": nanos, "type": "heartbeat",
         "sends": 1, "recvs": 1},
        {"__meta": meta("NetworkEvent", "Iced", -1), "date": f"{stamp}:000", "nanos": nanos, "type": "network_msg",
         "is_send": True, "protocol": "UDP", "msg_type": "timeline", "from": f"/{NODE}", "to": "multicast",
         "data": ""},
    ]  # fmt: skip
    return Reply(body)


def jstack(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/JStack: one trace of the one node: a thread summary, then each thread's stack."""
    call.values("JStackV3")
    trace = metadata.skeleton("DStackTraceV3")
    threads = [
        "Thread Summary (Summary of running threads):\nThread  active  blocked  idle  TOTAL\n"
        " jetty       1        0     0      1\n TOTAL       1        0     0      1\n",
        "HttpReq traces",
        '"qtp-1" prio=5 tid=1 java.lang.Thread.State: RUNNABLE\n\tat h2oharness.mock(no Java stack in the mock)\n',
    ]
    trace.update(node=NODE, time=state.epoch_ms(), thread_traces=threads)
    body = metadata.skeleton("JStackV3")
    body["traces"] = [trace]
    return Reply(body)


def profiler(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Profiler: per node, the stacks its threads are in (``depth`` frames deep) and how often."""
    values = call.values("ProfilerV3")
    depth = int(required(values, "depth"))
    entries = []
    for stack, count in RESTING_STACKS:
        entry = metadata.skeleton("ProfilerNodeEntryV3")
        entry.update(stacktrace=stack + "\n" if depth > 0 else "", count=count)
        entries.append(entry)
    node = metadata.skeleton("ProfilerNodeV3")
    node.update(node_name=NODE, timestamp=state.epoch_ms(), entries=entries)
    body = metadata.skeleton("ProfilerV3")
    body.update(depth=depth, nodes=[node])
    return Reply(body)


def logs(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Logs/nodes/{nodeidx}/files/{name}: a log file of the node (``self`` or -1: this node)."""
    call.values("LogsV3")
    nodeidx, name = call.path_params["nodeidx"], call.path_params["name"]
    _check_node(nodeidx)
    body = metadata.skeleton("LogsV3")
    body.update(nodeidx=nodeidx, name=name, log=_log_text(state, name))
    return Reply(body)


def logs_download(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Logs/download[/ZIP|/LOG] (not in the route table; h2o.download_all_logs asks it): every node's log
    files as a zip of one zip per node, or (LOG) all of them in one text, as an attachment named by the moment."""
    container = call.path_params.get("container", "ZIP")
    if container not in ("ZIP", "LOG"):
        raise H2OError(400, f"No enum constant water.util.LogArchiveContainer.{container}")
    folder = "h2ologs_" + time.strftime("%Y%m%d_%H%M%S", time.gmtime(state.epoch_ms() / 1000))
    node = f"node0_{NODE.replace(':', '_')}"
    files = {
        f"h2ologs_{node}/h2o_{NODE.replace(':', '_')}-{i + 1}-{level}.log": _log_file(state, level)
        for i, level in enumerate(LOG_LEVELS)
    }
    if container == "LOG":
        parts = [_titled(f"{folder}/"), _titled(f"{folder}/{node}.log")]
        parts += [_titled(name) + text for name, text in files.items()]
        return _attachment("".join(parts).encode(), "text/plain", f"{folder}.log")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/", b"")
        archive.writestr(f"{folder}/{node}.zip", inner.getvalue())
    return _attachment(outer.getvalue(), "application/octet-stream", f"{folder}.zip")


def _titled(name: str) -> str:
    title = f"{name} ({time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime())}):"
    return f"{title}\n{'=' * len(title)}\n\n"


def _attachment(content: bytes, kind: str, name: str) -> Reply:
    # unquoted filename, as a real server writes it
    return Reply(content, content_type=kind, headers={"Content-Disposition": f"attachment; filename={name}"})


def _log_file(state: H2O3MockState, level: str) -> str:
    # the files hold what a level's log holds; those below INFO are written too (the file logger's own level)
    return _log_text(state, "info") if level in ("trace", "debug", "info") else ""


def _check_node(nodeidx: str) -> None:
    if nodeidx == "self":
        return
    try:
        index = int(nodeidx)
    except ValueError:
        raise H2OError(400, f"No H2O node running as part of this cloud on {nodeidx} does not exist!") from None
    if index not in (-1, 0):
        raise H2OError(400, "H2O node with the specified index does not exist!")


def _log_text(state: H2O3MockState, name: str) -> str:
    if name in QUIET_LEVELS:
        return f"Logging for {QUIET_LEVELS[name]} is not enabled as the log level is set to INFO."
    if name not in LOG_LEVELS and name not in OTHER_LOGS:
        # a real server answers 500 (its GetLogTask throws): the mock answers 400 with its message (DEVIATIONS)
        raise H2OError(400, "GetLogTask failed", "java.lang.RuntimeException")
    if name in ("fatal", "error", "warn", "httpd"):
        return ""
    started = time.strftime("%m-%d %H:%M:%S.000", time.gmtime(state.started_epoch_ms / 1000))
    return f"{started} {NODE}  {os.getpid():>10}  main  INFO water.default: ----- H2O started (mock) -----\n"
