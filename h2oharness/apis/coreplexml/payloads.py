"""Pure builders and hypothesis strategies for CorePlexML requests: CSV data, experiment bodies, configs.

Nothing here does I/O.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from h2oharness.apis.coreplexml.mockparts.catalog import ALGORITHMS, SORT_METRICS

COLORS = ("red", "green", "blue")


def classification_csv(rows: int = 200, *, seed: int = 0, label: str = "label", classes: int = 2) -> str:
    """A classification CSV: ``x1``, ``x2`` real, ``color`` categorical, ``size`` int, and ``label`` (yes/no, c0...)."""
    rng = random.Random(seed)
    names = ["no", "yes"] if classes == 2 else [f"c{i}" for i in range(classes)]
    lines = [f"x1,x2,color,size,{label}"]
    for i in range(rows):
        x1, x2 = round(rng.gauss(0, 1), 4), round(rng.uniform(0, 10), 3)
        color, size = rng.choice(COLORS), rng.randint(1, 5)
        score = x1 + 0.3 * x2 + (1 if color == "red" else 0) - 2 + rng.gauss(0, 0.7)
        value = names[i % classes] if i < classes else names[min(classes - 1, max(0, int((score + 3) / 6 * classes)))]
        lines.append(f"{x1},{x2},{color},{size},{value}")
    return "\n".join(lines) + "\n"


def regression_csv(rows: int = 200, *, seed: int = 0, target: str = "y") -> str:
    """A regression CSV: ``a``, ``b`` real, ``group`` categorical, and a real ``y`` that depends on them."""
    rng = random.Random(seed)
    lines = [f"a,b,group,{target}"]
    for _ in range(rows):
        a, b = rng.uniform(-3, 3), rng.uniform(0, 5)
        group = rng.choice(("g1", "g2", "g3"))
        y = 2 * a - b + {"g1": 0.0, "g2": 1.5, "g3": -1.0}[group] + rng.gauss(0, 0.5) + 10
        lines.append(f"{a:.4f},{b:.4f},{group},{y:.4f}")
    return "\n".join(lines) + "\n"


def experiment_body(
    project_id: str,
    dataset_version_id: str,
    target_column: str,
    *,
    name: str = "h2oharness experiment",
    problem_type: str = "classification",
    **config: Any,
) -> dict[str, Any]:
    """A create-experiment body as the SDK sends it (``config`` from the keyword arguments)."""
    return {
        "project_id": project_id,
        "dataset_version_id": dataset_version_id,
        "name": name,
        "target_column": target_column,
        "problem_type": problem_type,
        "config": config,
        "execution_mode": "single",
        "use_gpu": False,
    }


def bad_configs(subtype: str = "binary") -> list[tuple[dict[str, Any], str]]:
    """Configs a server must refuse for a ``subtype`` experiment, each with a word its message should contain."""
    wrong_metric = "rmse" if subtype != "regression" else "auc"
    return [
        ({"sort_metric": wrong_metric}, "sort_metric"),
        ({"exclude_algos": ["NaiveBayes"]}, "NaiveBayes"),
        ({"max_models": 0}, "max_models"),
        ({"nfolds": 1}, "nfolds"),
        ({"stopping_tolerance": 2.0}, "stopping_tolerance"),
        ({"max_modles": 3}, "max_modles"),
        ({"exclude_algos": [a for a in ALGORITHMS if a != "StackedEnsemble"]}, "exclude_algos"),
    ]


def configs(subtype: str = "binary") -> st.SearchStrategy[dict[str, Any]]:
    """Valid configs for a ``subtype`` experiment: small runs with any metric, exclusions and folds."""
    base = [a for a in ALGORITHMS if a != "StackedEnsemble"]
    return st.fixed_dictionaries(
        {
            "max_models": st.integers(1, 8),
            "sort_metric": st.sampled_from(("AUTO", *SORT_METRICS[subtype])),
            "nfolds": st.sampled_from((-1, 0, 2, 3, 5)),
            "seed": st.integers(0, 10_000),
        },
        optional={
            "exclude_algos": st.lists(
                st.sampled_from([*base, "StackedEnsemble"]), max_size=len(base) - 1, unique=True
            ).filter(lambda xs: bool(set(base) - set(xs))),
        },
    )
