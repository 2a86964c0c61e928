"""Start a real H2O-3 from the installed ``h2o`` package's jar on a free loopback port."""

from __future__ import annotations

import contextlib
import importlib.util
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from h2oharness.children import die_with_parent
from h2oharness.errors import TargetUnavailable
from h2oharness.settings import Settings

INSTALL_HINT = "install it with: pip install 'h2oharness[h2o3-server]'"


def find_jar() -> Path:
    """Path of ``h2o.jar`` inside the installed ``h2o`` package; TargetUnavailable when absent."""
    spec = importlib.util.find_spec("h2o")
    if spec is None or not spec.submodule_search_locations:
        raise TargetUnavailable(f"the 'h2o' package is not installed, so there is no H2O-3 jar to run; {INSTALL_HINT}")
    jar = Path(next(iter(spec.submodule_search_locations))) / "backend" / "bin" / "h2o.jar"
    if not jar.is_file():
        raise TargetUnavailable(f"the installed 'h2o' package has no server jar at {jar}; {INSTALL_HINT}")
    return jar


def find_java() -> str:
    """Path of the ``java`` executable; TargetUnavailable when there is none."""
    java = shutil.which("java")
    if java is None:
        raise TargetUnavailable("no 'java' on PATH: a local H2O-3 needs Java 11 or newer (17 recommended)")
    return java


def preflight() -> None:
    """TargetUnavailable, with what to install, unless a local H2O-3 can be started (Java and the jar are there)."""
    find_java()
    find_jar()


#: where Linux takes the ports of outgoing connections from, read from the kernel (its default where unreadable)
PORT_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
EPHEMERAL_DEFAULT = (32768, 60999)


def ephemeral_ports(source: Path = PORT_RANGE_FILE) -> tuple[int, int]:
    """The lowest and highest port the kernel gives outgoing connections."""
    try:
        low, high = (int(part) for part in source.read_text().split())
    except (OSError, ValueError):
        return EPHEMERAL_DEFAULT
    return low, high


def _bindable(host: str, port: int) -> bool:
    """Whether ``port`` and ``port + 1`` can both be bound on ``host`` now."""
    with socket.socket() as s1, socket.socket() as s2:
        try:
            s1.bind((host, port))
            s2.bind((host, port + 1))
        except OSError:
            return False
    return True


def _free_port_pair(host: str, ephemeral: tuple[int, int] | None = None) -> int:
    """A port p such that p and p + 1 are free (H2O-3 uses p + 1 for its internal protocol), outside the range the
    kernel gives outgoing connections: one of the thousands a test run opens may take an ephemeral port, or hold it in
    TIME_WAIT, between the check and the JVM's start, or before a restart on the same port (seen: "some of the
    required ports ... are not available")."""
    low, high = ephemeral or ephemeral_ports()
    chooser = random.Random()
    below = (1024, low - 2) if low - 2 >= 1024 else None
    above = (high + 1, 65534) if high + 1 <= 65534 else None
    spans = [span for span in (below, above) if span is not None]
    for _ in range(200 if spans else 0):
        first, last = chooser.choice(spans)
        port = chooser.randint(first, last)
        if _bindable(host, port):
            return port
    # no room outside the range (or none free there): any free pair, as the kernel hands them out
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and _bindable(host, port):
            return port
    raise TargetUnavailable(f"found no two adjacent free ports on {host}")


@dataclass
class LocalH2O3:
    """A running local H2O-3: its URL, its process and its working directory."""

    url: str
    process: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    version: str = ""
    memory: str = "1g"
    nthreads: int = 2
    restarts: int = 0
    _closed: bool = field(default=False, repr=False)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote to stdout/stderr."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        """Whether the JVM is still running."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the JVM (TERM, then KILL after 10 s) and remove its working directory (log, ice root, spills).

        ``HARNESS_KEEP_SERVER_DIRS=1`` keeps the directory, for reading the whole log afterwards.
        """
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not Settings.from_env().keep_server_dirs:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self, startup_timeout: float = 120.0) -> None:
        """Start a fresh JVM on the same host and port (new working directory), so the URL tests hold still works.

        The dead server's directory goes with it (a crash finding has already taken its last log lines).
        """
        self.stop()
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        workdir = Path(tempfile.mkdtemp(prefix="h2oharness-h2o3-"))
        fresh = start_local_h2o3(
            host=host,
            port=int(port),
            memory=self.memory,
            nthreads=self.nthreads,
            startup_timeout=startup_timeout,
            workdir=workdir,
        )
        self.process, self.workdir, self.log_path, self.version = (
            fresh.process,
            fresh.workdir,
            fresh.log_path,
            fresh.version,
        )
        self.restarts += 1
        self._closed = False


def start_local_h2o3(
    *,
    host: str = "127.0.0.1",
    memory: str = "1g",
    nthreads: int = 2,
    startup_timeout: float = 120.0,
    workdir: Path | None = None,
    port: int | None = None,
) -> LocalH2O3:
    """Start H2O-3 on ``port`` (default: a free one) of ``host``; wait until ``/3/Cloud`` reports a healthy cloud."""
    jar = find_jar()
    java = find_java()
    port = port or _free_port_pair(host)
    root = workdir or Path(tempfile.mkdtemp(prefix="h2oharness-h2o3-"))
    root.mkdir(parents=True, exist_ok=True)
    # a flatfile naming only this node, and a unique cloud name, keep parallel nodes from clustering together
    flatfile = root / "flatfile.txt"
    flatfile.write_text(f"{host}:{port}\n")
    log_path = root / "stdout.log"
    cmd = [
        java, f"-Xmx{memory}", "-jar", str(jar),
        # -ip names the node; -web_ip binds its REST API (else Jetty listens on every interface, 0.0.0.0)
        "-ip", host, "-web_ip", host, "-port", str(port), "-name", f"h2oharness-{port}",
        "-flatfile", str(flatfile), "-ice_root", str(root / "ice"), "-log_dir", str(root / "logs"),
        "-nthreads", str(nthreads), "-disable_flow",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        # a session of its own (a terminal's Ctrl-C is for the harness, which stops it), yet it dies with its parent
        process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True, preexec_fn=die_with_parent
        )
    server = LocalH2O3(
        url=f"http://{host}:{port}", process=process, workdir=root, log_path=log_path, memory=memory, nthreads=nthreads
    )
    try:
        server.version = _wait_healthy(server, startup_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_healthy(server: LocalH2O3, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise TargetUnavailable(
                    f"the local H2O-3 exited with code {server.process.returncode} while starting:\n{server.log_tail()}"
                )
            try:
                cloud = client.get(f"{server.url}/3/Cloud").json()
                if cloud.get("cloud_healthy") and cloud.get("consensus"):
                    return str(cloud.get("version", ""))
                last = f"cloud not healthy yet: {cloud.get('cloud_healthy')=} {cloud.get('consensus')=}"
            except (httpx.HTTPError, ValueError) as exc:
                last = str(exc) or type(exc).__name__
            time.sleep(0.25)
    raise TargetUnavailable(f"the local H2O-3 at {server.url} was not healthy after {timeout:.0f} s ({last})")


@contextlib.contextmanager
def local_h2o3(**kwargs: object) -> Iterator[LocalH2O3]:
    """Context manager around :func:`start_local_h2o3` that always stops the server."""
    server = start_local_h2o3(**kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
