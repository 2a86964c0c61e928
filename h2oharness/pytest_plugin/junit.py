"""junit.xml across a stop and a resume: pytest writes only the tests of its own session, so a resumed run carries the
earlier session's test cases over, and CI reads the whole run, as conformance.json has it; a test a stop cut short
between its setup and its call, which pytest writes as a case with no name, is left out; and what a stop kept from
running is an error case per API, so that CI does not read the tests that ran as the whole run, all green."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

#: the counts of a <testsuite> and the child element of a <testcase> that each counts
_COUNTED = {"failures": "failure", "errors": "error", "skipped": "skipped"}
#: the class of the cases the harness adds (what a stop kept from running): a resumed run does not carry them over
HARNESS_CLASS = "h2oharness"


def read_earlier(path: Path | None) -> bytes | None:
    """The junit.xml an earlier session left at ``path``, read before this session's pytest writes over it."""
    if path is None or not path.is_file():
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def drop_nameless(path: Path) -> int:
    """Take out of the junit.xml at ``path`` the cases with no name (its suite's ``tests`` never counted them).

    pytest's junit.xml opens a case for a test's setup time and names it only from its call: a test stopped in
    between is ``<testcase time="0.002" />``, which CI lists as a test without a name. Returns how many.
    """
    try:
        tree = ET.parse(path)  # noqa: S314 (pytest's own output, in the report folder)
    except (ET.ParseError, OSError):
        return 0
    suite = _suite(tree.getroot())
    nameless = [case for case in suite.findall("testcase") if not case.get("name")] if suite is not None else []
    if suite is None or not nameless:
        return 0
    for case in nameless:
        suite.remove(case)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return len(nameless)


def carry_over(earlier: bytes, path: Path) -> int:
    """Put into the junit.xml at ``path`` the test cases of ``earlier`` that it lacks (by class and name), before its
    own and counted in its suite's figures; how many. A file either side that does not parse is left as it is."""
    try:  # both are pytest's own output, written into the report folder by this run and the one it resumes
        old = ET.fromstring(earlier)  # noqa: S314
        tree = ET.parse(path)  # noqa: S314
    except (ET.ParseError, OSError):
        return 0
    suite = _suite(tree.getroot())
    if suite is None:
        return 0
    have = {(case.get("classname"), case.get("name")) for case in suite.iter("testcase")}
    # a nameless case is what pytest leaves of a test a stop cut short: the resumed session ran that test again
    cases = [
        case
        for case in old.iter("testcase")
        if case.get("name")
        and case.get("classname") != HARNESS_CLASS
        and (case.get("classname"), case.get("name")) not in have
    ]
    if not cases:
        return 0
    children = list(suite)
    first = next((index for index, child in enumerate(children) if child.tag == "testcase"), len(children))
    for offset, case in enumerate(cases):
        suite.insert(first + offset, case)
    suite.set("tests", str(_int(suite.get("tests")) + len(cases)))
    for count, tag in _COUNTED.items():
        suite.set(count, str(_int(suite.get(count)) + sum(1 for case in cases if case.find(tag) is not None)))
    elapsed = _float(suite.get("time")) + sum(_float(case.get("time")) for case in cases)
    suite.set("time", f"{elapsed:.3f}")
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return len(cases)


def add_not_run(path: Path, errors: Sequence[tuple[str, str]]) -> int:
    """Add to the junit.xml at ``path`` an error case per (API, why) of ``errors``: what a stop kept from running.

    A stopped run's junit.xml held the tests that ran, often all passed: CI that reads it (not the exit code) showed
    the run green. How many were added.
    """
    if not errors:
        return 0
    try:
        tree = ET.parse(path)  # noqa: S314 (pytest's own output, in the report folder)
    except (ET.ParseError, OSError):
        return 0
    suite = _suite(tree.getroot())
    if suite is None:
        return 0
    for slug, why in errors:
        case = ET.SubElement(suite, "testcase", classname=HARNESS_CLASS, name=f"{slug}: tests not run", time="0")
        ET.SubElement(case, "error", message=why).text = why
    suite.set("tests", str(_int(suite.get("tests")) + len(errors)))
    suite.set("errors", str(_int(suite.get("errors")) + len(errors)))
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return len(errors)


def _suite(root: ET.Element) -> ET.Element | None:
    return root if root.tag == "testsuite" else root.find("testsuite")


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def _float(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0
