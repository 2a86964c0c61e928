"""Request parameters the way H2O-3 reads them: form/query strings or a JSON body, checked against a schema.

Form and query values are strings (lists as ``["a","b"]`` or ``[a,b]``, h2o-py's
style); a JSON body is filled into the schema field by field. Each path fails
with the error a real 3.46.0.12 gives: an unknown form field is 412 "Unknown
parameter", an unconvertible one 412 "cannot convert", while in JSON an unknown
field is 400 "Field not found" and a mistyped one a 400 from Java reflection.
Booleans are the one deliberate difference: the mock refuses a form value that is
neither true nor false, which a real server reads as false (``DEVIATIONS``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.h2o3.mockparts.metadata import FieldSpec, input_fields
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request, key_not_found, precondition

# What Java calls the enum type behind a parameter, for H2O-3's "No enum constant" message.
ENUM_CLASSES = {
    "distribution": "hex.genmodel.utils.DistributionFamily",
    "family": "hex.glm.GLMModel.GLMParameters.Family",
    "link": "hex.glm.GLMModel.GLMParameters.Link",
    "solver": "hex.glm.GLMModel.GLMParameters.Solver",
    "fold_assignment": "hex.Model.Parameters.FoldAssignmentScheme",
    "categorical_encoding": "hex.Model.Parameters.CategoricalEncodingScheme",
    "stopping_metric": "hex.ScoreKeeper.StoppingMetric",
    "histogram_type": "hex.tree.SharedTreeModel.SharedTreeParameters.HistogramType",
    "parse_type": "water.parser.ParserInfo.ParserType",
}
INT_TYPES = ("int", "long", "short", "byte")
# Java's ranges: a value outside them "cannot convert", as on the real server
INT_BITS = {"byte": 8, "short": 16, "int": 32, "long": 64}
FLOAT_TYPES = ("double", "float")


@dataclass(frozen=True)
class KeyRef:
    """A key named by a request; ``type`` is None when a JSON object left it out."""

    name: str
    type: str | None


JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")


def parse_list(text: str) -> list[str]:
    """H2O-3's list syntax: ``["a","b"]``, ``[a,b]``, or a bare value standing for a one-element list."""
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        return [s] if s else []
    inner = s[1:-1].strip()
    if not inner:
        return []
    items: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for ch in inner:
        if quote:
            if ch == quote:
                quote = None
            else:
                current.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return items


def _cannot(spec: FieldSpec, schema: str, raw: str) -> H2OError:
    return precondition(
        f'Illegal argument for field: {spec.name} of schema: {schema}: cannot convert "{raw}" to type {spec.type}'
    )


def _enum(spec: FieldSpec, value: str) -> str:
    if not spec.values:  # an enum the metadata does not list (parse_type): the handler decides
        return value.strip()
    # like H2O-3's EnumUtils: case-insensitive, and "mean_imputation" names MeanImputation
    wanted = value.strip().lower().replace("_", "")
    for allowed in spec.values:
        if allowed.lower().replace("_", "") == wanted:
            return allowed
    cls = ENUM_CLASSES.get(spec.name, f"hex.Model.Parameters.{spec.name}")
    raise bad_request(f"No enum constant {cls}.{value}")


def _int(text: str, java_type: str = "long") -> int:
    s = text.strip()
    if not s or not s.lstrip("+-").isdigit():
        raise ValueError(text)
    value = int(s)
    bits = INT_BITS.get(java_type, 64)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(text)
    return value


def _nested(text: str, base: str) -> list[list[Any]]:
    """A two-level list (``string[][]``, ``double[][]``) given as JSON; ValueError when it is not one."""
    try:
        value = json.loads(text) if text.strip() else []
    except RecursionError:  # nested deeper than the parser goes
        raise ValueError(text) from None
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise ValueError(text)
    if base in FLOAT_TYPES:
        try:
            return [[float(v) for v in row] for row in value]
        except TypeError:
            raise ValueError(text) from None
    if not all(isinstance(v, str) for row in value for v in row):
        raise ValueError(text)
    return value


def _check_key(spec: FieldSpec, name: str) -> None:
    # as H2O-3's Schema.parse: an empty name for a required key names no object, a 404 before anything else
    if not name and spec.required:
        raise key_not_found("", spec.name)


def java_double(raw: str) -> float:
    """A number as Java's Double.parseDouble reads it: ``NaN`` and ``Infinity`` spelled so, not ``nan`` or ``NAN``."""
    text = raw.strip()
    if not JAVA_DOUBLE.fullmatch(text):
        raise ValueError(raw)
    return float(text.rstrip("fFdD").replace("Infinity", "inf"))


