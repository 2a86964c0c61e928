"""Real ids for a contract run: a project and what lives in it, made on the target, put in positive cases.

A generated ``project_id`` or ``deployment_id`` names nothing, so every valid request to ``/api/projects/{id}``
and the like got the documented 404 and its success answer was never checked. Before an operation's cases run,
``IdFeed.ensure`` makes a project, a dataset uploaded into it, an experiment on it and, once the experiment has a
model (waited for at most ``MODEL_WAIT`` seconds: a live run may take long), a deployment of that model and a
studio session on it; then a member, a report, a privacy policy with a session and a detection job, and a SynthGen
model with a generation job. ``IdFeed.fill`` puts their ids into every other positive case of an operation (the
first included; a case drawn again gets what it got before), in the path, the query and top-level body fields
alike; the others keep their drawn ids, whose 404 is tested too. Negative cases are left as drawn (their violation
may be the id itself). What the experiment could not make in time (no model) stays drawn.

A new experiment's fed case (``POST /api/experiments``) also gets a target the fed dataset has, and its drawn config
made valid for it (``valid_experiment``): a schema-valid config may still break a rule the seed states across
fields, which the contract cannot say. The experiments such cases start are deleted (the API's only way to stop
one) once the operation's test is over (``cancel_started``), and at the end (``remove``).

A default run makes only what its operations name (``wanted``): its project, dataset, experiment and model, no
deployment, studio session, member, report, privacy or SynthGen job unless one of its operations takes one.

A case that deletes or deactivates a fed thing (``note`` sees its 2xx) has everything made again before the next
case, in a new project; the old one is deleted.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from typing import Any

import httpx

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mockparts.catalog import (
    ALGORITHMS,
    METRIC_SPELLINGS,
    PROBLEM_ALIASES,
    SORT_METRICS,
    STOPPING_METRICS,
)
from h2oharness.contractplan import ExtraCase, fed_draw
from h2oharness.errors import ContractViolation, HarnessError

#: what a refused or unanswered request raises through the client
REFUSED = (ContractViolation, HarnessError, httpx.HTTPError)

__all__ = ["MODEL_WAIT", "PARTS", "IdFeed", "SweepIds", "filled", "make_ids", "valid_experiment", "wanted"]

#: the longest the feed waits for the experiment's first model (the mock's take about a second)
MODEL_WAIT = 20.0
EXPERIMENTS = "/api/experiments"
#: the fed dataset's columns a new experiment trains on: ``label`` (yes/no, binary) and ``x2`` (real, 0 to 10)
CLASS_TARGET, NUMERIC_TARGET = "label", "x2"
#: body fields that name a fed thing by another name
ALIASES = {"to_model_id": "model_id", "to_deployment_id": "deployment_id", "entity_id": "experiment_id"}


@dataclass(frozen=True)
class SweepIds:
    """What exists on the target for positive cases to name (None: it could not be made)."""

    project: str
    dataset: str
    version: str
    experiment: str
    model: str | None = None
    deployment: str | None = None
    studio_session: str | None = None
    scenario: str | None = None
    member: str | None = None
    report: str | None = None
    policy: str | None = None
    privacy_session: str | None = None
    privacy_job: str | None = None
    synthgen_model: str | None = None
    synthgen_job: str | None = None

    def value(self, name: str, path: str) -> str | None:
        """The real id for a parameter or field called ``name`` of the operation at ``path``, or None."""
        name = ALIASES.get(name, name)
        studio, privacy, synthgen = (path.startswith(f"/api/{p}/") for p in ("studio", "privacy", "synthgen"))
        if name == "model_id":
            return self.synthgen_model if synthgen else self.model
        if name == "session_id":
            return self.studio_session if studio else self.privacy_session if privacy else None
        if name == "job_id":
            return self.synthgen_job if synthgen else self.privacy_job
        return {
            "project_id": self.project,
            "dataset_id": self.dataset,
            "dataset_version_id": self.version,
            "experiment_id": self.experiment,
            "deployment_id": self.deployment,
            "scenario_id": self.scenario,
            "member_id": self.member,
            "report_id": self.report,
            "policy_id": self.policy,
        }.get(name)

    def named(self) -> set[str]:
        """Every id held, to tell whether a request names one of them."""
        return {str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}


def _id(body: dict[str, Any], *names: str) -> str | None:
    """The id an answer carries, flat or under a wrapper (``{"deployment": {...}}``), by the first name it has."""
    for holder in (body, *(v for v in body.values() if isinstance(v, dict))):
        for name in (*names, "id"):
            if isinstance(holder.get(name), str | int) and not isinstance(holder.get(name), bool):
                return str(holder[name])
    return None


def _made(client: CorePlexMLClient, method: str, path: str, body: dict[str, Any], *names: str) -> str | None:
    """The id of what ``method path`` made, or None when the target refused (the ids needing it stay drawn)."""
    try:
        return _id(client.request(method, path, json_body=body), *names)
    except REFUSED:
        return None


def _first_model(client: CorePlexMLClient, experiment: str, wait: float) -> str | None:
    """The experiment's best (else first) model once it has one, or None if none came within ``wait`` seconds."""
    try:
        client.wait_for_models(experiment, timeout=wait)
        detail = client.experiment(experiment)
    except REFUSED:
        return None
    if detail.get("best_model_id"):
        return str(detail["best_model_id"])
    models = [m for m in detail.get("models") or [] if isinstance(m, dict)]
    return _id(models[0], "model_id") if models else None


