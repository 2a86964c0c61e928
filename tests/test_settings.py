"""Settings: every HARNESS_* variable read and written in one place, round-tripping, with clear errors."""

from __future__ import annotations

import pytest

from h2oharness.errors import ConfigError
from h2oharness.settings import Handed, Settings, api_secrets, secret_variable, variable


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert (settings.target, settings.max_examples, settings.max_restarts, settings.confirm_replays) == (
        "mock",
        10,
        4,
        12,
    )
    assert Settings().to_env() == {}


@pytest.mark.parametrize("raw", ["", " ", "\t"])
def test_a_variable_set_empty_or_blank_counts_as_unset(raw: str) -> None:
    """``HARNESS_BUDGET=' '`` was a budget that could not be read, ``HARNESS_TARGET=' '`` "--harness-target is
    empty", ``HARNESS_MAX_EXAMPLES=' '`` "is not a int", ``HARNESS_H2O3_SPEC=' '`` a spec named ' '."""
    from h2oharness.settings import _PLAIN

    env = {variable: raw for variable, _ in _PLAIN.values()} | {"HARNESS_H2O3_SPEC": raw}
    assert Settings.from_env(env) == Settings()


def test_every_field_round_trips_through_the_environment() -> None:
    settings = Settings(
        target="mock,local",
        seed=7,
        max_examples=3,
        all_operations=True,
        include_destructive=True,
        real_keys=True,
        max_restarts=1,
        confirm_replays=0,
        keep_server_dirs=True,
        load_users=20,
        arrival_rate=2.5,
        load_worker_dir="/tmp/w",
        job_timeout=30.0,
        stream_deadline=5.0,
        stall_seconds=0.5,
        h2o3_load_rows=50,
        handed={"H2O3": Handed("live", "http://127.0.0.1:54321", "3.46.0.12", "qa", "pw", None)},
        specs={"H2OGPTE": "/tmp/other.yaml"},
    )
    env = settings.to_env()
    assert env["HARNESS_ARRIVAL_RATE"] == "2.5"
    assert env["HARNESS_H2O3_PASSWORD"] == "pw"
    assert "HARNESS_H2O3_API_KEY" not in env
    assert Settings.from_env(env) == settings


def test_a_handed_target_needs_its_url_and_keeps_an_empty_password() -> None:
    env = {"HARNESS_H2OGPTE_API_KEY": "sk", "HARNESS_H2O3_USERNAME": "u", "HARNESS_H2O3_PASSWORD": ""}
    assert Settings.from_env(env).handed == {}  # no HARNESS_<API>_URL: nothing was handed down
    env["HARNESS_H2O3_URL"] = "http://127.0.0.1:1"
    handed = Settings.from_env(env).handed
    assert handed == {"H2O3": Handed(url="http://127.0.0.1:1", username="u", password="")}
    assert Settings(handed=handed).to_env()["HARNESS_H2O3_PASSWORD"] == ""


def test_a_live_target_the_cli_could_not_use_is_handed_down_with_its_reason() -> None:
    handed = {"COREPLEXML": Handed("live", "", error="cannot reach http://127.0.0.1:9: refused")}  # no URL known
    env = Settings(handed=handed).to_env()
    assert env["HARNESS_COREPLEXML_ERROR"] == "cannot reach http://127.0.0.1:9: refused"
    assert Settings.from_env(env).handed == handed


def test_load_and_api_names_are_not_mistaken_for_handed_targets() -> None:
    env = {"HARNESS_H2O3_LOAD_ROWS": "40", "HARNESS_LOAD_WORKER_DIR": "/x", "HARNESS_H2O3_URL": "http://h"}
    settings = Settings.from_env(env)
    assert settings.h2o3_load_rows == 40
    assert settings.load_worker_dir == "/x"
    assert set(settings.handed) == {"H2O3"}


@pytest.mark.parametrize("raw", ["ture", "enabled", "2", "y es"])
def test_a_yes_no_variable_that_is_neither_is_refused_naming_it(raw: str) -> None:
    # read as off: HARNESS_ALL_OPERATIONS=ture ran the default scope, and the run passed on it
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"HARNESS_ALL_OPERATIONS": raw})
    assert str(refused.value) == (
        f"HARNESS_ALL_OPERATIONS={raw!r} is neither on nor off: use 1 or 0 (true/false, yes/no, on/off)"
    )


@pytest.mark.parametrize(("raw", "value"), [("1", True), (" TRUE ", True), ("On", True), ("0", False), ("no", False)])
def test_a_yes_no_variable_takes_its_words_in_any_case(raw: str, value: bool) -> None:
    assert Settings.from_env({"HARNESS_REAL_KEYS": raw}).real_keys is value


def test_a_malformed_value_names_its_variable() -> None:
    # it said "is not a int", and "is not a float" to one who set a number of seconds
    for name, raw, said in [
        ("HARNESS_MAX_EXAMPLES", "many", "is not a whole number"),
        ("HARNESS_MAX_EXAMPLES", "2.5", "is not a whole number"),
        ("HARNESS_JOB_TIMEOUT", "10s", "is not a number"),
    ]:
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({name: raw})
        assert str(refused.value) == f"{name}={raw!r} {said}"


