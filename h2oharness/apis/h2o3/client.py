"""A thin typed facade over an injected ``httpx.Client`` for H2O-3's REST API, speaking the way h2o-py does.

Requests are form-encoded like h2o-py's (lists as ``["a","b"]``, key objects
collapsed to their names, ``None`` dropped). Answers come back as plain dicts;
an error status raises :class:`H2O3ResponseError` carrying the server's own
message (``msg`` of an H2OErrorV3, or the ERRR messages of an
H2OModelBuilderErrorV3), and an answer that is not a JSON object raises
:class:`~h2oharness.errors.ContractViolation`.

Example:
    with httpx.Client(base_url=url, timeout=60) as http:
        h2o = H2O3Client(http)
        raw = h2o.import_files("/data/train.csv")["destination_frames"]
        parse = h2o.parse(h2o.parse_setup(raw))
        h2o.wait(parse["job"]["key"]["name"])
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from h2oharness.errors import ContractViolation, ResponseError
from h2oharness.http.jobkinds import JobHistory
from h2oharness.http.polling import Backoff, JobStatus, wait_for_job
from h2oharness.http.retryafter import retry_after

JSONDict = dict[str, Any]
FINAL_STATES = ("DONE", "FAILED", "CANCELLED")
# ParseSetup answers that h2o-py copies into its Parse request
PARSE_FIELDS = (
    "destination_frame", "parse_type", "separator", "check_header", "number_columns", "chunk_size",
    "column_types", "column_names", "skipped_columns", "single_quotes", "escapechar", "force_col_types",
    "custom_non_data_line_markers", "partition_by", "na_strings", "tz_adjust_to_local",
)  # fmt: skip


class H2O3ResponseError(ResponseError):
    """H2O-3 answered with an error status; ``status``, ``body`` and ``messages`` say what it objected to."""

    def __init__(self, method: str, path: str, status: int, body: Any, retry_after: float | None = None) -> None:
        self.body = body
        self.schema = _schema(body)
        self.messages = _errors(body)
        message = f"{method} {path} -> HTTP {status} {self.schema or ''}: {self.reason}".replace("  ", " ")
        super().__init__(message, method=method, path=path, status=status, body=body, retry_after=retry_after)

    @property
    def reason(self) -> str:
        """The server's own explanation, on one line."""
        if isinstance(self.body, dict):
            text = str(self.body.get("exception_msg") or self.body.get("msg") or "").strip()
            text = text.replace("ERROR MESSAGE:", "").strip()
            if self.messages:
                details = "; ".join(f"{f}: {m}" for f, m in self.messages)
                return f"{text.splitlines()[0] if text else 'invalid parameters'} [{details}]"
            if text:
                return " ".join(text.split())
        return str(self.body)[:300]


def _schema(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("__meta"), dict):
        return str(body["__meta"].get("schema_name"))
    return None


def _errors(body: Any) -> list[tuple[str, str]]:
    if not isinstance(body, dict):
        return []
    return [
        (str(m.get("field_name")), str(m.get("message")))
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("message_type") == "ERRR"
    ]


def form_value(value: Any) -> str | None:
    """How h2o-py writes one parameter in a form: lists as ``["a","b"]``, keys as names, None dropped."""
    if value is None:
        return None
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, list | tuple):
        return json.dumps(
            [v["name"] if isinstance(v, dict) and "name" in v else v for v in value], separators=(",", ":")
        )
    return str(value)


def form(params: Mapping[str, Any]) -> dict[str, str]:
    """A whole parameter mapping as form fields."""
    return {k: v for k, v in ((k, form_value(v)) for k, v in params.items()) if v is not None}


