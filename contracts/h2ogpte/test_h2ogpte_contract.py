"""Property-based contract tests of h2oGPTe against contracts/h2ogpte/openapi.yaml.

Each operation of the hand-kept part (the 63 of seeds 003 and 004, and /rpc) is one pytest item by default (all
396, the official client's whole REST layer, with --harness-all-operations), run against the chosen target: no
server errors, documented status codes and content types, bodies that match the schemas, bad input rejected, 401
without the key. The stateful test follows the links from a collection to a chat answer's metadata and references
(h2oharness/apis/h2ogpte/contract.py).
"""

from pathlib import Path

from h2oharness.pytest_plugin.contract import contract_tests

test_h2ogpte_contract, test_h2ogpte_stateful_flow = contract_tests("h2ogpte", Path(__file__).parent)
