"""The options that define a run (what it tests, on what, how), kept in progress.jsonl so that a resume goes on
with the same run: a ``--resume`` into the folder of a run made with other options merged that run's records into
the new one's report.

The first line of progress.jsonl is ``{"run": {...}}``, written by the pytest plugin's collector; ``h2oharness run
--resume`` checks it before pytest starts (one line, exit 3), and the collector again (a resume through pytest).
What selects tests within a run (``-k``, the tests a stopped run did not reach) and what bounds it in time
(deadlines, ``--max-time``, ``--budget``, workers) may change between its parts; credentials too.

Example:
    options = run_options(settings, paths, root)
    check_resume(report_dir, options)  # ConfigError naming each option that differs
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from h2oharness.apis import APIS
from h2oharness.errors import ConfigError
from h2oharness.settings import Settings
from h2oharness.targets import named_url

#: the file in a report folder that keeps a run's progress, line by line (h2oharness/pytest_plugin/progress.py)
PROGRESS = "progress.jsonl"
#: the key of the line of progress.jsonl that holds the run's options
RUN = "run"
#: what every test's record is written with, and the report is built from
_RECORD_KEYS = ("api", "suite", "name", "nodeid", "outcome")
#: each option as the user names it (the CLI's options; a few are only variables)
_NAMES = {
    "tests": "the tests (--api)",
    "target": "--target",
    "urls": "the live URLs (--url)",
    "all_operations": "--all-operations",
    "include_destructive": "--include-destructive",
    "real_keys": "HARNESS_REAL_KEYS",
    "max_examples": "--max-examples",
    "seed": "HARNESS_SEED",
    "specs": "--spec",
    "mock_faults": "--mock-faults",
}


#: the options that say what a run set out to test, as conformance.json records them (its ``scope``) and report diff
#: compares them: two runs of another scope differ in what they tested, not only in how the API did
SCOPE = {
    "tests": "the tests (--api)",
    "all_operations": "--all-operations",
    "include_destructive": "--include-destructive",
    "real_keys": "HARNESS_REAL_KEYS",
    "max_examples": "--max-examples",
    "budget": "--budget",
    "select": "pytest's -k/-m",
}


def run_scope(options: dict[str, str], settings: Settings, keyword: str = "", markers: str = "") -> dict[str, str]:
    """The scope of a run of ``options`` (``run_options``'s) and ``settings``: what it set out to test, by ``SCOPE``'s
    names; ``keyword`` and ``markers`` are pytest's ``-k`` and ``-m`` selections."""
    selected = " ".join(f"{flag} {value}" for flag, value in (("-k", keyword), ("-m", markers)) if value)
    scope = {name: options.get(name, "") for name in SCOPE}
    return {**scope, "budget": settings.budget or "", "select": selected}


def run_options(
    settings: Settings, tests: Sequence[str | Path], root: Path, base: Path | None = None
) -> dict[str, str]:
    """The options that define a run of ``tests`` (paths, relative to ``base`` when not absolute) under ``root``
    with ``settings`` (the command line's on top of the environment's), each as text."""
    where = (base or root).resolve()
    relative = sorted({_relative((where / path).resolve(), root.resolve()) for path in tests})
    kinds = list(dict.fromkeys(k.strip() for k in settings.target.split(",") if k.strip()))
    urls: dict[str, str] = {}
    if "live" in kinds:
        for api in APIS.values():
            if _tests_api(relative, api.slug):
                handed = settings.handed.get(api.env_prefix)
                urls[api.slug] = (handed.url if handed else "") or named_url(api)
    options = {
        "tests": ", ".join(relative),
        "target": ",".join(kinds),
        "urls": ", ".join(f"{slug} {url}" for slug, url in sorted(urls.items())),
        "all_operations": settings.all_operations,
        "include_destructive": settings.include_destructive,
        "real_keys": settings.real_keys,
        "max_examples": settings.max_examples,
        "seed": settings.seed,
        "specs": ", ".join(f"{prefix}={path}" for prefix, path in sorted(settings.specs.items())),
        "mock_faults": settings.mock_faults,
    }
    return {
        name: "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in options.items()
    }


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _tests_api(tests: Sequence[str], slug: str) -> bool:
    """Whether ``tests`` (relative paths; none: the whole suite) include the contract or a scenario of ``slug``."""
    if not tests:
        return True
    return any(
        t == f"contracts/{slug}" or t.startswith((f"contracts/{slug}/", f"scenarios/test_{slug}_")) for t in tests
    )


def read_progress(report_dir: Path) -> list[dict[str, Any]]:
    """What an earlier run of the same report folder recorded, line by line; a torn last line is dropped, and so
    is any line that is not one of ours (a damaged file): a resume runs those tests again rather than not at all."""
    path = report_dir / PROGRESS
    if not path.is_file():
        return []
    lines = []
    for raw in path.read_bytes().splitlines():
        try:
            line = json.loads(raw)  # bytes that are not UTF-8 are a ValueError too
        except ValueError:
            continue  # the run was killed while writing this line
        if not isinstance(line, dict) or not all(isinstance(value, dict) for value in line.values()):
            continue
        if "record" in line and not all(isinstance(line["record"].get(key), str) for key in _RECORD_KEYS):
            continue
        lines.append(line)
    return lines


def recorded_options(report_dir: Path) -> dict[str, str] | None:
    """The options of the run whose progress ``report_dir`` keeps; None when it keeps none (no progress yet, or the
    progress of a harness that did not record them)."""
    found = next((line[RUN] for line in read_progress(report_dir) if RUN in line), None)
    return None if found is None else {str(k): str(v) for k, v in found.items()}


def _damaged(report_dir: Path) -> bool:
    """Whether the folder's progress.jsonl holds bytes but not one line of a run's progress (a last line cut by a
    kill is not damage: the lines before it stand)."""
    path = report_dir / PROGRESS
    return path.is_file() and path.stat().st_size > 0 and not read_progress(report_dir)


def check_resume(report_dir: Path, options: dict[str, str]) -> None:
    """ConfigError, one line naming each option that differs, when ``report_dir`` keeps the progress of a run made
    with other options than ``options``: a resume would report that run's tests as this one's."""
    if _damaged(report_dir):
        raise ConfigError(
            f"cannot resume the run in {report_dir}: its {PROGRESS} holds no record of a test (damaged, or not a "
            "harness's progress), so a resume would run every test again; start a new run (without --resume, or into "
            "another folder)"
        )
    recorded = recorded_options(report_dir)
    if recorded is None:
        return
    differ = [name for name in _NAMES if recorded.get(name, "") != options.get(name, "")]
    if not differ:
        return
    said = "; ".join(
        f"{_NAMES[name]} {recorded.get(name) or 'none'} then, {options.get(name) or 'none'} now" for name in differ
    )
    raise ConfigError(
        f"cannot resume the run in {report_dir}: it was made with other options ({said}); resume it with the same "
        "ones, or start a new run (without --resume, or into another folder)"
    )
