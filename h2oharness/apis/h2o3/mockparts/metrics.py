"""Model metrics computed from predictions, rendered as H2O-3's ModelMetrics*V3 schemas."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata, tiebreak
from h2oharness.apis.h2o3.mockparts.doubles import fsum, square
from h2oharness.apis.h2o3.mockparts.learn import Category
from h2oharness.apis.h2o3.mockparts.wire import JSONDict, key, meta, two_dim_table

MAX_THRESHOLDS = 400
GAINS_FRACTIONS = (0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
THRESHOLD_METRICS = (
    "f1", "f2", "f0point5", "accuracy", "precision", "recall", "specificity", "absolute_mcc",
    "min_per_class_accuracy", "mean_per_class_accuracy", "tns", "fns", "fps", "tps", "tnr", "fnr", "fpr", "tpr",
)  # fmt: skip


@dataclass
class Scores:
    """Every number the mock reports for one model on one frame."""

    category: Category
    nobs: int
    mse: float
    rmse: float
    r2: float = math.nan
    logloss: float = math.nan
    auc: float = math.nan
    pr_auc: float = math.nan
    mean_per_class_error: float = math.nan
    classification_error: float = math.nan
    mae: float = math.nan
    rmsle: float = math.nan
    lift_top_group: float = math.nan
    default_threshold: float = 0.5
    domain: list[str] | None = None
    confusion: list[list[int]] = field(default_factory=list)
    thresholds: list[list[Any]] = field(default_factory=list)
    max_criteria: list[list[Any]] = field(default_factory=list)
    gains_lift: list[list[Any]] = field(default_factory=list)
    hit_ratios: list[float] = field(default_factory=list)


def score(
    category: Category,
    y: list[float],
    predictions: list[list[float]],
    domain: list[str] | None,
    *,
    priors: Sequence[float] | None = None,
    rows: Sequence[Sequence[float]] | None = None,
) -> Scores:
    """Metrics of predictions (``[value]`` or class probabilities per row) against the response ``y``.

    For more than 2 classes a tie for the most likely class is broken as a real server breaks it (``tiebreak``),
    by the training rows' class shares ``priors`` and a hash of each row's predictor values ``rows``. Without
    ``rows`` the hash is 0 for every row, as in a real tree model's training metrics once it has a tree (its
    Score task passes no row data to GenModel.getPredictionMultinomial).
    """
    kept = [i for i, yi in enumerate(y) if not math.isnan(yi)]
    if category == "Regression":
        return _regression([y[i] for i in kept], [predictions[i][0] for i in kept])
    if category == "Binomial":
        return _binomial([int(y[i]) for i in kept], [predictions[i][1] for i in kept], domain or ["0", "1"])
    probs = [predictions[i] for i in kept]
    labels = [tiebreak.label(p, priors, rows[i] if rows else ()) for p, i in zip(probs, kept, strict=True)]
    return _multinomial([int(y[i]) for i in kept], probs, labels, domain or [], priors)


def _variance(values: list[float]) -> float:
    if not values:
        return math.nan
    m = fsum(values) / len(values)
    return fsum([square(v - m) for v in values]) / len(values)


def _regression(y: list[float], yhat: list[float]) -> Scores:
    n = len(y)
    if n == 0:
        return Scores("Regression", 0, math.nan, math.nan)
    mse = fsum([square(a - b) for a, b in zip(y, yhat, strict=True)]) / n
    var = _variance(y)
    rmsle = math.nan
    if all(a > -1 and b > -1 for a, b in zip(y, yhat, strict=True)):
        rmsle = math.sqrt(fsum([square(math.log1p(b) - math.log1p(a)) for a, b in zip(y, yhat, strict=True)]) / n)
    return Scores(
        "Regression",
        n,
        mse,
        math.sqrt(mse),
        r2=1 - mse / var if var > 0 else math.nan,
        mae=fsum([abs(a - b) for a, b in zip(y, yhat, strict=True)]) / n,
        rmsle=rmsle,
    )


def _logloss(y: list[int], probs: list[list[float]]) -> float:
    if not y:
        return math.nan
    return -fsum([math.log(min(1.0, max(1e-15, p[yi]))) for yi, p in zip(y, probs, strict=True)]) / len(y)


def auc_of(y: list[int], p1: list[float]) -> float:
    """Area under the ROC curve by ranks (ties share the mean rank)."""
    positives = sum(y)
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    order = sorted(range(len(p1)), key=lambda i: p1[i])
    ranks = [0.0] * len(p1)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and p1[order[j + 1]] == p1[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = fsum([r for r, yi in zip(ranks, y, strict=True) if yi == 1])
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _binomial(y: list[int], p1: list[float], domain: list[str]) -> Scores:
    n = len(y)
    if n == 0:
        return Scores("Binomial", 0, math.nan, math.nan, domain=domain)
    mse = fsum([square(yi - p) for yi, p in zip(y, p1, strict=True)]) / n
    var = _variance([float(v) for v in y])
    positives = sum(y)
    negatives = n - positives
    cuts = sorted(set(p1), reverse=True)
    if len(cuts) > MAX_THRESHOLDS:
        step = len(cuts) / MAX_THRESHOLDS
        cuts = [cuts[int(i * step)] for i in range(MAX_THRESHOLDS)]
    by_score = sorted(zip(p1, y, strict=True), key=lambda t: -t[0])
    rows: list[list[Any]] = []
    tp = fp = 0
    pos = 0
    counts: list[tuple[int, int]] = []
    for idx, t in enumerate(cuts):
        while pos < n and by_score[pos][0] >= t:
            tp += by_score[pos][1]
            fp += 1 - by_score[pos][1]
            pos += 1
        fn, tn = positives - tp, negatives - fp
        rows.append([t, *_threshold_metrics(tp, fp, tn, fn), idx])
        counts.append((tp, fp))
    best_f1 = _first_max(rows, 1) if rows else 0
    threshold = rows[best_f1][0] if rows else 0.5
    tp, fp, tn, fn = (rows[best_f1][14], rows[best_f1][13], rows[best_f1][11], rows[best_f1][12]) if rows else (0,) * 4
    max_criteria = []
    for j, name in enumerate(THRESHOLD_METRICS, start=1):
        i_best = _first_max(rows, j)
        max_criteria.append([f"max {name}", rows[i_best][0], float(rows[i_best][j]), i_best])
    pr_auc = _pr_auc(counts, positives)
    err0 = fp / negatives if negatives else 0.0
    err1 = fn / positives if positives else 0.0
    auc = auc_of(y, p1)
    gains = _gains_lift(by_score, positives)
    return Scores(
        "Binomial",
        n,
        mse,
        math.sqrt(mse),
        r2=1 - mse / var if var > 0 else math.nan,
        logloss=_logloss(y, [[1 - p, p] for p in p1]),
        auc=auc,
        pr_auc=pr_auc,
        mean_per_class_error=(err0 + err1) / 2,
        classification_error=(fp + fn) / n,
        lift_top_group=gains[0][3] if gains else math.nan,
        default_threshold=threshold,
        domain=domain,
        confusion=[[tn, fp], [fn, tp]],
        thresholds=rows,
        max_criteria=max_criteria,
        gains_lift=gains,
    )


def _pr_auc(counts: list[tuple[int, int]], positives: int) -> float:
    """The area under the precision-recall curve as H2O-3's AUC2.pr_auc integrates it (after XGBoost): precision
    interpolated between thresholds along the line through their true and false positives, not as a trapezoid
    (so one score for all rows is the positives' share). ``counts``: cumulative (tp, fp) by falling threshold."""
    if not counts:
        return math.nan
    if counts[-1][1] == 0:
        return 1.0
    if counts[-1][0] == 0:
        return 0.0
    area = 0.0
    previous_tp = previous_fp = 0.0
    for tp, fp in counts:
        if tp == previous_tp:
            a, b = 1.0, 0.0
        else:
            h = (fp - previous_fp) / (tp - previous_tp)
            a, b = 1.0 + h, (previous_fp - h * previous_tp) / positives
        recall, previous_recall = tp / positives, previous_tp / positives
        if b != 0.0:
            area += (
                recall - previous_recall - b / a * (math.log(a * recall + b) - math.log(a * previous_recall + b))
            ) / a
        else:
            area += (recall - previous_recall) / a
        previous_tp, previous_fp = tp, fp
    return area


def _first_max(rows: list[list[Any]], column: int) -> int:
    best = 0
    for i, row in enumerate(rows):
        if row[column] > rows[best][column]:
            best = i
    return best


def _threshold_metrics(tp: int, fp: int, tn: int, fn: int) -> list[float | int]:
    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    precision = ratio(tp, tp + fp) if tp + fp else 1.0
    recall = ratio(tp, tp + fn)
    specificity = ratio(tn, tn + fp)

    def fbeta(beta: float) -> float:
        b2 = beta * beta
        return ratio((1 + b2) * precision * recall, b2 * precision + recall)

    denom = math.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = abs(ratio(tp * tn - fp * fn, denom))
    accuracy = ratio(tp + tn, tp + tn + fp + fn)
    return [
        fbeta(1), fbeta(2), fbeta(0.5), accuracy, precision, recall, specificity, mcc,
        min(recall, specificity), (recall + specificity) / 2, tn, fn, fp, tp,
        specificity, 1 - recall, 1 - specificity, recall,
    ]  # fmt: skip


def _gains_lift(by_score: list[tuple[float, int]], positives: int) -> list[list[Any]]:
    n = len(by_score)
    if n == 0 or positives == 0:
        return []
    rate = positives / n
    rows: list[list[Any]] = []
    start = cum_pos = 0
    cum_score = 0.0
    for frac in GAINS_FRACTIONS:
        stop = max(start, min(n, round(frac * n)))
        while 0 < stop < n and by_score[stop][0] == by_score[stop - 1][0]:
            stop += 1  # rows of one score fall in one group, as a real server's score quantiles make them
        if stop == start:
            continue
        group = by_score[start:stop]
        pos = sum(y for _, y in group)
        cum_pos += pos
        cum_score += fsum([s for s, _ in group])
        resp = pos / len(group)
        cum_resp = cum_pos / stop
        rows.append([
            len(rows) + 1, stop / n, group[-1][0], resp / rate, cum_resp / rate, resp,
            fsum([s for s, _ in group]) / len(group), cum_resp, cum_score / stop, pos / positives,
            cum_pos / positives, 100 * (resp / rate - 1), 100 * (cum_resp / rate - 1),
            abs(cum_pos / positives - (stop - cum_pos) / max(1, n - positives)),
        ])  # fmt: skip
        start = stop
    return rows


def _multinomial(
    y: list[int], probs: list[list[float]], labels: list[int], domain: list[str], priors: Sequence[float] | None
) -> Scores:
    n = len(y)
    k = len(domain)
    if n == 0:  # a real server's mean per-class error of no rows is 0 here (NaN for 2 classes)
        empty = [[0] * k for _ in range(k)]
        hit_ratios = [0.0] * min(k, 10)
        return Scores(
            "Multinomial", 0, math.nan, math.nan, domain=domain, mean_per_class_error=0.0, confusion=empty,
            hit_ratios=hit_ratios,
        )  # fmt: skip
    mse = fsum([square(1 - p[yi]) for yi, p in zip(y, probs, strict=True)]) / n
    confusion = [[0] * k for _ in range(k)]
    hits = [0] * min(k, 10)
    for yi, p, predicted in zip(y, probs, labels, strict=True):
        confusion[yi][predicted] += 1
        _count_hit(hits, yi, predicted, p, priors)
    per_class = [1 - confusion[j][j] / max(1, sum(confusion[j])) for j in range(k)]
    return Scores(
        "Multinomial",
        n,
        mse,
        math.sqrt(mse),
        r2=1 - mse / _variance([float(v) for v in y]) if _variance([float(v) for v in y]) > 0 else math.nan,
        logloss=_logloss(y, probs),
        mean_per_class_error=fsum(per_class) / max(1, k),
        classification_error=1 - sum(confusion[j][j] for j in range(k)) / n,
        domain=domain,
        confusion=confusion,
        hit_ratios=[h / n for h in itertools.accumulate(hits)],  # top-k: the actual class at any rank up to k
    )


def _count_hit(
    hits: list[int], actual: int, predicted: int, probs: list[float], priors: Sequence[float] | None
) -> None:
    """Count the rank at which the actual class is among the top ones, as H2O-3's ``updateHits`` ranks them: the
    predicted class first, then each next by the tie-breaking pick, hashing the row's scores (label, then
    probabilities), with each picked class's probability zeroed."""
    if actual == predicted:
        hits[0] += 1
        return
    scores = [float(predicted), *probs]
    left = list(probs)
    left[predicted] = 0.0
    for rank in range(1, len(hits)):
        picked = tiebreak.label(left, priors, scores)
        left[picked] = 0.0
        if picked == actual:
            hits[rank] += 1
            return
    if len(hits) == len(probs):  # every class ranked and the actual one never met: counted last, as a real one does
        hits[-1] += 1


def _confusion_table(scores: Scores) -> JSONDict:
    domain = scores.domain or []
    rows: list[list[Any]] = []
    totals = [0] * len(domain)
    errors = wrong_total = 0
    for j, counts in enumerate(scores.confusion):
        wrong = sum(counts) - counts[j]
        rows.append([*counts, wrong / sum(counts) if sum(counts) else math.nan, f"{wrong:,} / {sum(counts):,}"])
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        errors += wrong
        wrong_total += sum(counts)
    rows.append([*totals, errors / wrong_total if wrong_total else math.nan, f"{errors:,} / {wrong_total:,}"])
    columns = [(level, "long", "%d", level) for level in domain]
    columns += [("Error", "double", "%.4f", "Error"), ("Rate", "string", "= %8s", "Rate")]
    table = two_dim_table("Confusion Matrix", "Row labels: Actual class; Column labels: Predicted class", columns, rows)
    return {"__meta": meta("ConfusionMatrixV3", "ConfusionMatrix"), "table": table}


def metrics_json(
    scores: Scores,
    *,
    model: str,
    model_checksum: int,
    frame: str,
    frame_checksum: int,
    scoring_time: int,
    glm: bool = False,
    glm_extra: JSONDict | None = None,
    description: str | None = None,
) -> JSONDict:
    """The ModelMetrics*V3 body of some scores (the GLM variants when ``glm``)."""
    name = f"ModelMetrics{scores.category}{'GLM' if glm else ''}V3"
    body = metadata.skeleton(name)
    body.update(
        model=key(model, "Model"),
        model_checksum=model_checksum,
        frame=key(frame, "Frame"),
        frame_checksum=frame_checksum,
        description=description,
        model_category=scores.category,
        scoring_time=scoring_time,
        predictions=None,
        MSE=scores.mse,
        RMSE=scores.rmse,
        nobs=scores.nobs,
        custom_metric_name=None,
        custom_metric_value=0.0,
        r2=scores.r2,
        loglikelihood=math.nan,
        AIC=math.nan,
    )
    if scores.category == "Regression":
        body.update(mean_residual_deviance=scores.mse, mae=scores.mae, rmsle=scores.rmsle)
    else:
        body.update(
            logloss=scores.logloss, mean_per_class_error=scores.mean_per_class_error, cm=_confusion_table(scores)
        )
    if scores.category == "Binomial":
        body.update(
            AUC=scores.auc,
            pr_auc=scores.pr_auc,
            Gini=2 * scores.auc - 1,
            domain=scores.domain,
            thresholds_and_metric_scores=two_dim_table(
                "Metrics for Thresholds",
                "Binomial metrics as a function of classification thresholds",
                [("threshold", "double", "%f", "Threshold")]
                + [(m, "long" if m in ("tns", "fns", "fps", "tps") else "double", "%f", m) for m in THRESHOLD_METRICS]
                + [("idx", "int", "%d", "idx")],
                scores.thresholds,
            ),
            max_criteria_and_metric_scores=two_dim_table(
                "Maximum Metrics",
                "Maximum metrics at their respective thresholds",
                [
                    ("metric", "string", "%s", "Metric"),
                    ("threshold", "double", "%f", "Threshold"),
                    ("value", "double", "%f", "Value"),
                    ("idx", "long", "%d", "idx"),
                ],
                scores.max_criteria,
            ),
            gains_lift_table=_gains_table(scores),
        )
    if scores.category == "Multinomial":
        body.update(
            AUC=math.nan,
            pr_auc=math.nan,
            hit_ratio_table=two_dim_table(
                f"Top-{len(scores.hit_ratios)} Hit Ratios",
                "",
                [("k", "string", "%s", "K"), ("hit_ratio", "float", "%f", "Hit Ratio")],
                [[str(i + 1), h] for i, h in enumerate(scores.hit_ratios)],
            ),
        )
    if glm and glm_extra:
        body.update(glm_extra)
    return body


def _gains_table(scores: Scores) -> JSONDict | None:
    if not scores.gains_lift:
        return None
    columns = [("group", "int", "%d", "Group")] + [
        (n, "double", "%f", n.replace("_", " ").title())
        for n in (
            "cumulative_data_fraction", "lower_threshold", "lift", "cumulative_lift", "response_rate", "score",
            "cumulative_response_rate", "cumulative_score", "capture_rate", "cumulative_capture_rate", "gain",
            "cumulative_gain", "kolmogorov_smirnov",
        )
    ]  # fmt: skip
    return two_dim_table("Gains/Lift Table", "", columns, scores.gains_lift)
