"""The mock trains inside the request: a build on any frame a client can make does a bounded amount of work.

Seed 8675309 drew a GLM on a wide frame that held ``POST /3/ModelBuilders/glm`` past the client's 30 s. These
tests count the learners' work (rows, columns, iterations, node visits), never the time it takes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.mockparts import learn
from h2oharness.mocks.clock import ManualClock

#: the steps a build's fit may take (BUDGET, about half a second), written out so the bound is the test's
BUDGET = 10_000_000


def _created(http: httpx.Client, clock: ManualClock, **form: Any) -> str:
    """A frame made by CreateFrame (with a 2-class response named 'response'), its job done."""
    job = http.post("/3/CreateFrame", data={"dest": "made", "seed": 7, "has_response": "True", **form}).json()
    clock.advance(5.0)
    assert http.get(job["key"]["URL"]).json()["jobs"][0]["status"] == "DONE"
    return "made"


def _split_visits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tree learners' split searches, each as the rows it visits times the columns it weighs, as they happen."""
    visits: list[int] = []
    best_split = learn._best_split

    def counted(binned: learn.Binned, candidates: list[int], members: list[int], *args: Any) -> Any:
        visits.append(len(members) * len(candidates))
        return best_split(binned, candidates, members, *args)

    monkeypatch.setattr(learn, "_best_split", counted)
    return visits


def _built(client: H2O3Client, clock: ManualClock, algo: str, **params: Any) -> dict[str, Any]:
    job = client.build_model(algo, response_column="response", **params)["job"]
    clock.advance(10.0)
    assert client.job(job["key"]["name"])["status"] == "DONE"
    model: dict[str, Any] = client.model(job["dest"]["name"])
    return model


