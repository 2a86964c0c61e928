"""One operation's contract test selected by its node id, as the report and pytest print it.

schemathesis hands pytest a collector named after the test function (``test_h2o3_contract``) whose items are
the operations (``test_h2o3_contract[GET /3/About]``). pytest 9 matches a node id with a parametrization by the
exact name among a module's children, finds only the collector, and stops with "not found". Handing pytest the
collector's items instead keeps every node id and lets the lookup find them; the items already have the module
as their parent, so nothing else about them changes.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from _pytest.outcomes import OutcomeException
from schemathesis.pytest.plugin import SchemathesisCase


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Module | pytest.Class, name: str, obj: Any) -> Generator[None, Any]:
    """Collect a schemathesis collector's operations at once, so they are the module's own children."""
    outcome = yield
    result = outcome.get_result()
    if type(result) is not SchemathesisCase:
        return
    try:
        items = result.collect()
    except (Exception, OutcomeException):
        return  # the collector reports its own error when pytest collects it, as before
    outcome.force_result(items)
