"""Model builders of the mock (GBM, DRF, GLM): parameters, H2O-3's validation and the builder answers.

Validation answers were copied from a real 3.46.0.12: an unknown parameter or an
unconvertible number is 412 H2OErrorV3, a bad enum value 400, an unknown training
frame 400 "doesn't exist in DKV", and model-level problems (response column
missing or unknown, ntrees or learn_rate out of range, a GLM family that does not
fit the response, a frame with fewer than twice GBM's or DRF's ``min_rows``
weighted rows) 412 H2OModelBuilderErrorV3 whose ``error_count`` is twice the
number of ERRR messages, as the real server counts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from h2oharness.apis.h2o3.mockparts import learn, metadata
from h2oharness.apis.h2o3.mockparts.doubles import java_string
from h2oharness.apis.h2o3.mockparts.frames import SETUP_TYPE, Column, Frame
from h2oharness.apis.h2o3.mockparts.javaset import hash_set_order
from h2oharness.apis.h2o3.mockparts.params import OBJECT_ARRAYS, KeyRef
from h2oharness.apis.h2o3.mockparts.wire import (
    BUILDER_ILLEGAL,
    H2OError,
    JSONDict,
    bad_request,
    col_specifier,
    key,
    meta,
)


@dataclass(frozen=True)
class AlgoInfo:
    """What ``GET /3/ModelBuilders`` says about an algorithm."""

    name: str
    full_name: str
    can_build: tuple[str, ...]
    visibility: str
    supervised: bool

    @property
    def upper(self) -> str:
        """The prefix of the algorithm's schemas and model ids (GBM, DRF, GLM)."""
        return self.name.upper()


ALGOS = {
    "drf": AlgoInfo("drf", "Distributed Random Forest", ("Regression", "Binomial", "Multinomial"), "Stable", True),
    "gbm": AlgoInfo("gbm", "Gradient Boosting Machine", ("Regression", "Binomial", "Multinomial"), "Stable", True),
    "glm": AlgoInfo(
        "glm", "Generalized Linear Modeling", ("Regression", "Binomial", "Multinomial", "Ordinal"), "Stable", True
    ),
}
NUMERIC_FAMILIES = ("gaussian", "poisson", "gamma", "tweedie", "negativebinomial")
COMMON_TRACES = (
    ("keep_cross_validation_models", "Only for cross-validation."),
    ("keep_cross_validation_predictions", "Only for cross-validation."),
    ("keep_cross_validation_fold_assignment", "Only for cross-validation."),
    ("fold_assignment", "Only for cross-validation."),
    ("tweedie_power", "Only for Tweedie Distribution."),
    ("tweedie_power", "Tweedie power is only used for Tweedie distribution."),
    ("quantile_alpha", "Quantile (alpha) is only used for Quantile regression."),
    ("max_after_balance_size", "Balance classes is false, hide max_after_balance_size"),
)
CV_TRACES = COMMON_TRACES[:4]
TWEEDIE_HINT = "Only for Tweedie Distribution."
QUANTILE_HINT = "Quantile (alpha) is only used for Quantile regression."
DIST_TRACES = COMMON_TRACES[5:7]
FOLD_COLUMN_TRACE = ("fold_column", "Fold column is ignored when nfolds > 1.")
RESPONSE_NOT_SET = "Response column parameter not set."
RESPONSE_NOT_FOUND = "not found in the training frame"
SPECIAL_COLUMNS = (("weights_column", "Weights"), ("offset_column", "Offset"), ("fold_column", "Fold"))
OFFSET_IS_WEIGHTS = "Offset must be different from weights"
DRF_NO_OFFSET = "Offsets are not yet supported for DRF."
REGRESSION_TRACES = (
    ("balance_classes", "Balance classes is only applicable to classification problems."),
    ("class_sampling_factors", "Class sampling factors is only applicable to classification problems."),
    ("max_after_balance_size", "Max after balance size is only applicable to classification problems."),
    ("max_confusion_matrix_size", "Max confusion matrix size is only applicable to classification problems."),
)
TAIL_TRACES = (
    ("max_confusion_matrix_size", "Only for multi-class classification problems."),
    ("max_after_balance_size", "Only used with balanced classes"),
    ("class_sampling_factors", "Class sampling factors is only applicable if balancing classes."),
)
GLM_TRACES = (
    ("balance_classes", "Not applicable since class balancing is not required for GLM."),
    ("max_after_balance_size", "Not applicable since class balancing is not required for GLM."),
    ("class_sampling_factors", "Not applicable since class balancing is not required for GLM."),
    ("tweedie_variance_power", "Only applicable with Tweedie family"),
    ("tweedie_link_power", "Only applicable with Tweedie family"),
    ("theta", "Only applicable with Negative Binomial family"),
    ("lambda_min_ratio", "only applies if lambda search is on."),
    ("nlambdas", "only applies if lambda search is on."),
    ("early_stopping", "only applies if lambda search is on."),
)
# what SharedTree, GBM and DRF check, after ModelBuilder's hints
TREE_FIELDS = frozenset({"ntrees", "max_depth", "min_rows", "sample_rate", "learn_rate", "distribution"})
LOG_LEVELS = {"ERRR": 1, "WARN": 2, "INFO": 3, "TRACE": 5}
# the hint a real server appends to a response that does not fit the family or distribution
BINARY_RESPONSE_WARNING = (
    "We have detected that your response column has only 2 unique values (0/1). If you wish to train a binary "
    "model instead of a regression model, convert your target column to categorical before training."
)
RESPONSE_HINT = "\n\nFor more information visit:\n  https://github.com/h2oai/h2o-3/discussions/15513"


