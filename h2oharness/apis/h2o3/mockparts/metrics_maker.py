"""POST /3/ModelMetrics/predictions_frame/{p}/actuals_frame/{a} (h2o.make_metrics): metrics of predictions a user
gives against the actual values, with no model. A domain of two levels makes binomial metrics from a one-column
frame of class-1 probabilities, more levels multinomial ones from a column per class, no domain regression metrics
(gaussian, or laplace's mean absolute deviance)."""

from __future__ import annotations

import math
import struct

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame, key_name
from h2oharness.apis.h2o3.mockparts.frames import Column, Frame
from h2oharness.apis.h2o3.mockparts.learn import Category
from h2oharness.apis.h2o3.mockparts.metrics import metrics_json, score
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.tiebreak import label
from h2oharness.apis.h2o3.mockparts.wire import H2OError, JSONDict, bad_request, precondition

#: distributions whose deviance the mock computes; a real server knows more (mock.DEVIATIONS)
DEVIANCES = ("gaussian", "laplace")
NO_AUC_TYPE = 'Cannot invoke "hex.MultinomialAucType.equals(Object)" because "aucType" is null'


def make(state: H2O3MockState, call: Call) -> Reply:
    """The ModelMetricsMakerSchemaV3 echoing the request, its model_metrics those of the predictions."""
    values = call.values("ModelMetricsMakerSchemaV3")
    predicted_name, actual_name = call.path_params["predictions_frame"], call.path_params["actuals_frame"]
    with state.lock:
        predicted = find_frame(state, predicted_name, "predictions_frame", "make")
        actual = find_frame(state, actual_name, "actuals_frame", "make")
    for extra in ("weights_frame", "treatment_frame"):
        name = key_name(values.get(extra))
        if name is not None:
            with state.lock:
                find_frame(state, name, extra, "make")
            raise bad_request(f"The mock makes metrics without {extra}")
    domain = [str(d) for d in values["domain"]] if values.get("domain") else None
    distribution = str(values["distribution"]) if values.get("distribution") else None
    if domain is None:
        metrics = _regression(predicted, actual, distribution or "gaussian", state.epoch_ms())
    else:
        metrics = _classification(predicted, actual, domain, state.epoch_ms(), bool(values.get("auc_type")))
    body = metadata.skeleton("ModelMetricsMakerSchemaV3")
    body.update(
        predictions_frame=predicted_name, actuals_frame=actual_name, domain=domain, distribution=distribution,
        auc_type=values.get("auc_type"), model_metrics=metrics,
    )  # fmt: skip
    return Reply(body)


def _first(frame: Frame) -> Column:
    if not frame.columns:
        raise bad_request(f"Frame {frame.name} has no columns")
    return frame.columns[0]


def _regression(predicted: Frame, actual: Frame, distribution: str, scoring_time: int) -> JSONDict:
    yhat_col, y_col = _first(predicted), _first(actual)
    if yhat_col.domain is not None or not yhat_col.has_numbers:
        raise bad_request("Predicted values must be numeric for regression metrics.")
    if y_col.domain is not None or not y_col.has_numbers:
        raise bad_request("Actual values must be numeric for regression metrics.")
    if distribution not in DEVIANCES:
        raise bad_request(f"The mock makes regression metrics of the distributions {', '.join(DEVIANCES)} only")
    # a real server reads the actual values as Java floats (MetricBuilder.perRow's float[] yact)
    rows = [
        (_float32(y), p)
        for y, p in zip(y_col.numbers, yhat_col.numbers, strict=False)
        if not math.isnan(y) and not math.isnan(p)
    ]
    scores = score("Regression", [y for y, _ in rows], [[p] for _, p in rows], None)
    body = _anonymous(metrics_json(scores, model="", model_checksum=0, frame="", frame_checksum=0, scoring_time=0))
    body["scoring_time"] = scoring_time
    if distribution == "laplace":
        body["mean_residual_deviance"] = scores.mae
    body["description"] = f"Computed on user-given predictions and targets, distribution: {distribution}."
    return body


