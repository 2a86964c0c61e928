"""Workflow YAML: validation with line/column/fieldPath errors, the parsed spec, and the mock's shell stand-in.

The format (the mock's reading of what the SDK's docstrings describe; the seed shows none)::

    id: nightly-etl                # required: the workflow id, [a-z][a-z0-9-]{0,62}
    name: Nightly ETL              # optional display name
    inputs:                        # optional: name -> {type: string|int|bool, required, default, description, secret}
      target: {type: string, default: prod}
    jobs:                          # required, non-empty
      fetch-data:
        name: Fetch data
        needs: [other-job]         # depends_on: job ids, no cycles
        runner: my-runner          # optional runner id of the workspace
        steps:                     # required, non-empty; each step has exactly one of run/upload/download/uses
          - id: fetch
            name: Fetch
            run: echo fetching && sleep 2
            continue_on_error: false

A ``run`` script is not executed: the mock reads ``echo`` (stdout, or stderr with ``>&2`` / ``1>&2``), ``sleep N``
(N seconds of the step's time), ``exit N`` and ``false`` (a failing exit code), ``${{ inputs.NAME }}``.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import yaml

ID_PATTERN = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
JOB_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
TOP_LEVEL = {"id", "name", "description", "inputs", "jobs", "on"}
JOB_KEYS = {"name", "needs", "runner", "steps", "timeout_minutes"}
STEP_KEYS = {"id", "name", "run", "upload", "download", "uses", "with", "continue_on_error", "timeout_minutes"}
STEP_KINDS = {"run": "TYPE_RUN", "upload": "TYPE_UPLOAD", "download": "TYPE_DOWNLOAD", "uses": "TYPE_ACTION"}
INPUT_TYPES = ("string", "int", "bool")
MAX_SOURCE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Problem:
    """One validation finding, as a V1ValidationError."""

    message: str
    field_path: str = ""
    line: int = 0
    column: int = 0
    severity: str = "SEVERITY_ERROR"

    def to_json(self) -> dict[str, Any]:
        """The camelCase V1ValidationError."""
        return {
            "line": self.line,
            "column": self.column,
            "fieldPath": self.field_path,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class InputDef:
    """One declared input."""

    parameter: str
    type: str
    required: bool = False
    default: Any = None
    description: str = ""
    secret: bool = False


@dataclass(frozen=True)
class StepSpec:
    """One step of a job as written."""

    index: int
    kind: str
    body: str
    ref_id: str = ""
    name: str = ""
    continue_on_error: bool = False

    @property
    def display_name(self) -> str:
        """The step's name, or one derived from what it does."""
        if self.name:
            return self.name
        first = self.body.strip().splitlines()[0] if self.body.strip() else ""
        return f"{'Run' if self.kind == 'TYPE_RUN' else self.kind.removeprefix('TYPE_').title()} {first}"[:80]


@dataclass(frozen=True)
class JobSpec:
    """One job as written."""

    job_id: str
    name: str
    needs: tuple[str, ...]
    runner: str
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class WorkflowSpec:
    """A valid workflow source, parsed."""

    id: str
    name: str
    inputs: tuple[InputDef, ...]
    jobs: tuple[JobSpec, ...] = field(default_factory=tuple)

    def ordered_jobs(self) -> list[JobSpec]:
        """Jobs in an order where every job comes after the jobs it needs (validation ruled out cycles)."""
        done: list[JobSpec] = []
        seen: set[str] = set()
        pending = list(self.jobs)
        while pending:
            ready = [j for j in pending if set(j.needs) <= seen]
            for job in ready:
                done.append(job)
                seen.add(job.job_id)
                pending.remove(job)
        return done

    def input_definitions(self) -> dict[str, Any]:
        """The V1InputDefinitions of the declared inputs."""
        out: dict[str, list[dict[str, Any]]] = {"stringInputs": [], "boolInputs": [], "intInputs": []}
        for d in self.inputs:
            item: dict[str, Any] = {"parameter": d.parameter, "required": d.required, "description": d.description}
            if d.type == "string":
                item["secret"] = d.secret
                item["defaultValue"] = None if d.default is None else str(d.default)
                out["stringInputs"].append(item)
            elif d.type == "bool":
                item["defaultValue"] = None if d.default is None else bool(d.default)
                out["boolInputs"].append(item)
            else:
                item["defaultValue"] = None if d.default is None else str(d.default)
                out["intInputs"].append(item)
        return out


EMPTY_INPUT_DEFINITIONS: dict[str, Any] = {"stringInputs": [], "boolInputs": [], "intInputs": []}


def _marks(node: yaml.Node, path: str, out: dict[str, tuple[int, int]]) -> None:
    """Record the 1-based (line, column) of every node under its fieldPath."""
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            child = f"{path}.{name}" if path else name
            out.setdefault(child, (key.start_mark.line + 1, key.start_mark.column + 1))
            _marks(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, f"{path}[{i}]", out)


