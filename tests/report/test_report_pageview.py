"""What the conformance page shows: new failures first, known findings as known, reproductions that work again."""

from __future__ import annotations

import re

from h2oharness.report.build import build_conformance
from h2oharness.report.model import ApiReport, Conformance, Failure, OperationResult, ScenarioResult
from h2oharness.report.pageview import operation_status, page_view, serve_hint
from h2oharness.report.writers import render_html

KNOWN = Failure(
    "ST101 Server error", "500 on empty parse", "curl -X POST http://127.0.0.1:41234/3/Parse", known="PUBDEV-1"
)
NEW = Failure("ST108 Response violates schema", "id is not a string", "curl http://127.0.0.1:41234/3/Zeta")


def _api(slug: str, *operations: OperationResult, target: str = "mock", **extra: object) -> ApiReport:
    return ApiReport(slug, slug.upper(), target, "http://127.0.0.1:41234", operations, (), (), **extra)  # type: ignore[arg-type]


def _report(*apis: ApiReport) -> Conformance:
    return build_conformance(apis, "0.1.0", "now", 1.0)


def test_a_failure_only_on_known_findings_is_known_anything_else_failed_is_new() -> None:
    assert operation_status(OperationResult("GET", "/a", "failed", 1, (KNOWN,))) == "known"
    assert operation_status(OperationResult("GET", "/a", "failed", 1, (KNOWN, NEW))) == "new"
    assert operation_status(OperationResult("GET", "/a", "failed", 1)) == "new"  # failed, no reason given
    assert operation_status(OperationResult("GET", "/a", "passed", 1)) == "passed"
    assert operation_status(OperationResult("GET", "/a", "untested")) == "untested"


def test_apis_with_new_failures_come_first_then_those_with_known_ones_each_in_report_order() -> None:
    page = page_view(
        _report(
            _api("alpha", OperationResult("GET", "/a", "passed", 1)),
            _api("beta", OperationResult("GET", "/b", "failed", 1, (KNOWN,))),
            _api("gamma", OperationResult("GET", "/c", "passed", 1)),
            _api("zeta", OperationResult("GET", "/z", "failed", 1, (NEW,))),
            _api("omega", errors=("no server",)),
        )
    )
    assert [view.api.slug for view in page.apis] == ["zeta", "omega", "beta", "alpha", "gamma"]
    assert (page.new, page.known, page.passed) == (1, 1, 2)
    assert [(line.what, line.anchor) for line in page.new_failures] == [
        ("GET /z", "op-zeta-0"),
        ("the harness could not run", "errors-omega"),
    ]


def test_the_pages_new_failures_name_a_flow_a_flow() -> None:
    flow = ScenarioResult("test_h2o3_stateful_flow", "failed", "POST /3/Parse: no complete answer", flow=True)
    scenario = ScenarioResult("test_parse_train", "failed", "job FAILED")
    page = page_view(_report(ApiReport("h2o3", "H2O-3", "mock", "u", (), (flow, scenario), ())))
    assert [line.what for line in page.new_failures] == ["flow test_h2o3_stateful_flow", "scenario test_parse_train"]


def test_within_an_api_new_then_known_then_passed_each_in_path_order_untested_apart() -> None:
    ops = (
        OperationResult("GET", "/a", "passed", 2),
        OperationResult("GET", "/b", "failed", 2, (KNOWN,)),
        OperationResult("GET", "/c", "untested"),
        OperationResult("POST", "/d", "failed", 2, (NEW,)),
        OperationResult("GET", "/d", "failed", 2, (KNOWN, NEW)),
        OperationResult("GET", "/e", "passed", 2),
    )
    scenarios = (
        ScenarioResult("flow ok", "passed"),
        ScenarioResult("flow known", "failed", "500", known=True),
        ScenarioResult("flow broken", "failed", "boom\nmore"),
    )
    (view,) = page_view(_report(ApiReport("h2o3", "H2O-3", "mock", "u", ops, scenarios, ()))).apis
    assert [(row.op.method, row.op.path, row.status) for row in view.operations] == [
        ("GET", "/d", "new"),
        ("POST", "/d", "new"),
        ("GET", "/b", "known"),
        ("GET", "/a", "passed"),
        ("GET", "/e", "passed"),
    ]
    assert [op.path for op in view.untested] == ["/c"]
    assert [(row.scenario.name, row.status) for row in view.scenarios] == [
        ("flow broken", "new"),
        ("flow known", "known"),
        ("flow ok", "passed"),
    ]
    assert (view.new, view.known) == (3, 2)
    # in a row that has both, the new failure is shown before the known one
    assert [f.status for f in view.operations[0].failures] == ["new", "known"]
    assert len({row.anchor for row in (*view.operations, *view.scenarios)}) == 8


