"""A thin typed facade over an injected ``httpx.Client`` for the H2O Workflows REST API, plus its OIDC login.

Resource names go on the wire the way the official SDK sends them: the whole name percent-encoded in one
segment (``/v1/workspaces%2Fw%2Fworkflows%2Fx:activate``). Answers come back as plain dicts; an error status
raises :class:`WorkflowsResponseError` with the RpcStatus ``code`` and ``message``.

Example:
    token = login_refresh_token(issuer_url, client_id, refresh_token)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        wf = WorkflowsClient(http)
        run = wf.run_revision(wf.activate("workspaces/w/workflows/x")["activeRevision"])
        wf.wait(run["name"], timeout=120)
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Generator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from h2oharness.errors import ContractViolation, ResponseError, TargetAuthError, TargetUnavailable
from h2oharness.http.deadline import deadline_transport
from h2oharness.http.jobkinds import JobHistory
from h2oharness.http.polling import Backoff, JobStatus, PollResult, wait_for_job
from h2oharness.http.redact import redact
from h2oharness.http.retryafter import retry_after
from h2oharness.settings import variable

JSONDict = dict[str, Any]
RUN_FINAL = ("STATE_SUCCEEDED", "STATE_FAILED")


class WorkflowsResponseError(ResponseError):
    """The server answered an error status; ``status``, ``code`` (gRPC) and ``message`` say why."""

    def __init__(self, method: str, path: str, status: int, body: Any, retry_after: float | None = None) -> None:
        self.code = body.get("code") if isinstance(body, dict) else None
        self.message = str(body.get("message", "")) if isinstance(body, dict) else str(body)[:300]
        text = f"{method} {path} -> HTTP {status} (code {self.code}): {self.message}"
        super().__init__(text, method=method, path=path, status=status, body=body, retry_after=retry_after)


def resource_path(name: str, verb: str = "") -> str:
    """``/v1/<name percent-encoded>[:verb]``, as the SDK writes it."""
    return f"/v1/{quote(name, safe='')}" + (f":{verb}" if verb else "")


def _oidc_http(http: httpx.Client | None, timeout: float) -> contextlib.AbstractContextManager[httpx.Client]:
    """The caller's client, or one whose every request has ``timeout`` seconds in all (a dripping issuer included)."""
    if http is not None:
        return contextlib.nullcontext(http)
    return httpx.Client(transport=deadline_transport(timeout), timeout=timeout)


def discover_token_endpoint(issuer_url: str, *, http: httpx.Client | None = None, timeout: float = 10.0) -> str:
    """The ``token_endpoint`` of an issuer's OpenID discovery document."""
    url = issuer_url.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with _oidc_http(http, timeout) as client:
            resp = client.get(url)
        doc = resp.json()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise TargetUnavailable(f"cannot read the OpenID configuration at {url}: {exc}") from None
    endpoint = doc.get("token_endpoint") if isinstance(doc, dict) else None
    if resp.status_code != 200 or not isinstance(endpoint, str) or not endpoint:
        raise TargetUnavailable(f"{url} answered HTTP {resp.status_code} without a token_endpoint")
    return endpoint


def login_refresh_token(
    issuer_url: str,
    client_id: str,
    refresh_token: str,
    client_secret: str | None = None,
    *,
    http: httpx.Client | None = None,
    timeout: float = 10.0,
    check: Callable[[str], None] | None = None,
) -> str:
    """Trade a refresh token for an access token (OIDC discovery, then the refresh-token grant), as login_custom does.

    ``check(url)`` runs before the issuer and then the token endpoint are contacted, and may refuse by raising.
    Raises TargetAuthError when the issuer refuses the grant, TargetUnavailable when it cannot be reached; neither
    message carries the refresh token or the client secret, even when the issuer's answer echoes them.
    """
    secrets = tuple(s for s in (refresh_token, client_secret) if s)
    if check is not None:
        check(issuer_url)
    try:
        endpoint = discover_token_endpoint(issuer_url, http=http, timeout=timeout)
    except TargetUnavailable as exc:
        raise TargetUnavailable(redact(str(exc), secrets)) from None
    if check is not None:
        check(endpoint)
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    if client_secret:
        form["client_secret"] = client_secret
    try:
        with _oidc_http(http, timeout) as client:
            resp = client.post(endpoint, data=form)
        body = resp.json()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        shown = redact(f"the token endpoint {endpoint} did not answer JSON: {exc}", secrets)
        raise TargetUnavailable(shown) from None
    if resp.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else body
        shown = redact(f"the token endpoint refused the refresh token (HTTP {resp.status_code}): {reason}", secrets)
        raise TargetAuthError(shown)
    return str(body["access_token"])


