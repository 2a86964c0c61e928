"""Latency of the h2oGPTe mock's ``GET /api/v1/collections/{id}`` (an ingestion poll) as its documents pile up.

Run: ``python benchmarks/h2ogpte_collection_poll.py [--documents 0,1000,10000,50000] [--polls 300]``.

Each count is measured twice, side by side: **scan**, the collection's documents found by reading every
document held (what the mock did before it kept them by collection), and **index**, as it does now.

A load run's ingestions leave their documents behind: ``loadtests/h2ogpte.py``'s users poll their
collection's ``document_count`` while every other user's documents accumulate in the same mock.
Here one served mock holds ``N`` finished documents spread over 100 other collections, and one
client polls a collection of its own (one document) ``--polls`` times, keep-alive, from this
process. The documents are put into the state directly (an ingestion job each, already done),
as thousands of uploads over HTTP would take minutes; the poll goes over HTTP as a load run's does.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from _table import machine, table

from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState, H2OGPTeTimings, make_app
from h2oharness.apis.h2ogpte.mockparts.state import Document
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.serve import serve

#: the collections the documents held are spread over (the polled one is another)
OTHER_COLLECTIONS = 100


def measure(documents: int, polls: int, scan: bool) -> list[float]:
    """Seconds each of ``polls`` GETs of a one-document collection took, with ``documents`` held elsewhere; with
    ``scan``, a collection's documents found by a scan of them all, as before the mock kept them by collection."""
    timings = H2OGPTeTimings(ingest=JobTiming(queued=0.0, running=0.0), first_token=0.0, token_gap=0.0)
    state = H2OGPTeMockState(clock=MonotonicClock(), timings=timings)
    if scan:
        held = state.documents

        def scanned(cid: str) -> list[Document]:
            # as ready_documents did: each document's job looked up, then its collection compared
            return [d for d in held.values() if state.jobs.get(d.job_id) is not None and d.collection_id == cid]

        held.of = scanned  # type: ignore[method-assign]
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=60) as http:
        http.headers.update(state.client_credentials().headers())
        names = [{"name": f"c{i}", "description": ""} for i in range(OTHER_COLLECTIONS + 1)]
        made = [http.post("/api/v1/collections", json=name) for name in names]
        *ids, polled = [str(answer.json()["id"]) for answer in made]
        with state.lock:
            for n in range(documents + 1):
                job = state.jobs.submit("ingest", timings.ingest, job_id=f"job-{n}")
                cid = polled if n == documents else ids[n % OTHER_COLLECTIONS]
                state.documents[f"doc-{n}"] = Document(f"doc-{n}", f"d{n}.txt", b"north,10,12\n", cid, job.id)
        assert http.get(f"/api/v1/collections/{polled}").json()["document_count"] == 1
        spent = []
        for _ in range(polls):
            start = time.perf_counter()
            http.get(f"/api/v1/collections/{polled}").raise_for_status()
            spent.append(time.perf_counter() - start)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", default="0,1000,10000,50000", help="documents held, comma-separated")
    parser.add_argument("--polls", type=int, default=300)
    args = parser.parse_args()
    print("GET /api/v1/collections/{id} on the served h2oGPTe mock, keep-alive, one client")
    print(machine())
    rows = []
    for documents in (int(n) for n in args.documents.split(",")):
        row = [f"{documents:,}"]
        for scan in (True, False):
            spent = sorted(measure(documents, args.polls, scan))
            row += [f"{statistics.median(spent) * 1000:.2f}", f"{spent[int(0.95 * (len(spent) - 1))] * 1000:.2f}"]
        rows.append(row)
    print("scan: every document held read to find the collection's (before); index: the collection's own")
    print(table(["documents held", "scan p50 ms", "scan p95 ms", "index p50 ms", "index p95 ms"], rows))


if __name__ == "__main__":
    main()
