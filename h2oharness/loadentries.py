"""The entries a load profile can record, read off its source without importing it (it imports locust).

An SLO names an entry as ``"<type> <name>"``: ``"GET /3/Jobs/{job_id}"`` (a request, by its contract operation:
:func:`h2oharness.http.naming.operation_namer`), ``"JOB h2o3 parse submit-to-done"`` (a figure
:func:`h2oharness.loadtest.job_metrics` records of the job it was given the name of), ``"STREAM h2ogpte jsonl
stream"`` (:func:`h2oharness.loadtest.stream_metrics`), ``"TASK PollingUser.parse"`` (a task the target failed).
An SLO on an entry the profile never records could only be reported broken after the whole load had run;
:func:`check_slo_entries` refuses it before.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from h2oharness.errors import ConfigError
from h2oharness.http.naming import contract_operations, operation_namer
from h2oharness.report.entrynames import JOB, JOB_SUFFIXES, STREAM, STREAM_SUFFIXES, TASK
from h2oharness.report.loadsummary import Rule, load_slos

if TYPE_CHECKING:
    from h2oharness.loadrunner import Profile

#: the helpers of h2oharness/loadtest.py that record named entries, and the type and suffixes of what they record
MEASURES = {"job_metrics": (JOB, JOB_SUFFIXES), "stream_metrics": (STREAM, STREAM_SUFFIXES)}
_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")
#: what a profile calls when it records entries of its own (an event it fires, Locust's own client)
_OWN_ENTRIES = ("fire", "client")


@dataclass
class Recordable:
    """What a profile's source says it can record: entries by type, and the types whose names it does not spell."""

    #: "METHOD /template" of each operation of the profile's contract (empty when it has none)
    operations: set[str] = field(default_factory=set)
    #: JOB and STREAM entries, "<type> <name> <suffix>"
    measured: set[str] = field(default_factory=set)
    #: JOB or STREAM when a name given to its helper is not a literal string (any name of it may then be recorded)
    unnamed: set[str] = field(default_factory=set)
    #: the profile records entries of its own (fires events, uses Locust's client): any entry may be recorded
    open: bool = False
    contract: Path | None = None

    @property
    def known(self) -> list[str]:
        """Every entry spelled out, for the closest matches."""
        return sorted(self.operations | self.measured)


def _local_modules(tree: ast.Module, file: Path) -> Iterator[Path]:
    """The profile's own modules it imports: beside it in loadtests/, or under its suite's root."""
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            if name.partition(".")[0] in ("h2oharness", "locust"):
                continue  # the harness's own modules record what MEASURES says; Locust is no profile's
            relative = Path(*name.split("."))
            for base in (file.parent, file.parent.parent):
                if (base / relative).with_suffix(".py").is_file():
                    yield (base / relative).with_suffix(".py")


