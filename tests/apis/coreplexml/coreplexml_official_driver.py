"""Drive the official ``coreplexml`` SDK against a server and print what it saw as one JSON line.

Run as a subprocess: ``python coreplexml_official_driver.py URL API_KEY CSV``. The flow is the seed's and
the SDK's own example: project -> dataset upload -> experiment -> wait -> get, then logs, explain, list,
capabilities, engine runs, a failing experiment, a refused config, a wrong key, delete.
"""

from __future__ import annotations

import json
import sys


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


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3])), flush=True)
