"""The CorePlexML contract from the official ``coreplexml`` SDK: every resource method's HTTP calls, recorded.

The SDK is hand-written resource classes over one ``HTTPClient``; ``record_sdk()`` calls every public method of
every resource with placeholder arguments through a recording transport (nothing leaves the process) and keeps
each call's method, path template, query parameters and JSON or multipart body. ``build_openapi(base)`` merges
those calls into the contract: operations the contract already has stay as written (the seed's experiments part
untouched; other operations gain the query parameters the SDK sends), the others are added from the recording
with ``x-from-client: true``, their answers from ``ANSWERS`` (what the SDK reads of each one). Regenerating drops
every ``x-from-client`` part first, so the output is the same whatever contract it starts from.

Example:
    document, drift = build_openapi(yaml.safe_load(contract_path("coreplexml").read_text()))
    Path("openapi.yaml").write_text(dump_openapi(document))
"""

from __future__ import annotations

import copy
import inspect
import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from h2oharness.errors import ConfigError
from h2oharness.openapi import strip_marked

__all__ = ["ANSWERS", "RESOURCES", "SdkCall", "build_openapi", "openapi_from_client", "record_sdk"]

JSON = dict[str, Any]
GENERATED = "x-from-client"
#: the client's attribute for each resource, in the order the SDK's client creates them
RESOURCES = ("projects", "datasets", "experiments", "models", "deployments", "reports", "privacy", "synthgen", "studio")
#: paths whose operations stay exactly as the seed's contract writes them
SEED_PREFIX = "/api/experiments"


@dataclass
class SdkCall:
    """One HTTP call a resource method makes, with placeholders (``{project_id}``) where its arguments go."""

    resource: str
    method: str
    http_method: str
    path: str
    #: query parameter name -> a value the SDK sent
    query: dict[str, Any] = field(default_factory=dict)
    #: the JSON body with every optional argument given, and the keys sent with none given (None: no JSON body)
    body: JSON | None = None
    body_required: tuple[str, ...] = ()
    #: multipart text fields (None: not multipart)
    form: JSON | None = None
    download: bool = False
    summary: str = ""


# -------------------------------------------------------------------------------------------------- recording


def _placeholder(name: str, annotation: str, default: Any, scratch: Path) -> Any:
    """A value for an argument: ``{name}`` for ids, a real file for paths, small values of the annotated type."""
    kind = annotation.replace(" ", "")
    if name == "file_path":
        path = scratch / "data.csv"
        path.write_text("a,b\n1,2\n")
        return str(path)
    if name == "output_path":
        return str(scratch / "out.bin")
    if name in ("interval",):
        return 0.0
    if name in ("timeout",):
        return 5.0
    if default is not inspect.Parameter.empty and default not in (None, "", False) and not isinstance(default, dict):
        return default
    if "dict" in kind and "list" in kind:
        return {"feature": 1}
    if kind.startswith("dict"):
        return {"key": "value"}
    if kind.startswith("list"):
        return ["h2o"]
    if kind.startswith("bool"):
        return True
    if kind.startswith("int"):
        return 1
    return f"{{{name}}}"


def _fake_answer(path: str) -> bytes:
    # every poll loop of the SDK ends at once: a job id to poll, then a final status
    final = "completed" if "/synthgen/jobs/" in path else "succeeded"
    return json.dumps({"job_id": "{job_id}", "synthgen_job_id": "{job_id}", "status": final, "items": []}).encode()


@contextmanager
def _recording_client() -> Iterator[tuple[Any, list[tuple[str, str, JSON]]]]:
    try:
        import requests
        from coreplexml import CorePlexMLClient  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError("the official coreplexml SDK is not installed (pip install coreplexml)") from None
    seen: list[tuple[str, str, JSON]] = []

    def request(method: str, path: str, **kwargs: Any) -> Any:
        seen.append((method, path, kwargs))
        response = requests.Response()
        response.status_code = 200
        response._content = _fake_answer(path)
        response._content_consumed = True
        response.headers["Content-Type"] = "application/json"
        return response

    client = CorePlexMLClient("http://sdk.invalid", api_key="recording")
    client._http._request = request
    try:
        yield client, seen
    finally:
        client.close()


