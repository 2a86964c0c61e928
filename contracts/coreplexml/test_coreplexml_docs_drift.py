"""Seed 002 against the contract, the official SDK and the target: its blank field names, its own contradictions,
and its curl examples replayed (with real ids) to compare the answers' fields with the ones it shows.

Drift is a finding for the report, never a failed build: the tests fail only when the seed is no longer
what they expect to read (a row or an example they cite is gone) or the target cannot answer the replay.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import EXPERIMENT_TIMEOUT
from h2oharness.errors import NOT_ANSWERED, JobFailed
from h2oharness.seeds import curl_examples
from h2oharness.targets import Target, job_timeout

SEED = Path(__file__).with_name("docs") / "002_cb37d3b791997043.txt"
CONTRACT = Path(__file__).with_name("openapi.yaml")
PAGE = "docs.coreplexml.io/api-reference/experiments (the page the seed was copied from)"

# (a phrase of the row's description, the name the contract uses, where the name comes from)
BLANK_NAMES: list[tuple[str, str, str]] = [
    ("UUID of the project.", "project_id", "the seed's example body and the SDK"),
    ("UUID of the dataset version to train on.", "dataset_version_id", "the seed's example body and the SDK"),
    ("Human-readable experiment name.", "name", "the seed's example body and the SDK"),
    ("Name of the column to predict.", "target_column", "the seed's example body and the SDK"),
    ("AutoML configuration (see below).", "config", "the seed's example body and the SDK"),
    ("Request GPU-enabled training", "use_gpu", "the SDK (use_gpu) and " + PAGE),
    ("Maximum training time in seconds (default 3600).", "max_runtime_secs", "the seed's example config"),
    ("Maximum number of models to train", "max_models", "the seed's example config"),
    ("Maximum training time per individual model", "max_runtime_secs_per_model", PAGE),
    ("Metric to rank models by", "sort_metric", "the seed's example config"),
    ("Random seed for reproducibility", "seed", PAGE),
    ("Oversample minority class", "balance_classes", "the seed's example config"),
    ("Algorithms to exclude", "exclude_algos", "the seed's example config"),
    ("Number of cross-validation folds", "nfolds", "the seed's example config"),
    ("Number of scoring rounds without improvement", "stopping_rounds", PAGE),
    ("Metric to monitor for early stopping", "stopping_metric", PAGE),
    ("Relative tolerance for early stopping", "stopping_tolerance", PAGE),
    ("Ratio of time for fine-tuning", "exploitation_ratio", "H2O AutoML's parameter (inferred)"),
    ("Distribution family (regression)", "distribution", "H2O AutoML's parameter (inferred)"),
    ("Keep CV predictions for Stacked Ensembles", "keep_cross_validation_predictions", "H2O AutoML (inferred)"),
    ("Keep individual CV models", "keep_cross_validation_models", "H2O AutoML (inferred)"),
    ("Logging level:", "verbosity", "H2O AutoML's parameter (inferred)"),
    ("Gradient Boosting Machine.", "GBM", "the list example's best_model_algo"),
    ("Extreme Gradient Boosting.", "XGBoost", "the explain example's algo"),
    ("Distributed Random Forest.", "DRF", "H2O's algorithm id (inferred)"),
    ("Multi-layer feed-forward neural network.", "DeepLearning", "the exclude_algos example"),
    ("Generalized Linear Model.", "GLM", "H2O's algorithm id (inferred)"),
    ("Meta-model that combines predictions", "StackedEnsemble", "the exclude_algos example"),
    ("Area Under ROC Curve", "auc", "the seed's example config (sort_metric auc)"),
    ("Area Under Precision-Recall Curve.", "aucpr", "H2O's metric name (inferred)"),
    ("Logarithmic loss (cross-entropy).", "logloss", "the detail example's metrics"),
    ("Average error rate across classes.", "mean_per_class_error", "H2O's metric name (inferred)"),
    ("Classification accuracy.", "accuracy", "inferred"),
    ("Matthews Correlation Coefficient.", "mcc", "inferred"),
    ("Multinomial log loss (default for multiclass).", "logloss", "H2O's metric name"),
    ("Root Mean Squared Error (default for regression).", "rmse", "H2O's metric name (lower case as the seed)"),
    ("Mean Squared Error. Lower is better.", "mse", "H2O's metric name (inferred)"),
    ("Mean Absolute Error.", "mae", "H2O's metric name (inferred)"),
    ("Root Mean Squared Logarithmic Error.", "rmsle", "H2O's metric name (inferred)"),
    ("Mean Residual Deviance.", "mean_residual_deviance", "H2O's metric name (inferred)"),
    ("R-squared (coefficient of determination).", "r2", "inferred"),
    ("Quantile loss.", "quantile", "inferred"),
    ("Deviance. Available for all distributions.", "deviance", PAGE + " (stopping metrics)"),
    ("Binary or multiclass classification.", "classification", "the seed's example and the SDK"),
    ("Continuous numeric prediction.", "regression", "the SDK's docstring"),
    ("Alias for", "binary / multiclass", PAGE + ": both alias classification; the regression alias is unknown"),
    ("Experiment created and waiting for worker", "queued", "the create example's status"),
    ("AutoML training in progress.", "running", "the status example"),
    ("Training finished successfully.", "succeeded", "the list example's status"),
    ("Training failed due to an error", "failed", "the seed's polling loop"),
    ("Job created, waiting for worker.", "queued", "inferred (job statuses are not served by these endpoints)"),
    ("Worker is processing the job.", "running", "inferred"),
    ("Job completed successfully.", "completed", "the logs example ('Job status: completed')"),
    ("Job failed. Error details in job payload.", "failed", "inferred"),
    ("Filter by project.", "project_id", "the list curl example and the SDK"),
    ("Filter by source dataset.", "dataset_id", "inferred"),
    ("Filter by status:", "status", "inferred"),
    ("Max items (1–500).", "limit", "the list response and the SDK"),
    ("Pagination offset.", "offset", "the list response and the SDK"),
    ("Search in name and target column.", "search", "inferred (the SDK's projects.list uses 'search')"),
    ("Include detailed H2O event logs.", "include_events", "inferred"),
    ("UUID of a model that belongs to this experiment.", "model_id", "the best-model example body"),
]

SEED_IDS = {
    "project": "d4e5f6a7-b8c9-0123-def4-567890123456",
    "version": "f6a7b8c9-d0e1-2345-6789-0abcdef12345",
    "experiment": "b8c9d0e1-f2a3-4567-8901-bcdef1234567",
    "model": "a7b8c9d0-e1f2-3456-7890-abcdef123456",
}


def _name_cell_is_blank(lines: list[str], phrase: str) -> bool:
    """Whether the table row holding ``phrase`` starts with an empty cell (a line that is only ``|``)."""
    for index, line in enumerate(lines):
        if phrase in line:
            above = lines[max(0, index - 4) : index]
            return "|" in (a.strip() for a in above)
    raise AssertionError(f"the seed no longer has a row saying {phrase!r}")


def test_seed_002_blank_field_names_are_reported(harness_drift: Any) -> None:
    """Every blank name cell the contract had to fill is one the seed really leaves blank, and the contract has it."""
    lines = SEED.read_text().splitlines()
    contract = CONTRACT.read_text()
    for phrase, name, source in BLANK_NAMES:
        assert _name_cell_is_blank(lines, phrase), f"the row {phrase!r} has a name now: update BLANK_NAMES"
        for part in name.split(" / "):
            assert re.search(rf"\b{re.escape(part)}\b", contract), f"the contract does not use {part!r}"
        harness_drift(
            source=SEED.name,
            what=f"table row '{phrase}'",
            expected="the row names its field, value or parameter",
            observed=f"the name cell is blank; the contract uses '{name}' (from {source})",
        )
    # the rows whose default the seed cuts off as well
    text = SEED.read_text()
    for cut in ("Default\n|", "(default |", "(default 5, use |", "(default 3, use |"):
        assert cut in text, cut


def _sdk_source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None:
        pytest.skip("the official coreplexml SDK is not installed")
    return inspect.getsource(importlib.import_module(module))


def test_seed_002_and_the_sdk_disagree(harness_drift: Any) -> None:
    """Where the SDK 0.1.3 does something else than the seed says (each checked in the SDK's own source)."""
    text = SEED.read_text()
    experiments = _sdk_source("coreplexml.experiments")
    found: list[tuple[str, str, str]] = []
    assert "Possible status values: queued, running, succeeded, failed,\ncanceled." in text
    if 'status in ("succeeded", "failed", "error")' in experiments:
        found.append(
            (
                "terminal statuses of ExperimentsResource.wait()",
                "wait() stops on every final status the status endpoint documents (succeeded, failed, canceled)",
                "it stops on succeeded, failed and an undocumented 'error', never on canceled: a canceled "
                "experiment makes wait() poll until its timeout (default 3600 s)",
            )
        )
    assert 'if status in ("succeeded", "failed"):' in text
    found.append(
        (
            "the Python polling loop of 'Create Experiment'",
            "it stops on every final status (succeeded, failed, canceled)",
            "it never stops on canceled: a canceled experiment makes it poll forever",
        )
    )
    assert '"execution_mode": execution_mode' in experiments
    found.append(
        (
            "POST /api/experiments request body",
            "the fields the seed's table lists",
            "the SDK also sends execution_mode ('single'/'parallel'), and engine / engines when given; "
            "the seed documents none of them",
        )
    )
    if "best-model" not in experiments:
        found.append(
            (
                "POST /api/experiments/{experiment_id}/best-model",
                "an SDK call for a documented operation",
                "the SDK has no method for it",
            )
        )
    if "capabilities" in experiments and "capabilities" not in text:
        found.append(
            (
                "GET /api/experiments/capabilities and GET /api/experiments/{experiment_id}/engine-runs",
                "every experiment operation the SDK calls is documented",
                "the SDK calls both; the seed documents neither",
            )
        )
    assert 'params: dict = {"limit": limit, "offset": offset}' in experiments
    found.append(
        (
            "GET /api/experiments query parameters in ExperimentsResource.list()",
            "the SDK exposes the seed's filters (dataset, status, search, sort)",
            "it sends only project_id, limit and offset; logs() has no detailed-events flag either",
        )
    )
    assert "Experiment Status Lifecycle" in text
    lifecycle = text[text.index("Experiment Status Lifecycle") : text.index("Job Status Values")]
    if "canceled" not in lifecycle:
        found.append(
            (
                "'Experiment Status Lifecycle' table",
                "the same statuses as the status endpoint (queued, running, succeeded, failed, canceled)",
                "it lists four rows and no canceled; one description stops at '(API returns'",
            )
        )
    assert "(default for multiclass)" in text
    found.append(
        (
            "default sort_metric",
            "one default per problem type, the same everywhere",
            "the metric tables say AUC (binary), logloss (multiclass), RMSE (regression); the published page "
            "says 'AUTO (AUC for classification, RMSE for regression)'; the contract resolves AUTO per the tables",
        )
    )
    assert "POST /api/projects" not in text
    found.append(
        (
            "project and dataset operations",
            "the seed documents what creating an experiment needs",
            "it documents none; the SDK uses POST /api/projects, POST /api/datasets/upload (multipart) and "
            "reads dataset_id / dataset_version_id as id / version_id",
        )
    )
    for what, expected, observed in found:
        harness_drift(source=SEED.name, what=what, expected=expected, observed=observed)
    assert len(found) >= 6


def _response_examples(text: str) -> dict[int, Any]:
    """The JSON shown after each 'Response NNN' line, by line number."""
    lines = text.splitlines()
    out: dict[int, Any] = {}
    for index, line in enumerate(lines):
        if not line.startswith("Response "):
            continue
        depth, block = 0, []
        for body_line in lines[index + 1 :]:
            block.append(body_line)
            depth += body_line.count("{") + body_line.count("[") - body_line.count("}") - body_line.count("]")
            if depth <= 0:
                break
        out[index + 1] = json.loads("\n".join(block))
    return out


def _missing_keys(shown: Any, got: Any, prefix: str = "") -> list[str]:
    """Keys the seed's example shows that the answer lacks (objects and the first item of arrays, recursively)."""
    if isinstance(shown, dict) and isinstance(got, dict):
        missing = [f"{prefix}{k}" for k in shown if k not in got]
        for key in shown:
            if key in got:
                missing += _missing_keys(shown[key], got[key], f"{prefix}{key}.")
        return missing
    if isinstance(shown, list) and isinstance(got, list) and shown and got:
        return _missing_keys(shown[0], got[0], f"{prefix}[0].")
    return []


def _wait_final(client: CorePlexMLClient, target: Target, experiment_id: str) -> str:
    """The experiment's final status, failed and canceled included (the replay compares answers whatever the
    outcome); JobTimeout naming the experiment when it never ends."""
    timeout = job_timeout(target, "COREPLEXML_EXPERIMENT_TIMEOUT", mock=EXPERIMENT_TIMEOUT, real=1800)
    try:
        return client.wait(experiment_id, timeout=timeout).status.state
    except JobFailed:
        return str(client.status(experiment_id)["status"])


def test_seed_002_examples_replayed_with_real_ids(
    coreplexml_target: Target, coreplexml_http: httpx.Client, harness_drift: Any
) -> None:
    """Each curl example is sent as written but for its ids; the answer must show the fields the seed shows."""
    text = SEED.read_text()
    examples = curl_examples(text)
    shown = _response_examples(text)
    assert len(examples) == 8
    assert len(shown) == 8
    client = CorePlexMLClient(coreplexml_http)
    project = client.create_project("h2oharness seed 002 replay")
    csv = payloads.classification_csv(rows=200, seed=8, label="is_fraud").replace(
        "x1,x2,color,size", "amount,merchant_id,hour,channel", 1
    )
    upload = client.upload_dataset(project["id"], "transactions.csv", csv, "Transactions Q4")
    ids = {SEED_IDS["project"]: project["id"], SEED_IDS["version"]: upload["dataset_version_id"]}
    replayed = 0
    try:
        for example in examples:
            response_line = min(line for line in shown if line > example.line)
            url = example.url.replace("$BASE_URL", "")
            body = example.body
            for seed_id, real in ids.items():
                url, body = url.replace(seed_id, real), body.replace(seed_id, real) if body else body
            headers = {k: v for k, v in example.headers.items() if k.lower() != "authorization"}
            waits = "/best-model" in url or (example.method == "GET" and url.endswith(("/explain",)))
            if waits and SEED_IDS["experiment"] in ids:  # else its create was refused: the seed's id goes as is
                _wait_final(client, coreplexml_target, ids[SEED_IDS["experiment"]])
            resp = coreplexml_http.request(example.method, url, content=body, headers=headers)
            replayed += 1
            if resp.status_code in NOT_ANSWERED:
                pytest.fail(f"line {example.line}: {example.method} {url} was not answered (HTTP {resp.status_code})")
            try:
                answer = resp.json()
            except ValueError:
                pytest.fail(
                    f"line {example.line}: {example.method} {url} answered HTTP {resp.status_code} without JSON"
                )
            expected_status = int(text.splitlines()[response_line - 1].split()[1])
            if example.method == "POST" and url == "/api/experiments" and resp.status_code < 300:
                ids[SEED_IDS["experiment"]] = answer["id"]
                status = _wait_final(client, coreplexml_target, answer["id"])
                detail = coreplexml_http.get(f"/api/experiments/{answer['id']}").json()
                models = detail.get("models") or []
                if models:
                    ids[SEED_IDS["model"]] = models[-1]["id"]
                assert status, "the replayed experiment never reported a status"
            missing = _missing_keys(shown[response_line], answer)
            if resp.status_code != expected_status or missing:
                harness_drift(
                    source=SEED.name,
                    what=f"line {example.line}: {example.method} {example.url}",
                    expected=f"HTTP {expected_status} with the fields of the example below it",
                    observed=f"HTTP {resp.status_code}"
                    + (f", missing {', '.join(missing)}" if missing else "")
                    + f": {json.dumps(answer)[:200]}",
                )
    finally:
        client.delete_project(project["id"])
    assert replayed == len(examples)


def test_contract_documents_every_seed_operation() -> None:
    """The eight experiment operations of the seed are in the contract, with the seed's success codes."""
    doc = yaml.safe_load(CONTRACT.read_text())
    text = SEED.read_text()
    pairs = re.findall(r"^(GET|POST|DELETE) (/api/experiments\S*)$", text, flags=re.MULTILINE)
    assert len(pairs) == 8
    for method, path in pairs:
        operation = doc["paths"][path][method.lower()]
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)
    assert "201" in doc["paths"]["/api/experiments"]["post"]["responses"]


