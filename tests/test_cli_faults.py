"""The fault options of the CLI: ``serve --faults``, and bad plans or misuse refused in one line (exit 3)."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from h2oharness.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _first_line(proc: subprocess.Popen[str], seconds: float) -> str:
    """The first line the process prints, or '' when it prints none within ``seconds``."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            return ""
    return proc.stdout.readline()


def test_serve_injects_the_plan_it_is_given(tmp_path: Path) -> None:
    plan = tmp_path / "faults.json"
    plan.write_text('{"rules": [{"path": "/3/About", "fault": "status=418"}]}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    command = [sys.executable, "-m", "h2oharness.cli", "serve", "--api", "h2o3", "--faults", str(plan)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        try:
            line = _first_line(proc, 30.0)
            assert "mock listening on http://127.0.0.1:" in line, line
            url = line.rsplit(" ", 1)[1].strip()
            assert httpx.get(url + "/3/About", timeout=10).status_code == 418
            assert httpx.get(url + "/3/Cloud", timeout=10).status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=15)  # a guard: SIGTERM ends serve


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--api", "h2o3", "--faults", "{plan}"], "unknown fault 'explode'"),
        (["load", "h2o3.mixed", "--target", "live", "--mock-faults", "{plan}"], "--mock-faults is for --target mock"),
        (["run", "--api", "h2o3", "--mock-faults", "{plan}"], "unknown fault 'explode'"),
        (["run", "--api", "h2o3", "--target", "local", "--mock-faults", "{plan}"], "a local target injects no"),
        (["run", "--api", "h2o3", "--test-deadline", "0"], "--test-deadline must be a positive number"),
        (["serve", "--api", "h2o3", "--faults", "{binary}"], "is not YAML or JSON (not UTF-8 text)"),
        (["run", "--api", "h2o3", "--mock-faults", "{binary}"], "is not YAML or JSON (not UTF-8 text)"),
        # a rule on an operation the mock does not route never fired: the run went on without the faults it was for
        (["serve", "--api", "h2o3", "--faults", "{typo}"], "rule 1: operation 'GET /3/Job/{job_id}' is not one"),
        (["run", "--api", "h2o3,workflows", "--mock-faults", "{typo}"], "of the h2o3 or workflows mock; did you"),
        (["load", "h2o3.polling", "-t", "1s", "--mock-faults", "{typo}"], "did you mean 'GET /3/Jobs/{job_id}'"),
        (["run", "--api", "coreplexml", "--mock-faults", "{h2o3}"], "'GET /3/Jobs/{job_id}' is not one of the"),
        # before: only the closest of CorePlexML's routes, nothing that said the plan was written for another API
        (["serve", "--api", "coreplexml", "--faults", "{h2o3}"], "; its rules are those of the h2o3 mock"),
        (["serve", "--api", "h2o3", "--faults", "{gpte}"], "; its rules are those of the h2ogpte mock"),
        # before: taken, and the "fault" answered success
        (["run", "--api", "h2o3", "--mock-faults", "{ok}"], "ok.yaml: rule 1: fault 'status=200': a status fault"),
    ],
)
def test_bad_fault_options_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    plan = tmp_path / "faults.yaml"
    plan.write_text("rules: [{fault: explode}]\n")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\xf0\x28\x8c\xbc")  # a binary given by mistake
    typo = tmp_path / "typo.yaml"
    typo.write_text("rules: [{operation: 'GET /3/Job/{job_id}', fault: status=503}]\n")
    h2o3 = tmp_path / "h2o3.yaml"
    h2o3.write_text("rules: [{operation: 'get /3/Jobs/{job_id}', fault: status=503}]\n")
    gpte = tmp_path / "gpte.yaml"
    gpte.write_text("rules: [{path: /api/v1/collections/*, fault: status=503}]\n")
    ok = tmp_path / "ok.yaml"
    ok.write_text("rules: [{path: /3/About, fault: status=200}]\n")
    files = {"{ok}": ok, "{plan}": plan, "{binary}": binary, "{typo}": typo, "{h2o3}": h2o3, "{gpte}": gpte}
    code = main([str(files.get(arg, arg)) for arg in argv])
    err = capsys.readouterr().err
    assert code == 3
    assert expected in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_failure_the_plan_caused_is_reproduced_by_starting_the_mock_with_the_plan(tmp_path: Path) -> None:
    # the page said to start the same mock without the plan: the curl after it got a 200, not the failure
    plan = tmp_path / "faults.yaml"
    plan.write_text('rules: [{path: /3/About, fault: "status=500"}]\n')
    spec = tmp_path / "about.json"
    about = {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}}}
    spec.write_text(
        json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/3/About": about}})
    )
    out = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    command = [sys.executable, "-m", "h2oharness.cli", "run", "--api", "h2o3", "--workers", "0", "--max-examples", "1"]
    command += ["--spec", f"h2o3={spec}", "--mock-faults", str(plan), "--report-dir", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT, check=False)
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    (api,) = json.loads((out / "conformance.json").read_text())["apis"]
    assert api["mock_faults"] == str(plan.resolve())
    port = api["target_url"].rsplit(":", 1)[1]
    page = (out / "conformance.html").read_text()
    assert f"h2oharness serve --api h2o3 --port {port} --faults {plan.resolve()}" in page
