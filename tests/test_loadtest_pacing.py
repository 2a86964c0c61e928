"""Open-model pacing (h2oharness/loadtest.py's Pacer): the users of a process share its arrivals.

Run in a subprocess (Locust patches the process with gevent, so it is never imported by pytest): the script plays
each case on a clock it moves and prints what the users sent as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, os, time

import gevent
import gevent.event
import locust  # noqa: F401 - its gevent patching first, as in a Locust process
from locust.exception import StopUser

import h2oharness.loadtest as loadtest
from h2oharness.arrivals import ArrivalPool, Recorder
from h2oharness.loadtest import Pacer

ANCHOR = loadtest._ANCHOR
# the wall clock stands still as the test's clock does: a Pacer turns its moments into epoch ones with
# time.time() - clock(), which a real wall clock moved between a pacer's start and its first wait on a busy machine
time.time = lambda: 1.0e9


class Clock:
    # every wait comes when its arrival is due or later, so a Pacer's sleep never runs
    def __init__(self):
        self.now = ANCHOR

    def __call__(self):
        return self.now


def pacers(clock, pool, recorder=None):
    # two users sharing 2 arrivals/s: each one's share is due every second, the second's half a second later
    return (Pacer(2, 2.0, clock=clock, phase=0.0, pool=pool, recorder=recorder),
            Pacer(2, 2.0, clock=clock, phase=0.5, pool=pool, recorder=recorder))


def free(clock, pacer, times):
    # the user is free each time its next arrival is due: the due moments it sent, from the anchor
    sent = []
    for _ in range(times):
        clock.now = max(clock.now, min(pacer.pool._due)[0] if pacer.pool is not None else pacer.next_at)
        sent.append(round(pacer.wait() - ANCHOR, 6))
    return sent


out = {}
clock, recorder = Clock(), Recorder()
busy, idle = pacers(clock, ArrivalPool(), recorder)  # the first never comes back to wait: busy the whole time
out["pooled"] = free(clock, idle, 4)
out["pooled_delays"] = [a.delay_ms for a in recorder.arrivals]

clock = Clock()
out["alone"] = free(clock, pacers(clock, None)[1], 3)

clock, recorder = Clock(), Recorder()
first, second = pacers(clock, ArrivalPool(), recorder)
late = [first.wait() - ANCHOR]
clock.now = ANCHOR + 1.2  # both users were busy until 1.2 s
late += [second.wait() - ANCHOR, first.wait() - ANCHOR]
out["late"] = late
out["late_delays"] = [round(a.delay_ms) for a in recorder.arrivals]

clock, recorder = Clock(), Recorder()
first, _ = pacers(clock, ArrivalPool(), recorder)
first.wait()  # due at 0; then every user is busy until the run ends at 2.2 s
to_epoch = recorder.arrivals[0].scheduled - ANCHOR
out["unsent"] = [round(t - to_epoch - ANCHOR, 3) for t in recorder.due_unsent(ANCHOR + 2.2 + to_epoch)]

os.environ.pop("HARNESS_ARRIVAL_RATE", None)
before = len(loadtest.POOL)
out["closed_pool"] = Pacer.from_environment().pool is None and len(loadtest.POOL) == before
os.environ.update(HARNESS_ARRIVAL_RATE="4", HARNESS_LOAD_USERS="2")
running = gevent.event.Event()  # the users stay in the run (their greenlets alive) until it is set


def user(*setups):
    # a user's greenlet: its setup makes its pacer (again, when it failed after making one), then it runs on
    made = [Pacer.from_environment() for _ in setups]
    gevent.spawn(running.wait).join()  # stays until the run ends, as Locust's user greenlet does
    return made


def started(*setups):
    greenlet = gevent.spawn(user, *setups)
    gevent.sleep(0)  # the user ran its setup
    return greenlet


users = [started(1) for _ in range(2)]  # each user runs in its own greenlet
out["profile_pool"] = [len(loadtest.POOL) - before]

before = len(loadtest.POOL)
again = started(1, 2)  # a user's setup that failed after making its pacer makes another when it is tried again
out["setup_again"] = [len(loadtest.POOL) - before]

# a user that stops takes its share out of the pool, however it stops, and leaves nothing due unsent
gevent.sleep(0)
before, due = len(loadtest.POOL), len(loadtest.RECORDER._next)
stopped = started(1)
gevent.sleep(0)
in_pool = [len(loadtest.POOL) - before, len(loadtest.RECORDER._next) - due]
stopped.kill(block=True)  # Locust stops a user (a ramp-down, the run's end) by killing its greenlet
gevent.sleep(0)
in_pool += [len(loadtest.POOL) - before, len(loadtest.RECORDER._next) - due]


def failing():
    Pacer.from_environment()
    raise StopUser()  # a user that leaves because of an error


errored = gevent.spawn(failing)
errored.join()
gevent.sleep(0)
in_pool += [len(loadtest.POOL) - before, len(loadtest.RECORDER._next) - due]
out["stopped"] = in_pool
running.set()
gevent.joinall([*users, again], timeout=10)
gevent.sleep(0)
out["all_left"] = len(loadtest.POOL)
pacer = users[0].value[0]
out["profile_pool"] += [pacer.pool is loadtest.POOL, pacer.interval]  # each share: 4 arrivals/s over 2 users
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def played() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_free_user_sends_the_arrivals_a_busy_user_cannot(played: dict[str, Any]) -> None:
    # the first user is busy the whole time: the second sends every arrival, on time
    assert played["pooled"] == [0.0, 0.5, 1.0, 1.5]
    assert played["pooled_delays"] == [0.0, 0.0, 0.0, 0.0]


def test_without_a_pool_a_user_sends_only_its_own_share(played: dict[str, Any]) -> None:
    assert played["alone"] == [0.5, 1.5, 2.5]


def test_an_arrival_due_while_every_user_is_busy_goes_late_and_the_schedule_does_not_slip(
    played: dict[str, Any],
) -> None:
    # due at 0.5 s, sent at 1.2 s: 700 ms late; the next one, due at 1 s, is 200 ms late and not moved to now
    assert played["late"] == [0.0, 0.5, 1.0]
    assert played["late_delays"] == [0, 700, 200]


def test_arrivals_no_user_was_free_to_send_count_as_unsent_from_every_users_share(played: dict[str, Any]) -> None:
    # the second user never sent one: its share counts all the same
    assert played["unsent"] == [0.5, 1.0, 1.5, 2.0]


def test_every_user_of_a_profile_shares_the_process_pool(played: dict[str, Any]) -> None:
    assert played["closed_pool"] is True  # no arrival rate: the closed model, nothing to share
    assert played["profile_pool"] == [2, True, 0.5]  # one share per user, in the process's pool


def test_a_user_whose_setup_is_tried_again_keeps_its_one_share(played: dict[str, Any]) -> None:
    """Each setup tried again (a target refusing it) added another share: the process's rate grew with them."""
    assert played["setup_again"] == [1]


def test_a_user_that_stops_leaves_the_pool(played: dict[str, Any]) -> None:
    """A stopped user's share stayed in the pool: the users left sent its arrivals, or they counted as unsent."""
    # joined: a stream in the pool and its due moments in the recorder; killed (as Locust stops a user): both gone;
    # ended by an error (StopUser): gone too
    assert played["stopped"] == [1, 1, 0, 0, 0, 0]
    assert played["all_left"] == 0
