"""Handlers that look inside a trained model: /3/Tree (one tree of a GBM or DRF), /3/GetGLMRegPath, and the
model-kind GETs the mock answers with a real server's refusal only (it trains no Word2Vec or TargetEncoder model):
/3/Word2VecSynonyms, /3/Word2VecTransform, /3/TargetEncoderTransform. Where a real 3.46.0.12 answers 500 (a
ClassCastException, a NullPointerException) the mock answers 400 with the same message and exception type
(mock.DEVIATIONS)."""

from __future__ import annotations

import math
import struct
from typing import Any

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, key_name, required
from h2oharness.apis.h2o3.mockparts.learn import Tree, TreeModel
from h2oharness.apis.h2o3.mockparts.params import from_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, Model
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request, key

# the Java classes a real server names in a ClassCastException
JAVA_MODELS = {
    "gbm": "hex.tree.gbm.GBMModel", "drf": "hex.tree.drf.DRFModel", "glm": "hex.glm.GLMModel",
    "stackedensemble": "hex.ensemble.StackedEnsembleModel",
}  # fmt: skip
WORD2VEC = "hex.word2vec.Word2VecModel"
TARGET_ENCODER = "ai.h2o.targetencoding.TargetEncoderModel"
PLAIN_RULES = ("AUTO", "TRUE", "FALSE")
NPE = "java.lang.NullPointerException"
DEPRECATED = "*** WARNING: This property is deprecated! *** "


def _f32(value: float) -> float:
    """A value as a real tree keeps it, a Java float, written the shortest way that reads back the same float."""
    if math.isnan(value):
        return value
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return float(text)
    return float(single)


def _cast_error(model: Model, wanted: str) -> H2OError:
    have = JAVA_MODELS.get(model.algo, f"hex.{model.algo}.Model")
    text = f"class {have} cannot be cast to class {wanted} ({have} and {wanted} are in unnamed module of loader 'app')"
    return H2OError(400, text, "java.lang.ClassCastException")


def _source_model(state: H2O3MockState, name: str) -> Model:
    with state.lock:
        found = state.models.get(name)
    if found is None:
        raise bad_request(f"missing source model Key<Model> {name}")
    return found