def params_schema(algo: str) -> str:
    """The parameters schema of an algorithm (GBMParametersV3, ...)."""
    return f"{ALGOS[algo].upper}ParametersV3"


def defaults(algo: str) -> dict[str, Any]:
    """Every parameter of an algorithm at its default, as the mock holds values."""
    out: dict[str, Any] = {}
    for spec in metadata.input_fields(params_schema(algo)).values():
        value = spec.default
        if isinstance(value, dict) and "name" in value:
            value = KeyRef(value["name"], spec.type)
        out[spec.name] = value
    return out


def default_model_id(algo: str, cloud_id: int, number: int) -> str:
    """H2O-3's generated model id."""
    return f"{ALGOS[algo].upper}_model_python_{cloud_id}_{number}"


# ---------------------------------------------------------------- validation


def _response_column(values: dict[str, Any], frame: Frame) -> Column | None:
    name = values.get("response_column")
    return frame.column(name) if name is not None else None


def glm_family(values: dict[str, Any], response: Column | None) -> str:
    """The GLM family the mock fits: AUTO resolves from the response's type."""
    family = str(values.get("family") or "AUTO").lower()
    if family != "auto":
        return "multinomial" if family == "ordinal" else family
    if response is not None and response.type == "enum":
        return "binomial" if len(response.domain or []) == 2 else "multinomial"
    return "gaussian"