def test_a_glm_on_a_wide_categorical_frame_fits_within_the_budget(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 6 enums of 50 levels: 300 one-hot columns (the sweep's frame had more, and took minutes)
    frame = _created(http, clock, rows=600, cols=6, categorical_fraction=1.0, factors=50)
    solves: list[tuple[int, int, int, int]] = []
    irls = learn._irls

    def counted(x: list[list[float]], *args: Any, **kwargs: Any) -> tuple[list[float], int, list[float]]:
        out = irls(x, *args, **kwargs)
        nonzero = max((sum(1 for v in row if v != 0.0) for row in x), default=0)
        solves.append((len(x), len(x[0]) + 1 if x else 1, nonzero, out[1]))
        return out

    monkeypatch.setattr(learn, "_irls", counted)
    model = _built(client, clock, "glm", training_frame=frame)
    # each IRLS iteration forms X'WX over the rows' non-zero entries, then solves a width x width system
    work = sum(it * (n * p * (nz + 2) // 2 + p**3 // 2) for n, p, nz, it in solves)
    assert len(solves) == 1
    assert work <= BUDGET, solves
    assert solves[0][1] <= 101  # at most 100 columns fitted, plus the intercept
    coefficients = model["output"]["coefficients_table"]["data"][0]
    assert len(coefficients) == 301  # every one-hot column is in the model, the unfitted ones with 0
    assert model["output"]["training_metrics"]["nobs"] == 600


def test_a_deep_forest_of_many_trees_is_fitted_on_fewer_rows_within_its_budget(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _created(http, clock, rows=3000, cols=8)
    visits = _split_visits(monkeypatch)
    model = _built(client, clock, "gbm", training_frame=frame, ntrees=200, max_depth=0, min_rows=1, seed=1)
    assert sum(visits) <= BUDGET // 2
    # the trees asked for are what a client sees of a model: the rows fitted and scored give way instead
    assert model["output"]["model_summary"]["data"][1][0] == 200
    assert 50 <= model["output"]["training_metrics"]["nobs"] < 3000


def test_nfolds_is_checked_against_the_rows_as_a_real_server_does(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    name = client.parse(client.parse_setup(client.import_files(str(train_csv))["destination_frames"]))
    clock.advance(10.0)
    frame = name["destination_frame"]["name"]
    for nfolds, message in ((1, "nfolds must be either 0 or >1."), (201, "nfolds cannot be larger than the number "
                                                                           "of rows (200).")):  # fmt: skip
        answer = http.post("/3/ModelBuilders/gbm", data={"training_frame": frame, "response_column": "label",
                                                         "nfolds": nfolds})  # fmt: skip
        assert answer.status_code == 412
        assert f"ERRR on field: _nfolds: {message}" in answer.json()["msg"]


def test_one_fold_per_row_fits_every_fold_model_within_one_budget(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, state: H2O3MockState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # random fold assignment leaves some of the 80 folds empty: their holdout metrics are NaN, not a crash
    frame = _created(http, clock, rows=80, cols=4)
    visits = _split_visits(monkeypatch)
    model = _built(
        client, clock, "gbm", training_frame=frame, nfolds=80, seed=1, keep_cross_validation_predictions=True
    )
    assert len(model["output"]["cross_validation_models"]) == 80
    assert state.internal_errors == []
    assert sum(visits) <= BUDGET  # the main model's budget and one more shared by the 80 fold models


def test_more_fold_models_than_the_mock_fits_fail_the_job_saying_why(
    http: httpx.Client, client: H2O3Client, clock: ManualClock
) -> None:
    frame = _created(http, clock, rows=500, cols=4)
    job = client.build_model("glm", training_frame=frame, response_column="response", nfolds=101)["job"]
    clock.advance(10.0)
    failed = client.job(job["key"]["name"])
    assert failed["status"] == "FAILED"
    assert "the mock fits at most 100 cross-validation models" in failed["exception"]


def test_a_glm_of_many_classes_fits_and_scores_a_bounded_number_of_rows(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a multinomial GLM fits one model per class and scores a probability per class and row
    frame = _created(http, clock, rows=6000, cols=2, response_factors=400)
    fits: list[tuple[int, int]] = []
    irls = learn._irls

    def counted(x: list[list[float]], *args: Any, **kwargs: Any) -> tuple[list[float], int, list[float]]:
        out = irls(x, *args, **kwargs)
        fits.append((len(x), out[1]))
        return out

    monkeypatch.setattr(learn, "_irls", counted)
    model = _built(client, clock, "glm", training_frame=frame, seed=1)
    assert len(fits) == 400
    # an IRLS iteration costs each row its link, weight and deviance besides the products: 40 steps at least
    assert sum(rows * iterations for rows, iterations in fits) * 40 <= BUDGET
    nobs = model["output"]["training_metrics"]["nobs"]
    assert nobs * 400 * 3 <= learn.SCORED_VALUES  # rows x classes x (2 columns and the intercept)


def test_an_automl_run_with_more_folds_than_rows_fits_nothing(
    http: httpx.Client, clock: ManualClock, state: H2O3MockState
) -> None:
    frame = _created(http, clock, rows=300, cols=3)
    # more folds than rows: a real 3.46.0.12 runs, each base model refused (its leaderboard empty); nothing is fitted
    spec = {"build_control": {"nfolds": 2**31 - 1}, "input_spec": {"training_frame": frame,
                                                                    "response_column": "response"}}  # fmt: skip
    answer = http.post("/99/AutoMLBuilder", json=spec)
    assert answer.status_code == 200
    (run,) = state.automls.values()
    assert run.models == []
    assert "_nfolds param, nfolds cannot be larger than the number of rows (300)." in [e[3] for e in run.events]
    # more folds than the mock fits, on enough rows: refused before it fits anything
    spec["build_control"] = {"nfolds": 150}
    refused = http.post("/99/AutoMLBuilder", json=spec)
    assert refused.status_code == 412
    assert "the mock fits at most 100 cross-validation models" in refused.json()["msg"]
    assert len(state.automls) == 1


#: a regression response of +-1e200: its squares pass the largest double
HUGE_CSV = "x1,x2,y\n" + "".join(
    f"{i % 7},{(i * 37) % 11},{(1e200 if i % 3 else -1e200) * (1 + i % 5)}\n" for i in range(60)
)


@pytest.mark.parametrize("nfolds", [0, 3], ids=["no-cv", "cv"])
@pytest.mark.parametrize("algo", ["gbm", "drf", "glm"])
def test_a_build_on_values_whose_squares_overflow_finishes_as_on_a_real_server(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, state: H2O3MockState, algo: str, nfolds: int
) -> None:
    # x ** 2 and math.fsum raised OverflowError: the job failed as the mock's own bug, where H2O-3 3.46.0.12 finishes
    # each of these builds (its metrics NaN)
    upload = client.post_file(HUGE_CSV.encode(), destination_frame="huge.csv")
    parsed = client.parse(client.parse_setup([str(upload["destination_frame"])]), destination_frame="huge")
    clock.advance(60)
    assert client.job(parsed["job"]["key"]["name"])["status"] == "DONE"
    # cross-validation's summary took statistics.stdev of infinite fold metrics: AttributeError, a 400 on the build
    job = client.build_model(algo, training_frame="huge", response_column="y", nfolds=nfolds)["job"]
    clock.advance(10.0)
    assert client.job(job["key"]["name"])["status"] == "DONE"
    mse = client.model(job["dest"]["name"])["output"]["training_metrics"]["MSE"]
    assert mse in ("Infinity", "NaN") or not math.isfinite(mse)
    assert state.internal_errors == []
