from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from h2oharness.http.retryafter import retry_after

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1", 1.0),
        (" 2.5 ", 2.5),
        ("Fri, 04 Dec 2026 12:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 11:59:00 GMT", 0.0),  # already past: send it now
        ("-3", 0.0),
        ("soon", None),
        ("", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_reads_seconds_and_dates(header: str, seconds: float | None) -> None:
    response = httpx.Response(503, headers={"Retry-After": header})
    assert retry_after(response, now=NOW) == seconds


def test_no_retry_after_header_asks_for_nothing() -> None:
    assert retry_after(httpx.Response(503), now=NOW) is None