def validate(algo: str, values: dict[str, Any], frame: Frame) -> list[tuple[str, str]]:
    """H2O-3's init-time checks: (field, message) of every ERRR, duplicates included as the server sends them."""
    errors: list[tuple[str, str]] = []
    nfolds = nfolds_of(values)
    if nfolds < 0 or nfolds == 1:
        errors.append(("nfolds", "nfolds must be either 0 or >1."))
    if nfolds > 1 and nfolds > frame.rows:
        errors.append(("nfolds", f"nfolds cannot be larger than the number of rows ({frame.rows})."))
    # an empty name is a column named '', not found, as a real server reads it; only a missing one is not set
    response_name = values.get("response_column")
    response = _response_column(values, frame)
    # ModelBuilder.separateFeatureVecs looks for the special columns, then the response, once before the columns
    # are dropped and once after: each one not found (a name of "" too) is reported twice
    one_pass = [
        (field, f"{label} column '{values[field]}' {RESPONSE_NOT_FOUND}")
        for field, label in SPECIAL_COLUMNS
        if values.get(field) is not None and frame.column(values[field]) is None
    ]
    if response_name is not None and response is None:
        one_pass.append(("response_column", f"Response column '{response_name}' {RESPONSE_NOT_FOUND}"))
    errors += one_pass * 2
    if response is None:
        pass
    elif not response.has_numbers:
        # H2O-3's Vec.TYPE_STR names the type, as ModelBuilder.checkResponseVariable says it
        used = SETUP_TYPE.get(response.type, response.type)
        errors.append(("response_column", f"Use numerical, categorical or time variable. Currently used {used}"))
    elif values.get("check_constant_response", True) and _constant(response):
        errors.append(("response", "Response cannot be constant."))
    # the training frame's columns after the drops: predictors, the special columns found, the response found
    specials = {str(values.get(s)) for s in ("weights_column", "offset_column", "fold_column") if values.get(s)}
    found = [s for s in specials - {response_name} if frame.column(s) is not None]
    kept = len(predictors(values, frame)) + len(found)
    if kept + (response is not None) <= 1:
        errors.append(("train", "Training data must have at least 2 features (incl. response)."))
    if response_name is None:
        errors.append(("response_column", RESPONSE_NOT_SET))
    if algo in ("gbm", "drf"):
        errors += _tree_errors(algo, values, frame, response)
    if algo == "glm" and response is not None and response.has_numbers:
        family = glm_family(values, response)
        if family in NUMERIC_FAMILIES and response.type == "enum":
            errors.append(("response", "Regression requires numeric response, got categorical." + RESPONSE_HINT))
        elif family == "binomial" and not _binary(response):
            errors.append(
                ("family", "Binomial requires the response to be a 2-class categorical or a binary numerical column")
            )
        elif family == "multinomial" and response.type != "enum":
            errors.append(("family", "Multinomial requires a categorical response"))
    if (
        algo == "glm"
        and values.get("offset_column") is not None
        and values["offset_column"] == values.get("weights_column")
    ):
        errors.append(("offset_column", OFFSET_IS_WEIGHTS))
    return errors


def _tree_errors(algo: str, values: dict[str, Any], frame: Frame, response: Column | None) -> list[tuple[str, str]]:
    """SharedTree's checks and then GBM's or DRF's, in the order a real server makes them."""
    errors: list[tuple[str, str]] = []
    ntrees = values.get("ntrees", 50)
    if not 0 <= ntrees <= 100_000:  # (0 is accepted, whatever the message says: the model predicts the prior)
        errors.append(("ntrees", "Requested ntrees must be between 1 and 100000"))
    if values.get("max_depth", 0) < 0:
        errors.append(("max_depth", "_max_depth must be >= 0."))
    min_rows = float(values.get("min_rows", 1.0))
    if min_rows <= 0:
        errors.append(("min_rows", "_min_rows must be > 0."))
    weighted = weighted_rows(values, frame)
    if weighted < 2 * min_rows:  # one split needs min_rows (weighted) rows on each side
        errors.append(
            (
                "min_rows",
                f"The dataset size is too small to split for min_rows={java_string(min_rows)}: must have at least "
                f"{java_string(2 * min_rows)} (weighted) rows, but have only {java_string(weighted)}.",
            )
        )
    sample_rate = values.get("sample_rate", 1.0)
    if not 0 < sample_rate <= 1:
        errors.append(("sample_rate", f"sample_rate should be in interval ]0,1] but it is {sample_rate}."))
    if algo == "drf" and values.get("offset_column") is not None:
        errors.append(("offset_column", DRF_NO_OFFSET))
    if algo == "gbm":
        learn_rate = values.get("learn_rate", 0.1)
        if not 0 < learn_rate <= 1:
            errors.append(("learn_rate", "learn_rate must be between 0 and 1"))
        bernoulli = str(values.get("distribution", "AUTO")).lower() == "bernoulli"
        if bernoulli and response is not None and (response.type != "enum" or len(response.domain or []) != 2):
            errors.append(
                ("distribution", "Binomial requires the response to be a 2-class categorical" + RESPONSE_HINT)
            )
    return errors


def weighted_rows(values: dict[str, Any], frame: Frame) -> float:
    """The training frame's rows, times the mean weight when a weights column is given (its sum, as H2O-3 counts)."""
    weights = frame.column(values.get("weights_column") or "")
    if weights is None or not weights.has_numbers:
        return float(frame.rows)
    return frame.rows * weights.rollups().mean


