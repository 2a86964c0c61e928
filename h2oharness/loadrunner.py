"""``h2oharness load``: run a Locust profile headless in subprocesses, judge its SLOs, write the load report.

Locust never runs in this process (it patches everything with gevent): this
module starts the target (a mock on loopback, a local server, or checks a live
one), builds the Locust command lines (one process, or a master and N workers
on loopback), enforces a hard time limit, and turns Locust's JSON and CSV into
``load.json``, ``load.html`` and a section of ``conformance.html``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import math
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from h2oharness.allowlist import check_allowed
from h2oharness.apis import ApiInfo, get_api
from h2oharness.arrivals import (
    DEFAULT_MAX_DISPATCH_DELAY_MS,
    PROCESSES,
    RECORD_NAME,
    Arrival,
    Dispatch,
    dispatch_of,
    read_recordings,
    too_many_arrivals,
)
from h2oharness.children import Outcome, ProcessGroup, Stopped, deadline_after
from h2oharness.errors import EXIT_OK, EXIT_VIOLATION, ConfigError, HarnessError
from h2oharness.folders import claim
from h2oharness.http.redact import redact
from h2oharness.mocks.clock import check_speed
from h2oharness.report.loadsummary import (
    MEASUREMENTS,
    OUTCOMES_NAME,
    EntryStats,
    LoadSummary,
    Outcomes,
    Rule,
    Verdict,
    count_line,
    entries_from_locust,
    judge,
    load_slos,
    merge_rules,
    outcome_errors,
    read_history,
    stats_csv,
    totals_of,
    with_outcomes,
)
from h2oharness.scrub import scrub_folder
from h2oharness.settings import MAX_SECONDS, SECONDS_RULE, Settings, known_secrets, max_workers, seconds_ok
from h2oharness.targets import Target, open_target
from h2oharness.words import counted

if TYPE_CHECKING:
    from h2oharness.mocks.faults import FaultPlan

#: profile kind -> the Locust user class every ``loadtests/<api>.py`` names the same way
USER_CLASSES = {"polling": "PollingUser", "streaming": "StreamingUser", "mixed": "MixedUser"}
#: seconds between two live lines while Locust runs
LIVE_EVERY = 5.0
#: failure reasons load.json and load.html keep, the most frequent first
KEPT_REASONS = 50
#: seconds a stopped Locust gets beyond its --stop-timeout to collect its workers' figures and write them
FLUSH_GRACE = 20.0
#: seconds after the harness's own hard limit at which Locust processes end themselves (the harness is gone)
CHILD_MARGIN = 5.0


@dataclass(frozen=True)
class Profile:
    """A load profile: ``<api>.<kind>``, its Locust file, its user class and its SLO file."""

    api: ApiInfo
    kind: str
    file: Path
    user_class: str
    slo_file: Path
    #: the profiles the Locust file has (its user classes), the sections its SLO file may have (None: not checked)
    kinds: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """``<api>.<kind>``."""
        return f"{self.api.slug}.{self.kind}"


def find_profile(name: str, root: Path) -> Profile:
    """The profile ``name`` (e.g. ``h2o3.polling``) under ``root/loadtests``; ConfigError naming the known ones."""
    slug, dot, kind = name.partition(".")
    api = get_api(slug)
    file = root / "loadtests" / f"{slug}.py"
    if not file.is_file():
        raise ConfigError(f"no load profiles for {slug}: {file} does not exist")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not a Python source: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    known = [k for k, cls in USER_CLASSES.items() if re.search(rf"^class {cls}\b", text, re.MULTILINE)]
    if not dot or kind not in known:
        raise ConfigError(f"unknown profile {name!r}; {slug} has: {', '.join(f'{slug}.{k}' for k in known)}")
    return Profile(api, kind, file, USER_CLASSES[kind], root / "loadtests" / f"{slug}.slo.yaml", tuple(known))


#: the longest duration any option takes, in seconds
MAX_DURATION = 366 * 86400


def parse_duration(text: str) -> float:
    """Seconds from ``"90"``, ``"30s"``, ``"2m"``, ``"1h"`` or ``"1m30s"``, at most a (leap) year; a leading ``-``
    makes them negative, for the caller to refuse in its own words ("--max-time must be a positive duration")."""
    sign, digits = (-1.0, text.strip()[1:]) if text.strip().startswith("-") else (1.0, text.strip())
    if re.fullmatch(r"\d+(\.\d+)?", digits):
        seconds = float(digits)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", digits)
        if not parts or "".join(n + u for n, u in parts) != digits:
            raise ConfigError(f"cannot read the duration {text!r}: use e.g. 30s, 2m, 1m30s")
        seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)
    # alarm() and Locust's own --run-time take a C int: far past it they end in an OverflowError
    if seconds > MAX_DURATION:
        raise ConfigError(f"the duration {text!r} is longer than a year")
    return sign * seconds


#: the settings of a run that ``h2oharness load`` takes as options of the same name (``spawn_rate``: --spawn-rate)
SHAPE_OPTIONS = (
    "users", "spawn_rate", "workers", "arrival_rate", "max_dispatch_delay", "request_deadline", "stream_deadline",
    "stop_timeout", "mock_speed",
)  # fmt: skip


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_shape(settings: Mapping[str, object], label: Callable[[str], str] = str) -> None:
    """ConfigError for the first impossible one of ``settings`` (:class:`LoadRun`'s field names; those absent are
    not checked), named by ``label`` (the CLI's: its option). A rate of NaN passes a "<= 0" test, and Locust refuses
    it (and an infinite one) with a usage error of its own: each is said on its own, with what was given."""

    def given(name: str) -> bool:
        return name in settings and settings[name] is not None

    def value(name: str) -> float:
        raw = settings[name]
        if not _number(raw):
            raise ConfigError(f"{label(name)} must be a number, got {raw!r}")
        return float(raw)  # type: ignore[arg-type]

    def whole(name: str) -> int:
        raw = settings[name]
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ConfigError(f"{label(name)} must be a whole number, got {raw!r}")
        return raw

    if given("users") and (users := whole("users")) < 1:
        raise ConfigError(f"{label('users')} must be at least 1, got {users}")
    if given("spawn_rate") and not 0 < (rate := value("spawn_rate")) < math.inf:
        raise ConfigError(f"{label('spawn_rate')} must be above 0 users per second and finite, got {rate:g}")
    if given("workers"):
        workers = whole("workers")
        if workers < 0:
            raise ConfigError(
                f"{label('workers')} must be at least 0 (0: no workers, one Locust process), got {workers}"
            )
        if workers > max_workers():
            raise ConfigError(
                f"{label('workers')} takes at most {max_workers()} (twice the CPUs, at least 64), got {workers}"
            )
    if given("arrival_rate") and not 0 < (arrivals := value("arrival_rate")) < math.inf:
        # 0 read as "no rate" ran a closed model; a negative one ran with a schedule of its own
        raise ConfigError(f"{label('arrival_rate')} must be above 0 arrivals per second, got {arrivals:g}")
    if (
        given("arrival_rate")
        and given("run_time")
        and (why := too_many_arrivals(arrivals, value("run_time"), label("arrival_rate")))
    ):
        raise ConfigError(why)
    if given("max_dispatch_delay") and not (delay := value("max_dispatch_delay")) > 0:
        raise ConfigError(f"{label('max_dispatch_delay')} must be above 0 ms, got {delay:g}")
    for name in ("request_deadline", "stream_deadline"):
        if given(name) and not seconds_ok(value(name)):
            raise ConfigError(f"{label(name)} {SECONDS_RULE}")
    if given("stop_timeout") and not 0 <= (stop := value("stop_timeout")) <= MAX_SECONDS:
        raise ConfigError(f"{label('stop_timeout')} must be 0 or more seconds, at most a year, got {stop:g}")
    if given("mock_speed"):
        check_speed(value("mock_speed"), label("mock_speed"))
    for name in ("run_time", "max_time"):
        if given(name) and not 0 < (seconds := value(name)) <= MAX_DURATION:
            raise ConfigError(f"{label(name)} must be a positive duration of at most a year, got {seconds:g} s")
    if given("arrival_process") and settings["arrival_process"] not in PROCESSES:
        raise ConfigError(
            f"{label('arrival_process')} must be one of {', '.join(PROCESSES)}, got {settings['arrival_process']!r}"
        )


@dataclass
class LoadRun:
    """Everything a load run needs, from the command line."""

    profile: Profile
    target: str = "mock"
    users: int = 10
    spawn_rate: float = 10.0
    run_time: float = 30.0
    arrival_rate: float | None = None
    workers: int = 0
    report_dir: Path = Path("reports")
    slo_overrides: list[Rule] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    mock_speed: float = 1.0
    #: the faults the mock injects (only a mock target has any)
    mock_faults: FaultPlan | None = None
    #: seconds one request may take in all (the Locust processes read it from HARNESS_REQUEST_DEADLINE)
    request_deadline: float | None = None
    #: seconds a streamed answer may take in all (HARNESS_STREAM_DEADLINE; default: the request deadline, else 120)
    stream_deadline: float | None = None
    url: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None
    stop_timeout: float = 10.0
    max_time: float | None = None
    #: open model: "constant" or "poisson" gaps between arrivals, and the seed of their draws (None: unseeded)
    arrival_process: str = "constant"
    arrival_seed: int | None = None
    #: milliseconds of p99 dispatch delay past which the run's figures are not trustworthy (a failed check)
    max_dispatch_delay: float = DEFAULT_MAX_DISPATCH_DELAY_MS
    #: seconds per window and of warm-up when each Locust process counts its events per window (capacity search)
    window: float | None = None
    warmup: float = 0.0
    #: with a window: how many are judged; a local Locust process that is over-saturated in them ends early
    windows: int | None = None

    def __post_init__(self) -> None:
        # the CLI checked its options already, in their words: a run made in Python (users=0) is checked here
        check_shape({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    @property
    def hard_limit(self) -> float:
        """Seconds after which the whole run is killed, whatever Locust is doing."""
        return self.max_time or self.run_time + self.stop_timeout + 60.0


def _target(run: LoadRun) -> contextlib.AbstractContextManager[Target]:
    """The run's target; a live one only after its host passed the allowlist, before any request reaches it."""
    return open_target(
        run.profile.api,
        run.target,
        speed=run.mock_speed,
        faults=run.mock_faults,
        url=run.url,
        username=run.username,
        password=run.password,
        token=run.token,
        before_live=lambda url: check_allowed(url, run.allowed_hosts),
        url_option="--url",
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def locust_commands(run: LoadRun, url: str, out: Path) -> list[list[str]]:
    """The Locust command lines of a run: one headless process, or a master then its workers."""
    base = [sys.executable, "-m", "locust", "-f", str(run.profile.file)]
    headless = [
        "--headless",
        "-H", url,
        "-u", str(run.users),
        "-r", f"{run.spawn_rate:g}",
        "-t", f"{max(1, round(run.run_time))}s",
        "--stop-timeout", f"{run.stop_timeout:g}",
        "--csv", str(out / "locust"),
        "--csv-full-history",
        "--html", str(out / "locust.html"),
        "--json-file", str(out / "locust"),
        "--only-summary",
        "--exit-code-on-error", "0",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    if run.workers <= 0:
        return [[*base, *headless, run.profile.user_class]]
    port = _free_port()
    master = [
        *base,
        *headless,
        "--master",
        "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port),
        "--expect-workers", str(run.workers),
        "--expect-workers-max-wait", "60",
        run.profile.user_class,
    ]  # fmt: skip
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"]
    return [master] + [[*worker, run.profile.user_class] for _ in range(run.workers)]


def _environment(run: LoadRun, target: Target) -> dict[str, str]:
    """The Locust processes' environment: the target's credentials, the hosts it may reach beyond loopback and the
    run's shape as ``HARNESS_*`` settings."""
    settings = Settings.from_env().replace(
        handed={run.profile.api.env_prefix: target.handed()},
        allowed_hosts=",".join(run.allowed_hosts),
        load_users=run.users,
        load_worker_dir=str(run.report_dir.resolve()) if run.workers else None,
        arrival_rate=run.arrival_rate or None,
        arrival_process=run.arrival_process if run.arrival_rate else None,
        arrival_seed=run.arrival_seed if run.arrival_rate else None,
        load_record_dir=str(run.report_dir.resolve()) if run.arrival_rate else None,
        load_outcome_dir=str(run.report_dir.resolve()),
        load_window=run.window,
        load_warmup=run.warmup or None,
        load_windows=run.windows,
        max_dispatch_delay=run.max_dispatch_delay if run.window else None,
        request_deadline=run.request_deadline,
        stream_deadline=run.stream_deadline,
        # a harness killed outright cannot stop Locust: past this, Locust's processes end themselves
        deadline=deadline_after(run.hard_limit + run.stop_timeout + FLUSH_GRACE, CHILD_MARGIN),
    )
    env = settings.child_environment()
    root = str(run.profile.file.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def read_stats_csv(path: Path) -> list[EntryStats]:
    """The entries of Locust's ``*_stats.csv`` so far (not its Aggregated row); empty while missing or half written.

    Locust rewrites the file every second while it runs, and its last rewrite may miss the end of the run:
    good for live figures, never for the verdict (that comes from the final JSON).
    """
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []
    entries = []
    for row in rows:
        if not row.get("Type") and row.get("Name") == "Aggregated":
            continue
        try:
            entries.append(
                EntryStats(
                    type=str(row["Type"]),
                    name=str(row["Name"]),
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    p50=float(row["50%"]),
                    p90=float(row["90%"]),
                    p95=float(row["95%"]),
                    p99=float(row["99%"]),
                    max=float(row["Max Response Time"]),
                    mean=float(row["Average Response Time"]),
                    rps=float(row["Requests/s"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a row cut short by a rewrite, or "N/A" before the entry's first request
    return entries


def live_entries(csv_path: Path, folder: Path) -> list[EntryStats]:
    """The figures so far: Locust's CSV, with the latency of the successful requests from the snapshots the Locust
    processes write of their own record (as ``load.json`` counts it); Locust's own while a snapshot cannot be read."""
    entries = read_stats_csv(csv_path)
    try:
        outcomes = Outcomes.read(folder)
    except (OSError, ValueError, TypeError, AttributeError):
        return entries  # a process's record that is not JSON of the layout: the final read reports it
    return with_outcomes(entries, outcomes)


def live_line(
    entries: Sequence[EntryStats], rules: Sequence[Rule], elapsed: float, since: tuple[float, int] | None = None
) -> str:
    """One line of figures so far: requests, rate, failures, the slowest request's p95 and the SLOs so far.

    The rate is that of the requests since the previous line (``since``: its elapsed seconds and request count),
    else since the start. Locust's own (its CSV's) divides by the time to the last request: 12 requests sent in
    the first quarter second, then none while the users waited on their runs, read "48.7 req/s" at 5 s.
    """
    head = f"[load {elapsed:.0f} s]"
    requests = [e for e in entries if e.type not in MEASUREMENTS]
    if not entries:
        return f"{head} no figures from Locust yet"
    totals = totals_of(entries)  # counted as load.json's totals and its summary
    before, sent_before = since if since is not None and since[0] < elapsed else (0.0, 0)
    rps = max(totals.requests - sent_before, 0) / (elapsed - before) if elapsed > before else 0.0
    line = f"{head} {count_line(dataclasses.replace(totals, rps=rps), rate=True)}"
    if requests:
        slowest = max(requests, key=lambda e: e.p95)
        line += f", slowest p95 {slowest.p95:g} ms ({slowest.key})"
    if rules:
        try:
            verdicts = judge(rules, entries)
        except ConfigError:
            return line  # a malformed rule is reported once, at the end
        broken = [v for v in verdicts if not v.ok]
        line += f"; SLOs so far {len(verdicts) - len(broken)}/{len(verdicts)} met"
        if broken:
            first = broken[0]
            seen = "nothing yet" if first.observed is None else f"{first.observed:g}"
            line += f" (broken: {first.rule}, observed {seen}" + (
                f", and {len(broken) - 1} more)" if broken[1:] else ")"
            )
    return line


class _LiveLines:
    """The live line printed every few seconds, its rate since the previous one."""

    def __init__(self, csv_path: Path, folder: Path, rules: Sequence[Rule], secrets: Sequence[str]) -> None:
        self.csv_path, self.folder, self.rules, self.secrets = csv_path, folder, rules, secrets
        self.since: tuple[float, int] | None = None

    def __call__(self, elapsed: float) -> str:
        entries = live_entries(self.csv_path, self.folder)
        line = live_line(entries, self.rules, elapsed, self.since)
        if entries:
            self.since = (elapsed, totals_of(entries).requests)
        return redact(line, self.secrets)


def _run_processes(
    commands: list[list[str]],
    env: dict[str, str],
    log: Path,
    limit: float,
    live: Callable[[float], str] | None = None,
    every: float = LIVE_EVERY,
    grace: float = 10.0,
) -> Outcome:
    """Start every command in one process group, wait for all within ``limit`` seconds (then stop them, as a
    SIGTERM would: the outcome says it timed out).

    While they run, ``live(seconds so far)`` is printed to stderr every ``every`` seconds. A SIGTERM or SIGINT
    to this process goes to the first command (a Locust master stops its workers and collects their last
    figures), which gets ``grace`` seconds before the group is killed; the outcome says which signal it was.
    """
    with log.open("w") as sink, ProcessGroup() as group:
        sink.writelines(f"$ {shlex.join(c)}\n" for c in commands)  # how to run the same by hand, or on several hosts
        sink.flush()
        for index, command in enumerate(commands):
            # the leader (a Locust master) stops on SIGTERM and stops its workers, should this process be killed
            orphaned = signal.SIGTERM if index == 0 else None
            group.start(command, orphaned, env=env, stdout=sink, stderr=subprocess.STDOUT)
        tick = None if live is None else (lambda elapsed: print(live(elapsed), file=sys.stderr, flush=True))
        return group.supervise(limit, grace, leader_only=True, tick=tick, every=every)


def _length(run: LoadRun) -> str:
    """How long the run loads, as said in its first line: one rate of a capacity search ends after its windows."""
    if run.windows and run.window:
        warmup = f" after {run.warmup:g} s of warm-up" if run.warmup else ""
        return f"{counted(run.windows, 'window')} of {run.window:g} s{warmup}"
    return f"{run.run_time:g} s"


def start_line(run: LoadRun, kind: str, url: str) -> str:
    """The line a load run starts with: its profile, users, length, arrivals and workers, and its target."""
    return (
        f"load {run.profile.name}: {counted(run.users, 'user')}, {_length(run)}"
        + (f", {run.arrival_rate:g} arrivals/s ({run.arrival_process})" if run.arrival_rate else "")
        + (f", {counted(run.workers, 'worker')}" if run.workers else "")
        + f", against {kind} {url}"
    )


def execute(run: LoadRun) -> LoadSummary:
    """Run the profile against its target and return the judged summary (files written into ``report_dir``)."""
    import json

    rules = merge_rules(load_slos(run.profile.slo_file, run.profile.kind), run.slo_overrides)
    out = run.report_dir.resolve()
    with _target(run) as target:
        # only now, every host checked and the target answering: a refused run leaves the last results alone
        out.mkdir(parents=True, exist_ok=True)
        claim(out, "load", "--report-dir", "h2oharness load")
        for stale in [
            *out.glob("locust*"),
            *out.glob("worker-*.json"),
            *out.glob(RECORD_NAME.format(pid="*")),
            *out.glob(OUTCOMES_NAME.format(pid="*")),
            *out.glob(f".{OUTCOMES_NAME.format(pid='*')}.part"),
        ]:
            stale.unlink()
        secrets = known_secrets(run.password, run.token, *target.credentials.secrets())
        env = _environment(run, target)
        commands = locust_commands(run, target.url, out)
        print(redact(start_line(run, target.kind, target.url), secrets), file=sys.stderr, flush=True)
        live_csv = out / "locust_stats.csv"
        try:
            outcome = _run_processes(
                commands,
                env,
                out / "locust.log",
                run.hard_limit,
                live=_LiveLines(live_csv, out, rules, secrets),
                grace=run.stop_timeout + FLUSH_GRACE,
            )
        finally:
            # Locust writes what the target answered (failure messages, echoed bodies) into its CSV, HTML and log
            scrub_folder(out, secrets, "locust*")
            scrub_folder(out, secrets, "worker-*.json")
            scrub_folder(out, secrets, OUTCOMES_NAME.format(pid="*"))
            for part in out.glob(f".{OUTCOMES_NAME.format(pid='*')}.part"):
                part.unlink()  # a snapshot cut off by a killed process: the last whole one is beside it
    codes = outcome.codes
    log = (out / "locust.log").read_text(errors="replace")
    errors: list[str] = []
    stats_path = out / "locust.json"
    late = f"the load run passed its hard time limit of {run.hard_limit:.0f} s and was stopped"
    if not stats_path.is_file():
        if outcome.signal is not None:
            raise Stopped(outcome.signal, "Locust wrote no statistics before it ended")
        if outcome.timed_out:
            raise HarnessError(f"{late}; Locust wrote no statistics before it ended")
        tail = " | ".join(line for line in log.strip().splitlines()[-3:])
        raise HarnessError(f"Locust wrote no statistics (exit codes {codes}): {tail or 'no output'}")
    if outcome.signal is not None:
        errors.append(f"stopped by {signal.Signals(outcome.signal).name}: the figures are those until then")
    elif outcome.timed_out:
        # stopped as a SIGTERM stops it, Locust wrote its figures: they are reported, not dropped with the run
        errors.append(f"{late}: the figures are those until then")
    elif any(codes):
        errors.append(f"a Locust process exited with {codes}; see {out / 'locust.log'}")
    raw = json.loads(stats_path.read_text())
    outcomes = Outcomes.read(out)  # the harness's own record: latencies of the successful requests only
    entries = entries_from_locust(raw, outcomes)
    if not entries:
        # a run of no entry fails (nothing to judge), and said only "0 requests ...; 1/1 SLOs met" with exit 1
        errors.append(
            f"the run recorded nothing: no request, job, stream or task of {run.profile.user_class} ended in "
            f"{_length(run)}, so there is nothing to judge its SLOs on"
        )
    errors += outcome_errors(entries, outcomes)
    # Locust's own is its last once-a-second snapshot, short of the final figures load.json is made of
    (out / "locust_stats.csv").write_text(redact(stats_csv(raw), secrets))
    if run.workers:
        errors += aggregation_errors(entries, [json.loads(f.read_text()) for f in sorted(out.glob("worker-*.json"))])
    keys = [r.entry for r in rules if r.entry] or [e.key for e in entries if e.type == "JOB"][:4]
    arrivals: list[Arrival] | None = None  # closed model: nothing was due on a schedule
    unsent: list[float] = []
    end: float | None = None
    if run.arrival_rate:
        recording = read_recordings(out)
        arrivals = recording.arrivals if recording else []
        unsent, end = (recording.unsent, recording.end) if recording else ([], None)
    dispatch = dispatch_of(arrivals, run.max_dispatch_delay, unsent, end)
    verdicts = judge(rules, entries) + dispatch_verdicts(dispatch)
    summary = LoadSummary(
        profile=run.profile.name,
        target={"kind": target.kind, "url": target.url},
        settings={
            "users": run.users,
            "spawn_rate": run.spawn_rate,
            "run_time": run.run_time,
            "arrival_rate": run.arrival_rate,
            "arrival_process": run.arrival_process if run.arrival_rate else None,
            "arrival_seed": run.arrival_seed if run.arrival_rate else None,
            "max_dispatch_delay_ms": run.max_dispatch_delay,
            "workers": run.workers,
            "mock_speed": run.mock_speed if target.kind == "mock" else None,
        },
        entries=tuple(entries),
        verdicts=tuple(verdicts),
        series=read_history(out / "locust_stats_history.csv", keys),
        errors=tuple(errors),
        dispatch=dispatch.to_dict(),
        reasons=tuple(outcomes.reasons.top(KEPT_REASONS)),
    )
    _write(summary, out, secrets)
    if outcome.signal is not None:
        raise Stopped(outcome.signal, f"the figures until then are in {out / 'load.html'}")
    if outcome.timed_out:
        raise HarnessError(f"{late}; the figures until then are in {out / 'load.html'}")
    return summary


def dispatch_verdicts(dispatch: Dispatch) -> list[Verdict]:
    """The generator's own check (open model only): its p99 dispatch delay within the limit, else a failed one."""
    if dispatch.model != "open":
        return []
    rule = f"dispatch delay p99_ms <= {dispatch.limit_ms:g} (the load generator kept its schedule)"
    if dispatch.p99_ms is None:
        return [Verdict(rule, None, False, dispatch.note)]
    note = "" if dispatch.trustworthy else "the generator was the bottleneck: figures not trustworthy"
    return [Verdict(rule, dispatch.p99_ms, dispatch.trustworthy, note)]


def aggregation_errors(entries: Sequence[EntryStats], workers: Sequence[dict[str, dict[str, int]]]) -> list[str]:
    """Where the master's totals are not the sum of what each worker counted itself (empty when they agree)."""
    if not workers:
        return ["no worker wrote its own totals: the master's aggregate cannot be checked"]
    summed: dict[str, list[int]] = {}
    for totals in workers:
        for key, counts in totals.items():
            acc = summed.setdefault(key, [0, 0])
            acc[0] += counts["requests"]
            acc[1] += counts["failures"]
    master = {e.key: [e.requests, e.failures] for e in entries}
    return [
        f"{key}: the master counted {master.get(key, [0, 0])} (requests, failures), "
        f"its workers {summed.get(key, [0, 0])}"
        for key in sorted(set(master) | set(summed))
        if master.get(key, [0, 0]) != summed.get(key, [0, 0])
    ]


def _write(summary: LoadSummary, out: Path, secrets: Sequence[str]) -> None:
    from h2oharness.report.writers import read_json, render_html, render_load_html

    (out / "load.json").write_text(redact(summary.to_json(), secrets))
    (out / "load.html").write_text(render_load_html(summary, secrets))
    conformance = out / "conformance.json"
    if conformance.is_file():
        # the conformance page of the same report folder gets the load section too
        (out / "conformance.html").write_text(render_html(read_json(conformance), secrets, load=summary))


def exit_code(summary: LoadSummary) -> int:
    """0 when every SLO held, 1 when one broke or Locust failed."""
    return EXIT_OK if summary.passed else EXIT_VIOLATION