def test_a_mock_targets_reproduction_starts_the_same_mock_on_the_reports_port_first() -> None:
    assert serve_hint("mock", "http://127.0.0.1:41234", "h2o3") == "h2oharness serve --api h2o3 --port 41234"
    assert serve_hint("mock", "http://127.0.0.1", "h2o3") == "h2oharness serve --api h2o3"
    faulted = "h2oharness serve --api h2o3 --port 41234 --faults '/tmp/my plan.yaml'"
    assert serve_hint("mock", "http://127.0.0.1:41234", "h2o3", "/tmp/my plan.yaml") == faulted
    assert serve_hint("local", "http://127.0.0.1:54321", "h2o3") is None
    assert serve_hint("live", "https://h2o.example:443", "h2o3") is None
    secret = Failure("auth", "401", "curl -H 'Authorization: Bearer [REDACTED]' http://127.0.0.1:41234/v1/x")
    (view,) = page_view(_report(_api("h2ogpte", OperationResult("GET", "/v1/x", "failed", 1, (NEW, secret))))).apis
    first, second = (f.repro or "" for f in view.operations[0].failures)
    lines = first.splitlines()
    assert lines[1] == "h2oharness serve --api h2ogpte --port 41234"
    assert lines[-1] == NEW.curl
    assert "[REDACTED]" in second.splitlines()[2]  # says where the credentials go
    (local,) = page_view(_report(_api("h2o3", OperationResult("GET", "/a", "failed", 1, (NEW,)), target="local"))).apis
    assert local.operations[0].failures[0].repro == NEW.curl
    assert local.serve is None


def test_a_long_message_shows_its_first_line_and_folds_the_rest() -> None:
    long = Failure("ST108", "/items/0: wrong type\n\n" + "{" + '"x": 1, ' * 500 + "}")
    wide = Failure("ST101", "y" * 1000)
    short = Failure("ST101", "just this")
    op = OperationResult("GET", "/a", "failed", 1, (long, wide, short))
    shown = {
        f.failure.check + f.failure.message[:1]: f
        for f in page_view(_report(_api("h", op))).apis[0].operations[0].failures
    }
    assert (shown["ST108/"].headline, shown["ST108/"].more) == ("/items/0: wrong type", long.message)
    assert shown["ST101y"].headline.endswith("…")
    assert len(shown["ST101y"].headline) <= 160
    assert shown["ST101y"].more == wide.message
    assert (shown["ST101j"].headline, shown["ST101j"].more) == ("just this", "")


def _row(page: str, path: str) -> str:
    start = page.index(f"<code>{path}</code>")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_the_page_opens_on_its_new_failures_with_links_to_their_rows_and_known_ones_look_known() -> None:
    ops = [OperationResult("GET", f"/ok/{i:02d}", "passed", 3) for i in range(63)]
    ops += [
        OperationResult("GET", "/known", "failed", 4, (KNOWN,)),
        OperationResult("GET", "/new", "failed", 5, (NEW,)),
    ]
    page = render_html(_report(_api("aaa", OperationResult("GET", "/x", "passed", 1)), _api("zzz", *ops)))
    summary, new_failures = page.index('<header id="summary">'), page.index('<section id="new-failures">')
    assert summary < new_failures < page.index('class="row row-passed"')
    assert page.index('id="api-zzz"') < page.index('id="api-aaa"')
    link = re.search(r'<a href="#(op-zzz-\d+)">ZZZ · <code>GET /new</code></a>', page)
    assert link, "no jump link to the new failure"
    new_row = _row(page, "/new")
    assert f'id="{link.group(1)}"' in new_row
    assert 'class="badge new">new failure<' in new_row
    known_row = _row(page, "/known")
    assert "row-known" in known_row
    assert 'class="badge known">known<' in known_row
    assert "badge failed" not in known_row
    assert "badge new" not in known_row
    assert "known finding: PUBDEV-1" in known_row
    assert page.index("/new</code>") < page.index("/known</code>") < page.index("/ok/00</code>")
    assert '<td class="num">5</td>' in new_row  # the real case count
    for status in ("new", "known", "passed"):
        assert f'<input type="checkbox" value="{status}" checked>' in page
    assert "h2oharness serve --api zzz --port 41234\ncurl http://127.0.0.1:41234/3/Zeta" in page


def test_a_run_without_new_failures_says_so_where_they_would_be() -> None:
    page = render_html(_report(_api("h2o3", OperationResult("GET", "/known", "failed", 4, (KNOWN,)))))
    section = page[page.index('<section id="new-failures"') : page.index("</section>")]
    assert "No new failures" in section
    assert "known finding" in section


def test_a_failure_met_on_another_workers_mock_is_reproduced_on_that_mocks_port() -> None:
    # with --workers 2 each worker serves a mock of its own; the page started the report's one (41234) and then
    # sent the curl to the other's port, which nothing listened on any more
    other = Failure("ST101 Server error", "500", "curl -X GET 'http://127.0.0.1:39887/3/Zeta?x=1'")
    op = OperationResult("GET", "/3/Zeta", "failed", 2, (NEW, other))
    (view,) = page_view(_report(_api("h2o3", op, mock_faults="/tmp/plan.yaml"))).apis
    hints = [(f.repro or "").splitlines()[1] for f in view.operations[0].failures]
    assert hints == [
        "h2oharness serve --api h2o3 --port 41234 --faults /tmp/plan.yaml",
        "h2oharness serve --api h2o3 --port 39887 --faults /tmp/plan.yaml",
    ]
    assert view.serve == "h2oharness serve --api h2o3 --port 41234 --faults /tmp/plan.yaml"
