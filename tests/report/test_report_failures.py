"""What a failed test raised, as the report's failures."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
import requests
import schemathesis

from h2oharness.apis.h2ogpte.client import H2OGPTeResponseError
from h2oharness.errors import NoAnswer, StreamCut
from h2oharness.report.build import dedupe_failures
from h2oharness.report.failures import failures_from_exception, next_step
from h2oharness.report.model import Failure


def test_an_error_status_names_its_request_and_status_whatever_its_client_keeps_in_message() -> None:
    """h2oGPTe's error keeps the server's own words in ``message``: before, the failure was those words alone
    (``{'error': 'upstream timed out'}``), with no request nor status to tell which call of a flow failed."""
    error = H2OGPTeResponseError("POST", "/api/v1/collections", 502, {"error": "upstream timed out"})
    (failure,) = failures_from_exception(error)
    assert failure.check == "H2OGPTeResponseError"
    assert failure.message == "POST /api/v1/collections -> HTTP 502: {'error': 'upstream timed out'}"


POST = httpx.Request("POST", "http://127.0.0.1:9/api/v1/chats?secret=1")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            httpx.RemoteProtocolError("POST /api/v1/chats: peer closed connection (received 3 bytes)", request=POST),
            "POST /api/v1/chats: no complete answer (peer closed connection (received 3 bytes))",
        ),
        (
            httpx.ReadError("POST /api/v1/chats: no complete answer (the target reset the connection)", request=POST),
            "POST /api/v1/chats: no complete answer (the target reset the connection)",
        ),
        (httpx.ConnectError("[Errno 111] Connection refused", request=POST), "POST /api/v1/chats: no complete answer"),
        (httpx.ReadTimeout("timed out", request=POST), "POST /api/v1/chats: no complete answer (timed out)"),
        (requests.exceptions.ChunkedEncodingError("GET /3/Frames: cut"), "GET /3/Frames: no complete answer (cut)"),
    ],
    ids=["cut-short", "reset", "refused", "late", "requests"],
)
def test_an_answer_that_never_came_whole_is_a_no_answer_check_naming_its_request(
    error: BaseException, says: str
) -> None:
    """A scenario's client raises its transport's error (the README promises a ``NoAnswer`` check naming the
    request); before, the check was the transport's class name (``RemoteProtocolError``)."""
    (failure,) = failures_from_exception(error)
    assert failure.check == "NoAnswer"
    assert failure.message.startswith(says), failure.message
    assert "secret" not in failure.message


def test_a_contract_request_left_unanswered_is_reproduced_by_its_own_curl() -> None:
    # schemathesis prints no "Reproduce with" for a request that raised: the report had a NoAnswer without a curl
    curl = "curl -X POST 'http://127.0.0.1:9/3/Jobs/abc/cancel'"
    unanswered = NoAnswer("POST /3/Jobs/{job_id}/cancel: no complete answer (the target reset the connection)", curl)
    (failure,) = failures_from_exception(ExceptionGroup("one", [unanswered]))
    assert failure.check == "NoAnswer"
    assert failure.curl == curl


def test_an_official_clients_connection_error_is_named_by_the_request_under_it() -> None:
    # openai raises APIConnectionError("Connection error.") from the transport's error, naming nothing
    class APIConnectionError(Exception):
        pass

    refused = httpx.ConnectError("[Errno 111] Connection refused", request=POST)
    (failure,) = failures_from_exception(_raised_from(APIConnectionError("Connection error."), refused))
    assert (failure.check, failure.message) == (
        "NoAnswer",
        "POST /api/v1/chats: no complete answer ([Errno 111] Connection refused)",
    )


def test_a_check_of_ours_raised_from_a_transport_error_keeps_its_own_words() -> None:
    cut = StreamCut("JSONL stream cut before its end after 2 events")
    (failure,) = failures_from_exception(_raised_from(cut, httpx.RemoteProtocolError("incomplete", request=POST)))
    assert (failure.check, failure.message) == ("StreamCut", "JSONL stream cut before its end after 2 events")


