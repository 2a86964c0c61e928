"""Dispatch delay of an open-model load generator whose users each pace their own share of the rate, beside one whose
users share the process's arrivals (``h2oharness.arrivals.ArrivalPool``, what the profiles' ``Pacer`` does now).

Run: ``python benchmarks/arrival_pool.py [--seconds 600] [--seed 1]``.

A simulation on its own clock, not a Locust run: ``--users`` users, arrivals due at ``rate`` per second in all (each
user's share every ``users / rate`` seconds, its first at its golden-ratio phase, as ``Pacer`` spaces them), and
each arrival keeping the user that sends it busy for a drawn service time. **Own share**: a user sends the
arrivals of its own share only, each when it is due or, if still busy, as soon as it is free (as before).
**Shared**: every arrival goes to the first user free (as now). Dispatch delay = sent - due. Three shapes: streams
of a fixed 0.33 s (h2ogpte.streaming against its mock, in theory), streams spread as a run against the mock measured
them (300-520 ms), and jobs whose time is log-normal around 1 s (an H2O-3 parse and GBM); for each, the highest
rate at which the load run would keep its figures (p99 delay <= 50 ms) either way. Only the variation of the
service time makes the two differ: a user whose every arrival ends before its next is due is never late.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
from collections.abc import Callable

from _table import machine, table

from h2oharness.arrivals import ArrivalPool, Schedule, percentile, user_phase

LIMIT_MS = 50.0


def _dues(users: int, rate: float, seconds: float) -> list[tuple[float, int]]:
    """Every arrival due within ``seconds``: (due moment, the user whose share it is), in order."""
    interval = users / rate
    pool = ArrivalPool()
    for user in range(users):
        pool.join(user_phase(user) * interval, Schedule(interval))
    out = []
    while True:
        due, stream, _ = pool.claim()
        if due >= seconds:
            return out
        out.append((due, stream))


def own_share(dues: list[tuple[float, int]], users: int, service: Callable[[], float]) -> list[float]:
    """Dispatch delays (ms) when each user sends only its own share."""
    free = [0.0] * users
    delays = []
    for due, user in dues:
        sent = max(due, free[user])
        free[user] = sent + service()
        delays.append((sent - due) * 1000)
    return delays


def shared(dues: list[tuple[float, int]], users: int, service: Callable[[], float]) -> list[float]:
    """Dispatch delays (ms) when each arrival goes to the first user free."""
    free = [0.0] * users  # a heap of the moments the users are free again
    delays = []
    for due, _ in dues:
        sent = max(due, heapq.heappop(free))
        heapq.heappush(free, sent + service())
        delays.append((sent - due) * 1000)
    return delays


def _fixed(seconds: float) -> Callable[[random.Random], Callable[[], float]]:
    return lambda rng: lambda: seconds


def _lognormal(mean: float, sigma: float) -> Callable[[random.Random], Callable[[], float]]:
    mu = math.log(mean) - sigma**2 / 2
    return lambda rng: lambda: rng.lognormvariate(mu, sigma)


SHAPES = {
    "streams of a fixed 0.33 s, 4 users": (4, 0.33, _fixed(0.33), [4, 8, 11, 12]),
    "streams log-normal, mean 0.35 s (sigma 0.15), 4 users": (4, 0.35, _lognormal(0.35, 0.15), [4, 6, 8, 9, 10, 11]),
    "jobs log-normal, mean 1 s (sigma 0.6), 10 users": (10, 1.0, _lognormal(1.0, 0.6), [2, 3, 4, 5, 6, 7, 8, 9]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="simulated seconds per rate (600)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("arrival pool: dispatch delay, each user its own share vs the process's users sharing the arrivals")
    print(machine())
    print(f"{args.seconds:g} simulated s per rate; seed {args.seed}; late: sent over {LIMIT_MS:g} ms after due")
    for name, (users, mean, draw, rates) in SHAPES.items():
        rows: list[list[object]] = []
        kept = {"own": 0.0, "shared": 0.0}
        for rate in rates:
            dues = _dues(users, rate, args.seconds)
            row: list[object] = [rate, f"{rate * mean / users:.0%}"]
            for label, way in (("own", own_share), ("shared", shared)):
                delays = way(dues, users, draw(random.Random(args.seed)))
                p99 = percentile(delays, 99) or 0.0
                late = sum(d > LIMIT_MS for d in delays) / len(delays)
                row += [f"{percentile(delays, 50) or 0.0:.0f}", f"{p99:.0f}", f"{late:.1%}"]
                if p99 <= LIMIT_MS:
                    kept[label] = max(kept[label], rate)
            rows.append(row)
        print(f"\n[{name}] (Little's law: at most {users / mean:.3g} arrivals/s)")
        headers = ["rate /s", "busy", "own p50 ms", "own p99 ms", "own late", "shared p50", "shared p99", "shared late"]
        print(table(headers, rows))
        print(
            f"highest rate tried with p99 <= {LIMIT_MS:g} ms: own share {kept['own']:g}/s, shared {kept['shared']:g}/s"
        )


if __name__ == "__main__":
    main()
