"""The SLO check before a load starts: an entry the profile can never record is refused, naming the closest ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from h2oharness.errors import ConfigError
from h2oharness.loadentries import check_slo_entries, recordable
from h2oharness.loadrunner import find_profile
from h2oharness.report.loadsummary import parse_override

ROOT = Path(__file__).resolve().parent.parent

#: a suite's own profile of h2o3: its job's name is made at run time, its stream's is literal
SUITE_PROFILE = """
from locust import task

from h2oharness.loadtest import HarnessUser, job_metrics, stream_metrics as measured

KIND = "suite"


class PollingUser(HarnessUser):
    @task
    def work(self) -> None:
        with job_metrics(self.environment, f"{KIND} job"):
            pass
        with measured(self.environment, name="suite stream"):
            pass
"""
#: the suite's own contract of h2o3: one operation
SUITE_CONTRACT = """openapi: 3.0.3
info: {title: suite, version: '1'}
paths:
  /3/Only/{key}:
    get:
      responses: {'200': {description: ok}}
"""


def suite(tmp_path: Path, profile: str = SUITE_PROFILE, slos: str = "") -> Path:
    (tmp_path / "loadtests").mkdir()
    (tmp_path / "loadtests" / "h2o3.py").write_text(profile)
    (tmp_path / "loadtests" / "h2o3.slo.yaml").write_text(slos)
    (tmp_path / "contracts" / "h2o3").mkdir(parents=True)
    (tmp_path / "contracts" / "h2o3" / "openapi.yaml").write_text(SUITE_CONTRACT)
    return tmp_path


def shipped_profiles() -> list[str]:
    names = []
    for slo_file in sorted((ROOT / "loadtests").glob("*.slo.yaml")):
        slug = slo_file.name.removesuffix(".slo.yaml")
        names += [f"{slug}.{kind}" for kind in yaml.safe_load(slo_file.read_text())]
    return names


@pytest.mark.parametrize("name", shipped_profiles())
def test_every_slo_file_shipped_passes_the_check(name: str) -> None:
    profile = find_profile(name, ROOT)
    assert check_slo_entries(profile, []) == []


def test_the_shipped_profiles_are_read_whole() -> None:
    assert len(shipped_profiles()) == 9
    found = recordable(find_profile("h2ogpte.mixed", ROOT))
    assert not found.open
    assert not found.unnamed
    assert {"JOB h2ogpte ingest submit-to-done", "STREAM h2ogpte jsonl time to first token"} <= found.measured
    assert "STREAM h2ogpte sse time to first token" not in found.measured  # StreamingUser's alone
    assert "GET /api/v1/models" in found.operations


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("GET /3/Job/{job_id}:p95_ms=500", "closest valid names: 'GET /3/Jobs/{job_id}'"),
        ("JOB h2o3 pars submit-to-done:p95_ms=500", "closest valid names: 'JOB h2o3 parse submit-to-done'"),
        ("JOB h2o3 parse submited:min_requests=1", "closest valid names: 'JOB h2o3 parse submitted'"),
        # a request to a path an operation matches is recorded under the operation
        ("GET /3/Jobs/abc:p95_ms=500", "a request to /3/Jobs/abc is recorded as 'GET /3/Jobs/{job_id}'"),
        ("WHATEVER:min_requests=1", "no valid name is close"),
    ],
)
def test_an_slo_on_an_entry_the_profile_never_records_is_refused_naming_the_closest(override: str, needle: str) -> None:
    profile = find_profile("h2o3.polling", ROOT)
    with pytest.raises(ConfigError) as refused:
        check_slo_entries(profile, [parse_override(override)])
    entry = override.rpartition(":")[0]
    assert str(refused.value).startswith(f"--slo: an SLO on {entry!r}, an entry h2o3.polling never records; ")
    assert needle in str(refused.value)


def test_run_wide_rules_and_task_entries_are_accepted() -> None:
    overrides = ["failure_ratio=0.05", "min_rps=1", "TASK PollingUser.parse_and_train:min_requests=0"]
    overrides.append("JOB h2o3 parse submit-to-done (from schedule):p95_ms=900")
    profile = find_profile("h2o3.mixed", ROOT)
    assert check_slo_entries(profile, [parse_override(text) for text in overrides]) == []


def test_a_job_only_another_user_class_of_the_file_runs_is_refused() -> None:
    """h2o3.mixed runs MixedUser alone, which parses and never trains: an SLO on the GBM jobs of PollingUser
    could only be reported unobserved after the whole load."""
    gbm = [parse_override("JOB h2o3 gbm submit-to-done:p95_ms=900")]
    assert check_slo_entries(find_profile("h2o3.polling", ROOT), gbm) == []
    with pytest.raises(ConfigError) as refused:
        check_slo_entries(find_profile("h2o3.mixed", ROOT), gbm)
    assert str(refused.value).startswith("--slo: an SLO on 'JOB h2o3 gbm submit-to-done', an entry h2o3.mixed never")
    # what MixedUser reaches through its base's helper, and the module's function its task calls
    assert "JOB h2o3 parse submit-to-done" in recordable(find_profile("h2o3.mixed", ROOT)).measured
    streams = recordable(find_profile("h2ogpte.polling", ROOT)).measured
    assert "JOB h2ogpte ingest submitted" in streams
    assert not any(entry.startswith("STREAM") for entry in streams)


#: a suite's profile: a task reaching a module function through its base's method, a class listing its tasks
CLASSES = """
from locust import task

