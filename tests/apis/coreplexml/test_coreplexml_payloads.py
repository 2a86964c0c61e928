"""The CorePlexML payload builders and strategies: CSVs the mock profiles as intended, configs it accepts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.mockparts import catalog
from h2oharness.apis.coreplexml.mockparts.handlers_data import profile_csv
from h2oharness.apis.coreplexml.mockparts.wire import ApiError


def test_classification_csv_is_deterministic_and_profiles_as_expected() -> None:
    text = payloads.classification_csv(rows=60, seed=3)
    assert text == payloads.classification_csv(rows=60, seed=3)
    assert text != payloads.classification_csv(rows=60, seed=4)
    rows, columns, problem = profile_csv(text.encode())
    assert (rows, problem) == (60, "")
    by_name = {c.name: c for c in columns}
    assert by_name["label"].unique == 2
    assert by_name["color"].dtype == "categorical"
    assert by_name["x1"].dtype == "numeric"


def test_multiclass_and_regression_csvs() -> None:
    _, columns, _ = profile_csv(payloads.classification_csv(rows=40, classes=4).encode())
    assert next(c for c in columns if c.name == "label").unique == 4
    rows, reg, _ = profile_csv(payloads.regression_csv(rows=30).encode())
    target = next(c for c in reg if c.name == "y")
    assert (rows, target.dtype) == (30, "numeric")
    assert target.minimum is not None
    assert target.minimum > 0
    assert len(list(csv.reader(io.StringIO(payloads.regression_csv(rows=5))))) == 6


def test_experiment_body_is_what_the_sdk_sends() -> None:
    body = payloads.experiment_body("p", "v", "label", max_models=3)
    assert body["config"] == {"max_models": 3}
    assert (body["execution_mode"], body["use_gpu"], body["problem_type"]) == ("single", False, "classification")


def test_every_bad_config_is_refused_by_the_catalog() -> None:
    for config, word in payloads.bad_configs("binary"):
        with pytest.raises(ApiError) as refused:
            catalog.check_config_for(catalog.check_config_shape(config), "binary")
        assert refused.value.status == 422
        assert word in str(refused.value.detail)


@given(config=payloads.configs("multiclass"))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_generated_configs_are_accepted(config: dict[str, Any]) -> None:
    resolved = catalog.check_config_for(catalog.check_config_shape(config), "multiclass")
    assert resolved["sort_metric"] in catalog.SORT_METRICS["multiclass"]
    assert set(resolved["exclude_algos"]) <= set(catalog.ALGORITHMS)
