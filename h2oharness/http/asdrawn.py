"""A negative case's headers go out as drawn: the credentials session adds no header the case negated.

The contract tests and the flows send every case with a requests session that carries the target's
credentials (``Authorization: Bearer …`` in its headers, or Basic ``auth``). Schemathesis 4.32 merges a
session's headers into each request above the case's own headers, as if configured, and takes one out again
only when the case's single mutation removed that header (``transport.prepare.get_exclude_headers`` looks at
``parameter_location``, which is None once a case mutates two locations). So a negative case that removed
``Authorization`` and also added a query parameter, or that gave ``Authorization`` an invalid value, went out
with the valid key, was accepted, and ``negative_data_rejection`` (ST201) failed on a request that was valid.

``as_drawn`` applies the rule schemathesis's own auth providers follow (they set no credentials on a case that
negates a security parameter): while such a case is sent, the session carries none of the headers the case
negated, nor its Basic ``auth`` when ``Authorization`` is among them. The case then reaches the server with the
key it drew (none, or an invalid one), the server refuses it, and the check judges what was sent.

Example:
    with as_drawn(session, case) as sending:
        response = case.call(base_url=url, session=sending)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters

__all__ = ["as_drawn", "negated_headers"]


def negated_headers(case: Any) -> frozenset[str]:
    """The lower-cased names of the headers a negative case negated (removed or made invalid); empty otherwise.

    ``case.meta`` is revalidated first, so a case a hook made valid again (a before_call) negates nothing.
    """
    meta = getattr(case, "meta", None)
    return frozenset(name.lower() for name, where in negated_parameters(meta) if where is ParameterLocation.HEADER)


@contextmanager
def as_drawn(session: Any, case: Any) -> Iterator[Any]:
    """``session``, carrying none of the headers ``case`` negated while inside (restored on the way out)."""
    names = negated_headers(case)
    headers = getattr(session, "headers", None)
    if not names or headers is None:
        yield session
        return
    auth = session.auth
    session.headers = CaseInsensitiveDict({k: v for k, v in headers.items() if k.lower() not in names})
    if "authorization" in names:
        session.auth = None
    try:
        yield session
    finally:
        session.headers, session.auth = headers, auth
