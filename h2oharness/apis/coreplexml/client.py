"""A thin typed facade over an injected ``httpx.Client`` for the CorePlexML Experiments API.

Answers come back as plain dicts. An error status raises
:class:`CorePlexMLResponseError` with the server's ``detail`` (FastAPI's list of
``{loc, msg, type}`` flattened to one line); an answer that is not a JSON object
raises :class:`~h2oharness.errors.ContractViolation`. Waiting goes through
:func:`h2oharness.http.polling.wait_for_job`, so a failed or canceled experiment
raises JobFailed at the first poll that sees it, never a timeout.

Example:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        cpx = CorePlexMLClient(http)
        project = cpx.create_project("churn")
        version = cpx.upload_dataset(project["id"], "churn.csv", csv_text, "churn")["dataset_version_id"]
        experiment = cpx.create_experiment(project["id"], version, "churned", config={"max_models": 5})
        cpx.wait(experiment["id"], timeout=600)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from h2oharness.errors import ContractViolation, ResponseError
from h2oharness.http.jobkinds import JobHistory
from h2oharness.http.polling import Backoff, JobStatus, PollResult, wait_for_job
from h2oharness.http.retryafter import retry_after

JSONDict = dict[str, Any]
FINAL_STATUSES = ("succeeded", "failed", "canceled")
FAILED_STATUSES = ("failed", "canceled")


def detail_text(body: Any) -> str:
    """The server's ``detail`` on one line: a string as is, a FastAPI validation list as ``loc: msg; ...``, and a JSON
    object without one (a gateway's, a proxy's error) as the object itself."""
    if isinstance(body, dict) and "detail" not in body:
        body = json.dumps(body, default=str)
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc") or [])
                parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return " ".join(str(detail).split())[:500]


class CorePlexMLResponseError(ResponseError):
    """CorePlexML answered with an error status; ``status`` and ``detail`` say what it objected to."""

    def __init__(self, method: str, path: str, status: int, body: Any, retry_after: float | None = None) -> None:
        self.detail = detail_text(body)
        message = f"{method} {path} -> HTTP {status}: {self.detail}"
        super().__init__(message, method=method, path=path, status=status, body=body, retry_after=retry_after)


class CorePlexMLClient:
    """Typed calls of the CorePlexML API over an ``httpx.Client`` whose ``base_url`` is the server."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Mapping[str, tuple[str, bytes]] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> JSONDict:
        """Send one request; return the JSON object answered, or raise CorePlexMLResponseError / ContractViolation."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        resp = self.http.request(method, path, params=query or None, json=json_body, files=files, data=data)
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400:
            raise CorePlexMLResponseError(method, path, resp.status_code, body, retry_after(resp))
        if not isinstance(body, dict):
            raise ContractViolation(
                f"{method} {path} -> HTTP {resp.status_code} without a JSON object: {resp.text[:200]}"
            )
        return body

    # -------------------------------------------------------------- projects and datasets

    def list_projects(self, limit: int = 50, offset: int = 0, search: str | None = None) -> JSONDict:
        """``GET /api/projects``."""
        return self.request("GET", "/api/projects", params={"limit": limit, "offset": offset, "search": search})

    def create_project(self, name: str, description: str = "") -> JSONDict:
        """``POST /api/projects``: the project (``id``, ``name``...)."""
        body = self.request("POST", "/api/projects", json_body={"name": name, "description": description})
        project = body.get("project")
        # the SDK accepts {"project": {...}} too
        return dict(project) if isinstance(project, dict) else body

    def project(self, project_id: str) -> JSONDict:
        """``GET /api/projects/{project_id}``."""
        return self.request("GET", f"/api/projects/{project_id}")

    def delete_project(self, project_id: str) -> JSONDict:
        """``DELETE /api/projects/{project_id}``: the project with everything in it."""
        return self.request("DELETE", f"/api/projects/{project_id}")

    def upload_dataset(
        self, project_id: str, filename: str, content: str | bytes, name: str, description: str = ""
    ) -> JSONDict:
        """``POST /api/datasets/upload`` as the SDK sends it: multipart fields and a ``file`` part."""
        raw = content.encode() if isinstance(content, str) else content
        return self.request(
            "POST",
            "/api/datasets/upload",
            data={"project_id": project_id, "name": name, "description": description},
            files={"file": (filename, raw)},
        )

    def dataset(self, dataset_id: str) -> JSONDict:
        """``GET /api/datasets/{dataset_id}``."""
        return self.request("GET", f"/api/datasets/{dataset_id}")

    def dataset_versions(self, dataset_id: str) -> JSONDict:
        """``GET /api/datasets/{dataset_id}/versions``."""
        return self.request("GET", f"/api/datasets/{dataset_id}/versions")

    def delete_dataset(self, dataset_id: str) -> JSONDict:
        """``DELETE /api/datasets/{dataset_id}``."""
        return self.request("DELETE", f"/api/datasets/{dataset_id}")

    # -------------------------------------------------------------- experiments

    def create_experiment(
        self,
        project_id: str,
        dataset_version_id: str,
        target_column: str,
        *,
        name: str = "Experiment",
        problem_type: str = "classification",
        config: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> JSONDict:
        """``POST /api/experiments``: ``{id, experiment_id, job_id, status}``."""
        body = {
            "project_id": project_id,
            "dataset_version_id": dataset_version_id,
            "name": name,
            "target_column": target_column,
            "problem_type": problem_type,
            "config": dict(config or {}),
            **extra,
        }
        return self.request("POST", "/api/experiments", json_body=body)

    def list_experiments(self, **filters: Any) -> JSONDict:
        """``GET /api/experiments``: project_id, dataset_id, status, limit, offset, search, sort_by, sort_order."""
        return self.request("GET", "/api/experiments", params=filters)

    def experiment(self, experiment_id: str) -> JSONDict:
        """``GET /api/experiments/{id}``: ``{experiment, models, artifact_links, best_model_id}``."""
        return self.request("GET", f"/api/experiments/{experiment_id}")

    def status(self, experiment_id: str) -> JSONDict:
        """``GET /api/experiments/{id}/status``."""
        return self.request("GET", f"/api/experiments/{experiment_id}/status")

    def job_status(self, experiment_id: str) -> JobStatus:
        """One poll of an experiment, in the harness's API-neutral terms."""
        body = self.status(experiment_id)
        state = str(body.get("status"))
        progress = body.get("progress")
        return JobStatus(
            state=state,
            progress=float(progress) if isinstance(progress, int | float) else None,
            final=state in FINAL_STATUSES,
            failed=state in FAILED_STATUSES,
            message=str(body.get("error") or ""),
        )

    def wait(
        self,
        experiment_id: str,
        timeout: float = 600.0,
        backoff: Backoff | None = None,
        *,
        started: float | None = None,
        history: JobHistory | None = None,
    ) -> PollResult:
        """Poll until the experiment succeeded; JobFailed (failed, canceled), JobTimeout or ProgressRegressed if not.

        ``started``: the ``time.monotonic()`` of the create; with it, ``history`` (earlier experiments of the kind)
        aims the polls at where they ended.
        """
        return wait_for_job(
            lambda: self.job_status(experiment_id),
            timeout=timeout,
            backoff=backoff,
            what=f"CorePlexML experiment {experiment_id}",
            started=started,
            history=history,
        )

    def wait_for_models(self, experiment_id: str, timeout: float = 60.0) -> JSONDict:
        """Poll until the experiment has a model on its leaderboard or has ended; the last status."""
        last: JSONDict = {}

        def fetch() -> JobStatus:
            nonlocal last
            last = self.status(experiment_id)
            state = str(last.get("status"))
            return JobStatus(state=state, final=bool(last.get("model_count")) or state in FINAL_STATUSES)

        wait_for_job(fetch, timeout=timeout, what=f"models of CorePlexML experiment {experiment_id}")
        return last

    def logs(self, experiment_id: str, include_events: bool = False) -> JSONDict:
        """``GET /api/experiments/{id}/logs``."""
        params = {"include_events": include_events} if include_events else None
        return self.request("GET", f"/api/experiments/{experiment_id}/logs", params=params)

    def explain(self, experiment_id: str) -> JSONDict:
        """``GET /api/experiments/{id}/explain``: the ``explain`` object (Pareto front, varimp heatmap)."""
        body = self.request("GET", f"/api/experiments/{experiment_id}/explain")
        explain = body.get("explain")
        if not isinstance(explain, dict):
            raise ContractViolation(f"explain of {experiment_id} has no 'explain' object: {json.dumps(body)[:200]}")
        return explain

    def set_best_model(self, experiment_id: str, model_id: str) -> JSONDict:
        """``POST /api/experiments/{id}/best-model``."""
        return self.request("POST", f"/api/experiments/{experiment_id}/best-model", json_body={"model_id": model_id})

    def delete_experiment(self, experiment_id: str) -> JSONDict:
        """``DELETE /api/experiments/{id}``."""
        return self.request("DELETE", f"/api/experiments/{experiment_id}")

    def capabilities(self) -> JSONDict:
        """``GET /api/experiments/capabilities``."""
        return self.request("GET", "/api/experiments/capabilities")

    def engine_runs(self, experiment_id: str) -> JSONDict:
        """``GET /api/experiments/{id}/engine-runs``."""
        return self.request("GET", f"/api/experiments/{experiment_id}/engine-runs")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