class _Checker:
    def __init__(self, marks: dict[str, tuple[int, int]]) -> None:
        self.marks = marks
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, severity: str = "SEVERITY_ERROR") -> None:
        # a missing field is reported where its parent starts
        at = path
        while at not in self.marks and at:
            at = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", at) if re.search(r"[.\[]", at) else ""
        line, column = self.marks.get(at, (0, 0))
        self.problems.append(Problem(message, path, line, column, severity))

    @property
    def ok(self) -> bool:
        return not any(p.severity == "SEVERITY_ERROR" for p in self.problems)


def validate(source: str) -> tuple[WorkflowSpec | None, list[Problem]]:
    """Parse and check a workflow source: the spec when it has no errors, and every problem found."""
    if len(source.encode("utf-8", errors="replace")) > MAX_SOURCE_BYTES:
        return None, [Problem(f"source is larger than {MAX_SOURCE_BYTES} bytes")]
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, [Problem(f"invalid YAML: {exc.problem or exc.context}", "", line, column)]
    except yaml.YAMLError as exc:
        return None, [Problem(f"invalid YAML: {exc}")]
    marks: dict[str, tuple[int, int]] = {}
    if node is not None:
        _marks(node, "", marks)
    check = _Checker(marks)
    if not isinstance(data, dict):
        check.add("", "a workflow must be a YAML mapping with 'id' and 'jobs'")
        return None, check.problems
    for key in data:
        if str(key) not in TOP_LEVEL:
            check.add(str(key), f"unknown field '{key}'", "SEVERITY_WARNING")
    wf_id = data.get("id")
    if wf_id is None:
        check.add("id", "missing required field 'id'")
    elif not isinstance(wf_id, str) or not ID_PATTERN.match(wf_id):
        check.add("id", f"'id' must match {ID_PATTERN.pattern}, got {wf_id!r}")
    name = data.get("name", "")
    if not isinstance(name, str):
        check.add("name", "'name' must be a string")
        name = ""
    inputs = _inputs(check, data.get("inputs"))
    jobs = _jobs(check, data.get("jobs"))
    if not check.ok:
        return None, check.problems
    return WorkflowSpec(id=str(wf_id), name=name or str(wf_id), inputs=inputs, jobs=jobs), check.problems


def _inputs(check: _Checker, raw: Any) -> tuple[InputDef, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        check.add("inputs", "'inputs' must be a mapping of input name to definition")
        return ()
    out = []
    for pname, spec in raw.items():
        path = f"inputs.{pname}"
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            check.add(path, "an input definition must be a mapping")
            continue
        kind = spec.get("type", "string")
        if kind not in INPUT_TYPES:
            check.add(f"{path}.type", f"input type must be one of {', '.join(INPUT_TYPES)}, got {kind!r}")
            continue
        default = spec.get("default")
        if default is not None and kind == "int" and (isinstance(default, bool) or not isinstance(default, int)):
            check.add(f"{path}.default", "the default of an int input must be an integer")
        if default is not None and kind == "bool" and not isinstance(default, bool):
            check.add(f"{path}.default", "the default of a bool input must be true or false")
        out.append(
            InputDef(
                parameter=str(pname),
                type=kind,
                required=bool(spec.get("required", False)),
                default=default,
                description=str(spec.get("description", "")),
                secret=bool(spec.get("secret", False)),
            )
        )
    return tuple(out)


def _jobs(check: _Checker, raw: Any) -> tuple[JobSpec, ...]:
    if raw is None:
        check.add("jobs", "missing required field 'jobs'")
        return ()
    if not isinstance(raw, dict) or not raw:
        check.add("jobs", "'jobs' must be a non-empty mapping of job id to job")
        return ()
    jobs = []
    for job_id, body in raw.items():
        path = f"jobs.{job_id}"
        if not isinstance(job_id, str) or not JOB_ID_PATTERN.match(job_id):
            check.add(path, f"job id must match {JOB_ID_PATTERN.pattern}, got {job_id!r}")
            continue
        if not isinstance(body, dict):
            check.add(path, "a job must be a mapping with 'steps'")
            continue
        for key in body:
            if str(key) not in JOB_KEYS:
                check.add(f"{path}.{key}", f"unknown field '{key}'", "SEVERITY_WARNING")
        needs = body.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            check.add(f"{path}.needs", "'needs' must be a job id or a list of job ids")
            needs = []
        for i, need in enumerate(needs):
            if need not in raw:
                check.add(f"{path}.needs[{i}]" if isinstance(body.get("needs"), list) else f"{path}.needs",
                          f"job '{job_id}' needs unknown job '{need}'")  # fmt: skip
        runner = body.get("runner", "")
        if not isinstance(runner, str):
            check.add(f"{path}.runner", "'runner' must be a runner id")
            runner = ""
        name = body.get("name", "")
        jobs.append(JobSpec(job_id, str(name) if name else job_id, tuple(needs), runner, _steps(check, path, body)))
    _cycles(check, {j.job_id: set(j.needs) for j in jobs})
    return tuple(jobs)


def _steps(check: _Checker, path: str, body: dict[Any, Any]) -> tuple[StepSpec, ...]:
    raw = body.get("steps")
    if not isinstance(raw, list) or not raw:
        check.add(f"{path}.steps", "a job needs a non-empty list of 'steps'")
        return ()
    steps = []
    seen: set[str] = set()
    for i, step in enumerate(raw):
        spath = f"{path}.steps[{i}]"
        if not isinstance(step, dict):
            check.add(spath, "a step must be a mapping with one of run, upload, download, uses")
            continue
        for key in step:
            if str(key) not in STEP_KEYS:
                check.add(f"{spath}.{key}", f"unknown field '{key}'", "SEVERITY_WARNING")
        kinds = [k for k in STEP_KINDS if k in step]
        if len(kinds) != 1:
            check.add(spath, f"a step needs exactly one of run, upload, download, uses; it has {kinds or 'none'}")
            continue
        value = step[kinds[0]]
        if not isinstance(value, str) or not value.strip():
            check.add(f"{spath}.{kinds[0]}", f"'{kinds[0]}' must be a non-empty string")
            continue
        ref_id = step.get("id", "")
        if ref_id and (not isinstance(ref_id, str) or ref_id in seen):
            check.add(f"{spath}.id", f"step id {ref_id!r} must be a string unique within the job")
        seen.add(str(ref_id))
        name = step.get("name", "")
        if not isinstance(name, str):
            check.add(f"{spath}.name", "'name' must be a string")
            name = ""
        coe = step.get("continue_on_error", False)
        if not isinstance(coe, bool):
            check.add(f"{spath}.continue_on_error", "'continue_on_error' must be true or false")
            coe = False
        steps.append(StepSpec(i + 1, STEP_KINDS[kinds[0]], value, str(ref_id or ""), name, coe))
    return tuple(steps)


def _cycles(check: _Checker, needs: dict[str, set[str]]) -> None:
    resolved: set[str] = set()
    pending = dict(needs)
    while pending:
        ready = [j for j, deps in pending.items() if deps & set(needs) <= resolved]
        if not ready:
            for job_id in sorted(pending):
                check.add(f"jobs.{job_id}.needs", f"job '{job_id}' is part of a dependency cycle")
            return
        for job_id in ready:
            resolved.add(job_id)
            del pending[job_id]


@dataclass(frozen=True)
class ScriptResult:
    """What a step's script does on the mock: its output lines (time offset, stream, text), duration, exit code."""

    lines: tuple[tuple[float, str, str], ...]
    sleep: float
    exit_code: int


_INPUT_REF = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")


#: shell redirections of stdout to stderr (``echo x 1>&2``), and of stderr to stdout, which changes nothing here
_TO_STDERR = (">&2", "1>&2", ">/dev/stderr", "1>/dev/stderr")
_TO_STDOUT = ("2>&1",)


def _redirect(word: str) -> str:
    """'stderr' when the word sends stdout to stderr (alone or glued to the text before it), else ''."""
    return "stderr" if word.endswith(_TO_STDERR) else ""


def _unredirected(word: str) -> str:
    for suffix in sorted((*_TO_STDERR, *_TO_STDOUT), key=len, reverse=True):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def simulate(kind: str, body: str, inputs: dict[str, str]) -> ScriptResult:
    """Read a step the way the mock's stand-in shell does; never raises."""
    text = _INPUT_REF.sub(lambda m: inputs.get(m.group(1), ""), body)
    if kind != "TYPE_RUN":
        verb = {"TYPE_UPLOAD": "uploaded", "TYPE_DOWNLOAD": "downloaded", "TYPE_ACTION": "ran action"}[kind]
        return ScriptResult(((0.0, "stdout", f"{verb} {text.strip()}\n"),), 0.0, 0)
    lines: list[tuple[float, str, str]] = []
    elapsed = 0.0
    for raw in re.split(r"\n|&&|;", text):
        command = raw.strip()
        if not command or command.startswith("#"):
            continue
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        if not words:
            continue
        to_err = any(_redirect(w) == "stderr" for w in words)
        words = [w for w in (_unredirected(w) for w in words) if w]
        head = words[0] if words else ""
        if head == "echo":
            lines.append((elapsed, "stderr" if to_err else "stdout", " ".join(words[1:]) + "\n"))
        elif head == "sleep" and len(words) > 1:
            with contextlib.suppress(ValueError):
                elapsed += max(0.0, min(float(words[1]), 86_400.0))
        elif head == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            return ScriptResult(tuple(lines), elapsed, code % 256)
        elif head == "false":
            return ScriptResult(tuple(lines), elapsed, 1)
    return ScriptResult(tuple(lines), elapsed, 0)
