"""Property-based contract tests of CorePlexML Experiments against contracts/coreplexml/openapi.yaml.

Each documented operation is one pytest item, run against the chosen target: no server errors, documented status
codes and content types, response bodies that match the schemas, bad input rejected with a 4xx. The stateful test
follows the links from a real project and dataset: create an experiment, then its status, detail, logs, explain,
best model and delete (h2oharness/apis/coreplexml/contract.py).
"""

from pathlib import Path

from h2oharness.pytest_plugin.contract import contract_tests

test_coreplexml_contract, test_coreplexml_stateful_flow = contract_tests("coreplexml", Path(__file__).parent)
