"""h2oharness/loadtest.py's ``job_metrics`` and ``stream_metrics`` when a job or stream fails or Locust ends its user in
the middle of one, run in a subprocess (Locust patches the process with gevent, so it is never imported by pytest)."""

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


#: four jobs that end FAILED and four streams cut short, met inside their blocks (which swallow them); prints what
#: locust.log would get
FAILING = """
import logging
import sys

from locust import events
from locust.env import Environment

from h2oharness.errors import HarnessError, StreamViolation
from h2oharness.loadtest import job_metrics, stream_metrics

logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.WARNING)
environment = Environment(events=events, host="http://127.0.0.1:9")
for _ in range(4):
    with job_metrics(environment, "h2o3 parse") as out:
        out.submitted()
        raise HarnessError("job parse_1 ended FAILED: no such file")
    with stream_metrics(environment, "h2ogpte jsonl"):
        raise StreamViolation("JSONL stream cut before its end after 3 events")
"""


def run(script: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_a_failed_job_or_stream_is_said_in_one_line_as_a_failed_task_is() -> None:
    lines = run(FAILING).splitlines()
    jobs = [line for line in lines if line.startswith("JOB h2o3 parse failed against http://127.0.0.1:9: HarnessError")]
    streams = [line for line in lines if line.startswith("STREAM h2ogpte jsonl failed against http://127.0.0.1:9: ")]
    assert len(jobs) == len(streams) == 3, lines  # the first three of each kind
    assert "job parse_1 ended FAILED: no such file -> " in jobs[0]
    assert "curl" not in jobs[0]  # load writes no curl lines: the advice is load's
    assert "StreamViolation: JSONL stream cut before its end after 3 events -> " in streams[0]
    assert streams[-1].endswith("(further StreamViolation failures of STREAM h2ogpte jsonl are counted, not logged)")


def test_a_job_still_running_when_the_user_is_killed_at_the_stop_is_counted_unfinished() -> None:
    fired = json.loads(run(SCRIPT).strip().splitlines()[-1])
    # the submitted one is unfinished, neither done nor failed; the one never submitted is no job at all
    assert fired == [["JOB", "h2o3 parse submitted", False], ["JOB", "h2o3 parse unfinished at stop", False]]


#: one job that ends well on a schedule, one killed once submitted, one stream read to its end (a stand-in reader):
#: prints the name of every entry they fired
EVERY_ENTRY = """
import json
import time

import gevent
from locust import events
from locust.env import Environment

from h2oharness.errors import HarnessError
from h2oharness.loadtest import job_metrics, stream_metrics

environment = Environment(events=events)
fired = []
events.request.add_listener(lambda request_type, name, **_: fired.append(f"{request_type} {name}"))
with job_metrics(environment, "j", scheduled=time.monotonic()) as out:
    out.submitted()
with job_metrics(environment, "j"):
    raise HarnessError("HTTP 429")  # its submission refused


def stuck() -> None:
    with job_metrics(environment, "j") as out:
        out.submitted()
        gevent.sleep(60)


user = gevent.spawn(stuck)
gevent.sleep(0.01)
user.kill()


class Stats:
    time_to_headers, characters = 0.01, 5

    def stalls(self, after):
        return [1.5]


class Metrics:
    ttft, itl, tpot, output_tokens, tokens_per_second, usage_mismatch, e2e = 0.02, (0.01,), 0.01, 2, 10.0, 1, 0.05


class Reader:
    stats = Stats()

    def metrics(self):
        return Metrics()


with stream_metrics(environment, "s") as out:
    out["reader"] = Reader()
print(json.dumps(sorted(set(fired))))
"""


def test_the_entries_job_and_stream_metrics_record_are_those_the_slo_check_knows() -> None:
    # h2oharness/loadentries.py refuses an SLO on any other entry before a load starts
    from h2oharness.report.entrynames import JOB, JOB_SUFFIXES, STREAM, STREAM_SUFFIXES

    fired = json.loads(run(EVERY_ENTRY))
    assert fired == sorted({f"{JOB} j {s}" for s in JOB_SUFFIXES} | {f"{STREAM} s {s}" for s in STREAM_SUFFIXES})


#: a job whose submission the target refuses (HTTP 409, as the H2O-3 client raises it), and one accepted that then
#: ends FAILED; prints every event they fired as [type, name, failed]
REFUSED = """
import json

import httpx
from locust import events
from locust.env import Environment

from h2oharness.errors import HarnessError
from h2oharness.loadtest import job_metrics

environment = Environment(events=events, host="http://127.0.0.1:9")
fired = []
events.request.add_listener(lambda request_type, name, exception=None, **_: fired.append(
    [request_type, name, exception is not None]))
request = httpx.Request("POST", "http://127.0.0.1:9/3/Parse")
with job_metrics(environment, "h2o3 parse") as out:
    answer = httpx.Response(409, request=request)
    raise httpx.HTTPStatusError("HTTP 409 Conflict", request=request, response=answer)
with job_metrics(environment, "h2o3 parse") as out:
    out.submitted()
    raise HarnessError("job parse_1 ended FAILED: no such file")
print(json.dumps(fired))
"""


def test_a_refused_submission_is_counted_refused_not_as_a_failed_job() -> None:
    """A refused submission was a failed ``submit-to-done``: the jobs' failures and their submit-to-done figures
    mixed jobs the server ran and failed with submissions it never took."""
    fired = json.loads(run(REFUSED).strip().splitlines()[-1])
    assert fired == [
        ["JOB", "h2o3 parse refused", True],
        ["JOB", "h2o3 parse submitted", False],
        ["JOB", "h2o3 parse submit-to-done", True],
    ]
