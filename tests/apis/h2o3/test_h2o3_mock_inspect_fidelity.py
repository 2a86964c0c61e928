"""The read-only GETs of a node's diagnostics (Timeline, JStack, Profiler, Logs, Sample) and of a model's insides and
files (Tree, GetGLMRegPath, Models.fetch.bin, the POJO/MOJO downloads, Word2Vec*, TargetEncoderTransform,
PartialDependence) on the mock against a real local H2O-3 3.46.0.12, on a frame, a GBM and a GLM both make: the same
status, schema and shape, the same refusals in the same words, and the same facts of a model where the mock's model
is the same (a GLM's coefficient names, a binomial tree's class)."""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params, glm_params
from h2oharness.targets import Target

# name: (path, query); {frame}, {gbm}, {glm} are the test's own keys, the same on both servers
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "timeline": ("/3/Timeline", {}),
    "jstack": ("/3/JStack", {}),
    "profiler": ("/3/Profiler", {"depth": "1"}),
    "profiler_no_depth": ("/3/Profiler", {}),
    "sample": ("/99/Sample", {}),
    "logs_info": ("/3/Logs/nodes/0/files/info", {}),
    "logs_self_stdout": ("/3/Logs/nodes/self/files/stdout", {}),
    "logs_debug": ("/3/Logs/nodes/0/files/debug", {}),
    "logs_default": ("/3/Logs/nodes/-1/files/default", {}),
    "logs_trace": ("/3/Logs/nodes/0/files/trace", {}),
    "logs_fatal": ("/3/Logs/nodes/0/files/fatal", {}),
    "logs_other_node": ("/3/Logs/nodes/5/files/info", {}),
    "logs_text_node": ("/3/Logs/nodes/x/files/info", {}),
    "logs_unknown_name": ("/3/Logs/nodes/0/files/bogus", {}),
    "tree": ("/3/Tree", {"model": "{gbm}", "tree_number": "0", "plain_language_rules": "AUTO"}),
    "tree_plain_false": ("/3/Tree", {"model": "{gbm}", "tree_number": "1", "plain_language_rules": "FALSE"}),
    "tree_class_first": (
        "/3/Tree",
        {"model": "{gbm}", "tree_number": "0", "plain_language_rules": "TRUE", "tree_class": "no"},
    ),
    "tree_class_other": (
        "/3/Tree",
        {"model": "{gbm}", "tree_number": "0", "plain_language_rules": "AUTO", "tree_class": "yes"},
    ),
    "tree_past_last": ("/3/Tree", {"model": "{gbm}", "tree_number": "3", "plain_language_rules": "AUTO"}),
    "tree_negative": ("/3/Tree", {"model": "{gbm}", "tree_number": "-1", "plain_language_rules": "AUTO"}),
    "tree_bad_rules": ("/3/Tree", {"model": "{gbm}", "tree_number": "0", "plain_language_rules": "bogus"}),
    "tree_no_rules": ("/3/Tree", {"model": "{gbm}", "tree_number": "0"}),
    "tree_glm": ("/3/Tree", {"model": "{glm}", "tree_number": "0", "plain_language_rules": "AUTO"}),
    "tree_unknown": ("/3/Tree", {"model": "nope_{tag}", "tree_number": "0", "plain_language_rules": "AUTO"}),
    "tree_no_number": ("/3/Tree", {"model": "{gbm}", "plain_language_rules": "AUTO"}),
    "reg_path": ("/3/GetGLMRegPath", {"model": "{glm}"}),
    "reg_path_gbm": ("/3/GetGLMRegPath", {"model": "{gbm}"}),
    "reg_path_unknown": ("/3/GetGLMRegPath", {"model": "nope_{tag}"}),
    "reg_path_no_model": ("/3/GetGLMRegPath", {}),
    "pojo": ("/3/Models.java/{gbm}", {}),
    "pojo_preview": ("/3/Models.java/{gbm}/preview", {}),
    "pojo_unknown": ("/3/Models.java/nope_{tag}", {}),
    "mojo": ("/99/Models.mojo/{gbm}", {}),
    "mojo_download": ("/3/Models/{gbm}/mojo", {}),
    "assembly_java": ("/99/Assembly.java/nope_{tag}/x.java", {}),
    "assembly_mojo": ("/99/Assembly.fetch_mojo_pipeline/nope_{tag}/x.mojo", {}),
    "binary": ("/3/Models.fetch.bin/{gbm}", {}),
    "binary_unknown": ("/3/Models.fetch.bin/nope_{tag}", {}),
    "synonyms_gbm": ("/3/Word2VecSynonyms", {"model": "{gbm}", "word": "a", "count": "2"}),
    "synonyms_unknown": ("/3/Word2VecSynonyms", {"model": "nope_{tag}", "word": "a", "count": "2"}),
    "synonyms_bare": ("/3/Word2VecSynonyms", {}),
    "w2v_transform_glm": ("/3/Word2VecTransform", {"model": "{glm}", "words_frame": "{frame}"}),
    "w2v_transform_unknown": ("/3/Word2VecTransform", {"model": "nope_{tag}", "words_frame": "{frame}"}),
    "w2v_transform_bare": ("/3/Word2VecTransform", {}),
    "te_transform_glm": ("/3/TargetEncoderTransform", {"model": "{glm}", "frame": "{frame}"}),
    "te_transform_unknown": ("/3/TargetEncoderTransform", {"model": "nope_{tag}", "frame": "{frame}"}),
    "te_transform_bare": ("/3/TargetEncoderTransform", {}),
    "pdp_unknown": ("/3/PartialDependence/nope_{tag}", {}),
    "find": ("/3/Find", {"key": "{frame}", "row": "0", "match": "green"}),
    "find_middle": ("/3/Find", {"key": "{frame}", "row": "10", "match": "green"}),
    "find_number": ("/3/Find", {"key": "{frame}", "row": "4", "match": "1.1136"}),
    "find_nothing_but_missing": ("/3/Find", {"key": "{frame}", "row": "5", "match": "zzz"}),
    "find_past_the_end": ("/3/Find", {"key": "{frame}", "row": "500", "match": "green"}),
    "find_before_the_start": ("/3/Find", {"key": "{frame}", "row": "-1", "match": "green"}),
    "find_column": ("/3/Find", {"key": "{frame}", "row": "5", "match": "red", "column": "color"}),
    "find_column_number": ("/3/Find", {"key": "{frame}", "row": "0", "match": "5", "column": "size"}),
    "find_column_not_a_level": ("/3/Find", {"key": "{frame}", "row": "0", "match": "purple", "column": "color"}),
    "find_column_not_a_number": ("/3/Find", {"key": "{frame}", "row": "0", "match": "NA", "column": "x2"}),
    "find_unknown_column": ("/3/Find", {"key": "{frame}", "row": "0", "match": "a", "column": "nope"}),
    "find_unknown_frame": ("/3/Find", {"key": "nope_{tag}", "row": "0", "match": "a"}),
    "find_nan": ("/3/Find", {"key": "{frame}", "row": "4", "match": "NaN"}),
    "find_zero": ("/3/Find", {"key": "{frame}", "row": "4", "match": "0"}),
    "find_no_match": ("/3/Find", {"key": "{frame}", "row": "4"}),
    "find_no_row": ("/3/Find", {"key": "{frame}"}),
    "find_no_key": ("/3/Find", {"row": "0", "match": "a"}),
    "gram": ("/3/ComputeGram", {"X": "{frame}"}),
    "gram_standardized": ("/3/ComputeGram", {"X": "{frame}", "standardize": "true"}),
    "gram_all_levels": ("/3/ComputeGram", {"X": "{frame}", "use_all_factor_levels": "true"}),
    "gram_weighted": ("/3/ComputeGram", {"X": "{frame}", "W": "x1"}),
    "gram_skip_missing": ("/3/ComputeGram", {"X": "{frame}", "skip_missing": "true"}),
    "gram_unknown_weights": ("/3/ComputeGram", {"X": "{frame}", "W": "nope"}),
    "gram_unknown_frame": ("/3/ComputeGram", {"X": "nope_{tag}"}),
    "gram_bare": ("/3/ComputeGram", {}),
    "logs_download": ("/3/Logs/download", {}),
    "logs_download_log": ("/3/Logs/download/LOG", {}),
    "logs_download_bogus": ("/3/Logs/download/BOGUS", {}),
}
# where a real server answers 500 (a Java exception), the mock answers 400 with the same message (mock.DEVIATIONS)
REAL_500 = {
    "logs_unknown_name", "tree_no_rules", "reg_path_gbm", "synonyms_gbm", "w2v_transform_glm", "te_transform_glm",
    "te_transform_unknown", "te_transform_bare", "find_column_not_a_level", "find_column_not_a_number",
    "find_unknown_frame", "find_no_match",
}  # fmt: skip
# answers whose lists hold what the node is doing (events, threads, stacks, log lines): compared to one item deep
MACHINE = {"timeline", "jstack", "profiler", "sample", "logs_info", "logs_self_stdout"}
# the mock's own GBM and GLM fit other numbers: facts compared are those of the data and the request
TREE_FACTS = ("tree_number", "tree_class", "plain_language_rules", "root_node_id")


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, tuple[int, Any, dict[str, str]]]:
    client = H2O3Client(http)
    frame = f"inspect_{tag}.hex"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    keys = {"frame": frame, "gbm": f"gbm_{tag}", "glm": f"glm_{tag}", "tag": tag}
    for algo, params in (("gbm", gbm_params(frame, ntrees=3)), ("glm", glm_params(frame))):
        job = client.build_model(algo, **{**params, "model_id": keys[algo]})["job"]
        client.wait(job["key"]["name"], timeout=120)
    out = {}
    for name, (path, query) in REQUESTS.items():
        answer = http.get(path.format(**keys), params={k: v.format(**keys) for k, v in query.items()})
        kind = answer.headers.get("content-type", "")
        body = answer.json() if kind.startswith("application/json") else answer.content
        headers = {h: answer.headers.get(h, "") for h in ("content-type", "content-disposition")}
        # a download is named by the model, or by the moment
        named = headers["content-disposition"].replace(tag, "TAG")
        headers["content-disposition"] = re.sub(r"\d{8}_\d{6}", "STAMP", named)
        out[name] = (answer.status_code, body, headers)
        if name.startswith("gram") and answer.status_code == 200:
            gram = http.get(f"/3/Frames/{body['destination_frame']['name']}", params={"row_count": 100}).json()
            out[name + "_frame"] = [(c["label"], c["type"], c["data"]) for c in gram["frames"][0]["columns"]]
    out.update(_save_and_load(http, keys, csv_path))
    return out


