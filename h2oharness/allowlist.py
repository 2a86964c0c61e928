"""Which hosts load may reach: loopback always, any other host only when listed (``--allow-host``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

from h2oharness.errors import ConfigError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(url: str) -> bool:
    """Whether a URL's host is this machine's loopback."""
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(url: str, allowed_hosts: Collection[str]) -> bool:
    """Whether ``url`` is loopback or its host is listed in ``allowed_hosts``."""
    return is_loopback(url) or (urlsplit(url).hostname or "") in allowed_hosts


def check_allowed(url: str, allowed_hosts: Collection[str]) -> None:
    """ConfigError unless ``url`` is loopback or its host is listed explicitly: load is never sent by accident."""
    if not host_allowed(url, allowed_hosts):
        host = urlsplit(url).hostname or url
        raise ConfigError(
            f"refusing to send load to {host}: it is not loopback; list it with --allow-host {host} to load it"
        )
