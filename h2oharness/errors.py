"""The two exception trees of h2oharness.

Everything the harness raises on purpose descends from one of two roots, and
the root decides the exit code of the CLI::

    HarnessError                    the harness, its config or its input is wrong  -> exit 3
     ├── ConfigError                 an option, environment variable or file is bad
     ├── TargetUnavailable           the target cannot be reached or started
     │    └── TargetAuthError        the target refuses our credentials
     ├── SpecError                   an OpenAPI document or H2O-3 metadata is malformed
     └── UnknownAPI                  an API slug that the registry does not know

    AssertionError
     └── ContractViolation           the API under test broke its contract           -> exit 1
          ├── ResponseError          an error status; each API's client has its own subclass
          ├── JobFailed              a job ended FAILED or CANCELLED
          ├── JobTimeout             a job did not finish before its deadline
          ├── ProgressRegressed      a job's progress went backwards
          ├── NoAnswer               no complete answer: reset, cut short, or past the request's deadline
          ├── DeadlineExceeded       a test ran past its deadline, or the run past its own
          └── StreamViolation        a streamed response broke its format or its timing bounds
               ├── StreamCut          the stream ended (EOF or a transport error) before its last line
               └── StreamServerError  the server itself ended the stream with an error line

``ContractViolation`` is an ``AssertionError`` so that pytest reports it as a
failed check rather than an error in the test itself.
"""

from __future__ import annotations

#: the exit codes every command and report uses: all conforms, a contract violation (or broken SLO), a harness error
EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_HARNESS_ERROR = 3
#: pytest's own: it collected no test, or selected none (``-k``) of those it collected; a report of such a session
#: records it, since nothing conformed either
EXIT_NO_TESTS = 5


class HarnessError(Exception):
    """The harness cannot do its work: bad configuration, input or environment."""


class ConfigError(HarnessError):
    """An option, environment variable or configuration file is invalid."""


class TargetUnavailable(HarnessError):
    """The target server cannot be reached, or a managed server failed to start."""


class TargetAuthError(TargetUnavailable):
    """The target answered, but refused the credentials we were given."""


class TargetUnusable(TargetUnavailable):
    """A run's target for one API could not be used at all (no URL, unreachable, refused credentials): its tests
    did not run. ``kind`` and ``url`` name it for the report, since no test got hold of it."""

    def __init__(self, message: str, kind: str, url: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.url = url


class SpecError(HarnessError):
    """An OpenAPI document or an H2O-3 metadata document is malformed."""


class UnknownAPI(HarnessError):
    """An API slug that is not in the registry."""


class ContractViolation(AssertionError):
    """The API under test did something its contract forbids."""


#: what a server answers when it does not answer a request now (too many requests, a gateway's failure, unavailable):
#: the request may be sent again later, and an example replayed into one cannot be compared with what it promises
NOT_ANSWERED = frozenset({429, 502, 503, 504})


class ResponseError(ContractViolation):
    """The API answered an error status to ``method path``; each API's client words ``message`` its own way.

    ``retry_after`` is the wait in seconds the server asked for (its ``Retry-After``), if it asked.
    """

    def __init__(
        self, message: str, *, method: str, path: str, status: int, body: object, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def not_answered(self) -> bool:
        """Whether the server put the request off (429, 502, 503, 504) rather than refusing it."""
        return self.status in NOT_ANSWERED


class JobFailed(ContractViolation):
    """A job ended in a failure state; the message carries the server's own reason."""


class JobTimeout(ContractViolation):
    """A job did not reach a final state before its deadline."""


class ProgressRegressed(ContractViolation):
    """A job's reported progress went down between two polls."""


class NoAnswer(ContractViolation):
    """A request got no complete answer (reset, cut short, past its total deadline); the message names it, and
    ``curl`` reproduces it (secrets redacted) when the request sent is known."""

    def __init__(self, message: str, curl: str | None = None) -> None:
        super().__init__(message)
        self.curl = curl


class DeadlineExceeded(ContractViolation):
    """A test did not finish within its deadline (or the run's); the message names the test and the deadline."""


class StreamViolation(ContractViolation):
    """A streamed response broke its contract: a malformed line, data after its end, a wrong Content-Type, a bound.

    ``line`` is the 1-based number of the offending line when there is one; ``events`` counts the data events
    read before the violation.
    """

    def __init__(self, message: str, *, line: int | None = None, events: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.events = events


class StreamCut(StreamViolation):
    """The stream ended, by EOF or a transport error, before the line that closes it."""


class StreamServerError(StreamViolation):
    """The server ended the stream with an error line; ``error`` is what it said, as it said it."""

    def __init__(self, message: str, *, error: object = None, line: int | None = None, events: int = 0) -> None:
        super().__init__(message, line=line, events=events)
        self.error = error
