"""What a handler receives (a Call) and returns (a Reply), and the helpers handlers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.params import KeyRef, from_form, from_json
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, key, key_not_found, precondition
from h2oharness.mocks.jobs import Job, JobPhase

STATUS = {
    JobPhase.QUEUED: "CREATED",
    JobPhase.RUNNING: "RUNNING",
    JobPhase.SUCCEEDED: "DONE",
    JobPhase.FAILED: "FAILED",
    JobPhase.CANCELLED: "CANCELLED",
}
PROGRESS_MSG = {JobPhase.SUCCEEDED: "Done.", JobPhase.FAILED: "Failed.", JobPhase.CANCELLED: "Cancelled."}


@dataclass
class Call:
    """One request, decoded: path parameters, query, form fields and, for JSON requests, the body."""

    method: str
    path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    is_json: bool = False
    body: bytes = b""
    content_type: str = ""
    user_agent: str = ""

    @property
    def strings(self) -> dict[str, str]:
        """Query and form fields together (form wins), as H2O-3 merges them."""
        return {**self.query, **self.form}

    def values(self, schema: str) -> dict[str, Any]:
        """Every parameter of the request checked and converted against the route's input schema."""
        values = from_form(schema, self.strings)
        if self.is_json:
            values.update(from_json(schema, self.json_body))
        return values


@dataclass
class Reply:
    """What a handler answers: a JSON body (or raw bytes), a status and a content type."""

    body: JSONDict | bytes | None
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def key_name(value: Any) -> str | None:
    """The name of a KeyRef (or a plain string) parameter."""
    if isinstance(value, KeyRef):
        return value.name
    if isinstance(value, str) and value:
        return value
    return None


def required(values: dict[str, Any], name: str) -> Any:
    """A parameter H2O-3 requires; 412 "Required field ... not specified" without it (an empty string is given)."""
    value = values.get(name)
    if value is None or value == []:
        raise precondition(f"Required field {name} not specified")
    return value


def find_frame(state: H2O3MockState, name: str, argument: str = "key", function: str | None = None) -> Frame:
    """A parsed frame, or H2O-3's 404."""
    frame = state.frames.get(name)
    if frame is None:
        raise key_not_found(name, argument, function)
    return frame


def find_model(state: H2O3MockState, name: str, argument: str = "key", function: str | None = None) -> Model:
    """A trained model, or H2O-3's 404."""
    model = state.models.get(name)
    if model is None:
        raise key_not_found(name, argument, function)
    return model


def job_json(state: H2O3MockState, job: Job) -> JSONDict:
    """A JobV3 showing the job as it is now on the state's clock."""
    now = state.clock.now()
    phase = job.phase(now)
    info: JobInfo = job.result
    ended = job.ended_at(now)
    body = metadata.skeleton("JobV3")
    failed = phase is JobPhase.FAILED
    body.update(
        key=key(job.id, "Job"),
        description=job.description,
        status=STATUS[phase],
        progress=job.progress(now),
        progress_msg=PROGRESS_MSG.get(phase, None if phase is JobPhase.QUEUED else info.progress_msg),
        start_time=state.epoch_ms(job.submitted_at),
        msec=max(0, int(((ended if ended is not None else now) - job.submitted_at) * 1000)),
        dest=key(info.dest, info.dest_kind),
        warnings=None,
        exception=job.failure if failed else None,
        stacktrace=f"{job.failure}\n\tat h2oharness.mock(no Java stack in the mock)\n" if failed else None,
        auto_recoverable=False,
        ready_for_view=True,
    )
    return body


def hex_name(state: H2O3MockState, source: str) -> str:
    """The destination frame H2O-3 proposes for a source key (``train.csv`` -> ``train.hex``, then ``train1.hex``)."""
    text = f"Key<Frame> {source}"
    cut = text.rfind("/")
    if cut > 0:
        text = text[cut + 1 :]
    dot = text.rfind(".")
    while dot > 0 and text.endswith(("zip", "gz", "csv", "xls", "txt", "svm", "orc", "arff")):
        text = text[:dot]
        dot = text.rfind(".")
    if not text or not (text[0].isalpha() or text[0] in "_$"):
        text = "X" + text
    text = text[0] + "".join(c if c.isalnum() or c in "_$" else "_" for c in text[1:])
    name = text + ".hex"
    n = 0
    while state.key_exists(name):
        n += 1
        name = f"{text}{n}.hex"
    return name
