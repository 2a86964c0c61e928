"""The h2oGPTe feed puts its real ids into positive cases only, by name, in the query and the JSON body."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from h2oharness.apis.h2ogpte.feed import IdFeed, SweepIds

IDS = SweepIds(collection="c-1", chat_session="s-1")


def _case(positive: bool, query: Any, body: Any) -> Any:
    mode = SimpleNamespace(is_positive=positive)
    return SimpleNamespace(meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)), query=query, body=body)


def test_a_positive_case_gets_the_real_ids_where_it_names_them() -> None:
    feed = IdFeed()
    feed.keys = IDS
    case = _case(True, {"collection_id": "", "follow_links": True}, {"chat_session_id": "x", "is_private": None})
    feed.fill(case)
    assert case.query == {"collection_id": "c-1", "follow_links": True}
    assert case.body == {"chat_session_id": "s-1", "is_private": None}


def test_a_negative_case_an_absent_parameter_and_a_text_body_stay_as_drawn() -> None:
    feed = IdFeed()
    feed.keys = IDS
    negative = _case(False, {"collection_id": ["not", "a", "string"]}, None)
    feed.fill(negative)
    assert negative.query == {"collection_id": ["not", "a", "string"]}
    positive = _case(True, {"limit": 3}, "plain text")
    feed.fill(positive)
    assert positive.query == {"limit": 3}
    assert positive.body == "plain text"