def login_at_target(url: str, client_id: str, refresh_token: str, *, timeout: float = 10.0) -> str:
    """Log in at a server that is its own issuer (the mock): an access token, or ContractViolation naming why not.

    Its discovery document and token endpoint are operations of the API under test, so a reset, an error status or
    a refused grant there is the target failing a check, not a login the harness could not do (TargetUnavailable,
    exit 3), as it is at a separate issuer.
    """
    try:
        return login_refresh_token(url, client_id, refresh_token, timeout=timeout)
    except TargetUnavailable as exc:  # TargetAuthError included: the target refused its own refresh token
        raise ContractViolation(f"the target's own login (OIDC discovery, refresh-token grant) failed: {exc}") from None


def token_from_environment(check: Callable[[str], None] | None = None) -> str | None:
    """An access token from ``WORKFLOWS_ISSUER_URL``, ``WORKFLOWS_CLIENT_ID`` and ``WORKFLOWS_REFRESH_TOKEN``
    (plus an optional ``WORKFLOWS_CLIENT_SECRET``) through the refresh-token grant; None when they are not all set.
    ``check(url)`` runs before each host of the login is contacted."""
    issuer, client_id, refresh = (variable(f"WORKFLOWS_{n}") for n in ("ISSUER_URL", "CLIENT_ID", "REFRESH_TOKEN"))
    if not (issuer and client_id and refresh):
        return None
    return login_refresh_token(issuer, client_id, refresh, variable("WORKFLOWS_CLIENT_SECRET"), check=check)


class RefreshingBearer(httpx.Auth):
    """A bearer token that ``login()`` renews when the server refuses it (HTTP 401), the request then sent once
    more: what an OIDC client does when its access token expires during a long wait.

    Example:
        http.auth = RefreshingBearer(lambda: login_refresh_token(issuer_url, client_id, refresh_token))
    """

    def __init__(self, login: Callable[[], str], token: str | None = None) -> None:
        self.login = login
        self.token = login() if token is None else token
        self.renewals = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; on a 401, log in again (unless another request just did) and resend."""
        sent = self.token
        request.headers["Authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code != 401:
            return
        if self.token == sent:
            self.token = self.login()
            self.renewals += 1
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def run_status(run: Mapping[str, Any]) -> JobStatus:
    """A run in the polling helper's terms: final on SUCCEEDED/FAILED, failed with the reason and message."""
    state = str(run.get("state", ""))
    failed = state == "STATE_FAILED"
    message = f"{run.get('failureReason', '')}: {run.get('failureMessage', '')}" if failed else ""
    return JobStatus(state=state, final=state in RUN_FINAL, failed=failed, message=message)