def record_sdk() -> list[SdkCall]:
    """Every HTTP call of every public resource method; a call belongs to the first method that makes it first."""
    made: list[tuple[str, Any, list[tuple[str, str, JSON, JSON]]]] = []
    with tempfile.TemporaryDirectory() as folder, _recording_client() as (client, seen):
        scratch = Path(folder)
        for attribute in RESOURCES:
            resource = getattr(client, attribute)
            methods = inspect.getmembers(type(resource), inspect.isfunction)
            # in source order, so an alias (privacy.anonymize -> transform) comes after what it calls
            for name, function in sorted(methods, key=lambda m: inspect.getsourcelines(m[1])[1]):
                if name.startswith("_"):
                    continue
                runs = [_run(resource, name, function, scratch, seen, full) for full in (True, False)]
                bare = {(m, p): sent for m, p, sent in runs[1]}
                calls = [(m, p, sent, bare.get((m, p), {})) for m, p, sent in runs[0]]
                made.append((f"{attribute}.{name}", function, calls))
    out: dict[tuple[str, str], SdkCall] = {}
    for first in (True, False):
        for owner, function, calls in made:
            for at, (http_method, path, sent, minimal) in enumerate(calls):
                if (at == 0) == first and (http_method, path) not in out:
                    out[(http_method, path)] = _sdk_call(owner, function, http_method, path, sent, minimal)
    return list(out.values())


def _run(resource: Any, name: str, function: Any, scratch: Path, seen: list[Any], full: bool) -> list[Any]:
    """The calls of one method, with every optional argument given (``full``) or none."""
    kwargs = {}
    for param in list(inspect.signature(function).parameters.values())[1:]:
        wanted = full or param.default is inspect.Parameter.empty
        if wanted or param.name in ("interval", "timeout", "output_path", "file_path"):
            kwargs[param.name] = _placeholder(param.name, str(param.annotation), param.default, scratch)
    seen.clear()
    getattr(resource, name)(**kwargs)
    return list(seen)


def _sdk_call(owner: str, function: Any, http_method: str, path: str, sent: JSON, minimal: JSON) -> SdkCall:
    resource, _, name = owner.partition(".")
    doc = (inspect.getdoc(function) or "").splitlines()
    summary = doc[0] if doc else ""
    if path.startswith("/api/jobs/"):
        # the HTTP layer's own job poll (HTTPClient.poll_job), whichever method waits on it
        resource, name, summary = "jobs", "get", "Poll a job"
    call = SdkCall(resource, name, http_method, path, summary=summary)
    call.query = dict(sent.get("params") or {})
    if sent.get("files"):
        call.form = {**(sent.get("data") or {}), "file": b""}
    elif sent.get("json") is not None:
        call.body = dict(sent["json"])
        call.body_required = tuple(sorted((minimal.get("json") or {}).keys()))
    call.download = bool(sent.get("stream"))
    return call


# -------------------------------------------------------------------------------------------------- answers


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> JSON:
    return {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
        },
    }


def _object(required: list[str], **properties: JSON) -> JSON:
    schema: JSON = {"type": "object", "required": required, "properties": properties}
    if not required:
        del schema["required"]
    return schema


STR: JSON = {"type": "string"}
INT: JSON = {"type": "integer", "minimum": 0}
NUM: JSON = {"type": "number"}
BOOL: JSON = {"type": "boolean"}
ANY_OBJECT: JSON = {"type": "object", "additionalProperties": True}
TIME: JSON = _ref("Timestamp")
STATUS: JSON = {"type": "string", "enum": ["queued", "running", "completed", "failed"]}
#: a deployment's stage, as deployments.create documents it ("staging or production") and promote sends it
STAGE: JSON = {"type": "string", "enum": ["staging", "production"]}

