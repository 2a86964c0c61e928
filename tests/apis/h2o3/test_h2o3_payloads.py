"""Payload builders and strategies: deterministic data, and strategies whose promises the mock keeps."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import NoSuchExample

from h2oharness.apis.h2o3.client import H2O3Client, H2O3ResponseError
from h2oharness.apis.h2o3.mock import H2O3MockState, H2O3Timings, make_app
from h2oharness.apis.h2o3.mockparts import csvparse
from h2oharness.apis.h2o3.payloads import (
    BadParams,
    TableSpec,
    bad_builder_params,
    classification_csv,
    csv_tables,
    drf_params,
    gbm_params,
    glm_params,
    regression_csv,
)
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve


def test_classification_csv_is_deterministic_and_shaped() -> None:
    """Same seed, same text; another seed, other text; a header, the rows, a few gaps in x2, both labels."""
    assert classification_csv(seed=3) == classification_csv(seed=3)
    assert classification_csv(seed=3) != classification_csv(seed=4)
    rows = list(csv.DictReader(io.StringIO(classification_csv(rows=100))))
    assert len(rows) == 100
    assert list(rows[0]) == ["x1", "x2", "color", "size", "label"]
    assert {r["label"] for r in rows} == {"yes", "no"}
    assert {r["color"] for r in rows} <= {"red", "green", "blue"}
    assert 0 < sum(1 for r in rows if not r["x2"]) < 10
    assert ",," not in classification_csv(rows=100, missing_every=0)


def test_h2o3_guesses_the_intended_types() -> None:
    """The mock's ParseSetup (which mirrors the real one) types the generated files as intended."""
    assert csvparse.guess_setup(classification_csv()).column_types == ["Numeric", "Numeric", "Enum", "Numeric", "Enum"]
    assert csvparse.guess_setup(regression_csv()).column_types == ["Numeric", "Numeric", "Enum", "Numeric"]


def test_parameter_dicts() -> None:
    """The builders name the frame and response, and take overrides."""
    assert gbm_params("f.hex")["ntrees"] == 5
    assert gbm_params("f.hex", ntrees=9)["ntrees"] == 9
    assert glm_params("f.hex", family="gaussian", response_column="y")["family"] == "gaussian"
    assert drf_params("f.hex")["training_frame"] == "f.hex"


@given(table=csv_tables())
@settings(max_examples=60, deadline=None)
def test_generated_csv_parses_to_its_spec(table: tuple[str, TableSpec]) -> None:
    """Each generated table parses to the names, types, rows, domains and missing counts it promises."""
    text, spec = table
    setup = csvparse.guess_setup(text)
    assert setup.check_header == 1
    assert tuple(setup.column_names or ()) == spec.names
    columns = csvparse.parse_columns(
        text,
        separator=setup.separator,
        check_header=setup.check_header,
        column_names=setup.column_names,
        column_types=setup.column_types,
    )
    assert tuple(c.type for c in columns) == spec.types
    assert {c.rows for c in columns} == {spec.rows}
    assert tuple(tuple(c.domain) if c.domain else None for c in columns) == spec.domains
    assert tuple(c.rollups().missing for c in columns) == spec.missing


@pytest.fixture(scope="module")
def loaded_mock() -> Iterator[tuple[H2O3Client, str]]:
    """A mock holding one parsed classification frame."""
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant())
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        client = H2O3Client(http)
        client.post_file(classification_csv(rows=50).encode(), destination_frame="train.csv")
        parse = client.parse(client.parse_setup("train.csv"), destination_frame="train.hex")
        yield client, parse["destination_frame"]["name"]
    assert state.internal_errors == []


def test_no_bad_ntrees_drawn_is_one_a_real_server_builds() -> None:
    """A real H2O-3 3.46.0.12 builds a model of 0 trees (up to 100000): none is drawn as a refused ntrees."""
    with pytest.raises(NoSuchExample):
        find(
            bad_builder_params("train.hex"),
            lambda d: isinstance(d.params.get("ntrees"), int) and 0 <= d.params["ntrees"] <= 100_000,
            settings=settings(max_examples=300, database=None),
        )


@given(data=bad_builder_params("train.hex"))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bad_parameters_are_refused_as_promised(loaded_mock: tuple[H2O3Client, str], data: BadParams) -> None:
    """Each bad GBM request gets the status and error schema the strategy says a real server answers."""
    client, _ = loaded_mock
    with pytest.raises(H2O3ResponseError) as refused:
        client.build_model("gbm", **data.params)
    assert (refused.value.status, refused.value.schema) == (data.status, data.schema), data.why
