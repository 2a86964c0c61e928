"""The explicit state of one H2O-3 mock: clock, job timings, credentials, frames, models, jobs and a request log."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.learn import Category
from h2oharness.apis.h2o3.mockparts.wire import JSONDict
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.jobs import Job, JobBoard, JobPhase, JobTiming
from h2oharness.mocks.state import MockState
from h2oharness.targets import Credentials

JOB_PREFIX = "$03017f00000132d4ffffffff$_"


@dataclass(frozen=True)
class H2O3Timings:
    """How long each kind of job takes on the state's clock, in seconds.

    The defaults look like a real server on a small file; ``instant()`` makes every
    job done as soon as it is submitted, which suits unit tests that do not drive a
    ManualClock.
    """

    parse: JobTiming = field(default_factory=lambda: JobTiming(queued=0.05, running=1.0))
    model: JobTiming = field(default_factory=lambda: JobTiming(queued=0.1, running=3.0))
    predict: JobTiming = field(default_factory=lambda: JobTiming(queued=0.0, running=0.3))

    @classmethod
    def instant(cls) -> H2O3Timings:
        """Every job finishes the moment it is created."""
        zero = JobTiming(0.0, 0.0)
        return cls(parse=zero, model=zero, predict=zero)


@dataclass
class RawSource:
    """An imported or uploaded file not parsed yet, held under its key (``nfs://...`` or ``upload_...``)."""

    key: str
    text: str
    path: str | None = None


@dataclass
class Model:
    """A trained model: what it predicts with, and its ModelV3 rendering."""

    id: str
    algo: str
    category: Category
    response: str
    predictors: list[str]
    domains: list[list[str] | None]
    response_domain: list[str] | None
    fitted: Any
    training_frame: str
    checksum: int
    default_threshold: float
    body: JSONDict
    synopsis: JSONDict
    glm_family: str | None = None
    #: the training frame's class distribution (weighted), which breaks a tie between the most likely classes
    priors: list[float] | None = None
    #: frames and models published with this one (cross-validation models and predictions)
    companions: list[Frame | Model] = field(default_factory=list)


@dataclass
class JobInfo:
    """What a job produces: the key it writes and the object published there when it succeeds."""

    dest: str
    dest_kind: str
    payload: Frame | Model | None = None
    progress_msg: str = "Running."
    #: more frames and models published with the payload (an AutoML run's models)
    companions: list[Frame | Model] = field(default_factory=list)


@dataclass
class H2O3MockState(MockState):
    """Everything one H2O-3 mock holds; tests build one, hand it to ``make_app`` and assert on it afterwards.

    Failure injection: a model trained on a frame that has a column named
    ``failure_column`` (``h2oharness_fail`` by default) fails when it reaches
    ``failure_progress`` of its run, with a Java-looking exception, the way a real
    build dies half way. A build without a training frame fails at once, as on a
    real server ("Missing training frame").

    Example:
        clock = ManualClock()
        state = H2O3MockState(clock=clock, credentials=("admin", "secret"))
        app = make_app(state)
        clock.advance(5.0)                                   # every default job has now finished
        assert state.recorded("POST", "/3/Parse")
    """

    clock: Clock = field(default_factory=MonotonicClock)
    timings: H2O3Timings = field(default_factory=H2O3Timings)
    credentials: tuple[str, str] | None = None
    failure_column: str = "h2oharness_fail"
    failure_progress: float = 0.5
    max_training_rows: int = 20_000
    #: trees the mock fits at most: a drawn ntrees=100000 would hold the request for minutes (a real server runs the
    #: build as a job); the model then has the trees fitted
    max_fitted_trees: int = 200
    max_import_bytes: int = 512 * 1024 * 1024
    keep_finished_jobs: int = 1_000
    #: frames, models, raw sources, AutoML runs, grids and sessions held at most, each: beyond it the oldest go, as if
    #: deleted, so a load run that never deletes what it makes keeps the mock's memory bounded
    max_objects: int = 1_000
    #: values (rows x columns) the held frames have at most: a thousand frames of CreateFrame's largest (2M values,
    #: 64 MB as Python floats) would be 64 GB, so beyond it the oldest frames go too; 40M is about 1.5 GB
    max_frame_values: int = 40_000_000
    cloud_name: str = "h2oharness-mock"
    frames: dict[str, Frame] = field(default_factory=dict)
    sources: dict[str, RawSource] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    #: the session keys given out and not ended (a dict for its order: the oldest go beyond ``max_objects``)
    sessions: dict[str, None] = field(default_factory=dict)
    #: AutoML runs by project name (``automl.AutoMLRun``)
    automls: dict[str, Any] = field(default_factory=dict)
    #: grid searches by grid id (``grids.Grid``)
    grids: dict[str, Any] = field(default_factory=dict)
    #: metrics of a model scored on a frame since it was built (predictions, POST /3/ModelMetrics), by model and
    #: frame name, as a real server keeps them in its store: a new scoring of the same pair replaces the old
    scored: dict[tuple[str, str], JSONDict] = field(default_factory=dict)
    #: metrics removed from the store (DELETE /3/ModelMetrics/...) by model, frame, model checksum and scoring time: a
    #: model keeps its own copy in its output, as on a real server, but the store lists it no more
    forgotten_metrics: set[tuple[str, str, int, int]] = field(default_factory=set)
    #: Flow's node persistent storage: category -> name -> (value, epoch ms stored)
    flow_store: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    #: /3/SessionProperties values by session key and property key (the oldest go past ``max_objects``)
    session_properties: dict[tuple[str, str], str | None] = field(default_factory=dict)
    #: PartialDependenceV3 results by destination key (POST /3/PartialDependence/)
    partial_dependences: dict[str, JSONDict] = field(default_factory=dict)
    jobs: JobBoard = field(init=False)
    started_epoch_ms: int = field(init=False)
    _clock_origin: float = field(init=False, repr=False)
    _pending: dict[str, tuple[Job, JobInfo]] = field(default_factory=dict, repr=False)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def client_credentials(self) -> Credentials:
        """What a client must send to this mock: HTTP Basic when the mock enforces it, else nothing."""
        if self.credentials is None:
            return Credentials()
        return Credentials(username=self.credentials[0], password=self.credentials[1])

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jobs = JobBoard(self.clock, keep_finished=self.keep_finished_jobs)
        self.started_epoch_ms = int(time.time() * 1000)
        self._clock_origin = self.clock.now()

    @property
    def cloud_id(self) -> int:
        """The cluster id H2O-3 builds names from (its start time in ms)."""
        return self.started_epoch_ms

    def epoch_ms(self, at: float | None = None) -> int:
        """Milliseconds since the epoch for a time on the state's clock (now by default)."""
        moment = self.clock.now() if at is None else at
        return self.started_epoch_ms + int((moment - self._clock_origin) * 1000)

    def next_number(self) -> int:
        """A counter shared by generated names, as H2O-3's key counter is."""
        return next(self._counter)

    def new_job_id(self) -> str:
        """A job key shaped like H2O-3's."""
        return JOB_PREFIX + uuid.uuid4().hex

    def submit(
        self,
        kind: str,
        description: str,
        info: JobInfo,
        timing: JobTiming,
        *,
        fail_at: float | None = None,
        failure: str = "",
        job_id: str | None = None,
    ) -> Job:
        """Start a job that publishes ``info.payload`` under ``info.dest`` when it succeeds (``job_id``: a key
        already given out, else a new one)."""
        with self.lock:
            job = self.jobs.submit(
                kind,
                timing,
                job_id=job_id or self.new_job_id(),
                fail_at=fail_at,
                failure=failure,
                result=info,
                description=description,
            )
            if info.payload is not None or info.companions:
                self._pending[job.id] = (job, info)
            self.settle()
            return job

    def settle(self) -> None:
        """Publish what finished jobs produced; drop what failed or cancelled jobs would have."""
        now = self.clock.now()
        with self.lock:
            for job_id, (job, info) in list(self._pending.items()):
                phase = job.phase(now)
                if not phase.final:
                    continue
                del self._pending[job_id]
                if phase is JobPhase.SUCCEEDED:
                    if isinstance(info.payload, Frame):
                        self.frames[info.dest] = info.payload
                    elif info.payload is not None:
                        self.models[info.dest] = info.payload
                        for extra in info.payload.companions:
                            self.publish(extra)
                    for extra in info.companions:
                        self.publish(extra)
                # the board keeps a finished job for a while: through its payload it would keep the frames and
                # models alive long after a client deleted them (the RSS growth of issue 13)
                info.payload = None
                info.companions = []
            self.trim()

    def publish(self, item: Frame | Model) -> None:
        """Store a frame or model under its name."""
        with self.lock:
            if isinstance(item, Frame):
                self.frames[item.name] = item
            else:
                self.models[item.id] = item

    def trim(self) -> None:
        """Drop the oldest frames, models, raw sources, AutoML runs, grids, sessions and partial dependences beyond
        ``max_objects`` of each, and the oldest frames beyond ``max_frame_values`` (never the newest: one frame may
        be that large alone)."""
        with self.lock:
            models = len(self.models)
            held: dict[str, Any]
            kinds = (self.frames, self.models, self.sources, self.automls, self.grids, self.sessions)
            for held in (*kinds, self.partial_dependences):
                for name in list(itertools.islice(held, max(0, len(held) - self.max_objects))):
                    del held[name]
            if len(self.models) < models:
                self._forget_gone_models()
            values = sum(frame.rows * len(frame.columns) for frame in self.frames.values())
            for name in list(self.frames)[:-1]:
                if values <= self.max_frame_values:
                    break
                frame = self.frames.pop(name)
                values -= frame.rows * len(frame.columns)

    def _forget_gone_models(self) -> None:
        """A finished AutoML run lists only its models still held (its leaderboard shows no others): through the run
        the models that went would stay in memory."""
        now = self.clock.now()
        for run in self.automls.values():
            job = self.jobs.get(run.job_id)
            if job is None or job.phase(now).final:
                run.models = [m for m in run.models if m.id in self.models]

    def remember_metrics(self, model_id: str, frame: str, metrics: JSONDict | None) -> None:
        """Keep the metrics of a model scored on a frame, as a real server's store does (the oldest go past
        ``max_objects``)."""
        if metrics is None:
            return
        with self.lock:
            self.scored.pop((model_id, frame), None)
            self.scored[(model_id, frame)] = metrics
            while len(self.scored) > self.max_objects:
                self.scored.pop(next(iter(self.scored)))

    def key_exists(self, name: str) -> bool:
        """Whether any frame, raw source, model or pending result uses that key."""
        with self.lock:
            pending = any(info.dest == name for _, info in self._pending.values())
            return name in self.frames or name in self.sources or name in self.models or pending