def test_contract_is_what_the_sdk_generates() -> None:
    """``h2oharness spec coreplexml --from-client`` on the installed SDK reproduces the committed contract."""
    if importlib.util.find_spec("coreplexml") is None:
        pytest.skip("the official coreplexml SDK is not installed")
    from h2oharness.apis.coreplexml.fromclient import build_openapi
    from h2oharness.openapi import dump_openapi

    document, _ = build_openapi(yaml.safe_load(CONTRACT.read_text()))
    assert dump_openapi(document) == CONTRACT.read_text(), "regenerate: h2oharness spec coreplexml --from-client"


def test_sdk_operations_beyond_the_seed_are_reported(harness_drift: Any) -> None:
    """Every operation the SDK calls that the seed does not document, per resource, and where SDK and seed differ."""
    if importlib.util.find_spec("coreplexml") is None:
        pytest.skip("the official coreplexml SDK is not installed")
    from h2oharness.apis.coreplexml.fromclient import build_openapi, record_sdk

    calls = record_sdk()
    _, disagreements = build_openapi(yaml.safe_load(CONTRACT.read_text()), calls)
    text = SEED.read_text()
    beyond: dict[str, list[str]] = {}
    for call in calls:
        if f"{call.http_method} {call.path}\n" not in text:
            beyond.setdefault(call.resource, []).append(f"{call.http_method} {call.path}")
    assert {"models", "deployments", "privacy", "synthgen", "studio", "reports"} <= set(beyond)
    for resource, operations in sorted(beyond.items()):
        harness_drift(
            source=SEED.name,
            what=f"the SDK's {resource} resource",
            expected="the documentation describes every operation the official SDK calls",
            observed=f"{len(operations)} operation(s) the seed does not document: {', '.join(operations)}",
        )
    for line in disagreements:
        harness_drift(source="coreplexml 0.1.3", what=line.split(":")[0], expected="the contract", observed=line)


def test_mock_deviations_are_reported(harness_drift: Any) -> None:
    """What the mock decides where seed and SDK are silent or where it differs from them, each with its reason."""
    from h2oharness.apis.coreplexml.mock import DEVIATIONS

    assert "beyond the seed" in DEVIATIONS
    for what, why in sorted(DEVIATIONS.items()):
        harness_drift(
            source="h2oharness coreplexml mock", what=what, expected="the SDK's and the seed's behaviour", observed=why
        )
