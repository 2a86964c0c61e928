"""Known findings of a real server: reported every run, but only new ones fail the build.

A real H2O-3 has defects of its own (a 500 on some bad input, a response that
breaks its own metadata). They are true results and the conformance report
lists them every time; a baseline file names the ones already known, so a CI
run against a real server fails on what is new rather than on what was always there.

Example (``contracts/h2o3/known_findings.yaml``)::

    - check: ST204
      operations: "*"
      reason: "Jetty answers TRACE with 405 and no Allow header"
    - check: ST108
      operations: ["GET /3/ModelBuilders"]
      targets: [mock, local, live]
      reason: "'Stable' is missing from the metadata's visibility enum; the mock mirrors the real answer"
    - check: ST101
      operations: "*"
      match: "-X QUERY"
      reason: "Jetty answers the QUERY method with 501"
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from h2oharness.apis import get_api
from h2oharness.errors import SpecError
from h2oharness.words import counted
from h2oharness.yamlinput import read_yaml

if TYPE_CHECKING:
    from h2oharness.report.model import Conformance

#: By default a known finding is a real server's: our own mock must conform, unless an entry says it mirrors
#: a real defect that clients depend on (``targets: [mock, local, live]``).
REAL_TARGETS = ("local", "live")


@dataclass(frozen=True)
class KnownFinding:
    """A check code seen on some operations (``"*"`` for all) of a real server, and why it is accepted."""

    check: str
    operations: tuple[str, ...] | None
    reason: str
    match: str | None = None
    targets: tuple[str, ...] = REAL_TARGETS

    def covers(self, operation: str, check: str, text: str = "", target: str = "local") -> bool:
        """Whether this entry accounts for ``check`` failing on ``operation`` ("METHOD /path").

        ``text`` is the failure's message and reproduction; an entry with ``match`` covers it only when the
        regular expression is found there.
        """
        if check != self.check or target not in self.targets:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        return self.match is None or re.search(self.match, text) is not None


@dataclass(frozen=True)
class Baseline:
    """All known findings of one API."""

    entries: tuple[KnownFinding, ...] = ()

    def reason(self, operation: str, check: str, text: str = "", target: str = "local") -> str | None:
        """Why ``check`` failing on ``operation`` of a ``target`` kind is known, or None when it is new."""
        for entry in self.entries:
            if entry.covers(operation, check, text, target):
                return entry.reason
        return None

    def unknown(self, operation: str, checks: Iterable[tuple[str, str]], target: str = "local") -> list[str]:
        """The checks among ``(check, text)`` pairs that this baseline does not know for ``operation``."""
        return [c for c, text in checks if self.reason(operation, c, text, target) is None]


def load_baseline(path: Path) -> Baseline:
    """Read a known-findings file; an absent file is an empty baseline, a malformed one a SpecError."""
    if not path.is_file():
        return Baseline()
    # every contract test asks for its API's baseline: read each version of the file once
    stat = path.stat()
    return _load_baseline(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_baseline(path: Path, mtime_ns: int, size: int) -> Baseline:
    raw = read_yaml(path, SpecError) or []
    if not isinstance(raw, list):
        raise SpecError(f"{path}: expected a list of findings")
    entries = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("check"), str) or not item.get("reason"):
            raise SpecError(f"{path}: entry {index} needs a 'check' code and a 'reason'")
        ops = item.get("operations", "*")
        if ops != "*" and not (isinstance(ops, list) and all(isinstance(o, str) for o in ops)):
            raise SpecError(f"{path}: entry {index}: 'operations' must be \"*\" or a list of 'METHOD /path'")
        match = item.get("match")
        if match is not None:
            try:
                re.compile(match)
            except (re.error, TypeError) as exc:
                raise SpecError(f"{path}: entry {index}: 'match' is not a regular expression: {exc}") from None
        targets = item.get("targets", list(REAL_TARGETS))
        if not (isinstance(targets, list) and targets and set(targets) <= {"mock", "local", "live"}):
            raise SpecError(f"{path}: entry {index}: 'targets' must be a list of mock, local, live")
        operations = None if ops == "*" else tuple(ops)
        entries.append(KnownFinding(item["check"], operations, str(item["reason"]), match, tuple(targets)))
    return Baseline(tuple(entries))


def baseline_from_report(report: Conformance, slug: str, known: Baseline | None = None) -> list[dict[str, object]]:
    """Known-findings entries (check code -> operations) for the failures of ``slug`` in a report.

    Failures that ``known`` already covers are left out, so the result can be appended to it.
    """
    known = known or Baseline()
    by_check: dict[str, tuple[str, set[str]]] = {}
    version = ""
    for api in report.apis:
        if api.slug != slug or api.target not in REAL_TARGETS:  # the mock must conform: it has no known findings
            continue
        version = version or api.target_version
        for op in api.operations:
            label = f"{op.method} {op.path}"
            for failure in op.failures:
                code, _, title = failure.check.partition(" ")
                text = f"{failure.message}\n{failure.curl or ''}"
                if known.reason(label, code, text, api.target or "local") is not None:
                    continue
                by_check.setdefault(code, (title or code, set()))[1].add(label)
    name = get_api(slug).server_name  # where the report's servers said their version, it is that API's
    server = f"{name} {version}" if version else f"the real {name} server"
    return [
        {"check": code, "operations": sorted(ops), "reason": f"{title} on {server}, found by the contract sweep"}
        for code, (title, ops) in sorted(by_check.items())
    ]


def entry_dict(entry: KnownFinding) -> dict[str, object]:
    """A known-findings file's entry for ``entry``, written with the fields it was read from."""
    out: dict[str, object] = {
        "check": entry.check,
        "operations": "*" if entry.operations is None else list(entry.operations),
    }
    if entry.match is not None:
        out["match"] = entry.match
    if entry.targets != REAL_TARGETS:
        out["targets"] = list(entry.targets)
    out["reason"] = entry.reason
    return out


