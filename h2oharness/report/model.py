"""The frozen view model of a conformance run: what the JSON and HTML reports are made from.

``Conformance.to_dict()`` is the layout of ``conformance.json``; ``Conformance.from_dict()`` reads it back
and raises ``ConfigError`` with a one-line message naming the bad field when a file is malformed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar

from h2oharness.errors import ConfigError
from h2oharness.report.defects import Defect, group_defects

__all__ = [
    "FORMAT",
    "OPERATION_OUTCOMES",
    "SCENARIO_OUTCOMES",
    "ApiReport",
    "Conformance",
    "Counts",
    "DriftEntry",
    "Excluded",
    "Failure",
    "OperationOutcome",
    "OperationResult",
    "ScenarioOutcome",
    "ScenarioResult",
]

#: Version of the conformance.json layout; bump it when a field changes meaning or disappears.
FORMAT = 1

OperationOutcome = Literal["passed", "failed", "untested"]
ScenarioOutcome = Literal["passed", "failed", "skipped"]
OPERATION_OUTCOMES: tuple[OperationOutcome, ...] = ("passed", "failed", "untested")
SCENARIO_OUTCOMES: tuple[ScenarioOutcome, ...] = ("passed", "failed", "skipped")

_T = TypeVar("_T")
_MISSING: Any = object()


# --- reading untrusted JSON -------------------------------------------------------------------------------------


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value) if value is None or isinstance(value, bool) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(data: object, where: str, allowed: set[str]) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'top level'}: expected an object, got {_show(data)}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where or 'top level'}: unexpected field {unknown[0]!r}")
    return data


def _field(data: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> object:
    if key in data:
        return data[key]
    if default is _MISSING:
        raise ConfigError(f"{where or 'top level'}: missing field {key!r}")
    return default


def _str(data: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> str:
    value = _field(data, key, where, default)
    if not isinstance(value, str):
        raise ConfigError(f"{_at(where, key)}: expected a string, got {_show(value)}")
    return value


def _text_map(data: Mapping[str, object], key: str, where: str) -> dict[str, str]:
    """An optional object of strings (absent: empty)."""
    value = _field(data, key, where, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{_at(where, key)}: expected an object of strings, got {_show(value)}")
    return {str(k): v for k, v in value.items()}


def _optional_str(data: Mapping[str, object], key: str, where: str) -> str | None:
    value = _field(data, key, where, None)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{_at(where, key)}: expected a string or null, got {_show(value)}")
    return value


def _int(data: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> int:
    value = _field(data, key, where, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{_at(where, key)}: expected a non-negative integer, got {_show(value)}")
    return value


def _float(data: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> float:
    value = _field(data, key, where, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{_at(where, key)}: expected a non-negative number, got {_show(value)}")
    return float(value)


def _choice(data: Mapping[str, object], key: str, where: str, choices: Sequence[_T]) -> _T:
    value = _field(data, key, where)
    for choice in choices:
        if value == choice:
            return choice
    raise ConfigError(f"{_at(where, key)}: expected one of {', '.join(map(str, choices))}, got {_show(value)}")


def _items(
    data: Mapping[str, object], key: str, where: str, read: Callable[[object, str], _T], default: object = _MISSING
) -> tuple[_T, ...]:
    value = _field(data, key, where, default)
    if not isinstance(value, list):
        raise ConfigError(f"{_at(where, key)}: expected a list, got {_show(value)}")
    return tuple(read(item, f"{_at(where, key)}[{index}]") for index, item in enumerate(value))


def _string_item(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where or 'top level'}: expected a string, got {_show(value)}")
    return value


# --- the model --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check with its reproduction; ``count`` is how many identical failures it stands for."""

    check: str
    message: str
    curl: str | None = None
    count: int = 1
    #: the answer that failed the check: status, content type and the head of the body
    response: str | None = None
    #: what identifies the defect behind a server error (report/defects.py), from the full body
    signature: str | None = None
    #: why this failure is a known finding of the target (contracts/<api>/known_findings.yaml): reported, and
    #: not counted against the exit code, so a run fails on what is new
    known: str | None = None
    #: for a request that killed the server: what replaying it on a fresh server showed (h2oharness/confirm.py);
    #: when confirmed, ``curl`` is the minimal request and ``response`` starts with the one first sent
    reproduced: str | None = None
    #: for a crash: the server log's first FATAL line, and the throw site (the first frame of the stack trace
    #: logged with it, below the fatal-error helper); what tells one root cause from another
    fatal: str | None = None
    throw_site: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "check": self.check,
            "message": self.message,
            "curl": self.curl,
            "count": self.count,
            "response": self.response,
            "signature": self.signature,
            "known": self.known,
            "reproduced": self.reproduced,
            "fatal": self.fatal,
            "throw_site": self.throw_site,
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> Failure:
        """Read a failure written by ``to_dict``; ConfigError names the bad field."""
        fields = {"check", "message", "curl", "count", "response", "signature", "known", "reproduced", "fatal"}
        fields.add("throw_site")
        obj = _object(data, where, fields)
        count = _int(obj, "count", where, 1)
        if count < 1:
            raise ConfigError(f"{_at(where, 'count')}: expected at least 1, got {count}")
        return cls(
            _str(obj, "check", where),
            _str(obj, "message", where),
            _optional_str(obj, "curl", where),
            count,
            _optional_str(obj, "response", where),
            _optional_str(obj, "signature", where),
            _optional_str(obj, "known", where),
            _optional_str(obj, "reproduced", where),
            _optional_str(obj, "fatal", where),
            _optional_str(obj, "throw_site", where),
        )


