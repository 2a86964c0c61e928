"""Replay seed 000's own curl examples, literally, and report where the target disagrees with them.

Drift is a finding for the report, not a failed build: the test fails only when
the replay itself cannot be done (an example is lost, the target does not
answer, or answers that it cannot now: 429, 502, 503, 504; an answer is not JSON).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.mock import JOB_TIMEOUT
from h2oharness.errors import NOT_ANSWERED, JobTimeout
from h2oharness.http.polling import Backoff
from h2oharness.http.retryafter import retry_after
from h2oharness.seeds import curl_examples
from h2oharness.settings import variable
from h2oharness.targets import Target, job_timeout

SEED = Path(__file__).with_name("docs") / "000_e1d9cd603d9ebb67.txt"
SEED_HOST = "http://localhost:54321"
JOB_STATES = {"CREATED", "RUNNING", "DONE", "CANCELLED", "FAILED"}


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.replace("ERROR MESSAGE:", "").splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def _error_text(body: Any) -> str:
    jobs = body.get("jobs") if isinstance(body, dict) else None
    if jobs and isinstance(jobs[0], dict) and jobs[0].get("status"):
        job = jobs[0]
        return f"job {job['status']}" + (f": {_first_line(str(job['exception']))}" if job.get("exception") else "")
    if isinstance(body, dict):
        for key in ("msg", "exception_msg", "dev_msg"):
            if body.get(key) and _first_line(str(body[key])):
                return _first_line(str(body[key]))
        messages = body.get("messages") or []
        errors = [m.get("message", "") for m in messages if isinstance(m, dict) and m.get("message_type") == "ERRR"]
        if errors:
            return "; ".join(errors)[:300]
    return json.dumps(body)[:300]


def _expectation(path: str) -> str:
    if (path.startswith("/3/Parse") and not path.startswith("/3/ParseSetup")) or path.startswith("/3/ModelBuilders/"):
        return "HTTP 200 with a job object (job.key.name)"
    if path.startswith("/3/Jobs/"):
        return "HTTP 200, and the job the seed started ends DONE"
    return "HTTP 200 with a JSON body"


def _meets(path: str, status: int, body: Any) -> bool:
    if status != 200 or not isinstance(body, dict):
        return False
    if "job object" in _expectation(path):
        return bool((body.get("job") or {}).get("key", {}).get("name"))
    if path.startswith("/3/Jobs/"):
        jobs = body.get("jobs") or [{}]
        return bool(jobs[0].get("status") == "DONE")
    return True


def _settle(http: httpx.Client, path: str, resp: httpx.Response, timeout: float) -> httpx.Response:
    """Poll a job the way the seed's loop does, until it leaves CREATED/RUNNING; JobTimeout after ``timeout`` s.

    A job that never ends leaves nothing to compare with the seed's promise (and nothing for the examples after it).
    A poll the server puts off (``NOT_ANSWERED``) is sent again after the wait it asks for, as ``wait_for_job``
    does, ``Backoff().retries`` times in a row; the answer after that is the one compared.
    """
    deadline = time.monotonic() + timeout
    put_off = 0
    while resp.status_code == 200 or (resp.status_code in NOT_ANSWERED and put_off < Backoff().retries):
        if resp.status_code == 200:
            put_off, status = 0, ((resp.json().get("jobs") or [{}])[0]).get("status")
            if status not in ("CREATED", "RUNNING"):
                break
        else:
            put_off, status = put_off + 1, f"unanswered (HTTP {resp.status_code})"
        if time.monotonic() >= deadline:
            raise JobTimeout(f"GET {path}: the job the seed started is still {status} after {timeout:g} s")
        asked = retry_after(resp)
        time.sleep(0.5 if asked is None else min(asked, max(0.0, deadline - time.monotonic())))
        resp = http.get(path)
    return resp


def _dataset(tmp_path: Path, target: Target) -> str:
    if target.kind == "live":
        server_path = variable("H2O3_DATASET_PATH")
        if not server_path:
            pytest.skip("replaying the seed against a live server needs H2O3_DATASET_PATH: a CSV with a 'label' column")
        return server_path
    path = tmp_path / "train.csv"
    rows = ["x1,x2,color,label"] + [f"{i % 7},{(i * 3) % 11}.5,{'red' if i % 3 else 'blue'},{i % 2}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_seed_000_examples_replayed_literally(
    h2o3_target: Target, h2o3_http: httpx.Client, tmp_path: Path, harness_drift: Any
) -> None:
    """Every curl call of the seed is sent as written (placeholders filled) and compared with what it promises."""
    examples = curl_examples(SEED.read_text())
    dataset = _dataset(tmp_path, h2o3_target)
    # the seed asks the reader to fill these in; everything else is sent exactly as written
    fills = {"/data/train.csv": dataset, "JOB_KEY": "", "my_gbm_model": "", "test_frame": "train_frame"}
    settle = job_timeout(h2o3_target, "H2O3_JOB_TIMEOUT", mock=JOB_TIMEOUT, real=300)
    replayed = 0
    for example in examples:
        assert example.url.startswith(SEED_HOST), f"line {example.line}: example not on the seed's base URL"
        literal = example.url.removeprefix(SEED_HOST)
        path, body = literal, example.body
        for placeholder, value in fills.items():
            if value:
                path = path.replace(placeholder, value)
                body = body.replace(placeholder, value) if body else body
        resp = h2o3_http.request(example.method, path, content=body, headers=example.headers)
        if literal.startswith("/3/Jobs/"):
            resp = _settle(h2o3_http, path, resp, settle)
        replayed += 1
        if resp.status_code in NOT_ANSWERED:
            pytest.fail(f"line {example.line}: {example.method} {literal} was not answered (HTTP {resp.status_code})")
        try:
            answer = resp.json()
        except ValueError:
            pytest.fail(
                f"line {example.line}: {example.method} {literal} answered HTTP {resp.status_code} without JSON"
            )
        if isinstance(answer, dict) and (answer.get("job") or {}).get("key"):
            fills["JOB_KEY"] = answer["job"]["key"]["name"]
            if literal.startswith("/3/ModelBuilders/"):
                fills["my_gbm_model"] = (answer["job"].get("dest") or {}).get("name", "")
        if not _meets(literal, resp.status_code, answer):
            harness_drift(
                source=SEED.name,
                what=f"line {example.line}: {example.method} {literal}"
                + (f" (body {json.dumps(example.json_body(), separators=(',', ':'))})" if body else ""),
                expected=_expectation(literal),
                observed=f"HTTP {resp.status_code}: {_error_text(answer)}",
            )
    assert replayed == len(examples) >= 10


def test_seed_000_polling_loop_handles_every_final_state(harness_drift: Any) -> None:
    """The seed's shell loop must stop on each final job state it documents itself."""
    text = SEED.read_text()
    loop = text[text.index("# Poll until done") :]
    handled = {state for state in JOB_STATES if f'= "{state}" ]' in loop}
    assert {"DONE", "FAILED"} <= handled, "the seed's polling loop is no longer where the harness expects it"
    missing = sorted({"DONE", "FAILED", "CANCELLED"} - handled)
    if missing:
        harness_drift(
            source=SEED.name,
            what="the shell polling loop under 'Asynchronous execution model'",
            expected="it stops on every final state the page lists (DONE, FAILED, CANCELLED)",
            observed=f"it never stops on {', '.join(missing)}: a cancelled job makes it poll forever",
        )
