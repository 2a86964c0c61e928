"""How long the H2O-3 mock takes to predict with a tree ensemble: its trees walked row by row, or compiled.

Run: ``python benchmarks/tree_predict.py [--rows 200000,20000,1000,100] [--quick]``.

Each ensemble is grown by the mock's own fit (``learn.fit_gbm`` / ``learn.fit_drf``) on a sample of a frame of
10 gaussian columns with 2 % missing values (as a CreateFrame frame), or is made of random full trees; then every
row of the frame is predicted twice: **walked**, each row's trees walked node by node by ``TreeModel.raw`` (what
``TreeModel.predict`` did before it compiled), and **predict**, ``TreeModel.predict`` as it is now, from a cold
cache: it compiles the ensemble when that pays (its **compile** seconds included) and walks otherwise (**path**).
**same** says whether both gave the same floats, bit for bit.
"""

from __future__ import annotations

import argparse
import math
import random
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from _table import machine, table

from h2oharness.apis.h2o3.mockparts import learn, treecode

WIDTH = 10
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Ensemble:
    """A named way to build a model from the sampled features and the response."""

    name: str
    build: Callable[[list[learn.Feature], list[float], random.Random], learn.TreeModel]


def fitted(algo: str, category: learn.Category, ntrees: int, depth: int, min_rows: float) -> Ensemble:
    def build(features: list[learn.Feature], score: list[float], rng: random.Random) -> learn.TreeModel:
        if category == "Binomial":
            target = learn.Target(category, [float(s > 0) for s in score], ["no", "yes"])
        else:
            target = learn.Target(category, [float(min(2, max(0, round(s + 1)))) for s in score], ["l", "m", "h"])
        fit = learn.fit_gbm if algo == "gbm" else learn.fit_drf
        return fit(features, target, learn.TreeParams(ntrees=ntrees, max_depth=depth, min_rows=min_rows))

    classes = " x 3" if category == "Multinomial" else ""
    name = f"{algo} {category.lower()} {ntrees}{classes} trees, max_depth {depth}, min_rows {min_rows:g}"
    return Ensemble(name, build)


def random_full(ntrees: int, depth: int) -> Ensemble:
    def build(features: list[learn.Feature], score: list[float], rng: random.Random) -> learn.TreeModel:
        model = learn.TreeModel("gbm", learn.Target("Regression", [], None), [], [None] * WIDTH, [0.0], 0.1)
        model.trees = [[full_tree(rng, depth)] for _ in range(ntrees)]
        return model

    return Ensemble(f"gbm regression {ntrees} random full trees, depth {depth}", build)


def full_tree(rng: random.Random, depth: int) -> learn.Tree:
    tree = learn.Tree(depth=depth)
    stack = [(tree.add(rng.uniform(-1, 1)), 0)]
    while stack:
        node, level = stack.pop()
        if level < depth:
            tree.feature[node], tree.threshold[node] = rng.randrange(WIDTH), rng.gauss(0, 1)
            tree.nan_left[node] = rng.random() < 0.5
            tree.left[node], tree.right[node] = tree.add(rng.uniform(-1, 1)), tree.add(rng.uniform(-1, 1))
            stack += [(tree.left[node], level + 1), (tree.right[node], level + 1)]
    return tree


def frame(rows: int, rng: random.Random) -> tuple[list[learn.Feature], list[float]]:
    """Gaussian columns, 2 % missing, and a response that depends on three of them."""
    cols = [[rng.gauss(0, 1) if rng.random() > 0.02 else math.nan for _ in range(rows)] for _ in range(WIDTH)]
    clean = [[0.0 if math.isnan(v) else v for v in col] for col in cols[:3]]
    score = [a + b * c + rng.gauss(0, 0.3) for a, b, c in zip(*clean, strict=True)]
    return [learn.Feature(f"C{f + 1}", col) for f, col in enumerate(cols)], score


def bits(rows: list[list[float]]) -> list[list[bytes]]:
    return [[struct.pack("<d", v) for v in row] for row in rows]


def measure(model: learn.TreeModel, features: list[learn.Feature]) -> list[object]:
    """One table row: the ensemble's size, then walked and predict seconds for ``features``."""
    columns = [f.values for f in features]
    rows = len(columns[0])
    shape = treecode.shape(model.trees)
    start = time.perf_counter()
    walked = [model._link(model.raw(columns, r)) for r in range(rows)]
    walk_s = time.perf_counter() - start
    model.compiled.clear()
    start = time.perf_counter()
    predicted = model.predict(features)
    predict_s = time.perf_counter() - start
    path = "compiled" if model.compiled.get(len(model.trees)) else "walked"
    start = time.perf_counter()
    if path == "compiled":
        treecode.compile_ensemble(model.trees, model.init, model.rate, model.algo == "drf")
    compile_s = time.perf_counter() - start if path == "compiled" else math.nan
    same = "yes" if bits(walked) == bits(predicted) else "NO"
    speedup = f"{walk_s / predict_s:.1f}x" if predict_s > 0 else "-"
    shown = "-" if math.isnan(compile_s) else f"{compile_s:.3f}"
    return [rows, shape.nodes, shape.deepest, f"{walk_s:.3f}", f"{predict_s:.3f}", shown, path, speedup, same]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="200000,20000,1000,100", help="rows predicted, comma-separated")
    parser.add_argument("--sample", type=int, default=400, help="rows the fitted ensembles are grown on")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--quick", action="store_true", help="2,000 and 100 rows, 20-tree ensembles: a smoke run")
    args = parser.parse_args(argv)
    try:
        counts = [int(v) for v in args.rows.split(",")]
    except ValueError:
        parser.error(f"--rows must be whole numbers, not {args.rows!r}")
    if any(not 1 <= n <= MAX_ROWS for n in counts) or not 2 <= args.sample <= MAX_ROWS:
        parser.error(f"--rows and --sample must lie in 1..{MAX_ROWS} (--sample at least 2)")
    if args.quick:
        counts = [2000, 100]
    ntrees = 20 if args.quick else 200
    ensembles = [
        fitted("gbm", "Binomial", ntrees, 10, 1),
        fitted("gbm", "Binomial", ntrees, 10, 10),
        fitted("gbm", "Multinomial", ntrees // 4, 8, 2),
        fitted("drf", "Binomial", ntrees // 4, 10, 1),
        random_full(ntrees // 2, 8),
    ]
    rng = random.Random(args.seed)
    features, score = frame(max(counts), rng)
    sample = learn.spread(list(range(len(score))), args.sample)
    sampled = [learn.Feature(f.name, [f.values[i] for i in sample], f.domain) for f in features]
    sample_score = [score[i] for i in sample]

    print("tree predict: the mock's tree ensembles walked row by row vs TreeModel.predict (compiled when it pays)")
    print(machine())
    print(f"{WIDTH} gaussian columns, 2 % missing; fitted ensembles grown on {len(sample)} rows; seconds")
    for ensemble in ensembles:
        model = ensemble.build(sampled, sample_score, rng)
        rows = [measure(model, [learn.Feature(f.name, f.values[:n]) for f in features]) for n in counts]
        print()
        print(f"[{ensemble.name}]")
        headers = ["rows", "nodes", "deepest", "walked s", "predict s", "compile s", "path", "speedup", "same"]
        print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
