"""Build the H2O-3 OpenAPI contract from the server's own metadata.

H2O-3 publishes no OpenAPI document, but every server describes itself at
``GET /3/Metadata/endpoints`` (routes) and ``GET /3/Metadata/schemas`` (schemas).
``build_openapi`` turns that pair into an OpenAPI 3.0.3 document, deterministically:
operations, parameters and schemas are sorted, the ``markdown`` texts are ignored,
and defaults that are drawn at random when the server starts are dropped (comparing
two starts of 3.46.0.12 showed only ``MissingInserterV3.seed`` varying).

How a real H2O-3 3.46.0.12 reads a request (checked with curl against a local server):

* Every method reads its parameters from the query string; a POST also reads a
  form-encoded body. Unknown parameters are refused (412 "Unknown parameter").
* A JSON body is honoured by only some handlers: ``/3/ImportFiles`` and ``/3/ParseSetup``
  read it, but keys there must be objects (``[{"name": "..."}]``), and
  ``/3/ModelBuilders/{algo}`` ignores it silently (200, then the job FAILS without a
  training frame). The document therefore declares no request bodies.
* Arrays: ``[a,b]`` (what the h2o client sends) and JSON text (``["a","b"]``, ``[1,2]``,
  ``[["a","b"]]``, ``[{"key":"x","value":1}]``) are both understood; a bare ``a`` is read
  as a one-element array. ``a,b`` is read as ONE element ``"a,b"``. Repeated keys are
  joined into a quoted list, which string arrays accept and numeric arrays refuse (412).
  So array, map and nested-object parameters are declared with
  ``content: application/json``, which makes clients (and schemathesis) send JSON text.
* Nested schema objects given as JSON text are read with Gson, where a key must be an
  object ``{"name": "..."}``; top-level keys, column specifiers and frames are plain names.
* Statuses: 404 when a frame/model/file is missing; 400 for a malformed key or an
  unknown enum constant; 412 for a value that cannot be converted, a missing required
  field or an unknown parameter; 500 for some unexpected failures (an unknown algo in
  ``/3/ModelBuilders/{algo}``). ``POST /3/ModelBuilders/{algo}`` answers 412 with
  ``H2OModelBuilderErrorV3`` when a parameter value is invalid, ``H2OErrorV3`` otherwise.
* Doubles that are NaN or infinite are written as the strings ``"NaN"``, ``"Infinity"``
  and ``"-Infinity"``; responses say so.
"""

from __future__ import annotations

import gzip
import importlib.resources
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from h2oharness.errors import SpecError, TargetAuthError, TargetUnavailable
from h2oharness.http.deadline import deadline_transport
from h2oharness.http.unreachable import why_unreachable

__all__ = [
    "SNAPSHOT_VERSION",
    "Metadata",
    "build_openapi",
    "fetch_metadata",
    "load_metadata_file",
    "load_snapshot",
    "snapshot_files",
    "write_snapshot",
]

JSON = dict[str, Any]

# The committed snapshot predates the VERSION file that write_snapshot now writes beside it.
SNAPSHOT_VERSION = "3.46.0.12"
DEFAULT_SERVER = "http://localhost:54321"
#: seconds each metadata request may take in all unless ``spec --request-deadline`` says
FETCH_DEADLINE = 60.0
ENDPOINTS_FILE = "endpoints.json"
SCHEMAS_FILE = "schemas.json"
VERSION_FILE = "VERSION"