def _save_and_load(http: httpx.Client, keys: dict[str, str], csv_path: Path) -> dict[str, Any]:
    """h2o.save_model's and h2o.load_model's requests, in a folder of the side's own (named DIR in messages)."""
    folder = tempfile.mkdtemp(prefix="inspect_save_")
    saved = f"{folder}/models/{keys['gbm']}"
    asks = {
        "save": ("GET", f"/99/Models.bin/{keys['gbm']}", {"dir": saved, "force": "true"}),
        "save_no_force": ("GET", f"/99/Models.bin/{keys['gbm']}", {"dir": saved, "force": "false"}),
        "save_unknown": ("GET", f"/99/Models.bin/nope_{keys['tag']}", {"dir": f"{folder}/n"}),
        "save_no_dir": ("GET", f"/99/Models.bin/{keys['gbm']}", {}),
        "delete": ("DELETE", f"/3/Models/{keys['gbm']}", {}),
        "load": ("POST", "/99/Models.bin/", {"dir": saved}),
        "loaded": ("GET", f"/3/Models/{keys['gbm']}", {}),
        "load_missing": ("POST", "/99/Models.bin/", {"dir": f"{folder}/none"}),
        "load_not_a_model": ("POST", "/99/Models.bin/", {"dir": str(csv_path)}),
        "load_no_dir": ("POST", "/99/Models.bin/", {}),
        "export": ("POST", f"/3/Frames/{keys['frame']}/export", {"path": f"{folder}/a.csv"}),
        "export_again": ("POST", f"/3/Frames/{keys['frame']}/export", {"path": f"{folder}/a.csv"}),
        "export_forced": (
            "POST",
            f"/3/Frames/{keys['frame']}/export",
            {"path": f"{folder}/a.csv", "force": "true", "separator": "59", "header": "false"},
        ),
        "export_no_path": ("POST", f"/3/Frames/{keys['frame']}/export", {"force": "true"}),
        "export_unknown": ("POST", f"/3/Frames/nope_{keys['tag']}/export", {"path": f"{folder}/n.csv"}),
        "export_no_folder": ("POST", f"/3/Frames/{keys['frame']}/export", {"path": f"{folder}/none/x.csv"}),
        "export_deprecated": (
            "GET",
            f"/3/Frames/{keys['frame']}/export/{quote(folder + '/b.csv', safe='')}/overwrite/false",
            {},
        ),
        "export_deprecated_again": (
            "GET",
            f"/3/Frames/{keys['frame']}/export/{quote(folder + '/b.csv', safe='')}/overwrite/false",
            {},
        ),
        "export_deprecated_bad_force": (
            "GET",
            f"/3/Frames/{keys['frame']}/export/{quote(folder + '/c.csv', safe='')}/overwrite/maybe",
            {},
        ),
    }
    out: dict[str, Any] = {}
    for name, (method, path, params) in asks.items():
        answer = http.request(method, path, params=params)
        text = answer.text.replace(folder, "DIR")
        out[name] = (answer.status_code, json.loads(text), {"content-type": answer.headers.get("content-type", "")})
        if name.startswith("export") and answer.status_code == 200:
            job = answer.json()["job"]["key"]["name"]
            for _ in range(100):  # an export of 200 rows takes well under a second; 10 s at most
                status = http.get(f"/3/Jobs/{job}").json()["jobs"][0]
                if status["status"] not in ("CREATED", "RUNNING"):
                    break
                time.sleep(0.1)
            exception = (status["exception"] or "").replace(folder, "DIR")
            out[name + "_job"] = (status["status"], exception)
    out["exported"] = [Path(folder, f).read_text() for f in ("a.csv", "b.csv")]
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("inspect_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


@pytest.mark.live
@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_mock_answers_as_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real, real_headers), (mock_status, mock, mock_headers) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock_headers == real_headers
    if isinstance(real, bytes):
        assert isinstance(mock, bytes)
        assert mock
        return
    assert _schema(mock) == _schema(real)
    if real_status != 200:
        assert mock["msg"].replace("_" + _tag(both), "") == real["msg"].replace("_" + _tag(both), "")
        assert mock["exception_type"] == real["exception_type"]
        return
    if name in MACHINE:
        # every kind of object the mock sends is one the real server sends, with the same fields
        real_kinds, mock_kinds = _kinds(real), _kinds(mock)
        assert set(mock_kinds) <= set(real_kinds)
        assert {k: mock_kinds[k] for k in mock_kinds} == {k: real_kinds[k] for k in mock_kinds}
    else:
        assert shape_differences(real, mock) == []


