"""JSON as H2O-3's Gson reads a grid's ``hyper_parameters`` and ``search_criteria``: leniently."""

from __future__ import annotations

import json
from typing import Any


def lenient_json(text: str) -> Any:
    """JSON as Gson reads it leniently (h2o-py writes ``{"strategy": RandomDiscrete}``); scalars stay their text."""
    pos = 0

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1

    def value() -> Any:
        nonlocal pos
        skip()
        if pos >= len(text):
            raise ValueError(f"End of input at character {pos}")
        head = text[pos]
        if head in "{[":
            closing = "}" if head == "{" else "]"
            pos += 1
            items: list[Any] = []
            pairs: dict[str, Any] = {}
            skip()
            if pos < len(text) and text[pos] == closing:
                pos += 1
                return pairs if head == "{" else items
            while True:
                if head == "{":
                    name = value()
                    skip()
                    if pos >= len(text) or text[pos] not in ":=":
                        raise ValueError(f"Expected ':' at character {pos}")
                    pos += 1
                    pairs[str(name)] = value()
                else:
                    items.append(value())
                skip()
                if pos >= len(text):
                    raise ValueError(f"End of input at character {pos}")
                if text[pos] == closing:
                    pos += 1
                    return pairs if head == "{" else items
                if text[pos] != ",":
                    raise ValueError(f"Expected ',' at character {pos}")
                pos += 1
        if head in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != head:
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise ValueError(f"Unterminated string at character {pos}")
            raw = text[pos + 1 : end]
            pos = end + 1
            return json.loads(f'"{raw}"') if head == '"' else raw
        end = pos
        while end < len(text) and text[end] not in ",:]}{[ \t\r\n":
            end += 1
        if end == pos:
            raise ValueError(f"Unexpected character '{head}' at character {pos}")
        token = text[pos:end]
        pos = end
        return token

    parsed = value()
    skip()
    if pos != len(text):
        raise ValueError(f"Unexpected text at character {pos}")
    return parsed
