"""AIP-160 filters, AIP-132 ``orderBy`` and AIP-134 update masks over camelCase resource JSON.

A filter is terms joined by ``AND``: ``field = value`` or ``field != value`` (value bare or quoted), a field
spelled in camelCase or snake_case; ``orderBy`` is ``field [asc|desc]`` items joined by commas. A field the
resource does not have is 400 INVALID_ARGUMENT, as it is on the server.

Example:
    matching(jobs, "state = STATE_FAILED AND type=TYPE_STEPS")
    ordered(jobs, "createTime desc, jobId")
"""

from __future__ import annotations

import re
from typing import Any

from h2oharness.apis.workflows.mockparts.wire import JSONDict, invalid

_TERM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(!=|=)\s*(\"[^\"]*\"|'[^']*'|\S+)\s*$")


def camel(name: str) -> str:
    """``failure_reason`` -> ``failureReason`` (a camelCase name is kept)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _field(item: JSONDict, name: str, fields: set[str]) -> Any:
    key = camel(name)
    if key not in fields:
        raise invalid(f"unknown field {name!r}: one of {', '.join(sorted(fields))}")
    return item.get(key)


def matching(items: list[JSONDict], text: str) -> list[JSONDict]:
    """The items every term of the filter holds for (all of them for an empty filter)."""
    if not text.strip():
        return items
    fields = set(items[0]) if items else set()
    terms = []
    for raw in re.split(r"\s+AND\s+", text.strip()):
        found = _TERM.match(raw)
        if found is None:
            raise invalid(f"invalid filter term {raw!r}: expected 'field = value' or 'field != value'")
        name, op, value = found.groups()
        terms.append((name, op, value.strip("\"'")))
    out = []
    for item in items:
        keep = True
        for name, op, value in terms:
            got = _field(item, name, fields or {camel(name)})
            shown = str(got).lower() if isinstance(got, bool) else "" if got is None else str(got)
            keep = keep and ((shown == value) if op == "=" else (shown != value))
        if keep:
            out.append(item)
    return out


def ordered(items: list[JSONDict], text: str) -> list[JSONDict]:
    """The items sorted by ``orderBy`` (kept as they are for an empty one); missing values sort first."""
    keys = [k.split() for k in text.split(",") if k.strip()]
    fields = set(items[0]) if items else set()
    for parts in reversed(keys):
        if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise invalid(f"invalid orderBy item {' '.join(parts)!r}: expected 'field [asc|desc]'")
        name = parts[0]
        if items:
            _field(items[0], name, fields)
        descending = len(parts) == 2 and parts[1].lower() == "desc"
        items = sorted(
            items, key=lambda i: (i.get(camel(name)) is not None, str(i.get(camel(name)) or "")), reverse=descending
        )
    return items


def mask(text: str, fields: set[str], writable: set[str]) -> set[str]:
    """The writable camelCase fields an update mask names (every writable one for ``*`` or an empty mask).

    Output-only fields are accepted and ignored (AIP-203); a path the resource does not have is 400.
    """
    paths = [p.strip() for p in text.split(",") if p.strip()]
    if not paths or "*" in paths:
        return set(writable)
    chosen = set()
    for path in paths:
        name = camel(path)
        if name not in fields:
            raise invalid(f"invalid updateMask path {path!r}: one of {', '.join(sorted(fields))}, or *")
        if name in writable:
            chosen.add(name)
    return chosen
