"""A database that cannot be reached is answered 503 with Retry-After, not 500.

The engine's pool pre-pings (PostgreSQL) and reconnects on its own, so the next request after
the database is back succeeds with no restart.
"""

from __future__ import annotations

import sqlalchemy.exc
from fastapi.responses import JSONResponse

from openkyc.api_errors import SERVICE_UNAVAILABLE, ApiError

RETRY_AFTER_S = 5


def is_database_outage(error: BaseException) -> bool:
    """Connection-level failures (refused, dropped, timed out, pool exhausted), not bad SQL."""
    if isinstance(
        error,
        sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError | sqlalchemy.exc.TimeoutError,
    ):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated


def describe(error: BaseException) -> str:
    """``OperationalError (ConnectionRefused…)``: types only, as the texts hold SQL and values."""
    original = getattr(error, "orig", None)
    return type(error).__name__ + (f" ({type(original).__name__})" if original is not None else "")


def service_unavailable() -> JSONResponse:
    return JSONResponse(
        status_code=SERVICE_UNAVAILABLE.http_status,
        content=ApiError(SERVICE_UNAVAILABLE).body(),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
