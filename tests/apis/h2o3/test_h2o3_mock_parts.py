"""The mock's building blocks on their own: CSV guessing, H2O-3 list syntax, names, metrics, learners, JSON."""

from __future__ import annotations

import json
import math

import pytest

from h2oharness.apis.h2o3.mockparts import csvparse, javaset, learn, metadata, metrics, params, tiebreak
from h2oharness.apis.h2o3.mockparts.calls import hex_name
from h2oharness.apis.h2o3.mockparts.doubles import java_string
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, RawSource
from h2oharness.apis.h2o3.mockparts.wire import H2OError, encode
from h2oharness.apis.h2o3.payloads import classification_csv, regression_csv

# (file text, separator, header, types) as a real 3.46.0.12's ParseSetup answered for the same text
GUESSES = [
    ("a,b,c\n" + "".join(f"{i},{i * 1.5},x{i % 3}\n" for i in range(20)), 44, 1, ["Numeric", "Numeric", "Enum"]),
    ("a;b;c\n" + "".join(f"{i};{i * 1.5};x{i % 3}\n" for i in range(20)), 59, 1, ["Numeric", "Numeric", "Enum"]),
    ("a\tb\n" + "".join(f"{i}\t{i % 2}\n" for i in range(10)), 9, 1, ["Numeric", "Numeric"]),
    ("a|b\n" + "".join(f"{i}|{i % 3}\n" for i in range(10)), 124, 1, ["Numeric", "Numeric"]),
    ("a b c\n" + "".join(f"{i} {i * 2} {i % 3}\n" for i in range(10)), 32, 1, ["Numeric"] * 3),
    ("x\n" + "".join(f"{i}\n" for i in range(10)), 32, 1, ["Numeric"]),
    ("".join(f"{i},{i * 0.5},{i % 9}\n" for i in range(20)), 44, -1, ["Numeric"] * 3),
    ("name,color\n" + "".join(f"n{i % 4},c{i % 3}\n" for i in range(10)), 44, -1, ["Enum", "Enum"]),
    ("d,v\n" + "".join(f"2024-01-{i + 1:02d},{i}\n" for i in range(20)), 44, 1, ["Time", "Numeric"]),
    ("id,v\n" + "".join(f"id_{i:04d},{i}\n" for i in range(50)), 44, 1, ["String", "Numeric"]),
    ("a,b\n" + "".join(f"{'oops' if i == 3 else i},{i}\n" for i in range(20)), 44, 1, ["Numeric", "Numeric"]),
    ("u,v\n" + "".join(f"{i:08x}-1234-5678-9abc-{i * 7:012x},{i}\n" for i in range(10)), 44, 1, ["UUID", "Numeric"]),
    ('"a","b"\n' + "".join(f'"{i}","q{i % 2}"\n' for i in range(10)), 44, 1, ["Numeric", "Enum"]),
    ("a,b,c\n", 44, 1, ["Numeric"] * 3),
    ("x,label\n0.5,no\n", 44, 1, ["Numeric", "Enum"]),
    ("x,label\n0.5,no\n1.5,yes\n", 44, 1, ["Numeric", "String"]),
    ("x,label\n0.5,no\n1.5,yes\n2.5,no\n", 44, 1, ["Numeric", "Enum"]),
    ("x,label\n" + "".join(f"{i}.5,v{i % 19}\n" for i in range(20)), 44, 1, ["Numeric", "String"]),
]


@pytest.mark.parametrize(("text", "separator", "header", "types"), GUESSES)
def test_parse_setup_guesses_like_h2o3(text: str, separator: int, header: int, types: list[str]) -> None:
    """Separator, header and column types agree with what the real server guessed on the same text."""
    setup = csvparse.guess_setup(text)
    assert (setup.separator, setup.check_header, setup.column_types) == (separator, header, types)