def _called(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_task(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        called = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _called(called) == "task":
            return True
    return False


def reached(tree: ast.Module, user_class: str) -> list[ast.AST] | None:
    """The code of ``tree`` a run of ``user_class`` can reach: its Locust entry points (its tasks, ``on_start``,
    ``on_stop``), the methods of its own and of its bases in the module they name through ``self``, and the module's
    functions they name, with the module's own statements outside classes and functions. None when the module does
    not define the class, or the class picks its tasks in a way not read here (a ``tasks`` list, a nested class, no
    ``@task``, a base made at run time)."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if user_class not in classes:
        return None
    chain = [classes[user_class]]
    for cls in chain:  # grows as bases are found: subclass first, so an override hides its base's method
        for base in cls.bases:
            if not isinstance(base, ast.Name):
                return None  # a base made at run time (``Drawn.__bases__[0]``): what it holds is not read here
            if base.id in classes and classes[base.id] not in chain:
                chain.append(classes[base.id])
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for cls in chain:
        for item in cls.body:
            if isinstance(item, ast.ClassDef):
                return None
            if isinstance(item, ast.Assign | ast.AnnAssign) and "tasks" in {
                t.id
                for t in (item.targets if isinstance(item, ast.Assign) else [item.target])
                if isinstance(t, ast.Name)
            }:
                return None
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                methods.setdefault(item.name, item)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    tasks = [m for m in methods.values() if _is_task(m)]
    if not tasks:
        return None  # its tasks come some way not read here (an aliased decorator, a TaskSet of another module)
    todo: list[ast.AST] = [*tasks, *(m for name, m in methods.items() if name in ("on_start", "on_stop"))]
    todo += [n for n in tree.body if not isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)]
    out: list[ast.AST] = []
    while todo:
        code = todo.pop()
        if any(code is done for done in out):
            continue
        out.append(code)
        for node in ast.walk(code):
            if isinstance(node, ast.Call) and _called(node.func) == "getattr":
                todo += methods.values()  # a method named at run time: any of them
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                if node.attr in methods:
                    todo.append(methods[node.attr])
            elif isinstance(node, ast.Name) and node.id in functions:
                todo.append(functions[node.id])
    return out


def read_profile(file: Path, found: Recordable, seen: set[Path] | None = None, user_class: str = "") -> None:
    """Add what ``file`` (a profile, or a module of its own that it imports) records to ``found``: of the whole
    module, or of what ``user_class`` reaches when the module defines it (see :func:`reached`)."""
    seen = set() if seen is None else seen
    if file.resolve() in seen:
        return
    seen.add(file.resolve())
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        found.open = True  # Locust will say what is wrong with it; no SLO is refused for it
        return
    aliases = {a.asname or a.name: a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    code = (reached(tree, user_class) if user_class else None) or [tree]
    for node in (node for part in code for node in ast.walk(part)):
        if isinstance(node, ast.Attribute) and node.attr in _OWN_ENTRIES:
            found.open = True
        if not isinstance(node, ast.Call):
            continue
        called = aliases.get(_called(node.func), _called(node.func))
        if called in _OWN_ENTRIES:
            found.open = True
        if called not in MEASURES:
            continue
        kind, suffixes = MEASURES[called]
        given = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "name"), None)
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if isinstance(given, ast.Constant) and isinstance(given.value, str) and not starred:
            found.measured.update(f"{kind} {given.value} {suffix}" for suffix in suffixes)
        else:
            found.unnamed.add(kind)  # a name made at run time (a variable, an f-string)
    for module in _local_modules(tree, file):
        read_profile(module, found, seen)


def recordable(profile: Profile) -> Recordable:
    """What ``profile`` can record: its contract's operations and the jobs and streams its user class reaches.

    Its contract is ``contracts/<api>/openapi.yaml`` of its suite (the folder holding its ``loadtests/``), as the
    profiles name their requests by.
    """
    contract = profile.file.parent.parent / "contracts" / profile.api.slug / "openapi.yaml"
    found = Recordable(contract=contract if contract.is_file() else None)
    found.operations = {f"{method} {template}" for method, template in contract_operations(contract)}
    read_profile(profile.file, found, user_class=profile.user_class)
    return found


def _closest(entry: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(entry, list(candidates), n=3, cutoff=0.6)
    return f"closest valid names: {', '.join(repr(c) for c in close)}" if close else "no valid name is close"


def why_unrecordable(entry: str, found: Recordable) -> str | None:
    """Why no run of the profile can record ``entry`` (its closest valid names), None when one can; a request to
    a path outside the contract is named by the path itself, and is said apart (see :func:`outside_contract`)."""
    kind, _, name = entry.partition(" ")
    if found.open or kind == TASK or entry in found.measured or entry in found.operations:
        return None
    if kind in found.unnamed:
        suffixes = MEASURES["job_metrics" if kind == JOB else "stream_metrics"][1]
        if name.endswith(tuple(f" {s}" for s in suffixes)):
            return None
        return f"a {kind} entry ends with one of: {', '.join(suffixes)}"
    if kind in _METHODS:
        if found.contract is None or outside_contract(entry, found) is not None:
            return None  # without a contract the profile's requests are named by their paths
        named = operation_namer(found.contract)(kind, name)
        if _raw_path(name) and named != name:
            return f"a request to {name} is recorded as {f'{kind} {named}'!r}"
    return _closest(entry, found.known)


def _raw_path(text: str) -> bool:
    """Whether ``text`` may be a request's path as sent: a template's placeholder or a space is none."""
    return text.startswith("/") and not re.search(r"[{}\s]", text)


def outside_contract(entry: str, found: Recordable) -> str | None:
    """What to say of ``"METHOD /path"`` when it is no operation of the contract but a request to that very path
    is named so (operation_namer names a request that matches no operation by its raw path); None otherwise."""
    method, _, path = entry.partition(" ")
    if found.contract is None or method not in _METHODS or entry in found.operations:
        return None
    # one an operation matches is named by that operation instead
    if not _raw_path(path) or operation_namer(found.contract)(method, path) != path:
        return None
    return (
        f"SLO entry {entry!r} is no operation of {found.contract}: only a request to that very path, outside the "
        f"contract, is named so ({_closest(entry, found.operations)})"
    )


def check_slo_entries(profile: Profile, overrides: Sequence[Rule]) -> list[str]:
    """ConfigError naming the first SLO (of ``--slo``, then of the profile's SLO file) on an entry the profile can
    never record, and the closest valid names; the warnings to say of the rules it accepts all the same."""
    found = recordable(profile)
    warnings: list[str] = []
    sources = [("--slo", overrides), (str(profile.slo_file), load_slos(profile.slo_file, profile.kind, profile.kinds))]
    if not any(rules for _, rules in sources):
        # it passed on none, exit 0, "0/0 SLOs met": a run whose every request failed as well
        where = (
            f"{profile.slo_file} has no SLO under '{profile.kind}'"
            if profile.slo_file.is_file()
            else (f"there is no {profile.slo_file}")
        )
        warnings.append(f"{profile.name} has no SLO: {where} and no --slo was given; the run is judged on none")
    for where, rules in sources:
        for entry in dict.fromkeys(rule.entry for rule in rules if rule.entry):
            why = why_unrecordable(entry, found)
            if why is not None:
                raise ConfigError(f"{where}: an SLO on {entry!r}, an entry {profile.name} never records; {why}")
            if (said := outside_contract(entry, found)) is not None:
                warnings.append(f"{where}: {said}")
    return warnings
