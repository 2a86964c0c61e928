"""The one way the harness reads the YAML (and JSON) its users write: SLO files, fault plans, known findings, specs.

PyYAML's loaders take a mapping that repeats a key and keep the last value, silently: an SLO rule written with
``p95_ms: 200`` twice, or a fault rule with two ``fault:`` keys, ran as something its author never read back.
These loaders refuse such a mapping, naming the key and its lines.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode

__all__ = ["DuplicateKey", "UniqueKeyLoader", "load_yaml", "read_yaml", "yaml_problem"]

_MERGE = "tag:yaml.org,2002:merge"


class DuplicateKey(yaml.YAMLError):
    """A mapping of the document repeats a key; its text is one line naming the key and where both are."""


class _UniqueKeys(yaml.constructor.SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Hashable, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:  # "<<: *base" keys are overridden by design
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if isinstance(key, Hashable) and key in seen:
                    raise DuplicateKey(
                        f"line {line}: the key {key!r} is repeated in one mapping (first on line {seen[key]}); "
                        "YAML would keep only the last value: write it once"
                    )
                if isinstance(key, Hashable):
                    seen[key] = line
        return super().construct_mapping(node, deep)


class UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """``yaml.SafeLoader`` refusing a mapping that repeats a key (:class:`DuplicateKey`), where it kept the last."""


def load_yaml(text: str) -> Any:
    """The document in ``text``, read safely; :class:`DuplicateKey` (a ``yaml.YAMLError``) on a repeated key.

    Example:
        ``load_yaml("p95_ms: 200\\np95_ms: 900")`` raises ``DuplicateKey("line 2: the key 'p95_ms' is repeated...")``.
    """
    # PyYAML's own parser, as yaml.safe_load: libyaml's would be faster on a large spec, but it stops a deep one at
    # its own nesting limit where this one meets Python's recursion limit, which the callers say in their words
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line that says where and what: ``"line 1, column 9: expected ',' or ']', but got
    '<stream end>' (while parsing a flow sequence)"``; its first line alone said only what was being parsed."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        context = f" ({exc.context})" if exc.context else ""
        return " ".join(f"{where}{exc.problem}{context}".split())
    return " ".join(str(exc).split())


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The document in the file ``path``; ``error`` in one line naming the file when it is not UTF-8 text or not
    valid YAML (a repeated key included)."""
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise error(f"{path}: not valid YAML (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