#: what a project may hold beyond its dataset, experiment and model, by the paths of the operations that name it
PARTS = {
    "serving": ("/api/mlops/", "/api/studio/"),
    "member": ("/api/projects/{project_id}/members",),
    "report": ("/api/reports",),
    "privacy": ("/api/privacy/",),
    "synthgen": ("/api/synthgen/",),
}


def wanted(schema: Any) -> frozenset[str]:
    """The ``PARTS`` the operations ``schema`` tests need: a default run deploys no model and starts no privacy or
    SynthGen job on a shared server when none of its operations names one."""
    paths = [result.ok().path for result in schema.get_all_operations()]
    return frozenset(part for part, prefixes in PARTS.items() if any(p.startswith(prefixes) for p in paths))


def make_ids(
    client: CorePlexMLClient, tag: str, wait: float = MODEL_WAIT, parts: frozenset[str] = frozenset(PARTS)
) -> SweepIds:
    """Make the project, its dataset, an experiment and its model, and of the rest the ``parts`` asked for;
    CorePlexMLResponseError when the project, dataset or experiment fails."""
    project = str(client.create_project(f"h2oharness_sweep_{tag}", "made by h2oharness")["id"])
    csv = payloads.classification_csv(rows=60, seed=5)
    upload = client.upload_dataset(project, "train.csv", csv, f"h2oharness_sweep_{tag}")
    dataset, version = str(upload["dataset_id"]), str(upload["dataset_version_id"])
    config = {"max_models": 1, "max_runtime_secs": 30, "seed": 1}
    experiment = str(client.create_experiment(project, version, "label", name="h2oharness sweep", config=config)["id"])
    model = _first_model(client, experiment, wait)
    deployment, studio, scenario = (
        _serving(client, project, model) if "serving" in parts and model is not None else (None, None, None)
    )
    member_body = {"email": "sweep@h2oharness.test", "role": "viewer"}
    report_body = {"project_id": project, "kind": "experiment", "entity_id": experiment}
    policy, privacy_session, privacy_job = _privacy(client, project, dataset) if "privacy" in parts else (None,) * 3
    synthgen_model, synthgen_job = _synthgen(client, project, version) if "synthgen" in parts else (None, None)
    members = f"/api/projects/{project}/members"
    return SweepIds(
        project=project, dataset=dataset, version=version, experiment=experiment, model=model,
        deployment=deployment, studio_session=studio, scenario=scenario,
        member=_made(client, "POST", members, member_body, "member_id", "user_id") if "member" in parts else None,
        report=_made(client, "POST", "/api/reports", report_body, "report_id") if "report" in parts else None,
        policy=policy, privacy_session=privacy_session, privacy_job=privacy_job, synthgen_model=synthgen_model,
        synthgen_job=synthgen_job,
    )  # fmt: skip


Made = str | None


def _serving(client: CorePlexMLClient, project: str, model: str) -> tuple[Made, Made, Made]:
    """A deployment of ``model``, a studio session on it and a scenario in that."""
    body: dict[str, Any] = {"model_id": model, "name": "h2oharness sweep", "stage": "staging"}
    deployment = _made(client, "POST", f"/api/mlops/projects/{project}/deployments", body, "deployment_id")
    if deployment is None:
        return None, None, None
    baseline = {"x1": 0.5, "x2": 3.0, "color": "red", "size": 2}
    body = {"project_id": project, "deployment_id": deployment, "baseline_input": baseline}
    studio = _made(client, "POST", "/api/studio/sessions", body, "session_id")
    if studio is None:
        return deployment, None, None
    body = {"name": "h2oharness sweep", "changes": {"size": 4}}
    return deployment, studio, _made(client, "POST", f"/api/studio/sessions/{studio}/scenarios", body, "scenario_id")


