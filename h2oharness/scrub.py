"""The one redaction (h2oharness/http/redact.py) applied to what child processes write: pytest and Locust.

The harness cannot redact what a child writes as it writes it, so the files are scrubbed
once the child has ended (junit.xml, progress.jsonl, Locust's CSV, HTML and JSON files), and
the child's stdout and stderr are streamed through ``redact`` line by line on their way to
the terminal.

Example:
    code = run_redacted(command, secrets, env=env)
    scrub_folder(report_dir, secrets)
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from h2oharness.http.redact import MASK, is_sensitive_name, redact

__all__ = ["pump_redacted", "redact_json", "run_redacted", "scrub_file", "scrub_folder"]


def redact_json(value: Any, secrets: tuple[str, ...]) -> Any:
    """A copy of a decoded JSON value with every string, keys included, passed through ``redact``."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_json(item, secrets) for item in value]
    if isinstance(value, dict):
        masked = {k for k, v in value.items() if isinstance(v, str) and is_sensitive_name(str(k))}
        return {redact(str(k), secrets): MASK if k in masked else redact_json(v, secrets) for k, v in value.items()}
    return value


def _scrub_json(text: str, secrets: tuple[str, ...]) -> str | None:
    """JSON redacted string by string, so that it stays JSON; None when ``text`` is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    indent = 2 if "\n" in text.strip() else None
    return json.dumps(redact_json(value, secrets), indent=indent, ensure_ascii=False) + ("\n" if indent else "")


def _scrub_jsonl(text: str, secrets: tuple[str, ...]) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        scrubbed = _scrub_json(body, secrets) if body.strip() else body
        lines.append((redact(body, secrets) if scrubbed is None else scrubbed) + line[len(body) :])
    return "".join(lines)


def scrub_file(path: Path, secrets: Iterable[str]) -> bool:
    """Redact a text file in place (a JSON or JSONL file stays valid); whether it changed. Binary files are left."""
    secrets = tuple(secrets)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if redact(text, secrets) == text:
        return False  # nothing to hide: the file is left as it was, formatting and all
    if path.suffix == ".jsonl":
        scrubbed = _scrub_jsonl(text, secrets)
    elif path.suffix == ".json":
        scrubbed = _scrub_json(text, secrets) or redact(text, secrets)
    else:
        scrubbed = redact(text, secrets)
    path.write_text(scrubbed, encoding="utf-8")
    return True


def scrub_folder(folder: Path, secrets: Iterable[str], pattern: str = "*") -> list[Path]:
    """Redact every text file matching ``pattern`` in ``folder`` and below; the files that changed.

    Hidden folders and files (``.hypothesis/``, a cache hypothesis keeps there) are nobody's output and are left.
    """
    secrets = tuple(secrets)
    found = [
        p
        for p in sorted(folder.rglob(pattern))
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return [p for p in found if p.is_file() and scrub_file(p, secrets)]


def _pump(source: IO[str], sink: IO[str], secrets: tuple[str, ...]) -> None:
    for line in source:
        sink.write(redact(line, secrets))
        sink.flush()


def pump_redacted(proc: subprocess.Popen[str], secrets: Iterable[str]) -> list[threading.Thread]:
    """Copy a child's piped stdout and stderr, line by line and redacted, onto this process's; join the threads
    returned once the child has ended (a child started by other means than ``run_redacted`` can use it too)."""
    secrets = tuple(secrets)
    pumps = [
        threading.Thread(target=_pump, args=(source, sink, secrets), daemon=True)
        for source, sink in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr))
        if source is not None
    ]
    for pump in pumps:
        pump.start()
    return pumps


def run_redacted(command: Sequence[str], secrets: Iterable[str], **popen: Any) -> int:
    """Run ``command`` to its end with its stdout and stderr redacted line by line onto this process's; its code."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1, **popen
    ) as proc:
        pumps = pump_redacted(proc, secrets)
        code = proc.wait()
        for pump in pumps:
            pump.join()
    return code
