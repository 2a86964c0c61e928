"""Failures grouped into distinct defects: by the server's own error body, by schema reason, with one repro each."""

from __future__ import annotations

import json
from typing import Any

from h2oharness.report.defects import group_defects, signature_of
from h2oharness.report.model import ApiReport, Failure, OperationResult


def h2o_error(exception: str, message: str, site: str) -> str:
    return json.dumps(
        {
            "__meta": {"schema_name": "H2OErrorV3"},
            "msg": message,
            "exception_type": exception,
            "exception_msg": message,
            "stacktrace": [
                f"{exception}: {message} (at foo.Bar.baz(Bar.java:1))",
                f"    {site}",
                "    water.api.X.y(X.java:9)",
            ],
        }
    )


def test_h2o_errors_are_identified_by_exception_and_throw_site_not_by_message() -> None:
    site = "hex.ModelBuilder.init(ModelBuilder.java:1234)"
    one = signature_of(500, "application/json", h2o_error("java.lang.NullPointerException", "key 'a1' is null", site))
    two = signature_of(500, "application/json", h2o_error("java.lang.NullPointerException", "key 'zz' is null", site))
    assert one == two == f"HTTP 500 java.lang.NullPointerException at {site}"
    other = signature_of(500, "application/json", h2o_error("java.lang.NullPointerException", "x", "a.B.c(B.java:2)"))
    assert other != one


def test_jetty_html_pages_are_identified_by_the_exception_in_their_title() -> None:
    page = (
        "<html><head><title>Error 500 java.lang.ArrayIndexOutOfBoundsException: Index 0 out of bounds for "
        "length 0</title></head><body><h2>HTTP ERROR 500</h2></body></html>"
    )
    assert (
        signature_of(500, "text/html;charset=iso-8859-1", page) == "HTTP 500 java.lang.ArrayIndexOutOfBoundsException"
    )


def test_other_errors_blank_the_values_that_vary() -> None:
    a = signature_of(503, "application/json", json.dumps({"detail": "experiment 'e-1' busy for 12 s"}))
    b = signature_of(503, "application/json", json.dumps({"detail": "experiment 'e-77' busy for 3 s"}))
    assert a == b
    assert signature_of(502, "text/plain", "") == "HTTP 502 (empty body)"


def _fail(check: str, curl: str, signature: str | None = None, message: str = "m", count: int = 1) -> Failure:
    return Failure(check, message, curl, count, f"HTTP 500 text/html: {curl}", signature)


def test_group_defects_counts_operations_and_keeps_the_shortest_reproduction() -> None:
    sig = "HTTP 500 java.lang.NullPointerException at a.B.c(B.java:1)"
    st101, st108 = "ST101 Server error", "ST108 Response violates schema"
    auth = "-H 'Authorization: Basic [Filtered]'"
    failures = [
        (
            "POST /3/ModelBuilders/gbm",
            _fail(st101, "curl -X POST 'http://h/3/ModelBuilders/gbm?a=1&b=2'", sig, count=3),
        ),
        ("POST /3/ModelBuilders/glm", _fail(st101, "curl -X POST 'http://h/3/ModelBuilders/glm?a=1'", sig)),
        ("GET /3/Frames", _fail(st108, "curl -X GET 'http://h/3/Frames'", message="1 is not of type 'string'\nx")),
        ("GET /3/Frames", _fail(st108, "curl -X GET 'http://h/3/Frames?x=2'", message="7 is not of type 'string'")),
        ("GET /3/Cloud", _fail(st101, f"curl -X GET {auth} 'http://h/3/Cloud'", "HTTP 500 other")),
    ]
    defects = group_defects(failures)
    assert [d.kind for d in defects] == ["server_error", "server_error", "schema_violation"]
    npe = defects[0]
    assert npe.signature == sig
    assert npe.count == 4
    assert npe.operations == ("POST /3/ModelBuilders/gbm", "POST /3/ModelBuilders/glm")
    assert npe.curl is not None
    assert npe.curl.endswith("glm?a=1'")
    assert npe.unauthenticated
    assert npe.security_relevant
    assert defects[1].signature == "HTTP 500 other"
    assert not defects[1].unauthenticated  # it carried credentials
    assert defects[2].count == 2  # the two schema failures differ only in the value


