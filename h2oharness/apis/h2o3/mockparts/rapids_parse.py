"""Rapids, H2O-3's s-expression language (``POST /99/Rapids``): a tokenizer and parser into plain Python values.

An expression parses to a ``Call`` (``(op arg ...)``), an ``Id`` (a key or a
name such as ``True``), a ``float``, a ``str`` (quoted), a ``Span``
(``[start:count]``) or a ``list`` of numbers, strings and spans (``[1 2 'a']``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# numbers as Rapids writes them, NaN included; a span [start:count] is read inside a list
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?NaN|[-+]?Inf(?:inity)?")
_DELIMITERS = "()[] \t\r\n"


class RapidsSyntaxError(ValueError):
    """The text is not a well-formed Rapids expression."""


@dataclass(frozen=True)
class Id:
    """A bare word: a key in the store, a local name, or a constant such as ``True`` or ``_``."""

    name: str


@dataclass(frozen=True)
class Span:
    """``[start:count]``: ``count`` consecutive indices from ``start``."""

    start: int
    count: int

    def indices(self) -> list[int]:
        """The indices the span names."""
        return list(range(self.start, self.start + self.count))


@dataclass(frozen=True)
class Call:
    """``(op arg ...)``."""

    op: str
    args: tuple[Node, ...]


Node = Call | Id | float | str | Span | list["float | str | Span"]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> RapidsSyntaxError:
        return RapidsSyntaxError(f"{what} at position {self.pos} of: {self.text[:200]}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _DELIMITERS:
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a word")
        return self.text[start : self.pos]

    def quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out = []
        while self.pos < len(self.text) and self.text[self.pos] != quote:
            if self.text[self.pos] == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
            out.append(self.text[self.pos])
            self.pos += 1
        if self.pos >= len(self.text):
            raise self.fail("unterminated string")
        self.pos += 1
        return "".join(out)

    def node(self) -> Node:
        c = self.peek()
        if not c:
            raise self.fail("unexpected end")
        if c == "(":
            return self.call()
        if c == "[":
            return self.sequence()
        if c in "'\"":
            return self.quoted()
        if c in ")]":
            raise self.fail(f"unexpected {c!r}")
        return _atom(self.word())

    def call(self) -> Call:
        self.pos += 1
        if self.peek() == ")":
            raise self.fail("empty call")
        op = self.word()
        args: list[Node] = []
        while self.peek() != ")":
            if not self.peek():
                raise self.fail("missing ')'")
            args.append(self.node())
        self.pos += 1
        return Call(op, tuple(args))

    def sequence(self) -> Node:
        self.pos += 1
        items: list[float | str | Span] = []
        while self.peek() != "]":
            c = self.peek()
            if not c:
                raise self.fail("missing ']'")
            if c in "'\"":
                items.append(self.quoted())
                continue
            token = self.word()
            if ":" in token:
                start, _, count = token.partition(":")
                try:
                    items.append(Span(int(float(start)), int(float(count))))
                except ValueError:
                    raise self.fail(f"bad span {token!r}") from None
                continue
            atom = _atom(token)
            if not isinstance(atom, float):
                raise self.fail(f"a list holds numbers, strings and spans, not {token!r}")
            items.append(atom)
        self.pos += 1
        if len(items) == 1 and isinstance(items[0], Span):
            return items[0]
        return items


def _atom(token: str) -> float | Id:
    if _NUMBER.fullmatch(token):
        return float(token.replace("Infinity", "inf").replace("Inf", "inf"))
    return Id(token)


def parse(text: str) -> Node:
    """The expression ``text`` holds; RapidsSyntaxError when it is malformed or has trailing text."""
    reader = _Reader(text)
    node = reader.node()
    if reader.peek():
        raise reader.fail("trailing text")
    return node
