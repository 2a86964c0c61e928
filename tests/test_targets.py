"""Live target settings and the probe: explicit values, environment, logins for token-issuing APIs, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.apis import get_api
from h2oharness.errors import ConfigError, TargetAuthError, TargetUnavailable
from h2oharness.mocks.serve import serve
from h2oharness.targets import (
    Credentials,
    Target,
    TargetKind,
    job_timeout,
    live_settings,
    probe,
    stream_deadline,
)


def test_workflows_live_target_logs_in_with_the_refresh_token_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from h2oharness.apis.workflows.mock import default_state, make_app
    from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN

    api = get_api("workflows")
    with serve(make_app(default_state())) as served:
        monkeypatch.delenv("WORKFLOWS_API_KEY", raising=False)
        monkeypatch.setenv("WORKFLOWS_URL", served.url)
        monkeypatch.setenv("WORKFLOWS_ISSUER_URL", served.url)
        monkeypatch.setenv("WORKFLOWS_CLIENT_ID", DEFAULT_CLIENT_ID)
        monkeypatch.setenv("WORKFLOWS_REFRESH_TOKEN", DEFAULT_REFRESH_TOKEN)
        url, creds = live_settings(api)
        assert creds.token
        assert creds.token != DEFAULT_REFRESH_TOKEN  # an access token the issuer minted
        probe(url, api.health_path, creds)  # the token opens the API
        monkeypatch.setenv("WORKFLOWS_REFRESH_TOKEN", "not-the-refresh-token")
        with pytest.raises(TargetAuthError, match="refused the refresh token"):
            live_settings(api)


def test_an_explicit_token_wins_over_a_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOWS_ISSUER_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WORKFLOWS_CLIENT_ID", "c")
    monkeypatch.setenv("WORKFLOWS_REFRESH_TOKEN", "r")
    _, creds = live_settings(get_api("workflows"), url="http://127.0.0.1:9", token="sk-given")
    assert creds.token == "sk-given"


def test_a_live_target_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COREPLEXML_URL", raising=False)
    with pytest.raises(ConfigError, match="COREPLEXML_URL"):
        live_settings(get_api("coreplexml"))


def test_refused_bearer_token_says_token() -> None:
    from h2oharness.apis.coreplexml.mock import default_state, make_app

    api = get_api("coreplexml")
    with serve(make_app(default_state())) as served:
        with pytest.raises(TargetAuthError, match="wrong or missing API key or token"):
            probe(served.url, api.health_path, Credentials(token="sk-wrong"))
        with pytest.raises(TargetAuthError, match="none given"):
            probe(served.url, api.health_path, Credentials())


def test_open_target_serves_a_fresh_mock_with_its_credentials() -> None:
    import httpx

    from h2oharness.targets import open_target

    with open_target(get_api("h2ogpte"), "mock") as target:
        assert target.kind == "mock"
        assert target.url.startswith("http://127.0.0.1:")
        assert target.credentials.token
        with target.client(timeout=10) as http:
            assert http.get("/rpc/meta").status_code == 200
        url = target.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/rpc/meta", timeout=2)  # stopped with the block


def test_open_target_uses_a_handed_target_of_the_same_kind_only() -> None:
    from h2oharness.settings import Handed
    from h2oharness.targets import open_target

    handed = Handed("live", "http://127.0.0.1:9", "3.46.0.12", token="sk")
    with open_target(get_api("h2ogpte"), "live", handed=handed) as target:
        assert (target.url, target.version, target.credentials.token) == ("http://127.0.0.1:9", "3.46.0.12", "sk")
    with open_target(get_api("h2ogpte"), "mock", handed=handed) as target:
        assert target.url != "http://127.0.0.1:9"


def test_a_handed_target_the_cli_could_not_use_raises_its_reason_without_contacting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import h2oharness.targets
    from h2oharness.errors import TargetUnavailable
    from h2oharness.settings import Handed
    from h2oharness.targets import open_target

    def never(*args: object, **kwargs: object) -> str:
        raise AssertionError("contacted a target the CLI already found unusable")

    monkeypatch.setattr(h2oharness.targets, "probe", never)
    handed = Handed("live", "http://127.0.0.1:9", error="cannot reach http://127.0.0.1:9: refused")
    with (
        pytest.raises(TargetUnavailable, match=r"^cannot reach http://127\.0\.0\.1:9: refused$"),
        open_target(get_api("coreplexml"), "live", handed=handed),
    ):
        pass
    with open_target(get_api("coreplexml"), "mock", handed=handed) as target:  # another kind: not that one
        assert target.kind == "mock"


def test_open_target_checks_a_live_url_before_contacting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.targets import open_target

    seen: list[str] = []

    def refuse(url: str) -> None:
        seen.append(url)
        raise ConfigError(f"refusing {url}")

    monkeypatch.setenv("H2OGPTE_URL", "http://127.0.0.1:9/")
    with (
        pytest.raises(ConfigError, match=r"refusing http://127\.0\.0\.1:9"),
        open_target(get_api("h2ogpte"), "live", before_live=refuse),
    ):
        pass
    assert seen == ["http://127.0.0.1:9"]  # the probe (to a closed port) never ran


@pytest.mark.parametrize(("slug", "kind", "message"), [
    ("h2ogpte", "local", "h2oGPTe REST has no local target"),
    ("h2o3", "staging", "unknown target 'staging'"),
])  # fmt: skip
def test_open_target_refuses_a_kind_the_api_lacks(slug: str, kind: str, message: str) -> None:
    from h2oharness.targets import open_target

    with pytest.raises(ConfigError, match=message), open_target(get_api(slug), kind):
        pass


def test_userinfo_in_the_url_becomes_basic_credentials_and_leaves_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H2O3_USERNAME", raising=False)
    url, creds = live_settings(get_api("h2o3"), url="http://admin:p%40ss@127.0.0.1:9/")
    assert url == "http://127.0.0.1:9"
    assert (creds.username, creds.password) == ("admin", "p@ss")
    # an explicit user wins; a token API leaves the userinfo out (Basic would replace its bearer header)
    _, creds = live_settings(get_api("h2o3"), url="http://admin:x@127.0.0.1:9", username="other", password="y")
    assert (creds.username, creds.password) == ("other", "y")
    url, creds = live_settings(get_api("h2ogpte"), url="http://admin:x@127.0.0.1:9", token="sk-given")
    assert (url, creds.username, creds.password, creds.token) == ("http://127.0.0.1:9", None, None, "sk-given")


@pytest.mark.parametrize(("option", "named"), [("--url", "--username"), ("--harness-url", "--harness-username")])
def test_a_password_given_without_a_user_is_refused_not_dropped(
    monkeypatch: pytest.MonkeyPatch, option: str, named: str
) -> None:
    # before, run --password-env without --username asked with no credentials at all, and the 401 blamed them
    monkeypatch.delenv("H2O3_USERNAME", raising=False)
    with pytest.raises(ConfigError) as info:
        live_settings(get_api("h2o3"), url="http://127.0.0.1:9", password="pw", url_option=option)
    assert str(info.value) == f"a password is given for h2o3 but no user: give {named} (or H2O3_USERNAME)"
    monkeypatch.setenv("H2O3_USERNAME", "qa")
    _, creds = live_settings(get_api("h2o3"), url="http://127.0.0.1:9", password="pw", url_option=option)
    assert (creds.username, creds.password) == ("qa", "pw")


def test_a_url_with_its_scheme_in_upper_case_is_taken_in_lower_case(monkeypatch: pytest.MonkeyPatch) -> None:
    # a scheme is case-insensitive (RFC 3986): 'HTTPS://...' pasted from a ticket was refused as not http(s)
    monkeypatch.setenv("COREPLEXML_URL", "HTTPS://Stage.Example/base/")
    monkeypatch.setenv("COREPLEXML_API_KEY", "sk-x")
    assert live_settings(get_api("coreplexml"))[0] == "https://Stage.Example/base"
    url, creds = live_settings(get_api("h2o3"), url="Http://qa:pw@127.0.0.1:9/")
    assert (url, creds.username, creds.password) == ("http://127.0.0.1:9", "qa", "pw")
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        live_settings(get_api("h2o3"), url="FTP://127.0.0.1:9")


def test_split_userinfo() -> None:
    from h2oharness.targets import split_userinfo

    assert split_userinfo("https://u:p@h:1/x?y=1") == ("https://h:1/x?y=1", "u", "p")
    assert split_userinfo("https://tok@h") == ("https://h", "tok", None)
    assert split_userinfo("https://h/a@b") == ("https://h/a@b", None, None)


def _workflows_login_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN

    monkeypatch.delenv("WORKFLOWS_API_KEY", raising=False)
    monkeypatch.setenv("WORKFLOWS_ISSUER_URL", url)
    monkeypatch.setenv("WORKFLOWS_CLIENT_ID", DEFAULT_CLIENT_ID)
    monkeypatch.setenv("WORKFLOWS_REFRESH_TOKEN", DEFAULT_REFRESH_TOKEN)


def test_every_host_of_a_login_is_checked_before_it_is_contacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.apis.workflows.mock import default_state, make_app

    state = default_state()
    with serve(make_app(state)) as served:
        _workflows_login_env(monkeypatch, served.url)
        checked: list[tuple[str, int]] = []

        def check(url: str) -> None:
            checked.append((url, len(state.recorded())))

        _, creds = live_settings(get_api("workflows"), url=served.url, before_contact=check)
    assert creds.token
    # the server, then the issuer before its discovery document, then the token endpoint before the grant
    assert [u for u, _ in checked] == [served.url, served.url, f"{served.url}/token"]
    assert [n for _, n in checked] == [0, 0, 1]


def test_a_refused_issuer_is_never_contacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.apis.workflows.mock import default_state, make_app

    state = default_state()
    with serve(make_app(state)) as served:
        _workflows_login_env(monkeypatch, served.url.replace("127.0.0.1", "localhost") + "/issuer")

        def check(url: str) -> None:
            if "/issuer" in url:
                raise ConfigError(f"refusing {url}")

        with pytest.raises(ConfigError, match="refusing http://localhost"):
            live_settings(get_api("workflows"), url=served.url, before_contact=check)
    assert state.recorded() == []


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, 180.0),
        ({"HARNESS_REQUEST_DEADLINE": "5"}, 5.0),
        ({"HARNESS_REQUEST_DEADLINE": "5", "HARNESS_STREAM_DEADLINE": "600"}, 600.0),
    ],
)
def test_a_stream_lives_by_the_stream_deadline_else_the_runs_request_deadline_else_its_own(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: float
) -> None:
    for name in ("HARNESS_REQUEST_DEADLINE", "HARNESS_STREAM_DEADLINE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert stream_deadline(180.0) == expected


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [("mock", None, 30.0), ("local", None, 1800.0), ("live", None, 1800.0), ("mock", "7", 7.0)],
)
def test_a_job_waits_the_mocks_bound_on_the_mock_a_real_servers_elsewhere_and_the_variable_wins(
    monkeypatch: pytest.MonkeyPatch, kind: TargetKind, value: str | None, expected: float
) -> None:
    monkeypatch.delenv("X_JOB_TIMEOUT", raising=False)
    if value is not None:
        monkeypatch.setenv("X_JOB_TIMEOUT", value)
    assert job_timeout(Target(kind, "http://127.0.0.1:1"), "X_JOB_TIMEOUT", mock=30.0, real=1800.0) == expected


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_a_job_timeout_variable_that_is_no_number_of_seconds_names_itself(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("X_JOB_TIMEOUT", value)
    with pytest.raises(ConfigError, match=f"X_JOB_TIMEOUT must be .*{value}"):
        job_timeout(Target("mock", "http://127.0.0.1:1"), "X_JOB_TIMEOUT", mock=30.0, real=1800.0)


STREAMS = Path(__file__).resolve().parent.parent / "contracts" / "h2ogpte" / "test_h2ogpte_streams.py"


def test_a_client_without_the_targets_credentials_keeps_the_request_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An anonymous request, or one with a token of the test's own, ends at --request-deadline like any other."""
    import time

    import httpx

    from h2oharness.mocks.faults import FaultPlan
    from h2oharness.targets import Target, serve_mock

    monkeypatch.setenv("HARNESS_REQUEST_DEADLINE", "0.5")
    plan = FaultPlan.from_data([{"path": "/api/v1/chats", "fault": "latency=5"}])
    with serve_mock(get_api("h2ogpte"), faults=plan) as target, Target(target.kind, target.url).client() as anonymous:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException, match="POST /api/v1/chats"):
            anonymous.post("/api/v1/chats", json={})
        assert time.monotonic() - started < 3


