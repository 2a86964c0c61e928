"""The ``actual_value`` a real 3.46.0.12 reports for each model parameter: AUTO and -1 resolved as it resolves them.

Also the parameter names the metadata's parameter schemas list but a real model's
``parameters`` lacks (the model drops them), per algorithm.
"""

from __future__ import annotations

from typing import Any

# in <Algo>ParametersV3 of the metadata, not in a real model's parameters list
OMITTED_IN_MODEL: dict[str, frozenset[str]] = {
    "gbm": frozenset({"max_categorical_levels", "parallelize_cross_validation"}),
    "drf": frozenset({
        "max_categorical_levels", "parallelize_cross_validation", "custom_distribution_func", "huber_alpha",
        "in_training_checkpoints_dir", "in_training_checkpoints_tree_interval", "quantile_alpha", "tweedie_power",
    }),
    "glm": frozenset({
        "max_categorical_levels", "parallelize_cross_validation", "categorical_encoding", "custom_distribution_func",
        "distribution", "huber_alpha", "quantile_alpha", "tweedie_power",
    }),
}  # fmt: skip
GLM_LINKS = {"binomial": "logit", "quasibinomial": "logit", "multinomial": "multinomial", "ordinal": "ologit",
             "gaussian": "identity", "poisson": "log", "gamma": "inverse", "tweedie": "tweedie",
             "negativebinomial": "log", "fractionalbinomial": "logit"}  # fmt: skip
# the seed the mock fits with when -1 asks for a random one (see DEVIATIONS "seed -1")
MOCK_SEED = 1234


def _auto(value: Any) -> bool:
    return value is None or str(value).upper() == "AUTO"


def resolve(
    algo: str, values: dict[str, Any], category: str, nobs: int, *, glm_family: str | None = None,
    glm_lambda: float = 1e-3,
) -> dict[str, Any]:  # fmt: skip
    """Overrides of ``values`` for the ``actual_value`` column: what the real server chose for each default."""
    out: dict[str, Any] = {}
    nfolds = int(values.get("nfolds") or 0)
    if nfolds < 2:
        out["fold_assignment"] = None
    elif _auto(values.get("fold_assignment")):
        out["fold_assignment"] = "Random"
    if int(values.get("seed", -1)) == -1:
        out["seed"] = MOCK_SEED
    if algo in ("gbm", "drf"):
        # a real GLM leaves stopping_metric at AUTO; the tree builders resolve it
        if int(values.get("stopping_rounds") or 0) == 0:
            out["stopping_metric"] = None
        elif _auto(values.get("stopping_metric")):
            out["stopping_metric"] = "deviance" if category == "Regression" else "logloss"
        if _auto(values.get("distribution")):
            if category == "Regression":
                out["distribution"] = "gaussian"
            else:
                # a real DRF reports multinomial for two classes as well
                out["distribution"] = "bernoulli" if category == "Binomial" and algo == "gbm" else "multinomial"
        for name, chosen in (("histogram_type", "UniformAdaptive"), ("categorical_encoding", "Enum"),
                             ("calibration_method", "PlattScaling")):  # fmt: skip
            if _auto(values.get(name)):
                out[name] = chosen
        return out
    family = glm_family or "gaussian"
    if _auto(values.get("family")):
        out["family"] = family
    if _auto(values.get("solver")):
        out["solver"] = "IRLSM"
    if values.get("alpha") is None:
        out["alpha"] = [0.5]
    if values.get("lambda") is None:
        out["lambda"] = [glm_lambda]
    if int(values.get("max_iterations", -1)) == -1:
        out["max_iterations"] = 50
    for name in ("objective_epsilon", "gradient_epsilon"):
        if float(values.get(name, -1.0)) == -1.0:
            out[name] = 1e-4
    if str(values.get("link") or "family_default") == "family_default":
        out["link"] = GLM_LINKS.get(family, "identity")
    if float(values.get("lambda_min_ratio", -1.0)) == -1.0:
        out["lambda_min_ratio"] = 1e-4
    if int(values.get("max_active_predictors", -1)) == -1:
        out["max_active_predictors"] = 5000
    if float(values.get("obj_reg", -1.0)) == -1.0:
        out["obj_reg"] = 1.0 / max(1, nobs)
    return out
