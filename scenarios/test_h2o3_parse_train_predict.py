"""Seed 000's flow end to end: import -> parse setup -> parse -> train a GBM -> predict -> clean up."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3 import payloads
from h2oharness.apis.h2o3.client import H2O3Client, H2O3ResponseError
from h2oharness.apis.h2o3.mock import JOB_TIMEOUT
from h2oharness.targets import Target, job_timeout

ROWS = 150


def _timeout(target: Target, real: float) -> float:
    """H2O3_JOB_TIMEOUT, else the mock's bound against the mock and ``real`` against a real server."""
    return job_timeout(target, "H2O3_JOB_TIMEOUT", mock=JOB_TIMEOUT, real=real)


def _source_frames(client: H2O3Client, target: Target, tmp_path: Path, csv: str) -> list[str]:
    """Bring the scenario's own data: an upload on live (a file of ours the server may not see), a file path on
    mock/local. Never ``H2O3_DATASET_PATH``: that is the server's CSV for the contract flows, of the user's columns,
    not the ones this scenario checks, and not a file to write over."""
    if target.kind == "live":
        uploaded = client.post_file(csv.encode(), destination_frame=f"h2oharness_scenario_{os.getpid()}.csv")
        return [str(uploaded["destination_frame"])]
    path = tmp_path / "train.csv"
    path.write_text(csv)
    imported = client.import_files(str(path))
    assert not imported.get("fails"), f"ImportFiles failed: {imported.get('fails')}"
    frames = list(imported["destination_frames"])
    assert len(frames) == 1, frames
    return frames


def test_parse_train_predict(h2o3_target: Target, h2o3_http: httpx.Client, tmp_path: Path) -> None:
    """The predictions frame has the scored frame's row count and the model has training metrics."""
    client = H2O3Client(h2o3_http)
    csv = payloads.classification_csv(rows=ROWS, seed=11)
    header = csv.splitlines()[0].split(",")
    sources = _source_frames(client, h2o3_target, tmp_path, csv)
    created: list[tuple[str, str]] = []
    try:
        setup = client.parse_setup(sources)
        assert setup["number_columns"] == len(header)
        assert setup["column_names"] == header

        frame_id = f"h2oharness_train_{os.getpid()}"
        parse = client.parse(setup, destination_frame=frame_id)
        created.append(("frame", frame_id))
        client.wait(parse["job"]["key"]["name"], timeout=_timeout(h2o3_target, 120))

        frame = client.frame(frame_id)
        assert frame["rows"] == ROWS
        assert len(frame["columns"]) == len(header)
        label = next(c for c in frame["columns"] if c["label"] == "label")
        assert label["type"] == "enum"
        assert sorted(label["domain"]) == ["no", "yes"]

        build = client.build_model("gbm", training_frame=frame_id, response_column="label", ntrees=5, max_depth=3)
        model_id = build["job"]["dest"]["name"]
        created.append(("model", model_id))
        client.wait(build["job"]["key"]["name"], timeout=_timeout(h2o3_target, 300))

        model = client.model(model_id)
        metrics = model["output"]["training_metrics"]
        assert metrics is not None, "the trained model has no training metrics"
        assert 0.0 <= metrics["AUC"] <= 1.0
        assert metrics["nobs"] == ROWS

        predictions = client.predict(model_id, frame_id)
        pred_id = predictions["predictions_frame"]["name"]
        created.append(("frame", pred_id))
        scored = client.frame(pred_id)
        assert scored["rows"] == ROWS, "the predictions frame must have one row per scored row"
        assert scored["columns"][0]["label"] == "predict"
    finally:
        for kind, key in reversed(created):
            try:
                (client.delete_model if kind == "model" else client.delete_frame)(key)
            except H2O3ResponseError as exc:
                # a job that never finished made nothing to delete: the 404 would hide why the test failed
                if exc.status != 404:
                    raise
        for source in sources:
            with contextlib.suppress(H2O3ResponseError):  # the parse may already have removed its source frame
                client.delete_frame(source)
    for kind, key in created:
        with pytest.raises(H2O3ResponseError) as gone:
            (client.model if kind == "model" else client.frame)(key)
        assert gone.value.status == 404, f"{kind} {key} is still there after delete"
