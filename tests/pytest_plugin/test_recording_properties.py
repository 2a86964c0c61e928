"""What a test leaves in its user properties, which pytest writes into junit.xml with ``str``: JSON text."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from h2oharness.baseline import Baseline, KnownFinding
from h2oharness.pytest_plugin.recording import KNOWN, KnownFindings, property_entry
from h2oharness.targets import Target


class _ServerError(Exception):
    code = "ST101"
    title = "Server error"


def test_a_known_finding_is_kept_as_json_text_that_reads_back() -> None:
    # before: the entry was a dict, which junit.xml showed as "{'check': 'ST101 Server error', ...}"
    node: Any = SimpleNamespace(nodeid="contracts/h2o3/test_h2o3_contract.py::x[GET /3/A]", stash=pytest.Stash())
    node.user_properties = []
    baseline = Baseline((KnownFinding("ST101", ("GET /3/A",), "Jetty's 'own' 500 on H2O-3 3.46.0.12"),))
    known = KnownFindings(node, baseline)
    known.absorb(ExceptionGroup("failed", [_ServerError("500 on GET /3/A")]), Target("local", "http://h"), "GET /3/A")
    ((name, value),) = node.user_properties
    assert name == KNOWN
    assert isinstance(value, str)
    entry = json.loads(value)
    assert entry == property_entry(value)
    assert (entry["check"], entry["reason"]) == ("ST101 Server error", "Jetty's 'own' 500 on H2O-3 3.46.0.12")


@pytest.mark.parametrize("value", [{"a": 1}, "not json", "[1]", None])
def test_what_is_no_entry_reads_as_none(value: object) -> None:
    assert property_entry(value) is None
