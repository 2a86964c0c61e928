"""Locust profiles for CorePlexML Experiments: the experiment-polling path and a mixed traffic model.

Run through ``h2oharness load coreplexml.polling`` / ``coreplexml.mixed``, never imported by pytest.
Each user owns a project with one uploaded dataset (made on start, deleted with everything in it on stop).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path

from locust import between, task

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.http.jobkinds import JobKinds
from h2oharness.http.polling import Backoff
from h2oharness.loadtest import HarnessUser, Pacer, harness_http, job_metrics
from h2oharness.settings import Settings

SETTINGS = Settings.from_env()

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "coreplexml" / "openapi.yaml"
TIMEOUT = SETTINGS.job_timeout or 300.0
BACKOFF = Backoff(initial=0.5, maximum=5.0)
CONFIG = {"max_models": 3, "nfolds": 0, "seed": 1}
_CSV = payloads.classification_csv(rows=200, seed=4)

#: every user of this process learns where experiments end from all of them
KINDS = JobKinds()


class _CorePlexMLUser(HarnessUser):
    abstract = True

    def on_start(self) -> None:
        self.api = CorePlexMLClient(harness_http(self, CONTRACT, "COREPLEXML"))
        self.pacer = Pacer.from_environment()
        self.project = str(self.api.create_project(f"h2oharness load {uuid.uuid4().hex[:8]}")["id"])
        upload = self.api.upload_dataset(self.project, "load.csv", _CSV, "load")
        self.version = str(upload["dataset_version_id"])

    def on_stop(self) -> None:
        with contextlib.suppress(CorePlexMLResponseError):
            self.api.delete_project(self.project)
        self.api.http.close()

    def _experiment(self) -> None:
        """Create an AutoML experiment and poll its status until it succeeds: one ``experiment`` job, measured."""
        scheduled = self.pacer.wait() if self.pacer.interval else None
        with job_metrics(self.environment, "coreplexml experiment", scheduled) as out:
            created = self.api.create_experiment(self.project, self.version, "label", name="load", config=CONFIG)
            submitted = time.monotonic()
            out.submitted()
            out["id"] = str(created["id"])
            result = self.api.wait(
                out["id"], timeout=TIMEOUT, backoff=BACKOFF, started=submitted, history=KINDS["experiment"]
            )
            out["polls"] = result.polls
        if "id" in out:
            with contextlib.suppress(CorePlexMLResponseError):
                self.api.delete_experiment(out["id"])


class PollingUser(_CorePlexMLUser):
    """Create an experiment, poll it to the end, delete it, again."""

    @task
    def experiment(self) -> None:
        self._experiment()


class MixedUser(_CorePlexMLUser):
    """Mostly listing and status reads, some experiments: a dashboard and a few training pipelines."""

    wait_time = between(0.05, 0.2)

    @task(8)
    def list_experiments(self) -> None:
        self.api.list_experiments(project_id=self.project, limit=20)

    @task(4)
    def projects(self) -> None:
        self.api.list_projects(limit=20)

    @task(2)
    def experiment(self) -> None:
        self._experiment()
