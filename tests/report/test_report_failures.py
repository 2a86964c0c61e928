"""What a failed test raised, as the report's failures."""

from __future__ import annotations

from h2oharness.apis.h2ogpte.client import H2OGPTeResponseError
from h2oharness.report.failures import failures_from_exception, next_step


def test_an_error_status_names_its_request_and_status_whatever_its_client_keeps_in_message() -> None:
    """h2oGPTe's error keeps the server's own words in ``message``: before, the failure was those words alone
    (``{'error': 'upstream timed out'}``), with no request nor status to tell which call of a flow failed."""
    error = H2OGPTeResponseError("POST", "/api/v1/collections", 502, {"error": "upstream timed out"})
    (failure,) = failures_from_exception(error)
    assert failure.check == "H2OGPTeResponseError"
    assert failure.message == "POST /api/v1/collections -> HTTP 502: {'error': 'upstream timed out'}"


def test_the_advice_of_a_load_run_names_only_what_load_has() -> None:
    # load has no --test-deadline and writes no curl lines; its log lines said both
    slow = next_step("ReadError", "GET /api/v1/models: no complete answer (past its deadline)", load=True)
    assert "--request-deadline" in slow
    assert "--test-deadline" not in slow
    assert "curl" not in next_step("ContractViolation", "GET /3/Cloud: 'version' missing", load=True)
    assert "--test-deadline" in next_step("NoAnswer", "past its deadline")  # run's own advice is kept