def test_a_url_the_user_got_wrong_is_not_the_targets_missing_answer() -> None:
    error = httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol.")
    (failure,) = failures_from_exception(error)
    assert failure.check == "UnsupportedProtocol"


def test_the_advice_of_a_load_run_names_only_what_load_has() -> None:
    # load has no --test-deadline and writes no curl lines; its log lines said both
    slow = next_step("ReadError", "GET /api/v1/models: no complete answer (past its deadline)", load=True)
    assert "--request-deadline" in slow
    assert "--test-deadline" not in slow
    assert "curl" not in next_step("ContractViolation", "GET /3/Cloud: 'version' missing", load=True)
    assert "--test-deadline" in next_step("NoAnswer", "past its deadline")  # run's own advice is kept


def test_the_advice_for_a_target_that_could_not_be_used_is_not_to_reproduce_an_answer() -> None:
    # a live target without a URL sent nothing: "reproduce it with the curl line" sent the user looking for one
    why = "the live target could not be used: target 'live' needs a URL for h2ogpte: set H2OGPTE_URL"
    advice = next_step("", why)
    assert "curl" not in advice
    assert "leave that API's tests out" in advice
    refused = next_step("", "the live target could not be used: GET /api/v1/models answered HTTP 401")
    assert "credentials" in refused  # the more precise advice still wins


NULLABLE_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "models", "version": "1"},
    "paths": {
        "/models": {
            "get": {
                "responses": {
                    "200": {
                        "description": "a model",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Model"}}},
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            # as H2O-3's metadata has them: every object nullable, so every schema an anyOf with null
            "Model": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "stage": {"type": "string", "enum": ["Beta", "Stable"], "nullable": True},
                    "params": {"$ref": "#/components/schemas/Params"},
                },
            },
            "Params": {"type": "object", "nullable": True, "properties": {"seed": {"type": "integer"}}},
        }
    },
}


def _violations(body: Any) -> list[Failure]:
    """The failures of schemathesis's own check of ``body`` as GET /models's answer."""
    case = schemathesis.openapi.from_dict(NULLABLE_SPEC)["/models"]["GET"].Case()
    answer = httpx.Response(200, json=body, request=httpx.Request("GET", "http://127.0.0.1:9/models"))
    answer.read()
    answer.elapsed = datetime.timedelta(milliseconds=5)
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - schemathesis raises a group of its failures
        case.validate_response(answer)
    return failures_from_exception(raised.value)


def test_a_violation_of_an_any_of_says_which_fields_broke_which_rule() -> None:
    # before, "/: {...the whole answer...} is not valid under any of the schemas listed in the 'anyOf' keyword":
    # nothing said which field was wrong, and each answer's own text made each case a line of its own
    (failure,) = _violations({"stage": "Gone", "params": [1, 2]})
    assert failure.check == "ST108 Response violates schema"
    assert failure.message.splitlines()[0] == (
        "/: valid under none of its anyOf schemas; the closest fails on /stage: 'Gone' is not one of "
        "['Beta', 'Stable']; /params: an array of 2 is not of type 'object'"
    )
    assert failure.signature == "enum at /stage; type at /params"


def test_cases_of_one_schema_defect_fold_into_one_line_and_other_defects_stay_apart() -> None:
    failures = [*_violations({"stage": "Gone", "params": [1, 2]}), *_violations({"stage": "Gone", "params": [3]})]
    failures += _violations({"stage": "Beta", "params": {"seed": "x"}})
    folded = dedupe_failures(failures)
    assert [(f.signature, f.count) for f in folded] == [
        ("enum at /stage; type at /params", 2),
        ("type at /params/seed", 1),
    ]
    assert folded[0].message == failures[0].message  # the first case's words, counted twice


def _raised_from(error: BaseException, cause: BaseException) -> BaseException:
    """``error`` as ``raise error from cause`` leaves it."""
    error.__cause__ = error.__context__ = cause
    return error
