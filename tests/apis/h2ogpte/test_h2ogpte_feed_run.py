"""In an all-operations run on the mock, an id-taking operation's valid requests reach its success answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# a memory block's: before the feed filled path ids; an extractor's: before the feed made one
OPERATIONS = ["GET /api/v1/memory_blocks/{memory_block_id}", "GET /api/v1/extractors/{extractor_id}"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_thing_read_by_its_path_id_answers_200_in_a_sweep(tmp_path: Path, operation: str) -> None:
    # without a real id every valid request named a drawn one and got only the documented 404
    node = f"contracts/h2ogpte/test_h2ogpte_contract.py::test_h2ogpte_contract[{operation}]"
    options = ["--harness-target", "mock", "--harness-all-operations", "--harness-max-examples", "3"]
    command = [sys.executable, "-m", "pytest", node, *options, "--harness-report-dir", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flags = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q"]
    done = subprocess.run([*command, *flags], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    lines = (tmp_path / "progress.jsonl").read_text().splitlines()
    records = [json.loads(line)["record"] for line in lines if "record" in json.loads(line)]
    answers = {op: codes for record in records for op, codes in record.get("answers", {}).items()}
    assert "200" in answers[operation], answers