def _classification(predicted: Frame, actual: Frame, domain: list[str], scoring_time: int, auc_type: bool) -> JSONDict:
    k = len(domain)
    if k == 2 and len(predicted.columns) != 1:
        raise precondition(
            "Illegal argument: predictions_frame of function: make: For domains with 2 class labels, the "
            "predictions_frame must have exactly one column containing the class-1 probabilities."
        )
    if k > 2 and len(predicted.columns) != k:
        raise precondition(
            f"Illegal argument: predictions_frame of function: make: For domains with {k} class labels, the "
            f"predictions_frame must have exactly {k} columns containing the class-probabilities."
        )
    if k > 2 and not auc_type:
        # a real server answers 500; the mock 400 with its message (mock.DEVIATIONS)
        raise H2OError(400, NO_AUC_TYPE, "java.lang.NullPointerException")
    labels = _classes(_first(actual), domain)
    if k == 2:
        probabilities = [[1 - p, p] for p in predicted.columns[0].numbers]
    else:
        probabilities = [list(row) for row in zip(*(c.numbers for c in predicted.columns), strict=True)]
    rows = _tie_rows(probabilities) if k > 2 else None
    kept = [i for i, y in enumerate(labels) if not math.isnan(y) and not any(math.isnan(p) for p in probabilities[i])]
    category: Category = "Binomial" if k == 2 else "Multinomial"
    y, kept_probabilities = [labels[i] for i in kept], [probabilities[i] for i in kept]
    scores = score(category, y, kept_probabilities, domain, rows=[rows[i] for i in kept] if rows else None)
    body = _anonymous(metrics_json(scores, model="", model_checksum=0, frame="", frame_checksum=0, scoring_time=0))
    body["scoring_time"] = scoring_time
    body["description"] = "Computed on user-given predictions and labels" + (
        f", using F1-optimal threshold: {scores.default_threshold}." if k == 2 else "."
    )
    table = body.get("hit_ratio_table")
    if table and scores.nobs:
        table["data"][1] = _float_hit_ratios(scores.hit_ratios, scores.nobs)
    return body


def _float_hit_ratios(cumulative: list[float], rows: int) -> list[float]:
    """Hit ratios as a real server sums them: each rank's share of the rows a Java float, added up in floats."""
    out, total, before = [], 0.0, 0.0
    for ratio in cumulative:
        hits = round((ratio - before) * rows)
        before = ratio
        total = _float32(total + _float32(hits / rows))
        out.append(_shortest_float32(total))
    return out


def _tie_rows(probabilities: list[list[float]]) -> list[list[float]]:
    """The data a real server hashes to break a tie for each row: its array of the row's probabilities, led by the
    label it predicted for the row before (0 for the first: one chunk's rows, as a small frame has)."""
    rows, previous = [], 0.0
    for p in probabilities:
        row = [previous, *p]
        rows.append(row)
        previous = float(label(p, None, row))
    return rows


def _classes(col: Column, domain: list[str]) -> list[float]:
    """The actual classes as indices into ``domain``: an enum's levels by name, numbers as the indices."""
    if col.domain is not None:
        index = {level: float(j) for j, level in enumerate(domain)}
        unknown = [level for level in col.domain if level not in index]
        if unknown:
            # a real server fails in its scoring (500 DistributedException, an index out of bounds)
            raise bad_request(f"The actual levels {unknown} are not in the domain {domain}")
        return [index[col.domain[int(v)]] if not math.isnan(v) else math.nan for v in col.numbers]
    if not col.has_numbers:
        raise bad_request("Actual values must be numeric or categorical.")
    return [v if not math.isnan(v) and 0 <= v < len(domain) and v == int(v) else math.nan for v in col.numbers]


def _shortest_float32(value: float) -> float:
    """A Java float as its JSON shows it: the shortest decimal that reads back as the same float."""
    if not math.isfinite(value):
        return value
    single = _float32(value)
    for digits in range(1, 10):
        text = float(f"{single:.{digits}g}")
        if _float32(text) == single:
            return text
    return single


def _float32(value: float) -> float:
    if not math.isfinite(value):
        return value
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _anonymous(body: JSONDict) -> JSONDict:
    """Metrics of no model on no stored frame, as a real server sends them."""
    body.update(model=None, frame=None, model_checksum=0, frame_checksum=0, model_category=None)
    return body