class H2O3Client:
    """Typed calls of the H2O-3 REST API over an ``httpx.Client`` whose ``base_url`` is the server."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    # -------------------------------------------------------------- plumbing

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> JSONDict:
        """Send one request; return the JSON object answered, or raise H2O3ResponseError / ContractViolation."""
        resp = self.http.request(
            method,
            path,
            params=form(params) if params else None,
            data=form(data) if data else None,
            content=content,
        )
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400:
            raise H2O3ResponseError(method, path, resp.status_code, body, retry_after(resp))
        if not isinstance(body, dict):
            raise ContractViolation(
                f"{method} {path} -> HTTP {resp.status_code} without a JSON object: {resp.text[:200]}"
            )
        return body

    # -------------------------------------------------------------- cluster

    def cloud(self) -> JSONDict:
        """``GET /3/Cloud``."""
        return self.request("GET", "/3/Cloud")

    # -------------------------------------------------------------- data in

    def import_files(self, path: str | list[str], pattern: str | None = None) -> JSONDict:
        """``GET /3/ImportFiles`` for one path (the seed's call), ``POST /3/ImportFilesMulti`` for several."""
        if isinstance(path, str):
            return self.request("GET", "/3/ImportFiles", params={"path": path, "pattern": pattern})
        return self.request("POST", "/3/ImportFilesMulti", data={"paths": _unquoted(path), "pattern": pattern})

    def post_file(self, source: str | Path | bytes, destination_frame: str | None = None) -> JSONDict:
        """``POST /3/PostFile``: upload a local file (or bytes) as h2o-py does, as the raw request body."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        params = {"destination_frame": destination_frame} if destination_frame else None
        return self.request("POST", "/3/PostFile", params=params, content=data)

    def parse_setup(self, source_frames: str | list[str], **params: Any) -> JSONDict:
        """``POST /3/ParseSetup`` with h2o-py's defaults (``check_header=0``: let the server guess)."""
        sources = [source_frames] if isinstance(source_frames, str) else list(source_frames)
        data = {"check_header": 0, "single_quotes": False, "tz_adjust_to_local": False, **params}
        data["source_frames"] = sources
        return self.request("POST", "/3/ParseSetup", data=data)

    def parse(self, setup: Mapping[str, Any] | None = None, **params: Any) -> JSONDict:
        """``POST /3/Parse`` from a ParseSetup answer (as h2o-py copies it) plus overrides; the answer holds a job."""
        data: dict[str, Any] = {"delete_on_done": True, "blocking": False}
        if setup is not None:
            data.update({k: setup[k] for k in PARSE_FIELDS if setup.get(k) is not None})
            data["source_frames"] = [s["name"] if isinstance(s, dict) else s for s in setup.get("source_frames") or []]
        data.update(params)
        return self.request("POST", "/3/Parse", data=data)

    # -------------------------------------------------------------- jobs

    def job(self, job_id: str) -> JSONDict:
        """``GET /3/Jobs/{job_id}``: the job itself (``jobs[0]``)."""
        body = self.request("GET", f"/3/Jobs/{job_id}")
        jobs = body.get("jobs") or []
        if not jobs or not isinstance(jobs[0], dict):
            raise ContractViolation(f"GET /3/Jobs/{job_id} answered no job: {json.dumps(body)[:200]}")
        job: JSONDict = jobs[0]
        return job

    def jobs(self) -> list[JSONDict]:
        """``GET /3/Jobs``: every job the server holds."""
        return list(self.request("GET", "/3/Jobs").get("jobs") or [])

    def cancel_job(self, job_id: str) -> JSONDict:
        """``POST /3/Jobs/{job_id}/cancel``."""
        return self.request("POST", f"/3/Jobs/{job_id}/cancel")

    def job_status(self, job_id: str) -> JobStatus:
        """One poll of a job, in the harness's API-neutral terms."""
        job = self.job(job_id)
        state = str(job.get("status"))
        message = str(job.get("exception") or job.get("progress_msg") or "")
        progress = job.get("progress")
        return JobStatus(
            state=state,
            progress=float(progress) if isinstance(progress, int | float) else None,
            final=state in FINAL_STATES,
            failed=state in ("FAILED", "CANCELLED"),
            message=message,
        )

    def wait(
        self,
        job_id: str,
        timeout: float = 120.0,
        backoff: Backoff | None = None,
        started: float | None = None,
        history: JobHistory | None = None,
    ) -> JSONDict:
        """Poll until the job is DONE and return it; JobFailed, JobTimeout or ProgressRegressed otherwise.

        ``started`` is the ``time.monotonic()`` when the submit was answered: it saves a poll or two; with it,
        ``history`` (earlier jobs of the same kind, ``JobKinds()["parse"]``) aims the polls at where they ended.
        """
        wait_for_job(
            lambda: self.job_status(job_id),
            timeout=timeout,
            backoff=backoff,
            what=f"H2O-3 job {job_id}",
            started=started,
            history=history,
        )
        return self.job(job_id)

    # -------------------------------------------------------------- frames

    def frames(self) -> list[JSONDict]:
        """``GET /3/Frames``: a synopsis of every frame."""
        return list(self.request("GET", "/3/Frames").get("frames") or [])

    def frame(
        self, frame_id: str, *, row_offset: int = 0, row_count: int = 10, column_offset: int = 0, column_count: int = -1
    ) -> JSONDict:
        """``GET /3/Frames/{frame_id}`` with h2o-py's window parameters: the frame (``frames[0]``)."""
        params = {
            "row_offset": row_offset,
            "row_count": row_count,
            "column_offset": column_offset,
            "column_count": column_count,
            "full_column_count": -1,
        }
        return _first(self.request("GET", f"/3/Frames/{frame_id}", params=params), "frames", frame_id)

    def frame_summary(self, frame_id: str) -> JSONDict:
        """``GET /3/Frames/{frame_id}/summary``: the frame with histograms and percentiles."""
        return _first(self.request("GET", f"/3/Frames/{frame_id}/summary"), "frames", frame_id)

    def delete_frame(self, frame_id: str) -> JSONDict:
        """``DELETE /3/Frames/{frame_id}``."""
        return self.request("DELETE", f"/3/Frames/{frame_id}")

    # -------------------------------------------------------------- models

    def build_model(self, algo: str, **params: Any) -> JSONDict:
        """``POST /3/ModelBuilders/{algo}``: the builder's answer, whose ``job`` builds the model."""
        return self.request("POST", f"/3/ModelBuilders/{algo}", data=params)

    def validate_parameters(self, algo: str, **params: Any) -> JSONDict:
        """``POST /3/ModelBuilders/{algo}/parameters``: validation messages without a build."""
        return self.request("POST", f"/3/ModelBuilders/{algo}/parameters", data=params)

    def model(self, model_id: str) -> JSONDict:
        """``GET /3/Models/{model_id}``: the model (``models[0]``)."""
        return _first(self.request("GET", f"/3/Models/{model_id}"), "models", model_id)

    def models(self) -> list[JSONDict]:
        """``GET /3/Models``: a synopsis of every model."""
        return list(self.request("GET", "/3/Models").get("models") or [])

    def delete_model(self, model_id: str) -> JSONDict:
        """``DELETE /3/Models/{model_id}``."""
        return self.request("DELETE", f"/3/Models/{model_id}")

    def predict(self, model_id: str, frame_id: str, *, asynchronous: bool = False, **params: Any) -> JSONDict:
        """Score a frame: ``POST /3/Predictions/...`` (metrics and ``predictions_frame``) or, async, ``/4/`` (a job)."""
        version = 4 if asynchronous else 3
        return self.request("POST", f"/{version}/Predictions/models/{model_id}/frames/{frame_id}", data=params or None)


def _unquoted(paths: list[str]) -> str:
    # h2o-py sends paths unquoted: [/a.csv,/b.csv]
    return "[" + ",".join(paths) + "]"


def _first(body: JSONDict, member: str, name: str) -> JSONDict:
    items = body.get(member) or []
    if not items or not isinstance(items[0], dict):
        raise ContractViolation(f"the answer for {name!r} has no {member}[0]: {json.dumps(body)[:200]}")
    first: JSONDict = items[0]
    return first