@pytest.mark.parametrize(
    "variable",
    [
        "HARNESS_REQUEST_DEADLINE",
        "HARNESS_STREAM_DEADLINE",
        "HARNESS_TEST_DEADLINE",
        "HARNESS_RUN_DEADLINE",
        # a load profile's jobs all failed at once, as if the target had been too slow
        "HARNESS_JOB_TIMEOUT",
        "HARNESS_STALL_SECONDS",
    ],
)
# inf and 1e12: every test failed with setitimer's OverflowError (a test's and the run's deadline are a timer)
@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "1e12"])
def test_a_deadline_that_is_not_positive_names_its_variable(variable: str, raw: str) -> None:
    # httpx refuses a negative timeout in every request it sends: each test of the run was an internal error
    with pytest.raises(ConfigError, match=f"{variable}='{raw}' must be a positive number of seconds"):
        Settings.from_env({variable: raw})


@pytest.mark.parametrize("variable", ["HARNESS_MAX_RESTARTS", "HARNESS_CONFIRM_REPLAYS"])
def test_a_negative_count_names_its_variable(variable: str) -> None:
    # -1 was taken as 0 without a word: no restart, crashes unconfirmed
    with pytest.raises(ConfigError, match=f"{variable}='-1' must be 0 or more"):
        Settings.from_env({variable: "-1"})
    assert getattr(Settings.from_env({variable: "0"}), variable.removeprefix("HARNESS_").lower()) == 0


def test_no_example_per_operation_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="HARNESS_MAX_EXAMPLES='0' must be at least 1"):
        Settings.from_env({"HARNESS_MAX_EXAMPLES": "0"})


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("0", False), ("no", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert Settings.from_env({"HARNESS_REAL_KEYS": raw}).real_keys is value


def test_only_exports_the_named_fields_and_child_environment_replaces_harness_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HARNESS_SEED", "99")
    monkeypatch.setenv("HARNESS_STALE_THING", "x")
    monkeypatch.delenv("HARNESS_REAL_KEYS", raising=False)
    settings = Settings(real_keys=True, max_examples=4)
    assert settings.to_env(("real_keys",)) == {"HARNESS_REAL_KEYS": "1"}
    child = settings.child_environment()
    assert child["HARNESS_REAL_KEYS"] == "1"
    assert child["HARNESS_MAX_EXAMPLES"] == "4"
    assert "HARNESS_SEED" not in child  # these settings have no seed: the parent's is not passed on
    assert "HARNESS_STALE_THING" not in child
    assert child.get("PATH")  # the rest of the environment is kept


def test_secrets_of_handed_targets_and_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(handed={"A": Handed(url="u", password="p1", token="t1")}).secrets() == ("p1", "t1")
    monkeypatch.setenv("WORKFLOWS_CLIENT_SECRET", "cs")
    monkeypatch.setenv("HARNESS_H2O3_PASSWORD", "hp")
    found = api_secrets(["H2O3", "WORKFLOWS"])
    assert "cs" in found
    assert "hp" in found


def test_variables_and_the_ones_an_option_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2O3_DATASET_PATH", "")
    assert variable("H2O3_DATASET_PATH") is None  # empty is unset
    monkeypatch.setenv("H2O3_URL", " ")
    assert variable("H2O3_URL") is None  # and so is blank
    monkeypatch.setenv("MY_EMPTY_PASSWORD", " ")
    with pytest.raises(ConfigError, match="--password-env names MY_EMPTY_PASSWORD, which is set to ' '"):
        secret_variable("MY_EMPTY_PASSWORD", "--password-env")
    monkeypatch.setenv("MY_PASSWORD", "s3cret")
    assert secret_variable("MY_PASSWORD", "--password-env") == "s3cret"
    assert secret_variable(None, "--password-env") is None
    monkeypatch.delenv("NOT_THERE", raising=False)
    with pytest.raises(ConfigError, match="--api-key-env names NOT_THERE, which is not set"):
        secret_variable("NOT_THERE", "--api-key-env")


def test_known_secrets_gather_every_api_and_url_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from h2oharness.settings import known_secrets, url_password

    monkeypatch.setenv("WORKFLOWS_REFRESH_TOKEN", "rt")
    monkeypatch.setenv("H2OGPTE_API_KEY", "key")
    monkeypatch.setenv("H2O3_URL", "http://u:p%2Fw@h:1")
    monkeypatch.setenv("HARNESS_COREPLEXML_API_KEY", "handed")
    found = known_secrets("given", None, "")
    assert {"rt", "key", "p/w", "handed", "given"} <= set(found)
    assert "" not in found
    assert url_password("http://h:1/x") is None
    assert url_password("http://[::1") is None  # malformed: not an error here


@pytest.mark.parametrize("raw", ["-5", "0", "19"])
def test_too_few_rows_for_the_h2o3_load_profiles_gbm_are_refused(raw: str) -> None:
    # every GBM of h2o3.polling failed on them (a real H2O-3 needs 20 rows; -5 made an empty CSV, 0 meant 200),
    # and the run blamed the server's 412s
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"HARNESS_H2O3_LOAD_ROWS": raw})
    assert str(refused.value).startswith(f"HARNESS_H2O3_LOAD_ROWS={raw!r} must be at least 20: the profiles' GBM")
    assert Settings.from_env({"HARNESS_H2O3_LOAD_ROWS": "20"}).h2o3_load_rows == 20
