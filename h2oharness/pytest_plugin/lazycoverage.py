"""schemathesis's coverage phase planned when an operation's contract test runs, not when pytest collects it.

schemathesis 4.32 plans every coverage-phase case of an operation as it builds the operation's hypothesis
test, at collection (``builder.create_test`` -> ``add_coverage``), and attaches each case to the test as a
hypothesis ``@example``. H2O-3's model builders have about 100 parameters each: with
``--harness-all-operations`` that planning was about 59 s of a 65 s collection, paid again by every xdist
worker, for operations most workers never run. schemathesis has no option that defers it, nor a public API
for coverage cases.

So the contract test is collected with the coverage phase off (``defer``), and when an item is set up,
``plan`` makes its cases as ``add_coverage`` would have, and attaches them to the same hypothesis test in
the same order. Hypothesis then runs them as before: explicit phase first, every failure reported. A schema
error met while planning fails the item, as schemathesis's collector makes it fail.

One thing in the planning is not the operation's alone: an operation sends its path the methods the document
does not declare there (TRACE, PUT...), each (path, method) once per schema, and collection planned the
operations in the document's order, so the first operation of a path took them all. ``plan`` keeps that:
before an operation it plans the operations of the same path that come earlier (once per process), so an
operation gets the same cases whichever of them a process runs, and in whatever order.

This leans on schemathesis internals (``CoverageGenerator``, ``content_type_probes_first``, the builder's
marks, ``ProjectConfig.phases_for``), so pyproject pins schemathesis below 4.33, and
tests/pytest_plugin/test_lazycoverage.py fails when an upgrade plans other cases than its collection does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest

#: on a deferred contract test function: what planning needs (see ``_Deferred``)
_DEFERRED = "_harness_deferred_coverage"
#: on an item: its coverage cases were planned (a budgeted round re-runs it with a test that must not have them)
_PLANNED = pytest.StashKey[bool]()


@dataclass(frozen=True)
class _Plan:
    """One operation's coverage cases, in the order they are attached, or the schema error that stopped them."""

    cases: list[Any]
    unserializable: list[str]
    error: Exception | None = None


@dataclass
class _Deferred:
    """A deferred test's project config from before ``defer`` and the operations planned so far in this process."""

    original: Any
    plans: dict[str, _Plan | None] = field(default_factory=dict)


def defer(schema: Any, test: Callable[..., Any]) -> Any:
    """A copy of ``schema`` that collects ``test`` without the coverage phase, which ``plan`` adds when it runs.

    Example:
        return lazycoverage.defer(schema, test).parametrize()(test)
    """
    original = schema.config
    deferred = copy.copy(original)
    # two shallow copies: only ``enabled`` differs; the coverage phase's generation and checks are the same objects
    deferred.phases = copy.copy(original.phases)
    deferred.phases.coverage = copy.copy(original.phases.coverage)
    deferred.phases.coverage.enabled = False
    setattr(test, _DEFERRED, _Deferred(original))
    cloned = schema.clone()
    cloned.config = deferred
    return cloned


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Plan a deferred contract test's coverage cases, once per item, before it first runs."""
    test_function = getattr(item, "test_function", None)
    deferred = getattr(test_function, _DEFERRED, None)
    if deferred is None or item.stash.get(_PLANNED, False):
        return
    item.stash[_PLANNED] = True
    from schemathesis.core.errors import InvalidSchema

    try:
        item.obj = plan(item.obj, deferred, test_function)  # type: ignore[attr-defined]
    except InvalidSchema as error:
        # what schemathesis's collector does with a schema error it meets while it builds the test
        item.obj = error.as_failing_test_function()  # type: ignore[attr-defined]


def plan(test: Any, deferred: _Deferred, test_function: Any) -> Any:
    """``test`` (a collected operation's hypothesis test) with the coverage cases schemathesis's build would add.

    Raises the schema error (``InvalidSchema``) that schemathesis's build would have met.
    """
    from hypothesis import Phase
    from schemathesis.generation.hypothesis.builder import (
        SETTINGS_ATTRIBUTE_NAME,
        ApiOperationMark,
        UnserializablePayloadMark,
    )

    operation = ApiOperationMark.get(test)
    # no operation: the test is a schema error's, which fails already; no explicit phase: the build adds none.
    # Every operation of a test has its settings' phases (a project config may drop shrink or reuse, not explicit)
    if operation is None or Phase.explicit not in getattr(test, SETTINGS_ATTRIBUTE_NAME).phases:
        return test
    for earlier in _earlier_on_path(operation):
        _planned(earlier, deferred, test_function)
    planned = _planned(operation, deferred, test_function)
    if planned is None:
        return test
    if planned.error is not None:
        raise planned.error
    for case in planned.cases:
        test = hypothesis.example(case=case)(test)
    if planned.unserializable:
        UnserializablePayloadMark.set(test, planned.unserializable)
    return test


def _earlier_on_path(operation: Any) -> list[Any]:
    """The schema's operations on ``operation``'s path before it, in the order schemathesis collects them."""
    from schemathesis.core.result import Ok

    earlier = []
    for result in operation.schema.get_all_operations():
        if not isinstance(result, Ok):
            continue  # an operation schemathesis cannot build: collection planned nothing for it
        other = result.ok()
        if other.label == operation.label:
            break
        if other.path == operation.path:
            earlier.append(other)
    return earlier


def _planned(operation: Any, deferred: _Deferred, test_function: Any) -> _Plan | None:
    """The operation's coverage cases as ``builder.add_coverage`` makes them (None: the build adds none), once."""
    if operation.label in deferred.plans:
        return deferred.plans[operation.label]
    from schemathesis.auths import AuthStorageMark
    from schemathesis.core import SpecificationFeature
    from schemathesis.core.errors import InvalidSchema
    from schemathesis.generation import overrides
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.meta import content_type_probes_first
    from schemathesis.hooks import HookDispatcherMark
    from schemathesis.python._constants.orchestrator import make_constants_value_source

    config = operation.schema.config
    wanted = (
        deferred.original.phases_for(operation=operation).coverage.enabled
        # an operation's own config may turn the phase back on: then collection planned it
        and not config.phases_for(operation=operation).coverage.enabled
        and operation.schema.specification.supports_feature(SpecificationFeature.COVERAGE)
    )
    planned = None
    if wanted:
        generation = config.generation_for(operation=operation, phase="coverage")
        generator = CoverageGenerator(
            operation=operation,
            generation_modes=generation.modes,
            generation_config=generation,
            auth_storage=AuthStorageMark.get(test_function),
            override=overrides.with_config_headers(config, operation=operation),
            # what the collector hands every operation's build (the schema caches its constants)
            feedback=FeedbackSources(constants_value_source=make_constants_value_source(operation.schema)),
            hooks=HookDispatcherMark.get(test_function),
        )
        try:
            cases = content_type_probes_first(generator)
        except InvalidSchema as error:
            planned = _Plan([], [], error)
        else:
            planned = _Plan(cases, sorted(generator.controller.unserializable_media_types))
    deferred.plans[operation.label] = planned
    return planned
