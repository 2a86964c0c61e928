"""The harness's settings: every ``HARNESS_*`` variable, and the one module that reads the process environment.

``Settings`` names each variable once. ``from_env()`` reads them (the pytest plugin,
the contract driver, Locust processes), ``to_env()`` writes them for a child
process (``h2oharness run`` hands pytest the servers it started or probed, ``load``
hands Locust the credentials), ``export()`` puts them into this process for the
xdist workers it will start. The APIs' own variables (``H2O3_URL``,
``WORKFLOWS_REFRESH_TOKEN``...) are read with ``variable()``.

One rule for values that name nothing: a variable set empty or blank (only whitespace) counts as unset, as
in most tools; an option given an empty or blank value on a command line is a mistake, refused by ``nonblank()``
(an empty ``--report-dir ""`` named the current folder, an empty ``--host ""`` every interface).

Example:
    settings = Settings.from_env()
    child = settings.replace(all_operations=True).child_environment()
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from h2oharness.errors import ConfigError

PREFIX = "HARNESS_"


@dataclass(frozen=True)
class Handed:
    """A server the CLI started or probed for one API, handed down to pytest or Locust; ``repr`` hides secrets."""

    kind: str = ""
    url: str = ""
    version: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    #: why the CLI could not use this live target (unreachable, refused credentials, no URL): its tests fail with it
    error: str = ""


# field name -> (variable, kind) for the plain settings; per-API ones are HARNESS_<PREFIX>_<NAME>
_PLAIN: dict[str, tuple[str, type]] = {
    "target": ("HARNESS_TARGET", str),
    "seed": ("HARNESS_SEED", int),
    "max_examples": ("HARNESS_MAX_EXAMPLES", int),
    "all_operations": ("HARNESS_ALL_OPERATIONS", bool),
    "include_destructive": ("HARNESS_INCLUDE_DESTRUCTIVE", bool),
    "real_keys": ("HARNESS_REAL_KEYS", bool),
    "max_restarts": ("HARNESS_MAX_RESTARTS", int),
    "confirm_replays": ("HARNESS_CONFIRM_REPLAYS", int),
    "keep_server_dirs": ("HARNESS_KEEP_SERVER_DIRS", bool),
    "load_users": ("HARNESS_LOAD_USERS", int),
    "arrival_rate": ("HARNESS_ARRIVAL_RATE", float),
    "load_worker_dir": ("HARNESS_LOAD_WORKER_DIR", str),
    "arrival_process": ("HARNESS_ARRIVAL_PROCESS", str),
    "arrival_seed": ("HARNESS_ARRIVAL_SEED", int),
    "load_record_dir": ("HARNESS_LOAD_RECORD_DIR", str),
    "load_outcome_dir": ("HARNESS_LOAD_OUTCOME_DIR", str),
    "load_window": ("HARNESS_LOAD_WINDOW", float),
    "load_warmup": ("HARNESS_LOAD_WARMUP", float),
    "load_windows": ("HARNESS_LOAD_WINDOWS", int),
    "max_dispatch_delay": ("HARNESS_MAX_DISPATCH_DELAY", float),
    "allowed_hosts": ("HARNESS_ALLOWED_HOSTS", str),
    "job_timeout": ("HARNESS_JOB_TIMEOUT", float),
    "stream_deadline": ("HARNESS_STREAM_DEADLINE", float),
    "stall_seconds": ("HARNESS_STALL_SECONDS", float),
    "h2o3_load_rows": ("HARNESS_H2O3_LOAD_ROWS", int),
    "mock_faults": ("HARNESS_MOCK_FAULTS", str),
    "request_deadline": ("HARNESS_REQUEST_DEADLINE", float),
    "test_deadline": ("HARNESS_TEST_DEADLINE", float),
    "run_deadline": ("HARNESS_RUN_DEADLINE", float),
    "deadline": ("HARNESS_DEADLINE", int),
    "budget": ("HARNESS_BUDGET", str),
    "checked_specs": ("HARNESS_CHECKED_SPECS", str),
}
# fields whose value cannot mean a run at all below this floor (0 or less, or NaN): refused when read, not
# failed in every request or test later
_POSITIVE = ("request_deadline", "stream_deadline", "test_deadline", "run_deadline", "job_timeout", "stall_seconds")
#: the longest time a deadline may give, in seconds (a leap year): a test's and the run's deadline is a timer
#: (setitimer), which ends in an OverflowError far past it (inf, 1e12)
MAX_SECONDS = 366 * 86400
#: field -> the least it may be, and why
_AT_LEAST = {
    "max_examples": (1, ""),
    # a real 3.46.0.12 refused 19: "The dataset size is too small to split for min_rows=10.0: must have at least
    # 20.0 (weighted) rows"; below that every GBM of the h2o3 load profiles failed, counted against the server
    "h2o3_load_rows": (20, ": the profiles' GBM (min_rows 10 by default) needs twice that, or H2O-3 refuses it"),
}
#: counts whose 0 already means "none" (no restart, crashes reported unconfirmed): a negative one is a mistake
_NOT_NEGATIVE = ("max_restarts", "confirm_replays")
_CHOICES = {"arrival_process": ("constant", "poisson")}
# suffix of HARNESS_<API PREFIX><suffix> -> Handed field ("_SPEC" is a spec override)
_HANDED = {
    "_API_KEY": "token",
    "_KIND": "kind",
    "_URL": "url",
    "_VERSION": "version",
    "_USERNAME": "username",
    "_PASSWORD": "password",
    "_ERROR": "error",
    "_SPEC": "",
}


@dataclass(frozen=True)
class Settings:
    """Every ``HARNESS_*`` setting; a field left None means "the default of whoever reads it"."""

    #: target kinds, comma-separated (``--harness-target``)
    target: str = "mock"
    #: schemathesis seed for the contract runs (else contracts/<api>/schemathesis.toml's)
    seed: int | None = None
    #: hypothesis examples per operation
    max_examples: int = 10
    all_operations: bool = False
    include_destructive: bool = False
    real_keys: bool = False
    #: restarts of a local server a request killed, per worker
    max_restarts: int = 4
    #: replays on fresh local servers to confirm and reduce each crash
    confirm_replays: int = 12
    #: keep a stopped local server's working directory (its logs)
    keep_server_dirs: bool = False
    # read by the Locust processes that ``h2oharness load`` starts
    load_users: int = 1
    arrival_rate: float | None = None
    load_worker_dir: str | None = None
    #: open model: "constant" or "poisson" gaps between arrivals, and the seed of their random draws
    arrival_process: str | None = None
    arrival_seed: int | None = None
    #: where each Locust process writes its arrivals (``arrivals-<pid>.json``), and the windows it counts them in
    load_record_dir: str | None = None
    #: where each Locust process writes the times of its successes and failures apart (``outcomes-<pid>.json``)
    load_outcome_dir: str | None = None
    load_window: float | None = None
    load_warmup: float | None = None
    #: with a window: how many the run judges, and the p99 dispatch delay (ms) past which a process stops early
    load_windows: int | None = None
    max_dispatch_delay: float | None = None
    #: hosts beyond loopback that load may reach, comma-separated (``--allow-host``): redirects elsewhere are refused
    allowed_hosts: str = ""
    job_timeout: float | None = None
    stream_deadline: float | None = None
    stall_seconds: float | None = None
    h2o3_load_rows: int | None = None
    #: a fault plan file the mocks of this run inject (mocks/faults.py)
    mock_faults: str | None = None
    #: seconds for one request in all (connect to last byte), one test, and the whole pytest run
    request_deadline: float | None = None
    test_deadline: float | None = None
    run_deadline: float | None = None
    #: epoch second at which the pytest or Locust child of ``run``/``load`` ends itself, harness alive or not
    deadline: int | None = None
    #: a time budget for the sweep (``90s``, ``30m``, ``1h``): it keeps generating until spent (h2oharness/budget.py)
    budget: str | None = None
    #: per API env prefix (``H2O3``): the server handed down by the CLI
    handed: Mapping[str, Handed] = field(default_factory=dict)
    #: per API env prefix: the OpenAPI document to test against instead of contracts/<slug>/openapi.yaml
    specs: Mapping[str, str] = field(default_factory=dict)
    #: the SHA-256 of each of those documents already found valid, comma-separated: a child process (an xdist
    #: worker, the pytest of ``run``) takes the same bytes without checking them again (seconds for H2O-3's)
    checked_specs: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (the process environment by default); ConfigError names a malformed one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (variable, kind) in _PLAIN.items():
            raw = env.get(variable, "")
            if blank(raw):
                continue
            values[name] = _parse(variable, raw, kind)
            if name in _POSITIVE and not seconds_ok(values[name]):
                raise ConfigError(f"{variable}={raw!r} {SECONDS_RULE}")
            if name in _AT_LEAST and values[name] < _AT_LEAST[name][0]:
                least, why = _AT_LEAST[name]
                raise ConfigError(f"{variable}={raw!r} must be at least {least}{why}")
            if name in _NOT_NEGATIVE and values[name] < 0:
                raise ConfigError(f"{variable}={raw!r} must be 0 or more")
            if name in _CHOICES and values[name] not in _CHOICES[name]:
                raise ConfigError(f"{variable}={raw!r}: choose {' or '.join(_CHOICES[name])}")
        handed: dict[str, Handed] = {}
        specs: dict[str, str] = {}
        for variable, value in env.items():
            rest = variable[len(PREFIX) :] if variable.startswith(PREFIX) else ""
            suffix = next((s for s in _HANDED if rest.endswith(s)), None)
            api_prefix = rest[: -len(suffix)] if suffix else ""
            if suffix == "_SPEC" and api_prefix:
                if not blank(value):
                    specs[api_prefix] = value
            elif suffix and api_prefix and any(f"{PREFIX}{api_prefix}{k}" in env for k in ("_URL", "_ERROR")):
                handed[api_prefix] = dataclasses.replace(handed.get(api_prefix, Handed()), **{_HANDED[suffix]: value})
        return cls(**values, handed=handed, specs=specs)

    def to_env(self, only: Collection[str] | None = None) -> dict[str, str]:
        """The variables that carry these settings (or ``only`` those fields) to a child process, defaults left out."""
        default = Settings()
        env: dict[str, str] = {}
        for name, (variable, kind) in _PLAIN.items():
            if only is not None and name not in only:
                continue
            value = getattr(self, name)
            if value is None or value == getattr(default, name):
                continue
            env[variable] = ("1" if value else "0") if kind is bool else f"{value:g}" if kind is float else str(value)
        if only is not None:
            return env
        for api_prefix, handed in self.handed.items():
            for suffix, field_name in _HANDED.items():
                value = getattr(handed, field_name) if field_name else None
                if value is not None and (value or field_name == "password"):
                    env[f"{PREFIX}{api_prefix}{suffix}"] = value
        for api_prefix, path in self.specs.items():
            env[f"HARNESS_{api_prefix}_SPEC"] = path
        return env

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def export(self, only: Collection[str]) -> dict[str, str | None]:
        """Put these fields into this process's environment, for what reads them later (and the workers it starts);
        what the variables held before (None: unset), for :func:`restore_environment`."""
        exported = self.to_env(only)
        before = {name: os.environ.get(name) for name in exported}
        os.environ.update(exported)
        return before

    def child_environment(self) -> dict[str, str]:
        """This process's environment for a child process, its ``HARNESS_*`` variables replaced by these settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
        env.update(self.to_env())
        return env

    def secrets(self) -> tuple[str, ...]:
        """Every password and token these settings carry, for redaction."""
        return tuple(s for h in self.handed.values() for s in (h.password, h.token) if s)


