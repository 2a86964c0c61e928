"""Property-based contract tests of H2O-3 against contracts/h2o3/openapi.yaml.

Each documented operation is one pytest item (so xdist spreads them), run
against the chosen target. Checks: no server errors, documented status codes,
content types, response bodies that match the schemas, bad input rejected.
By default only the seed flow's operations and the read-only ones run;
``--harness-all-operations`` runs every one of them but those destructive by design
(destructive.yaml: shutdown, signals, arbitrary expressions...), which only
``--harness-include-destructive`` adds. A request after which the server stops
answering is a ``server_crash`` finding; a local server is restarted (h2oharness/sweep.py).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.keys import KeyFeed
from h2oharness.stateful import flow_settings, linked_flow
from h2oharness.sweep import load_destructive
from h2oharness.targets import Target

SPEC = Path(os.environ.get("HARNESS_H2O3_SPEC") or Path(__file__).with_name("openapi.yaml"))

# The seed's flow (seed 000): import -> parse setup -> parse -> job -> frame -> model -> prediction.
SEED_FLOW = {
    ("GET", "/3/Cloud"),
    ("GET", "/3/ImportFiles"),
    ("POST", "/3/ImportFilesMulti"),
    ("POST", "/3/ParseSetup"),
    ("POST", "/3/Parse"),
    ("GET", "/3/Jobs/{job_id}"),
    ("POST", "/3/Jobs/{job_id}/cancel"),
    ("GET", "/3/Frames/{frame_id}"),
    ("GET", "/3/Frames/{frame_id}/summary"),
    ("DELETE", "/3/Frames/{frame_id}"),
    ("POST", "/3/ModelBuilders/gbm"),
    ("POST", "/3/ModelBuilders/glm"),
    ("POST", "/3/ModelBuilders/drf"),
    ("GET", "/3/Models/{model_id}"),
    ("DELETE", "/3/Models/{model_id}"),
    ("POST", "/3/Predictions/models/{model}/frames/{frame}"),
}

# Read-only routes left out of the default sweep: they block, burn CPU or dump the JVM on a real server.
SLOW_READS = {
    ("GET", "/3/Profiler"),
    ("GET", "/3/JStack"),
    ("GET", "/3/NetworkTest"),
    ("GET", "/3/WaterMeterCpuTicks/{nodeidx}"),
    ("GET", "/3/WaterMeterIo/{nodeidx}"),
    ("GET", "/3/WaterMeterIo"),
    ("GET", "/3/KillMinus3"),
    ("GET", "/3/Timeline"),
    ("GET", "/3/Logs/download"),
    ("GET", "/3/Logs/nodes/{nodeidx}/files/{name}"),
}


# Destructive by design: never sent unless --harness-include-destructive (the report lists them, with the reason).
DESTRUCTIVE = load_destructive(Path(__file__).with_name("destructive.yaml"))


def in_default_scope(method: str, path: str) -> bool:
    """Whether an operation is contract-tested without ``--harness-all-operations``."""
    key = (method.upper(), path)
    return key in SEED_FLOW or (key[0] == "GET" and key not in SLOW_READS and key not in DESTRUCTIVE)


def in_scope(method: str, path: str, *, all_operations: bool, include_destructive: bool) -> bool:
    """Whether an operation is tested under ``--harness-all-operations`` and ``--harness-include-destructive``."""
    if (method.upper(), path) in DESTRUCTIVE and not include_destructive:
        return False
    return all_operations or in_default_scope(method, path)


_document = schemathesis.openapi.from_path(
    str(SPEC), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)
if os.environ.get("HARNESS_SEED"):
    _document.config.seed = int(os.environ["HARNESS_SEED"])
# Filtered before parametrize: schemathesis plans each operation's coverage cases when it collects it, which
# costs seconds per model-builder operation (about 100 parameters each).
_all = os.environ.get("HARNESS_ALL_OPERATIONS") == "1"
_destructive = os.environ.get("HARNESS_INCLUDE_DESTRUCTIVE") == "1"
schema = _document.include(
    lambda ctx: in_scope(
        ctx.operation.method, ctx.operation.path, all_operations=_all, include_destructive=_destructive
    )
)


# Real frame, model, column and job keys offered to the generators next to the drawn ones (apis/h2o3/keys.py): in a
# sweep (--harness-all-operations) or when asked (--harness-real-keys). The default run keeps the draws its known
# findings were settled on: real keys reach code that a real server answers with defects of its own.
REAL_KEYS = _all or os.environ.get("HARNESS_REAL_KEYS") == "1"
KEYS = KeyFeed()
if REAL_KEYS:
    KEYS.install(schema)
_WARNED: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _remove_sweep_keys(h2o3_target: Target) -> Any:
    """After the module: the sweep's frame and model are deleted from the target."""
    yield
    if REAL_KEYS:
        with h2o3_target.client(timeout=30) as http:
            KEYS.remove(http)


