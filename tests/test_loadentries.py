"""The SLO check before a load starts: an entry the profile can never record is refused, naming the closest ones."""

from __future__ import annotations

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
    found = recordable(find_profile("h2ogpte.streaming", ROOT))
    assert not found.open
    assert not found.unnamed
    assert {"JOB h2ogpte ingest submit-to-done", "STREAM h2ogpte sse time to first token"} <= found.measured
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


def test_run_wide_rules_task_entries_and_a_job_of_another_profile_kind_are_accepted() -> None:
    # the mixed profile's rules name GBM jobs the polling one runs: a file's entries are those of all its users
    overrides = ["failure_ratio=0.05", "min_rps=1", "TASK PollingUser.parse_and_train:min_requests=0"]
    overrides.append("JOB h2o3 gbm submit-to-done (from schedule):p95_ms=900")
    profile = find_profile("h2o3.mixed", ROOT)
    assert check_slo_entries(profile, [parse_override(text) for text in overrides]) == []


def test_a_request_outside_the_contract_is_accepted_and_said() -> None:
    # operation_namer names a request that matches no operation by its raw path: a profile may record one
    profile = find_profile("h2o3.polling", ROOT)
    said = check_slo_entries(profile, [parse_override("GET /3/Frame:p95_ms=500")])
    assert len(said) == 1
    assert said[0].startswith("--slo: SLO entry 'GET /3/Frame' is no operation of ")
    assert "closest valid names: 'GET /3/Frames'" in said[0]


def test_the_slo_file_s_own_rules_are_checked_and_named(tmp_path: Path) -> None:
    slos = "polling:\n  - entry: JOB suite job submit-to-done\n    p95_ms: 10\n"
    slos += "  - entry: GET /3/Only/{ky}\n    p95_ms: 10\n"
    profile = find_profile("h2o3.polling", suite(tmp_path, slos=slos))
    with pytest.raises(ConfigError) as refused:
        check_slo_entries(profile, [])
    assert str(refused.value).startswith(f"{tmp_path / 'loadtests' / 'h2o3.slo.yaml'}: an SLO on 'GET /3/Only/{{ky}}'")
    assert "closest valid names: 'GET /3/Only/{key}'" in str(refused.value)


def test_a_suite_s_own_profile_and_contract_are_read_not_the_project_s(tmp_path: Path) -> None:
    profile = find_profile("h2o3.polling", suite(tmp_path))
    accepted = ["GET /3/Only/{key}", "STREAM suite stream ITL"]
    # its job's name is made at run time: any name of it, with a figure job_metrics records
    accepted.append("JOB anything at all submit-to-done")
    assert check_slo_entries(profile, [parse_override(f"{e}:p95_ms=10") for e in accepted]) == []
    for entry, needle in (
        ("GET /3/Jobs/{job_id}", "no valid name is close"),  # the project's contract's
        ("STREAM h2ogpte jsonl stream", "'STREAM suite stream stream'"),
        ("JOB h2o3 parse submit-to-dne", "a JOB entry ends with one of: submitted, submit-to-done"),
    ):
        with pytest.raises(ConfigError, match="never records") as refused:
            check_slo_entries(profile, [parse_override(f"{entry}:p95_ms=10")])
        assert needle in str(refused.value)


@pytest.mark.parametrize(
    "profile",
    [
        # it fires events of its own, or sends through Locust's own client: it may record any entry
        "from locust import task\nfrom h2oharness.loadtest import HarnessUser, fire\n\n\n"
        "class PollingUser(HarnessUser):\n    @task\n    def t(self) -> None:\n"
        "        fire(self.environment, 'MINE', 'x', 1.0)\n",
        "from locust import task\nfrom h2oharness.loadtest import HarnessUser\n\n\nclass PollingUser(HarnessUser):"
        "\n    @task\n    def t(self) -> None:\n        self.client.get('/x', name='mine')\n",
        # not Python: Locust says so when it starts, and no SLO is refused for it
        "class PollingUser(:\n",
    ],
    ids=["fires", "client", "broken"],
)
def test_a_profile_that_records_entries_of_its_own_has_none_refused(profile: str, tmp_path: Path) -> None:
    found = find_profile("h2o3.polling", suite(tmp_path, profile))
    assert check_slo_entries(found, [parse_override("MINE x:p95_ms=10"), parse_override("GET mine:p95_ms=5")]) == []


def test_a_module_of_the_suite_the_profile_imports_is_read(tmp_path: Path) -> None:
    profile = "from locust import task\n\nfrom shared import Base\n\n\nclass PollingUser(Base):\n    pass\n"
    root = suite(tmp_path, profile)
    (root / "loadtests" / "shared.py").write_text(
        "from h2oharness.loadtest import HarnessUser, job_metrics\n\n\nclass Base(HarnessUser):\n    abstract = True\n"
        "\n    def work(self) -> None:\n        with job_metrics(self.environment, 'shared job'):\n            pass\n"
    )
    found = find_profile("h2o3.polling", root)
    assert check_slo_entries(found, [parse_override("JOB shared job submitted:min_requests=1")]) == []
    with pytest.raises(ConfigError, match="closest valid names: 'JOB shared job submitted'"):
        check_slo_entries(found, [parse_override("JOB shared jobs submitted:min_requests=1")])