def _schema(body: dict[str, Any]) -> str | None:
    # a GramV3 comes without its __meta
    return body["__meta"]["schema_name"] if "__meta" in body else None


def _tag(both: tuple[dict[str, Any], ...]) -> str:
    return str(both[0]["tree"][1]["model"]["name"]).removeprefix("gbm_")


def _kinds(body: Any, found: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    # the schemas an answer holds, each with its fields: what the node is doing changes how many and in what order
    found = {} if found is None else found
    if isinstance(body, dict):
        if "__meta" in body:
            found.setdefault(body["__meta"]["schema_name"], set(body))
        for value in body.values():
            _kinds(value, found)
    elif isinstance(body, list):
        for value in body:
            _kinds(value, found)
    return found


@pytest.mark.live
def test_the_logs_of_quiet_levels_say_so_in_the_real_words(both: tuple[dict[str, Any], ...]) -> None:
    for name in ("logs_debug", "logs_default", "logs_trace", "logs_fatal"):
        assert both[1][name][1]["log"] == both[0][name][1]["log"]


@pytest.mark.live
def test_a_tree_has_the_real_facts_and_consistent_nodes(both: tuple[dict[str, Any], ...]) -> None:
    for name in ("tree", "tree_plain_false", "tree_class_first"):
        real, mock = both[0][name][1], both[1][name][1]
        assert {f: mock[f] for f in TREE_FACTS} == {f: real[f] for f in TREE_FACTS}
        assert (mock["tree_decision_path"] is None) == (real["tree_decision_path"] is None)
        nodes = len(mock["predictions"])
        for side in ("left_children", "right_children", "thresholds", "features", "nas", "levels", "descriptions"):
            assert len(mock[side]) == nodes
        # every child a node names is a node, and a node is a leaf on both sides or on neither
        for left, right in zip(mock["left_children"], mock["right_children"], strict=True):
            assert (left == -1) == (right == -1)
            assert left < nodes
            assert right < nodes
        assert set(mock["features"]) - {None} <= {"x1", "x2", "color", "size"}


@pytest.mark.live
def test_a_glm_path_names_the_real_coefficients(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both[0]["reg_path"][1], both[1]["reg_path"][1]
    assert mock["coefficient_names"] == real["coefficient_names"]
    assert mock["alphas"] == real["alphas"]
    assert len(mock["coefficients"][0]) == len(real["coefficients"][0])
    assert 0 < mock["explained_deviance_train"][0] < 1


@pytest.mark.live
def test_the_logs_download_is_a_zip_of_a_zip_per_node(both: tuple[dict[str, Any], ...]) -> None:
    def layout(content: bytes) -> list[str]:
        with zipfile.ZipFile(io.BytesIO(content)) as outer:
            names = outer.namelist()
            with zipfile.ZipFile(io.BytesIO(outer.read(names[1]))) as inner:
                levels = {re.sub(r".*-\d-(\w+)\.log.*", r"\1", n) for n in inner.namelist() if "-httpd" not in n}
        # named by the moment and by the node's address, which differ
        return [re.sub(r"\d{8}_\d{6}|\d+\.\d+\.\d+\.\d+_\d+", "X", n) for n in names] + sorted(levels)

    assert layout(both[1]["logs_download"][1]) == layout(both[0]["logs_download"][1])


@pytest.mark.live
def test_find_finds_the_real_rows(both: tuple[dict[str, Any], ...]) -> None:
    for name in [n for n in REQUESTS if n.startswith("find")]:
        real, mock = both[0][name][1], both[1][name][1]
        if "prev" in real:
            assert (mock["prev"], mock["next"]) == (real["prev"], real["next"]), name
            assert [c["label"] for c in mock["key"]["columns"]] == [c["label"] for c in real["key"]["columns"]]
            assert mock["key"]["frame_id"]["name"] == real["key"]["frame_id"]["name"]


@pytest.mark.live
@pytest.mark.parametrize(
    "name",
    [
        n
        for n in REQUESTS
        if n in ("gram", "gram_standardized", "gram_all_levels", "gram_weighted", "gram_skip_missing")
    ],
)
def test_a_gram_matrix_is_the_real_one(both: tuple[dict[str, Any], ...], name: str) -> None:
    real, mock = both[0][name + "_frame"], both[1][name + "_frame"]
    assert [(label, kind) for label, kind, _ in mock] == [(label, kind) for label, kind, _ in real]
    for (label, _, real_values), (_, _, mock_values) in zip(real, mock, strict=True):
        assert mock_values == pytest.approx(real_values, rel=1e-9, abs=1e-9), label
    assert both[1][name][1]["destination_frame"]["name"] == both[0][name][1]["destination_frame"]["name"]


SAVES = (
    "save", "save_no_force", "save_unknown", "save_no_dir", "load", "loaded", "load_missing", "load_not_a_model",
    "load_no_dir", "export", "export_again", "export_forced", "export_no_path", "export_unknown", "export_no_folder",
    "export_deprecated", "export_deprecated_again", "export_deprecated_bad_force",
)  # fmt: skip


@pytest.mark.live
@pytest.mark.parametrize("name", SAVES)
def test_a_model_is_saved_and_loaded_as_on_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real, _), (mock_status, mock, _) = (side[name] for side in both)
    real_500 = name.endswith(("no_dir", "no_path"))
    assert (real_status, mock_status) == ((500, 400) if real_500 else (real_status, real_status))
    assert _schema(mock) == _schema(real)
    if real_status != 200:
        assert mock["msg"] == real["msg"]
        assert mock["exception_type"] == real["exception_type"]
    elif name.startswith("save"):
        assert mock == real
    elif name.startswith("export"):
        assert {k: v for k, v in mock.items() if k != "job"} == {k: v for k, v in real.items() if k != "job"}
        assert both[1][name + "_job"] == both[0][name + "_job"]
    else:
        assert [m["model_id"]["name"] for m in mock["models"]] == [m["model_id"]["name"] for m in real["models"]]


@pytest.mark.live
def test_an_exported_frame_is_the_real_file(both: tuple[dict[str, Any], ...]) -> None:
    assert both[1]["exported"] == both[0]["exported"]
