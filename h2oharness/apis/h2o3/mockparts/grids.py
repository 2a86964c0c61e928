"""Grid search on the mock: ``POST /99/Grid/{algo}[/resume]``, ``GET /99/Grids`` and ``GET /99/Grids/{grid_id}``.

A grid is one job that trains a model per combination of its hyper-parameters
(all of them for a Cartesian search, ``max_models`` drawn from them for a
RandomDiscrete one), each through the same path as ``POST /3/ModelBuilders``, so
each is an ordinary model and within the same budget of work. A combination that
cannot be built (a value that does not convert, a value the builder refuses, a
missing frame) is reported in ``failed_params`` and ``failure_details`` as a real
3.46.0.12 reports it; a search with neither a training frame nor a grid id is
refused (400) as it is there. As an AutoML run's, a grid's models appear when its
job is done. Posting again to a grid id appends the combinations it has not built yet.
"""

from __future__ import annotations

from h2oharness.apis.h2o3.mockparts import builders, metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, key_name
from h2oharness.apis.h2o3.mockparts.grid_answer import grid_json
from h2oharness.apis.h2o3.mockparts.grid_search import run
from h2oharness.apis.h2o3.mockparts.grid_space import (
    combinations,
    criteria_json,
    grid_argument,
    hyper_space,
    search_criteria,
)
from h2oharness.apis.h2o3.mockparts.grid_state import Grid
from h2oharness.apis.h2o3.mockparts.params import from_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request, key, key_not_found

GRID_FIELDS = ("hyper_parameters", "search_criteria", "grid_id", "parallelism", "recovery_dir", "job_id")
GLM_ALPHA_WARNING = (
    "Adding alpha array to hyperparameter runs slower with gridsearch. This is due to the fact that the algo has to "
    "run initialization for every alpha value. Setting the alpha array as a model parameter will skip the "
    "initialization and run faster overall."
)


def train(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Grid/{algo}: start a search; the GridSearchSchema with its job (dest: the grid)."""
    algo = call.path.split("/")[3]
    form = {k: v for k, v in call.strings.items() if k != "_exclude_fields"}
    schema = builders.params_schema(algo)
    given = from_form(schema, {k: v for k, v in form.items() if k not in GRID_FIELDS})
    hyper = hyper_space(algo, form.get("hyper_parameters"), given)
    criteria = search_criteria(form.get("search_criteria"))
    frame_name = key_name(given.get("training_frame"))
    if not form.get("grid_id") and frame_name is None:
        # the grid's default id is made from the frame's: with neither, a real server refuses the search
        raise bad_request("The frame being grid-searched over must have a Key")
    grid_id = form.get("grid_id") or _default_grid_id(state, algo, frame_name)
    with state.lock:
        grid = state.grids.get(grid_id)
    if isinstance(grid, Grid) and grid.training_frame != frame_name:
        raise grid_argument("training_frame", "Cannot append new models to a grid with different training input")
    names = sorted(hyper)
    combos = combinations(names, hyper, criteria)
    if not isinstance(grid, Grid):
        grid = Grid(grid_id, algo, frame_name, names, {}, [], "")
        if algo == "glm" and "alpha" in names:
            grid.warnings.append(GLM_ALPHA_WARNING)
    else:
        grid.hyper_names = sorted(set(grid.hyper_names) | set(names))
    grid.given_form = {k: v for k, v in form.items() if k not in GRID_FIELDS}
    grid.planned = combos
    grid.export_checkpoints_dir = given.get("export_checkpoints_dir") or grid.export_checkpoints_dir
    job_body = run(state, grid, algo, given, combos)
    body = metadata.skeleton("GridSearchSchema")
    body.update(
        parameters=builders.parameters_object(algo, {**builders.defaults(algo), **given, "model_id": None}),
        hyper_parameters=None,
        grid_id=key(grid_id, "Grid") if form.get("grid_id") else None,
        search_criteria=criteria_json(criteria),
        parallelism=int(form.get("parallelism") or 1),
        recovery_dir=form.get("recovery_dir") or None,
        job_id=None,
        total_models=0,
        job=job_body,
    )
    return Reply(body)


def resume(state: H2O3MockState, call: Call) -> Reply:
    """POST /99/Grid/{algo}/resume: build the planned combinations a grid has not tried (after a cancelled job)."""
    # the route names an algorithm; the grid's own is the one resumed
    name = call.strings.get("grid_id") or ""
    with state.lock:
        grid = state.grids.get(name)
    if not isinstance(grid, Grid):
        # a real 3.46.0.12 answers 500 NullPointerException (DEVIATIONS)
        raise _no_grid(name)
    schema = builders.params_schema(grid.algo)
    given = from_form(schema, grid.given_form)
    job_body = run(state, grid, grid.algo, given, grid.planned)
    body = metadata.skeleton("GridSearchSchema")
    body.update(
        parameters=builders.parameters_object(grid.algo, {**builders.defaults(grid.algo), **given, "model_id": None}),
        hyper_parameters=None,
        grid_id=key(grid.grid_id, "Grid"),
        search_criteria=None,
        parallelism=1,
        job=job_body,
    )
    return Reply(body)


def grid(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Grids/{grid_id}: the grid's models sorted by ``sort_by`` (its default metric without one)."""
    values = call.values("GridSchemaV99")
    name = call.path_params["grid_id"]
    with state.lock:
        found = state.grids.get(name)
    if not isinstance(found, Grid):
        raise _no_grid(name)
    sort_by = values.get("sort_by") or None
    return Reply(grid_json(state, found, sort_by, bool(values.get("decreasing")) if sort_by else False))


def grids_list(state: H2O3MockState, call: Call) -> Reply:
    """GET /99/Grids: every grid, by id, each as ``GET /99/Grids/{grid_id}`` answers it."""
    call.values("GridsV99")
    with state.lock:
        held = sorted((g for g in state.grids.values() if isinstance(g, Grid)), key=lambda g: g.grid_id)
    body = metadata.skeleton("GridsV99")
    body["grids"] = [grid_json(state, g, None, False) for g in held]
    return Reply(body)


def _default_grid_id(state: H2O3MockState, algo: str, frame: str | None) -> str:
    return f"Grid_{builders.ALGOS[algo].upper}_{frame}_model_python_{state.cloud_id}_{state.next_number()}"


def _no_grid(name: str) -> H2OError:
    """404 for a grid id nothing holds, with the values a real server puts in it."""
    error = key_not_found(name, "grid_id")
    error.values = {"argument": "grid_id", "name": name}
    return error
