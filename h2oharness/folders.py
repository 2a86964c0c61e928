"""Where the harness writes: folders made on demand, files written, one-line errors naming the option."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from h2oharness.errors import ConfigError


def output_dir(path: Path, option: str) -> Path:
    """``path`` made with its parents, resolved; ConfigError naming ``option`` when it cannot be (a file, no rights)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot make that folder ({exc.strerror})") from None
    return path.resolve()


def output_file(path: Path, option: str) -> None:
    """ConfigError naming ``option`` when ``path`` is a folder or its folder cannot be made (which it then is): said
    before anything is fetched or computed for the file."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder: give the path of the file to write, in it or elsewhere")
    output_dir(path.parent, option)


def write_output(path: Path, text: str, option: str) -> None:
    """Write ``text`` to ``path`` (its folder made); ConfigError naming ``option`` when it cannot be written.

    The text goes to a file beside ``path`` that then replaces it: a write that fails or is interrupted (a full
    disk, Ctrl-C in the middle of a 2 MB contract) leaves the file that was there as it was, never half of one.
    """
    write_outputs([(path, text, option)])


def write_outputs(files: Sequence[tuple[Path, str | bytes, str]]) -> None:
    """Write each ``(path, content, option)`` as ``write_output`` does, all or none: every file is written beside
    its path first, and only when all are does any replace its path; ConfigError names the option of one that fails.

    ``spec --out A --snapshot B`` left A written when B could not be.
    """
    for path, _, option in files:
        output_file(path, option)
    partials = [path.with_name(f".{path.name}.{os.getpid()}.partial") for path, _, _ in files]
    try:
        for (path, content, option), partial in zip(files, partials, strict=True):
            try:
                if isinstance(content, bytes):
                    partial.write_bytes(content)
                else:
                    partial.write_text(content, encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"{option} {path}: cannot write it ({exc.strerror})") from None
        for (path, _, option), partial in zip(files, partials, strict=True):
            try:
                os.replace(partial, path)
            except OSError as exc:
                raise ConfigError(f"{option} {path}: cannot write it ({exc.strerror})") from None
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)


#: set by ``h2oharness run`` for its pytest child: the process that holds the report folder's claim for it
CLAIMED_BY = "HARNESS_REPORT_CLAIMED_BY"
#: the claims this process holds, by lock file: each lasts until ``release`` or the process's end
_CLAIMS: dict[Path, IO[str]] = {}


def claim(folder: Path, kind: str, option: str, command: str) -> None:
    """Claim ``folder`` for one ``kind`` of run ("run", "load") until ``release`` or this process's end;
    ConfigError naming ``option`` and the ``command`` that holds it when another process has it.

    Two runs writing one folder at once each overwrite the other's report and the progress it resumes from,
    and each may print the other's report as its own. Where the file system takes no locks, the run goes on
    unclaimed.
    """
    path = (folder / f".h2oharness-{kind}.lock").resolve()
    if path in _CLAIMS:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        held = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{option} {folder}: cannot write in that folder ({exc.strerror})") from None
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.seek(0)
        holder = held.read().strip() or "another process"
        held.close()
        run = "load run" if kind == "load" else "run"
        raise ConfigError(
            f"{option} {folder} is in use by another {run} ({holder}): wait for it to end, or give this {run} a "
            "folder of its own"
        ) from None
    except OSError:
        held.close()
        return
    held.seek(0)
    held.truncate()
    held.write(f"{command}, pid {os.getpid()}, since {time.strftime('%H:%M:%S UTC', time.gmtime())}")
    held.flush()
    _CLAIMS[path] = held


def release(folder: Path, kind: str) -> None:
    """Give up this process's claim on ``folder`` (a later session in the same process may take it)."""
    held = _CLAIMS.pop((folder / f".h2oharness-{kind}.lock").resolve(), None)
    if held is not None:
        held.close()
