"""The conformance report's view model from the collected records: grouped per API and target kind."""

from __future__ import annotations

import functools
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from h2oharness.apis import get_api
from h2oharness.errors import SpecError
from h2oharness.http.naming import contract_operations, documented_operations
from h2oharness.openapi import check_spec_file
from h2oharness.pytest_plugin.options import SETTINGS
from h2oharness.pytest_plugin.recording import api_of
from h2oharness.report.build import OperationRecord, build_conformance, merge_operations, with_answers
from h2oharness.report.model import ApiReport, DriftEntry, Excluded, Failure, ScenarioResult
from h2oharness.runoptions import run_options, run_scope
from h2oharness.settings import known_secrets
from h2oharness.sweep import load_destructive

#: how the report's error for the tests a stop kept from running begins
STOPPED = "the run was stopped"

if TYPE_CHECKING:
    from h2oharness.report.model import Conformance


def build_report(
    config: pytest.Config,
    records: list[dict[str, Any]],
    drift: list[dict[str, Any]],
    crashes: list[dict[str, Any]],
    started: float,
    collect_errors: Sequence[tuple[str, str]] = (),
    not_run: Collection[str] = (),
    not_collected: Collection[str] = (),
    pytest_status: int = 0,
) -> Conformance:
    """The report's view model from the collected records: one API report per API and target kind.

    ``collect_errors`` are (node id, why) of modules pytest could not collect: errors of their API, whose run
    then exits 3, since their tests never ran. ``not_run`` are the node ids of the collected tests a session that
    was stopped early did not run: an error of each API that has some, for the same reason (a baseline or a diff
    would take the report for a whole run). ``not_collected`` are the slugs of the APIs such a session was stopped
    before it collected any of their tests: an error of each too, not an API missing from the report.
    ``pytest_status`` is the session's exit status (``build_conformance``).
    """
    # tests bound to no target (document checks) join each of their API's groups
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        if rec.get("target"):
            groups.setdefault((rec["api"], rec["target"]["kind"]), []).append(rec)
    for rec in records:
        if not rec.get("target"):
            kinds = [k for (a, k) in groups if a == rec["api"]] or [""]
            for kind in kinds:
                groups.setdefault((rec["api"], kind), []).append(rec)
    unrun: dict[str, list[str]] = {}
    root = Path(str(config.rootpath))
    for nodeid, why in collect_errors:
        found = api_of(root, root / nodeid.split("::")[0])
        if found is not None:
            slug = found[0]
            unrun.setdefault(slug, []).append(f"cannot collect {nodeid}: {why}")
            if not any(a == slug for a, _ in groups):
                groups[(slug, config.stash[SETTINGS].target.split(",")[0])] = []
    missing: dict[str, int] = {}
    for nodeid in not_run:
        found = api_of(root, root / nodeid.split("::")[0])
        if found is not None:
            missing[found[0]] = missing.get(found[0], 0) + 1
    for slug, count in sorted(missing.items()):
        of = sum(1 for r in records if r.get("api") == slug) + count
        unrun.setdefault(slug, []).append(f"{STOPPED}: {count} of its {of} tests did not run (a resumed run runs them)")
        if not any(a == slug for a, _ in groups):
            groups[(slug, config.stash[SETTINGS].target.split(",")[0])] = []
    for slug in sorted(set(not_collected) - {a for a, _ in groups}):
        unrun.setdefault(slug, []).append(
            f"{STOPPED} before it collected this API's tests: none of them ran (a resumed run runs them)"
        )
        groups[(slug, config.stash[SETTINGS].target.split(",")[0])] = []
    apis = [
        _api_report(config, drift, crashes, slug, kind, recs, unrun.get(slug, []))
        for (slug, kind), recs in sorted(groups.items())
    ]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    settings = config.stash[SETTINGS]
    options = run_options(settings, config.args, root, config.invocation_params.dir)
    scope = run_scope(options, settings, config.option.keyword or "", config.option.markexpr or "")
    return build_conformance(apis, _version(), at, time.time() - started, report_secrets(), pytest_status, scope)


def read_given_documents(config: pytest.Config) -> None:
    """Read the operations of each document given with ``--spec`` now, for the report: read at the end, a large one
    (H2O-3's, 2 MB) kept a stopped run (``--max-time``) seconds past its limit."""
    for override in config.stash[SETTINGS].specs.values():
        given_operations(Path(override))