#: the schemas of the answers the SDK reads (from its normalisers, loops and docstrings)
SCHEMAS: dict[str, JSON] = {
    "Member": _object(["id", "email", "role"], id=STR, email=STR, role=STR, created_at=TIME),
    "MemberList": _page("Member"),
    "TimelineEvent": _object(["id", "kind", "created_at"], id=STR, kind=STR, message=STR, created_at=TIME),
    "Timeline": _object(["events"], events={"type": "array", "items": _ref("TimelineEvent")}),
    "DatasetList": _page("Dataset"),
    "DatasetColumns": _object(["columns"], columns={"type": "array", "items": _ref("Column")}),
    "DatasetQuality": _object(
        ["dataset_id", "score", "issues"],
        dataset_id=STR,
        score={"type": "number", "minimum": 0, "maximum": 1},
        issues={"type": "array", "items": _object(["column", "kind"], column=STR, kind=STR, count=INT)},
    ),
    "DatasetAnalysis": _object(
        ["dataset_id", "row_count", "columns"],
        dataset_id=STR,
        row_count=INT,
        column_count=INT,
        columns={"type": "array", "items": _ref("Column")},
    ),
    "ModelInfo": _object(
        ["id", "name", "algorithm"],
        id=STR,
        name=STR,
        experiment_id=STR,
        project_id=STR,
        algorithm=STR,
        algo=STR,
        metrics={"type": "object", "additionalProperties": {"type": "number"}},
        created_at=TIME,
    ),
    "ModelList": _page("ModelInfo"),
    "PredictRequest": _object(
        ["inputs"], inputs={"anyOf": [ANY_OBJECT, {"type": "array", "items": ANY_OBJECT}]}, options=ANY_OBJECT
    ),
    "Prediction": _object(
        ["predictions"],
        predictions={
            "type": "array",
            "items": _object(["prediction"], prediction={}, probability=NUM, probabilities=ANY_OBJECT),
        },
    ),
    "ModelExplain": _object(
        ["model_id", "feature_importance"],
        model_id=STR,
        feature_importance={"type": "array", "items": _object(["feature", "importance"], feature=STR, importance=NUM)},
    ),
    "ModelParameters": _object(["model_id", "parameters"], model_id=STR, parameters=ANY_OBJECT),
    "Deployment": _object(
        ["id", "project_id", "model_id", "name", "stage", "status"],
        id=STR,
        project_id=STR,
        model_id=STR,
        name=STR,
        stage=STAGE,
        status={"type": "string", "enum": ["active", "inactive"]},
        config=ANY_OBJECT,
        created_at=TIME,
    ),
    "DeploymentList": _page("Deployment"),
    "Drift": _object(
        ["deployment_id", "drift_detected", "features"],
        deployment_id=STR,
        drift_detected=BOOL,
        features={"type": "array", "items": _object(["feature", "score"], feature=STR, score=NUM)},
    ),
    "Report": _object(
        ["id", "project_id", "kind", "entity_id", "status"],
        id=STR,
        project_id=STR,
        kind={"type": "string", "enum": ["project", "experiment", "model", "deployment", "synthgen"]},
        entity_id=STR,
        status=STATUS,
        options=ANY_OBJECT,
        created_at=TIME,
    ),
    "ReportList": _page("Report"),
    "PrivacyPolicy": _object(
        ["id", "project_id", "name"],
        id=STR,
        project_id=STR,
        name=STR,
        description=STR,
        profile={"type": "string", "enum": ["hipaa", "gdpr", "pci_dss", "ccpa"]},
        created_at=TIME,
    ),
    "PrivacyPolicyList": _page("PrivacyPolicy"),
    "PrivacySession": _object(
        ["id", "policy_id", "dataset_id", "status"],
        id=STR,
        policy_id=STR,
        dataset_id=STR,
        status=STATUS,
        created_at=TIME,
    ),
    "PrivacyResults": _object(
        ["session_id", "results"],
        session_id=STR,
        results={
            "type": "array",
            "items": _object(["column", "pii_type"], column=STR, pii_type=STR, count=INT, transformed=BOOL),
        },
    ),
    "JobQueued": _object(["job_id", "status"], job_id=STR, synthgen_job_id=STR, status=STATUS),
    "Job": _object(
        ["id", "status"],
        id=STR,
        status=STATUS,
        progress={"type": "number", "minimum": 0, "maximum": 1},
        error={"type": "string", "nullable": True},
        result=ANY_OBJECT,
        output_artifact_id={"type": "string", "nullable": True},
    ),
    "JobList": _page("Job"),
    "SynthModel": _object(
        ["id", "project_id", "name", "model_type", "status"],
        id=STR,
        project_id=STR,
        dataset_version_id=STR,
        name=STR,
        model_type={"type": "string", "enum": ["ctgan", "copulagan", "tvae", "gaussian_copula"]},
        # the backend's statuses, which the SDK maps to queued/running/succeeded/failed
        status={"type": "string", "enum": ["ready", "pending", "training", "failed"]},
        config=ANY_OBJECT,
        created_at=TIME,
    ),
    "SynthModelList": _page("SynthModel"),
    "StudioSession": _object(
        ["id", "project_id", "deployment_id", "baseline_input"],
        id=STR,
        project_id=STR,
        deployment_id=STR,
        baseline_input=ANY_OBJECT,
        created_at=TIME,
    ),
    "StudioSchema": _object(
        ["session_id", "features"],
        session_id=STR,
        features={"type": "array", "items": _object(["name", "type"], name=STR, type=STR)},
    ),
    "Scenario": _object(["id", "name"], id=STR, session_id=STR, name=STR, changes=ANY_OBJECT, created_at=TIME),
    "ScenarioRun": _object(["scenario_id", "prediction"], scenario_id=STR, prediction={}, output=ANY_OBJECT),
    "ScenarioComparison": _object(
        ["baseline", "scenarios"],
        baseline=_object([], prediction={}, output=ANY_OBJECT),
        scenarios={"type": "array", "items": _object([], name=STR, prediction={}, output=ANY_OBJECT)},
    ),
}

