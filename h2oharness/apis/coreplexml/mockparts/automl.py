"""A pretend H2O AutoML run: which models it trains, their metrics, training times and variable importances.

Nothing is trained. Everything is drawn from a random generator seeded by the
experiment's id and config seed, so the same experiment always has the same
leaderboard, and the metrics are consistent with each other (``mse == rmse**2``,
AUC in [0.5, 1], logloss above 0, an ensemble at least as good as its best base model).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.coreplexml.mockparts.catalog import ALGORITHMS, HIGHER_IS_BETTER
from h2oharness.apis.coreplexml.mockparts.state import Column, DatasetVersion, PlannedModel

#: the order H2O AutoML walks its base algorithms in, and how many of each it trains at most (None: a grid)
BASE_ORDER: tuple[tuple[str, int | None], ...] = (
    ("XGBoost", None),
    ("GLM", 1),
    ("GBM", None),
    ("DRF", 2),
    ("DeepLearning", None),
)
STRENGTH = {"XGBoost": 0.80, "GBM": 0.78, "DRF": 0.70, "DeepLearning": 0.66, "GLM": 0.55, "StackedEnsemble": 0.0}
#: simulated seconds to train one model of each algorithm on ~1000 rows with 5 folds
BASE_SECONDS = {"XGBoost": 30.0, "GBM": 36.0, "DRF": 24.0, "DeepLearning": 70.0, "GLM": 4.0, "StackedEnsemble": 9.0}


@dataclass(frozen=True)
class Plan:
    """What a run will do: the models in training order, their total simulated time, and remarks for the logs."""

    models: list[PlannedModel]
    total_time: float
    notes: list[str]


def stable_seed(*parts: object) -> int:
    """A seed that is the same in every process for the same parts (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:16], 16)


