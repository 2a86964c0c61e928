"""What the LLM calls the mock answered add up to: usage and performance by model and user, over an interval.

Every answer the mock gives as an LLM would (a chat, agent or OpenAI-compatible answer, a direct LLM call, a
document summary) is recorded with ``record``, on the state's clock, as the acting user's call to one model;
the ``/stats`` operations read those records back for the interval asked (``"24 hours"``, ``"6 hours"``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import MODELS
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, LLMUsage
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, interval

#: what a token costs, in COST_UNIT: the figure every answer's usage_stats metadata states
COST_PER_TOKEN = 1e-6
COST_UNIT = "USD"
#: the cost the usage statistics name as a user's limit over 24 hours (the mock never enforces it)
MAX_COST_24H = 100.0


def model_id(name: Any) -> str:
    """The model an LLM call named: "auto" (or none) is the first listed, a display name its model's id."""
    if not isinstance(name, str) or name in ("", "auto"):
        return str(MODELS[0]["id"])
    return next((str(m["id"]) for m in MODELS if m["display_name"] == name), name)


def cost(input_tokens: int, output_tokens: int) -> float:
    """The cost of one call, in COST_UNIT."""
    return round((input_tokens + output_tokens) * COST_PER_TOKEN, 8)


def record(
    state: H2OGPTeMockState,
    model: Any,
    input_tokens: int,
    output_tokens: int,
    user_id: str | None = None,
    seconds: float = 0.0,
    first_token: float = 0.0,
) -> None:
    """Add one LLM call (the acting user's unless ``user_id`` says whose) to the minute of the clock it ends in."""
    with state.lock:
        key = (int(state.clock.now() // 60), user_id or state.acting.id, model_id(model))
        held = state.llm_usage.get(key)
        if held is None:
            held = state.llm_usage[key] = LLMUsage()
        held.calls += 1
        held.input_tokens += input_tokens
        held.output_tokens += output_tokens
        held.cost = round(held.cost + cost(input_tokens, output_tokens), 8)
        held.seconds += seconds
        held.first_token += first_token


def _within(state: H2OGPTeMockState, call: Call) -> list[tuple[str, str, LLMUsage]]:
    """(user id, model, usage) of every minute that overlaps the interval ending now (a 400 for a malformed
    interval); a minute is counted whole."""
    since = state.clock.now() - interval(str(call.query.get("interval") or ""), "interval") / timedelta(seconds=1)
    return [(user, model, used) for (minute, user, model), used in state.llm_usage.items() if (minute + 1) * 60 > since]


def _by_model(rows: Iterable[tuple[str, str, LLMUsage]]) -> dict[str, LLMUsage]:
    totals: dict[str, LLMUsage] = {}
    for _, model, used in rows:
        total = totals.setdefault(model, LLMUsage())
        total.calls += used.calls
        total.input_tokens += used.input_tokens
        total.output_tokens += used.output_tokens
        total.cost = round(total.cost + used.cost, 8)
        total.seconds += used.seconds
        total.first_token += used.first_token
    return dict(sorted(totals.items()))


def _per_model(model: str, used: LLMUsage) -> dict[str, Any]:
    """A UsageStatsPerModel."""
    return {
        "llm_name": model,
        "llm_cost": used.cost,
        "call_count": used.calls,
        "input_tokens": used.input_tokens,
        "output_tokens": used.output_tokens,
    }


def _user(state: H2OGPTeMockState, user_id: str) -> dict[str, str]:
    user = state.users.get(user_id)
    name = user.username if user is not None else user_id
    return {"user_id": user_id, "username": name, "email": name}


def get_usage_stats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/stats/usage?interval=: the cost of the acting user's LLM calls within the interval (UsageStats)."""
    mine = [row for row in _within(state, call) if row[0] == state.acting.id]
    spent = round(sum(used.cost for _, _, used in mine), 8)
    given = str(call.query["interval"])
    return Reply({"current": spent, "max_allowed_24h": MAX_COST_24H, "cost_unit": COST_UNIT, "interval": given})


def get_usage_stats_by_model(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/stats/usage_by_model?interval=: the acting user's LLM calls within the interval, per model."""
    mine = [row for row in _within(state, call) if row[0] == state.acting.id]
    return Reply([_per_model(model, used) for model, used in _by_model(mine).items()])


def get_usage_stats_by_user(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/stats/usage_by_user?interval=: every user's LLM calls within the interval, per user and model."""
    rows = _within(state, call)
    users = sorted({user for user, _, _ in rows}, key=lambda u: _user(state, u)["username"])
    return Reply(
        [
            {
                **_user(state, user),
                "llm_usage": [_per_model(m, used) for m, used in _by_model(r for r in rows if r[0] == user).items()],
            }
            for user in users
        ]
    )


def get_usage_stats_by_model_and_user(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/stats/usage_by_model_and_user?interval=: every user's LLM calls within the interval, per model,
    with each user's share."""
    rows = _within(state, call)
    answer = []
    for model, total in _by_model(rows).items():
        users = _by_model((model, user, used) for user, m, used in rows if m == model)
        answer.append(
            {
                "llm_name": model,
                "total_cost": total.cost,
                "total_calls": total.calls,
                "total_input_tokens": total.input_tokens,
                "total_output_tokens": total.output_tokens,
                "user_usage": [
                    {
                        **_user(state, user),
                        "llm_cost": used.cost,
                        "call_count": used.calls,
                        "input_tokens": used.input_tokens,
                        "output_tokens": used.output_tokens,
                    }
                    for user, used in users.items()
                ],
            }
        )
    return Reply(answer)


def get_performance_stats_by_model(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/stats/performance_by_model?interval=: every user's LLM calls within the interval, per model: the
    tokens, the output tokens per second of answering and the mean wait for the first token."""
    answer = []
    for model, used in _by_model(_within(state, call)).items():
        answer.append(
            {
                "llm_name": model,
                "call_count": used.calls,
                "input_tokens": used.input_tokens,
                "output_tokens": used.output_tokens,
                "tokens_per_second": round(used.output_tokens / used.seconds, 3) if used.seconds > 0 else 0.0,
                "time_to_first_token": round(used.first_token / used.calls, 6) if used.calls else 0.0,
            }
        )
    return Reply(answer)