#: "METHOD path" -> the answer's schema, or the media type of a download
ANSWERS: dict[str, str] = {
    "PUT /api/projects/{project_id}": "Project",
    "GET /api/projects/{project_id}/members": "MemberList",
    "POST /api/projects/{project_id}/members": "Member",
    "DELETE /api/projects/{project_id}/members/{member_id}": "Ok",
    "GET /api/projects/{project_id}/timeline": "Timeline",
    "GET /api/datasets": "DatasetList",
    "GET /api/datasets/{dataset_id}/quality": "DatasetQuality",
    "GET /api/datasets/{dataset_id}/columns": "DatasetColumns",
    "GET /api/datasets/{dataset_id}/analyze": "DatasetAnalysis",
    "GET /api/datasets/{dataset_id}/download": "text/csv",
    "GET /api/models": "ModelList",
    "GET /api/models/{model_id}": "ModelInfo",
    "POST /api/models/{model_id}/predict": "Prediction",
    "GET /api/models/{model_id}/explain": "ModelExplain",
    "GET /api/models/{model_id}/parameters": "ModelParameters",
    "DELETE /api/models/{model_id}": "Ok",
    "GET /api/mlops/projects/{project_id}/deployments": "DeploymentList",
    "POST /api/mlops/projects/{project_id}/deployments": "Deployment",
    "GET /api/mlops/deployments/{deployment_id}": "Deployment",
    "POST /api/mlops/deployments/{deployment_id}/predict": "Prediction",
    "POST /api/mlops/deployments/{deployment_id}/promote": "Deployment",
    "POST /api/mlops/deployments/{deployment_id}/rollback": "Deployment",
    "POST /api/mlops/deployments/{deployment_id}/deactivate": "Deployment",
    "GET /api/mlops/deployments/{deployment_id}/drift": "Drift",
    "GET /api/jobs/{job_id}": "Job",
    "GET /api/reports": "ReportList",
    "POST /api/reports": "Report",
    "GET /api/reports/{report_id}": "Report",
    "GET /api/reports/{report_id}/download": "application/pdf",
    "GET /api/privacy/policies": "PrivacyPolicyList",
    "POST /api/privacy/policies": "PrivacyPolicy",
    "GET /api/privacy/policies/{policy_id}": "PrivacyPolicy",
    "DELETE /api/privacy/policies/{policy_id}": "Ok",
    "POST /api/privacy/sessions": "PrivacySession",
    "POST /api/privacy/sessions/{session_id}/detect": "JobQueued",
    "POST /api/privacy/sessions/{session_id}/transform": "JobQueued",
    "GET /api/privacy/sessions/{session_id}/results": "PrivacyResults",
    "GET /api/synthgen/models": "SynthModelList",
    "POST /api/synthgen/models": "SynthModel",
    "GET /api/synthgen/models/{model_id}": "SynthModel",
    "POST /api/synthgen/models/{model_id}/generate": "JobQueued",
    "DELETE /api/synthgen/models/{model_id}": "Ok",
    "GET /api/synthgen/jobs": "JobList",
    "GET /api/synthgen/jobs/{job_id}": "Job",
    "POST /api/studio/sessions": "StudioSession",
    "GET /api/studio/sessions/{session_id}": "StudioSession",
    "GET /api/studio/sessions/{session_id}/schema": "StudioSchema",
    "POST /api/studio/sessions/{session_id}/scenarios": "Scenario",
    "POST /api/studio/scenarios/{scenario_id}/run": "ScenarioRun",
    "GET /api/studio/sessions/{session_id}/compare": "ScenarioComparison",
}
#: request bodies the recording cannot type (a dict or a list of dicts), or types too loosely: a rename takes a name
#: as a create does (the mock refuses a blank one, so a contract allowing "" failed its own sweep once real ids
#: reached past the 404)
BODIES: dict[str, str] = {
    "models.predict": "PredictRequest",
    "deployments.predict": "PredictRequest",
    "projects.update": "ProjectCreate",
}
#: body fields whose values the SDK documents, beyond the type of the one it sent: a schema-valid request is then
#: one the server can take (a promote to the stage "" is refused, so a contract allowing it failed its own sweep)
BODY_FIELDS: dict[str, JSON] = {"stage": STAGE, "to_stage": STAGE}


