"""The report folder's claim: one run of a kind writes a folder at a time; the second is refused in one line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from h2oharness.cli import main
from h2oharness.errors import ConfigError
from h2oharness.folders import claim, release, write_output, write_outputs

ROOT = Path(__file__).resolve().parent.parent
HOLD = """
import sys
from pathlib import Path
from h2oharness.folders import claim
claim(Path(sys.argv[1]), sys.argv[2], "--report-dir", "h2oharness " + sys.argv[2])
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def held_elsewhere(folder: Path, kind: str) -> Iterator[int]:
    """Another process holds ``folder``'s claim for ``kind`` within the block; its pid."""
    folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.communicate(timeout=30)


def left_as_it_was(folder: Path) -> Path:
    """A progress.jsonl of an earlier run in ``folder``, which a second run must not truncate."""
    progress = folder / "progress.jsonl"
    progress.write_text('{"record": {"nodeid": "earlier"}}\n')
    return progress


def test_a_second_run_into_a_folder_in_use_is_one_line_and_exit_3_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # two runs into one folder overwrote each other's report and progress, and each could print the other's report
    monkeypatch.chdir(ROOT)
    out = tmp_path / "reports"
    with held_elsewhere(out, "run") as pid:
        progress = left_as_it_was(out)
        assert main(["run", "--api", "workflows", "--workers", "0", "--report-dir", str(out)]) == 3
        err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"h2oharness: error: --report-dir {out} is in use by another run (h2oharness run, pid {pid}, since "
        + err[0].split("since ")[1]
    ]
    assert err[0].endswith(": wait for it to end, or give this run a folder of its own")
    assert progress.read_text() == '{"record": {"nodeid": "earlier"}}\n'
    assert sorted(p.name for p in out.iterdir()) == [".h2oharness-run.lock", "progress.jsonl"]


@pytest.mark.parametrize("options", [["-t", "2s"], ["--find-capacity", "--max-time", "10s"]], ids=["run", "capacity"])
def test_a_second_load_run_into_a_folder_in_use_is_refused(
    options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "reports"
    with held_elsewhere(out, "load") as pid:
        assert main(["load", "workflows.polling", *options, "--report-dir", str(out)]) == 3
    assert f"is in use by another load run (h2oharness load, pid {pid}, since" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".h2oharness-load.lock"]  # the holder's


def test_pytest_into_a_folder_in_use_is_a_usage_error_and_touches_nothing(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    out = tmp_path / "reports"
    with held_elsewhere(out, "run") as pid:
        progress = left_as_it_was(out)
        result = pytester.runpytest_subprocess("--harness-report-dir", str(out), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --harness-report-dir {out} is in use by another run (h2oharness run, pid {pid}*"]
    )
    assert progress.read_text() == '{"record": {"nodeid": "earlier"}}\n'


def test_a_run_and_a_load_run_may_share_a_folder(tmp_path: Path) -> None:
    # they write different files: a load.json next to a conformance report is how report diff finds both
    with held_elsewhere(tmp_path, "load"):
        claim(tmp_path, "run", "--report-dir", "h2oharness run")
        release(tmp_path, "run")


def test_a_claim_released_may_be_taken_again_and_one_held_is_not_refused_to_its_holder(tmp_path: Path) -> None:
    claim(tmp_path, "run", "--report-dir", "pytest")
    claim(tmp_path, "run", "--report-dir", "pytest")  # this process's own: a second session of it, say
    release(tmp_path, "run")
    with held_elsewhere(tmp_path, "run"), pytest.raises(ConfigError, match="is in use by another run"):
        claim(tmp_path, "run", "--report-dir", "pytest")
    claim(tmp_path, "run", "--report-dir", "pytest")  # the holder has ended: its claim went with it
    release(tmp_path, "run")


def test_sessions_one_after_another_in_one_process_each_claim_the_folder(pytester: pytest.Pytester) -> None:
    # the claim is given up when the session ends: pytester's in-process sessions, or a resumed run in one process
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    out = pytester.path / "reports"
    for _ in range(2):
        result = pytester.runpytest_inprocess("--harness-report-dir", str(out), "-p", "no:cacheprovider")
        assert result.ret == pytest.ExitCode.OK
    with held_elsewhere(out, "run"):
        pass  # another process may take it now


def test_a_write_that_fails_midway_leaves_the_file_that_was_there_and_nothing_beside_it(tmp_path: Path) -> None:
    # before: the file was truncated first, so a failed or interrupted write left an empty or half contract
    out = tmp_path / "openapi.yaml"
    out.write_text("openapi: 3.0.3\n")
    with pytest.raises(UnicodeEncodeError):
        write_output(out, "openapi: 3.1.0\n" + "\udc80", "--out")  # a lone surrogate: UTF-8 cannot write it
    assert out.read_text() == "openapi: 3.0.3\n"
    assert [p.name for p in tmp_path.iterdir()] == ["openapi.yaml"]


def test_files_written_together_are_written_all_or_none(tmp_path: Path) -> None:
    # spec --out A --snapshot B: B failing after A was written left A written
    (tmp_path / "snap").mkdir()
    out, snap = tmp_path / "openapi.yaml", tmp_path / "snap" / "endpoints.json.gz"
    with pytest.raises(UnicodeEncodeError):
        write_outputs([(out, "openapi: 3.0.3\n", "--out"), (snap, b"\x1f\x8b", "--snapshot"), (out, "\udc80", "--x")])
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["snap"]
    write_outputs([(out, "openapi: 3.0.3\n", "--out"), (snap, b"\x1f\x8b", "--snapshot")])
    assert (out.read_text(), snap.read_bytes()) == ("openapi: 3.0.3\n", b"\x1f\x8b")
