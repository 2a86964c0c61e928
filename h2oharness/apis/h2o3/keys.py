"""Real keys for a sweep: a frame and a model made on the target, fed to the generated requests.

Generated ids (``frame_id=aZ3``) reach only H2O-3's "not found" branch. Before the
contract cases run, the sweep uploads a small CSV, parses it and trains a tiny GBM
on the target; schema hooks then offer hypothesis, next to each drawn request, the
same request with every frame, model, column and job parameter the operation
declares set to those real keys, so about half the cases get past the lookup into
the code that matters. Keys a case deleted, or that a restarted server lost, are
made again before the next operation (``KeyFeed.ensure``); jobs a case's answers
started (model builders on the real frame) are cancelled after it, so a drawn
``ntrees=100000`` does not burn the node's cores for the rest of the sweep.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import strategies as st

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.contractplan import ExtraCase

__all__ = ["FRAME_PARAMS", "KeyFeed", "SweepKeys", "fed", "make_keys"]

#: parameter names that take a frame key, a model key, a column of the frame, a job key
FRAME_PARAMS = frozenset({
    "frame_id", "frame", "training_frame", "validation_frame", "calibration_frame", "background_frame",
    "predictions_frame", "actuals_frame", "source_frame", "dataset", "key",
})  # fmt: skip
MODEL_PARAMS = frozenset({"model_id", "model", "model_key"})
COLUMN_PARAMS = frozenset({"response_column", "column", "column_name"})
JOB_PARAMS = frozenset({"job_id"})
#: server-side paths a build writes to or reads from: left out of a case that gets the real keys, since only with
#: them does a build run far enough to touch the file system
PATH_PARAMS = frozenset({
    "export_checkpoints_dir", "in_training_checkpoints_dir", "save_matrix_directory", "dir", "path", "recovery_dir",
})  # fmt: skip
ROWS = 80


@dataclass(frozen=True)
class SweepKeys:
    """What exists on the target for the sweep's cases to use."""

    frame: str
    columns: tuple[str, ...]
    response: str
    model: str
    job: str

    def value(self, name: str, operation_path: str) -> Any | None:
        """The real value for a parameter called ``name`` of the operation at ``operation_path``, or None."""
        if name in MODEL_PARAMS:
            # a builder's model_id names the model it will make: a real one would overwrite the sweep's model
            builds = "/ModelBuilders/" in operation_path or "/Grid/" in operation_path
            return None if builds and name == "model_id" else self.model
        if name in FRAME_PARAMS:
            return self.frame
        if name in COLUMN_PARAMS:
            return self.response
        if name in JOB_PARAMS:
            return self.job
        return None


def make_keys(client: H2O3Client, tag: str, timeout: float = 120.0) -> SweepKeys:
    """Upload, parse and train on the target; the keys are named ``h2oharness_sweep_<tag>...``.

    HarnessError (with the server's answer) when any step fails: the run then uses generated keys only.
    """
    csv = payloads.classification_csv(rows=ROWS, seed=5)
    frame, model = f"h2oharness_sweep_{tag}", f"h2oharness_sweep_gbm_{tag}"
    uploaded = client.post_file(csv.encode(), destination_frame=f"{frame}.csv")
    setup = client.parse_setup([str(uploaded["destination_frame"])])
    parse = client.parse(setup, destination_frame=frame)
    client.wait(str(parse["job"]["key"]["name"]), timeout=timeout)
    build = client.build_model(
        "gbm", training_frame=frame, response_column="label", ntrees=3, max_depth=2, model_id=model, seed=1
    )
    job = str(build["job"]["key"]["name"])
    client.wait(job, timeout=timeout)
    columns = tuple(str(c["label"]) for c in client.frame(frame)["columns"])
    return SweepKeys(frame=frame, columns=columns, response="label", model=model, job=job)


def fed(keys: SweepKeys | None, operation: Any, part: str, drawn: dict[str, Any] | None) -> dict[str, Any] | None:
    """``drawn`` (the path parameters or query of a case) with every key parameter the operation has set to ``keys``
    and no server-side path parameter (``PATH_PARAMS``).

    None when nothing would change (no keys, or no such parameter).
    """
    if keys is None:
        return None
    declared = list(operation.path_parameters if part == "path" else operation.query)
    out = dict(drawn or {})
    for parameter in declared:
        value = keys.value(parameter.name, operation.path)
        if value is not None:
            out[parameter.name] = value
    if out == (drawn or {}):
        return None
    for parameter in declared:
        if parameter.name in PATH_PARAMS and parameter.name in out and not parameter.is_required:
            del out[parameter.name]
    return out


