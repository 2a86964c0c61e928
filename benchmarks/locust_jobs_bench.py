"""Locust users for benchmarks/load_users.py: the same job poll, bare and through the harness's client.

``BareJobsUser`` is what a hand-written Locust test would do (FastHttpUser, one GET);
``HarnessJobsUser`` polls through LocustTransport and H2O3Client, as the profiles do.
Both poll one job the benchmark created (BENCH_JOB_ID), so they hit the same endpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

from locust import FastHttpUser, task

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.loadtest import harness_http

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "h2o3" / "openapi.yaml"
JOB = os.environ.get("BENCH_JOB_ID", "")


class BareJobsUser(FastHttpUser):
    """GET /3/Jobs/{id} with Locust's client and nothing else."""

    @task
    def poll(self) -> None:
        self.client.get(f"/3/Jobs/{JOB}", name="bare /3/Jobs/{job_id}")


class HarnessJobsUser(FastHttpUser):
    """The same poll through the harness: httpx over LocustTransport, H2O3Client.job_status."""

    def on_start(self) -> None:
        self.api = H2O3Client(harness_http(self, CONTRACT, "H2O3"))

    @task
    def poll(self) -> None:
        self.api.job_status(JOB)
