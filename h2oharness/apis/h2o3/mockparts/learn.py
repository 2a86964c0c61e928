"""Small deterministic learners behind the mock's GBM, DRF and GLM: real fits on the frame's data, in pure Python.

They are not H2O-3's algorithms, only close enough in spirit (histogram trees
with Newton leaves, bagged trees with column sampling, IRLS with a light ridge)
that metrics, predictions and variable importances look like what H2O-3 shows
for the same data. Everything is seeded, so the same request gives the same model.

Each fit spends at most a ``Budget`` of counted steps (never wall-clock time): a
wide or long frame is fitted on fewer rows, a wide GLM on its columns most
correlated with the response, and a tree ensemble on the rows that let every
tree asked for fit (it stops adding trees only if the budget is spent all the
same), so that any build a client can ask for answers promptly.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from h2oharness.apis.h2o3.mockparts import treecode
from h2oharness.apis.h2o3.mockparts.doubles import fsum, square
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame

Category = Literal["Regression", "Binomial", "Multinomial"]
EPS = 1e-10
LEAF_CAP = 19.0
GLM_MAX_LEVELS = 50
#: the steps one fit may take (about half a second of pure Python; a step is a multiply-add of IRLS, a row's visit
#: of a tree node counts 2): the mock trains inside the request, and a frame of 20,000 rows or 500 expanded columns
#: held it for minutes (seed 8675309)
WORK_BUDGET = 10_000_000
#: rows a budgeted fit keeps at least, whatever the budget says
MIN_FIT_ROWS = 50
#: rows x classes x (expanded) columns a model's training and validation metrics are scored on at most
SCORED_VALUES = 500_000
#: the steps of one row of an IRLS iteration besides its products (its link, weights and deviance)
GLM_ROW_STEPS = 40
GLM_MAX_ITERATIONS = 25
#: IRLS iterations the GLM's plan of rows and width counts on; it stops earlier only when the budget is spent
GLM_PLANNED_ITERATIONS = 10


@dataclass
class Budget:
    """A deterministic allowance of work in counted steps (``WORK_BUDGET``), never in elapsed time."""

    limit: int = WORK_BUDGET
    spent: int = 0

    def charge(self, steps: int) -> None:
        """Count ``steps`` as done."""
        self.spent += steps

    @property
    def left(self) -> int:
        """Steps still allowed (0 once spent)."""
        return max(0, self.limit - self.spent)

    def share(self, parts: int) -> Budget:
        """A fresh budget of one ``parts``-th of this one's limit, for one of several fits (fold models)."""
        return Budget(max(1, self.limit // max(1, parts)))


def spread(rows: list[int], limit: int) -> list[int]:
    """At most ``limit`` of ``rows``, evenly spread and in order (all of them when they fit)."""
    if len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


@dataclass(frozen=True)
class Feature:
    """A predictor as the learners see it: numbers (NaN = missing) and, for enums, the training domain."""

    name: str
    values: list[float]
    domain: list[str] | None = None


@dataclass(frozen=True)
class Target:
    """The response: regression values, or class indices into ``domain``."""

    category: Category
    y: list[float]
    domain: list[str] | None

    @property
    def nclasses(self) -> int:
        """1 for regression, else the number of classes."""
        return len(self.domain) if self.domain else 1


def usable_predictor(col: Column) -> bool:
    """Whether a column can feed a model: numbers and enums; not strings, uuids or constants."""
    if not col.has_numbers:
        return False
    r = col.rollups()
    return not (r.mins[0] == r.maxs[0] and r.missing == 0) and not math.isnan(r.mins[0])


def target_of(col: Column) -> Target:
    """The response column as a Target: Binomial/Multinomial for an enum, else Regression."""
    if col.type == "enum" and col.domain:
        category: Category = "Binomial" if len(col.domain) == 2 else "Multinomial"
        return Target(category, list(col.numbers), list(col.domain))
    return Target("Regression", list(col.numbers), None)


def features_of(frame: Frame, names: Sequence[str], domains: Sequence[list[str] | None] | None = None) -> list[Feature]:
    """Predictors of ``frame``; enum levels are mapped by label onto ``domains`` (the training ones) when given."""
    out: list[Feature] = []
    by_name: dict[str, Column] = {}
    for c in frame.columns:
        by_name.setdefault(c.name, c)  # the first of a duplicated name, as Frame.column finds it
    for i, name in enumerate(names):
        col = by_name.get(name)
        train_domain = domains[i] if domains is not None else (col.domain if col is not None else None)
        if col is None:
            out.append(Feature(name, [math.nan] * frame.rows, train_domain))
        elif train_domain is not None and col.domain is not None and col.domain != train_domain:
            index = {level: float(j) for j, level in enumerate(train_domain)}
            labels = [col.label(r) for r in range(col.rows)]
            out.append(Feature(name, [index.get(lb, math.nan) if lb else math.nan for lb in labels], train_domain))
        else:
            out.append(Feature(name, list(col.numbers) if col.has_numbers else [math.nan] * col.rows, train_domain))
    return out


# ---------------------------------------------------------------- trees


@dataclass
class Tree:
    """A binary tree in flat arrays; a leaf has feature -1."""

    feature: list[int] = field(default_factory=list)
    threshold: list[float] = field(default_factory=list)
    nan_left: list[bool] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    right: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    depth: int = 0

    def add(self, value: float) -> int:
        """Append a leaf and return its index."""
        for arr, v in ((self.feature, -1), (self.left, -1), (self.right, -1)):
            arr.append(v)
        self.threshold.append(math.nan)
        self.nan_left.append(False)
        self.value.append(value)
        return len(self.value) - 1

    @property
    def leaves(self) -> int:
        """Number of leaves."""
        return sum(1 for f in self.feature if f < 0)

    def predict(self, columns: list[list[float]], row: int) -> float:
        """The leaf value reached by ``row``."""
        node = 0
        while self.feature[node] >= 0:
            v = columns[self.feature[node]][row]
            go_left = self.nan_left[node] if math.isnan(v) else v <= self.threshold[node]
            node = self.left[node] if go_left else self.right[node]
        return self.value[node]


@dataclass(frozen=True)
class Binned:
    """Features cut into histogram bins once per training (bin -1 = missing)."""

    cuts: list[list[float]]
    bins: list[list[int]]


def bin_features(features: list[Feature], nbins: int) -> Binned:
    """Cut numeric features at up to ``nbins`` quantiles and enums between levels."""
    cuts: list[list[float]] = []
    bins: list[list[int]] = []
    for feat in features:
        present = sorted({v for v in feat.values if not math.isnan(v)})
        if feat.domain is not None:
            c = [j + 0.5 for j in range(len(feat.domain) - 1)]
        elif len(present) <= nbins:
            c = [(a + b) / 2 for a, b in itertools.pairwise(present)]
        else:
            picks = sorted({present[int(len(present) * q / nbins)] for q in range(1, nbins)})
            c = picks[:-1] if picks and picks[-1] >= present[-1] else picks
        cuts.append(c)
        bins.append([-1 if math.isnan(v) else bisect.bisect_left(c, v) for v in feat.values])
    return Binned(cuts, bins)


@dataclass
class TreeSettings:
    """How one tree is grown."""

    max_depth: int
    min_rows: float
    mtries: int | None = None
    leaf_scale: float = 1.0


def grow_tree(
    binned: Binned,
    rows: list[int],
    g: list[float],
    h: list[float],
    settings: TreeSettings,
    rng: random.Random,
    importance: list[float],
    budget: Budget | None = None,
) -> Tree:
    """Grow one tree on gradients ``g`` and hessians ``h``; splits add their gain to ``importance``."""
    tree = Tree()
    nfeat = len(binned.cuts)
    stack: list[tuple[int, list[int], int]] = [(tree.add(0.0), rows, 0)]
    while stack:
        node, members, depth = stack.pop()
        gsum = fsum([g[i] for i in members])
        hsum = fsum([h[i] for i in members])
        tree.value[node] = max(-LEAF_CAP, min(LEAF_CAP, settings.leaf_scale * gsum / (hsum + EPS)))
        tree.depth = max(tree.depth, depth)
        if depth >= settings.max_depth or len(members) < 2 * settings.min_rows:
            continue
        candidates = list(range(nfeat))
        if settings.mtries is not None and settings.mtries < nfeat:
            candidates = rng.sample(candidates, settings.mtries)
        if budget is not None:
            # a member's visit of each candidate, and each candidate's scan of its cuts (both sides of missing values)
            budget.charge(2 * len(members) * (len(candidates) + 1) + 8 * sum(len(binned.cuts[f]) for f in candidates))
        best = _best_split(binned, candidates, members, g, h, gsum, hsum, settings.min_rows)
        if best is None:
            continue
        gain, f, k, nan_left = best
        importance[f] += gain
        left_rows: list[int] = []
        right_rows: list[int] = []
        fb = binned.bins[f]
        for i in members:
            b = fb[i]
            (left_rows if (nan_left if b < 0 else b <= k) else right_rows).append(i)
        tree.feature[node] = f
        tree.threshold[node] = binned.cuts[f][k]
        tree.nan_left[node] = nan_left
        tree.left[node] = tree.add(0.0)
        tree.right[node] = tree.add(0.0)
        stack.append((tree.left[node], left_rows, depth + 1))
        stack.append((tree.right[node], right_rows, depth + 1))
    return tree


def _best_split(
    binned: Binned,
    candidates: list[int],
    members: list[int],
    g: list[float],
    h: list[float],
    gsum: float,
    hsum: float,
    min_rows: float,
) -> tuple[float, int, int, bool] | None:
    parent = gsum * gsum / (hsum + EPS)
    best: tuple[float, int, int, bool] | None = None
    for f in candidates:
        ncuts = len(binned.cuts[f])
        if ncuts == 0:
            continue
        gb, hb, nb = [0.0] * (ncuts + 1), [0.0] * (ncuts + 1), [0] * (ncuts + 1)
        gn = hn = 0.0
        nn = 0
        fb = binned.bins[f]
        for i in members:
            b = fb[i]
            if b < 0:
                gn += g[i]
                hn += h[i]
                nn += 1
            else:
                gb[b] += g[i]
                hb[b] += h[i]
                nb[b] += 1
        gl = hl = 0.0
        nl = 0
        for k in range(ncuts):
            gl += gb[k]
            hl += hb[k]
            nl += nb[k]
            for nan_left in (False, True) if nn else (False,):
                gL, hL, nL = (gl + gn, hl + hn, nl + nn) if nan_left else (gl, hl, nl)
                nR = len(members) - nL
                if nL < min_rows or nR < min_rows or nL == 0 or nR == 0:
                    continue
                gR, hR = gsum - gL, hsum - hL
                gain = gL * gL / (hL + EPS) + gR * gR / (hR + EPS) - parent
                if gain > 1e-9 and (best is None or gain > best[0]):
                    best = (gain, f, k, nan_left)
    return best


# ---------------------------------------------------------------- fitted models


@dataclass
class History:
    """Predictions after some numbers of trees or iterations, for the scoring history."""

    steps: list[int] = field(default_factory=list)
    predictions: list[list[list[float]]] = field(default_factory=list)


@dataclass
class TreeModel:
    """A GBM (boosted, ``init`` + ``rate`` × sum) or a DRF (averaged) ensemble; ``trees[t][k]`` per class."""

    algo: str
    target: Target
    features: list[str]
    domains: list[list[str] | None]
    init: list[float]
    rate: float
    trees: list[list[Tree]] = field(default_factory=list)
    importance: list[float] = field(default_factory=list)
    # per number of trees: the compiled ensemble, or None where it cannot be compiled; and the trees' Shape
    compiled: dict[int, treecode.Compiled | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    shapes: dict[int, treecode.Shape] = field(default_factory=dict, init=False, repr=False, compare=False)

    def raw(self, columns: list[list[float]], row: int, ntrees: int | None = None) -> list[float]:
        """Per-class scores of one row (link scale for GBM, probabilities or values for DRF)."""
        use = self.trees[:ntrees] if ntrees is not None else self.trees
        k = len(self.init)
        if self.algo == "drf":
            if not use:
                return self._no_votes()
            return [fsum([t[j].predict(columns, row) for t in use]) / len(use) for j in range(k)]
        return [self.init[j] + self.rate * fsum([t[j].predict(columns, row) for t in use]) for j in range(k)]

    def predict(self, features: list[Feature], ntrees: int | None = None) -> list[list[float]]:
        """Per row: ``[value]`` for regression, else one probability per class."""
        columns = [f.values for f in features]
        n = len(columns[0]) if columns else 0
        use = len(self.trees[:ntrees] if ntrees is not None else self.trees)
        compiled = self._compiled(use, n, len(columns))
        if compiled is None:
            return [self._link(self.raw(columns, r, ntrees)) for r in range(n)]
        if not compiled.used:  # every tree a leaf: no column to map over
            return [self._link(compiled.score()) for _ in range(n)]
        return [self._link(s) for s in map(compiled.score, *(columns[f] for f in compiled.used))]

    def _compiled(self, use: int, rows: int, width: int) -> treecode.Compiled | None:
        """The first ``use`` trees compiled (once, then cached), or None where walking them is the better way."""
        if use in self.compiled:
            return self.compiled[use]
        if use == 0 or rows == 0 or not treecode.may_pay(self.trees[:use], rows):
            return None
        shape = self.shapes.get(use)
        if shape is None:
            shape = self.shapes[use] = treecode.shape(self.trees[:use])
        if not shape.compilable():
            self.compiled[use] = None
            return None
        if not shape.pays(rows) or shape.columns > width:
            return None  # (a split on a column the rows lack: the walk raises where a row reaches it, as before)
        compiled = treecode.compile_ensemble(self.trees[:use], self.init, self.rate, self.algo == "drf")
        self.compiled[use] = compiled
        return compiled

    def staged(self, features: list[Feature]) -> Callable[[int], list[list[float]]]:
        """``predict`` after a growing number of trees, each tree applied once (for the scoring history)."""
        columns = [f.values for f in features]
        n = len(columns[0]) if columns else 0
        k = len(self.init)
        sums = [[0.0] * k for _ in range(n)]
        done = 0

        def after(ntrees: int) -> list[list[float]]:
            nonlocal done
            for round_ in self.trees[done:ntrees]:
                for r, row in enumerate(sums):
                    for j, tree in enumerate(round_):
                        row[j] += tree.predict(columns, r)
            done = max(done, ntrees)
            if self.algo == "drf":
                return [self._link([s / done for s in row] if done else list(self.init)) for row in sums]
            return [self._link([i + self.rate * s for i, s in zip(self.init, row, strict=True)]) for row in sums]

        return after

    def _no_votes(self) -> list[float]:
        """What a real DRF of no trees predicts: its sums of votes are 0, for a 2-class response the first class's
        (the second's probability is 1 minus it), so 0 for a number, 0 for each class, or certainly the second."""
        if self.target.category == "Binomial":
            return [1.0]
        return [0.0] * len(self.init)

    def _link(self, scores: list[float]) -> list[float]:
        cat = self.target.category
        if cat == "Regression":
            return scores
        if self.algo == "drf":
            if cat == "Binomial":
                p1 = min(1.0, max(0.0, scores[0]))
                return [1 - p1, p1]
            clipped = [max(0.0, s) for s in scores]
            total = sum(clipped) or 1.0
            return [s / total for s in clipped]
        if cat == "Binomial":
            p1 = _sigmoid(scores[0])
            return [1 - p1, p1]
        return _softmax(scores)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _responses(target: Target, rows: list[int]) -> list[list[float]]:
    """One-hot (or raw for regression) response per class, for the given rows."""
    k = target.nclasses
    if target.category == "Regression":
        return [[target.y[i] for i in rows]]
    if target.category == "Binomial":
        return [[target.y[i] for i in rows]]
    return [[1.0 if target.y[i] == j else 0.0 for i in rows] for j in range(k)]


@dataclass(frozen=True)
class TreeParams:
    """The parameters the tree learners honour."""

    ntrees: int = 50
    max_depth: int = 5
    min_rows: float = 10.0
    nbins: int = 20
    learn_rate: float = 0.1
    sample_rate: float = 1.0
    col_sample_rate: float = 1.0
    mtries: int = -1
    seed: int = 1234
    history_points: int = 10


#: the depth a tree ensemble's rows are sized for when it may grow deeper (max_depth 0 is 30 here)
TREE_DEPTH_SIZED = 16


def tree_rows(features: int, classes: int, params: TreeParams, budget: Budget) -> int:
    """Rows a tree ensemble is fitted on so that all its trees fit in half the budget (the other half scores them):
    the number of trees asked for is what a client sees of a model, so the rows give way, down to MIN_FIT_ROWS."""
    return max(MIN_FIT_ROWS, (budget.limit // 2) // (_tree_cost(classes, params) * (features + 4)))


def tree_scored_rows(classes: int, params: TreeParams, budget: Budget) -> int:
    """Rows all the trees of an ensemble can be applied to, tree by tree, within the other half of the budget."""
    return max(MIN_FIT_ROWS, (budget.limit // 2) // _tree_cost(classes, params))


def _tree_cost(classes: int, params: TreeParams) -> int:
    """Steps per row of every tree of an ensemble: each tree (one per class) visits its depth in nodes; a depth past
    TREE_DEPTH_SIZED is rarely reached by the rows a budget leaves (2^16 leaves), and if it is, the trees stop."""
    return 2 * max(1, params.ntrees) * classes * max(1, min(params.max_depth, TREE_DEPTH_SIZED))


def _spent(budget: Budget | None, round_trees: list[Tree], rows: int, scored_rows: int) -> bool:
    """Charge a round's scoring (its trees on the fitted and the scored rows); whether the budget is now spent."""
    if budget is None:
        return False
    budget.charge(2 * sum(max(1, t.depth) for t in round_trees) * (rows + scored_rows))
    return budget.left == 0


def fit_gbm(
    features: list[Feature],
    target: Target,
    params: TreeParams,
    on_history: Callable[[int, TreeModel], None] | None = None,
    budget: Budget | None = None,
    scored_rows: int = 0,
) -> TreeModel:
    """Gradient boosting with Newton leaves: gaussian, bernoulli or multinomial loss.

    With a ``budget``, boosting stops after the round that spends it (``scored_rows``: the rows each tree will
    also be applied to afterwards, as the training metrics and scoring history do).
    """
    rows = [i for i, v in enumerate(target.y) if not math.isnan(v)]
    rng = random.Random(params.seed)
    binned = bin_features(features, params.nbins)
    ys = _responses(target, rows)
    k = 1 if target.category != "Multinomial" else target.nclasses
    n = len(target.y)
    if target.category == "Regression":
        init = [fsum(ys[0]) / max(1, len(rows))]
    elif target.category == "Binomial":
        p = min(1 - 1e-6, max(1e-6, fsum(ys[0]) / max(1, len(rows))))
        init = [math.log(p / (1 - p))]
    else:  # a real multinomial GBM starts every class at 0 (init_f 0): of no trees, each class equally likely
        init = [0.0] * k
    model = TreeModel("gbm", target, [f.name for f in features], [f.domain for f in features], init, params.learn_rate)
    model.importance = [0.0] * len(features)
    scores = [[init[j]] * n for j in range(k)]
    mtries = max(1, round(len(features) * params.col_sample_rate)) if params.col_sample_rate < 1 else None
    settings = TreeSettings(params.max_depth, params.min_rows, mtries, (k - 1) / k if k > 1 else 1.0)
    every = max(1, params.ntrees // max(1, params.history_points))
    if on_history:
        on_history(0, model)
    for t in range(params.ntrees):
        sample = [i for i in rows if rng.random() < params.sample_rate] if params.sample_rate < 1 else rows
        g, h = [0.0] * n, [0.0] * n
        probs = _class_probs(target, scores, sample)
        round_trees: list[Tree] = []
        for j in range(k):
            for i in sample:
                y = _y(target, i, j)
                if target.category == "Regression":
                    g[i], h[i] = y - scores[0][i], 1.0
                else:
                    p = probs[j][i]
                    g[i], h[i] = y - p, max(p * (1 - p), 1e-6)
            tree = grow_tree(binned, sample, g, h, settings, rng, model.importance, budget)
            round_trees.append(tree)
        cols = [f.values for f in features]
        for j, tree in enumerate(round_trees):
            for i in rows:
                scores[j][i] += params.learn_rate * tree.predict(cols, i)
        model.trees.append(round_trees)
        spent = _spent(budget, round_trees, len(rows), scored_rows)
        if on_history and ((t + 1) % every == 0 or t + 1 == params.ntrees or spent):
            on_history(t + 1, model)
        if spent:
            break
    return model


def _y(target: Target, i: int, j: int) -> float:
    if target.category == "Multinomial":
        return 1.0 if target.y[i] == j else 0.0
    return target.y[i]


def _class_probs(target: Target, scores: list[list[float]], rows: list[int]) -> list[dict[int, float]]:
    if target.category == "Regression":
        return [{}]
    if target.category == "Binomial":
        return [{i: _sigmoid(scores[0][i]) for i in rows}]
    out: list[dict[int, float]] = [{} for _ in scores]
    for i in rows:
        ps = _softmax([s[i] for s in scores])
        for j, p in enumerate(ps):
            out[j][i] = p
    return out


def fit_drf(
    features: list[Feature],
    target: Target,
    params: TreeParams,
    on_history: Callable[[int, TreeModel], None] | None = None,
    budget: Budget | None = None,
    scored_rows: int = 0,
) -> TreeModel:
    """A random forest: bootstrap rows, sample columns at each split, average the trees (``budget`` as in fit_gbm)."""
    rows = [i for i, v in enumerate(target.y) if not math.isnan(v)]
    rng = random.Random(params.seed)
    binned = bin_features(features, params.nbins)
    k = 1 if target.category != "Multinomial" else target.nclasses
    n = len(target.y)
    if params.mtries > 0:
        mtries = params.mtries
    elif target.category == "Regression":
        mtries = max(1, len(features) // 3)
    else:
        mtries = max(1, int(math.sqrt(len(features))))
    means = [fsum([_y(target, i, j) for i in rows]) / max(1, len(rows)) for j in range(k)]
    model = TreeModel("drf", target, [f.name for f in features], [f.domain for f in features], means, 1.0)
    model.importance = [0.0] * len(features)
    settings = TreeSettings(params.max_depth, params.min_rows, mtries)
    every = max(1, params.ntrees // max(1, params.history_points))
    h = [1.0] * n
    if on_history:
        on_history(0, model)
    for t in range(params.ntrees):
        sample = [i for i in rows if rng.random() < params.sample_rate]
        round_trees = []
        for j in range(k):
            g = [0.0] * n
            for i in sample:
                g[i] = _y(target, i, j)
            round_trees.append(grow_tree(binned, sample or rows, g, h, settings, rng, model.importance, budget))
        model.trees.append(round_trees)
        spent = _spent(budget, round_trees, 0, scored_rows)
        if on_history and ((t + 1) % every == 0 or t + 1 == params.ntrees or spent):
            on_history(t + 1, model)
        if spent:
            break
    return model


# ---------------------------------------------------------------- GLM


@dataclass
class LinearModel:
    """A GLM: coefficients on expanded, standardised predictors (enums one-hot, first in H2O-3's order)."""

    target: Target
    family: str
    features: list[str]
    domains: list[list[str] | None]
    names: list[str]
    numeric: list[bool]
    means: list[float]
    scales: list[float]
    # beta[class] = [intercept, *weights] on the standardised scale
    beta: list[list[float]]
    iterations: int = 0
    deviance_path: list[float] = field(default_factory=list)

    def expand(self, features: list[Feature], row: int) -> list[float]:
        """The standardised design row (without the intercept)."""
        out: list[float] = []
        for feat in (f for f in features if f.domain is not None and len(f.domain) <= GLM_MAX_LEVELS):
            v = feat.values[row]
            out.extend(1.0 if not math.isnan(v) and int(v) == j else 0.0 for j in range(len(feat.domain or [])))
        for feat in (f for f in features if f.domain is None):
            out.append(feat.values[row])
        return [
            (0.0 if math.isnan(v) else (v - m) / s) if num else v
            for v, m, s, num in zip(out, self.means, self.scales, self.numeric, strict=True)
        ]

    def predict(self, features: list[Feature]) -> list[list[float]]:
        """Per row: ``[value]`` for gaussian, else class probabilities."""
        n = len(features[0].values) if features else 0
        out = []
        for r in range(n):
            x = self.expand(features, r)
            etas = [b[0] + fsum([w * v for w, v in zip(b[1:], x, strict=True)]) for b in self.beta]
            if self.family == "gaussian":
                out.append(etas)
            elif self.family == "binomial":
                p1 = _sigmoid(etas[0])
                out.append([1 - p1, p1])
            else:
                ps = [_sigmoid(e) for e in etas]
                total = sum(ps) or 1.0
                out.append([p / total for p in ps])
        return out

    def coefficients(self) -> list[tuple[str, float, float]]:
        """(name, coefficient on the original scale, standardised coefficient) of the first class."""
        b = self.beta[0]
        rows = []
        intercept = b[0] - fsum(
            [w * m / s for w, m, s, num in zip(b[1:], self.means, self.scales, self.numeric, strict=True) if num]
        )
        rows.append(("Intercept", intercept, b[0]))
        for name, w, s, num in zip(self.names, b[1:], self.scales, self.numeric, strict=True):
            rows.append((name, w / s if num else w, w))
        return rows


def glm_width(features: list[Feature], classes: int, budget: Budget) -> tuple[int, int]:
    """(expanded columns, of them fitted) of a GLM: its solves may take half the budget at the planned iterations."""
    width = sum(len(f.domain) for f in features if f.domain is not None and len(f.domain) <= GLM_MAX_LEVELS)
    width += sum(1 for f in features if f.domain is None)
    cap = int((budget.limit / (classes * GLM_PLANNED_ITERATIONS)) ** (1 / 3) + 1e-9)
    return width, max(1, min(width, cap))


def glm_rows(features: list[Feature], classes: int, budget: Budget) -> int:
    """Rows a GLM is fitted on: its design's products may take the other half of the budget at planned iterations."""
    _, fitted = glm_width(features, classes, budget)
    nonzero = min(fitted, len(features))  # a one-hot enum sets one column of a row
    per_row = (fitted + 1) * (nonzero + 2) // 2 + GLM_ROW_STEPS
    return max(MIN_FIT_ROWS, budget.limit // (2 * classes * GLM_PLANNED_ITERATIONS * per_row))


def _screen(design: list[list[float]], y: list[list[float]], keep: int) -> list[int]:
    """The ``keep`` design columns most correlated with any class's response (in design order)."""
    n = len(design)
    width = len(design[0]) if design else 0
    if width <= keep:
        return list(range(width))
    strength = []
    for a in range(width):
        col = [row[a] for row in design]
        mean = fsum(col) / max(1, n)
        sd = math.sqrt(fsum([square(v - mean) for v in col])) or 1.0
        best = 0.0
        for ys in y:
            cov = fsum([(v - mean) * t for v, t in zip(col, ys, strict=True)])
            best = max(best, abs(cov) / sd)
        strength.append((-best, a))
    return sorted(a for _, a in sorted(strength)[:keep])


def fit_glm(
    features: list[Feature], target: Target, family: str, lambda_: float = 1e-3, budget: Budget | None = None
) -> LinearModel:
    """IRLS (gaussian: one weighted least-squares solve) with a light ridge on standardised predictors.

    With a ``budget``, a design wider than ``glm_width`` allows is fitted on its columns most correlated with the
    response (the others keep a coefficient of 0, as an L1 penalty leaves them), and IRLS stops at the iteration
    that spends the budget.
    """
    cats = [f for f in features if f.domain is not None and len(f.domain) <= GLM_MAX_LEVELS]
    nums = [f for f in features if f.domain is None]
    names = [f"{f.name}.{level}" for f in cats for level in (f.domain or [])] + [f.name for f in nums]
    means = [0.0] * sum(len(f.domain or []) for f in cats)
    scales = [1.0] * len(means)
    for f in nums:
        present = [v for v in f.values if not math.isnan(v)]
        m = fsum(present) / len(present) if present else 0.0
        var = fsum([square(v - m) for v in present]) / max(1, len(present) - 1)
        means.append(m)
        scales.append(math.sqrt(var) or 1.0)
    numeric = [False] * (len(names) - len(nums)) + [True] * len(nums)
    model = LinearModel(
        target, family, [f.name for f in features], [f.domain for f in features], names, numeric, means, scales, []
    )
    rows = [i for i, v in enumerate(target.y) if not math.isnan(v)]
    design = [model.expand(features, i) for i in rows]
    classes = [0] if family in ("gaussian", "binomial") else list(range(target.nclasses))
    ys = [[_y(target, i, j) if family == "multinomial" else target.y[i] for i in rows] for j in classes]
    kept = list(range(len(names)))
    if budget is not None:
        _, fitted = glm_width(features, len(classes), budget)
        if fitted < len(names):
            budget.charge(len(rows) * len(names) * (len(classes) + 2))
            kept = _screen(design, ys, fitted)
            design = [[row[a] for a in kept] for row in design]
    for j in range(len(classes)):
        share = Budget(budget.left // (len(classes) - j)) if budget is not None else None
        beta, iterations, path = _irls(design, ys[j], family, lambda_, share)
        if budget is not None and share is not None:
            budget.charge(share.spent)
        full = [beta[0]] + [0.0] * len(names)
        for a, b in zip(kept, beta[1:], strict=True):
            full[a + 1] = b
        model.beta.append(full)
        model.iterations = max(model.iterations, iterations)
        model.deviance_path = path
    return model


def _irls(
    x: list[list[float]], y: list[float], family: str, lambda_: float, budget: Budget | None = None
) -> tuple[list[float], int, list[float]]:
    p = len(x[0]) + 1 if x else 1
    n = len(y)
    mean_y = fsum(y) / max(1, n)
    beta = [0.0] * p
    if family == "gaussian":
        beta[0] = mean_y
    else:
        mean_y = min(1 - 1e-6, max(1e-6, mean_y))
        beta[0] = math.log(mean_y / (1 - mean_y))
    path: list[float] = []
    iterations = 0
    nonzero = max((sum(1 for v in row if v != 0.0) for row in x), default=0)
    # an iteration's steps: the products of the rows' non-zero entries with the rest of the row, and the solve
    per_iteration = n * (p * (nonzero + 2) // 2 + GLM_ROW_STEPS) + p**3 // 2 + GLM_ROW_STEPS
    for iterations in range(1, GLM_MAX_ITERATIONS + 1):
        if budget is not None:
            if iterations > 1 and budget.left < per_iteration:
                iterations -= 1
                break
            budget.charge(per_iteration)
        xtwx = [[0.0] * p for _ in range(p)]
        xtwz = [0.0] * p
        deviance = 0.0
        for row, yi in zip(x, y, strict=True):
            xi = [1.0, *row]
            eta = fsum([b * v for b, v in zip(beta, xi, strict=True)])
            if family == "gaussian":
                w, z = 1.0, yi
                deviance += square(yi - eta)
            else:
                mu = min(1 - 1e-9, max(1e-9, _sigmoid(eta)))
                w = mu * (1 - mu)
                z = eta + (yi - mu) / w
                deviance += -2 * (yi * math.log(mu) + (1 - yi) * math.log(1 - mu))
            for a in range(p):
                wa = w * xi[a]
                if wa == 0.0:
                    continue
                xtwz[a] += wa * z
                row_a = xtwx[a]
                for b in range(a, p):
                    row_a[b] += wa * xi[b]
        path.append(deviance / max(1, n))
        for a in range(p):
            for b in range(a):
                xtwx[a][b] = xtwx[b][a]
            if a > 0:
                xtwx[a][a] += lambda_ * n
        new = _solve(xtwx, xtwz)
        change = max((abs(a - b) for a, b in zip(new, beta, strict=True)), default=0.0)
        beta = new
        if family == "gaussian" or change < 1e-6:
            break
    return beta, iterations, path


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; singular directions get 0."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            continue
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col] != 0.0:
                factor = m[r][col] / m[col][col]
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    return [m[i][n] / m[i][i] if abs(m[i][i]) >= 1e-12 else 0.0 for i in range(n)]
