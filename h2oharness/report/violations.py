"""Why an answer failed an ``anyOf`` or ``oneOf``: the closest branch's own errors, found by validating again.

Schemathesis reports such a violation at the combinator ("{...} is not valid under any of the
schemas listed in the 'anyOf' keyword"), with the whole answer as its text and no word of which
field is wrong. A contract generated from H2O-3's metadata wraps nearly every schema so (a
nullable object is ``anyOf: [object, null]``), so the answer is validated again here, with
jsonschema, and the errors of the branch that came closest are read out, down to the fields.

Example:
    >>> schema = {"anyOf": [{"type": "object", "properties": {"n": {"type": "integer"}}}, {"type": "null"}]}
    >>> [f"{r.where}: {r.text}" for r in closest_reasons(schema, ["anyOf"], {"n": "1"})]
    ["/n: '1' is not of type 'integer'"]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import jsonschema  # type: ignore[import-untyped]

#: jsonschema's error (untyped)
ValidationError = Any

#: characters of one error's text
TEXT_CHARS = 160
_COMBINATORS = ("anyOf", "oneOf")


class Reason(NamedTuple):
    """One field error: its rule (a JSON Schema keyword), where it is in the answer, and what it says."""

    rule: str
    path: tuple[str | int, ...]
    text: str

    @property
    def where(self) -> str:
        return "".join(f"/{p}" for p in self.path) or "/"


def closest_reasons(
    root: Any, schema_path: Sequence[str | int], instance: Any, instance_path: Sequence[str | int] = ()
) -> list[Reason]:
    """The field errors behind an anyOf or oneOf violation: ``schema_path`` in ``root`` ends in the keyword.

    ``root`` is the schema the answer was validated against (its local ``$ref`` resolve within it), ``instance``
    the part of the answer at ``instance_path`` that failed. Empty when the violation is not found again (another
    draft's reading) or the schema cannot be used.
    """
    if not schema_path or schema_path[-1] not in _COMBINATORS or not isinstance(root, dict):
        return []
    try:
        schema: Any = root
        for part in schema_path[:-1]:
            schema = schema[part]
        cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft4Validator)
        # evolved from the root's validator, the part keeps the root's $ref resolution
        errors = list(cls(root).evolve(schema=schema).iter_errors(instance))
    except Exception:  # a schema jsonschema cannot read only leaves the message as it was
        return []
    found = next((e for e in errors if not e.absolute_path and e.validator == schema_path[-1]), None)
    if found is None or not found.context:
        return []
    return [Reason(str(e.validator), (*instance_path, *e.absolute_path), _text(e)) for e in _leaves(found)]


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors of the branch closest to valid, each combinator in it opened the same way."""
    if error.validator not in _COMBINATORS or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    depth = len(error.absolute_path)

    def closeness(branch: list[ValidationError]) -> tuple[bool, int, int]:
        # a branch that failed only on the type of the whole value (null where an object came) is the farthest
        other_type = all(e.validator == "type" and len(e.absolute_path) == depth for e in branch)
        return (not other_type, max(len(e.absolute_path) for e in branch), -len(branch))

    best = max(branches.values(), key=closeness)
    return [leaf for sub in best for leaf in _leaves(sub)]


def _text(error: ValidationError) -> str:
    if error.validator == "type":
        text = f"{_described(error.instance)} is not of type {error.validator_value!r}"
    else:
        text = error.message
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _described(value: Any) -> str:
    """A value in a few words: an object or array by its size, anything else as JSON (cut short)."""
    if isinstance(value, dict):
        return f"an object of {len(value)} fields"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:39] + "…"
