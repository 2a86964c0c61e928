"""The explicit state of one CorePlexML mock: clock, timings, API keys, projects, datasets, experiments, request log."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.jobs import Job, JobBoard, JobPhase
from h2oharness.mocks.state import MockState
from h2oharness.targets import Credentials

DEFAULT_API_KEY = "sk-h2oharness-mock"


@dataclass(frozen=True)
class CorePlexMLTimings:
    """How long experiments take on the state's clock.

    An experiment waits ``queued`` seconds, then runs for its models' simulated
    training time (H2O seconds) times ``time_scale``, but at least ``min_running``. Privacy detection and
    transformation and SynthGen generation wait ``job_queued`` seconds and run ``job_running``.
    ``instant()`` ends every experiment and job the moment it is created.
    """

    queued: float = 0.3
    time_scale: float = 0.004
    min_running: float = 0.5
    job_queued: float = 0.2
    job_running: float = 1.0

    @classmethod
    def instant(cls) -> CorePlexMLTimings:
        """Every experiment and job finishes the moment it is created."""
        return cls(queued=0.0, time_scale=0.0, min_running=0.0, job_queued=0.0, job_running=0.0)

    def longest(self, max_runtime_secs: float) -> float:
        """About the longest an experiment keeping to ``max_runtime_secs`` (H2O seconds) takes on the clock."""
        return self.queued + max(self.min_running, max_runtime_secs * self.time_scale)


@dataclass
class Column:
    """One column of an uploaded CSV: its type and a few statistics."""

    name: str
    dtype: str  # "numeric" | "categorical"
    unique: int
    missing: int
    minimum: float | None = None
    maximum: float | None = None
    std: float | None = None
    #: its distinct values (sorted, each at most LEVEL_CHARS long) when it has at most MAX_LEVELS of them, else ()
    levels: tuple[str, ...] = ()
    #: the PII types found in its text cells (``privacy``), each with how many cells hold it: what privacy detection
    #: reports, found at upload since the rows are not kept
    pii: tuple[tuple[str, int], ...] = ()


#: the most distinct values a column keeps as levels, and the longest level kept (a profile stays small)
MAX_LEVELS = 32
LEVEL_CHARS = 100


@dataclass
class Project:
    """A project: the owner of datasets and experiments."""

    id: str
    name: str
    description: str
    created_at: str
    #: when a PUT last changed it ('' until one does: updated_at is then created_at)
    updated_at: str = ""


@dataclass
class DatasetVersion:
    """One uploaded version of a dataset."""

    id: str
    dataset_id: str
    version: int
    filename: str
    size_bytes: int
    row_count: int
    columns: list[Column]
    created_at: str
    #: why the file could not be profiled as a CSV table ('' when it was): such a version has no rows or columns
    parse_error: str = ""

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Dataset:
    """A dataset of a project, with its versions (oldest first)."""

    id: str
    project_id: str
    name: str
    description: str
    created_at: str
    versions: list[DatasetVersion] = field(default_factory=list)


@dataclass
class PlannedModel:
    """A model the AutoML run will produce, with everything about it fixed in advance (deterministic)."""

    id: str
    name: str
    algo: str
    metrics: dict[str, float]
    training_time: float
    done_at: float  # fraction of the run at which it appears on the leaderboard
    varimp: list[float]


@dataclass
class Experiment:
    """An AutoML experiment; its status and leaderboard are functions of its job and the clock."""

    id: str
    job: Job
    project_id: str
    dataset_id: str
    dataset_version_id: str
    name: str
    target_column: str
    problem_type: str
    subtype: str
    config: dict[str, Any]
    requested: dict[str, Any]
    use_gpu: bool
    execution_mode: str
    engines: list[str]
    created_at: str
    created_clock: float
    features: list[str]
    plan: list[PlannedModel]
    notes: list[str] = field(default_factory=list)
    best_override: str | None = None
    #: ids of the models deleted through ``DELETE /api/models/{model_id}``: off the leaderboard for good
    deleted: set[str] = field(default_factory=set)
    #: the target column's profile when the experiment was made (its classes or range answer predictions)
    target: Column | None = None

    def models(self, now: float) -> list[PlannedModel]:
        """The models on the leaderboard at ``now``: those done before the run ended or stopped, less the deleted."""
        return [m for m in self._trained(now) if m.id not in self.deleted]

    def _trained(self, now: float) -> list[PlannedModel]:
        phase = self.job.phase(now)
        progress = self.job.progress(now)
        if phase is JobPhase.SUCCEEDED:
            return list(self.plan)
        if phase is JobPhase.QUEUED:
            return []
        if phase is JobPhase.FAILED:
            return [m for m in self.plan if m.done_at < progress]
        return [m for m in self.plan if m.done_at <= progress + 1e-12]


@dataclass
class CorePlexMLMockState(MockState):
    """Everything one CorePlexML mock holds; tests build one, hand it to ``make_app`` and assert on it afterwards.

    Failures: an experiment whose target column is missing, constant, or not
    numeric for a regression fails as soon as it starts running ("bad data"); one
    trained on a dataset with a column named ``failure_column`` fails half way,
    after some models reached the leaderboard. ``cancel(experiment_id)`` cancels a
    live experiment the way an operator would (the API documents no cancel call).

    Example:
        clock = ManualClock()
        state = CorePlexMLMockState(clock=clock)
        app = make_app(state)
        clock.advance(60.0)          # every default experiment has now finished
    """

    clock: Clock = field(default_factory=MonotonicClock)
    timings: CorePlexMLTimings = field(default_factory=CorePlexMLTimings)
    api_keys: set[str] = field(default_factory=lambda: {DEFAULT_API_KEY})
    failure_column: str = "h2oharness_fail"
    failure_progress: float = 0.5
    max_models_quota: int = 50
    max_upload_bytes: int = 64 * 1024 * 1024
    #: projects, datasets, dataset versions and experiments held at most, each: beyond it the oldest made go, as if
    #: deleted, so a load run that never deletes what it makes keeps the mock's memory bounded
    max_objects: int = 10_000
    #: column profiles the held dataset versions have at most: one 64 MiB upload may hold millions of columns, so
    #: beyond it the oldest versions go too (never the newest: one may be that large alone)
    max_profiled_columns: int = 1_000_000
    projects: dict[str, Project] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    versions: dict[str, DatasetVersion] = field(default_factory=dict)
    experiments: dict[str, Experiment] = field(default_factory=dict)
    jobs: JobBoard = field(init=False)
    #: the generic resources (mockparts.generic), made on first use
    generic: Any = field(default=None, init=False, repr=False)
    _epoch: float = field(init=False, repr=False)
    _origin: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jobs = JobBoard(self.clock)
        self._epoch = time.time()
        self._origin = self.clock.now()

    def client_credentials(self) -> Credentials:
        """A bearer token this mock accepts (none when it enforces no auth)."""
        return Credentials(token=sorted(self.api_keys)[0]) if self.api_keys else Credentials()

    def new_id(self) -> str:
        """A fresh UUID, as CorePlexML's ids are."""
        return str(uuid.uuid4())

    def iso(self, at: float | None = None) -> str:
        """An ISO 8601 UTC time for a moment on the state's clock (now by default)."""
        moment = self.clock.now() if at is None else at
        stamp = datetime.fromtimestamp(self._epoch + (moment - self._origin), tz=UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def forget_project(self, project_id: str) -> None:
        """Drop a project with its datasets, experiments (a live one stopped) and the generic objects made under its
        paths (members, deployments)."""
        with self.lock:
            now = self.clock.now()
            for experiment in [e for e in self.experiments.values() if e.project_id == project_id]:
                experiment.job.cancel(now)
                del self.experiments[experiment.id]
            for dataset in [d for d in self.datasets.values() if d.project_id == project_id]:
                self.forget_dataset(dataset.id)
            self.projects.pop(project_id, None)
            held = self.generic.collections if self.generic is not None else {}
            under = (f"/api/projects/{project_id}/", f"/api/mlops/projects/{project_id}/")
            for path in [p for p in held if p.startswith(under)]:
                del held[path]

    def forget_dataset(self, dataset_id: str) -> None:
        """Drop a dataset with its versions (experiments trained on it keep their results)."""
        with self.lock:
            dataset = self.datasets.pop(dataset_id, None)
            for version in dataset.versions if dataset is not None else ():
                self.versions.pop(version.id, None)

    def trim(self) -> None:
        """Drop the oldest projects, datasets, versions and experiments beyond ``max_objects`` of each, and the
        oldest versions beyond ``max_profiled_columns``, as if deleted; never the newest of a kind. A dataset whose
        last version goes goes with it (a dataset has at least one)."""
        with self.lock:
            for project_id in _oldest(self.projects, self.max_objects):
                self.forget_project(project_id)
            for dataset_id in _oldest(self.datasets, self.max_objects):
                self.forget_dataset(dataset_id)
            now = self.clock.now()
            for experiment_id in _oldest(self.experiments, self.max_objects):
                self.experiments.pop(experiment_id).job.cancel(now)
            gone = _oldest(self.versions, self.max_objects)
            columns = sum(len(v.columns) for v in self.versions.values())
            columns -= sum(len(self.versions[v].columns) for v in gone)
            for version_id in list(self.versions)[len(gone) : -1]:
                if columns <= self.max_profiled_columns:
                    break
                gone.append(version_id)
                columns -= len(self.versions[version_id].columns)
            for version_id in gone:
                version = self.versions.pop(version_id)
                dataset = self.datasets.get(version.dataset_id)
                if dataset is not None:
                    dataset.versions = [v for v in dataset.versions if v.id != version_id]
                    if not dataset.versions:
                        self.forget_dataset(dataset.id)

    def cancel(self, experiment_id: str) -> bool:
        """Cancel a live experiment; returns whether it was live."""
        with self.lock:
            experiment = self.experiments.get(experiment_id)
            return experiment is not None and experiment.job.cancel(self.clock.now())


def _oldest(held: dict[str, Any], budget: int) -> list[str]:
    """The keys of the oldest entries beyond ``budget`` (dicts keep the order they were made in), never the newest."""
    return list(itertools.islice(held, max(0, len(held) - max(1, budget))))
