"""Child process groups: a signal to the harness is forwarded, a grace is bounded, nothing is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from h2oharness import children
from h2oharness.children import ProcessGroup, Stopped, arm_hard_stop

ROOT = Path(__file__).resolve().parent.parent
#: polls of 0.1 s while waiting for a process to go
POLLS = 300


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (/proc: psutil may not be installed)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended, polled a bounded number of times."""
    for _ in range(POLLS):
        if not running(pid):
            return True
        time.sleep(0.1)
    return False


def read_pid(path: Path) -> int:
    for _ in range(POLLS):
        if path.is_file() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"{path} was never written")


def spawner(pid_file: Path, ignore_term: bool = False) -> list[str]:
    """A child that starts a sleeping grandchild (its pid into ``pid_file``), then sleeps itself."""
    script = "import signal, subprocess, sys, time\n"
    if ignore_term:
        script += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    script += "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    script += f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
    script += "time.sleep(120)\n"
    return [sys.executable, "-c", script]


def signal_self_once(pid_file: Path, *signums: int) -> Callable[[float], None]:
    """A tick that signals this process (as a user would the harness) once the grandchild is there."""
    sent: list[int] = []

    def tick(elapsed: float) -> None:
        if not sent and pid_file.is_file() and pid_file.read_text().strip():
            for signum in signums:
                sent.append(signum)
                os.kill(os.getpid(), signum)

    return tick


def test_a_sigterm_to_the_harness_ends_the_child_and_the_child_of_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    before = signal.getsignal(signal.SIGTERM)
    with ProcessGroup() as group:
        child = group.start(spawner(pid_file))
        outcome = group.supervise(60, 30, tick=signal_self_once(pid_file, signal.SIGTERM), every=0.05)
    assert outcome.signal == signal.SIGTERM
    assert outcome.codes == [-signal.SIGTERM]
    assert gone(read_pid(pid_file))
    assert not running(child.pid)
    assert signal.getsignal(signal.SIGTERM) is before  # the harness's own handling is back


def test_a_child_that_ignores_the_signal_is_killed_after_the_grace(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    with ProcessGroup() as group:
        group.start(spawner(pid_file, ignore_term=True))
        outcome = group.supervise(60, 0.5, tick=signal_self_once(pid_file, signal.SIGINT), every=0.05)
    assert outcome.signal == signal.SIGINT
    assert outcome.codes == [-signal.SIGKILL]
    assert gone(read_pid(pid_file))


def test_a_ctrl_c_reaches_the_children_as_the_signal_they_are_to_get(tmp_path: Path) -> None:
    # pytest's start (its plugins' imports) has none of our handlers yet: a SIGINT there printed a KeyboardInterrupt
    # traceback through the run's output, or was lost in a garbage collection's callback and the run went on
    pid_file = tmp_path / "grandchild"
    with ProcessGroup() as group:
        group.start(spawner(pid_file))
        tick = signal_self_once(pid_file, signal.SIGINT)
        outcome = group.supervise(60, 30, forward=signal.SIGTERM, tick=tick, every=0.05)
    assert outcome.signal == signal.SIGINT  # what the harness says and exits with
    assert outcome.codes == [-signal.SIGTERM]
    assert gone(read_pid(pid_file))


def test_the_leader_is_signalled_first_and_what_it_leaves_behind_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(children, "LEFT_BEHIND", 0.2)
    pid_file = tmp_path / "grandchild"
    with ProcessGroup() as group:
        group.start(spawner(pid_file))
        follower = group.start([sys.executable, "-c", "import time; time.sleep(120)"])
        outcome = group.supervise(
            60,
            30,
            leader_only=True,
            tick=signal_self_once(pid_file, signal.SIGTERM),
            every=0.05,
        )
    # the follower ended by the signal sent once the leader was gone, not by the kill at the grace's end
    assert outcome.codes == [-signal.SIGTERM, -signal.SIGTERM]
    assert not running(follower.pid)
    assert gone(read_pid(pid_file))


def test_the_time_limit_stops_the_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    with ProcessGroup() as group:
        group.start(spawner(pid_file))
        outcome = group.supervise(0.5, 30)
    assert outcome.timed_out
    assert outcome.signal is None
    assert outcome.codes == [-signal.SIGTERM]


def test_the_shells_exit_codes() -> None:
    assert Stopped(signal.SIGINT).exit_code == 130
    assert Stopped(signal.SIGTERM, "the report is in r/").exit_code == 143
    assert str(Stopped(signal.SIGTERM, "the report is in r/")) == "stopped by SIGTERM; the report is in r/"


def test_the_hard_stop_ends_a_process_that_ignores_sigterm() -> None:
    script = "import signal, time\nfrom h2oharness.children import arm_hard_stop\n"
    script += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    script += "assert arm_hard_stop(int(time.time()) + 1)\ntime.sleep(120)\n"
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, check=False, env=_env())
    assert proc.returncode == -signal.SIGALRM
    assert not arm_hard_stop(None)


def test_a_server_started_to_die_with_its_parent_does(tmp_path: Path) -> None:
    pid_file = tmp_path / "server"
    script = "import subprocess, sys, time\nfrom h2oharness.children import die_with_parent\n"
    script += "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
    script += " start_new_session=True, preexec_fn=die_with_parent)\n"
    script += f"open({str(pid_file)!r}, 'w').write(str(p.pid))\ntime.sleep(120)\n"
    parent = subprocess.Popen([sys.executable, "-c", script], env=_env())
    try:
        server = read_pid(pid_file)
        assert running(server)
    finally:
        parent.kill()
        parent.wait(timeout=30)
    assert gone(server)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
