"""Read the curl examples out of an API's documentation page, to replay them literally."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from h2oharness.errors import SpecError


@dataclass(frozen=True)
class CurlExample:
    """One curl call as a document writes it."""

    line: int
    text: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def json_body(self) -> object:
        """The body parsed as JSON, or None when there is no body; SpecError if it is not JSON."""
        if self.body is None:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise SpecError(f"the example on line {self.line} has a body that is not JSON: {exc}") from None


def _statements(text: str) -> list[tuple[int, str]]:
    """Curl statements that start a line, joined across backslash continuations and open quotes."""
    lines = text.splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("curl "):
            i += 1
            continue
        start = i
        buf = lines[i]
        while True:
            stripped = buf.rstrip()
            continued = stripped.endswith("\\")
            if continued:
                buf = stripped[:-1]
            try:
                shlex.split(buf)
                balanced = True
            except ValueError:
                balanced = False
            if (continued or not balanced) and i + 1 < len(lines):
                i += 1
                buf += ("\n" if not balanced and not continued else " ") + lines[i]
                continue
            break
        out.append((start + 1, buf))
        i += 1
    return out


def parse_curl(statement: str, line: int = 0) -> CurlExample:
    """Parse one curl command line (the subset documentation uses: -X, -H, -d, -u, -s, a URL)."""
    try:
        argv = shlex.split(statement, comments=True)
    except ValueError as exc:
        raise SpecError(f"line {line}: cannot split the curl command: {exc}") from None
    if "|" in argv:  # `curl ... | python3 -m json.tool`: only the curl part is the request
        argv = argv[: argv.index("|")]
    if not argv or argv[0] != "curl":
        raise SpecError(f"line {line}: not a curl command: {statement[:60]!r}")
    method: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    body: str | None = None
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-X", "--request"):
            method = next(args, "GET").upper()
        elif arg in ("-H", "--header"):
            name, _, value = next(args, "").partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw", "--data-binary"):
            body = next(args, "")
        elif arg in ("-u", "--user"):
            next(args, None)
        elif arg.startswith("-"):
            continue
        else:
            url = arg
    if url is None:
        raise SpecError(f"line {line}: the curl command has no URL")
    return CurlExample(
        line=line,
        text=statement,
        method=method or ("POST" if body is not None else "GET"),
        url=url,
        headers=headers,
        body=body,
    )


def curl_examples(text: str) -> list[CurlExample]:
    """Every curl example that starts a line of ``text``, in document order."""
    return [parse_curl(stmt, line) for line, stmt in _statements(text)]
