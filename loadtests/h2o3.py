"""Locust profiles for H2O-3: the polling path (parse and GBM jobs) and a mixed traffic model.

Run through ``h2oharness load h2o3.polling`` / ``h2o3.mixed``, never imported by pytest.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
import uuid
from pathlib import Path

from locust import between, task

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.client import H2O3Client, H2O3ResponseError
from h2oharness.http.jobkinds import JobKinds
from h2oharness.http.polling import Backoff, wait_for_job
from h2oharness.loadtest import HarnessUser, Pacer, harness_http, job_metrics
from h2oharness.settings import Settings

SETTINGS = Settings.from_env()

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "h2o3" / "openapi.yaml"
ROWS = SETTINGS.h2o3_load_rows or 200
JOB_TIMEOUT = SETTINGS.job_timeout or 120.0
BACKOFF = Backoff(initial=0.2, maximum=2.0)
_CSV = payloads.classification_csv(rows=ROWS, seed=5)
_names = itertools.count()
#: every user of this process learns where parses and GBMs end from all of them
KINDS = JobKinds()


class _H2O3User(HarnessUser):
    abstract = True

    def on_start(self) -> None:
        self.api = H2O3Client(harness_http(self, CONTRACT, "H2O3"))
        self.pacer = Pacer.from_environment()

    def on_stop(self) -> None:
        self.api.http.close()

    def _parse(self, scheduled: float | None = None) -> str | None:
        """Upload the CSV, parse it and wait: one ``parse`` job, measured; the frame's name, None if it failed."""
        frame = f"load_{os.getpid()}_{next(_names)}_{uuid.uuid4().hex[:6]}"
        made: list[str] = []  # what the server holds of this parse so far, the newest last
        with job_metrics(self.environment, "h2o3 parse", scheduled) as out:
            upload = self.api.post_file(_CSV.encode(), destination_frame=f"{frame}.csv")
            made.append(str(upload["destination_frame"]))
            setup = self.api.parse_setup([made[-1]])
            job = self.api.parse(setup, destination_frame=frame)["job"]["key"]["name"]
            made.append(frame)  # the parse consumes the upload (delete_on_done)
            out.submitted()
            out["polls"] = self._wait(job, "parse", time.monotonic())
        if not out["ok"]:
            # the upload a refused parse left behind, or the frame of a submitted one (a failed poll may hide a
            # parse that ended well); never a frame that was not made, whose 404 would be a second failure
            if made:
                self._drop(made[-1])
            return None
        return frame

    def _train(self, frame: str) -> None:
        with job_metrics(self.environment, "h2o3 gbm") as out:
            build = self.api.build_model("gbm", **payloads.gbm_params(frame, ntrees=3, max_depth=2))
            submitted = time.monotonic()
            out.submitted()
            out["model"] = build["job"]["dest"]["name"]
            out["polls"] = self._wait(build["job"]["key"]["name"], "gbm", submitted)
        if "model" in out:
            with contextlib.suppress(H2O3ResponseError):
                self.api.delete_model(out["model"])

    def _wait(self, job: str, kind: str, submitted: float) -> int:
        """Poll ``job`` to its end as a job of ``kind``; ``submitted``: when its submit was answered (its progress
        was 0 no later, the poller's first sample). The polls it took."""
        result = wait_for_job(
            lambda: self.api.job_status(job),
            timeout=JOB_TIMEOUT,
            backoff=BACKOFF,
            what=job,
            started=submitted,
            history=KINDS[kind],
        )
        return result.polls

    def _drop(self, frame: str) -> None:
        with contextlib.suppress(H2O3ResponseError):
            self.api.delete_frame(frame)


class PollingUser(_H2O3User):
    """Submit a parse, poll it to the end, train a small GBM on it, poll that, clean up."""

    @task
    def parse_and_train(self) -> None:
        frame = self._parse(self.pacer.wait() if self.pacer.interval else None)
        if frame is not None:
            try:
                self._train(frame)
            finally:
                self._drop(frame)


class MixedUser(_H2O3User):
    """Mostly reads and polls, some submissions: what a dashboard plus a few pipelines send."""

    wait_time = between(0.05, 0.2)

    @task(10)
    def read_frames(self) -> None:
        self.api.frames()

    @task(6)
    def read_jobs(self) -> None:
        self.api.jobs()

    @task(4)
    def cloud(self) -> None:
        self.api.cloud()

    @task(3)
    def models(self) -> None:
        self.api.models()

    @task(2)
    def submit(self) -> None:
        frame = self._parse(self.pacer.wait() if self.pacer.interval else None)
        if frame is not None:
            self._drop(frame)
