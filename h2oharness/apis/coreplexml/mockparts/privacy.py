"""Privacy detection and transformation: the PII of a session's dataset, found in the rows it was uploaded with.

The SDK's ``privacy.detect`` and ``transform`` post the action, poll ``GET /api/jobs/{id}`` and then read
``GET /api/privacy/sessions/{id}/results``: ``{session_id, results: [{column, pii_type, count, transformed}]}``
(detect returns them as findings, transform counts those ``transformed``). Rows are not kept, so an upload's cells
are scanned for PII once, as they are profiled (``pii_counts``, a few counts per column; a numeric column's only for
the PII a bare number can be, and none for an identifier column's); a detection reports what the session's dataset
(its newest version, when the job was asked for) holds of the types its policy's profile covers once its job
completes, and a completed transformation marks every finding transformed.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from typing import Any

from h2oharness.apis.coreplexml.mockparts import generic
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState
from h2oharness.apis.coreplexml.mockparts.wire import Call, JSONDict, Reply
from h2oharness.mocks.jobs import JobPhase

SESSION = "/api/privacy/sessions/{session_id}"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
#: where PII can be, found fast (a pattern that opens with a literal or a class is searched for quickly; one
#: that opens with a lookbehind, or an alternation of them, made uploads three times slower): an email's domain
#: after its "@", and runs of digits and separators, each then told apart by _DIGITS
_CANDIDATES = re.compile(r"(?P<at>@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})|(?P<run>\d[\d ().+-]{5,}\d)")
_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
#: the PII made of digits, each a named group; where two could match at one place the first listed wins
_DIGITS = re.compile(
    r"(?P<credit_card>(?<!\d)\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,4}(?!\d))"
    r"|(?P<ssn>(?<!\d)\d{3}-\d{2}-\d{4}(?!\d))"
    rf"|(?P<ip_address>(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.]))"
    r"|(?P<phone_number>(?<![\d+])(?:\+?\d{1,2}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]\d{4}(?!\d))"
)


#: the PII types a policy's profile covers, of those the mock finds (the SDK names the profiles, hipaa, gdpr,
#: pci_dss and ccpa, and no type of any): PCI DSS protects cardholder data, the card number; HIPAA's identifiers
#: (phone, email, SSN, account numbers, IP address), GDPR's personal data and CCPA's personal information take in
#: all five. A policy with no profile (or one the mock does not know) looks for every type.
PROFILES: dict[str, frozenset[str]] = {
    "pci_dss": frozenset({"credit_card"}),
    **dict.fromkeys(
        ("hipaa", "gdpr", "ccpa"), frozenset({"email", "credit_card", "ssn", "ip_address", "phone_number"})
    ),
}


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _kinds(text: str) -> list[tuple[int, str]]:
    """Where each PII item of ``text`` starts, and its type: email, credit_card (passing the Luhn check), ssn,
    ip_address, phone_number."""
    found = []
    for candidate in _CANDIDATES.finditer(text):
        start = candidate.start()
        if candidate.lastgroup == "at":
            if start and text[start - 1] in _LOCAL:
                found.append((start, "email"))
            continue
        # a phone number may open with "(" or "+", just before the run
        begin = start - 1 if start and text[start - 1] in "(+" else start
        for match in _DIGITS.finditer(text[begin : candidate.end()]):
            kind = str(match.lastgroup)
            if kind != "credit_card" or _luhn(re.sub(r"\D", "", match.group())):
                found.append((begin + match.start(), kind))
    return found


def _nanp(digits: str) -> bool:
    """A North American number's ten digits: its area code and exchange each open with 2-9."""
    return digits[0] in "23456789" and digits[3] in "23456789"


def _bare(cell: str) -> str | None:
    """The PII an integer written as digits alone is, as a numeric column stores it (no separators to tell it by):
    a card number of 13 to 16 digits passing the Luhn check, an SSN of 9 digits as issued (its area not 000, 666 or
    900-999, its group not 00, its serial not 0000), a phone number of 10 digits (or 11 opening with 1) as the
    North American plan numbers them; else none."""
    if not (cell.isascii() and cell.isdigit()):
        return None
    size = len(cell)
    if 13 <= size <= 16 and _luhn(cell):
        return "credit_card"
    if size == 9 and cell[:3] not in ("000", "666") and cell[0] != "9" and cell[3:5] != "00" and cell[5:] != "0000":
        return "ssn"
    if (size == 10 and _nanp(cell)) or (size == 11 and cell[0] == "1" and _nanp(cell[1:])):
        return "phone_number"
    return None


