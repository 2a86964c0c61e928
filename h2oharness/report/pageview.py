"""What the conformance page shows, decided here so the template only loops: order, status, anchors, repro hints.

A reader opens the page to learn what is new. So the page reads: the summary, then
every new failure with a link to its row; APIs with new failures come first, and in
each API the operations that fail newly, then those that fail only on known
findings (contracts/<api>/known_findings.yaml), then the passed ones. A known
finding is ``known``, never ``failed``: it does not fail the run. A mock target is
gone once the run ends, so a reproduction on one says how to start the same mock
on the same port first.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from h2oharness.report.build import display_order
from h2oharness.report.model import ApiReport, Conformance, Failure, OperationResult, ScenarioResult

__all__ = [
    "LABELS",
    "ApiView",
    "FailureView",
    "NewFailure",
    "OperationView",
    "PageView",
    "ScenarioView",
    "Status",
    "failure_status",
    "operation_status",
    "page_view",
    "scenario_status",
    "serve_hint",
]

#: what a row is for the reader: ``new`` fails the run, ``known`` is reported but does not
Status = Literal["new", "known", "passed", "untested", "skipped"]
_RANK: dict[Status, int] = {"new": 0, "known": 1, "passed": 2, "skipped": 3, "untested": 4}
#: what a row's badge says
LABELS: dict[Status, str] = {"new": "new failure", "known": "known", "passed": "passed", "skipped": "skipped",
                             "untested": "untested"}  # fmt: skip
_HEADLINE_CHARS = 160
#: the URL a curl line sends to
_URL = re.compile(r"https?://[^\s'\"/]+")


def operation_status(op: OperationResult) -> Status:
    """``new`` when a failure is not a known finding (or none says why), ``known`` when all are, else the outcome."""
    if op.outcome == "failed":
        return "known" if op.failures and all(f.known for f in op.failures) else "new"
    return op.outcome


def failure_status(failure: Failure) -> Status:
    """``known`` for a known finding of the target, else ``new``."""
    return "known" if failure.known else "new"


def scenario_status(scenario: ScenarioResult) -> Status:
    """A failed flow is ``known`` when it failed only on known findings, else ``new``."""
    if scenario.outcome == "failed":
        return "known" if scenario.known else "new"
    return scenario.outcome


def serve_hint(target: str, target_url: str, slug: str, faults: str = "") -> str | None:
    """For a mock target, the command that starts the same mock on the report's port, with the fault plan it
    injected (else None): without it, the failures the plan caused do not reproduce.

    Example:
        >>> serve_hint("mock", "http://127.0.0.1:41234", "h2o3")
        'h2oharness serve --api h2o3 --port 41234'
    """
    if target != "mock":
        return None
    try:
        port = urlsplit(target_url).port
    except ValueError:
        port = None
    return (
        f"h2oharness serve --api {slug}"
        + (f" --port {port}" if port else "")
        + (f" --faults {shlex.quote(faults)}" if faults else "")
    )


def _headline(message: str) -> tuple[str, bool]:
    """The first non-empty line of ``message``, cut to fit a row, and whether the row hides anything of it."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(first) > _HEADLINE_CHARS:
        return first[: _HEADLINE_CHARS - 1] + "…", True
    return first, len(lines) > 1


def _repro(curl: str | None, hint: str | None) -> str | None:
    """The curl line, preceded by how to start the mock it needs when the target was one."""
    if curl is None or hint is None:
        return curl
    lines = ["# the run's mock has stopped: start the same one first (in another shell)", hint]
    if "[REDACTED]" in curl:
        lines.append("# then use the credentials it accepts in place of [REDACTED]")
    return "\n".join([*lines, curl])


@dataclass(frozen=True, slots=True)
class FailureView:
    """One failure as a row shows it: a one-line headline, the rest folded away."""

    failure: Failure
    status: Status
    headline: str
    #: the full message when the headline does not say it all
    more: str
    #: what to paste in a shell to reproduce it: the curl line, after starting the mock where needed
    repro: str | None


@dataclass(frozen=True, slots=True)
class OperationView:
    """One operation's row."""

    op: OperationResult
    status: Status
    anchor: str
    failures: tuple[FailureView, ...]

    @property
    def label(self) -> str:
        """What the row's badge says."""
        return LABELS[self.status]


