"""The capacity search's plots for ``load.html``: achieved vs offered rate, and p95 latency vs offered rate.

Python does the scaling; the template only draws (``_svg_plot.html.j2``, the same as the per-second plot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from h2oharness.report.loadsummary import LoadSummary
from h2oharness.report.writers import Plot, xy_plot


def _per_rate(curve: Sequence[Mapping[str, Any]], value: str) -> list[tuple[float, float]]:
    """The mean of ``value`` over each rate's windows, one point per rate."""
    by_rate: dict[float, list[float]] = {}
    for row in curve:
        if row.get(value) is not None:
            by_rate.setdefault(float(row["offered"]), []).append(float(row[value]))
    return [(rate, sum(vs) / len(vs)) for rate, vs in sorted(by_rate.items())]


def capacity_plots(load: LoadSummary) -> list[Plot]:
    """The capacity curve's plots; none for a run that was not a capacity search."""
    if not load.capacity or not load.capacity.get("curve"):
        return []
    curve: list[Mapping[str, Any]] = load.capacity["curve"]
    rates = sorted({float(row["offered"]) for row in curve})
    plots = []
    rate_plot = xy_plot(
        "Achieved vs offered rate",
        {
            "offered (what an unsaturated server achieves)": [(r, r) for r in rates],
            "achieved: arrivals done per s": _per_rate(curve, "achieved"),
            "sent: arrivals sent per s": _per_rate(curve, "sent"),
        },
        "offered rate (arrivals/s)",
        "rate (/s)",
        "Each point is the mean over the rate's judged windows; achieved below offered means the server (or, when "
        "sent is below offered too, the generator) did not keep up.",
    )
    if rate_plot:
        plots.append(rate_plot)
    keys = sorted({k for row in curve for k in row.get("latency_p95_ms") or {}})
    latency: dict[str, list[tuple[float, float]]] = {}
    for key in keys:
        worst: dict[float, float] = {}
        for row in curve:
            value = (row.get("latency_p95_ms") or {}).get(key)
            if value is not None:
                worst[float(row["offered"])] = max(worst.get(float(row["offered"]), 0.0), float(value))
        latency[f"{key} p95"] = sorted(worst.items())
    dispatch = [
        (float(r["offered"]), float(r["dispatch_p99_ms"])) for r in curve if r.get("dispatch_p99_ms") is not None
    ]
    worst_dispatch: dict[float, float] = {}
    for rate, value in dispatch:
        worst_dispatch[rate] = max(worst_dispatch.get(rate, 0.0), value)
    latency["dispatch delay p99"] = sorted(worst_dispatch.items())
    latency_plot = xy_plot(
        "Latency vs offered rate",
        latency,
        "offered rate (arrivals/s)",
        "milliseconds",
        "Each point is the worst window of the rate: p95 of time to first token (streams) or submit-to-done (jobs), "
        "and the p99 dispatch delay of the load generator.",
    )
    if latency_plot:
        plots.append(latency_plot)
    return plots
