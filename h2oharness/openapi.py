"""OpenAPI documents as the harness writes, checks and compares them: every API's contract goes through here.

``dump_openapi`` writes YAML the same way every time (so a regenerated contract diffs
cleanly), ``validate_openapi`` checks a document with openapi-spec-validator,
``check_spec_file`` reads one given on the command line, ``diff_openapi``
says readably what changed between two documents, and ``contract_document`` is the
contract a mock answers (the checkout's ``contracts/<slug>/openapi.yaml``, or the copy a wheel carries).
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from h2oharness.errors import ConfigError, SpecError
from h2oharness.yamlinput import load_yaml, yaml_problem

__all__ = [
    "check_spec_file",
    "contract_document",
    "contract_path",
    "diff_openapi",
    "dump_openapi",
    "strip_marked",
    "validate_openapi",
]

JSON = dict[str, Any]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --------------------------------------------------------------------------- output


# libyaml's emitter writes the same bytes as the pure-Python one for this document, four times faster
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """A YAML dumper that never writes anchors or aliases and writes multi-line text as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text and text == text.strip() and "\t" not in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_openapi(doc: Mapping[str, Any]) -> str:
    """The document as YAML: keys in the order built, unicode kept, no aliases, no line folding."""
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )


def validate_openapi(doc: Mapping[str, Any]) -> None:
    """Check the document with openapi-spec-validator; SpecError names the first problem."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from referencing.exceptions import Unresolvable

    version = str(doc.get("openapi", ""))
    validator_class = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    try:
        for error in validator_class(doc).iter_errors():
            where = "/".join(str(p) for p in getattr(error, "path", ())) or "document"
            raise SpecError(f"invalid OpenAPI document at {where}: {getattr(error, 'message', error)}")
    except Unresolvable as exc:
        # the validator follows every $ref as it goes, and one that leads nowhere ends it with its own error
        ref = f"#{exc.ref}" if str(exc.ref).startswith("/") else str(exc.ref)  # as the document writes it
        raise SpecError(f"invalid OpenAPI document: the $ref {ref!r} points to nothing in it") from None
    except RecursionError:
        # a $ref that leads back to itself through $refs alone: the validator follows it until Python stops it
        cycle = _ref_cycle(doc)
        what = f"the $refs {' -> '.join(cycle)} lead back to themselves" if cycle else "it nests too deeply to check"
        raise SpecError(f"invalid OpenAPI document: {what}") from None


def _ref_cycle(doc: Mapping[str, Any]) -> list[str]:
    """The first chain of local $refs whose targets are $refs again and that comes back to where it began."""
    for start in sorted(set(_local_refs(doc))):
        chain = [start]
        target = _pointed(doc, start)
        while isinstance(target, Mapping) and isinstance(target.get("$ref"), str):
            ref = target["$ref"]
            if ref in chain:
                return [*chain[chain.index(ref) :], ref]
            chain.append(ref)
            target = _pointed(doc, ref)
    return []


def _local_refs(node: Any) -> list[str]:
    # iterative: the document may nest deeper than Python's recursion limit
    refs, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                refs.append(ref)
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return refs


def _pointed(doc: Mapping[str, Any], ref: str) -> Any:
    """What a local $ref ("#/a/b") points to, or None."""
    node: Any = doc
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


# --------------------------------------------------------------------------- comparing


def diff_openapi(old: Mapping[str, Any], new: Mapping[str, Any], limit: int = 40) -> list[str]:
    """Readable differences between two documents: version, operations and their parameters, schemas."""
    lines: list[str] = []
    old_version, new_version = old.get("info", {}).get("version"), new.get("info", {}).get("version")
    if old_version != new_version:
        lines.append(f"~ info.version: {old_version} -> {new_version}")
    old_ops, new_ops = _operations(old), _operations(new)
    lines += [f"+ operation {key}" for key in sorted(new_ops.keys() - old_ops.keys())]
    lines += [f"- operation {key}" for key in sorted(old_ops.keys() - new_ops.keys())]
    for key in sorted(old_ops.keys() & new_ops.keys()):
        lines += [f"~ {key}: {change}" for change in _operation_changes(old, old_ops[key], new, new_ops[key])]
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    lines += [f"+ schema {name}" for name in sorted(new_schemas.keys() - old_schemas.keys())]
    lines += [f"- schema {name}" for name in sorted(old_schemas.keys() - new_schemas.keys())]
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        lines += [f"~ schema {name}: {change}" for change in _named_changes(old_schemas[name], new_schemas[name])]
    if not lines and old != new:
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        lines.append(f"~ other changes under: {', '.join(keys)}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines


def _operations(doc: Mapping[str, Any]) -> dict[str, JSON]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in doc.get("paths", {}).items()
        for method, operation in item.items()
        if method in _METHODS
    }


def _resolved_parameters(doc: Mapping[str, Any], operation: Mapping[str, Any]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for param in operation.get("parameters", []):
        ref = str(param.get("$ref", ""))
        if ref.startswith("#/components/parameters/"):
            param = doc.get("components", {}).get("parameters", {}).get(ref.rsplit("/", 1)[1], param)
        out[f"{param.get('in')} {param.get('name')}"] = param
    return out


def _operation_changes(
    old_doc: Mapping[str, Any], old: Mapping[str, Any], new_doc: Mapping[str, Any], new: Mapping[str, Any]
) -> list[str]:
    old_params, new_params = _resolved_parameters(old_doc, old), _resolved_parameters(new_doc, new)
    changes = [f"+ parameter {name}" for name in sorted(new_params.keys() - old_params.keys())]
    changes += [f"- parameter {name}" for name in sorted(old_params.keys() - new_params.keys())]
    for name in sorted(old_params.keys() & new_params.keys()):
        fields = sorted(
            k
            for k in set(old_params[name]) | set(new_params[name])
            if old_params[name].get(k) != new_params[name].get(k)
        )
        if fields:
            changes.append(f"parameter {name} changed ({', '.join(fields)})")
    others = sorted(k for k in set(old) | set(new) if k != "parameters" and old.get(k) != new.get(k))
    if others:
        changes.append(f"{', '.join(others)} changed")
    return changes


def _named_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    changes = [f"+ property {name}" for name in sorted(new_props.keys() - old_props.keys())]
    changes += [f"- property {name}" for name in sorted(old_props.keys() - new_props.keys())]
    changed = sorted(name for name in old_props.keys() & new_props.keys() if old_props[name] != new_props[name])
    if changed:
        changes.append(f"property {', '.join(changed)} changed")
    others = sorted(k for k in set(old) | set(new) if k != "properties" and old.get(k) != new.get(k))
    if others:
        changes.append(f"{', '.join(others)} changed")
    return changes


def check_spec_file(path: Path, checked: Collection[str] = ()) -> str:
    """Fail with a one-line SpecError unless ``path`` is a readable, valid OpenAPI document; its SHA-256.

    A document whose SHA-256 is in ``checked`` (found valid before, by this process or the one that started it)
    is taken as it is: the full check of H2O-3's contract costs seconds of CPU in each process that repeats it.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest in checked:
        return digest
    try:
        doc = load_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{path} is not an OpenAPI document (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML/JSON: {yaml_problem(exc)}") from None
    except RecursionError:
        raise SpecError(f"{path} nests too deeply to read (more levels than Python's recursion limit)") from None
    if not isinstance(doc, dict) or "openapi" not in doc or "paths" not in doc:
        raise SpecError(f"{path} is not an OpenAPI document (no 'openapi' and 'paths' keys)")
    validate_openapi(doc)
    if not _operations(doc):
        # pytest would stop at collecting the contract test ("does not match any API operations")
        raise SpecError(f"{path} documents no operation under 'paths': there is nothing to test")
    return digest


# --------------------------------------------------------------------------- the contracts the mocks answer

_PACKAGE = Path(__file__).resolve().parent
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def contract_path(slug: str) -> Path:
    """Where an API's contract is: the checkout's ``contracts/<slug>/openapi.yaml``, else the wheel's copy."""
    for root in (_PACKAGE.parent / "contracts", _PACKAGE / "_contracts"):
        if (root / slug / "openapi.yaml").is_file():
            return root / slug / "openapi.yaml"
    raise ConfigError(f"no contract for {slug!r}: neither contracts/{slug}/openapi.yaml nor the packaged copy exists")


@functools.cache
def contract_document(slug: str) -> Mapping[str, Any]:
    """An API's contract, parsed once per process (callers must not change it)."""
    document: Mapping[str, Any] = yaml.load(contract_path(slug).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    return document


def strip_marked(document: Mapping[str, Any], marker: str) -> JSON:
    """A copy without what a generator marked ``marker: true``: operations, their parameters, components and tags.

    A generator that merges into a document it wrote before starts from this, so regenerating is idempotent.
    """
    out: JSON = copy.deepcopy(dict(document))
    for path in list(out.get("paths", {})):
        item = out["paths"][path]
        for method in [m for m, op in item.items() if isinstance(op, dict) and op.get(marker)]:
            del item[method]
        for op in item.values():
            if isinstance(op, dict) and "parameters" in op:
                op["parameters"] = [p for p in op["parameters"] if not p.get(marker)]
        if not any(m in item for m in _METHODS):
            del out["paths"][path]
    for section in ("schemas", "parameters"):
        held = out.get("components", {}).get(section, {})
        for name in [n for n, s in held.items() if isinstance(s, dict) and s.get(marker)]:
            del held[name]
    if "tags" in out:
        out["tags"] = [t for t in out["tags"] if not t.get(marker)]
    return out