def refresh(known: Baseline, report: Conformance, slug: str) -> tuple[list[KnownFinding], list[str]]:
    """The entries of ``known`` that ``report`` leaves standing, and what it showed gone (``"ST101 GET /x"``).

    An entry stands on each operation where the report's real-server run saw it again, and on each the run did
    not test (another scope, a target kind the entry is not for): a default run says nothing of the findings of an
    ``--all-operations`` sweep. A ``"*"`` entry goes only when the run tested every operation and none showed it.
    """
    runs = [api for api in report.apis if api.slug == slug and api.target in REAL_TARGETS]
    kept: list[KnownFinding] = []
    gone: list[str] = []
    for entry in known.entries:
        applying = [api for api in runs if api.target in entry.targets]
        tested: set[str] = set()
        seen: set[str] = set()
        complete = bool(applying)
        for api in applying:
            for op in api.operations:
                label = f"{op.method} {op.path}"
                if op.outcome == "untested":
                    complete = False
                    continue
                tested.add(label)
                for failure in op.failures:
                    text = f"{failure.message}\n{failure.curl or ''}"
                    if entry.covers(label, failure.check.partition(" ")[0], text, api.target):
                        seen.add(label)
        if entry.operations is None:
            if seen or not complete:
                kept.append(entry)
            else:
                gone.append(f"{entry.check} *")
            continue
        standing = tuple(op for op in entry.operations if op in seen or op not in tested)
        gone.extend(f"{entry.check} {op}" for op in entry.operations if op not in standing)
        if standing:
            kept.append(dataclasses.replace(entry, operations=standing))
    # entries of one check on one operation (two matches, two reasons) go as one
    return kept, list(dict.fromkeys(gone))


#: how many of them the end of a run names
NAMED = 8


def not_seen_lines(report: Conformance, root: Path, report_dir: Path) -> list[str]:
    """A line per API whose known findings (``root/contracts/<api>/known_findings.yaml``) the report's real-server run
    did not see on operations it tested: fixed, or not drawn this time; a baseline from the report drops them.

    An API the harness could not run whole says nothing: its untested operations are not in the report as such.
    """
    lines = []
    for slug in dict.fromkeys(api.slug for api in report.apis if api.target in REAL_TARGETS and not api.errors):
        known = load_baseline(root / "contracts" / slug / "known_findings.yaml")
        _, gone = refresh(known, report, slug)
        if gone:
            # a default run after a sweep may not draw a hundred of them: the line names a few, baseline all
            named = ", ".join(gone[:NAMED]) + (f" and {len(gone) - NAMED} more" if len(gone) > NAMED else "")
            lines.append(
                f"{slug}: {counted(len(gone), 'known finding')} not seen on the operations this run tested (fixed, "
                f"or not drawn this time): {named}; `h2oharness baseline --from {report_dir} --api {slug}` drops "
                "them, naming each"
            )
    return lines