_INT_BOUNDS = {"byte": (-(2**7), 2**7 - 1), "short": (-(2**15), 2**15 - 1), "int": (-(2**31), 2**31 - 1)}
_INT_BOUNDS["long"] = (-(2**63), 2**63 - 1)
_INT_FORMATS = {"short": "int32", "int": "int32", "long": "int64"}
_NUMBER_FORMATS = {"double": "double", "float": "float"}
_GENERIC_TYPES = {"Polymorphic", "Iced", "Object", "Parameters"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ERROR_STATUSES = {"400": "BadRequest", "404": "NotFound", "412": "PreconditionFailed", "500": "ServerError"}
_NESTED_DEPTH = 2
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")
_NON_FINITE = ["NaN", "Infinity", "-Infinity"]


@dataclass(frozen=True)
class Metadata:
    """The two metadata documents of one H2O-3 server, as parsed JSON, and its version."""

    endpoints: JSON = field(hash=False)
    schemas: JSON = field(hash=False)
    version: str = ""

    @property
    def routes(self) -> list[JSON]:
        """The routes of ``/3/Metadata/endpoints``."""
        return list(self.endpoints["routes"])

    @property
    def schema_list(self) -> list[JSON]:
        """The schemas of ``/3/Metadata/schemas``."""
        return list(self.schemas["schemas"])


# --------------------------------------------------------------------------- loading


def fetch_metadata(base_url: str, auth: tuple[str, str] | None = None, timeout: float = FETCH_DEADLINE) -> Metadata:
    """GET both metadata documents (and the version from ``/3/Cloud``) from a running H2O-3.

    Each request has ``timeout`` seconds in all, connect to last byte (a body dripped slowly included).
    """
    base = base_url.rstrip("/")
    try:
        transport = deadline_transport(timeout, verify=httpx.create_ssl_context())
        with httpx.Client(base_url=base, auth=auth, timeout=timeout, transport=transport) as client:
            endpoints = _get_json(client, base, "/3/Metadata/endpoints")
            schemas = _get_json(client, base, "/3/Metadata/schemas")
            version = _cloud_version(client)
    except httpx.TimeoutException:
        raise TargetUnavailable(f"H2O-3 at {base} did not answer within {timeout:g} s") from None
    except httpx.TransportError as exc:
        raise TargetUnavailable(f"cannot reach H2O-3 at {base}: {why_unreachable(exc, base)}") from None
    _check_endpoints(endpoints, f"{base}/3/Metadata/endpoints")
    _check_schemas(schemas, f"{base}/3/Metadata/schemas")
    return Metadata(endpoints, schemas, version)


def _get_json(client: httpx.Client, base: str, path: str) -> Any:
    response = client.get(path)
    url = f"{base}{path}"
    if response.status_code in (401, 403):
        raise TargetAuthError(f"H2O-3 at {url} answered {response.status_code}: wrong or missing credentials")
    if response.status_code >= 500:
        raise TargetUnavailable(f"H2O-3 at {url} answered {response.status_code}")
    if response.status_code != 200:
        raise SpecError(f"{url} answered {response.status_code}, not H2O-3 metadata: is this an H2O-3 server?")
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise SpecError(f"{url} did not answer JSON ({kind}): is this an H2O-3 server?") from None


def _cloud_version(client: httpx.Client) -> str:
    try:
        response = client.get("/3/Cloud", params={"skip_ticks": "true"})
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return ""
    return str(body.get("version") or "") if isinstance(body, dict) else ""


def load_snapshot() -> Metadata:
    """The metadata snapshot committed in ``h2oharness/apis/h2o3/metadata``."""
    folder = importlib.resources.files("h2oharness.apis.h2o3") / "metadata"
    endpoints = _parse(gzip.decompress((folder / f"{ENDPOINTS_FILE}.gz").read_bytes()), ENDPOINTS_FILE)
    schemas = _parse(gzip.decompress((folder / f"{SCHEMAS_FILE}.gz").read_bytes()), SCHEMAS_FILE)
    version_file = folder / VERSION_FILE
    version = version_file.read_text().strip() if version_file.is_file() else SNAPSHOT_VERSION
    _check_endpoints(endpoints, ENDPOINTS_FILE)
    _check_schemas(schemas, SCHEMAS_FILE)
    return Metadata(endpoints, schemas, version)


#: the files a snapshot folder holds (``VERSION`` only when the server said its version)
SNAPSHOT_FILES = (f"{ENDPOINTS_FILE}.gz", f"{SCHEMAS_FILE}.gz", VERSION_FILE)


def snapshot_files(meta: Metadata) -> dict[str, bytes]:
    """The bytes of ``endpoints.json.gz`` and ``schemas.json.gz`` (plus ``VERSION``), reproducibly, by file name."""
    schemas = dict(meta.schemas)
    schemas["schemas"] = sorted(meta.schema_list, key=lambda s: str(s.get("name")))
    files = {}
    for name, document in ((ENDPOINTS_FILE, meta.endpoints), (SCHEMAS_FILE, schemas)):
        buffer = io.BytesIO()
        with gzip.GzipFile(filename=name, mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
            gz.write(json.dumps(document, separators=(",", ":")).encode())
        files[f"{name}.gz"] = buffer.getvalue()
    if meta.version:
        files[VERSION_FILE] = f"{meta.version}\n".encode()
    return files


def write_snapshot(meta: Metadata, directory: str | Path) -> list[Path]:
    """Write ``endpoints.json.gz`` and ``schemas.json.gz`` (plus ``VERSION``) reproducibly; return their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in snapshot_files(meta).items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    if not meta.version:
        (folder / VERSION_FILE).unlink(missing_ok=True)  # an earlier snapshot's version is not this one's
    return written


def load_metadata_file(path: str | Path, schemas_path: str | Path | None = None) -> Metadata:
    """Metadata from a directory holding ``endpoints.json[.gz]`` and ``schemas.json[.gz]``, or from a file pair."""
    first = Path(path)
    if first.is_dir():
        endpoints_file = _find(first, ENDPOINTS_FILE)
        schemas_file = _find(first, SCHEMAS_FILE)
        version_file: Path | None = first / VERSION_FILE
    elif schemas_path is None:
        raise SpecError(f"{first}: give the schemas file too, or a directory with {ENDPOINTS_FILE} and {SCHEMAS_FILE}")
    else:
        endpoints_file, schemas_file, version_file = first, Path(schemas_path), None
    endpoints = _read_json(endpoints_file)
    schemas = _read_json(schemas_file)
    _check_endpoints(endpoints, str(endpoints_file))
    _check_schemas(schemas, str(schemas_file))
    version = ""
    if version_file is not None and version_file.is_file():
        version = version_file.read_text(errors="replace").strip()
    return Metadata(endpoints, schemas, version)


def _find(folder: Path, name: str) -> Path:
    found = [candidate for candidate in (folder / name, folder / f"{name}.gz") if candidate.is_file()]
    if len(found) == 2:
        # write_snapshot writes the .gz: the plain file beside it, read first, was an older server's metadata
        raise SpecError(f"{folder} holds both {name} and {name}.gz, which may be of two servers: keep the one to use")
    if found:
        return found[0]
    raise SpecError(f"{folder} has neither {name} nor {name}.gz")


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SpecError(f"{path} is not a valid gzip file: {exc}") from None
    return _parse(raw, str(path))


def _parse(raw: bytes, source: str) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise SpecError(f"{source} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _check_endpoints(document: Any, source: str) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("routes"), list):
        raise SpecError(f"{source} is not H2O-3 endpoint metadata: expected an object with a 'routes' list")
    for index, route in enumerate(document["routes"]):
        if not isinstance(route, dict):
            raise SpecError(f"{source}: routes[{index}] is not an object")
        for key in ("http_method", "url_pattern", "api_name", "input_schema", "output_schema"):
            if not isinstance(route.get(key), str):
                raise SpecError(f"{source}: routes[{index}] has no string {key!r}")
        if not isinstance(route.get("path_params", []), list):
            raise SpecError(f"{source}: routes[{index}].path_params is not a list")


def _check_schemas(document: Any, source: str) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("schemas"), list):
        raise SpecError(f"{source} is not H2O-3 schema metadata: expected an object with a 'schemas' list")
    for index, schema in enumerate(document["schemas"]):
        if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
            raise SpecError(f"{source}: schemas[{index}] has no string 'name'")
        fields = schema.get("fields")
        if not isinstance(fields, list):
            raise SpecError(f"{source}: schema {schema['name']} has no 'fields' list")
        for position, item in enumerate(fields):
            if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("type"), str)):
                raise SpecError(f"{source}: schema {schema['name']} fields[{position}] needs a string name and type")


# --------------------------------------------------------------------------- type mapping


def _split_array(h2o_type: str) -> tuple[str, int]:
    dims = 0
    while h2o_type.endswith("[]"):
        h2o_type, dims = h2o_type[:-2], dims + 1
    return h2o_type, dims


def _map_arg(h2o_type: str) -> str:
    """The value type of a ``Map<K,V>`` type, or '' when the type is not a map."""
    if h2o_type.startswith("Map<") and h2o_type.endswith(">"):
        return h2o_type[4:-1].split(",", 1)[-1].strip()
    return ""


def _scalar(base: str, item: Mapping[str, Any], *, bounds: bool) -> JSON | None:
    if base in _INT_BOUNDS:
        out: JSON = {"type": "integer"}
        if base in _INT_FORMATS:
            out["format"] = _INT_FORMATS[base]
        if bounds or base == "byte":
            out["minimum"], out["maximum"] = _INT_BOUNDS[base]
        return out
    if base in _NUMBER_FORMATS:
        return {"type": "number", "format": _NUMBER_FORMATS[base]}
    if base == "boolean":
        return {"type": "boolean"}
    if base == "string":
        return {"type": "string"}
    if base == "enum":
        values = [str(v) for v in item.get("values") or []]
        return {"type": "string", "enum": values} if values else {"type": "string"}
    return None


def _wrap_array(schema: JSON, dims: int, *, nullable: bool) -> JSON:
    extra = {"nullable": True} if nullable else {}
    for _ in range(dims):
        schema = {"type": "array", **extra, "items": schema}
    return schema


class _Builder:
    """Holds the schema index while one document is built."""

    def __init__(self, meta: Metadata) -> None:
        self.meta = meta
        self.schemas: dict[str, JSON] = {}
        for schema in sorted(meta.schema_list, key=lambda s: (str(s["name"]), _canonical(s))):
            self.schemas.setdefault(str(schema["name"]), schema)
        self.parameters: dict[str, JSON] = {}
        self.random_defaults: set[str] = set()

    # ----- requests

    def request_schema(self, item: Mapping[str, Any], depth: int = 0) -> JSON:
        """JSON schema of a value the server reads from a parameter (depth > 0: inside JSON text)."""
        base, dims = _split_array(str(item["type"]))
        schema = _scalar(base, item, bounds=True)
        if schema is None:
            schema = self._request_composite(base, item, depth)
        return _wrap_array(schema, dims, nullable=False)

    def _request_composite(self, base: str, item: Mapping[str, Any], depth: int) -> JSON:
        if base.startswith("Key<") or base in ("VecSpecifier", "Frame"):
            if depth == 0:
                return {"type": "string"}
            name = "column_name" if base == "VecSpecifier" else "name"
            return {"type": "object", "properties": {name: {"type": "string"}}, "required": [name]}
        value_type = _map_arg(base)
        if value_type:
            values = _scalar(value_type, {}, bounds=True)
            return {"type": "object", "additionalProperties": values} if values else {"type": "object"}
        target = self.schemas.get(str(item.get("schema_name") or "")) if item.get("is_schema") else None
        if base in _GENERIC_TYPES or target is None:
            return {}
        if depth >= _NESTED_DEPTH:
            return {"type": "object"}
        properties = {
            str(f["name"]): self.request_schema(f, depth + 1)
            for f in _input_fields(target)
            if not str(f["name"]).startswith("_")
        }
        return {"type": "object", "properties": dict(sorted(properties.items()))}

    def parameter(self, owner: str, item: Mapping[str, Any]) -> JSON:
        """A ``components/parameters`` entry for one input field, registered once; returns its ``$ref``."""
        key = f"{owner}.{item['name']}"
        if key not in self.parameters:
            schema = self.request_schema(item)
            param: JSON = {"name": str(item["name"]), "in": "query"}
            if item.get("required") is True:
                param["required"] = True
            help_text = str(item.get("help") or "").strip()
            if help_text:
                param["description"] = help_text
            if "type" in schema and schema["type"] in ("integer", "number", "boolean", "string"):
                default = self._default(owner, item, schema)
                if default is not None:
                    schema = {**schema, "default": default}
                param["schema"] = schema
            else:
                param["content"] = {"application/json": {"schema": schema}}
            self.parameters[key] = param
        return {"$ref": f"#/components/parameters/{key}"}

    def _default(self, owner: str, item: Mapping[str, Any], schema: JSON) -> Any:
        value = item.get("value")
        if value is None or isinstance(value, dict | list):
            return None
        if _is_random_default(item):
            self.random_defaults.add(f"{owner}.{item['name']}")
            return None
        kind = schema["type"]
        if kind == "boolean":
            return value if isinstance(value, bool) else None
        if kind == "string":
            if not isinstance(value, str) or ("enum" in schema and value not in schema["enum"]):
                return None
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if kind == "integer":
            low, high = schema.get("minimum"), schema.get("maximum")
            in_range = (low is None or value >= low) and (high is None or value <= high)
            return value if isinstance(value, int) and in_range else None
        return value

    def query_parameters(self, route: Mapping[str, Any], path_params: Iterable[str]) -> list[JSON]:
        """``$ref``s to the query parameters of a route, ModelBuilder ``parameters`` flattened, sorted by name."""
        schema = self.schemas.get(str(route["input_schema"]))
        if schema is None:
            return []
        owner: JSON | None = schema
        if self._is_model_builder(schema):
            # ModelBuilderSchema.fillFromParms fills only `parameters` from the flat request parameters;
            # anything else, even the schema's own `_exclude_fields`, is refused as an unknown parameter
            nested = next((f for f in _input_fields(schema) if f["name"] == "parameters"), None)
            owner = self.schemas.get(str(nested.get("schema_name") or "")) if nested else None
        if owner is None:
            return []
        fields = _input_fields(owner)
        skip = set(path_params)
        chosen = {str(f["name"]): self.parameter(str(owner["name"]), f) for f in fields if f["name"] not in skip}
        return [chosen[name] for name in sorted(chosen)]

    def _is_model_builder(self, schema: Mapping[str, Any]) -> bool:
        seen: set[str] = set()
        current: Mapping[str, Any] | None = schema
        while current is not None and current["name"] not in seen:
            if current["name"] == "ModelBuilderSchema":
                return True
            seen.add(str(current["name"]))
            current = self.schemas.get(str(current.get("superclass") or ""))
        return False

    def path_parameter(self, route: Mapping[str, Any], field_name: str, name: str) -> JSON:
        """An inline path parameter, typed from the input schema's field when that is a scalar."""
        schema: JSON = {"type": "string"}
        source = self.schemas.get(str(route["input_schema"]))
        for item in source["fields"] if source else []:
            if item["name"] == field_name:
                base, dims = _split_array(str(item["type"]))
                scalar = _scalar(base, item, bounds=True) if dims == 0 else None
                schema = scalar or schema
                break
        return {"name": name, "in": "path", "required": True, "schema": schema}

    # ----- responses

    def response_schema(self, item: Mapping[str, Any]) -> JSON:
        """JSON schema of a field as the server writes it: always nullable, objects open."""
        base, dims = _split_array(str(item["type"]))
        return _wrap_array(self._response_base(base, item), dims, nullable=True)

    def _response_base(self, base: str, item: Mapping[str, Any]) -> JSON:
        if base == "Schema.Meta":
            return _meta_schema()
        if base in _NUMBER_FORMATS:
            number = {"type": "number", "format": _NUMBER_FORMATS[base], "nullable": True}
            return {"anyOf": [number, {"type": "string", "enum": list(_NON_FINITE)}]}
        scalar = _scalar(base, item, bounds=False)
        if scalar is not None:
            return {**scalar, "nullable": True}
        value_type = _map_arg(base)
        if value_type:
            if value_type in self.schemas:
                values: JSON = _ref(value_type)
            else:
                values = {**(_scalar(value_type, {}, bounds=False) or {}), "nullable": True}
            return {"type": "object", "nullable": True, "additionalProperties": values}
        name = str(item.get("schema_name") or "")
        if base in _GENERIC_TYPES or not item.get("is_schema") or name not in self.schemas:
            return {}
        return _ref(name)

    def component(self, schema: Mapping[str, Any]) -> JSON:
        """``components/schemas`` entry for one H2O schema."""
        variants: dict[str, dict[str, JSON]] = {}
        for item in schema["fields"]:
            mapped = self.response_schema(item)
            variants.setdefault(str(item["name"]), {})[_canonical(mapped)] = mapped
        properties: dict[str, JSON] = {}
        for name, found in sorted(variants.items()):
            # a field shadowed by a subclass field of another type may come back as either
            alternatives = [found[key] for key in sorted(found)]
            properties[name] = alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}
        out: JSON = {"type": "object", "nullable": True}
        out["properties"] = properties
        out["additionalProperties"] = True
        out["x-h2o-type"] = str(schema.get("type") or "")
        out["x-h2o-superclass"] = str(schema.get("superclass") or "")
        return out


def _input_fields(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The fields a request may set, by name; of two fields with one name, the same one whatever their order."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for item in schema["fields"]:
        name = str(item["name"])
        if item.get("direction") not in ("INPUT", "INOUT"):
            continue
        if name not in chosen or _canonical(item) < _canonical(chosen[name]):
            chosen[name] = item
    return [chosen[name] for name in sorted(chosen)]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _is_random_default(item: Mapping[str, Any]) -> bool:
    """A default drawn at random when the server starts: a seed other than the -1/0 sentinels."""
    return "seed" in str(item["name"]).lower() and item.get("value") not in (-1, 0, None)


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _meta_schema() -> JSON:
    return {
        "type": "object",
        "nullable": True,
        "properties": {
            "schema_version": {"type": "integer", "nullable": True},
            "schema_name": {"type": "string", "nullable": True},
            "schema_type": {"type": "string", "nullable": True},
        },
        "additionalProperties": True,
    }


# --------------------------------------------------------------------------- document


def _tag(url: str) -> str:
    parts = [p for p in url.split("/") if p]
    resource = parts[1] if len(parts) > 1 else (parts[0] if parts else "root")
    resource = resource.split(".", 1)[0].lstrip("$") or "root"
    return resource[0].upper() + resource[1:]


def _handler(route: Mapping[str, Any]) -> str:
    cls = str(route.get("handler_class") or "").removeprefix("class ").strip()
    method = str(route.get("handler_method") or "").strip()
    return f"{cls}.{method}" if method else cls


def _operation_ids(routes: list[JSON]) -> dict[tuple[str, str], str]:
    ids: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    for route in sorted(routes, key=lambda r: (r["url_pattern"], r["http_method"])):
        base = re.sub(r"\W", "_", str(route["api_name"])) or "operation"
        candidate, counter = base, 1
        while candidate in used:
            counter += 1
            candidate = f"{base}_{counter}"
        used.add(candidate)
        ids[(str(route["http_method"]).upper(), str(route["url_pattern"]))] = candidate
    return ids


def _document_paths(routes: list[JSON]) -> dict[str, str]:
    """Each URL pattern's path in the document: OpenAPI forbids two templated paths that differ only by
    parameter names, so such routes share the path of the first pattern (the server binds by position)."""
    shapes: dict[str, str] = {}
    for url in sorted({str(route["url_pattern"]) for route in routes}):
        shapes.setdefault(_PATH_PARAM.sub("{}", url), url)
    paths = {url: shapes[_PATH_PARAM.sub("{}", url)] for url in {str(route["url_pattern"]) for route in routes}}
    seen: dict[tuple[str, str], str] = {}
    for route in routes:
        url = str(route["url_pattern"])
        other = seen.setdefault((_method(route), paths[url]), url)
        if other != url:
            raise SpecError(f"{_method(route).upper()} {other} and {url} differ only by parameter names")
    return paths


def _responses(builder: _Builder, route: Mapping[str, Any], method: str) -> JSON:
    output = str(route["output_schema"])
    ok: JSON = {"description": f"{output}"}
    if method == "head":
        ok["description"] = "Headers only"
    elif output == "StreamingSchema":
        ok["content"] = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    else:
        schema = _ref(output) if output in builder.schemas else {"type": "object"}
        ok["content"] = {"application/json": {"schema": schema}}
    responses: JSON = {"200": ok}
    model_builder_train = _handler(route).endswith("ModelBuilderHandler.train")
    for status, name in _ERROR_STATUSES.items():
        if method == "head":
            responses[status] = {"description": f"{name} (headers only)"}
            continue
        if status == "412" and model_builder_train:
            name = "ModelBuilderPreconditionFailed"
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    return responses


def _error_responses() -> JSON:
    def error(description: str, schema: JSON) -> JSON:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    h2o_error = _ref("H2OErrorV3")
    return {
        "BadRequest": error("Malformed key or unknown enum constant", h2o_error),
        "NotFound": error("The frame, model, file or schema does not exist", h2o_error),
        "PreconditionFailed": error("A value cannot be converted, a required field is missing, or unknown", h2o_error),
        "ModelBuilderPreconditionFailed": error(
            "Invalid model parameters (H2OModelBuilderErrorV3), or a value that cannot be converted (H2OErrorV3)",
            {"anyOf": [_ref("H2OModelBuilderErrorV3"), h2o_error]},
        ),
        "ServerError": error("Unexpected failure in the server", h2o_error),
    }


# (source method, source path, link name, target method, target path, parameters)
_LinkSpec = tuple[str, str, str, str, str, dict[str, str]]
_PARSE_FROM_SETUP = {
    "source_frames": "$request.query.source_frames",
    "destination_frame": "$response.body#/destination_frame",
    "parse_type": "$response.body#/parse_type",
    "separator": "$response.body#/separator",
    "single_quotes": "$response.body#/single_quotes",
    "check_header": "$response.body#/check_header",
    "number_columns": "$response.body#/number_columns",
    "column_names": "$response.body#/column_names",
    "column_types": "$response.body#/column_types",
    "chunk_size": "$response.body#/chunk_size",
}


def _link_specs() -> list[_LinkSpec]:
    frame = "/3/Frames/{frame_id}"
    model = "/3/Models/{model_id}"
    job = "/3/Jobs/{job_id}"
    predict = "/3/Predictions/models/{model}/frames/{frame}"
    imported = {"source_frames": "$response.body#/destination_frames"}
    predictions = {"frame_id": "$response.body#/predictions_frame/name"}
    specs: list[_LinkSpec] = [
        ("POST", "/3/ImportFiles", "ParseSetup", "POST", "/3/ParseSetup", imported),
        ("GET", "/3/ImportFiles", "ParseSetup", "POST", "/3/ParseSetup", imported),
        ("POST", "/3/ParseSetup", "Parse", "POST", "/3/Parse", _PARSE_FROM_SETUP),
        ("POST", "/3/Parse", "Job", "GET", job, {"job_id": "$response.body#/job/key/name"}),
        ("POST", "/3/Parse", "Frame", "GET", frame, {"frame_id": "$response.body#/destination_frame/name"}),
        ("POST", "/3/Parse", "DeleteFrame", "DELETE", frame, {"frame_id": "$response.body#/destination_frame/name"}),
        ("GET", job, "CancelJob", "POST", "/3/Jobs/{job_id}/cancel", {"job_id": "$response.body#/jobs/0/key/name"}),
        ("GET", frame, "DeleteFrame", "DELETE", frame, {"frame_id": "$response.body#/frames/0/frame_id/name"}),
        ("GET", frame, "Predict", "POST", predict, {"frame": "$response.body#/frames/0/frame_id/name"}),
        ("GET", model, "DeleteModel", "DELETE", model, {"model_id": "$response.body#/models/0/model_id/name"}),
        (
            "GET", model, "Predict", "POST", predict,
            {"model": "$response.body#/models/0/model_id/name", "frame": "$response.body#/models/0/data_frame/name"},
        ),
        ("POST", predict, "PredictionsFrame", "GET", frame, predictions),
        ("POST", predict, "DeletePredictionsFrame", "DELETE", frame, predictions),
    ]  # fmt: skip
    for algo in ("gbm", "glm", "drf"):
        train = f"/3/ModelBuilders/{algo}"
        training = {
            "training_frame": "$response.body#/frames/0/frame_id/name",
            "response_column": "$response.body#/frames/0/columns/0/label",
        }
        specs += [
            ("GET", frame, f"Train{algo.upper()}", "POST", train, training),
            ("POST", train, "Job", "GET", job, {"job_id": "$response.body#/job/key/name"}),
            ("POST", train, "Model", "GET", model, {"model_id": "$response.body#/job/dest/name"}),
            ("POST", train, "DeleteModel", "DELETE", model, {"model_id": "$response.body#/job/dest/name"}),
        ]
    return specs


def _add_links(paths: JSON, ids: dict[tuple[str, str], str]) -> None:
    for method, path, name, target_method, target_path, parameters in _link_specs():
        source = paths.get(path, {}).get(method.lower())
        target = ids.get((target_method, target_path))
        if source is None or target is None or "content" not in source["responses"]["200"]:
            continue
        links = source["responses"]["200"].setdefault("links", {})
        links[name] = {"operationId": target, "parameters": dict(parameters)}


def build_openapi(meta: Metadata) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the server that ``meta`` describes; pure and deterministic."""
    routes = meta.routes
    document_paths = _document_paths(routes)
    builder = _Builder(meta)
    ids = _operation_ids(routes)
    paths: JSON = {}
    for route in sorted(routes, key=lambda r: (r["url_pattern"], _METHODS.index(_method(r)))):
        url, method = str(route["url_pattern"]), _method(route)
        path = document_paths[url]
        names = _PATH_PARAM.findall(url)
        operation: JSON = {
            "operationId": ids[(method.upper(), url)],
            "summary": str(route.get("summary") or "").strip(),
            "tags": [_tag(url)],
            "x-h2o-handler": _handler(route),
            "x-h2o-input-schema": str(route["input_schema"]),
            "x-h2o-output-schema": str(route["output_schema"]),
        }
        if path != url:
            operation["x-h2o-url-pattern"] = url
        parameters = [
            builder.path_parameter(route, *pair) for pair in zip(names, _PATH_PARAM.findall(path), strict=True)
        ]
        parameters += builder.query_parameters(route, names)
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = _responses(builder, route, method)
        paths.setdefault(path, {})[method] = operation
    _add_links(paths, ids)
    components: JSON = {
        "schemas": {name: builder.component(schema) for name, schema in sorted(builder.schemas.items())},
        "parameters": dict(sorted(builder.parameters.items())),
        "responses": _error_responses(),
        "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
    }
    version = meta.version or "unknown"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "H2O-3 REST API",
            "version": version,
            "description": _DESCRIPTION,
        },
        "servers": [{"url": DEFAULT_SERVER}],
        "security": [{}, {"basicAuth": []}],
        "tags": [{"name": name} for name in sorted({_tag(str(r["url_pattern"])) for r in routes})],
        "paths": paths,
        "components": components,
        "x-generated-from": {
            "generator": "h2oharness.apis.h2o3.openapi.build_openapi",
            "metadata": ["GET /3/Metadata/endpoints", "GET /3/Metadata/schemas"],
            "h2o_version": version,
            "routes": len(routes),
            "schemas": len(builder.schemas),
            "ignored": ["markdown", "defaults drawn at random on start: " + ", ".join(sorted(builder.random_defaults))],
        },
    }


def _method(route: Mapping[str, Any]) -> str:
    method = str(route["http_method"]).lower()
    if method not in _METHODS:
        raise SpecError(f"route {route['url_pattern']} has an HTTP method OpenAPI cannot describe: {method.upper()}")
    return method


_DESCRIPTION = (
    "Generated from the server's own metadata by h2oharness; do not edit by hand.\n\n"
    "Parameters travel in the query string for every method (a POST may also send them form-encoded). "
    'Arrays, maps and nested objects are JSON text (`["a","b"]`, `[1,2]`); H2O also reads its own `[a,b]` form, '
    "but reads `a,b` as a single element. Keys, column specifiers and frames are given by name. "
    'Doubles that are not finite come back as the strings "NaN", "Infinity" and "-Infinity". '
    "Every response property may be null and every object may carry more properties than listed."
)
