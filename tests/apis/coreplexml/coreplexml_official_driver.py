"""Drive the official ``coreplexml`` SDK against a server and print what it saw as one JSON line.

Run as a subprocess: ``python coreplexml_official_driver.py URL API_KEY CSV [surface]``. The flow is the seed's
and the SDK's own example: project -> dataset upload -> experiment -> wait -> get, then logs, explain, list,
capabilities, engine runs, a failing experiment, a refused config, a wrong key, delete. With ``surface`` it
instead calls every public method of every resource object on the client (found by introspection), creations
first and removals last, and prints each one's outcome.
"""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def main(url: str, api_key: str, csv_path: str) -> dict[str, object]:
    """Run the flow and return its observations."""
    from coreplexml import AuthenticationError, CorePlexMLClient, NotFoundError, ValidationError

    out: dict[str, object] = {}
    with CorePlexMLClient(url, api_key=api_key, timeout=30) as client:
        project = client.projects.create("sdk fidelity", description="official client against the mock")
        dataset = client.datasets.upload(project["id"], csv_path, "sdk-train")
        out.update(project_id=project["id"], dataset_id=dataset["id"], version_id=dataset["version_id"])
        versions = client.datasets.versions(dataset["id"])
        out["versions"] = [v["id"] for v in versions["items"]]
        created = client.experiments.create(
            project_id=project["id"],
            dataset_version_id=dataset["version_id"],
            target_column="label",
            name="SDK AutoML",
            problem_type="classification",
            config={"max_models": 3, "exclude_algos": ["DeepLearning"], "sort_metric": "auc"},
        )
        out["created"] = created
        final = client.experiments.wait(created["id"], interval=0.2, timeout=60)
        out["final_status"] = final["status"]
        detail = client.experiments.get(created["id"])
        out["detail_status"] = detail["experiment"]["status"]
        out["algos"] = [m["algo"] for m in detail["models"]]
        out["aucs"] = [m["metrics"]["auc"] for m in detail["models"]]
        out["best_model_id"] = detail["best_model_id"]
        out["top_model_id"] = detail["models"][0]["id"] if detail["models"] else None
        out["log_count"] = client.experiments.logs(created["id"])["count"]
        explain = client.experiments.explain(created["id"])["explain"]
        out["pareto"] = [m["name"] for m in explain["pareto_front"]["models"]]
        listed = client.experiments.list(project_id=project["id"], limit=10)
        out["listed"] = [item["id"] for item in listed["items"]]
        out["capability_algos"] = [a["id"] for a in client.experiments.capabilities()["algorithms"]]
        out["engine_runs"] = [r["engine"] for r in client.experiments.engine_runs(created["id"])["items"]]

        bad = client.experiments.create(project["id"], dataset["version_id"], target_column="missing_column")
        failed = client.experiments.wait(bad["id"], interval=0.2, timeout=60)
        out["failing_status"] = failed["status"]
        out["failing_error"] = failed.get("error")
        try:
            client.experiments.create(project["id"], dataset["version_id"], "label", config={"sort_metric": "rmse"})
        except ValidationError as exc:
            out["validation"] = {"status": exc.status_code, "detail": str(exc.detail)}
        client.experiments.delete(created["id"])
        try:
            client.experiments.get(created["id"])
        except NotFoundError as exc:
            out["after_delete"] = exc.status_code
        client.projects.delete(project["id"])
    with CorePlexMLClient(url, api_key="sk-wrong", timeout=30) as stranger:
        try:
            stranger.projects.list()
        except AuthenticationError as exc:
            out["wrong_key"] = exc.status_code
    return out


