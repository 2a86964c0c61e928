"""Pure builders and hypothesis strategies for Workflows requests: workflow YAML sources, good and bad, and inputs.

Nothing here does I/O. The sources use the format the mock documents (``mockparts/source.py``): a
``run`` step's ``exit N`` fails it, ``sleep N`` makes it last N seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from hypothesis import strategies as st

RETRY_MODES = ("RETRY_MODE_UNSPECIFIED", "RETRY_MODE_ALL_JOBS", "RETRY_MODE_FAILED_JOBS")


def workflow_source(
    workflow_id: str,
    jobs: Mapping[str, Sequence[str]] | None = None,
    *,
    name: str | None = None,
    needs: Mapping[str, Sequence[str]] | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """A workflow's YAML: ``jobs`` maps a job id to its ``run`` commands (one step each); ``needs`` its dependencies."""
    jobs = jobs if jobs is not None else {"hello": ["echo hello"]}
    doc: dict[str, Any] = {"id": workflow_id, "name": name or f"h2oharness {workflow_id}"}
    if inputs:
        doc["inputs"] = {k: dict(v) for k, v in inputs.items()}
    doc["jobs"] = {
        job_id: {
            **({"needs": list(needs[job_id])} if needs and job_id in needs else {}),
            "steps": [{"id": f"s{i + 1}", "name": f"step {i + 1}", "run": cmd} for i, cmd in enumerate(commands)],
        }
        for job_id, commands in jobs.items()
    }
    return yaml.safe_dump(doc, sort_keys=False)


def succeeding_source(workflow_id: str) -> str:
    """Two jobs, the second needing the first; both succeed and say something."""
    return workflow_source(
        workflow_id,
        {"build": ["echo building", "echo built"], "report": ["echo report ready"]},
        needs={"report": ["build"]},
    )


def failing_source(workflow_id: str, exit_code: int = 1) -> str:
    """One job that succeeds and one whose first step exits ``exit_code`` (its second step is then skipped)."""
    return workflow_source(
        workflow_id,
        {"fine": ["echo fine"], "broken": [f"echo about to fail && exit {exit_code}", "echo never"]},
    )


def slow_source(workflow_id: str, seconds: int = 600) -> str:
    """One step that sleeps ``seconds``: a run to cancel while it runs."""
    return workflow_source(workflow_id, {"slow": [f"echo started && sleep {seconds}"]})


# Sources a server must refuse, each with the fieldPath of (one of) its errors; None = the document itself.
INVALID_SOURCES: tuple[tuple[str, str], ...] = (
    ("id: ok\njobs:\n  a:\n    steps:\n      - run: [unclosed\n", ""),
    ("- just\n- a list\n", ""),
    ("id: Bad_Id\njobs:\n  a:\n    steps:\n      - run: echo\n", "id"),
    ("id: no-jobs\n", "jobs"),
    ("id: empty-steps\njobs:\n  a:\n    steps: []\n", "jobs.a.steps"),
    ("id: two-kinds\njobs:\n  a:\n    steps:\n      - run: echo\n        upload: x\n", "jobs.a.steps[0]"),
    ("id: bad-needs\njobs:\n  a:\n    needs: [ghost]\n    steps:\n      - run: echo\n", "jobs.a.needs[0]"),
    (
        "id: cycle\njobs:\n  a:\n    needs: [b]\n    steps:\n      - run: echo\n"
        "  b:\n    needs: [a]\n    steps:\n      - run: echo\n",
        "jobs.a.needs",
    ),
)


def input_values(
    strings: Mapping[str, str] | None = None,
    bools: Mapping[str, bool] | None = None,
    ints: Mapping[str, int] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """A V1InputValues body (empty lists included, as the SDK sends them)."""
    return {
        "stringValues": [{"parameter": k, "value": v} for k, v in (strings or {}).items()],
        "boolValues": [{"parameter": k, "value": v} for k, v in (bools or {}).items()],
        "intValues": [{"parameter": k, "value": str(v)} for k, v in (ints or {}).items()],
    }


workflow_ids = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}[a-z0-9]\Z")
commands = st.one_of(
    st.builds(lambda w: f"echo {w}", st.text("abcdefgh xyz", min_size=1, max_size=12)),
    st.builds(lambda n: f"exit {n}", st.integers(0, 3)),
    st.just("true"),
)


@st.composite
def sources(draw: st.DrawFn) -> str:
    """Valid workflow sources: a few jobs of a few steps, some needing earlier jobs."""
    wid = draw(workflow_ids)
    count = draw(st.integers(1, 3))
    ids = [f"job{i}" for i in range(count)]
    jobs = {j: draw(st.lists(commands, min_size=1, max_size=3)) for j in ids}
    needs = {j: draw(st.lists(st.sampled_from(ids[:i]), max_size=i, unique=True)) for i, j in enumerate(ids) if i}
    return workflow_source(wid, jobs, needs=needs)
