"""h2oharness: contract and load testing for the H2O family of HTTP APIs."""

from __future__ import annotations

from h2oharness.apis import APIS, ApiInfo, get_api
from h2oharness.errors import (
    ConfigError,
    ContractViolation,
    HarnessError,
    JobFailed,
    JobTimeout,
    ProgressRegressed,
    ResponseError,
    SpecError,
    StreamCut,
    StreamServerError,
    StreamViolation,
    TargetAuthError,
    TargetUnavailable,
    TargetUnusable,
    UnknownAPI,
)
from h2oharness.http.polling import Backoff, JobStatus, PollResult, wait_for_job
from h2oharness.http.streaming import JsonlStream, SseStream, StreamEvent, StreamStats, open_stream
from h2oharness.targets import Credentials, Target

__all__ = [
    # registry
    "APIS",
    "ApiInfo",
    "get_api",
    # targets
    "Credentials",
    "Target",
    # polling
    "Backoff",
    "JobStatus",
    "PollResult",
    "wait_for_job",
    # streaming
    "JsonlStream",
    "SseStream",
    "StreamEvent",
    "StreamStats",
    "open_stream",
    # errors: harness side (exit 3)
    "HarnessError",
    "ConfigError",
    "SpecError",
    "TargetUnavailable",
    "TargetAuthError",
    "TargetUnusable",
    "UnknownAPI",
    # errors: API side (exit 1)
    "ContractViolation",
    "ResponseError",
    "JobFailed",
    "JobTimeout",
    "ProgressRegressed",
    "StreamViolation",
    "StreamCut",
    "StreamServerError",
]