#: the ids a call's answer gives the calls after it: (resource.method) -> {context name: answer field}
PRODUCES: dict[str, dict[str, str]] = {
    "projects.create": {"project_id": "id", "entity_id": "id"},
    "projects.add_member": {"member_id": "id"},
    "datasets.upload": {"dataset_id": "id", "dataset_version_id": "version_id"},
    "experiments.create": {"experiment_id": "id"},
    "experiments.get": {"model_id": "best_model_id"},
    "deployments.create": {"deployment_id": "id"},
    "reports.create": {"report_id": "id"},
    "privacy.create_policy": {"policy_id": "id"},
    "privacy.create_session": {"session_id": "id"},
    "studio.create_session": {"session_id": "id"},
    "studio.create_scenario": {"scenario_id": "id"},
    "synthgen.create_model": {"model_id": "id"},
    "synthgen.generate": {"job_id": "synthgen_job_id"},
}
#: ids that mean another thing in each of these resources (a SynthGen model is not a trained model)
PRIVATE: dict[str, set[str]] = {"synthgen": {"model_id", "job_id"}, "privacy": {"session_id"}, "studio": {"session_id"}}
#: values by argument name, for the arguments no earlier answer gives
GIVEN: dict[str, Any] = {
    "name": "sdk surface",
    "description": "every public method",
    "email": "someone@example.com",
    "target_column": "label",
    "kind": "project",
    "inputs": {"x1": 0.5, "x2": 1.5, "color": "red", "size": 3},
    "baseline_input": {"x1": 0.5, "x2": 1.5, "color": "red", "size": 3},
    "changes": {"x1": 2.0},
    "config": {"max_models": 2},
    "num_rows": 20,
    "interval": 0.05,
    "timeout": 60.0,
    "limit": 10,
}


def _order(client: Any) -> list[tuple[str, Any, Any]]:
    """Every public method of every resource: each resource's creations, then its other calls; removals (and
    deactivation) last."""
    resources = [
        (n, r)
        for n, r in vars(client).items()
        if not n.startswith("_") and type(r).__module__.startswith("coreplexml.")
    ]
    first: list[tuple[str, Any, Any]] = []
    last: list[tuple[str, Any, Any]] = []
    for name, resource in resources:
        methods = inspect.getmembers(type(resource), inspect.isfunction)
        public = sorted((m for m in methods if not m[0].startswith("_")), key=lambda m: inspect.getsourcelines(m[1])[1])
        rank = {"create": 0, "upload": 0, "add": 0}
        ordered = sorted(public, key=lambda m: rank.get(m[0].split("_")[0], 1))
        for method, function in ordered:
            # a deactivated deployment serves no prediction, the studio's included: it goes with the removals
            target = last if method.split("_")[0] in ("delete", "remove", "deactivate") else first
            target.append((f"{name}.{method}", getattr(resource, method), function))
    return first + list(reversed(last))


def surface(url: str, api_key: str, csv_path: str) -> dict[str, object]:
    """Call every public resource method once; each outcome is "ok" or the exception it raised."""
    from coreplexml import CorePlexMLClient

    scratch = Path(tempfile.mkdtemp())
    outcomes: dict[str, str] = {}
    shared: dict[str, Any] = {}
    own: dict[str, dict[str, Any]] = {}
    with CorePlexMLClient(url, api_key=api_key, timeout=30) as client:
        for key, bound, function in _order(client):
            resource = key.split(".")[0]
            known = {**shared, **own.get(resource, {})}
            kwargs: dict[str, Any] = {"file_path": csv_path, "output_path": str(scratch / key)}
            for param in list(inspect.signature(function).parameters.values())[1:]:
                if param.name in known:
                    kwargs[param.name] = known[param.name]
                elif param.name in GIVEN and GIVEN[param.name] is not None:
                    kwargs[param.name] = GIVEN[param.name]
            kwargs = {k: v for k, v in kwargs.items() if k in inspect.signature(function).parameters}
            try:
                answer = bound(**kwargs)
            except Exception as exc:
                outcomes[key] = f"{type(exc).__name__}: {str(exc)[:200]}"
                continue
            outcomes[key] = "ok"
            if key == "experiments.create":
                bound_wait = client.experiments.wait
                bound_wait(answer["id"], interval=0.05, timeout=120)
            for name, field in PRODUCES.get(key, {}).items():
                if isinstance(answer, dict) and answer.get(field):
                    held = own.setdefault(resource, {}) if name in PRIVATE.get(resource, set()) else shared
                    held[name] = answer[field]
    return {"outcomes": outcomes}


def _gone(call: Any, *args: Any) -> bool:
    """Whether the SDK's ``call(*args)`` raises NotFoundError (what it raises for a 404)."""
    from coreplexml import NotFoundError

    try:
        call(*args)
    except NotFoundError:
        return True
    return False


def _refused(call: Any, detail: str, *args: Any) -> list[object] | None:
    """What the SDK raised for ``call(*args)``, as [its status, whether its detail is ``detail``]: None when it
    answered."""
    from coreplexml import CorePlexMLError

    try:
        call(*args)
    except CorePlexMLError as exc:
        return [exc.status_code, exc.detail == detail]
    return None