class WorkflowsClient:
    """Typed calls of the Workflows REST API over an ``httpx.Client`` whose ``base_url`` is the server."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None) -> JSONDict:
        """Send one request; the JSON object answered, or WorkflowsResponseError / ContractViolation."""
        resp = self.http.request(method, path, params=params, json=json)
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400:
            raise WorkflowsResponseError(method, path, resp.status_code, body, retry_after(resp))
        if not isinstance(body, dict):
            raise ContractViolation(f"{method} {path} -> HTTP {resp.status_code} answered {type(body).__name__}")
        return body

    def version(self) -> JSONDict:
        """GET /version (no auth needed)."""
        return self.request("GET", "/version")

    # -------------------------------------------------------------- workflows
    def list_workflows(self, parent: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``workflows`` and ``nextPageToken``."""
        return self.request("GET", resource_path(parent) + "/workflows", params=_page(page_size, page_token))

    def create_workflow(self, parent: str, source: str) -> JSONDict:
        """Create a workflow from its YAML source; the Workflow."""
        return _field(
            self.request("POST", resource_path(parent) + "/workflows", json={"sourceContents": source}), "workflow"
        )

    def validate(self, parent: str, source: str) -> JSONDict:
        """``isValid`` and ``validationErrors`` of a source."""
        return self.request("POST", resource_path(parent) + "/workflows:validate", json={"sourceContents": source})

    def get_workflow(self, name: str) -> JSONDict:
        """The Workflow."""
        return _field(self.request("GET", resource_path(name)), "workflow")

    def update_workflow(self, name: str, source: str, update_mask: str = "*") -> JSONDict:
        """Replace the draft source; the Workflow."""
        body = {"sourceContents": source}
        return _field(
            self.request("PATCH", resource_path(name), params={"updateMask": update_mask}, json=body), "workflow"
        )

    def delete_workflow(self, name: str) -> None:
        """Delete a workflow with its revisions and runs."""
        self.request("DELETE", resource_path(name))

    def activate(self, name: str) -> JSONDict:
        """Activate (a new revision from the draft); the Workflow."""
        return _field(self.request("POST", resource_path(name, "activate"), json={}), "workflow")

    def deactivate(self, name: str) -> JSONDict:
        """Deactivate; the Workflow."""
        return _field(self.request("POST", resource_path(name, "deactivate"), json={}), "workflow")

    # -------------------------------------------------------------- revisions and runs
    def list_revisions(self, workflow: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``workflowRevisions`` and ``nextPageToken``."""
        return self.request("GET", resource_path(workflow) + "/revisions", params=_page(page_size, page_token))

    def get_revision(self, name: str) -> JSONDict:
        """The WorkflowRevision."""
        return _field(self.request("GET", resource_path(name)), "workflowRevision")

    def run_revision(self, revision: str, inputs: Mapping[str, Any] | None = None) -> JSONDict:
        """Start a manual run; the Run."""
        body = {"inputs": dict(inputs) if inputs else {"stringValues": [], "boolValues": [], "intValues": []}}
        return _field(self.request("POST", resource_path(revision, "run"), json=body), "run")

    def list_runs(self, revision: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``runs`` and ``nextPageToken``."""
        return self.request("GET", resource_path(revision) + "/runs", params=_page(page_size, page_token))

    def get_run(self, name: str) -> JSONDict:
        """The Run."""
        return _field(self.request("GET", resource_path(name)), "run")

    def cancel_run(self, name: str) -> JSONDict:
        """Cancel; the Run."""
        return _field(self.request("POST", resource_path(name, "cancel"), json={}), "run")

    def retry_run(self, name: str, retry_mode: str | None = None) -> JSONDict:
        """Retry a failed run (``RETRY_MODE_ALL_JOBS`` or ``RETRY_MODE_FAILED_JOBS``); the Run."""
        body = {"retryMode": retry_mode} if retry_mode else {}
        return _field(self.request("POST", resource_path(name, "retry"), json=body), "run")

    def delete_run(self, name: str) -> None:
        """Delete a finished run."""
        self.request("DELETE", resource_path(name))

    def wait(
        self,
        run: str,
        *,
        timeout: float = 300.0,
        backoff: Backoff | None = None,
        started: float | None = None,
        history: JobHistory | None = None,
    ) -> PollResult:
        """Poll a run until it is final; JobFailed (with the failure reason) when it fails, JobTimeout.

        ``started``: the ``time.monotonic()`` of the run's start request; with it, ``history`` (earlier runs of
        the kind) aims the polls at where they ended.
        """
        return wait_for_job(
            lambda: run_status(self.get_run(run)),
            timeout=timeout,
            backoff=backoff,
            what=f"run {run}",
            started=started,
            history=history,
        )

    def wait_final(self, run: str, *, timeout: float = 300.0) -> JSONDict:
        """Poll a run until it is final, failed or not; the final Run."""
        seen: list[JSONDict] = []

        def fetch() -> JobStatus:
            seen.append(self.get_run(run))
            status = run_status(seen[-1])
            return JobStatus(status.state, final=status.final)

        wait_for_job(fetch, timeout=timeout, what=f"run {run}")
        return seen[-1]

    # -------------------------------------------------------------- attempts, jobs, steps, logs
    def list_attempts(self, run: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``runAttempts`` and ``nextPageToken``."""
        return self.request("GET", resource_path(run) + "/attempts", params=_page(page_size, page_token))

    def get_attempt(self, name: str) -> JSONDict:
        """The RunAttempt."""
        return _field(self.request("GET", resource_path(name)), "runAttempt")

    def list_jobs(self, attempt: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``jobs`` and ``nextPageToken``."""
        return self.request("GET", resource_path(attempt) + "/jobs", params=_page(page_size, page_token))

    def get_job(self, name: str) -> JSONDict:
        """The Job."""
        return _field(self.request("GET", resource_path(name)), "job")

    def list_steps(self, job: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``steps`` and ``nextPageToken``."""
        return self.request("GET", resource_path(job) + "/steps", params=_page(page_size, page_token))

    def get_step(self, name: str) -> JSONDict:
        """The Step."""
        return _field(self.request("GET", resource_path(name)), "step")

    def step_logs(self, name: str, stream: str = "OUTPUT_STREAM_UNSPECIFIED") -> str:
        """A step's buffered log, decoded from base64."""
        data = self.request("GET", resource_path(name, "logs"), params={"stream": stream}).get("data") or ""
        return base64.b64decode(data).decode("utf-8", errors="replace")

    # -------------------------------------------------------------- runners
    def list_runners(self, parent: str, page_size: int = 0, page_token: str = "") -> JSONDict:
        """One page: ``runners`` and ``nextPageToken``."""
        return self.request("GET", resource_path(parent) + "/runners", params=_page(page_size, page_token))

    def create_runner(self, parent: str, runner_id: str, image: str, template: str) -> JSONDict:
        """Create a runner; the Runner."""
        body = {"sandboxEngineImage": image, "sandboxEngineTemplate": template}
        path = resource_path(parent) + "/runners"
        return _field(self.request("POST", path, params={"runnerId": runner_id}, json=body), "runner")

    def delete_runner(self, name: str) -> None:
        """Delete a runner."""
        self.request("DELETE", resource_path(name))

    def list_all(self, kind: str, parent: str, page_size: int = 0, max_pages: int = 100) -> list[JSONDict]:
        """Every item of a list (``kind`` e.g. 'workflows'), following ``nextPageToken`` for at most ``max_pages``."""
        lister = {
            "workflows": self.list_workflows,
            "workflowRevisions": self.list_revisions,
            "runs": self.list_runs,
            "runAttempts": self.list_attempts,
            "jobs": self.list_jobs,
            "steps": self.list_steps,
            "runners": self.list_runners,
        }[kind]
        items: list[JSONDict] = []
        token = ""
        for _ in range(max_pages):
            page = lister(parent, page_size, token)
            items += page.get(kind) or []
            token = page.get("nextPageToken") or ""
            if not token:
                return items
        raise ContractViolation(f"listing {kind} of {parent} did not end within {max_pages} pages")


def _field(body: JSONDict, key: str) -> JSONDict:
    value = body.get(key)
    if not isinstance(value, dict):
        raise ContractViolation(f"the answer has no {key!r} object: {str(body)[:200]}")
    return value


def _page(size: int, token: str) -> dict[str, Any]:
    return {"pageSize": size, "pageToken": token}