def glm_regularization_path(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/GetGLMRegPath: a GLM's one lambda (the mock fits no path): its coefficients, Intercept last."""
    values = call.values("GLMRegularizationPathV3")
    found = _source_model(state, str(key_name(required(values, "model"))))
    if found.algo != "glm":
        raise _cast_error(found, "hex.glm.GLMModel")
    output = found.body["output"]
    names, raw, standardized = output["coefficients_table"]["data"][:3]
    order = [i for i, n in enumerate(names) if n != "Intercept"] + [i for i, n in enumerate(names) if n == "Intercept"]
    actual = {p["name"]: p["actual_value"] for p in found.body["parameters"]}
    metrics = output.get("training_metrics") or {}
    null, residual = metrics.get("null_deviance"), metrics.get("residual_deviance")
    explained = 1 - residual / null if isinstance(null, float) and isinstance(residual, float) and null else "NaN"
    body = metadata.skeleton("GLMRegularizationPathV3")
    body.update(
        lambdas=list(actual.get("lambda") or []),
        alphas=list(actual.get("alpha") or []),
        explained_deviance_train=[explained],
        coefficients=[[raw[i] for i in order]],
        coefficients_std=[[standardized[i] for i in order]],
        coefficient_names=[names[i] for i in order],
    )
    return Reply(body)


def word2vec_synonyms(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Word2VecSynonyms: no model of the mock is a Word2Vec model."""
    values = call.values("Word2VecSynonymsV3")
    for name in ("count", "word", "model"):
        required(values, name)
    raise _cast_error(_source_model(state, str(key_name(values["model"]))), WORD2VEC)


def word2vec_transform(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Word2VecTransform: no model of the mock is a Word2Vec model."""
    values = call.values("Word2VecTransformV3")
    for name in ("words_frame", "model"):
        required(values, name)
    raise _cast_error(_source_model(state, str(key_name(values["model"]))), WORD2VEC)


def target_encoder_transform(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/TargetEncoderTransform: no model of the mock is a TargetEncoder model."""
    values = call.values("TargetEncoderTransformParametersV3")
    name = key_name(values.get("model"))
    if name is None:
        raise H2OError(400, 'Cannot invoke "water.Key.get()" because "parameters._model" is null', NPE)
    with state.lock:
        found = state.models.get(name)
    if found is None:
        raise H2OError(400, 'Cannot read field "_parms" because "model" is null', NPE)
    raise _cast_error(found, TARGET_ENCODER)


def tree(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Tree: one tree of a GBM or DRF, its nodes numbered as the mock grew them (root 0)."""
    # the handler, not the schema, reads plain_language_rules (Enum.valueOf: exact case, its own message)
    values = from_form("TreeV3", {k: v for k, v in call.strings.items() if k != "plain_language_rules"})
    name = str(key_name(required(values, "model")))
    number = int(required(values, "tree_number"))
    with state.lock:
        found = state.models.get(name)
    if found is None:
        raise bad_request(f"Given model does not exist: {name}")
    fitted = found.fitted
    if not isinstance(fitted, TreeModel):
        raise bad_request("Given model is not tree-based.")
    if number < 0:
        raise bad_request(f"Invalid tree number: {number}. Tree number must be >= 0.")
    if number >= len(fitted.trees):
        raise bad_request(f"Invalid tree index: {number}. Tree index must be in range [0, {len(fitted.trees) - 1}].")
    klass, tree_class = _tree_class(found, str(values.get("tree_class") or "").strip())
    rules = call.strings.get("plain_language_rules")
    if rules is None:
        raise H2OError(
            400, 'Cannot invoke "hex.tree.TreeHandler$PlainLanguageRules.equals(Object)" because "plainLanguageRules" '
            "is null", NPE)  # fmt: skip
    if str(rules) not in PLAIN_RULES:
        raise bad_request(f"No enum constant hex.tree.TreeHandler.PlainLanguageRules.{rules}")
    body = metadata.skeleton("TreeV3")
    body.update(model=key(name, "Model"), tree_number=number, tree_class=tree_class, plain_language_rules=str(rules))
    body.update(_nodes(fitted.trees[number][klass], fitted.features, fitted.domains, plain=str(rules) != "FALSE"))
    return Reply(body)


def _tree_class(model: Model, asked: str) -> tuple[int, str | None]:
    domain = model.response_domain
    if domain is None:
        if asked:
            raise bad_request(f"There are no tree classes for {model.category}.")
        return 0, None
    if len(domain) == 2:
        if asked and asked != domain[0]:
            raise bad_request(f"For binomial, only one tree class has been built per each iteration: {domain[0]}")
        return 0, domain[0]
    if asked not in domain:
        raise bad_request(
            f"There is no such tree class. Given categorical level does not exist in response column: {asked}"
        )
    return domain.index(asked), asked


def _nodes(t: Tree, features: list[str], domains: list[list[str] | None], *, plain: bool) -> dict[str, Any]:
    n = len(t.value)
    leaf = [t.feature[i] < 0 for i in range(n)]
    # an enum split sends the levels at or below its threshold left: a real tree names them on the children
    levels: list[list[int] | None] = [None] * n
    for i in range(n):
        domain = None if leaf[i] else domains[t.feature[i]]
        if domain is not None:
            cut = t.threshold[i]
            levels[t.left[i]] = [j for j in range(len(domain)) if j <= cut]
            levels[t.right[i]] = [j for j in range(len(domain)) if j > cut]
    thresholds = ["NaN" if leaf[i] or domains[t.feature[i]] is not None else _f32(t.threshold[i]) for i in range(n)]
    paths = _paths(t, features, domains) if plain else [None] * n
    return {
        "left_children": [-1 if leaf[i] else t.left[i] for i in range(n)],
        "right_children": [-1 if leaf[i] else t.right[i] for i in range(n)],
        "root_node_id": 0,
        "thresholds": thresholds,
        "features": [None if leaf[i] else features[t.feature[i]] for i in range(n)],
        "nas": [None if leaf[i] else ("LEFT" if t.nan_left[i] else "RIGHT") for i in range(n)],
        "descriptions": [_description(t, i, features) for i in range(n)],
        "levels": levels,
        "predictions": [_f32(v) for v in t.value],
        "tree_decision_path": _decision_text(t, 0, features, domains, 0) if plain else None,
        "decision_paths": paths,
    }


def _condition(t: Tree, i: int, features: list[str], domains: list[list[str] | None], left: bool) -> str:
    name, domain = features[t.feature[i]], domains[t.feature[i]]
    nan = " or " + name + " is NaN" if t.nan_left[i] == left else ""
    if domain is not None:
        cut = t.threshold[i]
        chosen = [lv for j, lv in enumerate(domain) if (j <= cut) == left]
        return f"If ({name} is in [{' '.join(chosen)} ]){nan}"
    sign = "<" if left else ">="
    return f"If ( {name} {sign} {_f32(t.threshold[i])}{nan} )"


def _paths(t: Tree, features: list[str], domains: list[list[str] | None]) -> list[str | None]:
    out: list[str | None] = [None] * len(t.value)
    stack: list[tuple[int, list[str]]] = [(0, [])]
    while stack:
        i, steps = stack.pop()
        if t.feature[i] < 0:
            out[i] = " -> ".join([*steps, f"Prediction: {_f32(t.value[i])}"])
            continue
        stack.append((t.left[i], [*steps, _condition(t, i, features, domains, True)]))
        stack.append((t.right[i], [*steps, _condition(t, i, features, domains, False)]))
    if t.feature[0] < 0:
        out[0] = f"Predicted value: {_f32(t.value[0])}"
    return out


def _decision_text(t: Tree, i: int, features: list[str], domains: list[list[str] | None], depth: int) -> str:
    pad = "\t" * depth
    if t.feature[i] < 0:
        return f"{pad}Predicted value: {_f32(t.value[i])}\n"
    left = _decision_text(t, t.left[i], features, domains, depth + 1)
    right = _decision_text(t, t.right[i], features, domains, depth + 1)
    return f"{pad}{_condition(t, i, features, domains, True)} {{\n{left}{pad}}} else {{\n{right}{pad}}}\n"


def _description(t: Tree, i: int, features: list[str]) -> str:
    where = (
        f"Root node has id 0 and splits on column '{features[t.feature[i]]}'."
        if i == 0 and t.feature[0] >= 0
        else (f"Node has id {i} and is a terminal node.")
    )
    if t.feature[i] >= 0:
        cut = _f32(t.threshold[i])
        where += (
            f" Split threshold is  < {cut} to the left node ({t.left[i]}),  >= {cut} to the right node ({t.right[i]})."
        )
    prediction = t.value[i]
    return f"{DEPRECATED}{where} Prediction: {_f32(prediction) if not math.isnan(prediction) else 'NaN'}."
