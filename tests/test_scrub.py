"""What children write, redacted: files after they end (JSON stays JSON) and their output as it streams through."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from h2oharness.http.redact import MASK
from h2oharness.scrub import redact_json, run_redacted, scrub_file, scrub_folder

SECRET = "planted-s3cret-value"


def test_text_xml_and_csv_files_are_scrubbed_in_place(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(f'<testcase><failure message="echo {SECRET}">body {SECRET}</failure></testcase>')
    csv = tmp_path / "locust_failures.csv"
    csv.write_text(f'Method,Name,Error,Occurrences\nGET,/x,"HTTP 500: {SECRET}",3\n')
    assert scrub_folder(tmp_path, [SECRET]) == [junit, csv]
    assert junit.read_text() == f'<testcase><failure message="echo {MASK}">body {MASK}</failure></testcase>'
    assert SECRET not in csv.read_text()


def test_json_and_jsonl_stay_valid(tmp_path: Path) -> None:
    doc = tmp_path / "locust.json"
    doc.write_text(json.dumps([{"name": f"x {SECRET}", SECRET: 1, "token": "abc", "n": 2}], indent=2))
    progress = tmp_path / "progress.jsonl"
    progress.write_text(json.dumps({"record": {"message": SECRET}}) + "\n" + json.dumps({"drift": {}}) + "\n")
    scrub_folder(tmp_path, [SECRET])
    assert json.loads(doc.read_text()) == [{"name": f"x {MASK}", MASK: 1, "token": MASK, "n": 2}]
    lines = [json.loads(line) for line in progress.read_text().splitlines()]
    assert lines == [{"record": {"message": MASK}}, {"drift": {}}]


def test_a_clean_file_and_a_binary_one_are_left_as_they_are(tmp_path: Path) -> None:
    clean = tmp_path / "load.json"
    clean.write_text('{"a":   1}')  # not reformatted when there is nothing to hide
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe" + SECRET.encode())
    assert not scrub_file(clean, [SECRET])
    assert not scrub_file(binary, [SECRET])
    assert clean.read_text() == '{"a":   1}'


def test_redact_json_masks_values_of_credential_fields() -> None:
    assert redact_json({"client_secret": "x", "items": [{"password": "y", "max_tokens": "512"}]}, ()) == {
        "client_secret": MASK,
        "items": [{"password": MASK, "max_tokens": "512"}],
    }


def test_a_childs_output_is_redacted_line_by_line(capfd: pytest.CaptureFixture[str]) -> None:
    script = f"import sys\nprint('out {SECRET}', flush=True)\nprint('err {SECRET}', file=sys.stderr)\nsys.exit(4)"
    assert run_redacted([sys.executable, "-c", script], [SECRET]) == 4
    out, err = capfd.readouterr()
    assert out == f"out {MASK}\n"
    assert err == f"err {MASK}\n"


def test_hidden_caches_are_left_alone(tmp_path: Path) -> None:
    cache = tmp_path / ".hypothesis" / "unicode_data"
    cache.mkdir(parents=True)
    (cache / "table.txt").write_text(SECRET)
    assert scrub_folder(tmp_path, [SECRET]) == []
    assert (cache / "table.txt").read_text() == SECRET


def test_a_word_password_is_masked_in_its_fields_not_inside_the_messages(tmp_path: Path) -> None:
    # before: every "administrator" in the report read "[REDACTED]istrator"
    doc = tmp_path / "conformance.json"
    doc.write_text(json.dumps({"error": "Unknown administrator: admin", "user": "admin", "password": "admin"}))
    assert scrub_file(doc, ["admin"])
    assert json.loads(doc.read_text()) == {"error": f"Unknown administrator: {MASK}", "user": MASK, "password": MASK}