def _names(algos: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    names = []
    for algo in algos:
        counts[algo] = counts.get(algo, 0) + 1
        n = counts[algo]
        if algo == "DRF" and n == 2:
            names.append("XRT_1_AutoML")
        elif algo == "StackedEnsemble":
            names.append("StackedEnsemble_BestOfFamily_1_AutoML" if n == 1 else "StackedEnsemble_AllModels_1_AutoML")
        elif n == 1 or algo == "GLM":
            names.append(f"{algo}_{n}_AutoML")
        else:
            names.append(f"{algo}_grid_1_AutoML_model_{n - 1}")
    return names


def _base_sequence(excluded: set[str], count: int) -> list[str]:
    remaining = {algo: limit for algo, limit in BASE_ORDER if algo not in excluded}
    out: list[str] = []
    while len(out) < count and remaining:
        for algo in list(remaining):
            if len(out) >= count:
                break
            limit = remaining[algo]
            if limit is not None:
                if limit <= 0:
                    del remaining[algo]
                    continue
                remaining[algo] = limit - 1
            out.append(algo)
    return out


def effective_nfolds(nfolds: int, rows: int) -> int:
    """``-1`` (auto) becomes 5 folds, or 3 on a small dataset."""
    if nfolds == -1:
        return 5 if rows >= 100 else 3
    return nfolds


def _classes(column: Column | None) -> int:
    return max(2, column.unique) if column is not None else 2


def metrics_for(
    subtype: str, quality: float, rng: random.Random, target: Column | None, distribution: str
) -> dict[str, float]:
    """Plausible metrics of a model of ``quality`` in (0, 1): better quality, better every metric (plus noise)."""
    q = min(0.985, max(0.02, quality))
    out: dict[str, float] = {}
    if subtype == "binary":
        auc = 0.5 + 0.49 * q
        logloss = 0.6931 * (1.0 - q) ** 0.6 + 0.015
        mpce = min(0.5, max(0.0, (1.0 - auc) * 0.95 + rng.uniform(-0.01, 0.01)))
        accuracy = min(1.0, max(0.0, 1.0 - mpce * rng.uniform(0.9, 1.1)))
        out = {
            "auc": auc,
            "aucpr": min(1.0, max(0.0, auc - rng.uniform(0.0, 0.06))),
            "logloss": logloss,
            "mean_per_class_error": mpce,
            "accuracy": accuracy,
            "mcc": min(1.0, max(-1.0, 2.0 * accuracy - 1.0 - rng.uniform(0.0, 0.05))),
            "rmse": math.sqrt(logloss * 0.36),
        }
    elif subtype == "multiclass":
        k = _classes(target)
        logloss = math.log(k) * (1.0 - q) ** 1.2 + 0.02
        mpce = min(1.0 - 1.0 / k, max(0.0, (1.0 - 1.0 / k) * (1.0 - q) + rng.uniform(-0.01, 0.01)))
        out = {
            "logloss": logloss,
            "mean_per_class_error": mpce,
            "accuracy": min(1.0, max(0.0, 1.0 - mpce * rng.uniform(0.9, 1.05))),
            "rmse": math.sqrt(logloss * 0.3),
        }
    else:
        std = target.std if target is not None and target.std else 1.0
        r2 = min(0.999, max(0.0, 0.15 + 0.82 * q + rng.uniform(-0.01, 0.01)))
        rmse = std * math.sqrt(1.0 - r2)
        out = {"rmse": rmse, "mse": rmse * rmse, "mae": rmse * rng.uniform(0.72, 0.84), "r2": r2}
        out["mean_residual_deviance"] = out["mse"]
        if target is not None and target.minimum is not None and target.minimum >= 0:
            scale = max(1.0, (target.maximum or 1.0) - target.minimum)
            out["rmsle"] = rmse / scale * rng.uniform(0.8, 1.2)
        if distribution == "quantile":
            out["quantile"] = out["mae"] / 2.0
    out["deviance"] = 2.0 * out["logloss"] if "logloss" in out else out["mse"]
    return {k: round(v, 6) for k, v in out.items()}


def plan(
    experiment_id: str,
    version: DatasetVersion,
    target: str,
    subtype: str,
    config: dict[str, Any],
    quota: int,
) -> Plan:
    """The models a run trains, given the data and the resolved config (deterministic)."""
    rng = random.Random(stable_seed(experiment_id, config["seed"], version.id))
    notes: list[str] = []
    excluded = set(config["exclude_algos"])
    max_models = config["max_models"]
    if max_models > quota:
        notes.append(f"max_models {max_models} capped to {quota} by the account quota")
        max_models = quota
    folds = effective_nfolds(config["nfolds"], version.row_count)
    base = _base_sequence(excluded, max_models)
    if len(base) < max_models:
        notes.append(f"only {len(base)} base models are possible with the algorithms left after exclude_algos")
    ensembles = 0
    if "StackedEnsemble" not in excluded:
        if folds == 0:
            notes.append("StackedEnsemble skipped: it needs cross-validation (nfolds >= 2)")
        elif len(base) < 2:
            notes.append("StackedEnsemble skipped: it needs at least two base models")
        else:
            ensembles = 2 if len(set(base)) > 1 else 1
    size = max(1.0, version.row_count / 1000.0) * max(1.0, len(version.columns) / 8.0)
    cv = (max(folds, 1) + 1) / 6.0
    difficulty = rng.uniform(-0.12, 0.08)
    per_model_cap = config.get("max_runtime_secs_per_model") or 0
    budget = float(config["max_runtime_secs"])
    features = [c.name for c in version.columns if c.name != target]
    target_column = version.column(target)
    algos: list[str] = []
    times: list[float] = []
    qualities: list[float] = []
    spent = 0.0
    for algo in base:
        seconds = BASE_SECONDS[algo] * size * cv * rng.uniform(0.6, 1.4)
        if per_model_cap:
            seconds = min(seconds, float(per_model_cap))
        if algos and spent + seconds > budget:
            notes.append(f"max_runtime_secs {budget:g} reached after {len(algos)} models")
            ensembles = ensembles if len(algos) >= 2 else 0
            break
        seconds = min(seconds, budget) if not algos else seconds
        algos.append(algo)
        times.append(round(seconds, 2))
        spent += seconds
        grid_penalty = 0.01 * sum(1 for a in algos if a == algo)
        qualities.append(STRENGTH[algo] + difficulty - grid_penalty + rng.gauss(0.0, 0.035))
    for i in range(ensembles):
        algos.append("StackedEnsemble")
        seconds = round(BASE_SECONDS["StackedEnsemble"] * size * rng.uniform(0.6, 1.4), 2)
        times.append(seconds)
        spent += seconds
        qualities.append(max(qualities[: len(qualities) - i]) + rng.uniform(0.002, 0.02))
    names = _names(algos)
    total = sum(times)
    models = []
    elapsed = 0.0
    for index, (algo, name, seconds, quality) in enumerate(zip(algos, names, times, qualities, strict=True)):
        elapsed += seconds
        raw = [rng.random() ** 2 + 0.01 for _ in features]
        weight = sum(raw) or 1.0
        models.append(
            PlannedModel(
                id=str(_uuid(rng)),
                name=name,
                algo=algo,
                metrics=metrics_for(subtype, quality, rng, target_column, config["distribution"]),
                training_time=seconds,
                done_at=1.0 if index == len(algos) - 1 else elapsed / total,
                varimp=[round(v / weight, 4) for v in raw],
            )
        )
    return Plan(models=models, total_time=total, notes=notes)


def _uuid(rng: random.Random) -> str:
    value = rng.getrandbits(128)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-{text[20:32]}"


def leaderboard(models: list[PlannedModel], sort_metric: str) -> list[PlannedModel]:
    """Models best first by ``sort_metric`` (descending when higher is better); models without it go last."""
    higher = HIGHER_IS_BETTER[sort_metric]

    def key(model: PlannedModel) -> tuple[int, float, str]:
        value = model.metrics.get(sort_metric)
        if value is None:
            return (1, 0.0, model.name)
        return (0, -value if higher else value, model.name)

    return sorted(models, key=key)


def pareto_front(models: list[PlannedModel], sort_metric: str) -> list[PlannedModel]:
    """The models no other model beats on both the metric and the training time, fastest first."""
    higher = HIGHER_IS_BETTER[sort_metric]
    scored = [m for m in models if sort_metric in m.metrics]

    def better_or_equal(a: float, b: float) -> bool:
        return a >= b if higher else a <= b

    front = []
    for m in scored:
        mv = m.metrics[sort_metric]
        dominated = any(
            better_or_equal(o.metrics[sort_metric], mv)
            and o.training_time <= m.training_time
            and (o.metrics[sort_metric] != mv or o.training_time < m.training_time)
            for o in scored
            if o is not m
        )
        if not dominated:
            front.append(m)
    return sorted(front, key=lambda m: (m.training_time, m.name))


def display(metric: str) -> str:
    """How the logs spell a metric (``AUC``, ``RMSE``, ``logloss``)."""
    return metric.upper() if metric in ("auc", "aucpr", "rmse", "mse", "mae", "rmsle", "mcc", "r2") else metric


def known_algorithms() -> list[str]:
    """Every algorithm id the run knows."""
    return list(ALGORITHMS)
