"""A mock CorePlexML Experiments API: ``make_app(state)`` builds a fresh Starlette app around an explicit state.

It speaks like the FastAPI server the ``coreplexml`` SDK talks to: JSON under
``/api/``, ``Authorization: Bearer <api key>``, errors as ``{"detail": ...}``
(422 with FastAPI's ``[{loc, msg, type}]`` for bad input), 404 ``Not Found`` and
405 ``Method Not Allowed`` (with ``Allow``) from the router. An experiment is an
AutoML job on the state's clock: ``queued``, then ``running`` with models
reaching the leaderboard one by one, then ``succeeded``, ``failed`` (bad data) or
``canceled``. Bad input always gets a 4xx, never a 5xx or a traceback.

Example:
    state = CorePlexMLMockState(clock=ManualClock(), timings=CorePlexMLTimings.instant())
    with serve(make_app(state)) as served:
        httpx.get(served.url + "/api/projects", headers={"Authorization": "Bearer sk-h2oharness-mock"})
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.responses import Response

from h2oharness.apis.coreplexml.mockparts import deployments, generic, predict, privacy, studio, synthgen
from h2oharness.apis.coreplexml.mockparts import handlers_data as data
from h2oharness.apis.coreplexml.mockparts import handlers_experiments as experiments
from h2oharness.apis.coreplexml.mockparts import handlers_sdk as sdk
from h2oharness.apis.coreplexml.mockparts.catalog import CONFIG
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState, CorePlexMLTimings
from h2oharness.apis.coreplexml.mockparts.wire import ApiError, Call, Reply, encode
from h2oharness.mocks.app import Incoming, Wiring, build_app
from h2oharness.mocks.auth import bearer_token, token_in
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.router import Lookup, Router

__all__ = [
    "DEVIATIONS",
    "EXPERIMENT_TIMEOUT",
    "ROUTES",
    "CorePlexMLMockState",
    "CorePlexMLTimings",
    "default_state",
    "make_app",
]

#: how long a scenario waits for an experiment on a served mock (``targets.job_timeout``): the longest one at the
#: default max_runtime_secs (3600 H2O s: 0.3 s queued + 14.4 s running), twice over for a loaded machine
EXPERIMENT_TIMEOUT = 2 * CorePlexMLTimings().longest(CONFIG["max_runtime_secs"].default)

Handler = Callable[[CorePlexMLMockState, Call], Reply]
#: a reply and its encoded body (encoding may fail on a mock bug, so it happens inside the trap)
Answer = tuple[Reply, bytes]

# (method, path template, handler); the most specific template matching a path is its resource (capabilities,
# not {experiment_id}), as Starlette's router treats its first partial match
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/projects", data.list_projects),
    ("POST", "/api/projects", data.create_project),
    ("GET", "/api/projects/{project_id}", data.get_project),
    ("PUT", "/api/projects/{project_id}", sdk.update_project),
    ("GET", "/api/projects/{project_id}/timeline", sdk.project_timeline),
    ("DELETE", "/api/projects/{project_id}", data.delete_project),
    ("GET", "/api/datasets", sdk.list_datasets),
    ("POST", "/api/datasets/upload", data.upload_dataset),
    ("GET", "/api/datasets/{dataset_id}", data.get_dataset),
    ("DELETE", "/api/datasets/{dataset_id}", data.delete_dataset),
    ("GET", "/api/datasets/{dataset_id}/versions", data.dataset_versions),
    ("GET", "/api/datasets/{dataset_id}/columns", sdk.dataset_columns),
    ("GET", "/api/datasets/{dataset_id}/analyze", sdk.dataset_analyze),
    ("GET", "/api/datasets/{dataset_id}/quality", sdk.dataset_quality),
    ("GET", "/api/datasets/{dataset_id}/download", sdk.dataset_download),
    ("GET", "/api/experiments/capabilities", experiments.capabilities),
    ("GET", "/api/experiments", experiments.list_experiments),
    ("POST", "/api/experiments", experiments.create_experiment),
    ("GET", "/api/experiments/{experiment_id}", experiments.detail),
    ("DELETE", "/api/experiments/{experiment_id}", experiments.delete),
    ("GET", "/api/experiments/{experiment_id}/status", experiments.status),
    ("GET", "/api/experiments/{experiment_id}/logs", experiments.logs),
    ("GET", "/api/experiments/{experiment_id}/explain", experiments.explain),
    ("POST", "/api/experiments/{experiment_id}/best-model", experiments.set_best_model),
    ("GET", "/api/experiments/{experiment_id}/engine-runs", experiments.engine_runs),
    ("GET", "/api/models", sdk.list_models),
    ("GET", "/api/models/{model_id}", sdk.get_model),
    ("GET", "/api/models/{model_id}/parameters", sdk.get_model_parameters),
    ("DELETE", "/api/models/{model_id}", sdk.delete_model),
    ("POST", "/api/models/{model_id}/predict", predict.model),
    ("GET", "/api/models/{model_id}/explain", sdk.explain_model),
    ("GET", "/api/synthgen/jobs", generic.synthgen_jobs),
    ("POST", "/api/synthgen/models/{model_id}/generate", synthgen.generate),
    ("POST", "/api/privacy/sessions/{session_id}/detect", privacy.detect),
    ("POST", "/api/privacy/sessions/{session_id}/transform", privacy.transform),
    ("GET", "/api/privacy/sessions/{session_id}/results", privacy.results),
    ("GET", "/api/studio/sessions/{session_id}/schema", studio.schema),
    ("GET", "/api/studio/sessions/{session_id}/compare", studio.compare),
    ("POST", "/api/studio/scenarios/{scenario_id}/run", studio.run),
    ("GET", "/api/reports/{report_id}/download", sdk.report_download),
    ("POST", "/api/mlops/deployments/{deployment_id}/promote", deployments.promote),
    ("POST", "/api/mlops/deployments/{deployment_id}/rollback", deployments.rollback),
    ("POST", "/api/mlops/deployments/{deployment_id}/deactivate", deployments.deactivate),
    ("POST", "/api/mlops/deployments/{deployment_id}/predict", predict.deployment),
    ("GET", "/api/mlops/deployments/{deployment_id}/drift", predict.drift),
)


# What the mock decides where the seed and the SDK are silent (the docs drift test reports the seed's gaps).
DEVIATIONS: dict[str, str] = {
    "training": "nothing is trained: models, metrics, training times and importances are drawn from a generator "
    "seeded by the experiment id, the config seed and the dataset version, consistent with each other",
    "max_models": "counts base models, as H2O AutoML does; up to two StackedEnsembles come on top (none when "
    "nfolds is 0 or fewer than two base models exist); values above the quota (50) are capped, with a log note",
    "bad data": "a target column the dataset lacks, a constant target or a non-numeric regression target makes the "
    "experiment fail the moment it starts running (the API accepts it with 201, as a queued job would be)",
    "cancel": "the API documents no cancel call; CorePlexMLMockState.cancel() cancels as an operator would, and "
    "DELETE stops a live run before removing it",
    "config": "unknown config keys and null values are refused with 422 (a real server may ignore them)",
    "metrics": "sort and stopping metrics may be spelled as the seed (auc) or as H2O (AUC); detail shows the "
    "resolved lower-case name, AUTO replaced by the problem type's default",
    "list filters": "dataset_id filters by dataset or by dataset version; sort_by/sort_order are the mock's names "
    "for the seed's two unnamed sort parameters",
    "explain": "409 while no model is on the leaderboard; StackedEnsemble models have no variable importances",
    "best-model": "400 for a model of another experiment, 404 for an unknown model, 409 for one not trained yet",
    "uploads": "any file is stored (201, the contract's format: binary); one that is not a UTF-8 CSV with a "
    "header and a data row gets row_count 0, no columns and a parse_error, and an experiment on it fails as it "
    "starts (bad data)",
    "projects and datasets": "shapes chosen to satisfy the SDK's normalisers (flat project; dataset_id and "
    "dataset_version_id on upload); uploading an existing dataset name adds a version",
    "beyond the seed": "members, deployments, reports, privacy, SynthGen and studio objects are the generic "
    "resources (h2oharness/mocks/resources.py): stored as sent, answered fitted to the contract's schemas, flat "
    "(never wrapped in {deployment: ...})",
    "studio": "a session's schema is its deployment's model's features typed as the dataset profiled them "
    "(numeric, categorical; unknown once the dataset is gone); a scenario runs as that model's prediction of the "
    "baseline input with the scenario's changes; compare answers the baseline and every scenario, oldest first. "
    "The SDK ties a session to 'a deployed model', so a run or compare through a deactivated deployment is its "
    "predict's 404 'Deployment <id> is inactive' (the schema, no prediction, is still read): a guess, as that 404 is",
    "timeline": "a project's creation, each dataset version uploaded and each experiment created (kinds "
    "project_created, dataset_uploaded, experiment_created), newest first; deleted objects leave no event",
    "model explain": "the model's variable importances (those of the experiment's explain heatmap), most important "
    "first; none for a StackedEnsemble",
    "drift": "never detected: every feature of the deployed model's experiment at score 0 (the mock keeps no "
    "traffic to compare with the training data)",
    "predictions": "one per input row (a row object or a list of them), drawn from a hash of the model and the row: "
    "a class of the target column (its sorted distinct values when it has at most 32, else numbered) with "
    "probabilities, or a number within the target's range; rows are not checked against the features; a "
    "deployment predicts with its model (404 once that model is deleted), whatever its stage or status",
    "delete project": "takes its datasets, experiments (and their models), members and deployments with it; "
    "reports, privacy policies and sessions, SynthGen models and studio sessions that name it stay",
    "jobs": "privacy detect/transform and SynthGen generate are jobs on the state's clock (timings.job_queued, "
    "0.2 s, and job_running, 1 s), 'completed' when done, GET /api/synthgen/jobs lists the generations newest "
    "first; reports, sessions and SynthGen models are ready at once. A job's result is empty until it completes; a "
    "completed SynthGen generation's result says what it made (nothing is generated): num_rows asked for, the "
    "columns and row count of the model's source dataset version as it was when generation started, model id and "
    "type, seed, and output_artifact_id (also on the job, where the SDK reads it); it has no quality metrics, "
    "which the SDK does not read and the mock could only make up",
    "privacy": "rows are not kept: an upload's text cells are scanned for PII as they are profiled (email, "
    "credit_card passing the Luhn check, ssn as 123-45-6789, ip_address as IPv4, phone_number with separators), "
    "and a cell of digits alone, a numeric column's included, as what a bare number can be (credit_card of 13-16 "
    "digits passing Luhn, ssn of 9 as issued, phone_number of 10 or 1+10 in the North American plan), a few counts "
    "per column. A completed detect (or transform) job's results are those of the session's dataset's newest "
    "version when the job was asked for, of the types the policy's profile covers, each {column, pii_type, count "
    "of cells}, transformed once a transform job has completed; none before. The SDK names the profiles (hipaa, "
    "gdpr, pci_dss, ccpa) but no type of any: the mock's pci_dss covers credit_card only (cardholder data), the "
    "others and no profile every type, a guess from what each regulation protects; the type names are the mock's "
    "own (the SDK and the contract name none)",
    "promote/rollback/deactivate": "promote sets the stage to to_stage (the contract's enum, staging or "
    "production; else 422), "
    "deactivate sets the status to inactive (its predict is then a 404 'Deployment <id> is inactive', the "
    "contract naming no other error for it; a real server may answer 409 or 503), rollback serves to_model_id "
    "or to_deployment_id's model (404 when "
    "unknown) and with neither leaves the deployment as it is (the mock keeps no version history); the next read "
    "shows each change",
    "models": "GET /api/models lists the models experiments trained so far; DELETE /api/models/{id} takes the model "
    "off its experiment's leaderboard and every read (404 after), and a best-model choice of it falls back to the "
    "top of the leaderboard; deployments of it are left as they are; GET /api/models/{id}/parameters answers the "
    "model's id with no parameters (nothing is trained, so no hyperparameters are known)",
    "downloads": "a dataset downloads as its header row only (rows are not kept); a report as an empty PDF",
    "unknown query parameters": "422 extra_forbidden, as a FastAPI query model with extra='forbid' (FastAPI's "
    "default ignores them)",
    "held objects": "real: objects live until deleted; mock: its memory is bounded whatever clients send. An upload "
    "is at most max_upload_bytes (64 MiB, else 413) and is not kept (only its profile and PII counts); it holds "
    "at most "
    "max_objects (10,000) projects, datasets, dataset versions and experiments each, and versions of "
    "max_profiled_columns (1M) column profiles in all, and the generic layer 1,000 objects per collection, "
    "10,000 paths under a parent object and 256 MiB of objects (as JSON) in all. Beyond a budget the oldest made "
    "go first, never the newest, as if deleted "
    "(a project with its datasets, experiments and generic objects; a dataset whose last version goes with it; "
    "experiments keep their results when their dataset goes, as after DELETE); version numbers go on from the "
    "newest",
}
# The public SDK methods (coreplexml 0.1.3, "sdk <resource>.<method>") that fail against this mock, and why;
# tests/apis/coreplexml/test_coreplexml_official_client.py checks the failing set is exactly these.
SDK_FAILURES: dict[str, str] = {}
DEVIATIONS.update({f"sdk {method}": why for method, why in SDK_FAILURES.items()})


def make_app(state: CorePlexMLMockState | None = None) -> Starlette:
    """A fresh mock CorePlexML app over ``state`` (a new default state when None)."""
    state = state if state is not None else CorePlexMLMockState()
    # every other operation of the contract is answered by the generic resources
    hand_written = {(method, template) for method, template, _ in ROUTES}
    routes = [(m, t, generic.closed_query(m, t, h)) for m, t, h in (*ROUTES, *generic.routes(hand_written))]
    router: Router[Handler] = Router(routes, by_resource=True)
    # unknown paths and methods get FastAPI's JSON bodies, not Starlette's text, and 404/405 come before 401
    wiring = Wiring(
        name="coreplexml",
        router=router,
        decode=_decode,
        authenticate=_authenticate,
        unauthorized=_unauthorized,
        unrouted=_unrouted,
        invoke=_invoke,
        refusal=ApiError,
        refuse=_refuse,
        bug=_bug,
        render=_render,
        protects=lambda lookup: lookup.route is not None,
        seen=_seen,
    )
    return build_app(state, wiring)


def _decode(state: CorePlexMLMockState, incoming: Incoming, lookup: Lookup[Handler]) -> Call:
    return Call(
        method=incoming.method,
        path=incoming.path,
        path_params=lookup.params,
        query=parse_qs(incoming.query_string, keep_blank_values=True),
        body=incoming.body,
        content_type=incoming.content_type,
        user_agent=incoming.user_agent,
    )


def _authenticate(state: CorePlexMLMockState, incoming: Incoming) -> str | None:
    if not state.api_keys or token_in(bearer_token(incoming.authorization), state.api_keys):
        return None
    return "Invalid or missing API key"


def _unauthorized(state: CorePlexMLMockState, incoming: Incoming, lookup: Lookup[Handler], problem: str) -> Answer:
    detail = "Not authenticated" if not incoming.path.startswith("/api/") else problem
    raise ApiError(401, detail, {"WWW-Authenticate": "Bearer"})


def _unrouted(state: CorePlexMLMockState, call: Call, lookup: Lookup[Handler]) -> Answer:
    if lookup.allow:
        raise ApiError(405, "Method Not Allowed", {"Allow": ", ".join(lookup.allow)})
    raise ApiError(404, "Not Found")


def _invoke(state: CorePlexMLMockState, handler: Handler, call: Call) -> Answer:
    try:
        reply = handler(state, call)
    finally:
        # whatever the request made, the oldest objects beyond the state's budgets go
        state.trim()
    return reply, reply.content if reply.content is not None else encode(reply.body or {})


def _refuse(state: CorePlexMLMockState, incoming: Incoming, lookup: Lookup[Handler], err: ApiError) -> Answer:
    return Reply(err.body(), status=err.status, headers=err.headers), encode(err.body())


def _bug(state: CorePlexMLMockState, incoming: Incoming, lookup: Lookup[Handler], what: str) -> Answer:
    body = {"detail": f"The mock could not handle this request: {what}"}
    return Reply(body, status=400), encode(body)


async def _render(state: CorePlexMLMockState, incoming: Incoming, answer: Answer) -> Response:
    reply, content = answer
    if incoming.method == "HEAD":
        content = b""
    return Response(content, status_code=reply.status, headers=reply.headers, media_type=reply.media_type)


def _seen(call: Call) -> tuple[object, dict[str, str]]:
    if "json" not in call.content_type.lower():
        return None, {}
    try:
        return call.json(), {}
    except ApiError:
        return None, {}


def default_state(speed: float = 1.0, clock: Clock | None = None) -> CorePlexMLMockState:
    """A state for a served mock: realistic experiment timings on wall time run ``speed`` times faster.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return CorePlexMLMockState(clock=clock or MonotonicClock(speed=speed))
