"""Conformance reports: the frozen view model, the pure functions that build it, and (in ``writers``) its files."""

from __future__ import annotations

from h2oharness.report.build import (
    OperationRecord,
    build_conformance,
    exit_code_for,
    merge_operations,
    summarize,
)
from h2oharness.report.model import (
    ApiReport,
    Conformance,
    Counts,
    DriftEntry,
    Failure,
    OperationResult,
    ScenarioResult,
)

__all__ = [
    "ApiReport",
    "Conformance",
    "Counts",
    "DriftEntry",
    "Failure",
    "OperationRecord",
    "OperationResult",
    "ScenarioResult",
    "build_conformance",
    "exit_code_for",
    "merge_operations",
    "summarize",
]
