"""A grid search's record on the mock: its search space, the models it built and the combinations that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from h2oharness.apis.h2o3.mockparts.wire import JSONDict

#: one combination of hyper-parameter values: (name, value text) pairs in the order of the names
Combo = tuple[tuple[str, str], ...]


@dataclass
class Failure:
    """One combination a grid could not build, and the job that tried it."""

    job_id: str
    params: JSONDict | None
    raw: list[str]
    details: str
    stack: str


@dataclass
class Grid:
    """One grid: its search space, the models it built (by id, with their hyper values) and its failures."""

    grid_id: str
    algo: str
    training_frame: str | None
    hyper_names: list[str]
    #: the form fields of the search that made it (bar the grid's own), for a resume
    given_form: dict[str, str]
    #: the combinations the last search planned, each as (name, value text) pairs
    planned: list[Combo]
    job_id: str
    #: (job id, model id) of each model built, in the order they were
    entries: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: the combinations tried, as sets of (name, value text) pairs, and the job that tried each: a grid builds each
    #: once, unless that job was cancelled or failed
    tried: dict[frozenset[tuple[str, str]], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    export_checkpoints_dir: str | None = None
    #: the number the next model is named with (``<grid_id>_model_<n>``): a combination tried spends one
    next_model: int = 1