def given_operations(path: Path) -> tuple[list[tuple[str, str]], str]:
    """(METHOD, path) of every operation of a document given with ``--spec``, and why it is unusable ("" if it is
    not); read once per process while the file is unchanged."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(path), 0, -1)  # check_spec_file says why it cannot be read
    return _given_operations(*key)


@functools.lru_cache(maxsize=8)
def _given_operations(path: str, mtime_ns: int, size: int) -> tuple[list[tuple[str, str]], str]:
    # libyaml's parse, not the full check (PyYAML's parser, then openapi-spec-validator: 10 s for H2O-3's on a busy
    # machine, more for a controller whose workers collect meanwhile): the contract module checks it fully as it is
    # collected, and one it cannot use is that module's collection error, an error of the API in the report
    try:
        documented = documented_operations(Path(path))
    except Exception:  # whatever libyaml (or a paths entry of another shape) raised, the full check words it
        documented = []
    if documented:
        return documented, ""
    try:
        check_spec_file(Path(path))  # the contract test could not collect either: said once, not a crash
    except SpecError as exc:
        return [], str(exc)
    # valid, and libyaml read no operation or stopped where PyYAML's parser, as the check's, goes on
    return documented_operations(Path(path), fast=False), ""


def _api_report(
    config: pytest.Config,
    drift: list[dict[str, Any]],
    crashes: list[dict[str, Any]],
    slug: str,
    kind: str,
    recs: list[dict[str, Any]],
    collect_errors: list[str],
) -> ApiReport:
    api = get_api(slug)
    override = config.stash[SETTINGS].specs.get(api.env_prefix)
    # the committed contracts are read by a line scan (tests/http/test_naming.py checks it agrees with a full parse,
    # which takes 1.6 s for H2O-3's); a document given with --spec may be written any way YAML or JSON allows
    spec_errors: list[str] = []
    if override:
        documented, problem = given_operations(Path(override))
        spec_errors = [f"the OpenAPI document given for {slug}: {problem}"] if problem else []
    else:
        documented = contract_operations(Path(str(config.rootpath)) / api.contract)
    ops = [
        OperationRecord(
            r["method"],
            r["path"],
            r["outcome"] == "passed",
            tuple(Failure(**f) for f in r["failures"]),
            r.get("cases", 0),
        )
        for r in recs
        if r["suite"] == "contract" and "method" in r and r["outcome"] != "skipped"
    ]
    # a request that killed the server: found by whichever test saw the outage, reported on its operation
    ops += [
        OperationRecord(c["method"], c["path"], False, (Failure(**c["failure"]),))
        for c in crashes
        if (c["api"], c["kind"]) == (slug, kind)
    ]
    scenarios = tuple(
        ScenarioResult(
            r["name"],
            r["outcome"],
            "; ".join(f["message"].splitlines()[0] for f in r["failures"] if f["message"])
            or r.get("skip_reason", "")
            or (r["error"] or ""),
            r["duration"],
            bool(r.get("known")),
            flow=r["suite"] != "scenario",
        )
        for r in recs
        # flows and document checks inside contracts/ (stateful sequences, seed replays) read as scenarios
        if r["suite"] == "scenario" or "method" not in r
    )
    found = {(d["source"], d["what"], d["expected"], d["observed"]) for d in drift if d["api"] == slug}
    target = next((r["target"] for r in recs if r.get("target")), None) or {}
    return ApiReport(
        slug=slug,
        title=api.title,
        target=kind or "none",
        target_url=target.get("url", ""),
        target_version=target.get("version", ""),
        operations=with_answers(merge_operations(documented, ops), (r.get("answers") or {} for r in recs)),
        scenarios=scenarios,
        drift=tuple(DriftEntry(*d) for d in sorted(found)),
        errors=tuple(sorted({r["error"] for r in recs if r.get("error")} | set(collect_errors) | set(spec_errors))),
        excluded=_excluded(config, slug),
        mock_faults=(config.stash[SETTINGS].mock_faults or "") if kind == "mock" else "",
    )


def _excluded(config: pytest.Config, slug: str) -> tuple[Excluded, ...]:
    if config.stash[SETTINGS].include_destructive:
        return ()
    path = Path(str(config.rootpath)) / "contracts" / slug / "destructive.yaml"
    return tuple(Excluded(m, p, why) for (m, p), why in sorted(load_destructive(path).items()))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("h2oharness")
    except PackageNotFoundError:
        return "0+unknown"


def report_secrets() -> tuple[str, ...]:
    """Every password and token the environment holds for the registered APIs, for redaction."""
    return known_secrets()
