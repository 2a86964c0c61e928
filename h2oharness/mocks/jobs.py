"""Asynchronous jobs whose life is a pure function of a clock.

A job never runs anything: its phase and progress are computed from the time
it was submitted, its timing and the clock, so a mock needs no background
thread and a test can jump a job to any point of its life with a ManualClock.
Each API maps ``JobPhase`` onto its own status words. A job submitted while
``JOB_FAULTS`` holds ``stuck`` never leaves running; with ``regress`` its
progress goes backwards half way (mocks/faults.py sets it per request).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from h2oharness.mocks.clock import Clock

#: the job faults of the request being answered ("stuck", "regress"): each job it submits takes them
JOB_FAULTS: ContextVar[frozenset[str]] = ContextVar("job_faults", default=frozenset())
#: where a stuck job's progress stops, and how far a regressing one falls back at half way
STUCK_AT = 0.5
REGRESSION = 0.4


class JobPhase(StrEnum):
    """The API-neutral life of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """True for the phases a job never leaves."""
        return self in (JobPhase.SUCCEEDED, JobPhase.FAILED, JobPhase.CANCELLED)


@dataclass(frozen=True)
class JobTiming:
    """How long a job waits in the queue and how long it then runs, in clock seconds."""

    queued: float = 0.0
    running: float = 0.0

    @property
    def total(self) -> float:
        """Seconds from submission to the end of the run."""
        return self.queued + self.running


@dataclass
class Job:
    """One asynchronous job; ``fail_at`` (a progress fraction) makes it fail part way."""

    id: str
    kind: str
    submitted_at: float
    timing: JobTiming
    fail_at: float | None = None
    failure: str = ""
    result: Any = None
    description: str = ""
    cancelled_at: float | None = None
    #: who submitted it, for a mock that keeps its users apart ('' when it does not)
    owner: str = ""
    #: injected faults: never leave running; report progress going backwards
    stuck: bool = False
    regress: bool = False

    def _fail_time(self) -> float | None:
        if self.fail_at is None:
            return None
        return self.submitted_at + self.timing.queued + self.timing.running * self.fail_at

    def _end_time(self) -> float:
        return self.submitted_at + self.timing.total

    def phase(self, now: float) -> JobPhase:
        """The job's phase at time ``now``."""
        # cancel() only accepts a live job, so a cancellation always precedes the end and the failure
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return JobPhase.CANCELLED
        fail_time = self._fail_time()
        if fail_time is not None and now >= fail_time and not self.stuck:
            return JobPhase.FAILED
        if self.stuck and now >= self.submitted_at + self.timing.queued:
            return JobPhase.RUNNING
        if now >= self._end_time():
            return JobPhase.SUCCEEDED
        if now >= self.submitted_at + self.timing.queued:
            return JobPhase.RUNNING
        return JobPhase.QUEUED

    def progress(self, now: float) -> float:
        """Fraction of the run done at ``now``, in [0, 1]; it never goes down as time passes (but when ``regress``)."""
        done = self._progress(now)
        if self.stuck:
            return min(done, STUCK_AT)
        if self.regress and 0.5 <= done < 1.0:
            return done - REGRESSION
        return done

    def _progress(self, now: float) -> float:
        phase = self.phase(now)
        if phase is JobPhase.SUCCEEDED:
            return 1.0
        stop = now
        if phase is JobPhase.CANCELLED and self.cancelled_at is not None:
            stop = self.cancelled_at
        elif phase is JobPhase.FAILED:
            stop = self._fail_time() or now
        if self.timing.running <= 0:
            return 0.0
        started = self.submitted_at + self.timing.queued
        return max(0.0, min(1.0, (stop - started) / self.timing.running))

    def ended_at(self, now: float) -> float | None:
        """When the job reached its final phase, or None while it is still live."""
        phase = self.phase(now)
        if phase is JobPhase.SUCCEEDED:
            return self._end_time()
        if phase is JobPhase.FAILED:
            return self._fail_time()
        if phase is JobPhase.CANCELLED:
            return self.cancelled_at
        return None

    def cancel(self, now: float) -> bool:
        """Cancel the job if it is still live; returns whether it was live."""
        if self.phase(now).final:
            return False
        self.cancelled_at = now
        return True


@dataclass
class JobBoard:
    """All jobs of one mock, keyed by id, with a bound on how many finished jobs are kept, and on how many live ones.

    The oldest go first. A live job past ``max_live`` (a soak whose ``stuck`` faults never end their jobs) is
    forgotten as if it had never been submitted: a poll of it is then answered as one of an unknown job. The board
    is trimmed when it has grown a tenth of ``keep_finished`` past its size after the last trim, so a submit does not
    read every job held (7 ms a submit with 10,000 held, under the mock's lock: ``benchmarks/mock_job_submit.py``).
    """

    clock: Clock
    keep_finished: int = 10_000
    max_live: int = 10_000
    _jobs: OrderedDict[str, Job] = field(default_factory=OrderedDict)
    #: the board's size after its last trim
    _trimmed: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(
        self,
        kind: str,
        timing: JobTiming,
        *,
        job_id: str | None = None,
        fail_at: float | None = None,
        failure: str = "",
        result: Any = None,
        description: str = "",
    ) -> Job:
        """Create a job that starts now on the board's clock."""
        with self._lock:
            jid = job_id or f"$03017f00000132d4ffffffff${kind}_{next(self._ids):06d}"
            job = Job(
                id=jid,
                kind=kind,
                submitted_at=self.clock.now(),
                timing=timing,
                fail_at=fail_at,
                failure=failure,
                result=result,
                description=description,
            )
            faults = JOB_FAULTS.get()
            job.stuck, job.regress = "stuck" in faults, "regress" in faults
            self._jobs[jid] = job
            self._trim()
            return job

    def get(self, job_id: str) -> Job | None:
        """The job with that id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job still held, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def _trim(self) -> None:
        held = len(self._jobs)
        if held <= max(self._trimmed, self.keep_finished) + self.keep_finished // 10:
            return
        now = self.clock.now()
        final = {jid: job.phase(now).final for jid, job in self._jobs.items()}
        finished = [jid for jid, done in final.items() if done]
        live = [jid for jid, done in final.items() if not done]
        for jid in finished[: max(0, len(finished) - self.keep_finished)] + live[: max(0, len(live) - self.max_live)]:
            del self._jobs[jid]
        self._trimmed = len(self._jobs)