def _privacy(client: CorePlexMLClient, project: str, dataset: str) -> tuple[Made, Made, Made]:
    """A privacy policy, a session of it on ``dataset`` and a detection job in that."""
    body = {"project_id": project, "name": "h2oharness sweep", "description": "sweep", "profile": "gdpr"}
    policy = _made(client, "POST", "/api/privacy/policies", body, "policy_id")
    if policy is None:
        return None, None, None
    body = {"policy_id": policy, "dataset_id": dataset}
    session = _made(client, "POST", "/api/privacy/sessions", body, "session_id")
    if session is None:
        return policy, None, None
    return policy, session, _made(client, "POST", f"/api/privacy/sessions/{session}/detect", {}, "job_id")


def _synthgen(client: CorePlexMLClient, project: str, version: str) -> tuple[Made, Made]:
    """A SynthGen model of the dataset version and a generation job of it."""
    body: dict[str, Any] = {
        "project_id": project, "dataset_version_id": version, "name": "h2oharness sweep", "model_type": "ctgan",
        "config": {},
    }  # fmt: skip
    model = _made(client, "POST", "/api/synthgen/models", body, "model_id")
    if model is None:
        return None, None
    path = f"/api/synthgen/models/{model}/generate"
    return model, _made(client, "POST", path, {"num_rows": 10, "seed": 1}, "job_id", "synthgen_job_id")


def filled(ids: SweepIds, path: str, drawn: Any) -> Any:
    """``drawn`` (path parameters, a query or a JSON body) with every id it carries by a known name replaced; None if
    nothing would change."""
    if not isinstance(drawn, dict):
        return None
    out = dict(drawn)
    for name in drawn:
        value = ids.value(name, path)
        if value is not None:
            out[name] = value
    return None if out == drawn else out


def valid_experiment(body: dict[str, Any]) -> dict[str, Any]:
    """A drawn ``POST /api/experiments`` body (its ids already the fed ones) that trains on the fed dataset: a target
    it has, and each config option a rule across fields refuses for that target left out (its default applies).

    The seed's rules (002_cb37d3b791997043.txt): a distribution is for regression (line 87, "Distribution family
    (regression)"); sort metrics per problem type (lines 133-172), ``quantile`` when the distribution is quantile
    (line 178) and ``deviance`` for all (line 180). Not in the seed: the stopping metrics per problem type (the
    published page's list) and that excluding every base algorithm leaves nothing to train (lines 119-121 say only
    that a Stacked Ensemble combines the other models)."""
    out = dict(body)
    kind = str(out.get("problem_type", "classification"))
    regression = PROBLEM_ALIASES.get(kind, kind) == "regression"
    out["target_column"] = NUMERIC_TARGET if regression else CLASS_TARGET
    config = out.get("config")
    if not isinstance(config, dict):
        return out
    config = dict(config)
    subtype = "regression" if regression else "binary"
    if not regression:
        config.pop("distribution", None)
    sort_allowed = {"AUTO", *SORT_METRICS[subtype], *(["quantile"] if config.get("distribution") == "quantile" else [])}
    for key, allowed in (("sort_metric", sort_allowed), ("stopping_metric", {"AUTO", *STOPPING_METRICS[subtype]})):
        if key in config and METRIC_SPELLINGS.get(str(config[key])) not in allowed:
            del config[key]
    base = set(ALGORITHMS) - {"StackedEnsemble"}
    if isinstance(config.get("exclude_algos"), list) and base <= set(config["exclude_algos"]):
        del config["exclude_algos"]
    out["config"] = config
    return out


def _removes(method: str, url: str) -> bool:
    """Whether a request, answered with a 2xx, took a fed thing away (a delete) or spoiled it (a deactivation)."""
    return method == "DELETE" or url.split("?", 1)[0].endswith("/deactivate")


