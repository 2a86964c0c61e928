"""The report folder's progress.jsonl: every record, drift entry and crash as it comes, for resuming a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROGRESS = "progress.jsonl"


def read_progress(report_dir: Path) -> list[dict[str, Any]]:
    """What an earlier run of the same report folder recorded, line by line; a torn last line is dropped."""
    path = report_dir / PROGRESS
    if not path.is_file():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue  # the run was killed while writing this line
        if isinstance(line, dict):
            lines.append(line)
    return lines
