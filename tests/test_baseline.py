"""Known-findings files: read once per version of the file, malformed ones refused with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from h2oharness.baseline import load_baseline
from h2oharness.errors import SpecError

ENTRY = "- check: {check}\n  operations: ['GET /x']\n  reason: {reason}\n"


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "known_findings.yaml"
    path.write_text(ENTRY.format(check="not_a_server_error", reason="first"))
    first = load_baseline(path)
    assert first.reason("GET /x", "not_a_server_error") == "first"
    assert load_baseline(path) is first  # every contract test asks: one read per version
    path.write_text(ENTRY.format(check="not_a_server_error", reason="second one"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_baseline(path).reason("GET /x", "not_a_server_error") == "second one"


def test_absent_and_malformed_files(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "none.yaml").entries == ()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- check: x\n")
    with pytest.raises(SpecError, match="entry 0 needs a 'check' code and a 'reason'"):
        load_baseline(bad)


def test_a_binary_file_is_a_spec_error_not_a_decode_error(tmp_path: Path) -> None:
    """``baseline --merge --out`` pointed at a binary by mistake: one line, the file left as it was."""
    binary = tmp_path / "known_findings.yaml"
    binary.write_bytes(b"\x7fELF\x02\x01\xf0\x28\x8c\xbc")
    with pytest.raises(SpecError, match="not valid YAML \\(not UTF-8 text\\)"):
        load_baseline(binary)