def test_the_anonymous_stream_check_fails_past_the_request_deadline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # answers 3 s late with --request-deadline 1: it passed, after 6 s, on the 401s it waited for
    plan = pytester.path / "faults.yaml"
    plan.write_text("rules:\n  - {path: /api/v1/chats/*/completions, fault: latency=3}\n")
    monkeypatch.setenv("HARNESS_MOCK_FAULTS", str(plan))
    monkeypatch.setenv("HARNESS_REQUEST_DEADLINE", "1")
    pytester.makepyfile(test_streams=STREAMS.read_text())
    result = pytester.runpytest_inprocess("--harness-target", "mock", "-p", "no:cacheprovider", "-k", "need_the_key")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*POST /api/v1/chats/any/completions*"])


@pytest.mark.parametrize(
    ("slug", "suffix"), [("h2o3", "/3"), ("h2ogpte", "/api/v1/"), ("coreplexml", "/api/experiments")]
)
def test_a_url_ending_in_the_apis_own_prefix_is_named_with_the_base_url_to_give(slug: str, suffix: str) -> None:
    import importlib

    api = get_api(slug)
    mock = importlib.import_module(f"{api.module}.mock")
    state = mock.default_state()
    with serve(mock.make_app(state)) as served:
        creds = state.client_credentials()
        url = f"{served.url}{suffix}".rstrip("/")
        with pytest.raises(TargetUnavailable) as raised:
            probe(url, api.health_path, creds)
    message = str(raised.value)
    assert f"the API answers at {served.url}: give the server's base URL, without {suffix.rstrip('/')!r}" in message