from h2oharness.loadtest import HarnessUser, job_metrics


def measured(environment):
    return job_metrics(environment, "base job")


class Base(HarnessUser):
    abstract = True

    def helper(self) -> None:
        with measured(self.environment):
            pass

    def unused(self) -> None:
        with job_metrics(self.environment, "unused job"):
            pass


class PollingUser(Base):
    @task
    def work(self) -> None:
        self.helper()


class MixedUser(HarnessUser):
    tasks = [lambda user: user.other()]

    def other(self) -> None:
        with job_metrics(self.environment, "listed job"):
            pass


class StreamingUser(HarnessUser):
    @task
    def stream(self) -> None:
        with job_metrics(self.environment, "stream job"):
            pass

    def by_name(self) -> None:
        with job_metrics(self.environment, "named job"):
            pass


class _Named(StreamingUser):
    @task
    def pick(self) -> None:
        getattr(self, "by_" + "name")()


class _Drawn(_Named.__bases__[0]):
    @task
    def other(self) -> None:
        pass
"""


def test_a_user_class_reaches_its_base_s_methods_and_the_module_s_functions(tmp_path: Path) -> None:
    root = suite(tmp_path, CLASSES)
    polling = recordable(find_profile("h2o3.polling", root)).measured
    assert {"JOB base job submitted", "JOB base job submit-to-done"} <= polling
    assert not any("unused job" in entry or "stream job" in entry for entry in polling)
    # a class that lists its tasks is read whole: the file's every entry may be its
    assert "JOB stream job submitted" in recordable(find_profile("h2o3.mixed", root)).measured
    assert "JOB stream job submitted" in recordable(find_profile("h2o3.streaming", root)).measured
    assert "JOB base job submitted" not in recordable(find_profile("h2o3.streaming", root)).measured
    assert "JOB named job submitted" not in recordable(find_profile("h2o3.streaming", root)).measured


def test_a_method_named_at_run_time_or_a_base_made_at_run_time_is_read_whole(tmp_path: Path) -> None:
    from h2oharness.loadentries import reached

    tree = ast.parse(CLASSES)
    named = reached(tree, "_Named")
    assert named is not None
    assert any("named job" in ast.unparse(code) for code in named)  # getattr(self, ...): any method may be called
    assert reached(tree, "_Drawn") is None


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        (
            "pollling",
            "a section 'pollling' names no profile of h2o3.py (its profiles: polling); did you mean 'polling'?",
        ),
        ("streaming", "a section 'streaming' names no profile of h2o3.py (its profiles: polling)"),
        ("5", "a section 5 names no profile of h2o3.py"),
    ],
)
def test_an_slo_file_section_naming_no_profile_of_the_file_is_refused(
    section: str, needle: str, tmp_path: Path
) -> None:
    # a misspelt section left the profile without SLOs: every run of it passed, "0/0 SLOs met"
    root = suite(tmp_path, slos=f"polling:\n  - failure_ratio: 0.01\n{section}:\n  - failure_ratio: 0.01\n")
    with pytest.raises(ConfigError) as refused:
        check_slo_entries(find_profile("h2o3.polling", root), [])
    assert str(refused.value).startswith(str(root / "loadtests" / "h2o3.slo.yaml"))
    assert needle in str(refused.value)


@pytest.mark.parametrize("slos", ["", "polling:\n", None], ids=["empty-file", "empty-section", "no-file"])
def test_a_profile_without_any_slo_is_said_before_the_load(slos: str | None, tmp_path: Path) -> None:
    # it ran and passed on none, exit 0, "0/0 SLOs met", even when every request failed
    root = suite(tmp_path, slos=slos or "")
    slo_file = root / "loadtests" / "h2o3.slo.yaml"
    if slos is None:
        slo_file.unlink()
    profile = find_profile("h2o3.polling", root)
    where = f"there is no {slo_file}" if slos is None else f"{slo_file} has no SLO under 'polling'"
    assert check_slo_entries(profile, []) == [
        f"h2o3.polling has no SLO: {where} and no --slo was given; the run is judged on none"
    ]
    assert check_slo_entries(profile, [parse_override("failure_ratio=0.01")]) == []