def blank(value: str) -> bool:
    """Whether ``value`` names nothing: empty, or only whitespace. A variable so set counts as unset."""
    return not value.strip()


def nonblank(value: str) -> str:
    """``value`` as typed for an option (an argparse ``type``); ArgumentTypeError, one line, when it is blank."""
    if blank(value):
        raise argparse.ArgumentTypeError(f"{value!r} is {'blank' if value else 'empty'}: give a value, or leave it out")
    return value


#: the fewest workers (pytest-xdist's, Locust's) a run may start whatever the machine: above twice its CPUs
MIN_WORKERS_CAP = 64


def max_workers() -> int:
    """The most workers ``run`` and ``load`` start: twice the CPUs, and 64 on a smaller machine (a number far past
    it was xdist's MemoryError traceback, or a process per worker until the machine gave out)."""
    return max(MIN_WORKERS_CAP, 2 * (os.cpu_count() or 1))


#: what a deadline given in seconds must be
SECONDS_RULE = "must be a positive number of seconds, at most a year"


def seconds_ok(value: float) -> bool:
    """Whether ``value`` can be a deadline in seconds: above 0 and at most a year (not NaN, not infinite)."""
    return 0 < value <= MAX_SECONDS


#: what a yes/no variable takes, in any case
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _parse(variable: str, raw: str, kind: type) -> Any:
    if kind is bool:
        word = raw.strip().lower()
        if word not in _TRUE + _FALSE:
            # "ture" or "enabled" read as off: HARNESS_ALL_OPERATIONS=ture ran the default scope, and passed
            raise ConfigError(f"{variable}={raw!r} is neither on nor off: use 1 or 0 (true/false, yes/no, on/off)")
        return word in _TRUE
    if kind is str:
        return raw
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{variable}={raw!r} is not {'a whole number' if kind is int else 'a number'}") from None