def test_api_report_lists_defects_in_json_and_reads_back() -> None:
    op = OperationResult(
        "POST", "/3/Parse", "failed", 1, (_fail("ST101 Server error", "curl -X POST 'http://h/3/Parse'", "HTTP 500 x"),)
    )
    api = ApiReport("h2o3", "H2O-3", "local", "http://h", (op,), (), ())
    data = api.to_dict()
    assert data["defects"][0]["signature"] == "HTTP 500 x"
    assert data["defects"][0]["security_relevant"] is True
    again = ApiReport.from_dict(data)
    assert again == api
    assert again.operations[0].failures[0].response == "HTTP 500 text/html: curl -X POST 'http://h/3/Parse'"


def test_html_lists_the_defects_with_their_reproduction() -> None:
    from h2oharness.report.build import build_conformance
    from h2oharness.report.writers import render_html

    op = OperationResult(
        "POST",
        "/3/Parse",
        "failed",
        1,
        (_fail("ST101 Server error", "curl -X POST 'http://h/3/Parse'", "HTTP 500 x.YError"),),
    )
    api = ApiReport("h2o3", "H2O-3", "local", "http://h", (op,), (), ())
    page = render_html(build_conformance([api], "0", "now", 1.0))
    assert "1 distinct defects behind these failures" in page
    assert "HTTP 500 x.YError" in page
    assert "no credentials needed" in page


def test_a_real_h2o3s_server_errors_get_their_throw_sites(h2o3_local: Any) -> None:
    """Different requests that hit the same bug on a real H2O-3 share a signature; another bug gets another one."""
    import httpx

    with httpx.Client(base_url=h2o3_local.url, timeout=60) as http:
        answers = [
            http.post("/3/ModelBuilders/gbm", params={"model_id": ""}),
            http.post("/3/ModelBuilders/gbm", params={"model_id": "", "ntrees": "3"}),
            http.post("/3/Parse", params={"source_frames": "[a]", "destination_frame": "b"}),
        ]
    assert [r.status_code for r in answers] == [500, 500, 500]
    sigs = [signature_of(r.status_code, r.headers.get("content-type", ""), r.text) for r in answers]
    assert sigs[0] == sigs[1]
    assert sigs[0] != sigs[2]
    assert all(" at " in s and "Exception" in s for s in sigs), sigs


def _schema_failures(body: bytes) -> list[Failure]:
    import requests
    import schemathesis
    from schemathesis.core.failures import FailureGroup

    from h2oharness.report.failures import failures_from_exception

    item = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    ok = {"type": "object", "properties": {"items": {"type": "array", "items": item}}}
    content = {"application/json": {"schema": ok}}
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": content}}}}},
    }
    case = schemathesis.openapi.from_dict(doc)["/x"]["GET"].Case()
    response = requests.models.Response()
    response.status_code, response._content = 200, body
    response.headers["Content-Type"] = "application/json"
    response.request, response.url = requests.Request("GET", "http://h/x").prepare(), "http://h/x"
    try:
        case.validate_response(response)
    except FailureGroup as group:
        return [f for f in failures_from_exception(group) if f.check.startswith("ST108")]
    raise AssertionError("the body should violate the schema")


def test_schema_violations_group_by_rule_and_field_path_whatever_the_index_or_value() -> None:
    first = _schema_failures(b'{"items": [{"n": 1}, {"n": "two"}]}')
    again = _schema_failures(b'{"items": [{"n": "x"}]}')
    other = _schema_failures(b'{"items": [{"s": 5}]}')
    assert first[0].message.startswith('/items/1/n: "two" is not of type "integer"')
    assert first[0].signature == again[0].signature == "type at /items/*/n"
    defects = group_defects([("GET /x", f) for f in (*first, *again, *other)])
    assert sorted((d.signature, d.count) for d in defects) == [
        ("GET /x: type at /items/*/n", 2),
        ("GET /x: type at /items/*/s", 1),
    ]
