"""Locust profiles for H2O Workflows: the run-polling path and a mixed traffic model.

Run through ``h2oharness load workflows.polling`` / ``workflows.mixed``, never imported by pytest.
Each user owns one workflow (created and activated on start, deleted on stop) in ``WORKFLOWS_WORKSPACE``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path

from locust import between, task

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient, WorkflowsResponseError
from h2oharness.http.jobkinds import JobKinds
from h2oharness.http.polling import Backoff
from h2oharness.loadtest import HarnessUser, Pacer, harness_http, job_metrics
from h2oharness.settings import Settings, variable

SETTINGS = Settings.from_env()

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "workflows" / "openapi.yaml"
WORKSPACE = f"workspaces/{variable('WORKFLOWS_WORKSPACE') or 'h2oharness-load'}"
RUN_TIMEOUT = SETTINGS.job_timeout or 120.0
BACKOFF = Backoff(initial=0.2, maximum=2.0)

#: every user of this process learns where runs end from all of them
KINDS = JobKinds()


class _WorkflowsUser(HarnessUser):
    abstract = True

    def on_start(self) -> None:
        self.api = WorkflowsClient(harness_http(self, CONTRACT, "WORKFLOWS"))
        self.pacer = Pacer.from_environment()
        workflow = self.api.create_workflow(WORKSPACE, payloads.succeeding_source(f"load-{uuid.uuid4().hex[:10]}"))
        self.workflow = str(workflow["name"])
        self.revision = str(self.api.activate(self.workflow)["activeRevision"])

    def on_stop(self) -> None:
        with contextlib.suppress(WorkflowsResponseError):
            self.api.delete_workflow(self.workflow)
        self.api.http.close()

    def _run(self) -> None:
        """Start a run of the user's workflow and poll it to the end: one ``run`` job, measured."""
        scheduled = self.pacer.wait() if self.pacer.interval else None
        with job_metrics(self.environment, "workflows run", scheduled) as out:
            run = self.api.run_revision(self.revision)
            submitted = time.monotonic()
            out.submitted()
            result = self.api.wait(
                str(run["name"]), timeout=RUN_TIMEOUT, backoff=BACKOFF, started=submitted, history=KINDS["run"]
            )
            out["polls"] = result.polls


class PollingUser(_WorkflowsUser):
    """Run, poll the run until it succeeds, again."""

    @task
    def run_and_poll(self) -> None:
        self._run()


class MixedUser(_WorkflowsUser):
    """Mostly listing and reading, some runs: a dashboard and a few schedulers."""

    wait_time = between(0.05, 0.2)

    @task(8)
    def list_workflows(self) -> None:
        self.api.list_workflows(WORKSPACE, page_size=20)

    @task(6)
    def read_workflow(self) -> None:
        self.api.get_workflow(self.workflow)

    @task(4)
    def list_runs(self) -> None:
        self.api.list_runs(self.revision, page_size=20)

    @task(2)
    def start_run(self) -> None:
        self._run()