@pytest.fixture
def h2o3_keys(h2o3_target: Target, h2o3_http: Any, worker_id: str) -> Any:
    """The sweep's real keys, present on the target before the case; jobs its answers started are cancelled after it."""
    if not REAL_KEYS:
        yield KEYS
        return
    KEYS.ensure(h2o3_http, tag=f"{worker_id}_{os.getpid()}")
    if KEYS.error and KEYS.error not in _WARNED:
        _WARNED.add(KEYS.error)
        warnings.warn(f"the H2O-3 sweep runs on generated keys only, none could be made: {KEYS.error}", stacklevel=1)
    yield KEYS
    KEYS.cancel_started(h2o3_http)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("HARNESS_MAX_EXAMPLES", "10")),
    suppress_health_check=list(HealthCheck),
    deadline=None,
    database=None,
)
def test_h2o3_contract(
    case: schemathesis.Case,
    h2o3_target: Target,
    h2o3_session: Any,
    harness_known_findings: Any,
    harness_sweep: Any,
    h2o3_keys: Any,
) -> None:
    """Every generated request gets a response that its operation documents, and none kills the server."""
    # a destructive operation may kill the node after it answers (Shutdown does, about 2 s later): watch for that
    settle = 5.0 if (case.operation.method.upper(), case.operation.path) in DESTRUCTIVE else 0.0
    response = harness_sweep.call(case, h2o3_target, session=h2o3_session, settle=settle, timeout=30)
    h2o3_keys.note(response)
    try:
        case.validate_response(response)
    except FailureGroup as group:
        harness_known_findings.absorb(group, h2o3_target, response=response)


_flow = _document.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in SEED_FLOW)


def test_h2o3_stateful_flow(
    h2o3_target: Target, h2o3_session: Any, harness_known_findings: Any, harness_sweep: Any, tmp_path: Path
) -> None:
    """Sequences that follow the document's links: import -> parse setup -> parse -> job -> frame -> model -> ..."""
    if h2o3_target.kind == "live" and not os.environ.get("H2O3_DATASET_PATH"):
        pytest.skip("the stateful flow against a live server needs H2O3_DATASET_PATH: a server-side CSV")
    dataset = os.environ.get("H2O3_DATASET_PATH") or str(tmp_path / "train.csv")
    if h2o3_target.kind != "live":
        Path(dataset).write_text(payloads.classification_csv(rows=80, seed=3))
    steps: list[str] = []

    class Flow(linked_flow(_flow, h2o3_target, h2o3_session, harness_known_findings, steps, harness_sweep)):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # nothing in the document produces a server-side path: give the import one that exists
            if case.operation.path == "/3/ImportFiles":
                case.query = {**(case.query or {}), "path": dataset}
            elif case.operation.path == "/3/ImportFilesMulti":
                case.query = {**(case.query or {}), "paths": json.dumps([dataset])}

    Flow.run(settings=flow_settings(0))
    followed = {step.split(" -> ")[0] for step in steps}
    assert "POST /3/ParseSetup" in followed, f"no sequence reached ParseSetup: {sorted(followed)}"