def convert_form(spec: FieldSpec, schema: str, raw: str) -> Any:
    """One form/query string converted to the field's type, or the H2O-3 error for it."""
    t = spec.type
    try:
        if t in INT_TYPES:
            return _int(raw, t)
        if t in FLOAT_TYPES:
            return java_double(raw)
        if t == "boolean":
            # stricter than the real server, whose Boolean.parseBoolean reads anything but "true" as false
            # (DEVIATIONS): a schema-violating value such as "null" is refused like an unconvertible number
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if t == "enum":
            # a real 3.46.0.12 refuses an empty value of a listed enum too ("No enum constant ...Solver.")
            return _enum(spec, raw) if raw.strip() or spec.values else None
        if t.startswith("Key<") and t.endswith(">"):
            _check_key(spec, raw.strip())
            return KeyRef(raw.strip(), t) if raw.strip() else None
        if t.startswith("Key<") and t.endswith("[]"):
            names = parse_list(raw)
            for name in names:
                _check_key(spec, name)
            return [KeyRef(name, t[:-2]) for name in names]
        if t == "VecSpecifier":
            # an empty one names a column '' (a real server: "Response column '' not found in the training frame")
            return raw.strip()
        if t in ("int[]", "long[]"):
            return [_int(v, t[:-2]) for v in parse_list(raw)]
        if t in ("double[]", "float[]"):
            return [java_double(v) for v in parse_list(raw)]
        if t in ("string[]", "enum[]"):
            return parse_list(raw)
        if t.endswith("[][]"):
            return _nested(raw, t[:-4])
        if t in OBJECT_ARRAYS:
            return _objects(raw, t)
    except ValueError:
        raise _cannot(spec, schema, raw) from None
    return raw


#: arrays of objects a form gives as JSON text (h2o-py writes monotone_constraints so): each object's schema and its
#: fields' types, as the server's gson reads them
OBJECT_ARRAYS: dict[str, tuple[str, dict[str, type]]] = {
    "KeyValue[]": ("KeyValueV3", {"key": str, "value": float}),
    "StringPair[]": ("StringPairV3", {"a": str, "b": str}),
}


def _objects(text: str, t: str) -> list[dict[str, Any]]:
    """A JSON array of objects, each field read as gson reads it (a number for a string field is its text); a
    ValueError for anything else (a real server answers its gson's IllegalStateException as a 500)."""
    value = json.loads(text) if text.strip() else []
    if not isinstance(value, list):
        raise ValueError(text)
    _, fields = OBJECT_ARRAYS[t]
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(text)
        read: dict[str, Any] = {}
        for name, kind in fields.items():
            given = item.get(name)
            if given is None or isinstance(given, bool | list | dict):
                if given is not None:
                    raise ValueError(text)
                read[name] = None
            elif kind is float:
                read[name] = java_double(str(given))
            else:
                read[name] = given if isinstance(given, str) else json.dumps(given)
        out.append(read)
    return out


def from_form(schema: str, raw: dict[str, str], *, extra_known: tuple[str, ...] = ()) -> dict[str, Any]:
    """Check and convert form/query parameters against an input schema."""
    known = input_fields(schema)
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name in extra_known:
            out[name] = value
            continue
        spec = known.get(name)
        if spec is None:
            raise precondition(f"Unknown parameter: {name}")
        out[name] = convert_form(spec, schema, value)
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int | float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "com.google.gson.internal.LinkedTreeMap"


def _json_key(value: Any, key_type: str) -> KeyRef:
    if isinstance(value, dict):
        name = value.get("name")
        return KeyRef(str(name) if name is not None else "null", value.get("type"))
    raise bad_request(f"can't convert object of type {_json_class(value)} to schema {key_type}")


def _json_class(value: Any) -> str:
    return "class " + _json_type(value)


def convert_json(spec: FieldSpec, schema: str, value: Any) -> Any:
    """One JSON value filled into a field, failing as H2O-3's reflection does."""
    t = spec.type
    where = f"water.api.schemas3.{schema}.{spec.name}"
    if value is None:
        return None
    if t == "byte":
        raise bad_request(f"Can not set byte field {where} to {_json_type(value)}")
    if t in INT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
            raise bad_request(f"Can not set {t} field {where} to {_json_type(value)}")
        return int(value)
    if t in FLOAT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"Can not set {t} field {where} to {_json_type(value)}")
        return float(value)
    if t == "boolean":
        if not isinstance(value, bool):
            raise bad_request(f"Can not set boolean field {where} to {_json_type(value)}")
        return value
    if t == "enum":
        if not isinstance(value, str):
            raise bad_request(f"Can not set enum field {where} to {_json_type(value)}")
        return _enum(spec, value)
    if t.startswith("Key<") and t.endswith(">"):
        return KeyRef(value, t) if isinstance(value, str) else _json_key(value, t)
    if t.startswith("Key<") and t.endswith("[]"):
        if not isinstance(value, list):
            raise bad_request(f"setField can't yet convert a: {_json_class(value)} to a: class [L{t[:-2]};")
        return [_json_key(v, t[:-2]) for v in value]
    if t.endswith("[]"):
        if not isinstance(value, list):
            raise bad_request(f"setField can't yet convert a: {_json_class(value)} to a: class [Ljava.lang.String;")
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    if t in ("string", "VecSpecifier"):
        if isinstance(value, dict) and t == "VecSpecifier":
            return value.get("column_name")
        return value if isinstance(value, str) else json.dumps(value)
    return value


def from_json(schema: str, body: Any) -> dict[str, Any]:
    """Fill a JSON body into an input schema: unknown fields first, then each value's type."""
    if not isinstance(body, dict):
        raise bad_request(f"Expected a JSON object for {schema}, got {type(body).__name__}")
    known = input_fields(schema)
    for name in body:
        if name not in known:
            raise bad_request(
                f"Field not found: '{name}' on object water.api.schemas3.{schema}@{id(body) & 0xFFFFFFF:x}"
            )
    return {name: convert_json(known[name], schema, value) for name, value in body.items()}
