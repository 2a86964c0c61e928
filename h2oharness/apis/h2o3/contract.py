"""H2O-3's contract plan: the seed flow and the read-only operations by default, real keys, the flow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from h2oharness.contractplan import BeforeCall, CaseFeed, ContractPlan, FlowContext, FlowPlan
from h2oharness.settings import variable
from h2oharness.targets import Target

# The seed's flow (seed 000): import -> parse setup -> parse -> job -> frame -> model -> prediction.
SEED_FLOW = frozenset({
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
})  # fmt: skip

# Read-only routes left out of the default run: they block, burn CPU or dump the JVM on a real server.
SLOW_READS = frozenset({
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
})  # fmt: skip


def in_default_scope(method: str, path: str) -> bool:
    """Whether an operation is contract-tested without ``--harness-all-operations`` (destructive ones never are)."""
    key = (method.upper(), path)
    return key in SEED_FLOW or (key[0] == "GET" and key not in SLOW_READS)


def _key_feed() -> CaseFeed:
    from h2oharness.apis.h2o3.keys import KeyFeed

    return KeyFeed()


def _flow_skip(target: Target) -> str | None:
    if target.kind == "live" and not variable("H2O3_DATASET_PATH"):
        return "the stateful flow against a live server needs H2O3_DATASET_PATH: a server-side CSV"
    return None


@contextmanager
def _flow_start(context: FlowContext) -> Iterator[BeforeCall]:
    """A CSV the server can import: written locally for the mock and a local server, H2O3_DATASET_PATH for live."""
    from h2oharness.apis.h2o3 import payloads

    dataset = variable("H2O3_DATASET_PATH") or str(context.tmp_path / "train.csv")
    if context.target.kind != "live":
        Path(dataset).write_text(payloads.classification_csv(rows=80, seed=3))

    def before_call(case: Any) -> None:
        # nothing in the document produces a server-side path: give the import one that exists
        if case.operation.path == "/3/ImportFiles":
            case.query = {**(case.query or {}), "path": dataset}
        elif case.operation.path == "/3/ImportFilesMulti":
            case.query = {**(case.query or {}), "paths": json.dumps([dataset])}

    yield before_call


def _flow_check(steps: list[str]) -> None:
    followed = {step.split(" -> ")[0] for step in steps}
    assert "POST /3/ParseSetup" in followed, f"no sequence reached ParseSetup: {sorted(followed)}"


PLAN = ContractPlan(
    default_scope=in_default_scope,
    feed=_key_feed,
    flow=FlowPlan(operations=SEED_FLOW, skip=_flow_skip, start=_flow_start, check=_flow_check, min_examples=10),
)