@dataclass(frozen=True, slots=True)
class ScenarioView:
    """One scenario's row."""

    scenario: ScenarioResult
    status: Status
    anchor: str

    @property
    def label(self) -> str:
        """What the row's badge says."""
        return LABELS[self.status]


@dataclass(frozen=True, slots=True)
class NewFailure:
    """A line of the page's "New failures" list: where it is, what it says, and the link to its row."""

    api: str
    what: str
    headline: str
    anchor: str


@dataclass(frozen=True, slots=True)
class ApiView:
    """One API's section: its operations new, known, passed (untested apart), its scenarios new first."""

    api: ApiReport
    anchor: str
    new: int
    known: int
    operations: tuple[OperationView, ...]
    untested: tuple[OperationResult, ...]
    scenarios: tuple[ScenarioView, ...]
    #: for a mock target: how to start the same mock again
    serve: str | None
    #: conforming operations none of whose valid requests was answered with a success (2xx)
    success_untested: int = 0


@dataclass(frozen=True, slots=True)
class PageView:
    """The whole page: APIs with new failures first, and the list of new failures that opens it."""

    apis: tuple[ApiView, ...]
    new_failures: tuple[NewFailure, ...]
    new: int
    known: int
    passed: int


def _failure_views(api: ApiReport, op: OperationResult) -> tuple[FailureView, ...]:
    views = []
    for failure in op.failures:
        headline, folded = _headline(failure.message)
        # each pytest worker served a mock of its own: the failure's curl names the port of the one it met, which
        # the report's target_url (one worker's) need not be
        sent_to = _URL.search(failure.curl or "")
        hint = serve_hint(api.target, sent_to.group() if sent_to else api.target_url, api.slug, api.mock_faults)
        views.append(
            FailureView(
                failure,
                failure_status(failure),
                headline,
                failure.message if folded else "",
                _repro(failure.curl, hint),
            )
        )
    return tuple(sorted(views, key=lambda v: _RANK[v.status]))


def _api_view(api: ApiReport) -> ApiView:
    hint = serve_hint(api.target, api.target_url, api.slug, api.mock_faults)
    failed, passed, untested = display_order(api.operations)
    operations = [
        OperationView(op, operation_status(op), f"op-{api.slug}-{index}", _failure_views(api, op))
        for index, op in enumerate((*failed, *passed))
    ]
    operations.sort(key=lambda view: _RANK[view.status])  # stable: path-then-method order within each status
    scenarios = sorted(
        (ScenarioView(s, scenario_status(s), f"scenario-{api.slug}-{i}") for i, s in enumerate(api.scenarios)),
        key=lambda view: _RANK[view.status],
    )
    rows: Sequence[OperationView | ScenarioView] = [*operations, *scenarios]
    return ApiView(
        api,
        f"api-{api.slug}",
        sum(1 for row in rows if row.status == "new"),
        sum(1 for row in rows if row.status == "known"),
        tuple(operations),
        untested,
        tuple(scenarios),
        hint,
        sum(1 for op in passed if op.success_untested),
    )


def _new_failures(view: ApiView) -> list[NewFailure]:
    out = [NewFailure(view.api.title, "the harness could not run", _headline(error)[0], f"errors-{view.api.slug}")
           for error in view.api.errors]  # fmt: skip
    for row in view.operations:
        if row.status == "new":
            first = next((f.headline for f in row.failures if f.status == "new"), "failed")
            out.append(NewFailure(view.api.title, f"{row.op.method} {row.op.path}", first, row.anchor))
    for scenario in view.scenarios:
        if scenario.status == "new":
            headline, _ = _headline(scenario.scenario.message)
            out.append(NewFailure(view.api.title, scenario.scenario.label, headline, scenario.anchor))
    return out


def page_view(report: Conformance) -> PageView:
    """The page of ``report``: APIs with new failures (or harness errors) first, then those with known findings only,
    then the rest; each group in report order."""
    views = [_api_view(api) for api in report.apis]
    ordered = sorted(views, key=lambda view: (not (view.new or view.api.errors), not view.known))
    return PageView(
        tuple(ordered),
        tuple(line for view in ordered for line in _new_failures(view)),
        sum(view.new for view in views),
        sum(view.known for view in views),
        sum(1 for view in views for row in view.operations if row.status == "passed"),
    )
