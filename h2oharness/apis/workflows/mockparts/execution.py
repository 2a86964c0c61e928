"""Runs on the clock: an attempt's whole schedule is planned when it is created; its states are read off the clock.

Steps are jobs of the state's JobBoard (their phase is a pure function of time); a job of the workflow starts when
the jobs it needs have succeeded, its steps run one after another, and a failing step (a non-zero exit code) ends
its job, skips the job's later steps and every job that needs it. Cancelling cancels the board jobs still live:
a step cancelled while running is FAILED/CANCELED, one that had not started is SKIPPED.
"""

from __future__ import annotations

from dataclasses import dataclass

from h2oharness.apis.workflows.mockparts.source import WorkflowSpec, simulate
from h2oharness.apis.workflows.mockparts.state import AttemptRec, JobPlan, StepPlan, WorkflowsMockState
from h2oharness.mocks.jobs import JobPhase, JobTiming

FINAL = {"STATE_SUCCEEDED", "STATE_FAILED", "STATE_SKIPPED"}


@dataclass(frozen=True)
class Status:
    """The state of a run, attempt, job or step at one moment, in its own enum words."""

    state: str
    reason: str = ""
    message: str = ""
    start: float | None = None
    end: float | None = None
    exit_code: int | None = None


def plan_attempt(
    state: WorkflowsMockState,
    spec: WorkflowSpec,
    number: int,
    inputs: dict[str, str],
    workspace: str,
    keep: set[str] | None = None,
) -> AttemptRec:
    """Schedule an attempt starting now; jobs in ``keep`` are not re-run (they succeeded in an earlier attempt)."""
    now = state.now()
    t = state.timings
    starts = now + t.queued
    ends: dict[str, float] = {}
    failed: dict[str, float] = {}
    jobs: list[JobPlan] = []
    for job in spec.ordered_jobs():
        runner = f"workspaces/{workspace}/runners/{job.runner}" if job.runner else None
        plan = JobPlan(job.job_id, job.name, job.needs, runner, [], now, selected=job.job_id not in (keep or set()))
        jobs.append(plan)
        blocked = [failed[n] for n in job.needs if n in failed]
        if not plan.selected:
            ends[job.job_id] = starts
            plan.steps = [StepPlan(s.index, s.ref_id, s.display_name, s.kind, s.continue_on_error, None, 0, (), starts)
                          for s in job.steps]  # fmt: skip
            continue
        cursor = max([starts, *(ends.get(n, starts) for n in job.needs)])
        stop: float | None = min(blocked) if blocked else None
        for step in job.steps:
            if stop is not None:
                plan.steps.append(
                    StepPlan(step.index, step.ref_id, step.display_name, step.kind, step.continue_on_error,
                             None, 0, (), stop)
                )  # fmt: skip
                continue
            script = simulate(step.kind, step.body, inputs)
            duration = t.step + script.sleep * t.sleep_scale
            fails = script.exit_code != 0
            board_job = state.board.submit(
                "step",
                JobTiming(queued=cursor - now, running=duration),
                fail_at=1.0 if fails else None,
                failure=f"exited with code {script.exit_code}" if fails else "",
            )
            lines = tuple((cursor + off * t.sleep_scale, stream, text) for off, stream, text in script.lines)
            plan.steps.append(
                StepPlan(step.index, step.ref_id, step.display_name, step.kind, step.continue_on_error,
                         board_job, script.exit_code, lines)
            )  # fmt: skip
            cursor += duration
            if fails and not step.continue_on_error:
                stop = cursor
        if blocked or stop is not None:
            failed[job.job_id] = stop if stop is not None else cursor
        ends[job.job_id] = cursor
    return AttemptRec(number=number, created=now, starts=starts, jobs=jobs)


def step_status(step: StepPlan, attempt: AttemptRec, now: float) -> Status:
    """A step's state at ``now``."""
    cancel = attempt.cancelled_at
    if step.job is None:
        skip_at = step.skip_at if step.skip_at is not None else attempt.starts
        if cancel is not None and cancel <= now and cancel < skip_at:
            return Status("STATE_SKIPPED", end=cancel)
        if now >= skip_at:
            return Status("STATE_SKIPPED", end=skip_at)
        return Status("STATE_PENDING")
    job = step.job
    start = job.submitted_at + job.timing.queued
    phase = job.phase(now)
    ended = job.ended_at(now)
    if phase is JobPhase.QUEUED:
        return Status("STATE_PENDING")
    if phase is JobPhase.RUNNING:
        return Status("STATE_RUNNING", start=start)
    if phase is JobPhase.SUCCEEDED:
        return Status("STATE_SUCCEEDED", start=start, end=ended, exit_code=0)
    if phase is JobPhase.FAILED:
        message = f"step {step.display_name!r} exited with code {step.exit_code}"
        return Status("STATE_FAILED", "STEP_FAILURE_REASON_EXECUTION", message, start, ended, step.exit_code)
    if job.cancelled_at is not None and job.cancelled_at > start:
        return Status("STATE_FAILED", "STEP_FAILURE_REASON_CANCELED", "the run was canceled", start, ended)
    return Status("STATE_SKIPPED", end=ended)


