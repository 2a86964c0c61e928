"""Drive the official ``h2o_workflows`` client against a server and print what it saw as one JSON line.

Run as a subprocess: ``python workflows_official_driver.py URL REFRESH_TOKEN CLIENT_ID [surface]``. It logs in
with ``login_custom`` (discovery document, refresh-token grant, ``GET /version``) and runs the seed's flow: create,
validate, activate, run, poll, steps and logs, cancel, retry, paginated list, deactivate, delete. With ``surface``
it calls every public method of every client ``login_custom`` returns (found by introspection) once and prints
each one's outcome.
"""

from __future__ import annotations

import inspect
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


SURFACE_WS = "workspaces/surface"
LOGGED = """id: {wid}
jobs:
  talk:
    steps:
      - run: echo to stdout && echo to stderr 1>&2
"""
ACTION = """id: {aid}
name: Greeter
inputs:
  who: {{type: string, default: world}}
outputs:
  greeting: {{description: what was said}}
steps:
  - run: echo hello
"""
#: the order of the verbs: made first, read next, changed, ended, removed last
RANKS = {"create": 0, "validate": 0, "apply": 1, "activate": 1, "publish": 1, "run": 1, "update": 3, "cancel": 4,
         "retry": 5, "deactivate": 6, "delete": 7}  # fmt: skip


def _rank(method: str) -> int:
    if method.startswith("delete_all"):
        return 8  # after the one-by-one removal, which needs the object it removes
    return RANKS.get(method.split("_")[0], 2)


def _setup(clients: Any) -> dict[str, dict[str, Any]]:
    """The resources the methods read, made with the client itself: a finished run with a step that writes to
    both streams, and a slow run to cancel and retry. Returns each client's ``name`` and ``parent``."""
    from h2o_workflows.workflow.workflow import Workflow

    fast = clients.workflow.activate_workflow(
        clients.workflow.create_workflow(SURFACE_WS, Workflow(source_contents=LOGGED.format(wid="talks"))).name
    )
    done = _wait(clients, clients.workflow_revision.run_workflow_revision(fast.active_revision).name)
    attempt = clients.run_attempt.list_run_attempts(done.name).run_attempts[0]
    job = clients.job.list_jobs(attempt.name).jobs[0]
    step = clients.step.list_steps(job.name).steps[0]
    slow = clients.workflow.activate_workflow(
        clients.workflow.create_workflow(SURFACE_WS, Workflow(source_contents=SLOW.format(wid="sleeps"))).name
    )
    running = clients.workflow_revision.run_workflow_revision(slow.active_revision)
    return {
        "workflow": {"parent": SURFACE_WS},
        "workflow_revision": {"name": fast.active_revision, "parent": fast.name},
        "run": {"name": running.name, "parent": slow.active_revision},
        "run.delete_run": {"name": done.name},
        "run_attempt": {"name": attempt.name, "parent": done.name},
        "job": {"name": job.name, "parent": attempt.name},
        "step": {"name": step.name, "parent": job.name},
        "runner": {"parent": SURFACE_WS},
        "action": {"parent": SURFACE_WS},
        "action_revision": {},
    }


def _learn(client: str, method: str, answer: Any, context: dict[str, dict[str, Any]]) -> None:
    """What a call's answer gives the calls after it."""
    if method == "create_workflow":
        context["workflow"].update(name=answer.name, workflow=answer)
    elif method == "create_runner":
        context["runner"].update(name=answer.name, runner=answer)
    elif method == "create_action":
        context["action"].update(name=answer.name, action=answer)
        context["action_revision"]["parent"] = answer.name
    elif method == "publish_action":
        context["action_revision"]["name"] = answer.name


