"""What every API's stateful contract test shares: a state machine over the document's links, aimed at a target.

A test subclasses the machine ``linked_flow`` returns and adds only what its API
needs (usually ``before_call``, to put a real dataset or source where nothing in
the document produces one); the machine sends to the target, records each step
as ``"METHOD /path -> status"`` and hands failures, with the answer, to the
known findings. ``flow_settings`` are the settings every flow runs with.

A step whose request gets no answer (reset, refused, timed out) ends the flow at once with that failure, naming the
request: hypothesis would shrink it, and every shrink step fails the same way, so it would tell nothing more.

A flow's draw is a function of the flow alone: it runs without the literals hypothesis
collects from the local modules imported so far (``pinned_constants``), so whatever ran
earlier in the process cannot change how deep a derandomized flow gets.

Example:
    steps: list[str] = []

    class Flow(linked_flow(schema.include(...), target, session, harness_known_findings, steps, harness_sweep)):
        def before_call(self, case):
            ...

    Flow.run(settings=flow_settings(60))
    assert "POST /things -> 201" in steps
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import hypothesis
import requests
from hypothesis import HealthCheck, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.core.failures import FailureGroup

from h2oharness.errors import ConfigError, NoAnswer
from h2oharness.http.asdrawn import as_drawn
from h2oharness.settings import Settings
from h2oharness.targets import Target

#: what a step raises when the target did not answer (reset, refused, timed out, cut short): the sweep's NoAnswer, a
#: call's without a sweep, and those of the harness's own client (a ``before_call`` hook that asks the target)
TRANSPORT_FAILURES: tuple[type[BaseException], ...] = (
    NoAnswer,
    requests.ConnectionError,
    requests.Timeout,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


class _Unanswered(BaseException):
    """A step's transport failure on its way out of hypothesis: a BaseException is neither shrunk nor replayed."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def linked_flow(flow: Any, target: Target, session: Any, known: Any, steps: list[str], sweep: Any = None) -> Any:
    """A schemathesis state machine over ``flow`` (a schema, usually filtered) that calls ``target``.

    ``known`` is the test's ``harness_known_findings``; ``steps`` receives every call as it is made;
    ``sweep`` (the test's ``harness_sweep``) sends each step, so a step that kills the server is a
    ``server_crash`` finding and a down target ends the flow without more requests.
    """
    base = flow.as_state_machine()

    class Flow(base):  # type: ignore[misc, valid-type]
        @classmethod
        def run(cls, *args: Any, **kwargs: Any) -> Any:
            with pinned_constants():
                try:
                    return super().run(*args, **kwargs)
                except _Unanswered as unanswered:
                    raise unanswered.error from None
                except FlakyStrategyDefinition as flaky:
                    # the step ended its sequence sooner than an earlier one with the same draws, which hypothesis's
                    # bookkeeping takes for a strategy of ours depending on outside state: the cause is the target's
                    if isinstance(flaky.__context__, _Unanswered):
                        raise flaky.__context__.error from None
                    raise

        def step(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().step(*args, **kwargs)
            except TRANSPORT_FAILURES as exc:
                # the cause is known: hypothesis would spend its shrinking (tens of seconds) failing the same way
                raise _Unanswered(exc) from None

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": target.url, "session": session, "timeout": 30}

        def call(self, case: Any, **kwargs: Any) -> Any:
            if sweep is None:
                # a negative case that removed or spoiled the key is sent with what it drew, not the session's
                with as_drawn(kwargs.get("session"), case) as sending:
                    return super().call(case, **{**kwargs, "session": sending})
            return sweep.call(case, target, session=session, timeout=kwargs.get("timeout", 30))

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            steps.append(f"{case.operation.method.upper()} {case.operation.path} -> {response.status_code}")

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as group:
                operation = f"{case.operation.method.upper()} {case.operation.path}"
                known.absorb(group, target, operation, response=response)

    return Flow


def flow_settings(minimum_examples: int = 0, steps: int = 8) -> settings:
    """Deterministic settings for a flow: at least ``minimum_examples`` sequences (``HARNESS_MAX_EXAMPLES`` if more).

    Derandomized so that whether a flow reaches its deep step does not change from one run to the next.
    """
    examples = max(minimum_examples, Settings.from_env().max_examples)
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@contextmanager
def pinned_constants() -> Iterator[None]:
    """Hypothesis draws no constants from the local modules while inside (the run's own draw, whatever was imported).

    Hypothesis sometimes (about one string, number or bytes draw in twenty) draws a literal it collected from every
    module in ``sys.modules`` outside site-packages and the standard library, and picks it by its index in that
    pool, so a derandomized test draws other values once any other local module is imported: ``h2oharness spec
    h2ogpte --from-client`` run in-process cost the h2oGPTe flow its deep step, and the CorePlexML flow's draw
    moved with the test selection. Its own constants (the global pool) stay.
    """
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    scraped = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if scraped is None or cache is None:
        raise ConfigError(
            f"hypothesis {hypothesis.__version__} no longer draws local constants as 6.170 did: "
            "check that flows still draw the same whatever was imported (tests/test_stateful.py), then update "
            "h2oharness.stateful.pinned_constants"
        )
    # the cache holds each draw kind's permitted constants, the local ones included: emptied on the way in and out
    cache.cache.clear()
    providers._get_local_constants = Constants  # a new, empty pool on every call
    try:
        yield
    finally:
        providers._get_local_constants = scraped
        cache.cache.clear()
