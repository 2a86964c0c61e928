"""Builds on a String response and on numeric responses of two values, on the mock against a real local H2O-3
3.46.0.12: the refusal of a String (or UUID) response in the real words, and the WARN a response of only 0 and 1
(or -1 and 1) draws, at the real place among the build's messages, in a 412's messages as well; the columns dropped
(a constant, a String and a UUID one) listed in a real server's (HashSet) order."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.targets import Target

# column: (parse type, value of row i)
COLUMNS = {
    "k": ("Numeric", lambda i: "7"),
    "x": ("Numeric", lambda i: f"{i * 0.5}"),
    "s": ("String", lambda i: f"w{i % 3}"),
    "u": ("UUID", lambda i: str(uuid.UUID(int=i + 1))),
    "b": ("Numeric", lambda i: str(i % 2)),
    "m": ("Numeric", lambda i: str((-1, 1)[i % 2])),
    "t": ("Numeric", lambda i: str((0, 2)[i % 2])),
    "n": ("Numeric", lambda i: "" if i % 7 == 0 else str(i % 2)),
    "z": ("Numeric", lambda i: str((-1, 0, 1)[i % 3])),
}
# name: algo, response, more parameters
BUILDS: dict[str, tuple[str, str, dict[str, str]]] = {
    "gbm_string": ("gbm", "s", {}),
    "glm_string": ("glm", "s", {}),
    "drf_uuid": ("drf", "u", {}),
    "gbm_binary": ("gbm", "b", {}),
    "drf_binary": ("drf", "b", {}),
    "glm_binary": ("glm", "b", {}),
    "glm_binary_binomial": ("glm", "b", {"family": "binomial"}),
    "glm_binary_poisson": ("glm", "b", {"family": "poisson"}),
    "gbm_minus_one_one": ("gbm", "m", {}),
    "gbm_zero_two": ("gbm", "t", {}),
    "gbm_binary_with_missing": ("gbm", "n", {}),
    "gbm_three_values": ("gbm", "z", {}),
    "glm_numeric": ("glm", "x", {}),
    "gbm_binary_refused": ("gbm", "b", {"ntrees": "-1"}),
}


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    setup = client.parse_setup(client.import_files(str(csv_path))["destination_frames"])
    setup["column_types"] = [kind for kind, _ in COLUMNS.values()]
    frame = f"response_{tag}.hex"
    client.wait(client.parse(setup, destination_frame=frame)["job"]["key"]["name"], timeout=60)
    out: dict[str, Any] = {}
    for name, (algo, response, params) in BUILDS.items():
        form = {"training_frame": frame, "response_column": response, "model_id": f"{name}_{tag}", **params}
        answer = http.post(f"/3/ModelBuilders/{algo}", data={"ntrees": "2", **form} if algo != "glm" else form)
        body = answer.json()
        if answer.status_code == 200:
            client.wait(body["job"]["key"]["name"], timeout=60)
        messages = [(m["message_type"], m["field_name"], m["message"]) for m in body["messages"]]
        out[name] = {"status": answer.status_code, "messages": messages, "msg": body.get("msg", "").replace(tag, "")}
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The same builds on the real server and on the mock (fast clock)."""
    csv_path = Path(tmp_path_factory.mktemp("response_fidelity")) / "responses.csv"
    lines = [",".join(COLUMNS)] + [",".join(value(i) for _, value in COLUMNS.values()) for i in range(40)]
    csv_path.write_text("\n".join(lines) + "\n")
    return on_both(h2o3_local, lambda http: _run(http, csv_path, uuid.uuid4().hex[:8]))


@pytest.mark.live
@pytest.mark.parametrize("build", list(BUILDS))
def test_the_build_answers_with_the_real_messages(both: tuple[dict[str, Any], ...], build: str) -> None:
    real, mock = (side[build] for side in both)
    assert mock["status"] == real["status"]
    assert mock["messages"] == real["messages"]
    assert mock["msg"] == real["msg"]
