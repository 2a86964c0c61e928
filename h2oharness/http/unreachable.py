"""Why a server could not be reached, said so that the user knows what to change."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["why_unreachable"]

#: OpenSSL's words when the other end answers a TLS hello with plain HTTP (an https:// URL to an http:// port)
_PLAIN_HTTP_ANSWER = ("WRONG_VERSION_NUMBER", "record layer failure", "packet length too long")


def why_unreachable(exc: BaseException, url: str) -> str:
    """The reason of ``exc`` (an httpx transport error sending to ``url``), with a hint where OpenSSL's is cryptic."""
    reason = str(exc) or type(exc).__name__
    if urlsplit(url).scheme.lower() == "https" and any(words in reason for words in _PLAIN_HTTP_ANSWER):
        plain = urlsplit(url)._replace(scheme="http").geturl()
        return f"it does not speak TLS, as an http:// server would not; is it {plain}? ({reason})"
    return reason
