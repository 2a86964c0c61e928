"""POST /3/PartialDependence/ and its GET: the mean response of a model over a grid of one column's values (or two
columns' values together), every row of the frame scored with the column set to each value, as H2O-3's
hex.PartialDependence computes it: a numeric column's grid is ``nbins`` evenly spaced values from its min to its max
(fewer for an integer column of a narrower range), an enum column's its levels; a binomial model's response is the
second class's probability. The result is kept under the job's destination key."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, job_json, key_name
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.learn import Feature, features_of
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, bad_request, key, two_dim_table
from h2oharness.mocks.jobs import JobTiming

NPE = "java.lang.NullPointerException"
ILLEGAL = "java.lang.IllegalArgumentException"
STATS = ("mean_response", "stddev_response", "std_error_mean_response")
#: column values the mock scores at most in one request (rows x grid points): beyond it a 400
MAX_SCORED_ROWS = 2_000_000


def _illegal(text: str) -> H2OError:
    return H2OError(400, text, ILLEGAL)


def _npe(text: str) -> H2OError:
    # a real server answers 500 NullPointerException; the mock 400 with its message (mock.DEVIATIONS)
    return H2OError(400, text, NPE)


def start(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/PartialDependence/: compute now, answer the JobV3 whose dest is the PartialDependenceV3."""
    values = call.values("PartialDependenceV3")
    model_name = key_name(values.get("model_id"))
    if model_name is None:
        raise _npe('Cannot invoke "water.Key.get()" because "this._model_id" is null')
    with state.lock:
        model = state.models.get(model_name)
        frame_name = key_name(values.get("frame_id"))
        frame = state.frames.get(frame_name) if frame_name is not None else None
    if model is None:
        raise _illegal("Model not found.")
    targets = [str(t) for t in values.get("targets") or []]
    _check_targets(model, targets)
    if frame_name is None:
        raise _npe('Cannot invoke "water.Key.get()" because "this._frame_id" is null')
    cols = values.get("cols")
    if cols is None:
        if frame is None:
            raise _illegal("Frame not found.")
        cols = _most_important(model)
    nbins = int(values["nbins"]) if values.get("nbins") is not None else 20
    if nbins < 2:
        raise _illegal("_nbins must be >=2.")
    if frame is None:
        raise _npe('Cannot invoke "water.fvec.Frame.vec(String)" because "fr" is null')
    weight = int(values["weight_column_index"]) if values.get("weight_column_index") is not None else -1
    row = int(values["row_index"]) if values.get("row_index") is not None else -1
    pairs = [list(p) for p in values.get("col_pairs_2dpdp") or []]
    splits = _user_splits(values)
    _check(frame, [*cols, *(c for p in pairs for c in p)], nbins, weight, row)
    add_na = bool(values.get("add_missing_na"))
    grids = {c: _grid(frame, c, nbins, add_na, splits) for c in {*cols, *(c for p in pairs for c in p)}}
    points = sum(len(grids[c]) for c in cols) + sum(len(grids[a]) * len(grids[b]) for a, b in pairs)
    points *= max(1, len(targets))
    if points * (1 if row >= 0 else frame.rows) > MAX_SCORED_ROWS:
        asked = f"{points} values of {frame.rows} rows"
        raise bad_request(f"The mock scores at most {MAX_SCORED_ROWS} rows for a partial dependence; this asks {asked}")
    asks = [Ask(model, frame, weight, row, t) for t in targets] or [Ask(model, frame, weight, row)]
    tables = [_table_1d(ask, c, grids[c]) for c in cols for ask in asks]
    tables += [_table_2d(ask, a, b, grids[a], grids[b]) for a, b in pairs for ask in asks]
    dest = key_name(values.get("destination_key")) or f"_{state.new_job_id()[-32:]}"
    body = metadata.skeleton("PartialDependenceV3")
    body.update(
        model_id=key(model.id, "Model"), frame_id=key(frame.name, "Frame"), row_index=row, cols=list(cols),
        weight_column_index=weight, add_missing_na=add_na, nbins=nbins, user_splits=values.get("user_splits"),
        user_cols=values.get("user_cols"), num_user_splits=values.get("num_user_splits"),
        partial_dependence_data=tables, col_pairs_2dpdp=pairs or None, targets=targets or None,
    )  # fmt: skip
    with state.lock:
        state.partial_dependences[dest] = body
        state.trim()
    job = state.submit("pdp", "PartialDependence", JobInfo(dest, "PartialDependence"), JobTiming(0.0, 0.1))
    return Reply(job_json(state, job))