# -------------------------------------------------------------------------------------------------- merging


def _type_of(value: Any) -> JSON:
    if isinstance(value, bool):
        return dict(BOOL)
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return dict(NUM)
    if isinstance(value, dict):
        return dict(ANY_OBJECT)
    if isinstance(value, list):
        return {"type": "array", "items": _type_of(value[0]) if value else {}}
    return dict(STR)


def _query_param(name: str, value: Any) -> JSON:
    if name == "limit":
        return {"$ref": "#/components/parameters/Limit"}
    if name == "offset":
        return {"$ref": "#/components/parameters/Offset"}
    return {"name": name, "in": "query", "schema": _type_of(value)}


def _operation_id(call: SdkCall, taken: set[str]) -> str:
    words = [call.resource, *call.method.split("_")]
    name = words[0] + "".join(w.capitalize() for w in words[1:])
    base, number = name, 2
    while name in taken:
        name, number = f"{base}{number}", number + 1
    taken.add(name)
    return name


def _new_operation(call: SdkCall, answer: str, operation_id: str) -> JSON:
    op: JSON = {
        "operationId": operation_id,
        "tags": [call.resource],
        "summary": f"{call.summary} (SDK {call.resource}.{call.method})".strip(),
        GENERATED: True,
    }
    params: list[JSON] = [
        {"name": name, "in": "path", "required": True, "schema": dict(STR)} for name in _path_params(call.path)
    ]
    params += [_query_param(name, value) for name, value in call.query.items()]
    if params:
        op["parameters"] = params
    body_schema = BODIES.get(f"{call.resource}.{call.method}")
    if call.form is not None:
        props = {k: ({"type": "string", "format": "binary"} if k == "file" else dict(STR)) for k in call.form}
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": props}}
            },
        }
    elif call.body is not None and (call.body or body_schema):
        schema: JSON = (
            _ref(body_schema)
            if body_schema
            else {
                "type": "object",
                "properties": {k: dict(BODY_FIELDS.get(k) or _type_of(v)) for k, v in call.body.items()},
            }
        )
        if not body_schema and call.body_required:
            schema["required"] = list(call.body_required)
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if "/" in answer:
        content: JSON = {answer: {"schema": {"type": "string", "format": "binary"}}}
    else:
        content = {"application/json": {"schema": _ref(answer)}}
    op["responses"] = {
        "200": {"description": answer, "content": content},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "422": {"$ref": "#/components/responses/Unprocessable"},
    }
    return op