def response_warnings(values: dict[str, Any], frame: Frame) -> list[tuple[str, str]]:
    """The WARN for a numeric response of two values, 0 and 1 (or -1 and 1), as ModelBuilder.init sends it: before a
    GLM of the binomial family makes its response categorical too."""
    response = _response_column(values, frame)
    if response is None or response.type == "enum" or not response.has_numbers:
        return []
    seen = {v for v in response.numbers if not math.isnan(v)}
    return [("response", BINARY_RESPONSE_WARNING)] if seen in ({0.0, 1.0}, {-1.0, 1.0}) else []


def _constant(col: Column) -> bool:
    r = col.rollups()
    return r.missing < col.rows and r.mins[0] == r.maxs[0]


def _binary(col: Column) -> bool:
    if col.type == "enum":
        return len(col.domain or []) == 2
    return {v for v in col.numbers if not math.isnan(v)} <= {0.0, 1.0}


def dropped_columns(values: dict[str, Any], frame: Frame) -> list[str]:
    """The candidate predictors ModelBuilder drops as bad or constant (strings, uuids, all-missing, constant)."""
    if not values.get("ignore_const_cols", True):
        return []
    skip = set(values.get("ignored_columns") or [])
    skip |= {values.get(s) for s in ("response_column", "weights_column", "offset_column", "fold_column")}
    return [c.name for c in frame.columns if c.name not in skip and not learn.usable_predictor(c)]


def drop_warning(dropped: list[str]) -> list[tuple[str, str, str]]:
    """The WARN a real server sends for the columns it drops (none without any), listed as the HashSet it prints
    (ModelBuilder.FilterCols) orders them."""
    listed = ", ".join(hash_set_order(dropped))
    return [("WARN", "train", f"Dropping bad and constant columns: [{listed}]")] if dropped else []


def predictors(values: dict[str, Any], frame: Frame) -> list[str]:
    """The columns a model uses: all but the response, the ignored ones, and ones that cannot feed a model."""
    skip = set(values.get("ignored_columns") or [])
    skip.add(values.get("response_column") or "")
    for special in ("weights_column", "offset_column", "fold_column"):
        if values.get(special):
            skip.add(values[special])
    drop_const = values.get("ignore_const_cols", True)
    chosen = []
    for col in frame.columns:
        if col.name in skip or not col.has_numbers:
            continue
        if drop_const and not learn.usable_predictor(col):
            continue
        chosen.append(col.name)
    return chosen


def nfolds_of(values: dict[str, Any]) -> int:
    """The folds a build asks for (0: no cross-validation)."""
    return int(values.get("nfolds") or 0)


def traces(
    algo: str, category: str, nfolds: int = 0, response: bool = True, unset: bool = False
) -> list[tuple[str, str, str]]:
    """The TRACE hints a real server sends with a build of this algorithm and problem type.

    ``nfolds`` other than 0 drops the cross-validation hints (above 1, fold_column is hinted instead); without a
    response column (not given, or not in the frame) the distribution's two hints are not reached, and a GLM is
    hinted as a regression is; a response column not given at all (``unset``) ends ModelBuilder's hints early.
    """
    items = [FOLD_COLUMN_TRACE] if nfolds > 1 else []
    items += [t for t in COMMON_TRACES if (nfolds == 0 or t not in CV_TRACES) and (response or t not in DIST_TRACES)]
    if category == "Regression" and not unset:
        items += REGRESSION_TRACES
    items += TAIL_TRACES if not unset else ()
    if algo == "glm":
        items += GLM_TRACES
    return [("TRACE", f, m) for f, m in items]


