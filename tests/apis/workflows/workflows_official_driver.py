"""Drive the official ``h2o_workflows`` client against a server and print what it saw as one JSON line.

Run as a subprocess: ``python workflows_official_driver.py URL REFRESH_TOKEN CLIENT_ID``. It logs in with
``login_custom`` (discovery document, refresh-token grant, ``GET /version``) and runs the seed's flow: create,
validate, activate, run, poll, steps and logs, cancel, retry, paginated list, deactivate, delete.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

GOOD = """id: {wid}
name: Official client flow
inputs:
  who: {{type: string, default: world}}
jobs:
  hello:
    name: Say hello
    steps:
      - id: greet
        name: Greet
        run: echo hello ${{{{ inputs.who }}}}
  after:
    needs: [hello]
    steps:
      - run: echo done
"""
FAILING = """id: {wid}
jobs:
  ok:
    steps:
      - run: echo fine
  broken:
    steps:
      - name: Fail
        run: echo about to fail && exit 3
      - run: echo never
"""
SLOW = """id: {wid}
jobs:
  slow:
    steps:
      - run: echo start && sleep 600
"""
BAD = "id: Not Valid\njobs:\n  a:\n    steps: []\n"
WS = "workspaces/official"


def _wait(clients: Any, name: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        run = clients.run.get_run(name)
        if run.state.value in ("STATE_SUCCEEDED", "STATE_FAILED") or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def main(url: str, refresh_token: str, client_id: str) -> dict[str, Any]:
    """Run the flow and return its observations."""
    import h2o_workflows
    from h2o_workflows.exception import CustomApiException
    from h2o_workflows.workflow.workflow import Workflow

    clients = h2o_workflows.login_custom(endpoint=url, refresh_token=refresh_token, issuer_url=url, client_id=client_id)
    out: dict[str, Any] = {}
    good = clients.workflow.validate_workflow(WS, GOOD.format(wid="ok-flow"))
    bad = clients.workflow.validate_workflow(WS, BAD)
    out["valid"] = good.is_valid
    out["invalid"] = bad.is_valid
    out["bad_paths"] = sorted(e.field_path for e in bad.validation_errors)

    wf = clients.workflow.create_workflow(WS, Workflow(source_contents=GOOD.format(wid="ok-flow")))
    out["created"] = [wf.name, wf.state.value, wf.display_name]
    wf = clients.workflow.activate_workflow(wf.name)
    out["active_revision"] = wf.active_revision
    rev = clients.workflow_revision.get_workflow_revision(wf.active_revision)
    out["revision_state"] = rev.state.value
    run = clients.workflow_revision.run_workflow_revision(wf.active_revision)
    out["first_state"] = run.state.value
    run = _wait(clients, run.name)
    out["run"] = [run.state.value, run.failure_reason.value]
    attempts = clients.run_attempt.list_run_attempts(run.name).run_attempts
    jobs = clients.job.list_jobs(attempts[0].name).jobs
    out["jobs"] = sorted((j.job_id, j.state.value) for j in jobs)
    hello = next(j for j in jobs if j.job_id == "hello")
    steps = clients.step.list_steps(hello.name).steps
    out["steps"] = [(s.ref_id, s.state.value, s.exit_code) for s in steps]
    out["log"] = clients.step.get_step_logs(steps[0].name)
    out["streamed"] = "".join(clients.step.stream_step_logs(steps[0].name))

    failing = clients.workflow.create_workflow(WS, Workflow(source_contents=FAILING.format(wid="fails")))
    failing = clients.workflow.activate_workflow(failing.name)
    failed = _wait(clients, clients.workflow_revision.run_workflow_revision(failing.active_revision).name)
    out["failed"] = [failed.state.value, failed.failure_reason.value, failed.failure_message]
    retried = clients.run.retry_run(failed.name)
    retried = _wait(clients, retried.name)
    attempts = clients.run_attempt.list_run_attempts(failed.name).run_attempts
    out["attempts"] = len(attempts)
    second = {j.job_id: j.state.value for j in clients.job.list_jobs(attempts[-1].name).jobs}
    out["retry_jobs"] = second
    out["retried"] = [retried.state.value, retried.failure_reason.value]

    slow = clients.workflow.create_workflow(WS, Workflow(source_contents=SLOW.format(wid="slow")))
    slow = clients.workflow.activate_workflow(slow.name)
    slow_run = clients.workflow_revision.run_workflow_revision(slow.active_revision)
    canceled = clients.run.cancel_run(slow_run.name)
    out["canceled"] = [canceled.state.value, canceled.failure_reason.value]

    seen, token, pages = [], "", 0
    while pages < 10:
        listed = clients.workflow.list_workflows(WS, page_size=2, page_token=token)
        seen += [w.name for w in listed.workflows]
        pages += 1
        token = listed.next_page_token
        if not token:
            break
    out["listed"] = [len(seen), pages]

    wf = clients.workflow.deactivate_workflow(wf.name)
    out["deactivated"] = [wf.state.value, wf.active_revision]
    try:
        clients.workflow_revision.run_workflow_revision(rev.name)
        out["refused"] = None
    except CustomApiException as exc:
        out["refused"] = str(exc)[:200]
    clients.run.delete_run(run.name)
    for name in (wf.name, failing.name, slow.name):
        clients.workflow.delete_workflow(name)
    try:
        clients.workflow.get_workflow(wf.name)
        out["gone"] = None
    except CustomApiException as exc:
        out["gone"] = str(exc)[:200]
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3])), flush=True)
