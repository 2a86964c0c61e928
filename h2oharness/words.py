"""How the harness says a count in its lines and reports: ``counted(1, "user")`` is ``"1 user"``, not ``"1 users"``."""

from __future__ import annotations

__all__ = ["counted"]


def counted(count: float, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun in the number it takes: ``singular`` for exactly one, else ``plural`` (``singular``
    with an ``s`` unless given).

    Example:
        ``counted(1, "user")`` -> ``"1 user"``; ``counted(3, "entry", "entries")`` -> ``"3 entries"``.
    """
    # a whole count in full: "g" would say 1234567 requests as "1.23457e+06"
    shown = str(int(count)) if float(count).is_integer() else f"{count:g}"
    return f"{shown} {singular if count == 1 else (plural or singular + 's')}"
