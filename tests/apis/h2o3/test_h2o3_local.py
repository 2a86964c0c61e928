"""The local H2O-3 the harness starts: on loopback only, and a preflight that says what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.apis.h2o3 import local
from h2oharness.errors import TargetUnavailable
from h2oharness.targets import Target

_LISTEN = "0A"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) of the sockets listening on ``port``."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.is_file():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if int(hex_port, 16) == port and fields[3] == _LISTEN:
                found.add(address)
    return found


def test_the_rest_api_of_a_local_node_listens_on_loopback_only(h2o3_local: Target) -> None:
    if not Path("/proc/net/tcp").is_file():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    port = int(h2o3_local.url.rsplit(":", 1)[1])
    addresses = _listening_addresses(port)
    assert addresses, f"nothing listens on port {port}"
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}  # 127.0.0.1, and ::ffff:127.0.0.1
    assert addresses <= loopback, f"port {port} listens on {addresses}: not loopback only"


def test_preflight_names_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TargetUnavailable, match="no 'java' on PATH"):
        local.preflight()


def test_a_stopped_node_leaves_no_working_directory_behind() -> None:
    try:
        local.preflight()
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    with local.local_h2o3() as server:
        first = server.workdir
        assert (first / "stdout.log").is_file()
        server.restart()
        assert server.workdir != first
        assert not first.exists()  # the dead node's directory went with it
        second = server.workdir
    assert not second.exists()


def test_a_nodes_two_ports_are_outside_the_range_outgoing_connections_take() -> None:
    low, high = local.ephemeral_ports()
    for _ in range(20):
        port = local._free_port_pair("127.0.0.1")
        assert not low <= port <= high, (port, low, high)
        assert not low <= port + 1 <= high, (port, low, high)
        assert local._bindable("127.0.0.1", port)


def test_with_no_room_outside_the_range_any_free_pair_is_taken() -> None:
    port = local._free_port_pair("127.0.0.1", ephemeral=(1024, 65535))
    assert 1024 <= port < 65535
    assert local._bindable("127.0.0.1", port)


def test_the_kernels_range_is_read_or_linuxs_default_taken(tmp_path: Path) -> None:
    given = tmp_path / "ip_local_port_range"
    given.write_text("40000\t50000\n")
    assert local.ephemeral_ports(given) == (40000, 50000)
    given.write_text("garbage\n")
    assert local.ephemeral_ports(given) == local.EPHEMERAL_DEFAULT
    assert local.ephemeral_ports(tmp_path / "none") == local.EPHEMERAL_DEFAULT
