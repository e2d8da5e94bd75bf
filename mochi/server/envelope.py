"""The response envelope of every /api route, and the one place errors become statuses.

Success: `{"success": true, "data": ..., "error": null}`.
Failure: `{"success": false, "data": null, "error": {"code", "message", "details", "timestamp"}}`.

Codes are stable strings (clients switch on them, not on messages):

VALIDATION_ERROR 400   a malformed body or parameter, an unknown field, an invalid value
CREDENTIAL_ERROR 400   a credential cannot be stored or read (MOCHI_SECRET_KEY missing or wrong)
UNAUTHORIZED 401       no key, an unknown key or a revoked one
FORBIDDEN 403          the key's role is too low for the route
FORBIDDEN_PATH 403     a repo_path outside every `--repo-root` (or none configured)
NOT_FOUND 404          no such review, model, template, integration, key or route
METHOD_NOT_ALLOWED 405
CONFLICT 409           a name that is taken, or a state that forbids the change
PAYLOAD_TOO_LARGE 413  the body is over the server's cap
RATE_LIMITED 429       past the key's or the address's limit for that endpoint (see Retry-After)
INTERNAL_ERROR 500     anything else; the message is generic and the details empty
NOT_IMPLEMENTED 501    a request this server does not do (yet)
SERVICE_UNAVAILABLE 503  the server is shutting down, too many reviews wait already, or it has no GitHub
                         token for a pull request review
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mochi.errors import MochiError
from mochi.store.errors import CredentialError, NotFoundError, StoreError

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """An error a route raises on purpose: its status, code, message and (safe) details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "ERROR")
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson: the same bytes' meaning as Starlette's json.dumps (UTF-8, compact; a
    value that is not JSON is a TypeError), at a fifth of the cost for a review with its comments."""

    def render(self, content: Any) -> bytes:
        import orjson

        return orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JSONResponse:
    """A success envelope."""
    return FastJSONResponse({"success": True, "data": data, "error": None}, status_code=status)


def error_body(code: str, message: str, details: Any, now: datetime) -> dict[str, Any]:
    """A failure envelope."""
    return {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "details": details, "timestamp": now.isoformat()},
    }


def install(app: FastAPI, clock: Clock) -> None:
    """Map every exception a request can raise to an enveloped response."""

    def respond(status: int, code: str, message: str, details: Any = None, **kw: Any) -> JSONResponse:
        return JSONResponse(error_body(code, message, details, clock()), status_code=status, **kw)

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return respond(exc.status, exc.code, exc.message, exc.details, headers=exc.headers or None)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # never echo the input back: a rejected body may hold a credential
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return respond(400, "VALIDATION_ERROR", "the request is not valid", details)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        message = "no such route" if status == 404 else str(exc.detail)
        return respond(status, CODES.get(status, "ERROR"), message, headers=exc.headers)

    async def store_error(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, NotFoundError):
            return respond(404, "NOT_FOUND", str(exc))
        if isinstance(exc, CredentialError):
            return respond(400, "CREDENTIAL_ERROR", str(exc))
        if isinstance(exc, StoreError):
            if isinstance(exc.__cause__, Exception) and not isinstance(exc.__cause__, MochiError):
                return await unexpected(request, exc)  # a database failure: not the client's
            return respond(409, "CONFLICT", str(exc))
        return respond(400, "VALIDATION_ERROR", str(exc))  # UsageError, ConfigError: the input

    async def integrity(request: Request, exc: Exception) -> JSONResponse:
        return respond(409, "CONFLICT", "the change conflicts with a stored row (a name that is taken?)")

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return respond(500, "INTERNAL_ERROR", "the server failed; its log says more")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(MochiError, store_error)
    app.add_exception_handler(IntegrityError, integrity)
    app.add_exception_handler(Exception, unexpected)