def job_status(job: JobPlan, attempt: AttemptRec, now: float) -> Status:
    """A job's state at ``now``, from its steps'."""
    if not job.selected:
        return Status("STATE_SKIPPED", message="not selected for retry")
    steps = [(s, step_status(s, attempt, now)) for s in job.steps]
    started = [st.start for _, st in steps if st.start is not None]
    start = min(started) if started else None
    ends = [st.end for _, st in steps if st.end is not None]
    all_final = all(st.state in FINAL for _, st in steps)
    end = max(ends) if all_final and ends else None
    canceled = [st for _, st in steps if st.reason == "STEP_FAILURE_REASON_CANCELED"]
    if canceled:
        return Status("STATE_FAILED", "JOB_FAILURE_REASON_CANCELED", "the run was canceled", start, canceled[0].end)
    hard = [(s, st) for s, st in steps if st.state == "STATE_FAILED" and not s.continue_on_error]
    if hard and all_final:
        _, st = hard[0]
        return Status("STATE_FAILED", "JOB_FAILURE_REASON_STEP_FAILED", st.message, start, end)
    if all_final:
        if all(st.state == "STATE_SKIPPED" for _, st in steps):
            return Status("STATE_SKIPPED", end=end)
        return Status("STATE_SUCCEEDED", start=start, end=end)
    if start is not None:
        return Status("STATE_RUNNING", start=start)
    return Status("STATE_PENDING")


def attempt_status(attempt: AttemptRec, now: float) -> Status:
    """An attempt's state at ``now``, from its jobs'."""
    cancel = attempt.cancelled_at
    start = attempt.starts if now >= attempt.starts and (cancel is None or cancel >= attempt.starts) else None
    if cancel is not None and cancel <= now:
        return Status("STATE_FAILED", "RUN_ATTEMPT_FAILURE_REASON_CANCELED", "the run was canceled", start, cancel)
    if now < attempt.starts:
        return Status("STATE_QUEUED")
    jobs = [(j, job_status(j, attempt, now)) for j in attempt.jobs]
    if not all(st.state in FINAL for _, st in jobs):
        return Status("STATE_RUNNING", start=start)
    end = max([attempt.starts, *(st.end for _, st in jobs if st.end is not None)])
    failed = [(j, st) for j, st in jobs if st.state == "STATE_FAILED"]
    if failed:
        job, st = failed[0]
        message = f"job {job.job_id!r} failed: {st.message}"
        return Status("STATE_FAILED", "RUN_ATTEMPT_FAILURE_REASON_JOB_FAILED", message, start, end)
    return Status("STATE_SUCCEEDED", start=start, end=end)


def cancel_attempt(attempt: AttemptRec, now: float) -> bool:
    """Cancel a live attempt: every step not final yet stops now. Returns whether it was live."""
    if attempt_status(attempt, now).state in FINAL:
        return False
    attempt.cancelled_at = now
    for job in attempt.jobs:
        for step in job.steps:
            if step.job is not None:
                step.job.cancel(now)
    return True


def visible_log(step: StepPlan, attempt: AttemptRec, now: float, stream: str) -> str:
    """The output a step has written by ``now`` (or until it was cancelled), of one stream or merged."""
    stop = now if attempt.cancelled_at is None else min(now, attempt.cancelled_at)
    if step.job is None:
        return ""
    wanted = {"OUTPUT_STREAM_STDOUT": {"stdout"}, "OUTPUT_STREAM_STDERR": {"stderr"}}.get(stream, {"stdout", "stderr"})
    out = [text for at, kind, text in step.lines if at <= stop and kind in wanted]
    if step.job.phase(now) is JobPhase.FAILED and "stderr" in wanted:
        out.append(f"exit status {step.exit_code}\n")
    return "".join(out)
