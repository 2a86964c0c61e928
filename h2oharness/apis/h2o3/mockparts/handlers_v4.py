"""The v4 routes the mock answers besides predictions and sessions: /4/modelsinfo and /4/jobs/{job_id}, in the v4
style (``__schema`` where v3 has ``__meta``)."""

from __future__ import annotations

from h2oharness.apis.h2o3.mockparts import metadata
from h2oharness.apis.h2o3.mockparts.calls import PROGRESS_MSG, STATUS, Call, Reply
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import bad_request, precondition
from h2oharness.mocks.jobs import JobPhase

# what a real 3.46.0.12 from the h2o package's jar says of each algorithm, in its order:
# (algo, maturity, have_pojo, have_mojo, mojo_version)
MODELS_INFO: tuple[tuple[str, str, bool, bool, str | None], ...] = (
    ("xgboost", "stable", True, True, "1.10"),
    ("infogram", "stable", False, False, None),
    ("targetencoder", "stable", False, True, "1.00"),
    ("deeplearning", "stable", True, True, "1.10"),
    ("glm", "stable", True, True, "1.00"),
    ("glrm", "stable", False, True, "1.10"),
    ("kmeans", "stable", True, True, "1.00"),
    ("naivebayes", "stable", True, False, None),
    ("pca", "stable", True, True, "1.00"),
    ("svd", "alpha", True, False, None),
    ("drf", "stable", True, True, "1.40"),
    ("gbm", "stable", True, True, "1.40"),
    ("isolationforest", "stable", False, True, "1.40"),
    ("extendedisolationforest", "stable", False, True, "1.00"),
    ("aggregator", "stable", False, False, None),
    ("word2vec", "stable", False, True, "1.00"),
    ("stackedensemble", "stable", False, True, "1.01"),
    ("coxph", "stable", False, True, "1.00"),
    ("generic", "stable", False, True, "1.00"),
    ("gam", "alpha", False, True, "1.00"),
    ("anovaglm", "stable", False, False, None),
    ("psvm", "alpha", False, False, None),
    ("rulefit", "stable", False, True, "1.00"),
    ("upliftdrf", "stable", False, True, "1.40"),
    ("modelselection", "stable", False, False, None),
    ("isotonicregression", "alpha", False, True, "1.00"),
    ("dt", "alpha", False, False, None),
    ("hglm", "alpha", False, False, None),
    ("adaboost", "alpha", False, False, None),
)
# the class a real server names as a job's target_type, by the mock's algorithm
MODEL_CLASSES = {"gbm": "GBMModel", "drf": "DRFModel", "glm": "GLMModel", "stackedensemble": "StackedEnsembleModel"}


def models_info(state: H2O3MockState, call: Call) -> Reply:
    """GET /4/modelsinfo: every algorithm a real server can train, whether the mock builds it or not."""
    v4_parameters(call, "ListRequestV4")
    models = [
        {"__schema": "/4/schemas/ModelInfoV4", "algo": algo, "maturity": maturity, "have_pojo": pojo,
         "have_mojo": mojo, "mojo_version": version}
        for algo, maturity, pojo, mojo, version in MODELS_INFO
    ]  # fmt: skip
    return Reply({"__schema": "/4/schemas/ModelsInfoV4", "models": models})


def job(state: H2O3MockState, call: Call) -> Reply:
    """GET /4/jobs/{job_id}: a JobV4; a real server answers 400 "Job ... is missing" for an unknown id."""
    v4_parameters(call, "JobIV4")
    job_id = call.path_params["job_id"]
    found = state.jobs.get(job_id)
    if found is None:
        raise bad_request(f"Job {job_id} is missing")
    now = state.clock.now()
    phase = found.phase(now)
    info: JobInfo = found.result
    ended = found.ended_at(now)
    failed = phase is JobPhase.FAILED
    body = {
        "__schema": "/4/schemas/JobV4",
        "job_id": job_id,
        "status": STATUS[phase],
        "progress": found.progress(now),
        "progress_msg": PROGRESS_MSG.get(phase, None if phase is JobPhase.QUEUED else info.progress_msg),
        # a real 3.46.0.12 sends 0 here, whatever the job's start
        "start_time": 0,
        "duration": max(0, int(((ended if ended is not None else now) - found.submitted_at) * 1000)),
        "target_id": info.dest,
        "target_type": _target_type(state, info),
        "exception": found.failure if failed else None,
        "stacktrace": f"{found.failure}\n\tat h2oharness.mock(no Java stack in the mock)\n" if failed else None,
    }
    return Reply(body)


def _target_type(state: H2O3MockState, info: JobInfo) -> str:
    # a model job names the model's class (GBMModel), once the model is there
    model = info.payload if isinstance(info.payload, Model) else state.models.get(info.dest)
    if info.dest_kind == "Model" and model is not None:
        return MODEL_CLASSES.get(model.algo, model.algo)
    return info.dest_kind


def v4_parameters(call: Call, schema: str) -> None:
    """Refuse a parameter the v4 input schema lacks (it has no _exclude_fields; ListRequestV4 takes __schema,
    JobIV4 _fields, both read and ignored as on a real server)."""
    known = metadata.input_fields(schema)
    unknown = [name for name in call.strings if name not in known]
    if unknown:
        raise precondition(f"Unknown parameter: {unknown[0]}")