def surface(url: str, refresh_token: str, client_id: str) -> dict[str, Any]:
    """Call every public method of every client once; each outcome is "ok" or the exception it raised."""
    import h2o_workflows
    from h2o_workflows.action.action import Action
    from h2o_workflows.runner.runner import Runner
    from h2o_workflows.runner.runner_config import RunnerConfig
    from h2o_workflows.workflow.workflow import Workflow

    clients = h2o_workflows.login_custom(endpoint=url, refresh_token=refresh_token, issuer_url=url, client_id=client_id)
    context = _setup(clients)
    given: dict[str, Any] = {
        "workflow": Workflow(source_contents=GOOD.format(wid="surface-flow")),
        "source_contents": GOOD.format(wid="surface-flow"),
        "runner": Runner(sandbox_engine_image="images/python", sandbox_engine_template="templates/small"),
        "runner_id": "r1",
        "configs": [RunnerConfig(runner_id="r1", sandbox_engine_image="images/python", sandbox_engine_template="t")],
        "action": Action(source_contents=ACTION.format(aid="greeter")),
        "filter_": "state = STATE_SUCCEEDED",
        "order_by": "jobId desc",
        "page_size": 10,
    }
    calls = [
        (client, method, function, getattr(getattr(clients, client), method))
        for client, instance in vars(clients).items()
        for method, function in inspect.getmembers(type(instance), inspect.isfunction)
        if not method.startswith("_")
    ]
    order = list(vars(clients))
    # removals go in the reverse order of the clients, so nothing is removed before what hangs off it is used
    calls.sort(key=lambda c: (_rank(c[1]), order.index(c[0]) * (-1 if _rank(c[1]) >= 7 else 1)))
    outcomes: dict[str, str] = {}
    for client, method, function, bound in calls:
        known = {**given, **context[client], **context.get(f"{client}.{method}", {})}
        if method.startswith(("update_", "create_")) and client in ("workflow", "runner", "action"):
            known[client] = (
                context[client].get(client, given[client]) if method.startswith("update_") else given[client]
            )
        names = list(inspect.signature(function).parameters)[1:]
        kwargs = {n: known[n] for n in names if n in known}
        key = f"{type(getattr(clients, client)).__name__}.{method}"
        try:
            answer = bound(**kwargs)
            if inspect.isgenerator(answer):
                answer = "".join(answer)
        except Exception as exc:
            outcomes[key] = f"{type(exc).__name__}: {str(exc)[:200]}"
            continue
        outcomes[key] = "ok"
        _learn(client, method, answer, context)
    return {"outcomes": outcomes}


READ_WS = "workspaces/readback"
RENAMED = GOOD.replace("name: Official client flow", "name: Renamed flow")
BAD_ACTION = "id: greeter\nname: No steps\nsteps: []\n"


