"""The time-budgeted sweep (``--harness-budget``): rounds of fresh cases until the budget is spent.

Registered when a budget is set, in a run without xdist workers (the target is the
bottleneck, and one process sees every defect as it is found). It replaces pytest's
test loop:

- round 0 is the ordinary run: every collected test once (schemathesis's examples,
  coverage and fuzzing phases, the real-keys feed, the stateful flow, scenarios);
- every later round re-runs each operation's contract test with a hypothesis test built
  anew by schemathesis (``create_test``) for its fuzzing phase only, in the round's
  generation modes (negative, positive, both: ``budget.round_modes``), under a fresh
  seed, with as many examples as ``budget.allocate`` gives the operation out of
  ``budget.round_total``, by what each operation still yields in new distinct defects
  (failures grouped as the report groups them, h2oharness/report/defects.py);
- the stateful flow, where the API has one, is an arm too: re-run under a fresh seed with a
  fifth of its share in sequences (each is several calls);
- an API's extra cases (H2O-3's ``sweepcases``, sent through its real-keys feed, which a
  budget turns on) go out once, in round 0; a re-run neither sends them again nor fails
  its fresh cases with what they found (``contract.reset_for_rerun``).

The budget runs from the first test (collection and the report are not in it). The
contract test checks the budget before each request and ends with ``BudgetSpent``
once it is spent, so the run ends within the budget plus one request's deadline, then
writes its report as any run does. A target that is down for good (not restartable)
ends the rounds at once. Every re-run is reported as a test of its own; the report
merges an operation's runs (cases summed, failures deduplicated).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from typing import Any

import hypothesis
import pytest

from h2oharness.budget import ArmStats, Budget, allocate, parse_budget, round_modes, round_seed, round_total
from h2oharness.settings import Settings

#: the running sweep's budget, for the contract test's check before each request
BUDGET = pytest.StashKey[Budget]()
#: the hypothesis test schemathesis built when it collected the item (round 0 runs it)
_ORIGINAL = pytest.StashKey[Any]()


def defect_keys(record: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The distinct defects (check, signature) among one test record's failures, named as the report names them."""
    from h2oharness.report.defects import group_defects
    from h2oharness.report.model import Failure

    operation = f"{record.get('method', '')} {record.get('path', record.get('name', ''))}"
    failures = [(operation, Failure(**f)) for f in record.get("failures") or []]
    return {(d.check, d.signature) for d in group_defects(failures)}


