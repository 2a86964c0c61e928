"""The YAML its users write is read by one loader that refuses a repeated key, where PyYAML kept the last."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from h2oharness.baseline import load_baseline
from h2oharness.errors import ConfigError, SpecError
from h2oharness.mocks.faults import FaultError, FaultPlan
from h2oharness.openapi import check_spec_file
from h2oharness.report.loadsummary import load_slos
from h2oharness.yamlinput import DuplicateKey, UniqueKeyLoader, load_yaml


def test_a_repeated_key_is_refused_naming_it_and_both_lines() -> None:
    with pytest.raises(DuplicateKey, match=r"^line 3: the key 'p95_ms' is repeated in one mapping \(first on line 2\)"):
        load_yaml("- entry: GET /3/Jobs\n  p95_ms: 200\n  p95_ms: 900\n")
    with pytest.raises(DuplicateKey, match="'a'"):
        yaml.load('{"a": 1, "a": 2}', Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def test_keys_said_once_and_merge_keys_read_as_before() -> None:
    assert load_yaml("a: 1\nb: [1, 1]\nc: {a: 1}\n") == {"a": 1, "b": [1, 1], "c": {"a": 1}}
    # an explicit key overrides what "<<" merged in: that is YAML's design, not a repeat
    assert load_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n")["c"] == {"x": 3, "y": 2}
    assert isinstance(yaml.load("a: 1", Loader=UniqueKeyLoader), dict)  # noqa: S506


def test_an_slo_rule_repeating_a_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    """``p95_ms: 200`` then ``p95_ms: 900`` in one rule ran as 900, said nowhere."""
    slo = tmp_path / "h2o3.slo.yaml"
    slo.write_text("polling:\n  - entry: GET /3/Jobs/{job_id}\n    p95_ms: 200\n    p95_ms: 900\n")
    with pytest.raises(
        ConfigError, match=r"h2o3\.slo\.yaml: not valid YAML: line 4: the key 'p95_ms' is repeated"
    ) as e:
        load_slos(slo, "polling")
    assert "\n" not in str(e.value)


def test_a_fault_rule_repeating_its_fault_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("rules:\n  - {path: /3/Jobs/*, fault: status=503, fault: reset}\n")
    with pytest.raises(FaultError, match="line 2: the key 'fault' is repeated"):
        FaultPlan.from_file(plan)


def test_known_findings_and_a_spec_repeating_a_key_are_refused(tmp_path: Path) -> None:
    known = tmp_path / "known_findings.yaml"
    known.write_text("- operation: GET /3/Cloud\n  operation: GET /3/Jobs\n  reason: x\n")
    with pytest.raises(SpecError, match="the key 'operation' is repeated"):
        load_baseline(known)
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: {}\n  /a: {}\n")
    with pytest.raises(SpecError, match="line 5: the key '/a' is repeated"):
        check_spec_file(spec)


def test_malformed_yaml_is_said_with_its_line_and_column(tmp_path: Path) -> None:
    """The first line of PyYAML's error was all that was said: "while parsing a flow sequence", and not where
    (the problem's words are libyaml's or PyYAML's, whichever parsed)."""
    plan = tmp_path / "plan.yaml"
    plan.write_text("rules: [{fault: reset}\n")
    with pytest.raises(FaultError, match=r"plan\.yaml is not YAML or JSON: line 2, column 1: \S") as e:
        FaultPlan.from_file(plan)
    assert str(e.value).endswith("(while parsing a flow sequence)")
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\n  paths: {}\n")
    with pytest.raises(SpecError, match=r"is not valid YAML/JSON: line 2, column 8: mapping values are not allowed"):
        check_spec_file(spec)