def _path_params(path: str) -> list[str]:
    return [segment[1:-1] for segment in path.split("/") if segment.startswith("{") and segment.endswith("}")]


def _param_names(document: JSON, op: JSON, item: JSON) -> set[str]:
    names = set()
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        ref = str(raw.get("$ref", ""))
        param = document["components"]["parameters"][ref.rsplit("/", 1)[1]] if ref else raw
        names.add(str(param["name"]))
    return names


def build_openapi(base: Mapping[str, Any], calls: list[SdkCall] | None = None) -> tuple[JSON, list[str]]:
    """The contract with every SDK call in it, and each disagreement between the SDK and the seed's part."""
    calls = record_sdk() if calls is None else calls
    document = strip_marked(base, GENERATED)
    paths: JSON = document.setdefault("paths", {})
    taken = {
        op["operationId"]
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    drift: list[str] = []
    for call in calls:
        key, where = f"{call.resource}.{call.method}", f"{call.http_method} {call.path}"
        item = paths.get(call.path, {})
        op = item.get(call.http_method.lower())
        if op is None:
            if where not in ANSWERS:
                raise ConfigError(f"the coreplexml SDK's {key} calls {where}, which ANSWERS does not describe")
            new = _new_operation(call, ANSWERS[where], _operation_id(call, taken))
            paths.setdefault(call.path, {})[call.http_method.lower()] = new
            continue
        known = _param_names(document, op, item)
        for name, value in call.query.items():
            if name in known:
                continue
            if call.path.startswith(SEED_PREFIX):
                drift.append(f"{where}: the SDK ({key}) sends query parameter {name!r}, the seed does not document it")
                continue
            op.setdefault("parameters", []).append({**_query_param(name, value), GENERATED: True})
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if call.body and body:
            props = _properties(document, body)
            extra = sorted(set(call.body) - set(props))
            if extra:
                drift.append(
                    f"{where}: the SDK ({key}) sends body fields {extra}, which the contract does not document"
                )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in SCHEMAS.items():
        if name not in schemas:
            schemas[name] = {**copy.deepcopy(schema), GENERATED: True}
    tags = {t["name"] for t in document.get("tags", [])}
    document["tags"] = [*document.get("tags", []), *({"name": r, GENERATED: True} for r in RESOURCES if r not in tags)]
    document["paths"] = dict(sorted(paths.items(), key=lambda kv: _path_order(kv[0])))
    return document, drift


def _path_order(path: str) -> tuple[int, str]:
    top = path.split("/")[2] if path.count("/") >= 2 else path
    order = {"projects": 0, "datasets": 1, "experiments": 2, "models": 3, "mlops": 4, "jobs": 5, "reports": 6}
    return order.get(top, 9), path


def _properties(document: JSON, schema: Mapping[str, Any]) -> JSON:
    while "$ref" in schema:
        schema = document["components"]["schemas"][str(schema["$ref"]).rsplit("/", 1)[1]]
    return dict(schema.get("properties", {}))


def openapi_from_client() -> JSON:
    """The CorePlexML contract regenerated from the installed SDK and the checkout's contract."""
    import yaml

    from h2oharness.openapi import contract_path

    base = yaml.safe_load(contract_path("coreplexml").read_text(encoding="utf-8"))
    document, _ = build_openapi(base)
    return document