class IdFeed:
    """The ids the positive cases get, kept present on the target; one per session (one per xdist worker)."""

    def __init__(self, wait: float = MODEL_WAIT) -> None:
        #: the ids on the target the current case goes to
        self.keys: SweepIds | None = None
        self.error: str | None = None
        self._wait = wait
        self._parts = frozenset(PARTS)
        # per target URL: a session may test the mock and a live server in turn
        self._made: dict[str, SweepIds] = {}
        self._http: httpx.Client | None = None
        self._tag = ""
        # this operation's positive cases (as drawn) and whether each gets the real ids
        self._chosen: dict[str, bool] = {}
        #: experiments cases started, deleted after the operation's test
        self._started: list[str] = []

    def install(self, schema: Any) -> None:
        """No hooks (the ids go in at send time, ``fill``): which parts of a project the run's operations name."""
        self._parts = wanted(schema)

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make the ids if any is missing (first use, a case deleted one, a restart lost them)."""
        self._chosen = {}
        self._remake(http, tag)

    def _remake(self, http: httpx.Client, tag: str) -> None:
        self._http, self._tag = http, tag
        url = str(http.base_url)
        self.keys = self._made.get(url)
        if self.keys is not None and self._present(http, self.keys):
            return
        if self.keys is not None:
            self._delete(http, self.keys)  # what a case left of them goes before they are made again
        try:
            self.keys = make_ids(CorePlexMLClient(http), tag, self._wait, self._parts)
            self.error = None
            self._made[url] = self.keys
        except Exception as exc:  # any failure: the cases go out as drawn, and the run says why
            self.keys, self.error = None, f"{type(exc).__name__}: {exc}"
            self._made.pop(url, None)

    def fill(self, case: Any) -> None:
        """Put the real ids into every other positive case (a negative case is sent as drawn)."""
        meta = case.meta
        if self.keys is None or meta is None or not meta.generation.mode.is_positive or not self._takes_ids(case):
            return
        path = case.operation.path
        components, mode = dict(getattr(meta, "components", {})), meta.generation.mode
        changed = False
        for part in ("path_parameters", "query", "body"):
            real = filled(self.keys, path, getattr(case, part))
            if real is not None:
                setattr(case, part, real)
                changed = True
        if changed and (case.operation.method.upper(), path) == ("POST", EXPERIMENTS) and isinstance(case.body, dict):
            case.body = valid_experiment(case.body)
        after = case.meta  # schemathesis judges the changed parts again
        if changed and after is not None and not after.generation.mode.is_positive:
            # an id the target made is valid where it names that thing; schemathesis' second judgement of a
            # multipart body (its file part as bytes) called the upload negative, and its 201 a failure
            after.components.update(components)
            after.generation.mode = mode

    def _takes_ids(self, case: Any) -> bool:
        """Every other positive case of an operation, the first included; a case drawn again (hypothesis replays
        a failure) as it was the first time."""
        return fed_draw(self._chosen, case)

    def extra_cases(self, operation: Any) -> list[ExtraCase]:
        """None: the generated cases are enough."""
        return []

    def note(self, response: Any) -> None:
        """After a 2xx that deleted or deactivated a fed thing, make them all again before the next case; an
        experiment a case started is held for ``cancel_started``."""
        request = getattr(response, "request", None)
        status = int(getattr(response, "status_code", 0) or 0)
        if self.keys is None or self._http is None or request is None or not 200 <= status < 300:
            return
        url, method = str(request.url), str(request.method).upper()
        if method == "POST" and httpx.URL(url).path == EXPERIMENTS:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                started = _id(response.json(), "experiment_id")
                if started is not None:
                    self._started.append(started)
        if _removes(method, url) and any(held in url for held in self.keys.named()):
            self._remake(self._http, self._tag)

    def cancel_started(self, http: httpx.Client) -> None:
        """Delete the experiments the test's cases started (a live run stops with it), one request each."""
        started, self._started = self._started, []
        for experiment in started:
            with contextlib.suppress(httpx.HTTPError):
                http.delete(f"{EXPERIMENTS}/{experiment}")

    def remove(self, http: httpx.Client) -> None:
        """Delete what cases started, then the project (with its datasets, experiments, members, deployments), policy
        and SynthGen model."""
        self.cancel_started(http)
        made = self._made.pop(str(http.base_url), None)
        if made is not None:
            self._delete(http, made)
        if self.keys == made:
            self.keys = None

    @staticmethod
    def _delete(http: httpx.Client, ids: SweepIds) -> None:
        with contextlib.suppress(httpx.HTTPError):
            if ids.policy is not None:
                http.delete(f"/api/privacy/policies/{ids.policy}")
            if ids.synthgen_model is not None:
                http.delete(f"/api/synthgen/models/{ids.synthgen_model}")
            http.delete(f"/api/projects/{ids.project}")

    @staticmethod
    def _present(http: httpx.Client, ids: SweepIds) -> bool:
        """Whether every held id still answers (and the deployment is still active)."""
        reads = [
            f"/api/projects/{ids.project}",
            f"/api/datasets/{ids.dataset}",
            f"/api/experiments/{ids.experiment}",
            *([f"/api/models/{ids.model}"] if ids.model else []),
            *([f"/api/privacy/policies/{ids.policy}"] if ids.policy else []),
            *([f"/api/synthgen/models/{ids.synthgen_model}"] if ids.synthgen_model else []),
        ]
        try:
            answers = [http.get(path) for path in reads]
            deployment = http.get(f"/api/mlops/deployments/{ids.deployment}") if ids.deployment else None
        except httpx.HTTPError:
            return False
        if any(answer.status_code != 200 for answer in answers):
            return False
        if deployment is None:
            return True
        try:
            status = deployment.json().get("status") if deployment.status_code == 200 else "gone"
        except (ValueError, AttributeError):
            return False
        return status != "inactive" and status != "gone"