class BudgetedSweep:
    """Runs the session's tests in rounds until the budget is spent; knows the distinct defects found so far."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.seconds = parse_budget(settings.budget or "")
        self.budget = Budget(self.seconds)
        self.round = 0
        self.stats: dict[str, ArmStats] = {}
        self.seen: set[tuple[str, str]] = set()
        self.crashes: set[str] = set()
        self.cases = 0
        self.stopped = ""
        self._feedback: dict[int, Any] = {}

    # -- the yield of each test, as it is reported

    @property
    def defects(self) -> int:
        """Distinct defects found so far (server crashes included)."""
        return len(self.seen)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count what a test found that no test had found before, for the allocation of the next round."""
        from h2oharness.pytest_plugin.recording import RECORD
        from h2oharness.sweep import CRASH, crash_entry

        found: set[tuple[str, str]] = set()
        cases = 0
        for name, value in report.user_properties:
            if name == RECORD and isinstance(value, dict):
                found |= defect_keys(value)
                cases = int(value.get("cases") or 0)
            elif name == CRASH and report.when == "teardown" and (crash := crash_entry(value)) is not None:
                failure = crash.get("failure") or {}
                found.add(("server_crash", str(failure.get("signature") or crash.get("id"))))
                self.crashes.add(str(crash.get("id")))
        new = found - self.seen
        self.seen |= found
        self.cases += cases
        if report.nodeid in self.stats:
            self.stats[report.nodeid].add(cases, len(new))

    # -- the loop

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Round 0 runs every test once; later rounds re-run the contract tests until the budget is spent."""
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        if session.config.option.collectonly:
            return True
        # the budget runs from the first test: collection before it and the report after it are not in it
        self.budget = Budget(self.seconds)
        self.config.stash[BUDGET] = self.budget
        arms = [item for item in session.items if _operation_of(item) is not None or _is_flow(item)]
        for item in arms:
            item.stash[_ORIGINAL] = getattr(item, "obj", None)
            self.stats.setdefault(item.nodeid, ArmStats())
        schedule = self._schedule(list(session.items), arms)
        current = next(schedule, None)
        while current is not None:
            if self.budget.expired():
                self.stopped = "the budget is spent"
                break
            if self._target_gone():
                self.stopped = "the target is down and cannot be restarted"
                break
            following = next(schedule, None)
            # the same test again: pytest must still tear it down (and set it up anew), keeping what its module
            # and session share; its module, as the next node, says just that
            upcoming = current.parent if following is current else following
            current.config.hook.pytest_runtest_protocol(item=current, nextitem=upcoming)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
            current = following
        self._say_end()
        # fixtures still set up for the next item are torn down by pytest's own session finish
        return True

    def summary(self) -> str:
        """One line on the sweep: rounds, cases, distinct defects and crashes, and why it ended."""
        why = self.stopped or "every test ran"
        return (
            f"[h2oharness] budgeted sweep: {why} after {self.budget.spent() / 60:.1f} min, round {self.round}; "
            f"{self.cases} cases, {self.defects} distinct defects, {len(self.crashes)} server crashes"
        )

    def _say_end(self) -> None:
        collector = self.config.pluginmanager.get_plugin("h2oharness-report")
        if collector is not None:
            collector.say(self.summary())

    def _target_gone(self) -> bool:
        from h2oharness.pytest_plugin.fixtures import SWEEP

        sweep = self.config.stash.get(SWEEP, None)
        return bool(sweep is not None and sweep.down)

    def _schedule(self, items: list[pytest.Item], arms: list[pytest.Item]) -> Iterator[pytest.Item]:
        """Every test once, then rounds of the contract tests, each allocated when it is about to start.

        The next round is planned when its first test is looked up, just before the last test of the round
        before runs (pytest needs to know the next test to keep the fixtures they share): that last test's
        yield counts from the round after.
        """
        yield from items
        while arms:
            self.round += 1
            for arm in self.stats.values():
                arm.decay()
            shares = allocate({a.nodeid: self.stats[a.nodeid] for a in arms}, round_total(self.round, len(arms)))
            for item in arms:
                examples = shares.get(item.nodeid, 0)
                if examples > 0 and self._prepare(item, examples):
                    yield item

    def _prepare(self, item: pytest.Item, examples: int) -> bool:
        """Give ``item`` a fresh hypothesis test for this round; False when it cannot have one (then it sits out)."""
        from h2oharness.pytest_plugin.contract import FLOW_ROUND, reset_for_rerun

        if _is_flow(item):
            # a stateful flow: sequences of linked calls, under a fresh seed
            item.stash[FLOW_ROUND] = (round_seed(self.settings.seed, self.round, item.nodeid), max(1, examples // 5))
            reset_for_rerun(item)
            return True
        from schemathesis.generation import overrides
        from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test

        operation = _operation_of(item)
        test_func = getattr(item, "test_function", None)
        if operation is None or test_func is None:
            return False
        project = _with_modes(operation.schema.config, round_modes(self.round))
        label = f"{operation.method.upper()} {operation.path}"
        test = create_test(
            operation=operation,
            test_func=test_func,
            config=HypothesisTestConfig(
                project=project,
                modes=[HypothesisTestMode.FUZZING],
                seed=round_seed(self.settings.seed, self.round, label),
                override=overrides.with_config_headers(project, operation=operation),
                feedback=self._feedback_for(operation.schema),
            ),
        )
        # no shrinking: a smaller failing request costs many requests and finds nothing new (crashes are reduced
        # by their replay, h2oharness/confirm.py)
        test._hypothesis_internal_use_settings = hypothesis.settings(  # type: ignore[attr-defined]
            test._hypothesis_internal_use_settings,  # type: ignore[attr-defined]
            max_examples=examples,
            phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
            database=None,
            deadline=None,
        )
        why = f"round {self.round}: {label} has nothing to draw in {round_modes(self.round)}"
        item.obj = _drawable(test, why)  # type: ignore[attr-defined]
        reset_for_rerun(item)
        return True

    def _feedback_for(self, schema: Any) -> Any:
        from schemathesis.generation.feedback import FeedbackSources
        from schemathesis.python._constants.orchestrator import make_constants_value_source

        key = id(schema)
        if key not in self._feedback:
            self._feedback[key] = FeedbackSources(constants_value_source=make_constants_value_source(schema))
        return self._feedback[key]


def _operation_of(item: pytest.Item) -> Any:
    """The schemathesis operation a contract test item stands for, or None for any other test."""
    from schemathesis.generation.hypothesis.builder import ApiOperationMark

    if not hasattr(item, "test_function"):
        return None
    original = item.stash.get(_ORIGINAL, None) or getattr(item, "obj", None)
    return ApiOperationMark.get(original) if original is not None else None


def _is_flow(item: pytest.Item) -> bool:
    """Whether ``item`` is an API's stateful flow test (``contract_tests``'s second test)."""
    return bool(getattr(getattr(item, "function", None), "_harness_flow", False))


def _with_modes(project: Any, modes: tuple[str, ...]) -> Any:
    """A copy of a schemathesis project config that generates in ``modes`` (the original is left as it was)."""
    from schemathesis import GenerationMode

    changed = copy.copy(project)
    changed.generation = copy.deepcopy(project.generation)
    changed.generation.update(modes=[GenerationMode(m) for m in modes])
    return changed


def _drawable(test: Any, why: str) -> Any:
    """``test``, skipped with ``why`` when hypothesis can draw no case at all (a negative round for an operation
    without parameters): a round that had nothing to send found nothing, it is not a defect of the server."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return test(*args, **kwargs)
        except hypothesis.errors.Unsatisfiable:
            pytest.skip(why)

    return run
