"""What ``/3`` and ``/4/Predictions`` answer when asked for more than predictions: feature contributions and leaf
node assignments of a tree model, in the columns, types and frame names a real 3.46.0.12 gives.

Contributions are the mock's own (each split's change of its node value, credited to the feature split on, as
Saabas does), not TreeSHAP; but like SHAP they sum with ``BiasTerm`` to the model's raw prediction: the margin of
a binomial GBM (the logit of ``p1``), the value of a regression, ``p1`` of a binomial DRF.
"""

from __future__ import annotations

import math
from typing import Any

from h2oharness.apis.h2o3.mockparts import learn
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.state import Model

#: what a real server's job fails with where a model has no contributions (water.exceptions / java.lang)
MULTINOMIAL = (
    "java.lang.UnsupportedOperationException: Calculating contributions is currently not supported for "
    "multinomial models."
)
GLM_NEEDS_BACKGROUND = (
    "water.exceptions.H2OIllegalArgumentException: unimplemented: GLM supports contribution calculation only with "
    "a background frame."
)


def contributions_refusal(model: Model) -> str | None:
    """Why a real server's contributions job fails for ``model`` (its exception text); None when it succeeds."""
    if not isinstance(model.fitted, learn.TreeModel):
        if model.algo == "glm":
            return GLM_NEEDS_BACKGROUND
        return f"water.exceptions.H2OIllegalArgumentException: Model type {model.algo} doesn't support calculating "
        "Feature Contributions."
    if model.category == "Multinomial":
        return MULTINOMIAL
    return None


def contributions(
    model: Model, frame: Frame, dest: str, top_n: int = 0, bottom_n: int = 0, absolute: bool = False
) -> Frame:
    """One column per predictor and ``BiasTerm`` (or the ``top_n``/``bottom_n`` features and values per row, as a
    real server lays them out), for a model that ``contributions_refusal`` accepts."""
    fitted: learn.TreeModel = model.fitted
    columns = [f.values for f in learn.features_of(frame, model.predictors, model.domains)]
    width = len(model.predictors)
    per_row = [_row_contributions(fitted, columns, r, width) for r in range(frame.rows)]
    if top_n or bottom_n:
        return _ranked(model.predictors, per_row, dest, top_n, bottom_n, absolute)
    out = [_number_column(name, [row[j] for row in per_row]) for j, name in enumerate(model.predictors)]
    out.append(Column("BiasTerm", "real", numbers=[row[-1] for row in per_row]))
    return Frame(dest, out)


def _row_contributions(fitted: learn.TreeModel, columns: list[list[float]], row: int, width: int) -> list[float]:
    """Per feature, the changes of node value along the row's paths; last, the bias (the roots' values)."""
    out = [0.0] * (width + 1)
    if fitted.algo == "drf":
        scale, bias = 1.0 / max(1, len(fitted.trees)), 0.0
    else:
        scale, bias = fitted.rate, fitted.init[0]
    if not fitted.trees:
        out[-1] = fitted.init[0]
        return out
    for round_ in fitted.trees:
        tree = round_[0]
        node = 0
        bias += scale * tree.value[0]
        while tree.feature[node] >= 0:
            f = tree.feature[node]
            child = _child(tree, node, columns[f][row])
            out[f] += scale * (tree.value[child] - tree.value[node])
            node = child
    out[-1] = bias
    return out


def _child(tree: learn.Tree, node: int, value: float) -> int:
    go_left = tree.nan_left[node] if math.isnan(value) else value <= tree.threshold[node]
    return tree.left[node] if go_left else tree.right[node]


def _number_column(name: str, values: list[float]) -> Column:
    """A column typed as a real server types it: int when every value is whole (a feature no split used: zeros)."""
    whole = all(math.isfinite(v) and v == int(v) for v in values)
    return Column(name, "int" if whole else "real", numbers=values)


def _ranked(
    names: list[str], per_row: list[list[float]], dest: str, top_n: int, bottom_n: int, absolute: bool
) -> Frame:
    """top_feature_i / top_value_i, then bottom_feature_i / bottom_value_i, then BiasTerm; a negative count ranks
    every feature (both negative: the top ones only)."""
    width = len(names)
    tops = width if top_n < 0 else min(top_n, width)
    bottoms = 0 if top_n < 0 and bottom_n < 0 else (width if bottom_n < 0 else min(bottom_n, width))

    def key(item: tuple[int, float]) -> float:
        return abs(item[1]) if absolute else item[1]

    columns: list[tuple[str, list[Any]]] = []
    orders = []
    for row in per_row:
        items = list(enumerate(row[:width]))
        orders.append((sorted(items, key=key, reverse=True)[:tops], sorted(items, key=key)[:bottoms]))
    for side, count, index in (("top", tops, 0), ("bottom", bottoms, 1)):
        for i in range(count):
            columns.append((f"{side}_feature_{i + 1}", [float(order[index][i][0]) for order in orders]))
            columns.append((f"{side}_value_{i + 1}", [order[index][i][1] for order in orders]))
    out = [
        Column(name, "enum", numbers=values, domain=list(names))
        if "_feature_" in name
        else Column(name, "real", numbers=values)
        for name, values in columns
    ]
    out.append(Column("BiasTerm", "real", numbers=[row[-1] for row in per_row]))
    return Frame(dest, out)


def leaf_refusal(model: Model) -> str | None:
    """Why a model has no leaf node assignment (a real server: 500 ClassCastException); None for a tree model."""
    if isinstance(model.fitted, learn.TreeModel):
        return None
    return f"Model {model.id} is not a tree model ({model.algo}): it has no leaf node assignment"


def leaf_node_assignment(model: Model, frame: Frame, dest: str, kind: str = "Path") -> Frame:
    """One column per tree (``T1`` for regression, ``T1.C1``... per class tree otherwise): the path from the root
    (``LR``...) as an enum of the tree's leaf paths, or (``Node_ID``) the leaf's node number as an int."""
    fitted: learn.TreeModel = model.fitted
    columns = [f.values for f in learn.features_of(frame, model.predictors, model.domains)]
    out = []
    for t, round_ in enumerate(fitted.trees):
        for j, tree in enumerate(round_):
            name = f"T{t + 1}" if model.category == "Regression" else f"T{t + 1}.C{j + 1}"
            reached = [_walk(tree, columns, r) for r in range(frame.rows)]
            if kind == "Node_ID":
                out.append(Column(name, "int", numbers=[float(node) for node, _ in reached]))
                continue
            domain = sorted(_leaf_paths(tree))
            index = {path: float(i) for i, path in enumerate(domain)}
            out.append(Column(name, "enum", numbers=[index[path] for _, path in reached], domain=domain))
    return Frame(dest, out)


def _walk(tree: learn.Tree, columns: list[list[float]], row: int) -> tuple[int, str]:
    node, path = 0, []
    while tree.feature[node] >= 0:
        child = _child(tree, node, columns[tree.feature[node]][row])
        path.append("L" if child == tree.left[node] else "R")
        node = child
    return node, "".join(path)


def _leaf_paths(tree: learn.Tree) -> list[str]:
    paths, stack = [], [(0, "")]
    while stack:
        node, path = stack.pop()
        if tree.feature[node] < 0:
            paths.append(path)
        else:
            stack += [(tree.left[node], path + "L"), (tree.right[node], path + "R")]
    return paths
