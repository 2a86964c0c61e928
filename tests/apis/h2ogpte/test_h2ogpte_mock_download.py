"""A download is saved under any name asked for: one beyond latin-1 (which headers cannot carry) included."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState
from h2oharness.mocks.clock import ManualClock


def test_a_document_downloads_under_a_name_beyond_latin_1(
    http: httpx.Client, client: H2OGPTeClient, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    collection = client.create_collection("files")["id"]
    client.ingest(client.upload("notes.txt", b"hello\n", "text/plain")["id"], collection)
    clock.advance(5.0)
    (doc,) = http.get(f"/api/v1/collections/{collection}/documents").json()
    name = 'r\u00e9sum\u00e9 \U0006eb77 "x".txt'
    got = http.get("/file", params={"id": doc["id"], "name": name})
    assert got.status_code == 200
    assert got.content == b"hello\n"
    disposition = got.headers["content-disposition"]
    assert disposition == f"attachment; filename=\"r_sum_ _ _x_.txt\"; filename*=UTF-8''{quote(name, safe='')}"
    plain = http.get("/file", params={"id": doc["id"], "name": "notes.txt"})
    assert plain.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert not state.internal_errors
