"""The official ``h2o`` client's whole no-argument surface, found by introspection, against the mock.

One subprocess runs ``h2o3_official_driver.py introspect``: it connects, parses a
CSV, trains a cross-validated GBM with a validation frame, then calls every public
method and property of H2OFrame (on the numeric columns) and of the model that needs
no argument, and every module-level ``h2o.*`` function of a connected session, and
reports which raised. Some fail on a real 3.46.0.12 too, for this receiver
(``FAILS_ON_REAL``, recorded from a real server with the same driver); any other
failure must be listed in the mock's ``DEVIATIONS`` under the method's name. The
failing set must be exactly those, so a regression and a fix are both noticed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from h2oharness.apis.h2o3.mock import DEVIATIONS, H2O3MockState
from h2oharness.mocks.clock import MonotonicClock

Drive = Callable[..., dict[str, Any]]
NO_TELEMETRY = {"DO_NOT_TRACK": "1", "H2O_TELEMETRY_URL": "http://127.0.0.1:9/off"}
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("h2o") is None, reason="the official h2o client is not installed"
)

# what the same driver saw fail against a real H2O-3 3.46.0.12 (the receiver does not suit the method)
FAILS_ON_REAL: dict[str, str] = {
    "H2OFrame.apply": "H2OTypeError: Argument `fun` should be a function, got NoneType None",
    "H2OFrame.asfactor": "H2OValueError: Only 'int' or 'string' are allowed for asfactor(), got x1:real",
    "H2OFrame.categories": "H2OValueError: This operation only applies to a single factor column",
    "H2OFrame.day": "server 412: unimplemented",
    "H2OFrame.dayOfWeek": "server 412: unimplemented",
    "H2OFrame.difflag1": "H2OValueError: Only single-column frames supported",
    "H2OFrame.dtype": "H2OValueError: dtype is only supported for one column frames",
    "H2OFrame.entropy": "server 400: entropy() requires a string or categorical column. Received Numeric.",
    "H2OFrame.flatten": "H2OValueError: Not a 1x1 Frame",
    "H2OFrame.getrow": "H2OValueError: This method can only be applied to single-row frames",
    "H2OFrame.hour": "server 412: unimplemented",
    "H2OFrame.lstrip": "server 400: trim() requires a string or categorical column. Received Numeric.",
    "H2OFrame.minute": "server 412: unimplemented",
    "H2OFrame.month": "server 412: unimplemented",
    "H2OFrame.nchar": "server 400: length() requires a string or categorical column. Received Numeric.",
    "H2OFrame.rename": "AttributeError: 'NoneType' object has no attribute 'items'",
    "H2OFrame.rstrip": "server 400: trim() requires a string or categorical column. Received Numeric.",
    "H2OFrame.second": "server 412: unimplemented",
    "H2OFrame.set_name": "H2OTypeError: Argument `name` should be a string, got NoneType None",
    "H2OFrame.stratified_split": "server 400: Must give a single column to stratify against. Got: 3 columns.",
    "H2OFrame.table": "server 400: table expects one or two columns",
    "H2OFrame.tolower": "server 400: tolower() requires a string or categorical column. Received Numeric.",
    "H2OFrame.toupper": "server 400: toupper() requires a string or categorical column. Received Numeric.",
    "H2OFrame.trim": "server 400: trim() requires a string or categorical column. Received Numeric.",
    "H2OFrame.week": "server 412: unimplemented",
    "H2OFrame.which": "server 400: which requires a single integer column",
    "H2OFrame.year": "server 412: unimplemented",
    "model.average_objective": "H2OValueError: objective is only for GLM models.",
    "model.biases": "KeyError: 'biases'",
    "model.catoffsets": "KeyError: 'catoffsets'",
    "model.coef": "KeyError: 'coefficients_table'",
    "model.coef_norm": "KeyError: 'coefficients_table'",
    "model.coef_with_p_values": "ValueError: p-values, z-values and std_error are only found in GLM.",
    "model.get_variable_inflation_factors": "ValueError: variable inflation factors are only found in GLM models",
    "model.mae": "KeyError: 'mae'",
    "model.mean_residual_deviance": "KeyError: 'mean_residual_deviance'",
    "model.negative_log_likelihood": "KeyError: 'calc_like'",
    "model.normmul": "KeyError: 'normmul'",
    "model.normsub": "KeyError: 'normsub'",
    "model.pprint_coef": "KeyError: 'coefficients_table'",
    "model.respmul": "KeyError: 'normrespmul'",
    "model.respsub": "KeyError: 'normrespsub'",
    "model.rmsle": "KeyError: 'rmsle'",
    "model.rotation": "H2OValueError: This function is available for PCA models only",
    "model.weights": "KeyError: 'weights'",
}


@pytest.fixture
def state() -> H2O3MockState:
    """The mock with realistic job timings on a clock twenty times faster than wall time."""
    return H2O3MockState(clock=MonotonicClock(speed=20.0))


def test_the_client_surface_works_against_the_mock(
    url: str, state: H2O3MockState, drive: Drive, train_csv: Path
) -> None:
    out = drive(url, str(train_csv), "introspect", timeout=240, env=NO_TELEMETRY)
    called, failed = out["called"], out["failed"]
    assert len(called) >= 200, "the introspection found too few methods: the driver's enumeration broke"
    assert set(FAILS_ON_REAL) <= set(called)
    # a deviation names a method as the driver does: H2OFrame.<name>, model.<name> or h2o.<name>
    deviations = set(DEVIATIONS) & set(called)
    applicable = [name for name in called if name not in FAILS_ON_REAL]
    succeeded = [name for name in applicable if name not in failed]
    assert len(succeeded) / len(applicable) >= 0.95, sorted(set(failed) - set(FAILS_ON_REAL))
    unexpected = {name: failed[name] for name in sorted(set(failed) - set(FAILS_ON_REAL) - deviations)}
    assert unexpected == {}, "methods failing on the mock that are not in DEVIATIONS"
    fixed = sorted((set(FAILS_ON_REAL) | deviations) - set(failed))
    assert fixed == [], "listed as failing but succeeded: update FAILS_ON_REAL or DEVIATIONS"
    assert out["keys_after_remove_all"] == 0
    assert state.internal_errors == []
