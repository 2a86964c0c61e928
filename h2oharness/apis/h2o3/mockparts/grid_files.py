"""Grid export and import on the mock: ``POST /3/Grid.bin/{grid_id}/export`` and ``POST /3/Grid.bin/import``.

As a real 3.46.0.12, an export writes the grid to ``<grid_directory>/<grid_id>`` and each of its models beside it
(``<grid_directory>/<model_id>``) on the local filesystem, creating the directory; an import reads a grid file and
its models from the same folder and holds them again under their ids. The mock's files are its own JSON (a real
server's are Java's binary, which the mock cannot read and refuses as a real server refuses any other file), and
hold a model's fit, not its cross-validation models or predictions (see DEVIATIONS).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from h2oharness.apis.h2o3.mockparts import learn
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply
from h2oharness.apis.h2o3.mockparts.grid_state import Failure, Grid
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, Model
from h2oharness.apis.h2o3.mockparts.wire import H2O_ILLEGAL, H2OError, JSONDict, bad_request, key

#: what opens a file the mock wrote (a real server's open with the magic number 0x1CED)
MAGIC = "h2oharness mock H2O-3 grid/model file 1\n"
#: the largest file an import reads: a grid of MAX_GRID_MODELS small models is far below it
MAX_FILE_BYTES = 64 * 1024 * 1024
# the dataclasses a model's fit is made of, by name: nothing else is read back from a file
FIT_TYPES: dict[str, type[Any]] = {
    t.__name__: t for t in (learn.TreeModel, learn.Tree, learn.Target, learn.LinearModel)
}
# the fields of a Model a file holds, bar its fit and its companions (cross-validation models, predictions)
MODEL_FIELDS = tuple(f.name for f in dataclasses.fields(Model) if f.name not in ("fitted", "companions"))


def export_grid(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/Grid.bin/{grid_id}/export: the grid and its finished models written to ``grid_directory``."""
    values = call.values("GridExportV3")
    name = call.path_params["grid_id"]
    directory = _required(values, "grid_directory", "GridExportV3")
    with state.lock:
        grid = state.grids.get(name)
        if not isinstance(grid, Grid):
            raise bad_request(f"Grid with id '{name}' has not been found.")
        models = [state.models[m] for _, m in grid.entries if m in state.models]
    files = {name: _grid_record(grid, [m.id for m in models])}
    files.update({m.id: _model_record(m) for m in models})
    folder = Path(directory)
    for file_name, record in files.items():
        path = folder / file_name
        if "/" in file_name or "\\" in file_name or file_name in ("", ".", ".."):
            raise bad_request(f"FS IO Failure: \n accessed path : file:{path} (the mock writes no key with a '/')")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(MAGIC + json.dumps(record))
        except OSError as exc:
            raise bad_request(f"FS IO Failure: \n accessed path : file:{path} caused by: {exc}") from None
    return Reply(key(name, "Grid"))


def import_grid(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/Grid.bin/import: a grid file and its models (from the same folder) held again under their ids."""
    values = call.values("GridImportV3")
    path = Path(_required(values, "grid_path", "GridImportV3"))
    if not path.is_file():
        raise bad_request(f"Grid file not found file:{path}")
    record = _read(path)
    try:
        grid = _grid_from(record)
        models = [_model_from(_read(path.parent / model_id)) for model_id in record["models"]]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise bad_request(f"the mock cannot read the grid file {path}: {type(exc).__name__} {exc}") from None
    with state.lock:
        for model in models:
            state.models[model.id] = model
        state.grids[grid.grid_id] = grid
        state.trim()
    return Reply(key(grid.grid_id, "Grid"))


def _required(values: dict[str, Any], name: str, schema: str) -> str:
    value = values.get(name)
    if not value:
        text = f"Required field {name} not specified"
        raise H2OError(412, text, H2O_ILLEGAL, values={"argument": name, "schema": schema})
    return str(value)


def _read(path: Path) -> Any:
    """A file the mock wrote, as JSON; a real server's refusal for any other."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise bad_request(f"FS IO Failure: \n accessed path : file:{path} msg: File not found") from None
    except OSError as exc:
        raise bad_request(f"FS IO Failure: \n accessed path : file:{path} caused by: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise bad_request(f"the mock reads grid and model files of at most {MAX_FILE_BYTES} bytes: {path}")
    return _record(data, str(path))


def _record(data: bytes, where: str) -> Any:
    head = MAGIC.encode()
    if not data.startswith(head):
        raise bad_request("Missing magic number 0x1CED at stream start")
    try:
        return json.loads(data[len(head) :])
    except ValueError as exc:
        raise bad_request(f"the mock cannot read {where}: {exc}") from None


def _grid_record(grid: Grid, model_ids: list[str]) -> JSONDict:
    fields = {f.name: getattr(grid, f.name) for f in dataclasses.fields(grid) if f.name != "tried"}
    fields["failures"] = [dataclasses.asdict(f) for f in grid.failures]
    fields["tried"] = [[list(map(list, combo)), job] for combo, job in grid.tried.items()]
    return {"kind": "grid", "grid": fields, "models": model_ids}


def _grid_from(record: Any) -> Grid:
    if record.get("kind") != "grid":
        raise ValueError("not a grid file")
    fields = dict(record["grid"])
    fields["planned"] = [tuple((str(n), str(v)) for n, v in combo) for combo in fields["planned"]]
    fields["entries"] = [(str(j), str(m)) for j, m in fields["entries"]]
    fields["failures"] = [Failure(**f) for f in fields["failures"]]
    fields["tried"] = {frozenset((str(n), str(v)) for n, v in combo): str(job) for combo, job in fields["tried"]}
    return Grid(**fields)


def model_file(model: Model) -> bytes:
    """A model as the mock writes it to a file (and answers it from /3/Models.fetch.bin)."""
    return (MAGIC + json.dumps(_model_record(model))).encode()


def read_model(path: Path) -> Model:
    """A model from a file the mock wrote; a real server's refusal (400) for a missing file or any other."""
    return _model_of(_read(path), str(path))


def model_from_bytes(data: bytes, where: str) -> Model:
    """A model from the bytes of a file the mock wrote (an upload); the real refusal (400) for any other bytes."""
    return _model_of(_record(data, where), where)


def _model_of(record: Any, where: str) -> Model:
    try:
        return _model_from(record)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise bad_request(f"the mock cannot read the model file {where}: {type(exc).__name__} {exc}") from None


def _model_record(model: Model) -> JSONDict:
    return {"kind": "model", "model": {n: getattr(model, n) for n in MODEL_FIELDS}, "fitted": _encode(model.fitted)}


def _model_from(record: Any) -> Model:
    if record.get("kind") != "model":
        raise ValueError("not a model file")
    return Model(**record["model"], fitted=_decode(record["fitted"]))


def _encode(value: Any) -> Any:
    """A fit as JSON: its dataclasses tagged by name (their caches left out), lists as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ not in FIT_TYPES:
            raise bad_request(f"the mock cannot export a model fitted as {type(value).__name__}")
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"__fit__": type(value).__name__, **fields}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind = FIT_TYPES[str(value.get("__fit__"))]
        return kind(**{k: _decode(v) for k, v in value.items() if k != "__fit__"})
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
