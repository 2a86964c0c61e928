"""Property-based contract tests of H2O-3 against contracts/h2o3/openapi.yaml.

Each documented operation is one pytest item (so xdist spreads them), run against the chosen target: no server
errors, documented status codes, content types, response bodies that match the schemas, bad input rejected. By
default only the seed flow's operations and the read-only ones run (h2oharness/apis/h2o3/contract.py);
``--harness-all-operations`` runs every one but those destructive by design (destructive.yaml), which only
``--harness-include-destructive`` adds. The stateful test follows the links of the seed flow.
"""

from pathlib import Path

from h2oharness.pytest_plugin.contract import contract_tests

test_h2o3_contract, test_h2o3_stateful_flow = contract_tests("h2o3", Path(__file__).parent)