def test_parse_columns_types_missing_and_names() -> None:
    """Numeric columns become int/real with NaN for stray text; no header means C1..Cn; enums get sorted domains."""
    text = "".join(f"{'NA' if i % 5 == 0 else i},{'' if i % 4 == 0 else i / 2},{'k' + str(i % 2)}\n" for i in range(20))
    setup = csvparse.guess_setup(text)
    cols = csvparse.parse_columns(
        text, separator=44, check_header=-1, column_names=None, column_types=setup.column_types
    )
    assert [c.name for c in cols] == ["C1", "C2", "C3"]
    assert [c.type for c in cols] == ["int", "real", "enum"]
    assert [c.rollups().missing for c in cols] == [4, 5, 0]
    assert cols[2].domain == ["k0", "k1"]
    with pytest.raises(csvparse.ParseError):
        csvparse.parse_columns(text, separator=44, check_header=-1, column_names=None, column_types=["Blob"] * 3)


@pytest.mark.parametrize(
    ("text", "items"),
    [('["a","b"]', ["a", "b"]), ("[a, b]", ["a", "b"]), ("a", ["a"]), ("[]", []), ("['x,y']", ["x,y"]), ("", [])],
)
def test_h2o_list_syntax(text: str, items: list[str]) -> None:
    """h2o-py's list strings, quoted or not."""
    assert params.parse_list(text) == items


def test_form_conversion_errors_are_h2o3s() -> None:
    """An unconvertible form value is a 412 naming field, schema and type; a bad enum a 400."""
    spec = metadata.fields("GBMParametersV3")
    with pytest.raises(H2OError) as bad_int:
        params.convert_form(spec["ntrees"], "GBMParametersV3", "abc")
    assert bad_int.value.status == 412
    assert (
        bad_int.value.text
        == 'Illegal argument for field: ntrees of schema: GBMParametersV3: cannot convert "abc" to type int'
    )
    assert params.convert_form(spec["fold_assignment"], "GBMParametersV3", "auto") == "AUTO"
    glm = metadata.fields("GLMParametersV3")
    assert params.convert_form(glm["missing_values_handling"], "GLMParametersV3", "mean_imputation") == "MeanImputation"
    with pytest.raises(H2OError) as bad_enum:
        params.convert_form(spec["distribution"], "GBMParametersV3", "nope")
    assert bad_enum.value.status == 400


@pytest.mark.parametrize(
    ("source", "taken", "expected"),
    [
        ("nfs://tmp/x/train.csv", set(), "train.hex"),
        ("nfs://tmp/x/train.csv", {"train.hex"}, "train1.hex"),
        ("nfs://tmp/x/tab.tsv", set(), "tab_tsv.hex"),
        ("nfs://tmp/x/data.csv.gz", set(), "data.hex"),
        ("up1.csv", set(), "Key_Frame__up1.hex"),
        ("upload_ab12", set(), "Key_Frame__upload_ab12.hex"),
    ],
)
def test_destination_frame_names(source: str, taken: set[str], expected: str) -> None:
    """ParseSetup's proposed frame names follow H2O-3's createHexName."""
    state = H2O3MockState()
    for name in taken:
        state.sources[name] = RawSource(name, "a\n1\n")
    assert hex_name(state, source) == expected


