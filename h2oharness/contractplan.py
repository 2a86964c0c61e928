"""What an API tells the contract driver: its default scope, cases to skip, real keys, and its stateful flow.

Each ``h2oharness/apis/<slug>/contract.py`` defines ``PLAN``, and the registry
(``h2oharness.apis.APIS``) carries it. The driver (``h2oharness.pytest_plugin.contract``)
turns a plan into the two tests of ``contracts/<slug>/test_<slug>_contract.py``: one
property-based test per documented operation and one stateful flow over the
document's links. What every API shares (sending through the sweep, validation,
known findings, destructive operations, seeds, examples) is the driver's; a plan
says only what differs.

Example:
    PLAN = ContractPlan(
        skip=lambda case, target: "needs a server-side path" if case.operation.path == "/x" else None,
        flow=FlowPlan(operations=frozenset({("POST", "/things"), ("GET", "/things/{id}")}), check=reached_get),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from h2oharness.targets import Target

#: changes a generated case before it is sent (a real dataset where nothing in the document produces one)
BeforeCall = Callable[[Any], None]


@dataclass(frozen=True)
class ExtraCase:
    """A concrete request a plan adds to the generated ones (an input generation rarely draws).

    ``path`` is the operation's template; ``path_parameters`` fill it. ``family`` names the kind of input:
    after one case of a family killed the server, the sweep sends no more of it (each death costs a restart).
    """

    method: str
    path: str
    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    family: str = ""

    @property
    def formatted_path(self) -> str:
        """The path with its parameters filled in, percent-encoded (every byte but unreserved ASCII)."""
        path = self.path
        for name, value in self.path_parameters.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return path


class CaseFeed(Protocol):
    """Real values offered to the generators next to the drawn ones (H2O-3's frame, model and job keys)."""

    error: str | None

    def install(self, schema: Any) -> None:
        """Register the schema hooks that offer the real values."""

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make sure the real values exist on the target before a test (made again when lost)."""

    def fill(self, case: Any) -> None:
        """Put real values into a generated case just before it is sent (ids the generators cannot draw)."""

    def extra_cases(self, operation: Any) -> Iterable[ExtraCase]:
        """Concrete requests to send for ``operation`` (a schemathesis APIOperation) besides the generated ones."""

    def note(self, response: Any) -> None:
        """Look at an answer (jobs it started are cancelled after the test)."""

    def cancel_started(self, http: httpx.Client) -> object:
        """Cancel what the test's cases started."""

    def remove(self, http: httpx.Client) -> None:
        """Delete the real values from the target."""


def fed_draw(decided: dict[str, bool], case: Any, every: int = 2) -> bool:
    """Whether a feed puts its real values into ``case``: all but one in ``every`` of the distinct draws a test makes
    (the first included: an operation may see only two or three), and for a draw met again (hypothesis replays a
    failing case) what it was the first time. ``decided`` holds the answers of one operation's test so far, by
    draw (the feed starts it afresh in ``ensure``)."""
    drawn = repr((case.path_parameters, case.query, case.body))
    if drawn not in decided:
        decided[drawn] = len(decided) % every != 1
    return decided[drawn]


@dataclass(frozen=True)
class FlowContext:
    """What a flow's ``start`` hook can use: the target, a client with its credentials, a scratch folder."""

    target: Target
    http: httpx.Client
    tmp_path: Path


@contextmanager
def _no_setup(context: FlowContext) -> Iterator[BeforeCall | None]:
    yield None


def _nothing_required(steps: list[str]) -> None:
    return None


@dataclass(frozen=True)
class FlowPlan:
    """How an API's stateful test follows its document's links, and how deep it must get."""

    #: the (METHOD, path) operations the flow keeps; None keeps those ``operation_ids`` or ``path_regex`` name
    operations: frozenset[tuple[str, str]] | None = None
    operation_ids: frozenset[str] | None = None
    path_regex: str | None = None
    #: build the flow from a document cut down to its operations and the links between them (few steps go deep)
    prune_links: bool = False
    #: positive cases only (negative ones are the per-operation test's job)
    positive_only: bool = False
    #: on the mock target, run on a mock of its own on a still clock (same answers on every run)
    fresh_mock: bool = False
    #: at least this many sequences, of at most ``steps`` steps
    min_examples: int = 0
    steps: int = 8
    #: a reason to skip the flow on this target, or None
    skip: Callable[[Target], str | None] = lambda target: None
    #: sets up what the flow needs (data on the target) and yields the hook that fills the cases
    start: Callable[[FlowContext], AbstractContextManager[BeforeCall | None]] = _no_setup
    #: raises AssertionError, naming what was reached, when the flow did not get as deep as it must
    check: Callable[[list[str]], None] = _nothing_required


@dataclass(frozen=True)
class ContractPlan:
    """One API's contract plan; every field has the default that suits an API with nothing special."""

    #: whether an operation runs without ``--harness-all-operations`` (None: every operation does)
    default_scope: Callable[[str, str], bool] | None = None
    #: a reason to skip a generated case on this target, or None
    skip: Callable[[Any, Target], str | None] = lambda case, target: None
    #: makes the feed of real values, used in every run (its extra cases only in a sweep, or with
    #: ``--harness-real-keys``)
    feed: Callable[[], CaseFeed] | None = None
    flow: FlowPlan | None = None


def in_scope(
    plan: ContractPlan,
    destructive: Collection[tuple[str, str]],
    method: str,
    path: str,
    *,
    all_operations: bool,
    include_destructive: bool,
) -> bool:
    """Whether a run contract-tests the operation: a destructive one only with both flags, any other with
    ``all_operations``, else when the plan's default scope (none: every operation) holds it."""
    if (method.upper(), path) in destructive:
        return include_destructive and all_operations
    return all_operations or plan.default_scope is None or plan.default_scope(method, path)
