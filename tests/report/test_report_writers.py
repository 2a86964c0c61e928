from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from h2oharness.errors import ConfigError
from h2oharness.http.curl import curl_command
from h2oharness.report.build import build_conformance
from h2oharness.report.model import ApiReport, Conformance, DriftEntry, Failure, OperationResult, ScenarioResult
from h2oharness.report.writers import read_json, redact_conformance, render_html, write_all, write_html, write_json

PASSWORD = "hunter2!Pa55"
TOKEN = "tok_9f8e7d6c5b4a3210"
SK_KEY = "sk-live-0123456789abcdefABCDEF"
SECRETS = (PASSWORD, TOKEN, SK_KEY)


def _conformance(api: ApiReport) -> Conformance:
    return build_conformance([api], "0.1.0", "2025-01-01T12:00:00Z", 62.5)


def _report(title: str = "H2O-3 REST", message: str = "500 server error") -> Conformance:
    operations = (
        OperationResult("GET", "/3/Cloud", "passed", 3),
        OperationResult("POST", "/3/Parse", "untested"),
        OperationResult("GET", "/3/Zeta", "failed", 4, (Failure("status_code", message, "curl http://h/3/Zeta", 2),)),
    )
    scenarios = (ScenarioResult("parse→train→predict", "passed", "", 12.3), ScenarioResult("grid", "failed", "oom"))
    drift = (DriftEntry("000_seed.txt", "GET /3/Frames field rows", "integer", 'string "150"'),)
    api = ApiReport("h2o3", title, "local", "http://127.0.0.1:54321", operations, scenarios, drift, (), "3.46.0.12")
    return _conformance(api)


def _planted() -> Conformance:
    """Secrets everywhere a string can go, raw and in their wire forms."""
    raw_curl = (
        f"curl -u admin:{PASSWORD} -H 'Authorization: Bearer {TOKEN}' "
        f"'http://h/3/Parse?pw={quote(PASSWORD, safe='')}&key={SK_KEY}'"
    )
    failures = (
        Failure("status_code", f"server echoed our password {PASSWORD} and token {TOKEN}", raw_curl),
        Failure("body", f"body was {json.dumps({'api_key': SK_KEY, 'pw': PASSWORD})}", None),
        Failure("form", f"sent pw={quote_plus(PASSWORD)}", curl_command("POST", "http://h/x", body={"pw": PASSWORD})),
    )
    api = ApiReport(
        slug="h2o3",
        title=f"H2O-3 ({TOKEN})",
        target="live",
        target_url=f"http://admin:{PASSWORD}@h2o.example:54321",
        operations=(OperationResult("POST", f"/3/Parse/{TOKEN}", "failed", 2, failures),),
        scenarios=(ScenarioResult("login", "failed", f"logged in with {PASSWORD}", 1.0),),
        drift=(DriftEntry("client", "key header", "X-Api-Key", f"Authorization: Bearer {SK_KEY}"),),
        errors=(f"target refused token {TOKEN}",),
        target_version=SK_KEY,
    )
    return _conformance(api)


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)}


def test_planted_secrets_never_reach_any_output_file(tmp_path: Path) -> None:
    report = _planted()
    assert PASSWORD in report.summary  # so the guard below really guards something
    paths = write_all(report, tmp_path / "reports", secrets=SECRETS)
    assert {path.name for path in tmp_path.joinpath("reports").iterdir()} == {"conformance.json", "conformance.html"}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            for form in _forms(secret):
                assert form not in text, f"{form!r} leaked into {path.name}"
        assert "[REDACTED]" in text


def test_credentials_in_known_shapes_are_masked_even_without_the_secret_list(tmp_path: Path) -> None:
    failure = Failure(
        "auth", f"sent Authorization: Bearer {TOKEN}", f"curl -u admin:{PASSWORD} 'http://h/?key={SK_KEY}'"
    )
    api = ApiReport(
        "h2o3",
        "H2O-3",
        "live",
        f"http://admin:{PASSWORD}@h2o.example",
        (OperationResult("GET", "/3/Cloud", "failed", 1, (failure,)),),
        (ScenarioResult("s", "failed", f"password={PASSWORD}"),),
        (DriftEntry("client", "auth", "basic", f"api key {SK_KEY}"),),
    )
    for path in write_all(_conformance(api), tmp_path):
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {path.name}"


def test_redaction_leaves_the_closed_vocabularies_alone() -> None:
    redacted = redact_conformance(_report(), secrets=["passed", "failed"])
    assert [op.outcome for op in redacted.apis[0].operations] == ["passed", "untested", "failed"]


def test_json_file_reads_back_as_the_redacted_report(tmp_path: Path) -> None:
    report = _planted()
    path = write_json(report, tmp_path / "deep" / "conformance.json", secrets=SECRETS)
    assert read_json(path) == redact_conformance(report, SECRETS)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["format"] == 1
    assert text.endswith("}\n")
    assert not list(path.parent.glob(".*partial"))


def test_json_keeps_unicode_readable(tmp_path: Path) -> None:
    text = write_json(_report(), tmp_path / "c.json").read_text(encoding="utf-8")
    assert "parse→train→predict" in text


def test_read_json_of_a_missing_or_broken_file_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read report") as missing:
        read_json(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1, "apis": [}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.json: not valid JSON") as bad:
        read_json(broken)
    assert "\n" not in str(missing.value) + str(bad.value)


def test_html_escapes_hostile_strings() -> None:
    page = render_html(_report(title="<b>H2O</b>", message="got <script>alert('x')</script> & <img src=x>"))
    assert "<script>alert" not in page.lower()
    assert page.count("<script") == 1  # the page's own, at the end
    assert "<img" not in page
    assert "<b>H2O</b>" not in page
    assert "got &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img src=x&gt;" in page
    assert "&lt;b&gt;H2O&lt;/b&gt;" in page


def test_html_is_self_contained() -> None:
    page = render_html(_report())
    for external in ("<link", " src=", "@import", "url(", "http-equiv", "://cdn"):
        assert external not in page
    assert page.count("<style>") == 1
    assert page.count("<script>") == page.count("<script") == 1  # inline, no src: works offline


def test_html_shows_failed_operations_first_and_untested_apart() -> None:
    page = render_html(_report())
    table = page[page.index('<table class="operations">') : page.index("</table>")]
    assert table.index("/3/Zeta") < table.index("/3/Cloud")  # failed before passed, whatever the path order
    assert "/3/Parse" not in table
    details = page[page.index('<details class="untested">') :]
    details = details[: details.index("</details>")]
    assert "1 untested operation<" in details  # one, not "1 untested operations"
    assert "/3/Parse" in details
    assert "/3/Cloud" not in details


def test_html_header_has_summary_and_exit_code(tmp_path: Path) -> None:
    report = _report()
    text = write_html(report, tmp_path / "c.html").read_text(encoding="utf-8")
    assert "exit code 1" in text
    assert html.escape(report.summary) in text
    assert "contract violated" in text


def test_html_has_failures_with_curl_scenarios_and_drift() -> None:
    page = render_html(_report())
    assert "<pre>curl http://h/3/Zeta</pre>" in page
    assert "×2" in page
    assert "parse→train→predict" in page
    assert "oom" in page
    assert "000_seed.txt" in page
    assert "string &#34;150&#34;" in page


def test_html_for_an_empty_run() -> None:
    page = render_html(build_conformance([], "0.1.0", "now", 0.0))
    assert "No APIs were tested." in page
    assert "conforms" in page
