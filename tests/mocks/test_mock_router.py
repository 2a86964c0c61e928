"""Path templates, most-specific-first routing and the methods a path allows."""

from __future__ import annotations

import pytest

from h2oharness.mocks.router import Router, compile_template, literal_segments

TABLE = [
    ("GET", "/things/{thing}", "get"),
    ("DELETE", "/things/{thing}", "delete"),
    ("POST", "/things/search", "search"),
    ("GET", "/things", "list"),
    ("POST", "/things/{thing}:activate", "activate"),
]


def test_a_template_matches_one_segment_per_parameter() -> None:
    regex = compile_template("/a/{x}/b/{y}")
    match = regex.fullmatch("/a/1/b/two")
    assert match is not None
    assert match.groupdict() == {"x": "1", "y": "two"}
    assert regex.fullmatch("/a/1/2/b/3") is None, "a parameter never spans a slash"
    assert compile_template("/a.b/{x}").fullmatch("/aXb/1") is None, "literal text is escaped"


def test_the_segment_rule_is_the_apis() -> None:
    router = Router(TABLE, segment="[^/:]+")
    found = router.lookup("POST", "/things/t1:activate")
    assert (found.route and found.route.target, found.params) == ("activate", {"thing": "t1"})
    assert Router(TABLE).lookup("GET", "/things/t1:activate").params == {"thing": "t1:activate"}
    assert router.lookup("GET", "/things/t1:activate").route is None


def test_literal_segments_count_what_is_not_a_parameter() -> None:
    assert literal_segments("/3/ModelBuilders/{algo}") == 2
    assert literal_segments("/3/ModelBuilders/gbm") == 3
    assert literal_segments("/") == 0


def test_the_most_specific_route_of_the_method_wins() -> None:
    router = Router(TABLE)
    assert [r.template for r in router.routes][:1] == ["/things/search"]
    search = router.lookup("POST", "/things/search")
    assert search.route is not None
    assert search.route.target == "search"
    # by method: the literal route has no GET, so the templated one takes it (H2O-3, h2oGPTe)
    got = router.lookup("GET", "/things/search")
    assert got.route is not None
    assert (got.route.target, got.params) == ("get", {"thing": "search"})


def test_by_resource_the_most_specific_template_owns_the_path() -> None:
    router = Router(TABLE, by_resource=True)
    refused = router.lookup("GET", "/things/search")
    assert refused.route is None
    assert refused.allow == ("POST",)
    found = router.lookup("DELETE", "/things/x")
    assert found.route is not None
    assert found.route.target == "delete"


def test_allow_names_the_methods_of_the_most_specific_template_sorted() -> None:
    router = Router(TABLE)
    assert router.lookup("PUT", "/things/x").allow == ("DELETE", "GET")
    assert router.lookup("PUT", "/things/search").allow == ("POST",)
    missing = router.lookup("GET", "/nothing")
    assert (missing.route, missing.matches, missing.allow) == (None, (), ())


def test_routes_added_later_keep_the_specificity_order() -> None:
    router: Router[str] = Router()
    router.add("GET", "/a/{x}", "templated")
    router.add("GET", "/a/b", "literal")
    router.add("GET", "/a/{y}", "second templated")
    assert [r.target for r in router.routes] == ["literal", "templated", "second templated"]
    assert router.lookup("GET", "/a/b").route is not None
    assert router.lookup("GET", "/a/c").params == {"x": "c"}, "among equals the first added wins"


@pytest.mark.parametrize("method", ["get", "Get"])
def test_methods_are_upper_cased_when_added(method: str) -> None:
    router = Router([(method, "/x", "x")])
    assert router.lookup("GET", "/x").route is not None


def test_by_resource_templates_of_one_shape_are_one_resource() -> None:
    router = Router([("GET", "/keys/{key_id}", "get"), ("DELETE", "/keys/{key_ids}", "delete")], by_resource=True)
    found = router.lookup("DELETE", "/keys/a,b")
    assert found.route is not None
    assert (found.route.target, found.params) == ("delete", {"key_ids": "a,b"})
    assert router.lookup("PUT", "/keys/a").allow == ("DELETE", "GET")