def build_messages(
    algo: str,
    category: str,
    errors: list[tuple[str, str]],
    nfolds: int = 0,
    dropped: list[str] | None = None,
    warnings: list[tuple[str, str]] | None = None,
) -> list[tuple[str, str, str]]:
    """The validation messages of a build: the hints with each ERRR (and the WARN for ``dropped`` columns, and the
    response's ``warnings`` from ``response_warnings``) where a real server puts them.

    nfolds's errors come first of all; ModelBuilder's other checks land amid its hints: a response column not found
    is reported before and again after the columns are dropped, a training frame left with too few columns and a
    response column not given come later than the others; SharedTree's and GBM's or DRF's come after them all.
    """
    no_response = [
        e
        for e in errors
        if e[1] == RESPONSE_NOT_SET or (e[0] == "response_column" and e[1].endswith(RESPONSE_NOT_FOUND))
    ]
    unset = [e for e in no_response if e[1] == RESPONSE_NOT_SET]
    messages = traces(algo, category, nfolds, response=not no_response, unset=bool(unset))

    def is_late(field: str, message: str) -> bool:  # SharedTree's and GBM's or DRF's checks
        return algo in ("gbm", "drf") and (field in TREE_FIELDS or message == DRF_NO_OFFSET)

    # each column not found is reported in two passes, the columns dropped between them
    not_found = [("ERRR", f, m) for f, m in errors if m.endswith(RESPONSE_NOT_FOUND)]
    half = len(not_found) // 2
    later = [("ERRR", f, m) for f, m in errors if f == "train" or (f, m) in unset]
    glm_late = [("ERRR", f, m) for f, m in errors if m == OFFSET_IS_WEIGHTS]
    early = [
        ("ERRR", f, m)
        for f, m in errors
        if not is_late(f, m)
        and f not in ("nfolds", "train")
        and (f, m) not in unset
        and not m.endswith(RESPONSE_NOT_FOUND)
        and m != OFFSET_IS_WEIGHTS
    ]
    around_drop = [*not_found[:half], *drop_warning(dropped or []), *not_found[half:], *early]
    if glm_late:  # GLM's own check, after its class-balancing hints (three of the same text)
        at = next(i for i, (_, _, m) in enumerate(messages) if m == GLM_TRACES[3][1])
        messages[at:at] = glm_late
    for after, placed in (
        ("Balance classes is false, hide max_after_balance_size", later),
        (QUANTILE_HINT, [("WARN", f, m) for f, m in warnings or []]),
        (TWEEDIE_HINT, around_drop),
    ):
        if not placed:
            continue
        at = next(i for i, (_, _, m) in enumerate(messages) if m == after) + 1
        messages[at:at] = placed
    messages[:0] = [("ERRR", f, m) for f, m in errors if f == "nfolds"]
    messages += [("ERRR", f, m) for f, m in errors if is_late(f, m)]
    return messages


def messages_json(messages: list[tuple[str, str, str]]) -> list[JSONDict]:
    """ValidationMessageV3 objects."""
    return [
        {"__meta": meta("ValidationMessageV3", "ValidationMessage"), "message_type": t, "field_name": f, "message": m}
        for t, f, m in messages
    ]


def category_of(algo: str, values: dict[str, Any], frame: Frame) -> str:
    """Regression, Binomial or Multinomial, from the response (and a GLM's family)."""
    response = _response_column(values, frame)
    if response is None:
        return "Regression"
    if algo == "glm":
        family = glm_family(values, response)
        return {"binomial": "Binomial", "multinomial": "Multinomial"}.get(family, "Regression")
    if response.type == "enum":
        return "Binomial" if len(response.domain or []) == 2 else "Multinomial"
    return "Regression"


# ---------------------------------------------------------------- JSON renderings of parameters


def _render_value(value: Any, spec_type: str) -> Any:
    if isinstance(value, KeyRef):
        kind = "Model" if "Model" in spec_type else "Frame"
        return key(value.name, kind)
    if spec_type == "VecSpecifier" and isinstance(value, str):
        return col_specifier(value)
    if spec_type in OBJECT_ARRAYS and isinstance(value, list):
        schema = OBJECT_ARRAYS[spec_type][0]
        return [{"__meta": meta(schema, spec_type[:-2]), **item} for item in value if isinstance(item, dict)]
    return value


def parameters_list(
    algo: str,
    values: dict[str, Any],
    given: dict[str, Any],
    *,
    actual: dict[str, Any] | None = None,
    omit: frozenset[str] = frozenset(),
) -> list[JSONDict]:
    """ModelParameterSchemaV3 entries: each parameter's default, actual and input value.

    ``actual`` overrides ``values`` in the actual_value column (what a real server resolved AUTO to); ``omit``
    drops names a real model's list lacks.
    """
    out = []
    resolved = {**values, **(actual or {})}
    for spec in metadata.input_fields(params_schema(algo)).values():
        if not spec.json or spec.name in omit:
            continue
        out.append(
            parameter_entry(
                spec, _render_value(resolved.get(spec.name), spec.type), _render_value(given.get(spec.name), spec.type)
            )
        )
    return out


