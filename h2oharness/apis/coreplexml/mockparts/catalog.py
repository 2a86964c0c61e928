"""What CorePlexML's AutoML accepts: algorithms, problem types and aliases, metrics per problem type, config options.

Names the seed leaves blank come from its examples, the ``coreplexml`` SDK and
the published page the seed was copied from (docs.coreplexml.io, experiments);
``contracts/coreplexml/test_coreplexml_docs_drift.py`` reports each inference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.coreplexml.mockparts.wire import unprocessable

#: Algorithm ids as H2O AutoML spells them (the seed's example excludes "DeepLearning" and "StackedEnsemble").
ALGORITHMS: dict[str, str] = {
    "GBM": "Gradient Boosting",
    "XGBoost": "XGBoost",
    "DRF": "Random Forest",
    "DeepLearning": "Deep Learning",
    "GLM": "Linear Model",
    "StackedEnsemble": "Stacked Ensemble",
}

PROBLEM_TYPES = ("classification", "regression")
#: aliases the published page names ("Also accepts binary / multiclass (mapped to classification)")
PROBLEM_ALIASES: dict[str, str] = {"binary": "classification", "multiclass": "classification"}
#: what "classification" resolves to once the target's cardinality is known
SUBTYPES = ("binary", "multiclass", "regression")

#: metric -> True when higher is better
HIGHER_IS_BETTER: dict[str, bool] = {
    "auc": True,
    "aucpr": True,
    "logloss": False,
    "mean_per_class_error": False,
    "accuracy": True,
    "mcc": True,
    "rmse": False,
    "mse": False,
    "mae": False,
    "rmsle": False,
    "mean_residual_deviance": False,
    "r2": True,
    "quantile": False,
    "deviance": False,
}

#: sort metrics per resolved problem type (the seed's tables); "deviance" is valid for every distribution
SORT_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("auc", "aucpr", "logloss", "mean_per_class_error", "accuracy", "mcc", "deviance"),
    "multiclass": ("logloss", "mean_per_class_error", "deviance"),
    "regression": ("rmse", "mse", "mae", "rmsle", "mean_residual_deviance", "r2", "deviance"),
}
#: how a metric may be spelled in a config: the seed's lowercase names and H2O's upper-case ones
METRIC_SPELLINGS: dict[str, str] = {
    **{name: name for name in HIGHER_IS_BETTER},
    **{name.upper(): name for name in ("auc", "aucpr", "rmse", "mse", "mae", "rmsle", "mcc", "r2")},
    "AUTO": "AUTO",
}
DEFAULT_SORT_METRIC: dict[str, str] = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}
#: the published page: "Metric to monitor for early stopping: AUTO, deviance, logloss, RMSE, AUC"
STOPPING_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("deviance", "logloss", "auc"),
    "multiclass": ("deviance", "logloss"),
    "regression": ("deviance", "rmse"),
}
DEFAULT_STOPPING_METRIC: dict[str, str] = {"binary": "logloss", "multiclass": "logloss", "regression": "deviance"}

DISTRIBUTIONS = ("AUTO", "gaussian", "poisson", "gamma", "tweedie", "laplace", "quantile", "huber")
VERBOSITY = ("debug", "info", "warn")
EXECUTION_MODES = ("single", "parallel")
ENGINES = ("h2o", "flaml")
#: account quota the mock applies to max_models ("May be capped by account quota")
MAX_MODELS_QUOTA = 50


@dataclass(frozen=True)
class Option:
    """One config option: its JSON type, bounds and default."""

    kind: str  # "integer" | "number" | "boolean" | "string" | "algos"
    default: Any
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


CONFIG: dict[str, Option] = {
    "max_runtime_secs": Option("integer", 3600, minimum=1, maximum=86_400 * 7),
    "max_models": Option("integer", 20, minimum=1, maximum=1000),
    "max_runtime_secs_per_model": Option("integer", None, nullable=True, minimum=0, maximum=86_400 * 7),
    "sort_metric": Option("string", "AUTO"),
    "seed": Option("integer", 42, minimum=-1, maximum=2**31 - 1),
    "balance_classes": Option("boolean", False),
    "exclude_algos": Option("algos", []),
    "nfolds": Option("integer", 5, minimum=-1, maximum=20),
    "stopping_rounds": Option("integer", 3, minimum=0, maximum=100),
    "stopping_metric": Option("string", "AUTO"),
    "stopping_tolerance": Option("number", 0.001, minimum=0.0, maximum=1.0),
    "exploitation_ratio": Option("number", 0.0, minimum=0.0, maximum=1.0),
    "distribution": Option("string", "AUTO", choices=DISTRIBUTIONS),
    "keep_cross_validation_predictions": Option("boolean", False),
    "keep_cross_validation_models": Option("boolean", False),
    "verbosity": Option("string", "warn", choices=VERBOSITY),
}


def resolve_problem_type(value: str) -> str:
    """``classification`` or ``regression`` for a problem type or one of its aliases; 422 otherwise."""
    if value in PROBLEM_TYPES:
        return value
    if value in PROBLEM_ALIASES:
        return PROBLEM_ALIASES[value]
    known = ", ".join([*PROBLEM_TYPES, *PROBLEM_ALIASES])
    raise unprocessable(f"problem_type {value!r} is not supported; use one of: {known}", loc=("body", "problem_type"))


def _check_type(key: str, option: Option, value: Any) -> Any:
    loc = ("body", "config", key)
    if option.kind == "boolean":
        if not isinstance(value, bool):
            raise unprocessable(f"config.{key} must be a boolean", loc=loc)
        return value
    if option.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise unprocessable(f"config.{key} must be an integer", loc=loc)
    elif option.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise unprocessable(f"config.{key} must be a number", loc=loc)
        value = float(value)
    elif option.kind == "string":
        if not isinstance(value, str):
            raise unprocessable(f"config.{key} must be a string", loc=loc)
        if key in ("sort_metric", "stopping_metric") and value not in METRIC_SPELLINGS:
            raise unprocessable(f"config.{key}: unknown metric {value!r}", loc=loc)
        if option.choices and value not in option.choices:
            raise unprocessable(f"config.{key} {value!r} is not one of: {', '.join(option.choices)}", loc=loc)
        return value
    elif option.kind == "algos":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise unprocessable(f"config.{key} must be an array of algorithm ids", loc=loc)
        unknown = [v for v in value if v not in ALGORITHMS]
        if unknown:
            raise unprocessable(
                f"config.exclude_algos: unknown algorithm {unknown[0]!r}; supported: {', '.join(ALGORITHMS)}",
                loc=loc,
            )
        return list(dict.fromkeys(value))
    if option.minimum is not None and value < option.minimum:
        raise unprocessable(f"config.{key} must be >= {option.minimum:g}, got {value}", loc=loc)
    if option.maximum is not None and value > option.maximum:
        raise unprocessable(f"config.{key} must be <= {option.maximum:g}, got {value}", loc=loc)
    return value


def check_config_shape(config: Any) -> dict[str, Any]:
    """Every option typed and in range, unknown keys refused; defaults filled in. Metrics are checked later."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise unprocessable("config must be an object", loc=("body", "config"))
    unknown = sorted(set(config) - set(CONFIG))
    if unknown:
        raise unprocessable(
            f"config: unknown option {unknown[0]!r}; known options: {', '.join(CONFIG)}", loc=("body", "config")
        )
    out: dict[str, Any] = {}
    for key, option in CONFIG.items():
        if key not in config or (config[key] is None and option.nullable):
            out[key] = option.default
        elif config[key] is None:
            raise unprocessable(f"config.{key} must not be null", loc=("body", "config", key))
        else:
            out[key] = _check_type(key, option, config[key])
    if out["nfolds"] == 1:
        raise unprocessable("config.nfolds must be -1 (auto), 0 (off) or at least 2, got 1", loc=("body", "config"))
    return out