class KeyFeed:
    """The keys the schema hooks read, kept present on the target; one per session (one per xdist worker)."""

    def __init__(self) -> None:
        #: the keys of the target the current case goes to (what the hooks read)
        self.keys: SweepKeys | None = None
        self.error: str | None = None
        self._started: list[str] = []
        # per target URL: a session may test the mock and a local server in turn
        self._made: dict[str, SweepKeys] = {}

    def install(self, schema: Any) -> None:
        """Register the hooks that offer hypothesis each case with and without the real keys."""

        @schema.hook("flatmap_path_parameters")  # type: ignore[untyped-decorator]
        def path_parameters(ctx: Any, drawn: dict[str, Any] | None) -> Any:
            return self._either(ctx, "path", drawn)

        @schema.hook("flatmap_query")  # type: ignore[untyped-decorator]
        def query(ctx: Any, drawn: dict[str, Any] | None) -> Any:
            return self._either(ctx, "query", drawn)

    def _either(self, ctx: Any, part: str, drawn: dict[str, Any] | None) -> Any:
        real = fed(self.keys, ctx.operation, part, drawn) if ctx.operation is not None else None
        return st.just(drawn) if real is None else st.sampled_from([drawn, real])

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make the keys if they are missing on the target (first use, a case deleted them, a restart lost them)."""
        self._started = []
        url = str(http.base_url)
        self.keys = self._made.get(url)
        if self.keys is not None and self._present(http, self.keys):
            return
        try:
            self.keys, self.error = make_keys(H2O3Client(http), tag), None
            self._made[url] = self.keys
        except Exception as exc:  # any failure: the sweep goes on with generated keys, and says why
            self.keys, self.error = None, f"{type(exc).__name__}: {exc}"
            self._made.pop(url, None)

    def fill(self, case: Any) -> None:
        """Nothing: the schema hooks offered the keys as the case was drawn."""

    def extra_cases(self, operation: Any) -> list[ExtraCase]:
        """The concrete requests ``h2oharness.apis.h2o3.sweepcases`` adds for ``operation``, with the current keys."""
        from h2oharness.apis.h2o3.sweepcases import Operation, extra_cases

        return list(extra_cases(Operation.from_schemathesis(operation), self.keys))

    def note(self, response: Any) -> None:
        """Remember the job a case's answer started (a builder's or a parse's ``job``, or a job itself)."""
        try:
            body = response.json()
        except (ValueError, AttributeError):
            return
        if not isinstance(body, dict):
            return
        job = body.get("job") if isinstance(body.get("job"), dict) else body
        key = job.get("key") if isinstance(job, dict) else None
        meta = job.get("__meta") if isinstance(job, dict) else None
        is_job = isinstance(meta, dict) and str(meta.get("schema_type")) == "Job"
        if is_job and isinstance(key, dict) and key.get("name"):
            self._started.append(str(key["name"]))

    def cancel_started(self, http: httpx.Client) -> list[str]:
        """Cancel the jobs the case's answers started (only those: other users' jobs are left alone)."""
        cancelled = []
        for key in dict.fromkeys(self._started):
            with contextlib.suppress(httpx.HTTPError):
                if http.post(f"/3/Jobs/{key}/cancel").status_code < 400:
                    cancelled.append(key)
        self._started = []
        return cancelled

    def remove(self, http: httpx.Client) -> None:
        """Delete the sweep's model and frame from the target (at the end: a staging server keeps nothing of ours)."""
        made = self._made.pop(str(http.base_url), None)
        if made is None:
            return
        with contextlib.suppress(httpx.HTTPError):
            http.delete(f"/3/Models/{made.model}")
            http.delete(f"/3/Frames/{made.frame}")
        if self.keys == made:
            self.keys = None

    @staticmethod
    def _present(http: httpx.Client, keys: SweepKeys) -> bool:
        try:
            frame = http.get(f"/3/Frames/{keys.frame}", params={"row_count": 0})
            model = http.get(f"/3/Models/{keys.model}")
        except httpx.HTTPError:
            return False
        return frame.status_code == 200 and model.status_code == 200