def parameter_entry(spec: Any, actual: Any, given: Any) -> JSONDict:
    """One ModelParameterSchemaV3 of a model's parameter list: the field's metadata with its actual and input value."""
    return {
        "__meta": meta("ModelParameterSchemaV3", "Iced"),
        "name": spec.name,
        "label": spec.name,
        "help": spec.help,
        "required": spec.required,
        "type": spec.type,
        "default_value": spec.default,
        "actual_value": actual,
        "input_value": given,
        "level": spec.level,
        "values": list(spec.values),
        "is_member_of_frames": list(spec.member_of_frames),
        "is_mutually_exclusive_with": list(spec.exclusive_with),
        "gridable": spec.gridable,
    }


def parameters_object(algo: str, values: dict[str, Any]) -> JSONDict:
    """A GBMParametersV3 (etc.) instance holding the values."""
    body = metadata.skeleton(params_schema(algo))
    specs = metadata.fields(params_schema(algo))
    for name, value in values.items():
        if name in body and name in specs:
            body[name] = _render_value(value, specs[name].type)
    return body


def builder_error(
    algo: str,
    model_id: str,
    errors: list[tuple[str, str]],
    values: dict[str, Any],
    category: str,
    dropped: list[str] | None = None,
    warnings: list[tuple[str, str]] | None = None,
) -> H2OError:
    """The 412 H2OModelBuilderErrorV3 a real server sends when a build fails validation."""
    info = ALGOS[algo]
    messages = build_messages(algo, category, errors, nfolds_of(values), dropped, warnings)
    # the details list the ERRRs in the order of the messages
    details = "\n".join(f"ERRR on field: _{f}: {m}" for t, f, m in messages if t == "ERRR")
    text = f"Illegal argument(s) for {info.upper} model: {model_id}.  Details: {details}\n"
    extra = {
        "parameters": parameters_object(algo, values),
        "messages": messages_json(messages),
        "error_count": 2 * len(errors),
    }
    internal = {
        "messages": [{"_log_level": LOG_LEVELS[t], "_field_name": f"_{f}", "_message": m} for t, f, m in messages],
        "algo": info.upper,
        "parameters": {f"_{k}": _internal(v) for k, v in values.items()},
        "error_count": 2 * len(errors),
    }
    return H2OError(
        412,
        text,
        BUILDER_ILLEGAL,
        values=internal,
        extra=extra,
        schema="H2OModelBuilderErrorV3",
        url=f"/3/ModelBuilders/{algo}",
    )


def _internal(value: Any) -> Any:
    if isinstance(value, KeyRef):
        return {"name": value.name, "type": "Key"}
    return value


def builder_response(
    algo: str,
    *,
    job: JSONDict | None,
    messages: list[tuple[str, str, str]],
    values: dict[str, Any],
    given: dict[str, Any],
) -> JSONDict:
    """The GBMV3 / DRFV3 / GLMV3 body of a build or a parameter validation."""
    info = ALGOS[algo]
    body = metadata.skeleton(f"{info.upper}V3")
    errors = sum(1 for t, _, _ in messages if t == "ERRR")
    body.update(
        _exclude_fields=None,
        job=job,
        algo=algo,
        algo_full_name=info.full_name,
        can_build=list(info.can_build),
        visibility=info.visibility,
        supervised=info.supervised,
        messages=messages_json(messages),
        error_count=2 * errors,
        parameters=parameters_list(algo, values, given),
    )
    return body


def builders_list(algos: list[str]) -> JSONDict:
    """A ModelBuildersV3 body describing some algorithms."""
    body = metadata.skeleton("ModelBuildersV3")
    entries = {}
    for algo in algos:
        entry = builder_response(algo, job=None, messages=[], values=defaults(algo), given={})
        entry["_exclude_fields"] = ""
        entries[algo] = entry
    body["model_builders"] = entries
    return body


def unknown_frame(name: str) -> H2OError:
    """400 for a training/validation frame that does not exist, worded like H2O-3."""
    return bad_request(f"Object with key='{name}' doesn't exist in DKV.")
