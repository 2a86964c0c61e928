"""Streaming metrics as the field defines them (GuideLLM, vLLM's ``benchmark_serving``, AIPerf), from token times.

Pure functions over what a stream reader saw: the time of each content-bearing event since the request was
sent, the time of the last byte, and the output-token count the server reported, if any. Times in seconds.

* **TTFT**: request sent -> first content token (events that carry no text, such as a role-only chunk, do not count).
* **ITL**: each gap between two consecutive content tokens; the first token's wait (TTFT) is not one of them.
  Measured per content chunk, as vLLM's benchmark does (AIPerf calls these gaps inter-chunk latency).
* **TPOT**: (E2E - TTFT) / (output tokens - 1), for a request with at least two output tokens (vLLM's TPOT;
  AIPerf names this per-request mean "inter_token_latency").
* **E2E**: request sent -> the stream's last byte.
* **output tokens**: the server's count where it reports one (``usage.completion_tokens`` in an OpenAI chunk,
  ``usage.output_tokens`` in a Responses event or an h2oGPTe line), else ours: the content chunks seen.
* **output tokens/s**: per request, output tokens / E2E; aggregate, all streams' output tokens / the run's
  duration (the report's figure; see :mod:`h2oharness.report.streamsummary`).
* **usage mismatch**: the server's count minus ours, where both exist (a chunk carrying two tokens, or usage that
  does not describe the stream it came with).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from h2oharness.errors import HarnessError

__all__ = ["DEFINITIONS", "StreamMetrics", "aggregate_tokens_per_second", "measure", "reported_output_tokens"]

#: each metric's definition, as load.json and the load summary name it
DEFINITIONS: dict[str, str] = {
    "TTFT": "request sent -> first content token (events without text do not count)",
    "ITL": "gaps between consecutive content tokens, per chunk; the first token's wait (TTFT) excluded",
    "TPOT": "(E2E - TTFT) / (output tokens - 1), per request with 2 or more output tokens",
    "E2E": "request sent -> the stream's last byte",
    "output tokens": "the server's usage count where it reports one (completion_tokens / output_tokens), else the "
    "content chunks we saw",
    "output tokens/s": "per request: output tokens / E2E; aggregate: all streams' output tokens / the run's duration",
    "usage mismatch": "|server-reported output tokens - our count|, per stream where both exist",
}


@dataclass(frozen=True)
class StreamMetrics:
    """One stream's figures under the field's definitions; times in seconds since the request was sent."""

    ttft: float | None
    e2e: float
    itl: tuple[float, ...]
    counted_tokens: int
    reported_tokens: int | None = None

    @property
    def output_tokens(self) -> int:
        """The server's count where it reported one, else ours."""
        return self.reported_tokens if self.reported_tokens is not None else self.counted_tokens

    @property
    def token_source(self) -> Literal["usage", "counted"]:
        """Where ``output_tokens`` comes from."""
        return "usage" if self.reported_tokens is not None else "counted"

    @property
    def tpot(self) -> float | None:
        """(E2E - TTFT) / (output tokens - 1); None without a first token or with fewer than two tokens."""
        if self.ttft is None or self.output_tokens < 2:
            return None
        return (self.e2e - self.ttft) / (self.output_tokens - 1)

    @property
    def tokens_per_second(self) -> float:
        """Output tokens / E2E (0.0 when no time passed)."""
        return self.output_tokens / self.e2e if self.e2e > 0 else 0.0

    @property
    def usage_mismatch(self) -> int | None:
        """Server-reported tokens minus our count, when the server reported any."""
        return None if self.reported_tokens is None else self.reported_tokens - self.counted_tokens

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy with the derived figures."""
        return {
            "ttft": self.ttft,
            "itl": list(self.itl),
            "tpot": self.tpot,
            "e2e": self.e2e,
            "output_tokens": self.output_tokens,
            "token_source": self.token_source,
            "counted_tokens": self.counted_tokens,
            "reported_tokens": self.reported_tokens,
            "usage_mismatch": self.usage_mismatch,
            "tokens_per_second": self.tokens_per_second,
        }


def measure(token_times: Sequence[float], e2e: float, reported_tokens: int | None = None) -> StreamMetrics:
    """The metrics of one stream whose content tokens arrived at ``token_times`` and whose last byte at ``e2e``.

    Example:
        >>> m = measure([0.1, 0.11, 0.12], e2e=0.13, reported_tokens=3)
        >>> round(m.ttft, 2), [round(g, 2) for g in m.itl], round(m.tpot, 3)
        (0.1, [0.01, 0.01], 0.015)
    """
    times = list(token_times)
    if any(later < earlier for earlier, later in itertools.pairwise(times)):
        raise HarnessError("token times must not go backwards")
    if times and (times[0] < 0 or e2e < times[-1]):
        raise HarnessError(f"the last byte ({e2e} s) cannot come before the last token ({times[-1]} s) nor at < 0")
    if reported_tokens is not None and reported_tokens < 0:
        raise HarnessError(f"a server cannot report {reported_tokens} output tokens")
    itl = tuple(later - earlier for earlier, later in itertools.pairwise(times))
    return StreamMetrics(times[0] if times else None, e2e, itl, len(times), reported_tokens)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def reported_output_tokens(data: Mapping[str, Any]) -> int | None:
    """The output-token count an event reports, if any: ``usage.completion_tokens`` (OpenAI chat chunks),
    ``usage.output_tokens`` (h2oGPTe, Responses) or ``response.usage.output_tokens`` (``response.completed``)."""
    for holder in (data, data.get("response")):
        usage = holder.get("usage") if isinstance(holder, Mapping) else None
        if isinstance(usage, Mapping):
            for key in ("completion_tokens", "output_tokens"):
                found = _count(usage.get(key))
                if found is not None:
                    return found
    return None


def aggregate_tokens_per_second(total_tokens: float, seconds: float) -> float:
    """All streams' output tokens over the seconds they were recorded in (0.0 for no time)."""
    return total_tokens / seconds if seconds > 0 else 0.0
