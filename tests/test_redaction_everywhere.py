"""Nothing secret leaves the process: four credential schemes planted against a server that echoes them back.

The server answers every API call with a 500 whose body repeats what it was sent (credentials bare,
percent-encoded, base64-encoded and Basic decoded, where no pattern would spot them), and its OIDC issuer
echoes the refresh token and client secret of a refused grant. ``h2oharness run`` and ``load`` go at it
through the CLI; then every file of the report folders and everything printed is searched for each
secret in its plain, percent-encoded and base64 forms.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from h2oharness.mocks.serve import serve

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# one value per scheme, each long enough for its base64 forms to be searched
API_KEY = "sk-planted-bearer-4pi-k3y"
BASIC_USER, BASIC_PASSWORD = "basicuser", "planted Basic p@ss/w0rd"
URL_USER, URL_PASSWORD = "urluser", "planted-url-p4ss"
REFRESH_TOKEN, CLIENT_SECRET = "planted-refresh-t0ken", "planted-client-s3cret"
ACCESS_TOKEN = "planted-access-t0ken-from-the-issuer"
SECRETS = (API_KEY, BASIC_PASSWORD, URL_PASSWORD, REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN)
HEALTH = {"/3/Cloud", "/rpc/meta", "/api/experiments", "/v1/workspaces/default/workflows"}


def forms(secret: str, user: str | None = None) -> set[str]:
    """How the secret would show if it leaked: plain, percent-encoded, base64 (alone and as Basic user:secret)."""
    found = {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode()}
    for name in (user, BASIC_USER, URL_USER):
        if name:
            found.add(base64.b64encode(f"{name}:{secret}".encode()).decode())
    return found


def leaks(text: str) -> list[str]:
    """The forms of any planted secret that ``text`` contains."""
    return sorted(form for secret in SECRETS for form in forms(secret) if form in text)


def _echo(headers: dict[str, str], body: bytes) -> str:
    """What was sent, in the forms a careless server would repeat it: no pattern of the redaction catches these."""
    lines = ["server error; the request was:"]
    for name, value in headers.items():
        bare = value.split(" ", 1)[1] if value.lower().startswith(("basic ", "bearer ")) else value
        lines.append(f"h {name.lower()[:2]} = {bare} ~ {quote(bare, safe='')} ~ {base64.b64encode(bare.encode())!r}")
        if value.lower().startswith("basic "):
            lines.append(f"h decoded = {base64.b64decode(bare).decode()}")
    lines.append(f"body = {body.decode(errors='replace')[:300]}")
    return "\n".join(lines)


class EchoServer:
    """An ASGI app: health paths answer 200, the issuer under /oidc-ok/ grants and under /oidc-bad/ refuses
    echoing the grant, anything else is a 500 that echoes the request. ``seen`` holds every request's headers."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.base = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = dict(request.headers)
        self.seen.append(headers)
        path = request.url.path
        response: Response
        if path.endswith("/.well-known/openid-configuration"):
            response = JSONResponse({"token_endpoint": f"{self.base}{path.split('/.well-known')[0]}/token"})
        elif path == "/oidc-ok/token":
            response = JSONResponse({"access_token": ACCESS_TOKEN, "token_type": "Bearer"})
        elif path == "/oidc-bad/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            described = f"refresh token {form.get('refresh_token')} of secret {form.get('client_secret')} is unknown"
            response = JSONResponse({"error": "invalid_grant", "error_description": described}, status_code=400)
        elif path in HEALTH and request.method == "GET":
            response = JSONResponse({"version": "echo-1", "cloud_healthy": True, "items": []})
        else:
            response = PlainTextResponse(_echo(headers, body), status_code=500)
        await response(scope, receive, send)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[tuple[EchoServer, str]]:
    app = EchoServer()
    with serve(app) as served:
        app.base = served.url
        yield app, served.url


