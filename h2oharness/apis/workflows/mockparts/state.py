"""The explicit state of one H2O Workflows mock: clock, timings, tokens, resources and a request log."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.workflows.mockparts.source import WorkflowSpec
from h2oharness.mocks.auth import AccessTokens, token_in
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.jobs import Job, JobBoard
from h2oharness.mocks.state import MockState
from h2oharness.targets import Credentials

DEFAULT_API_KEY = "sk-h2oharness-mock"
DEFAULT_REFRESH_TOKEN = "rt-h2oharness-mock"  # noqa: S105 - the mock's own, public test token
DEFAULT_CLIENT_ID = "h2oharness-mock"
PRINCIPAL = "users/h2oharness"


@dataclass(frozen=True)
class WorkflowsTimings:
    """How long things take on the state's clock, in seconds: an attempt's queue wait and each step's own time.

    A step's ``sleep N`` adds ``N * sleep_scale`` seconds; ``instant()`` makes every run end when it starts.
    """

    queued: float = 0.5
    step: float = 0.5
    sleep_scale: float = 1.0

    @classmethod
    def instant(cls) -> WorkflowsTimings:
        """Every run ends the moment it is created (sleeps included)."""
        return cls(queued=0.0, step=0.0, sleep_scale=0.0)


@dataclass
class WorkflowRec:
    """A workflow: its draft source and activation state."""

    name: str
    source: str
    spec: WorkflowSpec
    seq: int
    created: float
    state: str = "STATE_INACTIVE"
    active_revision: str = ""
    updated: float | None = None
    activated: float | None = None
    revisions: int = 0


@dataclass
class RevisionRec:
    """An immutable snapshot taken at activation."""

    name: str
    workflow: str
    source: str
    spec: WorkflowSpec
    seq: int
    created: float
    state: str = "STATE_ACTIVE"
    deactivated: float | None = None


@dataclass
class StepPlan:
    """One step of one attempt: its board job (None when it never runs) and what it does."""

    index: int
    ref_id: str
    display_name: str
    type: str
    continue_on_error: bool
    job: Job | None
    exit_code: int
    lines: tuple[tuple[float, str, str], ...]
    skip_at: float | None = None


@dataclass
class JobPlan:
    """One job of one attempt, scheduled when the attempt was created."""

    job_id: str
    display_name: str
    depends_on: tuple[str, ...]
    runner: str | None
    steps: list[StepPlan]
    created: float
    selected: bool = True


@dataclass
class AttemptRec:
    """One attempt of a run: its schedule and, once cancelled, when."""

    number: int
    created: float
    starts: float
    jobs: list[JobPlan]
    cancelled_at: float | None = None


@dataclass
class RunRec:
    """A run of a revision with its attempts (the latest last)."""

    name: str
    revision: str
    inputs: dict[str, Any]
    input_map: dict[str, str]
    seq: int
    created: float
    attempts: list[AttemptRec] = field(default_factory=list)


@dataclass
class RunnerRec:
    """A runner of a workspace."""

    name: str
    body: dict[str, Any]
    seq: int
    created: float
    updated: float | None = None


@dataclass
class WorkflowsMockState(MockState):
    """Everything one Workflows mock holds; tests build one, hand it to ``make_app`` and assert on it afterwards.

    ``api_keys`` are long-lived access tokens; the token endpoint trades a refresh token of ``refresh_tokens``
    (token -> client id) for an access token that expires ``token_lifetime`` seconds later on the clock.

    Example:
        clock = ManualClock()
        state = WorkflowsMockState(clock=clock)
        app = make_app(state)
        clock.advance(10.0)          # runs scheduled within 10 s have now finished
    """

    clock: Clock = field(default_factory=MonotonicClock)
    timings: WorkflowsTimings = field(default_factory=WorkflowsTimings)
    api_keys: set[str] = field(default_factory=lambda: {DEFAULT_API_KEY})
    refresh_tokens: dict[str, str] = field(default_factory=lambda: {DEFAULT_REFRESH_TOKEN: DEFAULT_CLIENT_ID})
    client_secrets: dict[str, str] = field(default_factory=dict)
    token_lifetime: float = 300.0
    default_page_size: int = 50
    #: runs held at most: beyond it the oldest finished runs go, as if deleted, so a load run (whose users delete
    #: their workflow only when they stop) keeps the mock's memory bounded
    max_runs: int = 1_000
    #: workflows, revisions, runners, actions and action revisions held at most, each: beyond it the oldest made go,
    #: as if deleted (a workflow with its revisions and runs; never a workflow's active revision)
    max_objects: int = 10_000
    #: bytes of source the workflows, their revisions and the actions (drafts and published) hold at most: a source
    #: may be as large as a body (1 GiB), so beyond it the oldest of them go too (never the newest)
    max_source_bytes: int = 1 << 30
    max_page_size: int = 500
    version: str = "h2oharness-mock-1.1.2"
    #: serve the API under this prefix too (e.g. "/wf"), to show where login_custom's /version probe goes
    path_prefix: str = ""
    workflows: dict[str, WorkflowRec] = field(default_factory=dict)
    revisions: dict[str, RevisionRec] = field(default_factory=dict)
    runs: dict[str, RunRec] = field(default_factory=dict)
    runners: dict[str, RunnerRec] = field(default_factory=dict)
    #: actions and their published revisions by resource name (mockparts.actions' records)
    actions: dict[str, Any] = field(default_factory=dict)
    action_revisions: dict[str, Any] = field(default_factory=dict)
    #: the generic resources (mockparts.generic), made on first use
    generic: Any = field(default=None, repr=False)
    access_tokens: AccessTokens = field(init=False, repr=False)
    board: JobBoard = field(init=False)
    _epoch: float = field(init=False, repr=False)
    _origin: float = field(init=False, repr=False)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        # each step holds its own job and nothing reads the board back: it needs to keep few finished ones
        self.board = JobBoard(self.clock, keep_finished=1_000)
        self.access_tokens = AccessTokens(self.clock)
        self._epoch = time.time()
        self._origin = self.clock.now()

    def client_credentials(self) -> Credentials:
        """A long-lived access token this mock accepts."""
        return Credentials(token=sorted(self.api_keys)[0] if self.api_keys else None)

    def now(self) -> float:
        """The state's clock."""
        return self.clock.now()

    def epoch(self, at: float) -> float:
        """Seconds since the Unix epoch for a moment of the state's clock."""
        return self._epoch + (at - self._origin)

    def next_seq(self) -> int:
        """A counter for creation order (and generated ids)."""
        return next(self._seq)

    def issue_token(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds (the tokens already expired are forgotten)."""
        return self.access_tokens.issue(self.token_lifetime), self.token_lifetime

    def token_problem(self, token: str | None) -> str | None:
        """Why a bearer token is refused (missing, unknown, expired), or None when it is good."""
        if token is None:
            return "missing bearer token: send 'Authorization: Bearer <access token>'"
        if token_in(token, self.api_keys):
            return None
        return self.access_tokens.problem(token)
