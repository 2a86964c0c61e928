"""Tree ensembles compiled into one Python function, so that many rows are predicted without walking node by node.

Each tree becomes a nested conditional expression over the columns it splits on, and the function returns, per
class, the same ``math.fsum`` of the trees' leaf values that ``TreeModel.raw`` computes (fsum is correctly rounded,
so the floats are the very same), scaled by the same ``init + rate *`` or ``/ ntrees``. An ensemble too deep, too
large or with too few rows to pay for compiling is not compiled: the caller walks its trees instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from h2oharness.apis.h2o3.mockparts import doubles

if TYPE_CHECKING:
    from h2oharness.apis.h2o3.mockparts.learn import Tree

#: deepest tree compiled: each level nests one parenthesised expression, and CPython's parser stops at 200 nested
#: parentheses (its compiler recurses per level too); 50 keeps well clear of both, and deeper trees are walked
MAX_DEPTH = 50
#: nodes compiled at most: compiling costs about 7 µs and, while it runs, 2.5 kB a node (the parser's tree), so 100k
#: nodes take about 0.7 s and 250 MB once per model
MAX_NODES = 100_000
#: compile when rows x (sum of the trees' depths) is at least this many times the nodes: walking and compiling cost
#: the same near 80 on fitted trees (benchmarks/tree_predict.py); a little less, as the function serves later calls too
PAYS_PER_NODE = 60


@dataclass(frozen=True)
class Shape:
    """What decides whether an ensemble is compiled: its nodes, the sum of its trees' depths, the deepest, and the
    columns its splits need (one past the highest column split on)."""

    nodes: int
    path: int
    deepest: int
    columns: int

    def compilable(self) -> bool:
        """Whether compiling can succeed at a bearable cost, whatever the rows."""
        return self.deepest <= MAX_DEPTH and self.nodes <= MAX_NODES

    def pays(self, rows: int) -> bool:
        """Whether compiling once costs less than walking ``rows`` rows."""
        return self.compilable() and rows * self.path >= PAYS_PER_NODE * self.nodes


@dataclass(frozen=True)
class Compiled:
    """A compiled ensemble: ``score(*(columns[f] for f in used))`` gives one row's per-class scores."""

    score: Callable[..., list[float]]
    used: list[int]


def depth(tree: Tree) -> int:
    """Edges on the longest path from the root to a leaf (computed: a hand-built tree may leave ``Tree.depth`` 0)."""
    deepest = 0
    stack = [(0, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if tree.feature[node] >= 0:
            stack.append((tree.left[node], d + 1))
            stack.append((tree.right[node], d + 1))
    return deepest


def shape(rounds: Sequence[Sequence[Tree]]) -> Shape:
    """The Shape of the trees of ``rounds`` (one list of per-class trees per round)."""
    trees = [t for round_ in rounds for t in round_]
    depths = [depth(t) for t in trees]
    columns = max((max(t.feature) + 1 for t in trees if t.feature), default=0)
    return Shape(sum(len(t.feature) for t in trees), sum(max(1, d) for d in depths), max(depths, default=0), columns)


def may_pay(rounds: Sequence[Sequence[Tree]], rows: int) -> bool:
    """Whether compiling could pay for ``rows`` rows even if every tree were MAX_DEPTH deep: a cheap look that
    spares a few rows the pass over every node that ``shape`` takes."""
    nodes = sum(len(t.feature) for round_ in rounds for t in round_)
    return rows * MAX_DEPTH * sum(len(round_) for round_ in rounds) >= PAYS_PER_NODE * nodes


def compile_ensemble(rounds: Sequence[Sequence[Tree]], init: Sequence[float], rate: float, drf: bool) -> Compiled:
    """One function for the trees of ``rounds`` (at least one round): per class j, ``init[j] + rate * fsum(...)``
    (GBM) or ``fsum(...) / len(rounds)`` (DRF), as TreeModel.raw computes them."""
    used: set[int] = set()
    scores: list[str] = []
    for j in range(len(init)):
        leaves = ", ".join(_expression(round_[j], used) for round_ in rounds)
        total = f"fsum(({leaves},))"
        scores.append(f"{total} / {len(rounds)}" if drf else f"{init[j]!r} + {rate!r} * {total}")
    columns = sorted(used)
    source = f"def score({', '.join(f'c{f}' for f in columns)}):\n    return [{', '.join(scores)}]\n"
    namespace: dict[str, object] = {"fsum": doubles.fsum, "inf": math.inf, "nan": math.nan}
    exec(compile(source, "<tree ensemble>", "exec"), namespace)  # noqa: S102 - the source holds only numbers
    return Compiled(namespace["score"], columns)  # type: ignore[arg-type]


def _expression(tree: Tree, used: set[int], node: int = 0) -> str:
    """``tree`` below ``node`` as a conditional expression that sends each value where Tree.predict sends it."""
    f = tree.feature[node]
    if f < 0:
        return repr(tree.value[node])
    used.add(f)
    threshold = tree.threshold[node]
    right = _expression(tree, used, tree.right[node])
    if math.isnan(threshold):  # every number goes right (v <= nan is False), a missing value as nan_left says
        if not tree.nan_left[node]:
            return right
        return f"({_expression(tree, used, tree.left[node])} if c{f} != c{f} else {right})"
    left = _expression(tree, used, tree.left[node])
    if tree.nan_left[node]:  # NaN > x is False: a missing value goes left
        return f"({right} if c{f} > {threshold!r} else {left})"
    return f"({left} if c{f} <= {threshold!r} else {right})"