def test_auc_and_binomial_metrics() -> None:
    """AUC by ranks, thresholds and the confusion matrix at max F1 on a small known case."""
    assert metrics.auc_of([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert metrics.auc_of([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    scores = metrics.score("Binomial", [0.0, 0.0, 1.0, 1.0], [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]], None)
    assert scores.auc == pytest.approx(0.75)
    assert scores.mse == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert scores.logloss == pytest.approx(-(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4)
    assert sum(sum(r) for r in scores.confusion) == 4
    assert scores.max_criteria[0][0] == "max f1"


def test_pr_auc_interpolates_precision_as_h2o3_does() -> None:
    """Between two thresholds a real server (AUC2.pr_auc) moves along the line through their true and false
    positives, so precision follows tp / (tp + fp) on it: a negative scored above the only positive leaves
    1 - ln 2 (a trapezoid would say 0.25); one score for every row leaves the positives' share."""
    above = metrics.score("Binomial", [0.0, 1.0], [[0.1, 0.9], [0.2, 0.8]], None)
    assert above.pr_auc == pytest.approx(1 - math.log(2), rel=1e-12)
    tied = metrics.score("Binomial", [0.0, 1.0, 1.0, 0.0, 1.0], [[0.5, 0.5]] * 5, None)
    assert tied.pr_auc == pytest.approx(3 / 5, rel=1e-12)
    perfect = metrics.score("Binomial", [0.0, 1.0], [[0.9, 0.1], [0.1, 0.9]], None)
    assert perfect.pr_auc == 1.0


def test_regression_metrics() -> None:
    """MSE, RMSE, MAE and R2 of a regression."""
    scores = metrics.score("Regression", [1.0, 2.0, 3.0], [[1.0], [2.0], [4.0]], None)
    assert scores.mse == pytest.approx(1 / 3)
    assert scores.rmse == pytest.approx(math.sqrt(1 / 3))
    assert scores.mae == pytest.approx(1 / 3)
    assert scores.r2 == pytest.approx(1 - (1 / 3) / (2 / 3))


def _frame(text: str) -> Frame:
    setup = csvparse.guess_setup(text)
    cols = csvparse.parse_columns(
        text, separator=setup.separator, check_header=setup.check_header,
        column_names=setup.column_names, column_types=setup.column_types,
    )  # fmt: skip
    return Frame("f", cols)


def test_learners_are_deterministic_and_learn() -> None:
    """Same data, same model; boosting beats the prior; GLM recovers a linear slope."""
    frame = _frame(classification_csv())
    names = ["x1", "x2", "color", "size"]
    label = frame.column("label")
    assert label is not None
    target = learn.target_of(label)
    features = learn.features_of(frame, names)
    first = learn.fit_gbm(features, target, learn.TreeParams(ntrees=5, max_depth=3)).predict(features)
    second = learn.fit_gbm(features, target, learn.TreeParams(ntrees=5, max_depth=3)).predict(features)
    assert first == second
    prior = metrics.score("Binomial", target.y, [[0.51, 0.49]] * len(target.y), ["no", "yes"])
    boosted = metrics.score("Binomial", target.y, first, ["no", "yes"])
    assert boosted.logloss < prior.logloss
    assert boosted.auc > 0.8
    forest = learn.fit_drf(features, target, learn.TreeParams(ntrees=5, max_depth=8, min_rows=1, sample_rate=0.632))
    assert all(math.isclose(sum(p), 1.0) for p in forest.predict(features))
    reg = _frame(regression_csv())
    y = reg.column("y")
    assert y is not None
    glm = learn.fit_glm(learn.features_of(reg, ["a", "b", "group"]), learn.target_of(y), "gaussian")
    coefs = {name: c for name, c, _ in glm.coefficients()}
    assert coefs["a"] == pytest.approx(2.0, abs=0.1)
    assert coefs["b"] == pytest.approx(-1.0, abs=0.1)


def test_json_encoding_writes_nan_as_h2o3_does() -> None:
    """Non-finite doubles are the strings H2O-3 writes; the result is valid JSON."""
    out = json.loads(encode({"a": math.nan, "b": [math.inf, -math.inf, 1.5]}))
    assert out == {"a": "NaN", "b": ["Infinity", "-Infinity", 1.5]}


def test_skeletons_follow_the_metadata() -> None:
    """A skeleton has every serialised field of its schema and the schema's type in __meta."""
    body = metadata.skeleton("JobV3")
    assert body["__meta"] == {"schema_version": 3, "schema_name": "JobV3", "schema_type": "Job"}
    assert {"key", "status", "progress", "dest", "exception", "msec"} <= set(body)
    with pytest.raises(KeyError):
        metadata.skeleton("NoSuchV3")


def test_numbers_are_read_as_java_reads_them() -> None:
    """A real server parses doubles with Double.parseDouble: NaN and Infinity, not Python's nan, NAN, inf or 1_0."""
    java_double = params.java_double
    assert math.isnan(java_double("NaN"))
    assert java_double("-Infinity") == -math.inf
    assert java_double(" 1.5d ") == 1.5
    assert java_double("2e3") == 2000.0
    for refused in ("nan", "NAN", "inf", "infinity", "1_0", "0x"):
        with pytest.raises(ValueError, match=refused):
            java_double(refused)


def test_doubles_sum_and_square_overflow_to_infinity_or_nan_as_java_does() -> None:
    from h2oharness.apis.h2o3.mockparts.doubles import fsum, square

    values = [0.1] * 10 + [1e-17, 3.0]
    assert fsum(values) == math.fsum(values)  # the correctly rounded sum wherever it exists
    assert fsum(iter(values)) == math.fsum(values)
    assert fsum([1.7e308, 1.7e308, 5.0]) == math.inf  # math.fsum: OverflowError
    assert math.isnan(fsum([math.inf, -math.inf]))  # math.fsum: ValueError
    assert square(1e200) == math.inf  # 1e200 ** 2: OverflowError
    assert square(-3.0) == 9.0


def test_doubles_stdev_is_the_sample_deviation_and_takes_infinity() -> None:
    import statistics

    from h2oharness.apis.h2o3.mockparts.doubles import stdev

    assert math.isclose(stdev([1.0, 2.0, 4.0, 8.5]), statistics.stdev([1.0, 2.0, 4.0, 8.5]), rel_tol=1e-15)
    assert math.isnan(stdev([1.0, math.inf]))  # statistics.stdev: AttributeError inside its fractions
    assert stdev([1e200, -1e200]) == math.inf


def test_a_columns_summary_is_computed_once_and_again_after_an_in_place_change() -> None:
    # a summary of 2 million values sorted and binned them all on every GET (a second each); the figures are now kept
    # with the column, and a change in place (h2o.impute) must not leave them stale
    from h2oharness.apis.h2o3.mockparts.frames import Column, histogram, percentiles

    col = Column("x", "real", numbers=[3.0, math.nan, 1.0, 2.0])
    assert percentiles(col, [0.5]) == [2.0]
    assert histogram(col) is histogram(col)
    assert col.rollups() is col.rollups()
    assert col.rollups().missing == 1
    col.numbers[:] = [10.0, 20.0, 30.0, 40.0]
    col.changed()
    assert percentiles(col, [0.0, 1.0]) == [10.0, 40.0]
    assert histogram(col)[1] == 10.0
    assert (col.rollups().missing, col.rollups().mean) == (0, 25.0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(20.0, "20.0"), (16.5, "16.5"), (0.001, "0.001"), (1e7, "1.0E7"), (1.5e-4, "1.5E-4"), (-2.5e20, "-2.5E20"),
     (123456789.0, "1.23456789E8"), (-0.0, "-0.0"), (math.nan, "NaN"), (-math.inf, "-Infinity")],
)  # fmt: skip
def test_doubles_are_shown_as_java_shows_them(value: float, shown: str) -> None:
    assert java_string(value) == shown


def test_java_random_draws_the_doubles_java_draws() -> None:
    # new java.util.Random(seed).nextDouble() on a JVM
    assert tiebreak.JavaRandom(0).next_double() == 0.730967787376657
    assert tiebreak.JavaRandom(42).next_double() == 0.7275636800328681


def test_a_tie_between_classes_is_broken_by_the_row_and_the_priors() -> None:
    assert tiebreak.label([0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [1.0, 2.0]) == 1  # no tie: the most likely class
    even = [1 / 3] * 3
    picks = {tiebreak.label(even, [0.355, 0.365, 0.28], [float(i), 0.5 * i]) for i in range(40)}
    assert len(picks) > 1  # each row draws for itself
    assert {tiebreak.label(even, [0.0, 1.0, 0.0], [float(i)]) for i in range(40)} == {1}  # a class of no rows loses
    assert tiebreak.label([0.5, 0.5, 0.0], None, [3.0]) in (0, 1)  # without priors: one of the tied best


def test_strings_hash_and_a_hash_set_lists_them_as_java_does() -> None:
    # each expected value printed by Java 17 (String.hashCode, a new HashSet<>(n) of the names, toString)
    assert javaset.string_hash("hello") == 99162322
    assert javaset.string_hash("\u00e9t\u00e9") == 227742
    assert javaset.string_hash("\U0001f600x") == 54959989  # a surrogate pair hashes as two code units
    assert javaset.hash_set_order(["k", "s", "u"]) == ["u", "k", "s"]
    assert javaset.hash_set_order(["alpha", "beta", "gamma", "delta", "eps"]) == [
        "delta",
        "eps",
        "beta",
        "gamma",
        "alpha",
    ]
