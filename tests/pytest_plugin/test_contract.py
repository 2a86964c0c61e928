"""The contract driver (``h2oharness.pytest_plugin.contract``) run as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "h2ogpte"


def test_an_all_operations_run_needs_no_xdist(pytester: pytest.Pytester) -> None:
    # the feed named its records after xdist's worker_id fixture: with -p no:xdist every test errored, fixture not found
    pytester.makepyfile(
        test_gpte=(
            "from pathlib import Path\n"
            "from h2oharness.pytest_plugin.contract import contract_tests\n"
            f"test_h2ogpte_contract, _ = contract_tests('h2ogpte', Path({str(CONTRACTS)!r}))\n"
        )
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:xdist", "-p", "no:cacheprovider", "--harness-all-operations", "--harness-max-examples", "2",
        "-k", "ingest and website and not job",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
