"""The harness's pytest plugin, split by role.

- ``options``: the ``--harness-*`` options, the run's settings, markers from paths, resume;
- ``fixtures``: each API's target fixtures and the shared ones (drift, known findings, sweep, pinned constants);
- ``contract``: the contract driver that ``contracts/<slug>/test_<slug>_contract.py`` asks for its tests;
- ``recording``: what each test's report carries for the conformance report;
- ``collector``: progress.jsonl and the conformance report, on the controller;
- ``deadlines``: a test's and the run's deadline;
- ``stopping``: SIGTERM and the run's deadline end the session after the running test, with its report;
- ``nodeids``: one operation's contract test selected by its node id;
- ``lazycoverage``: an operation's coverage-phase cases planned when its test runs, not at collection.

Nothing outside the plugin imports it; the driver is imported by the contract test modules.
"""

from __future__ import annotations

from h2oharness.pytest_plugin.deadlines import pytest_runtest_call, pytest_sessionstart
from h2oharness.pytest_plugin.fixtures import (
    harness_drift,
    harness_known_findings,
    harness_pinned_constants,
    harness_sweep,
    pytest_generate_tests,
)
from h2oharness.pytest_plugin.lazycoverage import pytest_runtest_setup
from h2oharness.pytest_plugin.nodeids import pytest_pycollect_makeitem
from h2oharness.pytest_plugin.options import pytest_addoption, pytest_collection_modifyitems, pytest_configure
from h2oharness.pytest_plugin.recording import pytest_runtest_makereport

# the hooks and fixtures pytest looks for on this module
__all__ = [
    "harness_drift",
    "harness_known_findings",
    "harness_pinned_constants",
    "harness_sweep",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_pycollect_makeitem",
    "pytest_runtest_call",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_sessionstart",
]
