"""Tree ensembles predict the same floats compiled as walked node by node, and walk where compiling does not pay."""

from __future__ import annotations

import math
import random
import struct

import httpx
import pytest

from h2oharness.apis.h2o3.mockparts import learn, treecode
from h2oharness.mocks.clock import ManualClock

# values that sit on a split's edge: each is also drawn as a threshold, so rows land exactly on it
EDGES = [0.0, -0.0, 0.5, -1.25, 5e-324, math.inf, -math.inf, math.nan]
CATEGORIES: list[tuple[learn.Category, list[str] | None]] = [
    ("Regression", None),
    ("Binomial", ["no", "yes"]),
    ("Multinomial", ["a", "b", "c", "d"]),
]


@pytest.fixture
def always_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile whatever the number of rows, so that a few rows test the compiled path."""
    monkeypatch.setattr(treecode, "PAYS_PER_NODE", 0)


def outcome(run: object) -> object:
    """Every float's bits (NaN and -0.0 included), or the error raised: what must not differ between both ways."""
    assert callable(run)
    try:
        rows = run()
    except (ValueError, OverflowError) as error:  # fsum's inf - inf and its overflow
        return type(error), str(error)
    return [[struct.pack("<d", v) for v in row] for row in rows]


def walked(model: learn.TreeModel, features: list[learn.Feature], ntrees: int | None = None) -> list[list[float]]:
    """What TreeModel.predict gave before it compiled: each row's trees walked by ``raw``."""
    columns = [f.values for f in features]
    return [model._link(model.raw(columns, r, ntrees)) for r in range(len(columns[0]))]


def assert_same(model: learn.TreeModel, features: list[learn.Feature], ntrees: int | None = None) -> None:
    """``predict`` compiles (the test's rows are enough, or always_compile is on) and gives the walk's bits."""
    compiled = outcome(lambda: model.predict(features, ntrees))
    use = len(model.trees[:ntrees] if ntrees is not None else model.trees)
    assert model.compiled.get(use) is not None or use == 0, "the compiled path was not taken"
    assert compiled == outcome(lambda: walked(model, features, ntrees))


def random_tree(rng: random.Random, width: int, depth: int, *, special_leaves: bool) -> learn.Tree:
    tree = learn.Tree()
    stack = [(tree.add(0.0), 0)]
    while stack:
        node, level = stack.pop()
        if level < depth and rng.random() < 0.8:
            tree.feature[node] = rng.randrange(width)
            tree.threshold[node] = rng.choice(EDGES) if rng.random() < 0.3 else rng.gauss(0, 1)
            tree.nan_left[node] = rng.random() < 0.5
            tree.left[node] = tree.add(0.0)
            tree.right[node] = tree.add(0.0)
            stack += [(tree.left[node], level + 1), (tree.right[node], level + 1)]
        elif special_leaves and rng.random() < 0.05:
            tree.value[node] = rng.choice([math.inf, -math.inf, math.nan, -0.0, 1e308])
        else:
            tree.value[node] = rng.choice([rng.gauss(0, 1), -0.0, 0.1, 1e-17])
    return tree


def random_features(rng: random.Random, width: int, rows: int) -> list[learn.Feature]:
    def value() -> float:
        return rng.choice(EDGES) if rng.random() < 0.3 else rng.gauss(0, 1)

    return [learn.Feature(f"x{f}", [value() for _ in range(rows)]) for f in range(width)]


def random_model(rng: random.Random, algo: str, category_index: int, *, special_leaves: bool) -> learn.TreeModel:
    category, domain = CATEGORIES[category_index]
    k = len(domain) if category == "Multinomial" and domain else 1
    width = rng.randint(1, 6)
    init = [rng.gauss(0, 1) for _ in range(k)]
    target = learn.Target(category, [], domain)
    model = learn.TreeModel(algo, target, [f"x{f}" for f in range(width)], [None] * width, init, rng.random())
    depth = rng.randint(0, 7)
    model.trees = [
        [random_tree(rng, width, depth, special_leaves=special_leaves) for _ in range(k)]
        for _ in range(rng.randint(1, 12))
    ]
    return model


