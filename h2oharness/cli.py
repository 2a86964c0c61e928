"""The ``h2oharness`` command: run suites, serve mocks, generate contracts."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO
from urllib.parse import urlsplit

from h2oharness.allowlist import is_loopback
from h2oharness.apis import APIS, ApiInfo, get_api
from h2oharness.arrivals import DEFAULT_MAX_DISPATCH_DELAY_MS
from h2oharness.children import ORPHANED, ProcessGroup, Stopped, deadline_after
from h2oharness.errors import (
    EXIT_HARNESS_ERROR,
    EXIT_OK,
    EXIT_VIOLATION,
    ConfigError,
    HarnessError,
    SpecError,
    TargetUnavailable,
)
from h2oharness.folders import CLAIMED_BY, claim, output_dir, output_file, write_output, write_outputs
from h2oharness.http.redact import redact
from h2oharness.mocks.clock import check_speed
from h2oharness.openapi import check_spec_file
from h2oharness.report.diff import REGRESSION_MS, REGRESSION_RATIO
from h2oharness.runoptions import check_resume, run_options
from h2oharness.scrub import pump_redacted, scrub_folder
from h2oharness.settings import (
    SECONDS_RULE,
    Handed,
    Settings,
    blank,
    known_secrets,
    max_workers,
    nonblank,
    seconds_ok,
    secret_variable,
    url_password,
    variable,
)
from h2oharness.targets import (
    TARGET_KINDS,
    check_fault_plan,
    check_kind,
    check_url,
    given_url,
    lower_scheme,
    named_url,
    open_target,
    preflight_local,
    serve_mock,
    split_userinfo,
)
from h2oharness.words import counted
from h2oharness.yamlinput import load_yaml

if TYPE_CHECKING:
    from h2oharness.capacity import Search
    from h2oharness.report.model import Conformance

#: seconds pytest has, once told to stop, to end its session and write the report of the tests done so far
RUN_GRACE = 30.0
#: seconds after the run's --max-time at which pytest stops itself (when the harness is gone)
CHILD_MARGIN = 5.0
#: the clock of run --max-time (monotonic; tests replace it)
_clock = time.monotonic
#: seconds to wait for the last of a stopped pytest's output to be copied through the redaction
PUMP_JOIN = 10.0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a harness error: one line and exit 3; an empty or blank value is one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # every option and argument that takes text or a path, in every subcommand (each is a _Parser) and group:
        # Path("") is the current folder, so "--report-dir ''" wrote the report there, and "--host ''" served the
        # mock on every interface
        self.register("type", None, nonblank)
        self.register("type", Path, lambda text: Path(nonblank(text)))
        # argparse takes only -5 and -.5 for values, and "--max-time -5s" was "expected one argument": whatever
        # starts as a number does is a value here (no option of ours starts so), for the option to refuse by name
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_HARNESS_ERROR, f"{self.prog}: error: {message}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("h2oharness")
    except PackageNotFoundError:
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="h2oharness", description="Contract and load tests for H2O HTTP APIs.")
    parser.add_argument("--version", action="version", version=f"h2oharness {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.type = str  # the command's arguments go on to its own parser as typed, to be checked there

    run = sub.add_parser("run", help="run the contract tests and scenarios against a target and write a report")
    run.add_argument("--target", default="mock", help=f"one of {', '.join(TARGET_KINDS)} (default: mock)")
    run.add_argument("--api", action="append", dest="apis", help="API to test (repeatable, or a,b; default: all)")
    run.add_argument("--report-dir", default="reports", type=Path, help="where the reports go (default: reports)")
    run.add_argument("--url", help="base URL of a live target (else <API>_URL, e.g. H2O3_URL)")
    run.add_argument("--username", help="HTTP Basic user of a live target (else <API>_USERNAME)")
    run.add_argument("--password-env", default=None, help="name of the environment variable holding the password")
    run.add_argument(
        "--api-key-env", default=None, help="environment variable holding a bearer token (else <API>_API_KEY)"
    )
    run.add_argument("--spec", action="append", default=[], help="SLUG=PATH: test against this OpenAPI document")
    run.add_argument("--all-operations", action="store_true", help="contract-test every documented operation")
    run.add_argument(
        "--include-destructive",
        action="store_true",
        help="also send the operations destructive by design (shutdown, arbitrary paths...); never on a shared server",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="go on with an interrupted run into the same --report-dir, with the same APIs, target and scope options",
    )
    run.add_argument("--max-examples", type=int, default=None, help="hypothesis examples per operation")
    run.add_argument(
        "--workers",
        default="auto",
        help="pytest-xdist workers: a number (at most twice the CPUs, or 64), or auto (default)",
    )
    run.add_argument("--suite-dir", type=Path, default=None, help="folder holding contracts/ and scenarios/")
    run.add_argument("--mock-faults", type=Path, default=None, help="a fault plan the mocks inject (YAML or JSON)")
    run.add_argument("--request-deadline", type=float, default=None, help="seconds a request may take in all (120)")
    run.add_argument(
        "--stream-deadline", type=float, default=None, help="seconds a streamed answer may take (--request-deadline)"
    )
    run.add_argument("--test-deadline", type=float, default=None, help="seconds a test may take (default: no limit)")
    run.add_argument(
        "--max-time", default=None, help="stop the run after this long (e.g. 45m) and report the tests done so far"
    )
    run.add_argument(
        "--budget",
        default=None,
        help="keep the sweep generating until this time budget is spent (90s, 30m, 1h): rounds of fresh cases, "
        "spread over the operations by what still yields new distinct defects; runs in one pytest process",
    )

    serve = sub.add_parser("serve", help="serve an API's mock on loopback and print its URL")
    serve.add_argument("--api", required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="port (0 = any free port)")
    serve.add_argument("--username", help="require HTTP Basic with this user (password from --password-env)")
    serve.add_argument("--password-env", default=None)
    serve.add_argument("--api-key-env", default=None, help="require this bearer token (bearer APIs), read from env")
    serve.add_argument("--speed", type=float, default=1.0, help="run the mock's clock this many times faster")
    serve.add_argument("--faults", type=Path, default=None, help="a fault plan to inject (YAML or JSON)")

    spec = sub.add_parser("spec", help="generate an OpenAPI document from a server's or a client's own description")
    spec.add_argument("api", help="API slug (h2o3 describes itself; others with --from-client)")
    spec.add_argument(
        "--from-client", action="store_true", help="build it from the installed official client's own definitions"
    )
    spec.add_argument(
        "--from", dest="source", default=None, help="URL of a server, a metadata folder, or 'snapshot' (the default)"
    )
    spec.add_argument("--out", type=Path, required=True, help="where to write the OpenAPI YAML")
    spec.add_argument("--username", help="HTTP Basic user for the server")
    spec.add_argument("--password-env", default=None)
    spec.add_argument("--snapshot", type=Path, default=None, help="also save the fetched metadata into this folder")
    spec.add_argument(
        "--request-deadline", type=float, default=None, help="seconds each request to the server may take in all (60)"
    )
    load = sub.add_parser("load", help="run a Locust load profile headless against a target and judge its SLOs")
    load.add_argument("profile", help="<api>.<kind>, e.g. h2o3.polling, h2o3.mixed, h2ogpte.streaming")
    load.add_argument("--target", default="mock", help=f"one of {', '.join(TARGET_KINDS)} (default: mock)")
    load.add_argument("-u", "--users", type=int, default=10, help="concurrent users (default 10)")
    load.add_argument("-r", "--spawn-rate", type=float, default=10.0, help="users started per second (default 10)")
    load.add_argument("-t", "--run-time", default="30s", help="how long to load, e.g. 30s, 2m (default 30s)")
    load.add_argument(
        "--arrival-rate", type=float, default=None, help="open model: submissions per second over all users"
    )
    load.add_argument(
        "--arrival-process",
        choices=("constant", "poisson"),
        default=None,
        help="open model: arrivals evenly spaced or a Poisson process of the same rate (default constant)",
    )
    load.add_argument("--arrival-seed", type=int, default=None, help="open model: seed of the arrivals' random draws")
    load.add_argument(
        "--max-dispatch-delay",
        type=float,
        default=DEFAULT_MAX_DISPATCH_DELAY_MS,
        metavar="MS",
        help="open model: p99 ms the generator may send late before its figures are not trustworthy (default 50)",
    )
    load.add_argument(
        "--workers",
        type=int,
        default=0,
        help="distributed: a Locust master and N workers on loopback (N at most twice the CPUs, or 64)",
    )
    load.add_argument(
        "--stop-timeout",
        type=float,
        default=10.0,
        help="seconds a user may finish its task after the run time before it is stopped (default 10); a job still "
        "running then is counted as unfinished",
    )
    cap = load.add_argument_group("capacity search (open model; see h2oharness/capacity.py for the rule)")
    # the search's options default to None, so that one given without --find-capacity is told, not ignored
    cap.add_argument("--find-capacity", action="store_true", help="search the highest arrival rate whose SLOs hold")
    cap.add_argument("--min-rate", type=float, help="lowest arrival rate tried, per s (default 1)")
    cap.add_argument("--max-rate", type=float, help="highest arrival rate tried, per s (default 64)")
    cap.add_argument("--window", help="length of one judged window (default 10s)")
    cap.add_argument("--windows", type=int, help="windows each rate is held for (default 3)")
    cap.add_argument("--windows-to-pass", type=int, help="windows of a rate that must pass (default: all)")
    cap.add_argument("--warmup", help="unjudged start of each rate's run (default 5s)")
    cap.add_argument(
        "--rate-resolution",
        type=float,
        help="stop bisecting within this share of a rate: above 0 and below 1 (default 0.1, 10 %%)",
    )
    load.add_argument("--slo", action="append", default=[], help="[ENTRY:]LIMIT=VALUE, overrides the SLO file")
    load.add_argument("--allow-host", action="append", default=[], help="a non-loopback host that may be loaded")
    load.add_argument("--mock-speed", type=float, default=1.0, help="run the mock's clock this many times faster")
    load.add_argument("--mock-faults", type=Path, default=None, help="a fault plan the mock injects (YAML or JSON)")
    load.add_argument("--request-deadline", type=float, default=None, help="seconds a request may take in all (120)")
    load.add_argument(
        "--stream-deadline", type=float, default=None, help="seconds a streamed answer may take (--request-deadline)"
    )
    load.add_argument(
        "--max-time", default=None, help="hard limit for the whole run (default: run time + 70 s; --find-capacity 10m)"
    )
    load.add_argument("--report-dir", default="reports", type=Path, help="where the reports go (default: reports)")
    load.add_argument("--url", help="base URL of a live target (else <API>_URL)")
    load.add_argument("--username", help="HTTP Basic user of a live target (else <API>_USERNAME)")
    load.add_argument("--password-env", default=None, help="environment variable holding the password")
    load.add_argument("--api-key-env", default=None, help="environment variable holding a bearer token")
    load.add_argument("--suite-dir", type=Path, default=None, help="folder holding loadtests/")

    base = sub.add_parser("baseline", help="write the known findings of a real server from a conformance report")
    base.add_argument(
        "--from", dest="report", type=Path, required=True, help="a conformance.json (or the report folder holding it)"
    )
    base.add_argument("--api", required=True)
    base.add_argument("--out", type=Path, default=None, help="default: contracts/<api>/known_findings.yaml")
    base.add_argument(
        "--merge",
        action="store_true",
        help="keep every entry already in --out (without it: those the report did not show gone)",
    )

    report = sub.add_parser("report", help="work with written reports")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    report_sub.type = str
    diff = report_sub.add_parser(
        "diff",
        help="what changed between two reports (run's or load's)",
        description="Compare two reports: conformance.json or load.json files, or the report folders holding "
        "them. Between conformance reports: newly failing operations and scenarios, fixed ones, new defects, new "
        "errors of the run, new drift. Between load.json: latency regressions (a p95 more than "
        f"{REGRESSION_RATIO:.0%} and {REGRESSION_MS:g} ms worse), entries whose failed share grew by more than "
        "a percentage point, SLOs met before and broken now; two load runs of different profiles are not "
        "comparable and are refused. Exit 1 on a regression, 0 otherwise, 3 when a file is missing or not a "
        "report, or the two are not comparable.",
    )
    diff.add_argument("old", type=Path, help="the earlier conformance.json or load.json (or its folder)")
    diff.add_argument("new", type=Path, help="the later conformance.json or load.json (or its folder)")
    return parser


def _password(env_name: str | None, option: str = "--password-env") -> str | None:
    return secret_variable(env_name, option)


def _given_secrets(args: argparse.Namespace) -> tuple[str, ...]:
    """The secrets the command line names: the variables of --password-env and --api-key-env, a password in a URL."""
    names = [getattr(args, name, None) for name in ("password_env", "api_key_env")]
    values = [os.environ.get(n) for n in names if n]
    values += [url_password(getattr(args, name, None) or "") for name in ("url", "source")]
    return tuple(v for v in values if v)


def _say(text: str, file: TextIO | None = None) -> None:
    """Print ``text`` redacted of every secret the environment holds (the one redaction of the CLI's output)."""
    print(redact(text, known_secrets()), file=file or sys.stdout, flush=True)


def _suite_root(explicit: Path | None, folder: str = "contracts") -> Path:
    if explicit is not None:
        if not (explicit / folder).is_dir():  # not "pass --suite-dir": it was passed
            held = "is a file" if explicit.is_file() else "holds none" if explicit.is_dir() else "does not exist"
            raise ConfigError(f"--suite-dir {explicit}: a folder holding {folder}/, and it {held}")
        return explicit.resolve()  # pytest runs in it: a relative one would be read from there
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (root / folder).is_dir():
            return root
    raise ConfigError(f"cannot find {folder}/: run from the h2oharness checkout or pass --suite-dir")


def _live_only(args: argparse.Namespace, kind: str) -> None:
    """ConfigError when an option only a live target reads is given for another: it would be ignored without a word
    (``run --url https://staging...`` without ``--target live`` tested the mock)."""
    # load's --allow-host too: a host to allow is one of a live target (mock and local ones are on loopback)
    names = ("url", "username", "password_env", "api_key_env", "allow_host")
    given = [f"--{name.replace('_', '-')}" for name in names if getattr(args, name, None)]
    if given and kind != "live":
        raise ConfigError(f"{given[0]} is for --target live; a {kind} target would ignore it")


def _spec_overrides(items: Sequence[str]) -> dict[str, Path]:
    overrides: dict[str, Path] = {}
    for item in items:
        slug, sep, path = item.partition("=")
        if not sep or blank(path):
            raise ConfigError(f"--spec takes SLUG=PATH, got {item!r}")
        get_api(slug)
        if slug in overrides:  # the first was dropped unread, the last one tested
            raise ConfigError(f"--spec {slug}=... is given twice ({overrides[slug]} and {path}): give one per API")
        overrides[slug] = Path(path)
    return overrides


def _given_specs(items: Sequence[str], settings: Settings, apis: Sequence[ApiInfo]) -> dict[str, tuple[Path, str]]:
    """Each API of ``apis`` given a document to test instead of its contract: its path and what named it, the
    ``--spec`` option, else the ``HARNESS_<API>_SPEC`` variable (read where run was started: pytest runs in the
    suite folder, where a relative path named another file or none)."""
    given = {
        api.slug: (Path(settings.specs[api.env_prefix]), f"HARNESS_{api.env_prefix}_SPEC")
        for api in apis
        if api.env_prefix in settings.specs
    }
    overrides = _spec_overrides(items)
    for slug in overrides:
        if slug not in {api.slug for api in apis}:
            raise ConfigError(f"--spec {slug}=... is for an API this run leaves out: add --api {slug}")
    return {**given, **{slug: (path, f"--spec {slug}={path}") for slug, path in overrides.items()}}


def _checked_spec(path: Path, source: str) -> str:
    """``check_spec_file`` of a document, its error naming the variable that named it (an option's names its file)."""
    try:
        return check_spec_file(path)
    except SpecError as exc:
        raise SpecError(str(exc) if source.startswith("--") else f"{source}: {exc}") from None


def _check_spec_scope(
    api: ApiInfo, path: Path, source: str, root: Path, args: argparse.Namespace, settings: Settings
) -> None:
    """ConfigError when none of the operations of a ``--spec`` document is in this run's scope: the contract test
    would match none, and the report said only that it "does not match any API operations"."""
    from h2oharness.contractplan import in_scope
    from h2oharness.http.naming import documented_operations
    from h2oharness.sweep import load_destructive

    destructive = load_destructive(root / "contracts" / api.slug / "destructive.yaml")
    flags = {
        "all_operations": args.all_operations or settings.all_operations,
        "include_destructive": args.include_destructive or settings.include_destructive,
    }
    operations = documented_operations(path)

    def tested(**changed: bool) -> bool:
        return any(in_scope(api.plan, destructive, m, p, **{**flags, **changed}) for m, p in operations)

    if not tested():
        fix = "--all-operations" if tested(all_operations=True) else "--all-operations --include-destructive"
        raise ConfigError(
            f"{source}: none of its {len(operations)} operations is in this run's scope (the "
            f"seed flow's and the read-only ones; destructive ones only when asked): add {fix}"
        )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the suites through pytest and turn the result into the exit code."""
    from h2oharness.loadrunner import parse_duration

    begun = _clock()  # --max-time counts from here: checking a large --spec took 10 s before pytest started

    kind = check_kind(args.target)
    _live_only(args, kind)
    number = args.workers.isascii() and args.workers.isdigit()  # "²" is a digit to str.isdigit, not to int()
    if args.workers not in ("auto", "logical") and not number:
        raise ConfigError(f"--workers takes a number of 0 or more, auto or logical, got {args.workers!r}")
    if number and int(args.workers) > max_workers():
        raise ConfigError(f"--workers takes at most {max_workers()} (twice the CPUs, at least 64), got {args.workers}")
    if args.mock_faults is not None and kind != "mock":
        raise ConfigError(f"--mock-faults is for --target mock; a {kind} target injects no faults of ours")
    limit = parse_duration(args.max_time) if args.max_time else None
    if limit is not None and not limit > 0:
        raise ConfigError(f"--max-time must be a positive duration, got {args.max_time!r}")
    if args.max_examples is not None and args.max_examples < 1:
        raise ConfigError(f"--max-examples must be at least 1, got {args.max_examples}")
    settings = Settings.from_env()
    from h2oharness.budget import parse_budget

    if args.budget is not None:
        parse_budget(args.budget, "--budget")
    elif settings.budget is not None:
        try:
            parse_budget(settings.budget)
        except ConfigError as exc:
            raise ConfigError(f"HARNESS_BUDGET: {exc}") from None
    from h2oharness.mocks.faults import FaultPlan

    # HARNESS_MOCK_FAULTS is read where run was started; pytest runs in the suite folder
    plan = args.mock_faults or (Path(settings.mock_faults) if settings.mock_faults else None)
    # --api a,b as --target mock,local: each given once, in the order first given
    given = [slug.strip() for value in args.apis or [] for slug in value.split(",")]
    if "" in given:
        raise ConfigError(f"--api {','.join(args.apis)!r} names an empty API: give slugs, as --api h2o3,h2ogpte")
    apis = [get_api(slug) for slug in (dict.fromkeys(given) or sorted(APIS))]
    specs = _given_specs(args.spec, settings, apis)
    if plan is not None:
        # a bad plan is one line here, not an error in every test
        paths_of = {slug: path for slug, (path, _) in specs.items()}
        check_fault_plan(FaultPlan.from_file(plan), apis, str(plan), paths_of)
    lacking = [api for api in apis if kind not in api.kinds]
    if lacking and len(lacking) == len(apis):
        raise ConfigError(f"no {kind} target for {', '.join(a.slug for a in lacking)}; choose mock or live")
    for api in lacking:
        _say(f"{api.slug}: no {kind} target, left out of this run", sys.stderr)
    apis = [api for api in apis if kind in api.kinds]
    root = _suite_root(args.suite_dir)
    from h2oharness.sweep import load_destructive

    for api in apis:  # the report reads each at the end: a malformed one there lost the report
        load_destructive(root / "contracts" / api.slug / "destructive.yaml")
    checked: list[str] = []
    for slug, (path, source) in specs.items():
        if slug not in {api.slug for api in apis}:  # its API has no target of this kind
            if source.startswith("--spec"):
                raise ConfigError(f"--spec {slug}=... is for an API this run leaves out: add --api {slug}")
            continue
        checked.append(_checked_spec(path, source))
        _check_spec_scope(get_api(slug), path, source, root, args, settings)
    handed: dict[str, Handed] = {}
    paths: list[str] = []
    # read once, before any target: an unset variable the options name stops the run
    password = _password(args.password_env) if kind == "live" else None
    token = _password(args.api_key_env, "--api-key-env") if kind == "live" else None
    for api in apis:
        if kind == "local":
            preflight_local(api)  # each pytest worker starts its own server, one it can restart (h2oharness/sweep.py)
        elif kind == "live":
            handed[api.env_prefix] = _live_handed(api, args, password, token)
        paths += [
            str(p)
            for p in (root / "contracts" / api.slug, *sorted((root / "scenarios").glob(f"test_{api.slug}_*.py")))
            if p.exists()
        ]
    deadlines = {name: getattr(args, name) for name in ("request_deadline", "stream_deadline", "test_deadline")}
    for name, value in deadlines.items():
        if value is not None and not seconds_ok(value):
            raise ConfigError(f"--{name.replace('_', '-')} {SECONDS_RULE}")
    left = _time_left(limit, begun, args.max_time)
    # made once every check has passed: a refused run leaves no empty report folder behind
    report_dir = output_dir(args.report_dir, "--report-dir")
    claim(report_dir, "run", "--report-dir", "h2oharness run")
    settings = settings.replace(
        mock_faults=str(plan.resolve()) if plan is not None else None,
        **{name: value for name, value in deadlines.items() if value is not None},
        handed={**settings.handed, **handed},
        specs={
            **settings.specs,
            **{get_api(slug).env_prefix: str(path.resolve()) for slug, (path, _) in specs.items()},
        },
        checked_specs=",".join(filter(None, [settings.checked_specs, *checked])),
        budget=args.budget if args.budget is not None else settings.budget,
        # pytest stops itself then, should this process be killed before it can stop it
        deadline=deadline_after(left, CHILD_MARGIN) if left is not None else None,
    )
    if args.resume:
        # as pytest's plugin will see them: the options on top of the variables
        scope = settings.replace(
            target=kind,
            all_operations=args.all_operations or settings.all_operations,
            include_destructive=args.include_destructive or settings.include_destructive,
            max_examples=settings.max_examples if args.max_examples is None else args.max_examples,
        )
        check_resume(report_dir, run_options(scope, paths, root))
    workers = "" if args.workers in ("0", "1") or settings.budget else f", {args.workers} workers"
    workers += f", a budget of {settings.budget}" if settings.budget else ""
    _say(
        f"h2oharness run: {', '.join(api.slug for api in apis)} on {kind}{workers}; reports into {report_dir}",
        sys.stderr,
    )
    env = {**run_environment(settings.child_environment(), report_dir), CLAIMED_BY: str(os.getpid())}
    secrets = known_secrets(*settings.secrets(), *_given_secrets(args))
    started = time.time()
    try:
        with ProcessGroup() as group:
            command = pytest_command(args, kind, report_dir, root, paths)
            pipes: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "bufsize": 1}
            proc = group.start(command, ORPHANED, cwd=root, env=env, text=True, errors="replace", **pipes)
            pumps = pump_redacted(proc, secrets)
            # a SIGINT before pytest armed its handlers (while it imports its plugins) is a KeyboardInterrupt: a
            # traceback in the output, or lost in a garbage collection's callback; SIGTERM ends it quietly then, and
            # stops it as SIGINT does once armed (h2oharness/pytest_plugin/stopping.py)
            outcome = group.supervise(_time_left(limit, begun, args.max_time), RUN_GRACE, forward=signal.SIGTERM)
        for pump in pumps:
            pump.join(timeout=PUMP_JOIN)
        if not any(pump.is_alive() for pump in pumps):
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    finally:
        # pytest writes junit.xml and progress.jsonl itself: whatever a server echoed is scrubbed out of them
        scrub_folder(report_dir, secrets)
    if outcome.signal is None and not outcome.timed_out:
        return _finish(report_dir, outcome.codes[0], secrets, started, root)
    report = report_dir / "conformance.html"
    written = report.is_file() and report.stat().st_mtime >= started
    so_far = f"the tests done so far are in {report}" if written else "pytest wrote no report"
    if outcome.signal is not None:
        raise Stopped(outcome.signal, so_far)
    raise HarnessError(f"the run passed its --max-time of {args.max_time} and was stopped; {so_far}")


def _time_left(limit: float | None, begun: float, given: str | None) -> float | None:
    """What is left of ``run --max-time`` (``limit`` seconds from ``begun``, on ``_clock``); HarnessError once none."""
    if limit is None:
        return None
    left = limit - (_clock() - begun)
    if left <= 0:
        raise HarnessError(
            f"the run passed its --max-time of {given} before its tests started ({_clock() - begun:.0f} s checking its "
            "options, targets and --spec documents); no test ran"
        )
    return left


def pytest_command(args: argparse.Namespace, kind: str, report_dir: Path, root: Path, paths: list[str]) -> list[str]:
    """The pytest command line of ``run``: pytest's terminal off (the report collector narrates), plain junit."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:terminal"]
    # the suite's ini addopts name terminal options (-ra) that do not exist without the terminal: what the run
    # needs of them is given here instead
    command += ["-o", "addopts=", "-p", "no:locust", "--strict-markers", "--strict-config"]
    # a module of one API that cannot be collected (a --spec that matches nothing) is an error of that API: without
    # this, pytest ran no test at all, and the other APIs were missing from the report
    command.append("--continue-on-collection-errors")
    # hypothesis' plugin fills junit.xml with base64 statistics of every test, pytest-benchmark makes .benchmarks/
    # in the working directory; the suites use neither
    command += ["-p", "no:hypothesispytest", "-p", "no:benchmark"]
    command += ["--harness-target", kind, "--harness-report-dir", str(report_dir)]
    command += ["--junitxml", str(report_dir / "junit.xml"), "--rootdir", str(root), *paths]
    if args.all_operations:
        command.append("--harness-all-operations")
    if args.include_destructive:
        command.append("--harness-include-destructive")
    if args.resume:
        command.append("--harness-resume")
    if args.max_examples is not None:
        command += ["--harness-max-examples", str(args.max_examples)]
    # a budgeted sweep runs its rounds in one process (h2oharness/pytest_plugin/budgeted.py)
    if args.workers not in ("0", "1") and not (getattr(args, "budget", None) or Settings.from_env().budget):
        command += ["-n", str(args.workers)]
    return command


def run_environment(env: dict[str, str], report_dir: Path) -> dict[str, str]:
    """The pytest child's environment: hypothesis keeps its caches in the report folder, not in the checkout."""
    # hypothesis writes .hypothesis/ in the working directory even with database=None: the constants it mines
    # from the harness's modules and its unicode tables are cached there
    return {"HYPOTHESIS_STORAGE_DIRECTORY": str(report_dir / ".hypothesis"), **env}


def _live_handed(api: ApiInfo, args: argparse.Namespace, password: str | None, token: str | None) -> Handed:
    """The live target of ``api`` the options (else its environment variables) name, probed here once, as the run
    hands it down; one it cannot use carries why, said now in one line: that API's tests do not run and the report
    says why, and the other APIs are tested."""
    try:
        with open_target(
            api, "live", url=args.url, username=args.username, password=password, token=token, url_option="--url"
        ) as target:
            return target.handed()
    except TargetUnavailable as exc:  # the target's state; a mistake in the options or variables stops the run
        why = redact(str(exc), known_secrets(*_given_secrets(args)))
        _say(f"h2oharness: {api.slug}: {why}; its tests will not run, and the report says why", sys.stderr)
        return Handed(kind="live", url=named_url(api, args.url), error=why)


def _finish(
    report_dir: Path, pytest_code: int, secrets: Sequence[str] = (), started: float = 0.0, root: Path | None = None
) -> int:
    """Print the report pytest wrote; a conformance.json older than ``started`` is an earlier run's, not this one.

    With the suite's ``root``, it names the known findings a real server's run no longer showed: not counted, but a
    stale entry would excuse that failure should it come back, unseen in review."""
    from h2oharness.baseline import not_seen_lines
    from h2oharness.report.model import Conformance
    from h2oharness.report.terminal import render_terminal

    path = report_dir / "conformance.json"
    if not path.is_file() or path.stat().st_mtime < started:
        raise HarnessError(f"pytest exited with code {pytest_code} and wrote no report in {report_dir}")
    conformance = Conformance.from_json(path.read_text(), str(path))
    print(render_terminal(conformance, secrets))
    for line in not_seen_lines(conformance, root, report_dir) if root is not None else []:
        print(line)
    _say(f"reports: {report_dir / 'conformance.html'}, {path}, {report_dir / 'junit.xml'}")
    return conformance.exit_code


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve one API's mock until interrupted."""
    api = get_api(args.api)
    check_speed(args.speed, "--speed")
    if args.username and api.auth != "basic":
        raise ConfigError(f"{api.slug} authenticates with bearer tokens: use --api-key-env, not --username")
    if args.api_key_env and api.auth != "bearer":
        raise ConfigError(f"{api.slug} authenticates with HTTP Basic: use --username/--password-env")
    if args.password_env and not args.username:
        # the password alone was dropped: the mock served with no Basic auth at all, and took every request
        raise ConfigError("--password-env is the password of --username: give --username too")
    password, token = _password(args.password_env), _password(args.api_key_env, "--api-key-env")

    def configure(state: Any) -> None:
        if args.username:
            state.credentials = (args.username, password or "")
        if args.api_key_env:
            state.api_keys = {token or ""}

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    from h2oharness.mocks.faults import FaultPlan

    faults = FaultPlan.from_file(args.faults) if args.faults else None
    if faults is not None:
        check_fault_plan(faults, [api], str(args.faults))
    with serve_mock(
        api, speed=args.speed, host=args.host, port=args.port, configure=configure, faults=faults
    ) as served:
        if not is_loopback(served.url):
            # every other command keeps its traffic on loopback: a mock open to the network is said, not assumed
            _say(
                f"h2oharness: warning: --host {args.host} serves the mock beyond this machine's loopback, to whoever "
                "can reach this host (leave --host out to keep it on 127.0.0.1)",
                sys.stderr,
            )
        _say(f"{api.title} mock listening on {_usable_url(served.url)}")
        if api.auth == "bearer" and not args.api_key_env:
            # the mock made this token up for whoever tests it: printing it is the point, so it skips redaction
            print(f"  it accepts the bearer token {served.credentials.token}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return EXIT_OK


def _usable_url(url: str) -> str:
    """``url`` with an any-address host (0.0.0.0, ::), which no client can send to, as this machine's loopback: the
    URL printed is given as it is to ``run --target live --url`` and ``load``, which refuses any other host."""
    parts = urlsplit(url)
    try:
        unspecified = ipaddress.ip_address(parts.hostname or "").is_unspecified
    except ValueError:
        return url
    if not unspecified:
        return url
    return parts._replace(netloc=f"{'[::1]' if ':' in (parts.hostname or '') else '127.0.0.1'}:{parts.port}").geturl()


def cmd_spec(args: argparse.Namespace) -> int:
    """Generate an OpenAPI document from H2O-3's metadata, or from an official client (``--from-client``)."""
    api = get_api(args.api)
    if args.from_client and api.slug == "h2o3":
        raise ConfigError("h2o3 describes itself: give --from (a server's URL, a metadata folder or 'snapshot')")
    if args.from_client:
        # each was dropped without a word: a contract from the client, not from the server the user named
        given = [option for option, value in _SERVER_OPTIONS.items() if getattr(args, value) is not None]
        if given:
            raise ConfigError(f"{given[0]} is for a server's description; --from-client reads the installed client")
        output_file(args.out, "--out")
        return _spec_from_client(api.slug, api.module, args.out)
    if api.slug != "h2o3":
        # the committed contracts of these APIs are what --from-client writes, not documents written by hand
        raise ConfigError(
            f"{api.slug} does not describe itself: add --from-client to build it from its official client"
        )
    from h2oharness.apis.h2o3 import openapi as spec
    from h2oharness.openapi import dump_openapi, validate_openapi

    output_file(args.out, "--out")  # before the server is asked for anything
    if args.snapshot is not None:
        for name in spec.SNAPSHOT_FILES:  # the snapshot's files too: a failure there wrote --out and then stopped
            output_file(args.snapshot / name, "--snapshot")
    source: str = args.source or "snapshot"
    is_url = source.lower().startswith(("http://", "https://"))
    asking = [name for name in ("username", "password_env", "request_deadline") if getattr(args, name) is not None]
    if asking and not is_url:
        option = f"--{asking[0].replace('_', '-')}"
        raise ConfigError(f"{option} is for a server's URL; --from {redact(source)} asks no server")
    if args.request_deadline is not None and not seconds_ok(args.request_deadline):
        raise ConfigError(f"--request-deadline {SECONDS_RULE}")
    if source == "snapshot":
        meta = spec.load_snapshot()
    elif is_url:
        check_url(source, "--from")
        source = lower_scheme(source)
        source, url_user, url_pass = split_userinfo(source)  # credentials in the URL are never printed with it
        # as run and load take them: the option, the URL's user:password@, then H2O3_USERNAME and H2O3_PASSWORD
        user = args.username or url_user or variable(f"{api.env_prefix}_USERNAME")
        if args.password_env and not user:
            # the password alone was dropped, and the server asked with no credentials: a 401 that blamed them
            raise ConfigError("--password-env is the password of --username: give --username too")
        password = _password(args.password_env) or url_pass or variable(f"{api.env_prefix}_PASSWORD")
        auth = (user, password or "") if user else None
        deadline = spec.FETCH_DEADLINE if args.request_deadline is None else args.request_deadline
        meta = spec.fetch_metadata(source.rstrip("/"), auth=auth, timeout=deadline)
    else:
        meta = spec.load_metadata_file(_metadata_folder(source))
    doc = spec.build_openapi(meta)
    validate_openapi(doc)
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    count = sum(1 for item in doc["paths"].values() for key in item if key in methods)
    if not count:
        # a contract of nothing would make every later run test nothing, and pass
        raise SpecError(f"{redact(source)} describes no operations (its routes are empty): no contract written")
    written: list[tuple[Path, str | bytes, str]] = [(args.out, dump_openapi(doc), "--out")]
    if args.snapshot is not None:
        written += [
            (args.snapshot / name, content, "--snapshot") for name, content in spec.snapshot_files(meta).items()
        ]
    write_outputs(written)  # all or none
    if args.snapshot is not None and not meta.version:
        (args.snapshot / spec.VERSION_FILE).unlink(missing_ok=True)  # an earlier snapshot's version is not this one's
    _say(f"wrote {args.out}: {counted(count, 'operation')}")
    return EXIT_OK


#: spec's options that name a server or what to keep of its description, by the argparse field they fill
_SERVER_OPTIONS = {
    "--from": "source",
    "--snapshot": "snapshot",
    "--username": "username",
    "--password-env": "password_env",
    "--request-deadline": "request_deadline",
}


_FROM = (
    "--from takes 'snapshot', the http(s) URL of a running H2O-3, or a folder holding endpoints.json[.gz] and "
    "schemas.json[.gz] (as --snapshot writes them)"
)


def _metadata_folder(source: str) -> Path:
    """The folder ``spec --from`` names; ConfigError for another scheme's URL, a path that is not there, a file."""
    if "://" in source:
        raise ConfigError(f"{_FROM}; got {redact(source)!r}")
    folder = Path(source)
    if not folder.exists():
        raise ConfigError(f"{_FROM}; {folder} does not exist")
    if not folder.is_dir():
        raise ConfigError(f"{_FROM}; {folder} is a file: give the folder holding it and its schemas.json[.gz]")
    return folder


def _spec_from_client(slug: str, module: str, out: Path) -> int:
    import importlib

    from h2oharness.openapi import dump_openapi, validate_openapi

    try:
        generator = importlib.import_module(f"{module}.fromclient")
    except ModuleNotFoundError:
        raise ConfigError(f"{slug} has no generator from its official client ({module}.fromclient)") from None
    doc = generator.openapi_from_client()
    validate_openapi(doc)
    write_output(out, getattr(generator, "HEADER", "") + dump_openapi(doc), "--out")
    count = sum(1 for item in doc["paths"].values() for key in item if key in ("get", "put", "post", "delete", "patch"))
    print(f"wrote {out}: {counted(count, 'operation')}")
    return EXIT_OK


def cmd_baseline(args: argparse.Namespace) -> int:
    """Turn the failures of a report into a known-findings file, so later runs fail only on new ones."""
    import yaml

    from h2oharness.baseline import Baseline, baseline_from_report, entry_dict, load_baseline, refresh
    from h2oharness.report.diff import is_load_report, unreadable
    from h2oharness.report.model import Conformance

    api = get_api(args.api)
    # a report folder names its conformance.json, as for report diff
    report: Path = args.report / "conformance.json" if args.report.is_dir() else args.report
    if args.report.is_dir() and not report.exists() and (args.report / "load.json").is_file():
        report = args.report / "load.json"  # said below as what it is, not as a conformance.json it cannot read
    try:
        text = report.read_text(encoding="utf-8")
    except OSError as exc:
        raise unreadable(report, exc) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{report}: not a conformance report (not UTF-8 text)") from None
    if is_load_report(text):  # its fields are not a conformance report's: it was "unexpected field 'dispatch'"
        raise ConfigError(
            f"{report} is a load run's report, not a conformance report: a baseline is written from the "
            "conformance.json of `h2oharness run`"
        )
    conformance = Conformance.from_json(text, str(report))  # a malformed one is named, as report diff names it
    out: Path = args.out or _suite_root(None) / "contracts" / api.slug / "known_findings.yaml"
    _check_baseline_source(conformance, api.slug, report, args.merge)
    known = load_baseline(out)
    gone: list[str] = []
    stale: list[str] = []
    if args.merge:
        kept: list[dict[str, object]] = list(load_yaml(out.read_text()) or []) if out.is_file() else []
        stale = refresh(known, conformance, api.slug)[1]  # said, not dropped: --merge only adds
    else:
        # a fresh baseline drops only what the report showed gone: the entries of operations it did not test (an
        # --all-operations sweep's, under a default run) and their hand-written reasons and matches stay
        standing, gone = refresh(known, conformance, api.slug)
        known = Baseline(tuple(standing))
        kept = [entry_dict(entry) for entry in standing]
    entries = kept + baseline_from_report(conformance, api.slug, known)
    header = "# Known findings of a real server: every report lists them; only new ones fail a run.\n"
    write_output(out, header + yaml.safe_dump(entries, sort_keys=False, width=120), "--out")
    print(f"wrote {out}: {counted(len(entries), 'entry', 'entries')}")
    if gone:
        print(f"dropped, not seen again on operations the run tested: {', '.join(gone)}")
    if args.merge and stale:
        print(f"kept (--merge), though not seen again on operations the run tested: {', '.join(stale)}")
    return EXIT_OK


def _check_baseline_source(conformance: Conformance, slug: str, path: Path, merge: bool) -> None:
    """ConfigError unless the report tested ``slug`` whole: a baseline written from a run of another API, or from
    one the harness could not finish (a target that could not be used), would replace the known findings with
    fewer; one of the mock alone has no real server's findings. With ``merge`` an unfinished run may add to them,
    since nothing is dropped."""
    from h2oharness.baseline import REAL_TARGETS

    runs = [a for a in conformance.apis if a.slug == slug]
    if not runs:
        held = ", ".join(f"{a.slug} on {a.target}" for a in conformance.apis) or "none"
        raise ConfigError(f"{path} holds no report of {slug} (it has: {held}); nothing to write a baseline from")
    real = [a for a in runs if a.target in REAL_TARGETS]
    if not real:
        # a mock's failures are its own bugs or the faults it was told to inject: written as a real server's known
        # findings (over contracts/<api>/known_findings.yaml by default), they excused them on real servers
        kinds = " and ".join(sorted({a.target for a in runs}))
        raise ConfigError(
            f"{path} holds {slug} on {kinds} only: a baseline names a real server's known findings, from a run "
            "with --target local or live"
        )
    runs = real
    unfinished = next((a for a in runs if a.errors), None)
    if unfinished is not None and not merge:
        raise ConfigError(
            f"{path}: the harness could not run all of {slug} on {unfinished.target} ({unfinished.errors[0]}); "
            "a baseline from it would drop the findings it could not test: run again, or pass --merge to add to "
            "the entries already there"
        )


def cmd_load(args: argparse.Namespace) -> int:
    """Run a load profile and turn its SLO verdicts into the exit code."""
    from h2oharness.loadentries import check_slo_entries
    from h2oharness.loadrunner import (
        SHAPE_OPTIONS,
        LoadRun,
        check_shape,
        execute,
        exit_code,
        find_profile,
        parse_duration,
    )
    from h2oharness.mocks.faults import FaultPlan
    from h2oharness.report.loadsummary import parse_override, refuse_repeated

    # each said on its own, with what was given, in the words of the option (LoadRun checks the same of a run made
    # in Python, in the words of its fields)
    for option, text in (("--run-time", args.run_time), ("--max-time", args.max_time)):
        if text is not None and not parse_duration(text) > 0:
            raise ConfigError(f"{option} must be a positive duration, got {text!r}")
    check_shape(
        {**{name: getattr(args, name) for name in SHAPE_OPTIONS}, "run_time": parse_duration(args.run_time)},
        label=lambda name: f"--{name.replace('_', '-')}",
    )
    cut = args.max_time is not None and parse_duration(args.max_time) <= parse_duration(args.run_time)
    if cut and not args.find_capacity:
        # the run was stopped at --max-time, exit 3, with figures of a shorter load than asked for
        raise ConfigError(
            f"--max-time {args.max_time} stops the load before its --run-time {args.run_time} is over: give a longer "
            "--max-time (it bounds the whole run: the start, the load, its users' last tasks), or leave it out"
        )
    _live_only(args, check_kind(args.target))
    if args.mock_faults is not None and args.target != "mock":
        raise ConfigError(f"--mock-faults is for --target mock; a {args.target} target injects no faults of ours")
    searching = [f"--{name.replace('_', '-')}" for name in _SEARCH_OPTIONS if getattr(args, name) is not None]
    if searching and not args.find_capacity:
        raise ConfigError(f"{searching[0]} is for --find-capacity; a run at one rate would ignore it")
    # the Locust processes get these settings from the run alone: what no option gives comes from its variable
    settings = Settings.from_env()
    given = {name: getattr(args, name) for name in ("request_deadline", "stream_deadline", "arrival_seed")}
    given = {name: getattr(settings, name) if value is None else value for name, value in given.items()}
    run = LoadRun(
        profile=find_profile(args.profile, _suite_root(args.suite_dir, "loadtests")),
        target=args.target,
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time=parse_duration(args.run_time),
        arrival_rate=args.arrival_rate,
        workers=args.workers,
        report_dir=args.report_dir,
        slo_overrides=refuse_repeated([parse_override(text) for text in args.slo], "--slo"),
        allowed_hosts=list(args.allow_host),
        mock_speed=args.mock_speed,
        mock_faults=FaultPlan.from_file(args.mock_faults) if args.mock_faults else None,
        request_deadline=given["request_deadline"],
        stream_deadline=given["stream_deadline"],
        url=args.url,
        username=args.username,
        password=_password(args.password_env),
        token=_password(args.api_key_env, "--api-key-env"),
        max_time=parse_duration(args.max_time) if args.max_time else None,
        arrival_process=args.arrival_process or settings.arrival_process or "constant",
        arrival_seed=given["arrival_seed"],
        max_dispatch_delay=args.max_dispatch_delay,
        stop_timeout=args.stop_timeout,
    )
    if run.mock_faults is not None:
        check_fault_plan(run.mock_faults, [run.profile.api], str(args.mock_faults))
    # an SLO on an entry the profile never records was reported broken only once the whole load had run
    for warning in check_slo_entries(run.profile, run.slo_overrides):
        _say(f"h2oharness: warning: {warning}", sys.stderr)
    search = _search(args)  # before the report folder is made: a refused search leaves none behind
    if args.target == "live":
        _live_load_allowed(run.profile.api, args.url, run.allowed_hosts)
    output_dir(args.report_dir, "--report-dir")
    if search is not None:
        return _find_capacity(run, search)
    summary = execute(run)
    _say(summary.summary)
    out = run.report_dir.resolve()
    _say(f"reports: {out / 'load.html'}, {out / 'load.json'}, {out / 'locust.html'}, {out / 'locust_stats.csv'}")
    return exit_code(summary)


#: the options of ``load --find-capacity`` alone (the fields of h2oharness.capacity.Search, bar the resolution's name)
def _live_load_allowed(api: ApiInfo, url: str | None, allowed_hosts: Sequence[str]) -> None:
    """ConfigError, before the report folder is made, for a live load with no URL, a malformed one, or one whose host
    load may not reach (the run checks again as it opens the target)."""
    from h2oharness.allowlist import check_allowed

    check_allowed(split_userinfo(given_url(api, url, "--url"))[0], allowed_hosts)


_SEARCH_OPTIONS = ("min_rate", "max_rate", "window", "windows", "windows_to_pass", "warmup", "rate_resolution")


def _search(args: argparse.Namespace) -> Search | None:
    """The capacity search ``load --find-capacity`` asks for (None without it); ConfigError for options it refuses."""
    from h2oharness.capacity import Search
    from h2oharness.loadrunner import parse_duration

    if not args.find_capacity:
        return None
    if args.arrival_rate is not None:
        raise ConfigError("--find-capacity chooses the arrival rates itself: drop --arrival-rate")
    given = {name: getattr(args, name) for name in _SEARCH_OPTIONS if getattr(args, name) is not None}
    for name in ("window", "warmup"):
        if name in given:
            given[name] = parse_duration(given[name])
    if "rate_resolution" in given:
        given["resolution"] = given.pop("rate_resolution")
    return Search(**given)  # what is not given keeps the search's defaults


def _find_capacity(run: Any, search: Search) -> int:
    """``load --find-capacity``: search the rate, print the answer; exit 0 when a rate in range held, else 1."""
    from h2oharness.capacity import find_capacity

    summary, found = find_capacity(run, search)
    _say(summary.summary)
    out = run.report_dir.resolve()
    _say(f"reports: {out / 'load.html'}, {out / 'load.json'}; each rate's under {out / 'capacity'}")
    _say(str((summary.capacity or {}).get("answer", "capacity: unknown")))
    return EXIT_OK if found is not None else EXIT_VIOLATION


def cmd_report(args: argparse.Namespace) -> int:
    """``report diff``: print what changed between two reports; exit 1 on a regression."""
    from h2oharness.report.diff import diff_reports, read_report, render_diff

    old, new = read_report(args.old), read_report(args.new)
    diff = diff_reports(old, new)
    print(render_diff(diff))
    return EXIT_VIOLATION if diff.regressions else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run the command, map errors to exit codes with a one-line message."""
    args = _parser().parse_args(argv)
    commands = {
        "run": cmd_run,
        "serve": cmd_serve,
        "spec": cmd_spec,
        "baseline": cmd_baseline,
        "load": cmd_load,
        "report": cmd_report,
    }
    try:
        return commands[args.command](args)
    except HarnessError as exc:
        # one line, always: the first line of a validator's essay says what is wrong; an echoed secret is masked
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        print(redact(f"h2oharness: error: {first}", known_secrets(*_given_secrets(args))), file=sys.stderr)
        return EXIT_HARNESS_ERROR
    except Stopped as exc:
        print(f"h2oharness: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        stopped = Stopped(signal.SIGINT)
        print(f"h2oharness: {stopped}", file=sys.stderr)
        return stopped.exit_code


if __name__ == "__main__":
    sys.exit(main())