#: the words that name a column as an identifier (``customer_id``, ``CustomerID``, ``order_key``, ``row_index``)
ID_WORDS = frozenset({"id", "key", "idx", "index", "identifier", "seq"})


def identifies(name: str, cells: list[str]) -> bool:
    """Whether a column is an identifier: its name's last word says so and its cells are distinct integers. Its
    digits are then a record's number, not an SSN, a card or a phone number that happens to fit their rules (a
    guess: no seed or client says how the service judges numbers; a customer id 100000001 is no SSN)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    named = bool(words) and words[-1].lower() in ID_WORDS
    return named and all(cell.isascii() and cell.isdigit() for cell in cells) and len(set(cells)) == len(cells)


def pii_counts(cells: list[str], numeric: bool = False, name: str = "") -> tuple[tuple[str, int], ...]:
    """The PII types found in a column's cells, each with how many cells hold it, by type name. A cell of digits
    alone is judged by its digits (``_bare``), unless the column ``name``d so is an identifier (``identifies``);
    the cells of a ``numeric`` column are numbers, so that is all they are judged by (a float's digits after its
    point are no card number)."""
    bare = [] if identifies(name, cells) else cells
    held = {(index, kind) for index, cell in enumerate(bare) if (kind := _bare(cell)) is not None}
    if not numeric:
        # one scan of the column's text (one per cell is slower): no pattern matches across a newline, and an
        # item's cell is found from where it starts
        text = "\n".join(cells)
        starts = list(itertools.accumulate((len(cell) + 1 for cell in cells[:-1]), initial=0))
        held |= {(bisect.bisect_right(starts, at) - 1, kind) for at, kind in _kinds(text)}
    return tuple(sorted(Counter(kind for _, kind in held).items()))


def _findings(state: CorePlexMLMockState, session_id: str) -> list[JSONDict]:
    """The PII of the session's dataset as its newest version holds it (none for a session of another dataset), of
    the types its policy's profile covers."""
    held = generic.resources(state).collections
    session = held.get("/api/privacy/sessions", {}).get(session_id, {})
    dataset = state.datasets.get(str(session.get("dataset_id", "")))
    if dataset is None or not dataset.versions:
        return []
    policy = held.get("/api/privacy/policies", {}).get(str(session.get("policy_id", "")), {})
    covered = PROFILES.get(str(policy.get("profile")))
    return [
        {"column": column.name, "pii_type": kind, "count": count}
        for column in dataset.versions[-1].columns
        for kind, count in column.pii
        if covered is None or kind in covered
    ]


def _act(state: CorePlexMLMockState, call: Call, action: str) -> Reply:
    reply = generic.handler(generic.surface().operation("POST", f"{SESSION}/{action}"))(state, call)
    session_id = call.path_params["session_id"]
    with state.lock:
        job = state.jobs.get(str((reply.body or {}).get("job_id", "")))
        if job is not None:
            job.result = {"session_id": session_id, "action": action, "findings": _findings(state, session_id)}
    return reply


def detect(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST …/sessions/{session_id}/detect``: a job scanning the session's dataset for PII."""
    return _act(state, call, "detect")


def transform(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST …/sessions/{session_id}/transform``: a job transforming the PII of the session's dataset."""
    return _act(state, call, "transform")


def results(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET …/sessions/{session_id}/results``: the findings of the session's newest completed detection (or
    transformation), transformed once a transformation has completed; none before."""
    generic.handler(generic.surface().operation("GET", f"{SESSION}/results"))(state, call)
    session_id = call.path_params["session_id"]
    now = state.clock.now()
    with state.lock:
        done: list[dict[str, Any]] = [
            job.result
            for job in state.jobs.all()
            if isinstance(job.result, dict)
            and job.result.get("session_id") == session_id
            and job.phase(now) is JobPhase.SUCCEEDED
        ]
    transformed = any(r.get("action") == "transform" for r in done)
    findings = done[-1]["findings"] if done else []
    return Reply({"session_id": session_id, "results": [{**f, "transformed": transformed} for f in findings]})