@pytest.mark.usefixtures("always_compile")
@pytest.mark.parametrize("seed", range(60))
def test_random_ensembles_predict_the_walks_bits(seed: int) -> None:
    rng = random.Random(seed)
    algo = ("gbm", "drf")[seed % 2]
    model = random_model(rng, algo, (seed // 2) % 3, special_leaves=seed % 5 == 0)
    features = random_features(rng, len(model.features), rng.randint(1, 80))
    for ntrees in (None, len(model.trees) - 1, 1, len(model.trees) + 3):
        assert_same(model, features, ntrees)


@pytest.mark.usefixtures("always_compile")
@pytest.mark.parametrize("nan_left", [False, True])
@pytest.mark.parametrize("threshold", [0.5, -0.0, math.inf, -math.inf, math.nan])
def test_a_split_sends_missing_and_edge_values_where_the_walk_does(nan_left: bool, threshold: float) -> None:
    tree = learn.Tree()
    root = tree.add(0.0)
    tree.feature[root], tree.threshold[root], tree.nan_left[root] = 0, threshold, nan_left
    tree.left[root], tree.right[root] = tree.add(-1.0), tree.add(2.0)
    model = learn.TreeModel("gbm", learn.Target("Regression", [], None), ["x"], [None], [0.25], 0.5)
    model.trees = [[tree]]
    features = [learn.Feature("x", [*EDGES, 0.49, 0.51, 1e300])]
    assert_same(model, features)


@pytest.mark.usefixtures("always_compile")
def test_an_ensemble_of_leaves_has_no_column_to_map_over() -> None:
    model = learn.TreeModel("drf", learn.Target("Binomial", [], ["n", "y"]), ["x"], [None], [0.3], 1.0)
    tree = learn.Tree()
    tree.add(0.75)
    model.trees = [[tree], [tree]]
    features = [learn.Feature("x", [1.0, math.nan, 3.0])]
    assert_same(model, features)
    assert model.predict(features) == [[0.25, 0.75]] * 3


@pytest.mark.usefixtures("always_compile")
def test_rows_that_lack_a_column_split_on_are_walked_and_fail_as_before() -> None:
    model = learn.TreeModel("gbm", learn.Target("Regression", [], None), ["a", "b"], [None] * 2, [0.0], 1.0)
    model.trees = [[chain(2)]]  # splits on column 0, then on column 1
    with pytest.raises(IndexError):
        model.predict([learn.Feature("a", [5.0, 0.5])])  # 0.5 reaches the split on the missing column
    assert model.predict([learn.Feature("a", [5.0])]) == [[0.0]]  # 5.0 never does
    assert model.compiled == {}


@pytest.mark.usefixtures("always_compile")
def test_two_hundred_trees_of_several_classes_compile() -> None:
    rng = random.Random(200)
    category, domain = CATEGORIES[2]
    model = learn.TreeModel("gbm", learn.Target(category, [], domain), ["a", "b", "c"], [None] * 3, [0.0] * 4, 0.1)
    model.trees = [[random_tree(rng, 3, 6, special_leaves=False) for _ in range(4)] for _ in range(200)]
    assert_same(model, random_features(rng, 3, 50))


def chain(depth: int) -> learn.Tree:
    """A tree ``depth`` deep that splits again on its left child only."""
    tree = learn.Tree()
    node = tree.add(0.0)
    for level in range(depth):
        tree.feature[node], tree.threshold[node], tree.nan_left[node] = level % 2, float(depth - level), level % 3 == 0
        tree.right[node] = tree.add(float(level))
        tree.left[node] = tree.add(-1.0)
        node = tree.left[node]
    return tree


@pytest.mark.usefixtures("always_compile")
def test_a_tree_deeper_than_the_limit_is_walked() -> None:
    model = learn.TreeModel("gbm", learn.Target("Regression", [], None), ["a", "b"], [None] * 2, [1.0], 0.1)
    model.trees = [[chain(3)], [chain(300)]]
    assert treecode.shape(model.trees) == treecode.Shape(nodes=601 + 7, path=303, deepest=300, columns=2)
    features = [learn.Feature(n, [float(v % 310) if v % 7 else math.nan for v in range(400)]) for n in ("a", "b")]
    assert model.predict(features) == walked(model, features)
    assert model.compiled == {2: None}  # walked, and known never to compile
    assert_same(model, features, ntrees=1)  # the shallow tree alone is compiled


def test_too_many_nodes_or_too_few_rows_are_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    model = random_model(rng, "gbm", 1, special_leaves=False)
    shape = treecode.shape(model.trees)
    enough = -(-treecode.PAYS_PER_NODE * shape.nodes // shape.path)  # rows at which compiling starts to pay
    features = random_features(rng, len(model.features), enough)
    few = [learn.Feature(f.name, f.values[: enough - 1]) for f in features]
    assert model.predict(few) == walked(model, few)
    assert model.compiled == {}  # not compiled, and it may pay for more rows
    monkeypatch.setattr(treecode, "MAX_NODES", shape.nodes - 1)
    assert outcome(lambda: model.predict(features)) == outcome(lambda: walked(model, features))
    assert model.compiled == {len(model.trees): None}
    monkeypatch.undo()
    model.compiled.clear()
    assert_same(model, features)
    assert_same(model, few)  # once compiled, the function serves any number of rows


def fitted_data(rows: int) -> tuple[list[learn.Feature], list[float]]:
    rng = random.Random(rows)
    xs = [[rng.gauss(0, 1) if rng.random() > 0.1 else math.nan for _ in range(rows)] for _ in range(4)]
    levels = [float(rng.randrange(3)) for _ in range(rows)]
    features = [learn.Feature(f"x{f}", x) for f, x in enumerate(xs)]
    features.append(learn.Feature("level", levels, ["p", "q", "r"]))
    score = [(0.0 if math.isnan(a) else a) + levels[i] - 1 for i, a in enumerate(xs[0])]
    return features, score


@pytest.mark.usefixtures("always_compile")
@pytest.mark.parametrize("algo", ["gbm", "drf"])
@pytest.mark.parametrize("category", ["Regression", "Binomial", "Multinomial"])
def test_models_the_mock_fits_predict_the_same_both_ways(algo: str, category: learn.Category) -> None:
    features, score = fitted_data(300)
    if category == "Regression":
        target = learn.Target(category, score, None)
    elif category == "Binomial":
        target = learn.Target(category, [float(s > 0) for s in score], ["no", "yes"])
    else:
        target = learn.Target(category, [float(min(2, max(0, round(s + 1)))) for s in score], ["l", "m", "h"])
    fit = learn.fit_gbm if algo == "gbm" else learn.fit_drf
    model = fit(features, target, learn.TreeParams(ntrees=20, max_depth=6, min_rows=2, sample_rate=0.8))
    assert treecode.shape(model.trees).deepest > 2
    scored, _ = fitted_data(500)  # other rows, with the same columns
    for ntrees in (None, 7):
        assert_same(model, scored, ntrees)


def test_predictions_report_the_metrics_model_metrics_reports_for_the_same_model_and_frame(
    http: httpx.Client, clock: ManualClock
) -> None:
    # /3/Predictions now scores the rows once for its frame and its metrics: they must be what /3/ModelMetrics says
    job = http.post("/3/CreateFrame", data={"dest": "made", "seed": 7, "rows": 3000, "has_response": "True"}).json()
    clock.advance(5.0)
    assert http.get(job["key"]["URL"]).json()["jobs"][0]["status"] == "DONE"
    build = http.post("/3/ModelBuilders/gbm", data={"training_frame": "made", "response_column": "response"}).json()
    clock.advance(10.0)
    assert http.get(f"/3/Jobs/{build['job']['key']['name']}").json()["jobs"][0]["status"] == "DONE"
    model = build["job"]["dest"]["name"]
    predicted = http.post(f"/3/Predictions/models/{model}/frames/made").json()["model_metrics"][0]
    measured = http.post(f"/3/ModelMetrics/models/{model}/frames/made").json()["model_metrics"][0]
    when = {"scoring_time", "predictions", "description"}
    assert {k: v for k, v in predicted.items() if k not in when} == {k: v for k, v in measured.items() if k not in when}
    assert predicted["AUC"] == measured["AUC"]
    assert 0.0 < predicted["MSE"] < 1.0
