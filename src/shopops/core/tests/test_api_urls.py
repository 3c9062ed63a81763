"""The API's URL patterns, nested by first path segment, resolve exactly as ninja's flat list."""

from __future__ import annotations

import re

from django.urls import URLResolver, resolve
from django.urls.resolvers import RoutePattern

from shopops.api import api

SAMPLES = {
    "int": "7",
    "str": "abc",
    "slug": "a-b",
    "uuid": "12345678-1234-5678-1234-567812345678",
    "path": "a/b",
}


def _sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)


def test_every_api_route_resolves_to_the_same_view_as_the_flat_list():
    patterns = api.urls[0]
    flat = URLResolver(RoutePattern("api/v1/"), patterns)
    assert len(patterns) > 100
    for pattern in patterns:
        path = "api/v1/" + _sample(str(pattern.pattern))
        expected = flat.resolve(path)
        actual = resolve("/" + path)
        # api.urls builds new view wrappers on each call: the same route and name mean the same pattern.
        assert (actual.route, actual.kwargs, actual.url_name) == (
            "api/v1/" + expected.route,
            expected.kwargs,
            expected.url_name,
        ), path