@pytest.fixture
def echo(echo_server: tuple[EchoServer, str]) -> tuple[EchoServer, str]:
    """The module's echoing server, its record of requests emptied for this test."""
    echo_server[0].seen.clear()
    return echo_server


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "HYPOTHESIS_"))}
    base = {k: v for k, v in base.items() if not k.startswith(("H2O3_", "H2OGPTE_", "WORKFLOWS_", "COREPLEXML_"))}
    base["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), base.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "h2oharness.cli", *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def assert_nothing_leaked(proc: subprocess.CompletedProcess[str], folder: Path | None) -> int:
    """No planted secret in any form in the output or in any file of ``folder``; how many files were searched."""
    assert leaks(proc.stdout) == [], proc.stdout[-3000:]
    assert leaks(proc.stderr) == [], proc.stderr[-3000:]
    files = [p for p in folder.rglob("*") if p.is_file()] if folder else []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert leaks(text) == [], f"{path.name}: {leaks(text)}"
    return len(files)


def sent(app: EchoServer, value: str) -> bool:
    """Whether some request carried ``value`` (plain, or base64 inside an Authorization header)."""
    for headers in app.seen:
        auth = headers.get("authorization", "")
        decoded = base64.b64decode(auth.split(" ", 1)[1]).decode() if auth.lower().startswith("basic ") else ""
        if value in auth or value in decoded:
            return True
    return False


def test_the_needles_are_real() -> None:
    # the search would find a leak: each form is what an unredacted echo carries
    basic = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    echoed = _echo({"Authorization": f"Basic {basic}"}, b"")
    assert basic in echoed
    assert BASIC_PASSWORD in echoed
    assert quote(BASIC_PASSWORD, safe="") in _echo({"X": BASIC_PASSWORD}, b"")
    assert leaks(echoed)


def with_userinfo(url: str) -> str:
    return url.replace("://", f"://{URL_USER}:{quote(URL_PASSWORD, safe='')}@")


OIDC = {
    "WORKFLOWS_CLIENT_ID": "harness",
    "WORKFLOWS_REFRESH_TOKEN": REFRESH_TOKEN,
    "WORKFLOWS_CLIENT_SECRET": CLIENT_SECRET,
}


def test_run_against_an_echoing_server_leaks_no_secret(echo: tuple[EchoServer, str], tmp_path: Path) -> None:
    # one run of the two APIs quickest to collect: CorePlexML with a bearer key, Workflows through OIDC, both given
    # a --url with userinfo (token APIs leave it out; the load tests below send it as Basic)
    app, url = echo
    reports = tmp_path / "reports"
    env = {"COREPLEXML_API_KEY": API_KEY, "WORKFLOWS_ISSUER_URL": f"{url}/oidc-ok", **OIDC}
    proc = cli(
        "run", "--target", "live", "--api", "coreplexml", "--api", "workflows", "--url", with_userinfo(url),
        "--max-examples", "1", "--workers", "1", "--report-dir", str(reports), env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]  # every call failed: a violation
    assert [sent(app, s) for s in (API_KEY, ACCESS_TOKEN)] == [True, True]
    assert not sent(app, URL_PASSWORD)
    assert [(reports / name).is_file() for name in ("junit.xml", "progress.jsonl")] == [True, True]
    assert "[REDACTED]" in (reports / "junit.xml").read_text()  # the echo reached the file, masked
    report = json.loads((reports / "conformance.json").read_text())
    assert {api["target_url"] for api in report["apis"]} == {url}  # the URL without its userinfo
    assert assert_nothing_leaked(proc, reports) >= 4


@pytest.mark.parametrize(
    ("profile", "args", "env", "planted"),
    [
        ("h2o3.polling", ("--url", "{url}", "--username", BASIC_USER, "--password-env", "PW"), {"PW": BASIC_PASSWORD},
         BASIC_PASSWORD),
        ("h2o3.polling", ("--url", "{userinfo}"), {}, URL_PASSWORD),
        ("workflows.polling", ("--url", "{url}"), {"WORKFLOWS_ISSUER_URL": "{url}/oidc-ok", **OIDC}, ACCESS_TOKEN),
    ],
    ids=["basic", "userinfo", "oidc"],
)  # fmt: skip
def test_load_against_an_echoing_server_leaks_no_secret(
    echo: tuple[EchoServer, str],
    tmp_path: Path,
    profile: str,
    args: tuple[str, ...],
    env: dict[str, str],
    planted: str,
) -> None:
    app, url = echo
    filled = [a.format(url=url, userinfo=with_userinfo(url)) for a in args]
    proc = cli(
        "load", profile, "--target", "live", *filled, "-u", "2", "-t", "2s", "--report-dir", str(tmp_path),
        "--suite-dir", str(ROOT), "--max-time", "60s", env={k: v.format(url=url) for k, v in env.items()},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]  # failures break the SLOs
    assert sent(app, planted)
    assert "HTTP 500" in (tmp_path / "locust.html").read_text()  # the failures CSV may miss the end
    assert {"locust.html", "locust.log", "locust.json", "load.json"} <= {p.name for p in tmp_path.iterdir()}
    assert_nothing_leaked(proc, tmp_path)


def test_an_issuer_echoing_the_refresh_token_is_one_redacted_line(
    echo: tuple[EchoServer, str], tmp_path: Path, small_suite: Callable[[str], Path]
) -> None:
    _, url = echo
    env = {
        "WORKFLOWS_URL": url, "WORKFLOWS_ISSUER_URL": f"{url}/oidc-bad", "WORKFLOWS_CLIENT_ID": "harness",
        "WORKFLOWS_REFRESH_TOKEN": REFRESH_TOKEN, "WORKFLOWS_CLIENT_SECRET": CLIENT_SECRET,
    }  # fmt: skip
    suite = small_suite("workflows")
    commands = (
        ["run", "--api", "workflows", "--suite-dir", str(suite), "--workers", "0"],
        ["load", "workflows.polling", "--suite-dir", str(ROOT)],
    )
    for command in commands:
        proc = cli(*command, "--target", "live", "--report-dir", str(tmp_path / command[0]), env=env)
        assert proc.returncode == 3, proc.stderr[-2000:]
        lines = proc.stderr.strip().splitlines()
        # run: said at once, then the API's error in the report it writes; load: refused, its one line
        said = lines[0] if command[0] == "run" else lines[-1]
        head = "h2oharness: workflows: " if command[0] == "run" else "h2oharness: error: "
        assert said.startswith(f"{head}the token endpoint refused the refresh token (HTTP 400)"), said
        assert "[REDACTED]" in said  # the issuer did echo them
        assert_nothing_leaked(proc, tmp_path / "run" if command[0] == "run" else None)
    errors = json.loads((tmp_path / "run" / "conformance.json").read_text())["apis"][0]["errors"]
    assert errors[0].startswith("the live target could not be used: the token endpoint refused the refresh token")
