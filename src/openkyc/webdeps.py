"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from openkyc.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


# The runtime built at the top (create_app) and handed to every view: ``runtime: RuntimeDep``.
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def public_base_url(request: Request, runtime: Runtime) -> str:
    """Where partners reach this server: the configured URL, else the request's own origin."""
    configured = runtime.settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")
