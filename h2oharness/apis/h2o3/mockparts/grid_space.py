"""A grid request's search space: its hyper-parameters and search criteria, checked as a real server checks them,
and the combinations they give."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, metadata
from h2oharness.apis.h2o3.mockparts.grid_state import Combo
from h2oharness.apis.h2o3.mockparts.gson import lenient_json
from h2oharness.apis.h2o3.mockparts.wire import H2O_ILLEGAL, H2OError, JSONDict, precondition


def hyper_space(algo: str, text: str | None, given: dict[str, Any]) -> dict[str, list[str]]:
    """The hyper-parameters as raw value texts by name, checked as a real server checks them."""
    if not text:
        return {}
    try:
        space = lenient_json(text)
    except ValueError as exc:
        raise precondition(
            f"Can't parse the hyper_parameters dictionary; got error: {exc} for raw value: {text}"
        ) from None
    if not isinstance(space, dict):
        raise precondition(f"Can't parse the hyper_parameters dictionary; got error: not a map for raw value: {text}")
    specs = metadata.input_fields(builders.params_schema(algo))
    defaults = builders.defaults(algo)
    out: dict[str, list[str]] = {}
    for name, values in space.items():
        if name not in specs:
            raise grid_argument(name, "Unknown hyper parameter for grid search!")
        if name in given and given[name] != defaults.get(name):
            raise precondition(
                f"Grid search model parameter '{name}' is set in both the model parameters and in the hyperparameters "
                "map.  This is ambiguous; set it in one place or the other, not both."
            )
        items = values if isinstance(values, list) else [values]
        out[name] = [_raw_text(v) for v in items]
    return out


def search_criteria(text: str | None) -> dict[str, Any]:
    """The search criteria: strategy (Cartesian or RandomDiscrete), max_models, seed and the stopping fields."""
    criteria: dict[str, Any] = {"strategy": "Cartesian"}
    if not text:
        return criteria
    try:
        parsed = lenient_json(text)
        if not isinstance(parsed, dict):
            raise ValueError("not a map")
        strategy = str(parsed.get("strategy") or "Cartesian")
        if strategy not in ("Cartesian", "RandomDiscrete", "Sequential"):
            raise ValueError(f"No enum constant hex.grid.HyperSpaceSearchCriteria.Strategy.{strategy}")
        criteria["strategy"] = strategy
        if strategy == "RandomDiscrete":
            criteria.update(
                seed=int(parsed.get("seed", -1)),
                max_models=int(parsed.get("max_models", 0)),
                max_runtime_secs=float(parsed.get("max_runtime_secs", 0.0)),
                stopping_rounds=int(parsed.get("stopping_rounds", 0)),
                stopping_metric=str(parsed.get("stopping_metric", "AUTO")).upper(),
                stopping_tolerance=float(parsed.get("stopping_tolerance", 0.001)),
            )
    except (ValueError, TypeError) as exc:
        raise precondition(
            f"Can't parse the search_criteria dictionary; got error: {exc} for raw value: {text}"
        ) from None
    return criteria


def criteria_json(criteria: dict[str, Any]) -> JSONDict:
    """The search criteria as a GridSearchSchema shows them (Cartesian*V99 or RandomDiscreteValue*V99)."""
    if criteria["strategy"] != "RandomDiscrete":
        body = metadata.skeleton("CartesianSearchCriteriaV99")
        body["strategy"] = criteria["strategy"]
        return body
    body = metadata.skeleton("RandomDiscreteValueSearchCriteriaV99")
    body.update(criteria)
    return body


def combinations(names: list[str], space: dict[str, list[str]], criteria: dict[str, Any]) -> list[Combo]:
    """Every combination, the first name (alphabetically) varying fastest as in a real Cartesian walk; a random
    search draws ``max_models`` of them (all when 0) from its seed (-1: 1234, see DEVIATIONS)."""
    if not names:
        return [()]
    product = [
        tuple(zip(names, reversed(c), strict=True)) for c in itertools.product(*(space[n] for n in reversed(names)))
    ]
    if criteria["strategy"] != "RandomDiscrete":
        return product
    seed = criteria.get("seed", -1)
    drawn = random.Random(1234 if seed == -1 else seed).sample(product, len(product))
    limit = criteria.get("max_models") or len(drawn)
    return drawn[:limit]


def _raw_text(value: Any) -> str:
    """A hyper value as the form text the builder would get (a list as ``[a,b]``)."""
    if isinstance(value, list):
        return "[" + ",".join(_raw_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def grid_argument(argument: str, value: str) -> H2OError:
    """412 for an argument of a grid request a real server refuses, with the values it puts in it."""
    text = f"Illegal argument: {argument} of function: grid: {value}"
    return H2OError(412, text, H2O_ILLEGAL, values={"argument": argument, "function": "grid", "value": value})
