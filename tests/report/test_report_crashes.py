"""Server crashes and excluded operations in the report model: first in the defects, strict and round-tripping."""

from __future__ import annotations

import pytest

from h2oharness.errors import ConfigError
from h2oharness.report.model import ApiReport, Excluded, Failure, OperationResult


def _report() -> ApiReport:
    crash = Failure(
        "server_crash", "POST /3/Shutdown at 2026-01-01T00:00:00Z: no answer", "curl -X POST http://h/3/Shutdown",
        response="server log", signature="server crash: POST /3/Shutdown",
    )  # fmt: skip
    error = Failure("ST101 Server error", "500", "curl http://h/3/A", count=9, signature="HTTP 500 java.lang.NPE")
    return ApiReport(
        "h2o3", "H2O-3", "local", "http://h",
        operations=(
            OperationResult("GET", "/3/A", "failed", failures=(error,)),
            OperationResult("POST", "/3/Shutdown", "failed", failures=(crash,)),
        ),
        scenarios=(), drift=(),
        excluded=(Excluded("POST", "/99/Rapids", "evaluates arbitrary expressions"),),
    )  # fmt: skip


def test_a_crash_comes_before_more_frequent_server_errors_and_needs_no_credentials() -> None:
    defects = _report().defects
    assert [d.kind for d in defects] == ["server_crash", "server_error"]
    assert defects[0].signature == "server crash: POST /3/Shutdown"
    assert defects[0].security_relevant


def test_excluded_operations_round_trip_and_the_reader_stays_strict() -> None:
    report = _report()
    data = report.to_dict()
    assert data["excluded"] == [{"method": "POST", "path": "/99/Rapids", "reason": "evaluates arbitrary expressions"}]
    assert ApiReport.from_dict(data) == report
    data["excluded"][0]["why"] = "x"
    with pytest.raises(ConfigError, match=r"excluded\[0\]: unexpected field 'why'"):
        ApiReport.from_dict(data)
    older = report.to_dict()
    del older["excluded"]
    assert ApiReport.from_dict(older).excluded == ()


def test_a_crashs_replay_verdict_reaches_the_defect_the_json_and_the_html() -> None:
    from dataclasses import replace

    from h2oharness.report.build import build_conformance

    report = _report()
    crash_op = report.operations[1]
    verdict = "confirmed on a fresh server 3.46.0.12 and reduced in 2 replays"
    confirmed = replace(crash_op, failures=(replace(crash_op.failures[0], reproduced=verdict),))
    report = replace(report, operations=(report.operations[0], confirmed))
    assert report.defects[0].reproduced == verdict
    assert report.to_dict()["defects"][0]["reproduced"] == verdict
    assert ApiReport.from_dict(report.to_dict()) == report
    from h2oharness.report.writers import render_html

    html = render_html(build_conformance([report], "0", "2026-01-01T00:00:00Z", 1.0))
    assert verdict in html


def test_a_crashs_fatal_line_and_throw_site_reach_the_defect_the_json_and_the_html() -> None:
    from dataclasses import replace

    from h2oharness.report.build import build_conformance
    from h2oharness.report.writers import render_html

    report = _report()
    crash_op = report.operations[1]
    fatal = replace(
        crash_op.failures[0], fatal="Unimplemented schema fill from AutoMLBuildControlV99",
        throw_site="water.api.Schema.parse(Schema.java:591)",
    )  # fmt: skip
    report = replace(report, operations=(report.operations[0], replace(crash_op, failures=(fatal,))))
    defect = report.defects[0]
    assert (defect.fatal, defect.throw_site) == (fatal.fatal, fatal.throw_site)
    assert report.to_dict()["defects"][0]["throw_site"] == "water.api.Schema.parse(Schema.java:591)"
    assert ApiReport.from_dict(report.to_dict()) == report
    html = render_html(build_conformance([report], "0", "2026-01-01T00:00:00Z", 1.0))
    assert "FATAL Unimplemented schema fill from AutoMLBuildControlV99" in html
    assert "thrown at <code>water.api.Schema.parse(Schema.java:591)</code>" in html


def test_fatal_of_reads_the_first_fatal_message_and_the_frame_below_h2o_fail() -> None:
    from h2oharness.report.defects import fatal_of

    log = (
        "INFO water.default: POST /99/AutoMLBuilder, parms: {build_control=x}\n"
        "12-03 14:27:35 3-14 FATAL water.default: Unimplemented schema fill from AutoMLBuildControlV99\n"
        "12-03 14:27:35.992 127.0.0.1:1 1 3-14 FATAL water.default: Stacktrace: \n"
        "12-03 14:27:35.992 127.0.0.1:1 1 3-14 FATAL water.default: \n"
        "java.lang.Exception: Unimplemented schema fill from AutoMLBuildControlV99\n"
        "\tat water.H2O.fail(H2O.java:1405)\n\tat water.H2O.fail(H2O.java:1431)\n"
        "\tat water.api.Schema.parse(Schema.java:591)\n\tat water.api.Schema.setField(Schema.java:397)\n"
    )
    assert fatal_of(log) == (
        "Unimplemented schema fill from AutoMLBuildControlV99",
        "water.api.Schema.parse(Schema.java:591)",
    )
    # a wrapped exception's trace comes first (thrown inside the JDK), H2O.fail's after it: its caller is the site
    wrapped = (
        "x FATAL water.default: Exception making a newInstance\nx FATAL water.default: \n"
        "java.lang.InstantiationException\n"
        "\tat java.base/jdk.internal.reflect.InstantiationExceptionConstructorAccessorImpl.newInstance(I.java:48)\n"
        "\tat water.api.Schema.createImpl(Schema.java:167)\n"
        "x FATAL water.default: Stacktrace: \nx FATAL water.default: \n"
        "java.lang.Exception: Exception making a newInstance\n"
        "\tat water.H2O.fail(H2O.java:1405)\n\tat water.api.Schema.createImpl(Schema.java:168)\n"
    )
    assert fatal_of(wrapped) == ("Exception making a newInstance", "water.api.Schema.createImpl(Schema.java:168)")
    assert fatal_of("INFO all well\nERROR not fatal") is None
    assert fatal_of("x FATAL water.default: \njava.lang.OutOfMemoryError: Java heap space") == (
        "java.lang.OutOfMemoryError: Java heap space",
        None,
    )
