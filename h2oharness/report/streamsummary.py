"""The streams of a load run under the field's definitions: TTFT, ITL, TPOT, E2E and output tokens per stream name.

Built from the Locust entries ``h2oharness.loadtest.stream_metrics`` fires (``STREAM <name> time to first token``,
``... ITL``, ``... TPOT``, ``... stream`` (E2E), ``... output tokens``, ``... output tokens per second``,
``... usage mismatch``); the definitions are :data:`h2oharness.http.streammetrics.DEFINITIONS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from h2oharness.http.streammetrics import aggregate_tokens_per_second
from h2oharness.report.entrynames import (
    ITL,
    OUTPUT_TOKENS,
    STREAM,
    TOKENS_PER_SECOND,
    TPOT,
    TTFT,
    USAGE_MISMATCH,
    WHOLE_STREAM,
)

if TYPE_CHECKING:
    from h2oharness.report.loadsummary import EntryStats

#: which entry suffix holds each metric (E2E is the whole ``stream`` entry, which also carries its failures)
SOURCES = {
    "TTFT": f" {TTFT}",
    "ITL": f" {ITL}",
    "TPOT": f" {TPOT}",
    "E2E": f" {WHOLE_STREAM}",
    "output tokens": f" {OUTPUT_TOKENS}",
    "output tokens/s": f" {TOKENS_PER_SECOND}",
    "usage mismatch": f" {USAGE_MISMATCH}",
}


@dataclass(frozen=True)
class Percentiles:
    """One metric of one stream name: how many values, p50 / p95 / p99 and the mean (ms, or counts and rates)."""

    metric: str
    count: int
    p50: float
    p95: float
    p99: float
    mean: float


@dataclass(frozen=True)
class StreamFigures:
    """What the run's streams of one name measured, with the aggregate output rate and the usage check."""

    name: str
    streams: int
    failures: int
    metrics: tuple[Percentiles, ...]
    aggregate_tokens_per_second: float
    usage_compared: int
    usage_disagreed_max: float

    @property
    def line(self) -> str:
        """One line for a terminal: the p50s and the aggregate rate."""
        by = {m.metric: m for m in self.metrics}

        def p50(metric: str, unit: str) -> str:
            found = by.get(metric)
            return f"{metric} p50 {found.p50:.4g}{unit}" if found else f"{metric} n/a"

        usage = (
            f"usage vs our count: {self.usage_compared} compared, max mismatch {self.usage_disagreed_max:g}"
            if self.usage_compared
            else "no server usage (our count)"
        )
        failed = f"{self.failures} failed, " if self.failures else ""
        streams = "1 stream" if self.streams == 1 else f"{self.streams} streams"
        tokens = by.get("output tokens")
        return (
            f"  stream {self.name}: {streams}, {failed}{p50('TTFT', ' ms')}, {p50('ITL', ' ms')}, "
            f"{p50('TPOT', ' ms')}, {p50('E2E', ' ms')}, "
            f"{f'output tokens p50 {tokens.p50:.4g}' if tokens else 'output tokens n/a'}, "
            f"{self.aggregate_tokens_per_second:.4g} output tokens/s in all; {usage}"
        )


def stream_figures(entries: Sequence[EntryStats], run_seconds: float | None = None) -> list[StreamFigures]:
    """One ``StreamFigures`` per stream name that has a ``STREAM <name> stream`` entry, by name.

    The aggregate output rate is all streams' tokens over ``run_seconds`` (the run's duration, as vLLM's and
    GuideLLM's output throughput), or, without it, over the span from the first stream recorded to the last.
    """
    by_key = {e.key: e for e in entries if e.type == STREAM}
    ending = f" {WHOLE_STREAM}"
    names = sorted(e.name.removesuffix(ending) for e in by_key.values() if e.name.endswith(ending))
    out = []
    for name in names:
        metrics = []
        for metric, suffix in SOURCES.items():
            entry = by_key.get(f"{STREAM} {name}{suffix}")
            # the figures are the successful streams' (a failed one's E2E is apart), and so is their count
            if entry is not None and entry.requests > entry.failures:
                ok = entry.requests - entry.failures
                metrics.append(Percentiles(metric, ok, entry.p50, entry.p95, entry.p99, entry.mean))
        whole = by_key[f"{STREAM} {name} {WHOLE_STREAM}"]
        tokens = by_key.get(f"{STREAM} {name} {OUTPUT_TOKENS}")
        # all streams' tokens over the run, else over the span they were recorded in: count / rate
        seconds = tokens.requests / tokens.rps if tokens is not None and tokens.rps > 0 else 0.0
        if run_seconds is not None and run_seconds > 0:
            seconds = run_seconds
        total = tokens.mean * tokens.requests if tokens is not None else 0.0
        mismatch = by_key.get(f"{STREAM} {name} {USAGE_MISMATCH}")
        out.append(
            StreamFigures(
                name=name,
                streams=whole.requests,
                failures=whole.failures,
                metrics=tuple(metrics),
                aggregate_tokens_per_second=aggregate_tokens_per_second(total, seconds),
                usage_compared=mismatch.requests if mismatch else 0,
                usage_disagreed_max=mismatch.max if mismatch else 0.0,
            )
        )
    return out
