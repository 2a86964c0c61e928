"""The crash path end to end: a real local H2O-3 killed by a request the sweep sends, recorded, restarted, continued.

An inner pytest session runs the real H2O-3 contract module over a two-operation document
(``POST /3/Shutdown`` first, explicitly included, then ``GET /3/Cloud``) against the ``local`` target;
at its end the crash is replayed on a fresh node, confirmed and reduced.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from h2oharness.apis.h2o3.local import find_jar, find_java
from h2oharness.errors import TargetUnavailable

ROOT = Path(__file__).resolve().parents[1]


def _two_operations(document: Path) -> None:
    doc = yaml.safe_load((ROOT / "contracts" / "h2o3" / "openapi.yaml").read_text())
    cloud = dict(doc["paths"]["/3/Cloud"])
    cloud["get"] = {k: v for k, v in cloud["get"].items() if k != "parameters"}
    doc["paths"] = {"/3/Shutdown": doc["paths"]["/3/Shutdown"], "/3/Cloud": {"get": cloud["get"]}}
    document.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.mark.slow
def test_a_request_that_kills_local_h2o3_is_a_finding_and_the_sweep_goes_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        find_java()
        find_jar()
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    contracts = pytester.mkdir("contracts")
    inner = contracts / "h2o3"
    inner.mkdir()
    for name in ("test_h2o3_contract.py", "schemathesis.toml", "known_findings.yaml", "destructive.yaml"):
        shutil.copy(ROOT / "contracts" / "h2o3" / name, inner / name)
    document = pytester.path / "two.yaml"
    _two_operations(document)
    monkeypatch.setenv("HARNESS_H2O3_SPEC", str(document))
    for name in (
        "HARNESS_ALL_OPERATIONS",
        "HARNESS_INCLUDE_DESTRUCTIVE",
        "HARNESS_REAL_KEYS",
        "HARNESS_H2O3_URL",
        "HARNESS_H2O3_KIND",
    ):
        monkeypatch.delenv(name, raising=False)
    report = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "contracts/h2o3/test_h2o3_contract.py::test_h2o3_contract",
        "--harness-target", "local", "--harness-all-operations", "--harness-include-destructive",
        "--harness-max-examples", "3", "--harness-report-dir", str(report),
        "-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "-v",
        timeout=300,
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    # the Shutdown item fails with the crash (seen by its next request, or after it by the fixture, as the node
    # dies about 2 s after answering); the Cloud item runs against the restarted server and is not skipped
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == 1, result.stdout.str()[-3000:]
    # ServerCrash when its next request met the death, ServerCrashAfterTest when the fixture did (ab23358)
    result.stdout.fnmatch_lines(["*ServerCrash*: server crash on POST /3/Shutdown*restarted*"])
    assert "skipped" not in outcomes, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(
        ["*replaying 1 crash on fresh local servers*", "*crash POST /3/Shutdown: confirmed on a fresh server 3.*"]
    )
    api = json.loads((report / "conformance.json").read_text())["apis"][0]
    first = api["defects"][0]
    assert first["kind"] == "server_crash"
    assert first["operations"] == ["POST /3/Shutdown"]
    assert first["curl"].startswith("curl -X POST")
    assert "/3/Shutdown" in first["curl"]
    assert first["security_relevant"] is True  # local H2O-3 needs no credentials: anyone can send it
    assert "INFO" in first["response"]  # the dead server's own log lines
    # replayed on a fresh node: confirmed, and reduced to the bare request (Shutdown needs no parameter)
    assert first["reproduced"].startswith("confirmed on a fresh server 3."), first["reproduced"]
    assert first["curl"].split("/3/Shutdown")[1] in ("'", ""), first["curl"]
    assert "as first sent:" in first["response"]
    assert [d["kind"] for d in api["defects"]].count("server_crash") == 1
    ops = {(op["method"], op["path"]): op for op in api["operations"]}
    assert ops[("POST", "/3/Shutdown")]["outcome"] == "failed"
    # the next operation was answered by the fresh server: no crash, no connection error among its failures
    cloud = ops[("GET", "/3/Cloud")]
    assert cloud["outcome"] in ("passed", "failed")
    assert all(not f["check"].startswith(("server_crash", "ConnectionError")) for f in cloud["failures"])
    html = (report / "conformance.html").read_text()
    assert html.index("Requests that killed the server") < html.index("distinct defects behind these failures")