@dataclass(frozen=True, slots=True)
class OperationResult:
    """The verdict on one documented (or exercised) operation: passed, failed or untested."""

    method: str
    path: str
    outcome: OperationOutcome
    cases: int = 0
    failures: tuple[Failure, ...] = ()
    #: the status codes the target answered its valid requests with, and how often, by code
    answers: tuple[tuple[str, int], ...] = ()

    @property
    def success_untested(self) -> bool:
        """It conforms, but no valid request of it was answered with a success (2xx): only its error answers (a 404
        for an id that names nothing, a 401) were checked against the contract, never the answer it exists for."""
        return self.outcome == "passed" and bool(self.answers) and not any(c.startswith("2") for c, _ in self.answers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "method": self.method,
            "path": self.path,
            "outcome": self.outcome,
            "cases": self.cases,
            "answers": dict(self.answers),
            "failures": [failure.to_dict() for failure in self.failures],
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> OperationResult:
        """Read an operation written by ``to_dict``; ConfigError names the bad field."""
        obj = _object(data, where, {"method", "path", "outcome", "cases", "answers", "failures"})
        return cls(
            _str(obj, "method", where),
            _str(obj, "path", where),
            _choice(obj, "outcome", where, OPERATION_OUTCOMES),
            _int(obj, "cases", where, 0),
            _items(obj, "failures", where, Failure.from_dict, []),
            _answers(obj, where),
        )


def _answers(data: Mapping[str, object], where: str) -> tuple[tuple[str, int], ...]:
    """An operation's ``answers`` ({"200": 3, "404": 1}); none in a report written before they were counted."""
    value = _field(data, "answers", where, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{_at(where, 'answers')}: expected an object, got {_show(value)}")
    for code in value:
        if not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isdigit()):
            raise ConfigError(f"{_at(where, 'answers')}: expected HTTP status codes as keys, got {_show(code)}")
    return tuple((code, _int(value, code, _at(where, "answers"))) for code in sorted(value))


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The outcome of one end-to-end flow, such as parse → train → predict."""

    name: str
    outcome: ScenarioOutcome
    message: str = ""
    duration: float = 0.0
    #: set when the flow failed only on known findings of the target: reported, not counted against the exit code
    known: bool = False
    #: a test of contracts/ (a stateful flow, a seed replay, a document check) rather than one of scenarios/
    flow: bool = False

    @property
    def label(self) -> str:
        """``"flow test_h2o3_stateful_flow"`` or ``"scenario test_parse_train"``: how a report line names it."""
        return f"{'flow' if self.flow else 'scenario'} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "outcome": self.outcome,
            "message": self.message,
            "duration": self.duration,
            "known": self.known,
            "flow": self.flow,
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> ScenarioResult:
        """Read a scenario written by ``to_dict``; ConfigError names the bad field."""
        obj = _object(data, where, {"name", "outcome", "message", "duration", "known", "flow"})
        flags = {key: obj.get(key, False) for key in ("known", "flow")}  # absent from reports written before
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise ConfigError(f"{_at(where, key)}: expected true or false, got {_show(value)}")
        return cls(
            _str(obj, "name", where),
            _choice(obj, "outcome", where, SCENARIO_OUTCOMES),
            _str(obj, "message", where, ""),
            _float(obj, "duration", where, 0.0),
            bool(flags["known"]),
            bool(flags["flow"]),
        )


@dataclass(frozen=True, slots=True)
class DriftEntry:
    """A disagreement between a source document (seed file, official client, server metadata) and the target."""

    source: str
    what: str
    expected: str
    observed: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"source": self.source, "what": self.what, "expected": self.expected, "observed": self.observed}

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> DriftEntry:
        """Read a drift entry written by ``to_dict``; ConfigError names the bad field."""
        obj = _object(data, where, {"source", "what", "expected", "observed"})
        return cls(*(_str(obj, key, where) for key in ("source", "what", "expected", "observed")))


@dataclass(frozen=True, slots=True)
class Excluded:
    """An operation the sweep did not send because it is destructive by design, and why."""

    method: str
    path: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"method": self.method, "path": self.path, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> Excluded:
        """Read an exclusion written by ``to_dict``; ConfigError names the bad field."""
        obj = _object(data, where, {"method", "path", "reason"})
        return cls(*(_str(obj, key, where) for key in ("method", "path", "reason")))


@dataclass(frozen=True, slots=True)
class Counts:
    """Tallies derived from the results; never stored on their own, always recomputed."""

    operations: int = 0
    tested: int = 0
    passed: int = 0
    failed: int = 0
    untested: int = 0
    scenarios_passed: int = 0
    scenarios_failed: int = 0
    scenarios_skipped: int = 0
    drift: int = 0
    errors: int = 0

    def __add__(self, other: Counts) -> Counts:
        """Field-wise sum, for totals over several APIs."""
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def to_dict(self) -> dict[str, int]:
        """JSON-ready form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ApiReport:
    """Everything one run found out about one API on one target."""

    slug: str
    title: str
    target: str
    target_url: str
    operations: tuple[OperationResult, ...]
    scenarios: tuple[ScenarioResult, ...]
    drift: tuple[DriftEntry, ...]
    errors: tuple[str, ...] = ()
    target_version: str = ""
    #: operations left out because they are destructive by design (shutdown, signals, arbitrary expressions...)
    excluded: tuple[Excluded, ...] = ()
    #: the fault plan (its path) the run's mock injected, "" when none: a reproduction starts the mock with it
    mock_faults: str = ""

    @property
    def counts(self) -> Counts:
        """Operation, scenario, drift and error tallies."""
        ops = [op.outcome for op in self.operations]
        runs = [scenario.outcome for scenario in self.scenarios]
        return Counts(
            operations=len(ops),
            tested=ops.count("passed") + ops.count("failed"),
            passed=ops.count("passed"),
            failed=ops.count("failed"),
            untested=ops.count("untested"),
            scenarios_passed=runs.count("passed"),
            scenarios_failed=runs.count("failed"),
            scenarios_skipped=runs.count("skipped"),
            drift=len(self.drift),
            errors=len(self.errors),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the derived ``counts`` for readers that do not recompute them."""
        return {
            "slug": self.slug,
            "title": self.title,
            "target": self.target,
            "target_url": self.target_url,
            "target_version": self.target_version,
            "counts": self.counts.to_dict(),
            "errors": list(self.errors),
            "operations": [op.to_dict() for op in self.operations],
            "scenarios": [scenario.to_dict() for scenario in self.scenarios],
            "drift": [entry.to_dict() for entry in self.drift],
            "defects": [defect.to_dict() for defect in self.defects],
            "excluded": [entry.to_dict() for entry in self.excluded],
            **({"mock_faults": self.mock_faults} if self.mock_faults else {}),
        }

    @property
    def defects(self) -> tuple[Defect, ...]:
        """The operations' failures grouped into distinct defects: server crashes first, then server errors."""
        return group_defects((f"{op.method} {op.path}", failure) for op in self.operations for failure in op.failures)

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> ApiReport:
        """Read an API report written by ``to_dict`` (``counts`` and ``defects`` are ignored and recomputed)."""
        keys = {"slug", "title", "target", "target_url", "target_version", "counts", "errors", "defects"}
        obj = _object(data, where, keys | {"operations", "scenarios", "drift", "excluded", "mock_faults"})
        return cls(
            slug=_str(obj, "slug", where),
            title=_str(obj, "title", where),
            target=_str(obj, "target", where),
            target_url=_str(obj, "target_url", where),
            operations=_items(obj, "operations", where, OperationResult.from_dict),
            scenarios=_items(obj, "scenarios", where, ScenarioResult.from_dict),
            drift=_items(obj, "drift", where, DriftEntry.from_dict),
            errors=_items(obj, "errors", where, _string_item, []),
            target_version=_str(obj, "target_version", where, ""),
            excluded=_items(obj, "excluded", where, Excluded.from_dict, []),
            mock_faults=_str(obj, "mock_faults", where, ""),
        )


@dataclass(frozen=True, slots=True)
class Conformance:
    """The whole run: every API's report, the exit code it earned and a one-paragraph summary."""

    harness_version: str
    started_at: str
    duration: float
    apis: tuple[ApiReport, ...]
    exit_code: int
    summary: str
    #: what the run set out to test, option -> value as text (``runoptions.SCOPE``): two runs of another scope
    #: differ in what they tested, not in how the API did; empty in a report of an older h2oharness
    scope: Mapping[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> Counts:
        """Tallies summed over every API."""
        return sum((api.counts for api in self.apis), Counts())

    def to_dict(self) -> dict[str, Any]:
        """The layout of ``conformance.json``."""
        return {
            "format": FORMAT,
            "harness_version": self.harness_version,
            "started_at": self.started_at,
            "duration": self.duration,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "counts": self.counts.to_dict(),
            "scope": dict(self.scope),
            "apis": [api.to_dict() for api in self.apis],
        }

    def to_json(self) -> str:
        """``to_dict`` as indented JSON text ending in a newline."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> Conformance:
        """Read a report written by ``to_dict``; ConfigError with a one-line message when it is malformed."""
        keys = {
            "format",
            "harness_version",
            "started_at",
            "duration",
            "exit_code",
            "summary",
            "counts",
            "scope",
            "apis",
        }
        obj = _object(data, where, keys)
        version = _field(obj, "format", where)
        if version != FORMAT:
            raise ConfigError(f"{_at(where, 'format')}: this h2oharness reads format {FORMAT}, got {_show(version)}")
        return cls(
            harness_version=_str(obj, "harness_version", where),
            started_at=_str(obj, "started_at", where),
            duration=_float(obj, "duration", where),
            apis=_items(obj, "apis", where, ApiReport.from_dict),
            exit_code=_int(obj, "exit_code", where),
            summary=_str(obj, "summary", where),
            scope=_text_map(obj, "scope", where),
        )

    @classmethod
    def from_json(cls, text: str, source: str = "report") -> Conformance:
        """Parse ``conformance.json`` text; ConfigError with a one-line message, prefixed by ``source``, if invalid."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not valid JSON: {exc}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
