"""API keys made through the API: their listing, filtered by username as the client documents it."""

from __future__ import annotations

from h2oharness.apis.h2ogpte.mockparts.state import CREATED_KEYS, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, page


def list_all_api_keys(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/admin/api_keys: the created keys, oldest first; ``filter`` keeps the keys of the usernames that
    contain it (case-insensitively), ``offset``/``limit`` page them."""
    resources = state.resources
    if resources is None:
        return Reply([])
    keys = list(resources.collections.get(CREATED_KEYS, {}).values())
    wanted = str(call.query.get("filter") or "").lower()
    keys = [k for k in keys if wanted in str(k.get("username") or "").lower()]
    listing = resources.surface.operation("GET", CREATED_KEYS)
    return Reply(resources.surface.schemas.fit(page(keys, call.query, default_limit=len(keys)), listing.answer))
