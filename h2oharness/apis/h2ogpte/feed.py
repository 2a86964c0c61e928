"""Real ids for an all-operations run: a collection and a chat session made on the target, put in positive cases.

A generated ``collection_id`` (``""``, ``"0"``, ``"aZ3"``) names nothing. Where the operation documents a 404
the server answers that, and a positive case conforms; where it does not (the 16 ``/ingest/*`` operations,
``POST /shared_chats``) the server refuses the unknown id with the documented 400, and positive_data_acceptance
counts a schema-valid request rejected: the harness's fault, not the API's. So before an operation's cases run,
``IdFeed.ensure`` makes one collection and one chat session on it, and ``IdFeed.fill`` puts their ids into every
positive case that carries a query parameter or top-level body field of those names, just before it is sent.
Negative cases are left as drawn (their violation may be the id itself). Path parameters are left as drawn too:
every operation with one documents the 404 an unknown id gets.

The ids go in at send time, not through schema hooks as H2O-3's keys do: the coverage phase's cases are planned
(``h2oharness.pytest_plugin.lazycoverage``) before the first test makes anything, and a hook offering the real
id next to the drawn one would leave the drawn one to fail.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.contractplan import ExtraCase

__all__ = ["IdFeed", "SweepIds", "filled"]


@dataclass(frozen=True)
class SweepIds:
    """What exists on the target for positive cases to name."""

    collection: str
    chat_session: str

    def value(self, name: str) -> str | None:
        """The real id for a parameter or field called ``name``, or None."""
        return {"collection_id": self.collection, "chat_session_id": self.chat_session}.get(name)


def filled(ids: SweepIds, drawn: Any) -> Any:
    """``drawn`` (a query or a JSON body) with every id it carries by a known name replaced; None if none is."""
    if not isinstance(drawn, dict):
        return None
    out = {name: ids.value(name) if name in drawn and ids.value(name) is not None else v for name, v in drawn.items()}
    return None if out == drawn else out


class IdFeed:
    """The ids the positive cases get, kept present on the target; one per session (one per xdist worker)."""

    def __init__(self) -> None:
        #: the ids on the target the current case goes to
        self.keys: SweepIds | None = None
        self.error: str | None = None
        # per target URL: a session may test the mock and a live server in turn
        self._made: dict[str, SweepIds] = {}

    def install(self, schema: Any) -> None:
        """Nothing to register: the ids go in at send time (``fill``)."""

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make the collection and chat session if they are missing (first use, a case deleted one, a restart)."""
        url = str(http.base_url)
        self.keys = self._made.get(url)
        if self.keys is not None and self._present(http, self.keys):
            return
        client = H2OGPTeClient(http)
        try:
            collection = str(client.create_collection(f"h2oharness_sweep_{tag}", "made by h2oharness")["id"])
            self.keys = SweepIds(collection, str(client.create_chat(collection)["id"]))
            self.error = None
            self._made[url] = self.keys
        except Exception as exc:  # any failure: the cases go out as drawn, and the run says why
            self.keys, self.error = None, f"{type(exc).__name__}: {exc}"
            self._made.pop(url, None)

    def fill(self, case: Any) -> None:
        """Put the real ids into a positive case's query and JSON body (a negative case is sent as drawn)."""
        meta = case.meta
        if self.keys is None or meta is None or not meta.generation.mode.is_positive:
            return
        query = filled(self.keys, case.query)
        if query is not None:
            case.query = query
        body = filled(self.keys, case.body)
        if body is not None:
            case.body = body

    def extra_cases(self, operation: Any) -> list[ExtraCase]:
        """None: the generated cases are enough."""
        return []

    def note(self, response: Any) -> None:
        """Nothing to remember: the ingest jobs positive cases start are left to finish."""

    def cancel_started(self, http: httpx.Client) -> None:
        """Nothing to cancel."""

    def remove(self, http: httpx.Client) -> None:
        """Delete the collection (and its chat session) from the target, at the end of the module."""
        made = self._made.pop(str(http.base_url), None)
        if made is None:
            return
        with contextlib.suppress(httpx.HTTPError):
            http.delete(f"/api/v1/chats/{made.chat_session}")
            http.delete(f"/api/v1/collections/{made.collection}")
        if self.keys == made:
            self.keys = None

    @staticmethod
    def _present(http: httpx.Client, ids: SweepIds) -> bool:
        try:
            collection = http.get(f"/api/v1/collections/{ids.collection}")
            chat = http.get(f"/api/v1/chats/{ids.chat_session}")
        except httpx.HTTPError:
            return False
        return collection.status_code == 200 and chat.status_code == 200