def readback(url: str, refresh_token: str, client_id: str) -> dict[str, Any]:
    """The methods the seed flow does not read an answer from, in the order a user meets them: a workflow's get and
    update, its revisions, a run's listing, attempt, job and step by name, a run's deletion, then runners and
    actions from creation to removal. Returns what each answer said."""
    import h2o_workflows
    from h2o_workflows.action.action import Action
    from h2o_workflows.exception import CustomApiException
    from h2o_workflows.inputs import InputValues, StringInputValue
    from h2o_workflows.runner.runner import Runner
    from h2o_workflows.runner.runner_config import RunnerConfig
    from h2o_workflows.workflow.workflow import Workflow

    def status(call: Any, *args: Any) -> str:
        try:
            call(*args)
        except CustomApiException as exc:
            return str(exc).split(" ", 1)[0]
        return "ok"

    clients = h2o_workflows.login_custom(endpoint=url, refresh_token=refresh_token, issuer_url=url, client_id=client_id)
    out: dict[str, Any] = {}
    made = clients.workflow.create_workflow(READ_WS, Workflow(source_contents=GOOD.format(wid="flow")))
    got = clients.workflow.get_workflow(made.name)
    inputs = got.input_definitions.string_inputs if got.input_definitions else []
    out["got"] = [got.name, got.display_name, got.state.value, got.source_contents == made.source_contents]
    out["got_inputs"] = [(i.parameter, i.default_value) for i in inputs]
    got.source_contents = RENAMED.format(wid="flow")
    updated = clients.workflow.update_workflow(got)
    out["updated"] = [updated.display_name, updated.update_time is not None]
    out["reread"] = clients.workflow.get_workflow(made.name).display_name
    first = clients.workflow.activate_workflow(made.name).active_revision
    updated.source_contents = GOOD.format(wid="flow")
    clients.workflow.update_workflow(updated)
    second = clients.workflow.activate_workflow(made.name).active_revision
    page = clients.workflow_revision.list_workflow_revisions(made.name, page_size=1)
    revisions = list(page.workflow_revisions)
    if page.next_page_token:
        revisions += clients.workflow_revision.list_workflow_revisions(
            made.name, page_size=1, page_token=page.next_page_token
        ).workflow_revisions
    out["revisions"] = [first, second, page.next_page_token != ""]
    out["revision_list"] = sorted((r.name, r.state.value) for r in revisions)

    given = InputValues(string_values=[StringInputValue(parameter="who", value="reader")])
    run = _wait(clients, clients.workflow_revision.run_workflow_revision(second, given).name)
    other = _wait(clients, clients.workflow_revision.run_workflow_revision(second).name)
    runs = clients.run.list_runs(second)
    out["runs"] = [sorted(r.name for r in runs.runs) == sorted([run.name, other.name]), runs.next_page_token]
    out["run_inputs"] = [(v.parameter, v.value) for v in run.inputs.string_values]
    out["run_trigger"] = run.trigger.value
    listed = clients.run_attempt.list_run_attempts(run.name).run_attempts[0]
    attempt = clients.run_attempt.get_run_attempt(listed.name)
    out["attempt"] = [attempt.name == listed.name, attempt.state.value, attempt.failure_reason.value]
    hello = next(j for j in clients.job.list_jobs(attempt.name).jobs if j.job_id == "hello")
    job = clients.job.get_job(hello.name)
    out["job"] = [job.name == hello.name, job.job_id, job.state.value, job.type.value, job.display_name]
    listed_step = clients.step.list_steps(job.name).steps[0]
    step = clients.step.get_step(listed_step.name)
    out["step"] = [step.name == listed_step.name, step.ref_id, step.state.value, step.type.value, step.exit_code]
    out["step_log"] = clients.step.get_step_logs(step.name)
    clients.run.delete_run(other.name)
    left = [r.name for r in clients.run.list_runs(second).runs]
    out["run_deleted"] = [status(clients.run.get_run, other.name), left == [run.name]]

    small = Runner(sandbox_engine_image="images/python", sandbox_engine_template="templates/small",
                   display_name="Small", aliases=["small"])  # fmt: skip
    runner = clients.runner.create_runner(READ_WS, small, "r1")
    out["runner"] = [runner.name, runner.display_name, runner.aliases, runner.sandbox_engine_image]
    out["runner_got"] = clients.runner.get_runner(runner.name).sandbox_engine_template
    runner.display_name = "Still small"
    runner.sandbox_engine_image = "images/python-2"
    changed = clients.runner.update_runner(runner)
    out["runner_updated"] = [changed.display_name, changed.sandbox_engine_image, changed.aliases]
    clients.runner.create_runner(READ_WS, small, "r2")
    first_page = clients.runner.list_runners(READ_WS, page_size=1)
    out["runner_pages"] = [len(first_page.runners), first_page.next_page_token != ""]
    out["all_runners"] = sorted(r.name for r in clients.runner.list_all_runners(READ_WS))
    configs = [RunnerConfig(runner_id=f"c{i}", sandbox_engine_image="images/r", sandbox_engine_template="t")
               for i in range(3)]  # fmt: skip
    out["applied"] = sorted(r.name for r in clients.runner.apply_runners(configs, READ_WS))
    clients.runner.delete_runner(f"{READ_WS}/runners/c0")
    out["runner_deleted"] = [status(clients.runner.get_runner, f"{READ_WS}/runners/c0"),
                             len(clients.runner.list_all_runners(READ_WS))]  # fmt: skip
    clients.runner.delete_all_runners(READ_WS)
    out["runners_left"] = clients.runner.list_all_runners(READ_WS)

    good = clients.action.validate_action(READ_WS, ACTION.format(aid="greeter"))
    bad = clients.action.validate_action(READ_WS, BAD_ACTION)
    out["action_valid"] = [good.is_valid, bad.is_valid, sorted(e.field_path for e in bad.validation_errors)]
    action = clients.action.create_action(READ_WS, Action(source_contents=ACTION.format(aid="greeter")))
    outputs = action.output_definitions.outputs if action.output_definitions else []
    out["action"] = [action.name, action.display_name, [o.parameter for o in outputs]]
    out["action_got"] = clients.action.get_action(action.name).display_name
    out["actions"] = [a.name for a in clients.action.list_actions(READ_WS).actions]
    published = clients.action.publish_action(action.name)
    action.source_contents = ACTION.format(aid="greeter").replace("name: Greeter", "name: Greeter two")
    out["action_updated"] = clients.action.update_action(action).display_name
    again = clients.action.publish_action(action.name)
    out["published"] = [published.name, published.snapshot.display_name, again.name, again.snapshot.display_name]
    kept = clients.action_revision.get_action_revision(published.name)
    out["revision_got"] = [
        kept.name,
        kept.snapshot.display_name,
        kept.snapshot.source_contents == ACTION.format(aid="greeter"),
    ]
    out["action_revisions"] = sorted(
        r.name for r in clients.action_revision.list_action_revisions(action.name).action_revisions
    )
    clients.action.delete_action(action.name)
    out["action_deleted"] = [status(clients.action.get_action, action.name),
                             status(clients.action_revision.get_action_revision, published.name)]  # fmt: skip
    return out


if __name__ == "__main__":
    run = {"surface": surface, "readback": readback}.get(sys.argv[4] if sys.argv[4:] else "", main)
    print(json.dumps(run(sys.argv[1], sys.argv[2], sys.argv[3])), flush=True)
