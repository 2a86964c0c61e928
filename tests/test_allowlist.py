"""Load never leaves the allowlist: redirects elsewhere are refused, every host is checked before it is contacted,
and a refused run leaves the last results alone. Loopback only: "elsewhere" is 0.0.0.0, which is not loopback by
address but which Linux connects to this machine, so a request that should never be sent would be seen arriving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from h2oharness.allowlist import check_allowed, host_allowed, is_loopback
from h2oharness.errors import ConfigError
from h2oharness.mocks.serve import serve

ROOT = Path(__file__).resolve().parent.parent


def test_loopback_only_unless_listed() -> None:
    assert is_loopback("http://127.0.0.1:1")
    assert is_loopback("http://localhost")
    assert is_loopback("http://[::1]:5")
    assert not is_loopback("https://h2o.staging.example")
    assert not is_loopback("http://0.0.0.0:80")
    assert not host_allowed("http://10.255.255.1/", [])
    assert host_allowed("http://10.255.255.1/", ["10.255.255.1"])
    check_allowed("https://h2o.staging.example", ["h2o.staging.example"])
    with pytest.raises(ConfigError, match=r"--allow-host h2o\.staging\.example"):
        check_allowed("https://h2o.staging.example", [])


class Recorder:
    """An ASGI app that records each request's path; ``redirect_to`` (when set) answers every path but the health
    one with a 302 there, else 500."""

    def __init__(self, redirect_to: str = "") -> None:
        self.seen: list[str] = []
        self.redirect_to = redirect_to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.seen.append(request.url.path)
        response: Response
        if request.url.path == "/3/Cloud":
            response = JSONResponse({"version": "r-1", "cloud_healthy": True})
        elif self.redirect_to:
            response = RedirectResponse(f"{self.redirect_to}{request.url.path}", status_code=302)
        else:
            response = JSONResponse({"error": "nothing here"}, status_code=500)
        await response(scope, receive, send)


@pytest.fixture
def trap() -> Iterator[tuple[Recorder, int]]:
    """A server that must receive nothing: reached as http://0.0.0.0:<port>, a host off the allowlist."""
    app = Recorder()
    with serve(app) as served:
        yield app, served.port


def load(report_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "WORKFLOWS_", "H2O3_"))}
    return subprocess.run(
        [sys.executable, "-m", "h2oharness.cli", "load", *args, "--report-dir", str(report_dir),
         "--suite-dir", str(ROOT), "--max-time", "60s"],
        capture_output=True, text=True, timeout=120, env={**base, **(env or {})}, check=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_a_redirect_off_the_allowlist_is_a_counted_failure_and_is_never_followed(
    trap: tuple[Recorder, int], tmp_path: Path, host: str
) -> None:
    trap_app, port = trap
    app = Recorder(redirect_to=f"http://{host}:{port}")
    with serve(app) as served:
        proc = load(tmp_path, "h2o3.polling", "--target", "live", "--url", served.url, "-u", "2", "-t", "2s")
    assert len(app.seen) > 1, proc.stderr[-2000:]  # the probe, then load that was redirected
    report = json.loads((tmp_path / "load.json").read_text())
    # Locust's failures CSV may miss the run's end; its HTML page lists every failure message
    failures = (tmp_path / "locust.html").read_text()
    if host == "127.0.0.1":
        assert trap_app.seen  # loopback is allowed: the redirect is followed (and the trap would see a leak)
        # no redirect was refused (a parse the trap answered with nothing is a "h2o3 parse refused" job, which is
        # no refused redirect)
        assert "redirect to 127.0.0.1 refused" not in failures
        assert "not loopback nor an allowed host" not in failures
        return
    assert trap_app.seen == []
    assert "redirect to 0.0.0.0 refused: not loopback nor an allowed host" in failures
    assert sum(e["failures"] for e in report["entries"] if e["type"] not in ("JOB", "STREAM")) > 0
    assert proc.returncode == 1


@pytest.mark.slow
def test_the_oidc_issuer_is_checked_before_the_login(trap: tuple[Recorder, int], tmp_path: Path) -> None:
    trap_app, port = trap
    target = Recorder()
    with serve(target) as served:
        proc = load(
            tmp_path, "workflows.polling", "--target", "live", "--url", served.url,
            env={"WORKFLOWS_ISSUER_URL": f"http://0.0.0.0:{port}", "WORKFLOWS_CLIENT_ID": "c",
                 "WORKFLOWS_REFRESH_TOKEN": "planted-refresh-token", "WORKFLOWS_CLIENT_SECRET": "planted-secret"},
        )  # fmt: skip
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1] == (
        "h2oharness: error: refusing to send load to 0.0.0.0: it is not loopback; "
        "list it with --allow-host 0.0.0.0 to load it"
    )
    assert trap_app.seen == []  # no discovery, no refresh grant with the secret
    assert target.seen == []  # and no probe of the target either
    assert list(tmp_path.iterdir()) == []


def test_a_refused_run_leaves_the_last_results_alone(tmp_path: Path) -> None:
    earlier = {"locust_stats.csv": "Type,Name\n", "locust.html": "<html></html>", "worker-1.json": "{}"}
    for name, text in earlier.items():
        (tmp_path / name).write_text(text)
    proc = load(tmp_path, "h2o3.polling", "--target", "live", "--url", "https://h2o.staging.example")
    assert proc.returncode == 3
    assert "refusing to send load to h2o.staging.example" in proc.stderr
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == earlier