def privacy(url: str, api_key: str, csv_path: str) -> dict[str, Any]:
    """The privacy suite on a dataset holding PII: what detect finds, what transform applies, and the results, under
    a gdpr policy; and what detect finds under a pci_dss one."""
    from coreplexml import CorePlexMLClient

    with CorePlexMLClient(url, api_key=api_key, timeout=30) as client:
        pid = client.projects.create("privacy")["id"]
        dataset = client.datasets.upload(pid, csv_path, "people")
        policy = client.privacy.create_policy(pid, "pii", profile="gdpr")
        session = client.privacy.create_session(policy["id"], dataset["id"])
        detected = client.privacy.detect(session["id"], interval=0.05, timeout=60)
        transformed = client.privacy.transform(session["id"], interval=0.05, timeout=60)
        results = client.privacy.results(session["id"])
        cards = client.privacy.create_policy(pid, "cards", profile="pci_dss")
        card_session = client.privacy.create_session(cards["id"], dataset["id"])
        card_findings = client.privacy.detect(card_session["id"], interval=0.05, timeout=60)["findings"]
    return {
        "findings": sorted([f["column"], f["pii_type"], f["count"]] for f in detected["findings"]),
        "applied": transformed["transformations_applied"],
        "results": [results["session_id"] == session["id"], len(results["results"])],
        "pci_dss_findings": sorted([f["column"], f["pii_type"], f["count"]] for f in card_findings),
    }