def test_a_url_with_a_path_the_server_does_not_answer_at_its_root_either_asks_if_it_is_the_right_server() -> None:
    from h2oharness.apis.h2o3.mock import default_state, make_app

    with (
        serve(make_app(default_state())) as served,
        pytest.raises(TargetUnavailable, match=r"answered HTTP 404: is this the right server\?$"),
    ):
        probe(f"{served.url}/nothing-here", "/3/NoSuchHealth", Credentials())


@pytest.mark.parametrize(
    ("slug", "where"),
    [
        ("coreplexml", "set COREPLEXML_API_KEY (or name the variable with --api-key-env)"),
        ("workflows", "set WORKFLOWS_API_KEY, or the login's variables (WORKFLOWS_ISSUER_URL, WORKFLOWS_CLIENT_ID"),
    ],
)
def test_a_target_refusing_a_run_that_gave_no_credentials_names_where_they_go(
    monkeypatch: pytest.MonkeyPatch, slug: str, where: str
) -> None:
    import importlib

    from h2oharness.targets import open_target

    api = get_api(slug)
    for suffix in ("API_KEY", "USERNAME", "PASSWORD", "ISSUER_URL", "CLIENT_ID", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"{api.env_prefix}_{suffix}", raising=False)
    mock = importlib.import_module(f"{api.module}.mock")
    with (
        serve(mock.make_app(mock.default_state())) as served,
        pytest.raises(TargetAuthError) as refused,
        open_target(api, "live", url=served.url),
    ):
        pass
    assert f"refused the credentials (HTTP 401): wrong or missing credentials (none given): {where}" in str(
        refused.value
    )