def fetch(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/PartialDependence/{name}: the result kept under that key; for a name not held, as a real server, an
    empty PartialDependenceV3."""
    call.values("PartialDependenceKeyV3")
    with state.lock:
        found = state.partial_dependences.get(call.path_params["name"])
    return Reply(found if found is not None else metadata.skeleton("PartialDependenceV3"))


def _check_targets(model: Model, targets: list[str]) -> None:
    if model.category == "Multinomial":
        if not targets:
            raise _illegal("Targets parameter has to be set for multinomial classification or ordinal regression.")
        for target in targets:
            if target not in (model.response_domain or []):
                raise _illegal(f"Incorrect target class: {target}.")
    elif targets:
        raise _illegal("Targets parameter is available only for multinomial classification or ordinal regression.")
    elif model.category not in ("Regression", "Binomial"):
        raise _illegal(
            "Partial dependence plots are only implemented for regression and binomial classification models"
        )


def _most_important(model: Model) -> list[str]:
    """Without cols, a real server takes the model's ten most important features (a GLM's coefficients named by
    their columns)."""
    table = model.body["output"].get("variable_importances") or {}
    names = [str(n) for n in (table.get("data") or [[]])[0]]
    out: list[str] = []
    for name in names:
        column = (
            name if name in model.predictors else next((p for p in model.predictors if name.startswith(p + ".")), name)
        )
        if column not in out:
            out.append(column)
    return out[:10]


def _user_splits(values: dict[str, Any]) -> dict[str, list[float]]:
    cols, counts, flat = values.get("user_cols"), values.get("num_user_splits"), values.get("user_splits")
    if not flat or not cols or not counts:
        return {}
    out, at = {}, 0
    for name, n in zip(cols, counts, strict=False):
        out[str(name)] = [float(v) for v in flat[at : at + int(n)]]
        at += int(n)
    return out


def _check(frame: Frame, names: list[str], nbins: int, weight: int, row: int) -> None:
    if weight >= 0:
        if weight >= len(frame.columns):
            raise bad_request(f"Weight column index {weight} is past the frame's last column")
        if frame.columns[weight].type not in ("real", "int"):
            raise _illegal(f"Weight column {weight} must be a numerical column.")
    if row >= frame.rows:
        # a real server reads some row anyway; the mock refuses (mock.DEVIATIONS)
        raise bad_request(f"row_index {row} is past the frame's last row ({frame.rows - 1})")
    for name in names:
        col = frame.column(name)
        if col is None:
            raise _npe('Cannot invoke "water.fvec.Vec.isCategorical()" because "v" is null')
        if col.domain is not None and len(col.domain) > nbins:
            raise _illegal(f"Column {name}'s cardinality of {len(col.domain)} > nbins of {nbins}")
        if not col.has_numbers:
            raise bad_request(f"The mock computes no partial dependence on the {col.type} column {name}")


def _grid(frame: Frame, name: str, nbins: int, add_na: bool, splits: dict[str, list[float]]) -> list[float]:
    col = frame.column(name)
    assert col is not None
    if name in splits:
        values = list(splits[name])
    else:
        present = col.sorted_present()
        low, high = (present[0], present[-1]) if present else (math.nan, math.nan)
        bins = nbins
        if (col.type == "int" or col.domain is not None) and high - low + 1 < nbins:
            bins = int(high - low + 1)
        delta = (high - low) / (bins - 1) if bins != 1 else 0.0
        values = [low + j * delta for j in range(bins)]
    return [*values, math.nan] if add_na else values


def _label(col: Column, value: float) -> Any:
    if col.domain is None:
        return value
    return ".missing(NA)" if math.isnan(value) else col.domain[int(value)]


@dataclass(frozen=True)
class Ask:
    """What one table scores: the model on the frame, weighted by a column (-1: none), on one row (-1: every row),
    answering a class's probability (a multinomial model's target) or its response."""

    model: Model
    frame: Frame
    weight: int
    row: int
    target: str | None = None

    def responses(self, setting: dict[str, float]) -> list[float]:
        """The response on every row (or the one row) with the named columns set to the values."""
        frame, model = self.frame, self.model
        changed: list[Feature] = []
        for feature in features_of(frame, model.predictors, model.domains):
            col = frame.column(feature.name)
            if feature.name in setting and col is not None:
                value = _to_model_domain(setting[feature.name], col, feature.domain)
                feature = Feature(feature.name, [value] * frame.rows, feature.domain)
            changed.append(feature)
        if self.row >= 0:
            changed = [Feature(f.name, [f.values[self.row]], f.domain) for f in changed]
        if self.target is not None:
            at = (model.response_domain or []).index(self.target)
        else:
            at = 1 if model.category == "Binomial" else 0
        return [p[at] for p in model.fitted.predict(changed)]

    def stats(self, setting: dict[str, float]) -> list[float]:
        """Mean response, its standard deviation and the standard error of the mean."""
        responses = self.responses(setting)
        if self.row >= 0:
            return [responses[0], 0.0, 0.0]
        if self.weight >= 0:
            mean, sigma = _weighted(responses, self.frame.columns[self.weight].numbers)
        else:
            rollups = Column("r", "real", numbers=responses).rollups()
            mean, sigma = rollups.mean, rollups.sigma
        return [mean, sigma, sigma / math.sqrt(len(responses)) if responses else math.nan]


def _to_model_domain(value: float, col: Column, domain: list[str] | None) -> float:
    if math.isnan(value) or col.domain is None or domain is None or col.domain == domain:
        return value
    level = col.domain[int(value)]
    return float(domain.index(level)) if level in domain else math.nan


def _weighted(responses: list[float], weights: list[float]) -> tuple[float, float]:
    """Weighted mean and sigma as H2O-3's CalculateWeightMeanSTD sums them: rows of a zero or missing weight left
    out, the variance as the mean square less the squared mean, scaled by n / (n - 1) of the rows kept."""
    total = squares = count = 0.0
    kept = 0
    for x, w in zip(responses, weights, strict=True):
        if not math.isnan(x) and abs(w) > 0:
            total += x * w
            squares += x * w * x
            count += w
            kept += 1
    if count == 0:
        return math.nan, math.nan
    mean = total / count
    variance = (squares / count - mean * mean) * (kept / (kept - 1.0 if kept != 1 else 1.0))
    return mean, math.sqrt(variance) if variance >= 0 else math.nan


def _columns(frame: Frame, names: list[str]) -> list[tuple[str, str, str, str]]:
    out = []
    for name in names:
        col = frame.column(name)
        cat = col is not None and col.domain is not None
        out.append((name, "string" if cat else "double", "%s" if cat else "%5f", name))
    return out + [(s, "double", "%5f", s) for s in STATS]


def _table_1d(ask: Ask, name: str, grid: list[float]) -> JSONDict:
    col = ask.frame.column(name)
    assert col is not None
    rows = [[_label(col, v), *ask.stats({name: v})] for v in grid]
    # the real words: a stray quote before a row's words, and a full stop after neither row nor class
    text = f"Partial Dependence Plot of model {ask.model.id} on column '{name}'"
    if ask.target is not None:
        text += f" and class {ask.target}" + (f" for row index{ask.row}" if ask.row >= 0 else "")
    else:
        text += f"' for row index{ask.row}" if ask.row >= 0 else "."
    return two_dim_table("PartialDependence", text, _columns(ask.frame, [name]), rows)


def _table_2d(ask: Ask, first: str, second: str, grid1: list[float], grid2: list[float]) -> JSONDict:
    col1, col2 = ask.frame.column(first), ask.frame.column(second)
    assert col1 is not None
    assert col2 is not None
    rows = [[_label(col1, a), _label(col2, b), *ask.stats({first: a, second: b})] for a in grid1 for b in grid2]
    if ask.row >= 0:
        text = f"Partial Dependence Plot of model {ask.model.id} on columns '{first}', '{second}' for row {ask.row}"
    else:
        text = f"2D Partial Dependence Plot of model {ask.model.id} on 1st column '{first}' and 2nd column '{second}'"
    return two_dim_table("2D-PartialDependence", text, _columns(ask.frame, [first, second]), rows)
