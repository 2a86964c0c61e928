"""The contract driver (``h2oharness.pytest_plugin.contract``) run as a user runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from h2oharness.pytest_plugin.contract import sends_extras
from h2oharness.settings import Settings

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


@pytest.mark.parametrize(
    ("marked", "status", "body", "lines"),
    [
        (
            True,
            200,
            b'{"result": {"a": 1}}\n{"result": {"a": 2}}\n',
            [b'{"result": {"a": 1}}', b'{"result": {"a": 2}}'],
        ),
        (True, 200, b'{"result": {"a": 1}}\n', None),  # one chunk: the answer as it came
        (True, 200, b"", []),  # no chunk: nothing to check
        (True, 404, b'{"code": 5}\n{"x": 1}\n', None),  # an error is one JSON value, as any
        (False, 200, b'{"a": 1}\n{"a": 2}\n', None),  # not a stream: two lines are one (broken) answer
    ],
)
def test_a_stream_s_answer_is_checked_line_by_line_only_where_the_contract_marks_it(
    marked: bool, status: int, body: bytes, lines: list[bytes] | None
) -> None:
    import requests
    from schemathesis.core.transport import Response

    from h2oharness.pytest_plugin.contract import STREAM, stream_chunks

    raw = {STREAM: "ndjson"} if marked else {}
    case = SimpleNamespace(operation=SimpleNamespace(definition=SimpleNamespace(raw=raw)))
    sent = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
    override = SimpleNamespace(headers={"Authorization": "Bearer k"})
    response = Response(status, {"content-type": ["application/json"]}, body, sent, 0.1, True, _override=override)
    chunks = stream_chunks(case, response)
    if lines is None:
        assert chunks == [response]
        return
    assert [chunk.content for chunk in chunks] == lines
    # what a check reads besides the body is the stream's: its status, headers, request and explicit credentials
    assert all((c.status_code, c.request, c._override) == (status, sent, override) for c in chunks)


def test_a_default_run_feeds_real_ids_so_an_id_taking_operation_reaches_its_success_answer(
    contract_answers: Callable[..., dict[str, set[str]]],
) -> None:
    # only sweeps were fed: every valid request to a dataset's versions named a drawn id and "conformed" on its 404
    answers = contract_answers("coreplexml", "--harness-max-examples", "5", "-k", "versions")
    # the fed draws reached the dataset, the drawn ones its 404
    assert answers == {"/api/datasets/{dataset_id}/versions": {"200", "404"}}


@pytest.mark.parametrize(
    ("scope", "kind", "sent"),
    [
        ({}, "local", False),  # a default run: real ids, but none of a sweep's node killers
        ({"all_operations": True}, "local", True),
        ({"real_keys": True}, "local", True),
        ({"budget": "60s"}, "local", True),
        ({"all_operations": True}, "live", False),  # a server nobody restarts
        ({"all_operations": True}, "mock", False),
        ({"all_operations": True, "include_destructive": True}, "live", True),
        ({"include_destructive": True}, "live", False),
    ],
)
def test_only_a_sweep_sends_the_extra_cases_and_to_a_live_server_only_when_asked(
    scope: dict[str, object], kind: str, sent: bool
) -> None:
    assert sends_extras(Settings(**scope), kind) is sent  # type: ignore[arg-type]