def _metric(key: str, value: str, allowed: tuple[str, ...], subtype: str) -> str:
    name = METRIC_SPELLINGS.get(value, value)
    if name == "AUTO":
        return "AUTO"
    if name not in allowed:
        kind = "regression" if subtype == "regression" else f"{subtype} classification"
        raise unprocessable(
            f"config.{key} {value!r} is not valid for {kind}; choose one of: AUTO, {', '.join(allowed)}",
            loc=("body", "config", key),
        )
    return name


def check_config_for(config: dict[str, Any], subtype: str) -> dict[str, Any]:
    """Metrics valid for the resolved problem type, AUTO resolved; what training needs besides the shape."""
    out = dict(config)
    sort_allowed = SORT_METRICS[subtype]
    if subtype == "regression" and config["distribution"] == "quantile":
        sort_allowed = (*sort_allowed, "quantile")
    if subtype != "regression" and config["distribution"] not in ("AUTO",):
        raise unprocessable(
            f"config.distribution {config['distribution']!r} applies to regression only", loc=("body", "config")
        )
    sort_metric = _metric("sort_metric", config["sort_metric"], sort_allowed, subtype)
    stopping = _metric("stopping_metric", config["stopping_metric"], STOPPING_METRICS[subtype], subtype)
    out["sort_metric"] = DEFAULT_SORT_METRIC[subtype] if sort_metric == "AUTO" else sort_metric
    out["stopping_metric"] = stopping
    if set(out["exclude_algos"]) >= set(ALGORITHMS) - {"StackedEnsemble"}:
        raise unprocessable(
            "config.exclude_algos leaves no base algorithm to train (StackedEnsemble needs base models)",
            loc=("body", "config", "exclude_algos"),
        )
    return out


def capabilities(quota: int) -> dict[str, Any]:
    """The ``GET /api/experiments/capabilities`` answer."""
    return {
        "engines": list(ENGINES),
        "execution_modes": list(EXECUTION_MODES),
        "algorithms": [{"id": k, "display_name": v} for k, v in ALGORITHMS.items()],
        "problem_types": list(PROBLEM_TYPES),
        "problem_type_aliases": dict(PROBLEM_ALIASES),
        "sort_metrics": {k: list(v) for k, v in SORT_METRICS.items()},
        "stopping_metrics": {k: ["AUTO", *v] for k, v in STOPPING_METRICS.items()},
        "max_models_quota": quota,
        "gpu_available": False,
        "config_defaults": {k: o.default for k, o in CONFIG.items()},
    }
