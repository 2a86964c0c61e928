"""Property-based contract tests of H2O Workflows against contracts/workflows/openapi.yaml.

Each documented operation is one pytest item, run against the chosen target. The OIDC operations (discovery
document, token endpoint) live on the issuer: they run against the mock (its own issuer) and against a live target
only when ``WORKFLOWS_ISSUER_URL`` is its URL. The stateful test follows create -> activate -> run -> get run ->
cancel / retry (h2oharness/apis/workflows/contract.py).
"""

from pathlib import Path

from h2oharness.pytest_plugin.contract import contract_tests

test_workflows_contract, test_workflows_stateful_flow = contract_tests("workflows", Path(__file__).parent)