def readback(url: str, api_key: str, csv_path: str) -> dict[str, Any]:
    """The methods the seed flow never reads an answer from, in the order a user meets them: the project's reads and
    members, the dataset's reads, the trained model's (list, get, parameters, predict, explain), a deployment from
    creation to deactivation (and a prediction it refuses then), a report, then the removals. Returns what each
    answer said."""
    from coreplexml import CorePlexMLClient, NotFoundError

    scratch = Path(tempfile.mkdtemp())
    out: dict[str, Any] = {}
    row = {"x1": 0.5, "x2": 1.5, "color": "red", "size": 3}
    with CorePlexMLClient(url, api_key=api_key, timeout=30) as client:
        project = client.projects.create("readback", description="first")
        pid = project["id"]
        client.projects.create("someone else's")
        got = client.projects.get(pid)
        out["project"] = [got["id"] == pid, got["name"], got["description"]]
        found = client.projects.list(search="readback")
        out["project_search"] = [[p["id"] == pid for p in found["items"]], found["total"]]
        out["project_updated"] = [client.projects.update(pid, description="second")["name"],
                                  client.projects.get(pid)["description"]]  # fmt: skip
        out["project_renamed"] = client.projects.update(pid, name="renamed")["name"]
        member = client.projects.add_member(pid, "someone@example.com", role="viewer")
        members = client.projects.members(pid)
        out["member"] = [member.get("email"), member.get("role"),
                         sorted(m.get("email") for m in members["items"]), members["total"]]  # fmt: skip
        client.projects.remove_member(pid, member["id"])
        out["members_after"] = sorted(m.get("email") for m in client.projects.members(pid)["items"])

        dataset = client.datasets.upload(pid, csv_path, "readback-train")
        did = dataset["id"]
        got_ds = client.datasets.get(did)
        out["dataset"] = [got_ds.get("id") == did, got_ds.get("name"), got_ds.get("project_id") == pid]
        listed = client.datasets.list(project_id=pid)
        out["datasets"] = [[d["id"] == did for d in listed["items"]], listed["total"]]
        out["columns"] = sorted(c["name"] for c in client.datasets.columns(did)["columns"])
        quality = client.datasets.quality(did)
        out["quality"] = [quality.get("dataset_id") == did, quality["score"], quality["issues"]]
        analysis = client.datasets.analyze(did)
        out["analysis"] = [analysis.get("dataset_id") == did, analysis.get("row_count"), analysis.get("column_count")]
        saved = client.datasets.download(did, str(scratch / "train.csv"))
        out["downloaded"] = Path(saved).read_text().splitlines()[0]

        exp = client.experiments.create(pid, dataset["version_id"], "label", name="readback", config={"max_models": 3})
        client.experiments.wait(exp["id"], interval=0.05, timeout=60)
        detail = client.experiments.get(exp["id"])
        best = detail["best_model_id"]
        models = client.models.list(experiment_id=exp["id"])
        out["models"] = [sorted(m["id"] for m in models["items"]) == sorted(m["id"] for m in detail["models"]),
                         models["total"], all(m["algorithm"] for m in models["items"])]  # fmt: skip
        model = client.models.get(best)
        out["model"] = [
            model.get("id") == best,
            model.get("experiment_id") == exp["id"],
            model.get("algo") == detail["models"][0]["algo"],
        ]
        out["model_parameters"] = client.models.parameters(best).get("model_id") == best
        one = client.models.predict(best, row)
        many = client.models.predict(best, [row, {**row, "x1": 2.0}])
        out["predict_one"] = [len(one["predictions"]), one.get("prediction"), one["predictions"][0]]
        out["predict_again"] = client.models.predict(best, row) == one
        out["predict_many"] = [p["prediction"] for p in many["predictions"]]
        explained = client.models.explain(best)
        out["model_explain"] = [
            explained.get("model_id") == best,
            [f["feature"] for f in explained["feature_importance"]],
        ]
        single = next(m for m in detail["models"] if m["algo"] != "StackedEnsemble")
        importances = client.models.explain(single["id"])["feature_importance"]
        out["model_importances"] = [[f["feature"] for f in importances], [f["importance"] for f in importances]]
        out["model_algo"] = [model.get("algo"), single["algo"]]
        dep = client.deployments.create(pid, best, "readback-endpoint")
        dep_id = dep["id"]
        out["deployment"] = [dep.get("name"), dep.get("stage"), dep.get("model_id") == best, dep.get("status")]
        out["deployment_got"] = client.deployments.get(dep_id).get("id") == dep_id
        out["deployments"] = [d["id"] == dep_id for d in client.deployments.list(pid)["items"]]
        answer = client.deployments.predict(dep_id, row)
        out["deployment_predict"] = [answer["predictions"], answer.get("prediction"), answer.get("probability")]
        out["promoted"] = client.deployments.promote(dep_id).get("stage")
        drift = client.deployments.drift(dep_id)
        out["drift"] = [drift.get("deployment_id") == dep_id, drift["drift_detected"], drift["features"]]
        other = next(m["id"] for m in detail["models"] if m["id"] != best)
        out["rolled_back"] = client.deployments.rollback(dep_id, to_model_id=other).get("model_id") == other
        out["deactivated"] = client.deployments.deactivate(dep_id).get("status")
        out["deployment_reread"] = [client.deployments.get(dep_id).get(k) for k in ("stage", "status")]
        try:
            client.deployments.predict(dep_id, row)
            out["inactive_predict"] = None
        except NotFoundError as exc:
            out["inactive_predict"] = [exc.status_code, exc.detail == f"Deployment {dep_id} is inactive"]

        report = client.reports.create(pid, "experiment", exp["id"])
        rid = report["id"]
        out["report"] = [client.reports.get(rid).get("id") == rid, client.reports.get(rid).get("kind")]
        out["report_done"] = client.reports.wait(rid, interval=0.05, timeout=60)["report"]["status"]
        out["reports"] = [r["id"] == rid for r in client.reports.list(project_id=pid, kind="experiment")["items"]]
        out["report_pdf"] = Path(client.reports.download(rid, str(scratch / "report.pdf"))).read_bytes()[:5].decode()
        out["timeline"] = [e["kind"] for e in client.projects.timeline(pid)["events"]]

        client.models.delete(other)
        remaining = [m["id"] for m in client.models.list(experiment_id=exp["id"])["items"]]
        out["model_deleted"] = [_gone(client.models.get, other), other in remaining]
        client.datasets.delete(did)
        out["dataset_deleted"] = _gone(client.datasets.get, did)
        client.projects.delete(pid)
        out["project_deleted"] = _gone(client.projects.get, pid)
    return out


