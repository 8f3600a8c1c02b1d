"""Every page route states who may open it (web.pages.access), as every API route states its rule."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from settings import Settings
from web import pages
from web.app import create_app
from web.pages.access import access_of


def test_every_page_states_who_may_open_it() -> None:
    app = create_app(Settings(database_url="sqlite://"))
    page_routes = [
        context.route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, APIRoute) and pages.is_page(context.path or "")
    ]
    assert len(page_routes) >= 4, "the page routes were not found"
    missing = [f"{sorted(r.methods or ())} {r.path}" for r in page_routes if access_of(r.dependencies) is None]
    assert not missing, f"page routes without web.pages.access.page(...): {missing}"
    leaked = [r.path for r in page_routes if r.include_in_schema]
    assert not leaked, f"pages in the API's OpenAPI spec: {leaked}"
