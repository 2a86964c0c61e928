"""Locust users for benchmarks/load_overhead.py: one job poll on an open-model schedule, bare and through the harness.

``BareOpenUser`` is what a hand-written Locust test would do: a FastHttpUser that sleeps until each request is due
and sends one GET. ``HarnessOpenUser`` paces with the harness's ``Pacer`` and polls through LocustTransport and
H2O3Client, as the profiles do. Each records its dispatch delay (sent minus due, ms) as an entry of its own, so both
are measured the same way. Rate and users per class come from BENCH_RATE and BENCH_USERS.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from locust import FastHttpUser, task

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.loadtest import Pacer, fire, harness_http

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "h2o3" / "openapi.yaml"
JOB = os.environ.get("BENCH_JOB_ID", "")
RATE = float(os.environ.get("BENCH_RATE", "10"))  # per class, over its users
USERS = int(os.environ.get("BENCH_USERS", "5"))  # per class


class BareOpenUser(FastHttpUser):
    """GET /3/Jobs/{id} on a fixed schedule with Locust's client and nothing else."""

    def on_start(self) -> None:
        self.interval = USERS / RATE
        self.next_at = time.monotonic() + random.uniform(0, self.interval)

    @task
    def poll(self) -> None:
        due = self.next_at
        self.next_at += self.interval
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        fire(self.environment, "SCHEDULE", "bare dispatch delay", max(time.monotonic() - due, 0.0) * 1000)
        self.client.get(f"/3/Jobs/{JOB}", name="bare /3/Jobs/{job_id}")


class HarnessOpenUser(FastHttpUser):
    """The same poll through the harness: Pacer, then httpx over LocustTransport, H2O3Client.job_status."""

    def on_start(self) -> None:
        self.api = H2O3Client(harness_http(self, CONTRACT, "H2O3"))
        self.pacer = Pacer(USERS, RATE)

    @task
    def poll(self) -> None:
        due = self.pacer.wait()
        fire(self.environment, "SCHEDULE", "harness dispatch delay", (self.pacer.clock() - due) * 1000)
        self.api.job_status(JOB)
