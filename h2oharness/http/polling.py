"""Wait for an asynchronous job: one deadline, adaptive backoff, fail fast, progress that never goes back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from h2oharness.errors import JobFailed, JobTimeout, ProgressRegressed


@dataclass(frozen=True)
class JobStatus:
    """One observation of a job, in API-neutral terms."""

    state: str
    progress: float | None = None
    final: bool = False
    failed: bool = False
    message: str = ""


@dataclass(frozen=True)
class Backoff:
    """Poll intervals: start at ``initial``, grow by ``factor``, never above ``maximum`` nor below ``minimum``.

    When the job reports progress, the next poll is also never later than the
    moment the job is expected to finish at its observed rate, so a short job
    is seen done soon after it ends instead of one full interval later.
    """

    initial: float = 0.1
    factor: float = 1.5
    maximum: float = 2.0
    minimum: float = 0.05


@dataclass
class PollResult:
    """What a wait observed: the final status, how many polls it took and how long."""

    status: JobStatus
    polls: int
    elapsed: float
    history: list[tuple[float, JobStatus]] = field(default_factory=list)


def _eta(history: list[tuple[float, JobStatus]]) -> float | None:
    """Seconds until progress reaches 1.0 at the rate seen so far, if progress is rising."""
    rising = [(t, s.progress) for t, s in history if s.progress is not None and s.progress > 0]
    if len(rising) < 2:
        return None
    (t0, p0), (t1, p1) = rising[0], rising[-1]
    if p1 <= p0 or t1 <= t0:
        return None
    return (1.0 - p1) * (t1 - t0) / (p1 - p0)


def wait_for_job(
    fetch: Callable[[], JobStatus],
    *,
    timeout: float,
    backoff: Backoff | None = None,
    what: str = "job",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PollResult:
    """Poll ``fetch`` until the job is final; raise JobFailed, JobTimeout or ProgressRegressed otherwise.

    Example:
        result = wait_for_job(lambda: client.job_status(job_id), timeout=120, what=f"parse {job_id}")
    """
    backoff = backoff or Backoff()
    start = clock()
    deadline = start + timeout
    interval = backoff.initial
    history: list[tuple[float, JobStatus]] = []
    best_progress = 0.0
    eta_used = False
    while True:
        status = fetch()
        now = clock()
        history.append((now - start, status))
        if status.progress is not None:
            if status.progress + 1e-9 < best_progress:
                raise ProgressRegressed(
                    f"{what}: progress went back from {best_progress:.3f} to {status.progress:.3f} ({status.state})"
                )
            best_progress = max(best_progress, status.progress)
        if status.failed:
            reason = status.message or "the server gave no reason"
            raise JobFailed(f"{what} ended {status.state} after {now - start:.1f} s: {reason}")
        if status.final:
            return PollResult(status, len(history), now - start, history)
        if now >= deadline:
            raise JobTimeout(
                f"{what} still {status.state} (progress {status.progress}) "
                f"after {timeout:.1f} s and {len(history)} polls"
            )
        pause = interval
        eta = _eta(history)
        # one early poll at the estimated finish; if the estimate was wrong, fall back to plain backoff
        if eta is not None and not eta_used and eta < interval:
            # aim a little past the estimate: landing a hair early costs a whole backoff interval
            pause, eta_used = eta * 1.05 + backoff.minimum / 2, True
        pause = max(backoff.minimum, min(pause, deadline - now))
        sleep(pause)
        interval = min(backoff.maximum, interval * backoff.factor)