def suites(url: str, api_key: str, csv_path: str) -> dict[str, Any]:
    """The privacy suite, SynthGen and the studio on a trained experiment, in the order a user meets them: a policy,
    a session, detection and transformation; a SynthGen model and a generation; a what-if session, its scenarios
    and their comparison. Returns what each answer said."""
    from coreplexml import CorePlexMLClient

    out: dict[str, Any] = {}
    row = {"x1": 0.5, "x2": 1.5, "color": "red", "size": 3}
    with CorePlexMLClient(url, api_key=api_key, timeout=30) as client:
        pid = client.projects.create("suites")["id"]
        dataset = client.datasets.upload(pid, csv_path, "suites-train")
        exp = client.experiments.create(pid, dataset["version_id"], "label", config={"max_models": 2})
        client.experiments.wait(exp["id"], interval=0.05, timeout=60)
        best = client.experiments.get(exp["id"])["best_model_id"]

        policy = client.privacy.create_policy(pid, "pii", profile="gdpr", description="scan")
        out["policy"] = [policy.get("name"), policy.get("profile"), policy.get("project_id") == pid]
        out["policy_got"] = client.privacy.get_policy(policy["id"]).get("id") == policy["id"]
        out["policies"] = [p["id"] == policy["id"] for p in client.privacy.list_policies(project_id=pid)["items"]]
        session = client.privacy.create_session(policy["id"], dataset["id"])
        out["session"] = [session.get("policy_id") == policy["id"], session.get("dataset_id") == dataset["id"]]
        detected = client.privacy.detect(session["id"], interval=0.05, timeout=60)
        out["detected"] = [detected["status"], detected["session_id"] == session["id"], detected["findings"]]
        transformed = client.privacy.transform(session["id"], interval=0.05, timeout=60)
        out["transformed"] = [transformed["status"], transformed["transformations_applied"]]
        out["anonymized"] = client.privacy.anonymize(session["id"], interval=0.05, timeout=60)["status"]
        out["results"] = sorted(client.privacy.results(session["id"]))

        synth = client.synthgen.create_model(pid, dataset["version_id"], "twin", model_type="tvae")
        out["synth"] = [synth.get("name"), synth.get("model_type"), synth.get("status")]
        got = client.synthgen.get_model(synth["id"])
        out["synth_got"] = [got.get("id") == synth["id"], got.get("status"), got.get("raw_status")]
        out["synth_models"] = [m["id"] == synth["id"] for m in client.synthgen.list_models(project_id=pid)["items"]]
        generated = client.synthgen.generate(synth["id"], num_rows=20)
        out["generated"] = [
            generated["status"],
            generated["num_rows"],
            isinstance(generated.get("output_artifact_id"), str),
        ]
        out["generated_columns"] = generated.get("columns")
        job_id = generated.get("synthgen_job_id") or generated.get("job_id")
        job = client.synthgen.get_job(job_id)
        out["synth_job"] = [job["id"] == job_id, job["status"], job["progress"]]
        jobs = client.synthgen.list_jobs()
        out["synth_jobs"] = [[j.get("id") == job_id for j in jobs["items"]], jobs.get("total")]

        deployment = client.deployments.create(pid, best, "studio-endpoint")
        studio = client.studio.create_session(pid, deployment["id"], row)
        out["studio"] = [studio.get("deployment_id") == deployment["id"], studio.get("baseline_input")]
        out["studio_got"] = client.studio.get_session(studio["id"]).get("id") == studio["id"]
        features = client.studio.schema(studio["id"])
        out["studio_schema"] = [
            features["session_id"] == studio["id"],
            [[f["name"], f["type"]] for f in features["features"]],
        ]
        scenario = client.studio.create_scenario(studio["id"], "more x1", changes={"x1": 2.0})
        out["scenario"] = [scenario.get("name"), scenario.get("changes"), scenario.get("session_id") == studio["id"]]
        ran = client.studio.run_scenario(scenario["id"])
        direct = client.deployments.predict(deployment["id"], {**row, "x1": 2.0})["prediction"]
        out["scenario_run"] = [ran["scenario_id"] == scenario["id"], ran["prediction"] == direct]
        compared = client.studio.compare(studio["id"])
        baseline = client.deployments.predict(deployment["id"], row)["prediction"]
        out["compared"] = [compared["baseline"]["prediction"] == baseline,
                           [[c["name"], c["prediction"] == direct] for c in compared["scenarios"]]]  # fmt: skip
        client.deployments.deactivate(deployment["id"])
        inactive = f"Deployment {deployment['id']} is inactive"
        out["studio_inactive"] = [
            _refused(client.studio.run_scenario, inactive, scenario["id"]),
            _refused(client.studio.compare, inactive, studio["id"]),
            _refused(client.deployments.predict, inactive, deployment["id"], row),
            len(client.studio.schema(studio["id"])["features"]) == len(features["features"]),
        ]
        client.synthgen.delete_model(synth["id"])
        out["synth_deleted"] = _gone(client.synthgen.get_model, synth["id"])
        client.privacy.delete_policy(policy["id"])
        out["policy_deleted"] = _gone(client.privacy.get_policy, policy["id"])
    return out


if __name__ == "__main__":
    run = {"surface": surface, "readback": readback, "suites": suites, "privacy": privacy}.get(
        sys.argv[4] if sys.argv[4:] else "", main
    )
    print(json.dumps(run(sys.argv[1], sys.argv[2], sys.argv[3])), flush=True)
