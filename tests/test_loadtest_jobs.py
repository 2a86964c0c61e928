"""h2oharness/loadtest.py's ``job_metrics`` when Locust ends a user in the middle of a job, run in a subprocess (Locust
patches the process with gevent, so it is never imported by pytest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: a user's task killed as Locust kills it --stop-timeout after the stop: once after its job was submitted, once
#: while the submission was still in flight; prints every event it fired as [type, name, failed]
SCRIPT = """
import json

import gevent
from locust import events
from locust.env import Environment

from h2oharness.loadtest import job_metrics

environment = Environment(events=events)
fired = []
events.request.add_listener(lambda request_type, name, exception=None, **_: fired.append(
    [request_type, name, exception is not None]))


def task(submit: bool, ready: gevent.event.Event) -> None:
    with job_metrics(environment, "h2o3 parse") as out:
        if submit:
            out.submitted()
        ready.set()
        gevent.sleep(60)  # a stuck job: polled until the user is killed


for submit in (True, False):
    ready = gevent.event.Event()
    user = gevent.spawn(task, submit, ready)
    ready.wait()
    user.kill()
print(json.dumps(fired))
"""


def test_a_job_still_running_when_the_user_is_killed_at_the_stop_is_counted_unfinished() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fired = json.loads(proc.stdout.strip().splitlines()[-1])
    # the submitted one is unfinished, neither done nor failed; the one never submitted is no job at all
    assert fired == [["JOB", "h2o3 parse submitted", False], ["JOB", "h2o3 parse unfinished at stop", False]]
