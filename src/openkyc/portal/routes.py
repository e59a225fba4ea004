"""Every router of the portal, gathered: the app includes each. A module of pages adds its router
to ``ROUTERS``; the portal's tests walk every route of every router listed here."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.routing import APIRoute

from openkyc.portal import (
    dashboard_pages,
    developer_pages,
    job_pages,
    link_pages,
    review_pages,
    smartcheck_pages,
    team_pages,
    views,
)

ROUTERS: tuple[APIRouter, ...] = (
    views.router,
    dashboard_pages.router,
    review_pages.router,
    team_pages.router,
    developer_pages.router,
    job_pages.router,
    smartcheck_pages.router,
    link_pages.router,
)


def include(app_router: APIRouter) -> None:
    for router in ROUTERS:
        app_router.include_router(router)


def every_route() -> Iterator[APIRoute]:
    for router in ROUTERS:
        yield from (route for route in router.routes if isinstance(route, APIRoute))