def variable(name: str) -> str | None:
    """An API's own environment variable (``H2O3_URL``, ``WORKFLOWS_CLIENT_ID``...), None when unset or blank."""
    value = os.environ.get(name, "")
    return None if blank(value) else value


def secret_variable(name: str | None, option: str) -> str | None:
    """The value of the variable an option names (``--password-env NAME``); ConfigError when it is not set or blank."""
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"{option} names {name}, which is not set")
    if blank(value):
        raise ConfigError(f"{option} names {name}, which is set to {value!r}: a blank secret counts as unset")
    return value


def api_secrets(prefixes: list[str]) -> tuple[str, ...]:
    """The passwords and tokens in the environment for these API prefixes, handed-down ones included.

    A password in a URL's userinfo (``H2O3_URL=http://user:pass@host``) counts too.
    """
    names = [f"{p}_{s}" for p in prefixes for s in ("PASSWORD", "API_KEY", "REFRESH_TOKEN", "CLIENT_SECRET")]
    urls = [f"{p}_{s}" for p in prefixes for s in ("URL", "ISSUER_URL")]
    names += [f"{PREFIX}{n}" for n in names]
    found = [os.environ.get(n) for n in names]
    found += [url_password(os.environ.get(n, "")) for n in (*urls, *(f"{PREFIX}{u}" for u in urls))]
    return tuple(dict.fromkeys(v for v in found if v))


def known_secrets(*extra: str | None) -> tuple[str, ...]:
    """Every secret this process knows, for the one redaction of every output: the registered APIs' passwords,
    API keys, refresh tokens and client secrets in the environment (handed-down ones included), passwords in
    their URLs, and ``extra`` (values the command line named)."""
    from h2oharness.apis import APIS  # the registry imports the APIs' clients, which read settings

    found = api_secrets([a.env_prefix for a in APIS.values()])
    return tuple(dict.fromkeys((*found, *(e for e in extra if e))))


def url_password(url: str) -> str | None:
    """The password in a URL's userinfo (``http://user:pass@host``), percent-decoded; None when it has none."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def restore_environment(before: Mapping[str, str | None]) -> None:
    """Put back the variables :meth:`Settings.export` replaced: a session run in-process (pytester) must not leave
    its scope to the next one of the same process."""
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
