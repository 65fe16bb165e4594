"""Every API error as ``{"error": {"code", "message", "details"}}``: exception handlers and the body-size guard."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvestMindError

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The shape of every error the API returns."""

    error: ErrorBody


def described(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: described("Malformed request (e.g. `malformed_json`)"),
    401: described("No valid credential (`unauthorized`); `WWW-Authenticate: Bearer` says so"),
    404: described("No such resource for this caller"),
    422: described("The request failed validation (`validation_error`)"),
    500: described("Internal error"),
}
"""Declared on every router so /openapi.json documents the error shape (and not FastAPI's default 422)."""


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": _json_safe(details)}}
    return JSONResponse(body, status_code=status, headers=headers)


def _json_safe(value: Any) -> Any:
    # Validation errors carry the exception objects in ``ctx``; render anything JSON lacks as text.
    return json.loads(json.dumps(value, default=str))


async def _investmind_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvestMindError)
    if exc.status >= 500:
        logger.error("request failed", extra={"code": exc.code, "path": request.url.path}, exc_info=exc)
    return error_response(exc.status, exc.code, exc.message, exc.details, headers=getattr(exc, "headers", None))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return error_response(exc.status_code, code, message, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path answers (RFC 9110 §15.5.6): Starlette's 405 names only the first route's, and
    FastAPI makes one route per method (``GET`` and ``POST /v1/analyses`` are two)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        detail = errors[0].get("ctx", {}).get("error", "invalid JSON")
        return error_response(400, "malformed_json", "the request body is not valid JSON", {"reason": detail})
    return error_response(422, "validation_error", "the request is invalid", errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Log the traceback here; the client gets the error shape and nothing of the internals.
    logger.error("unhandled error", extra={"path": request.url.path}, exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvestMindError, _investmind_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


class BodySizeLimit:
    """Answers 413 ``payload_too_large`` before anything parses a body over ``limit`` bytes.

    Checks the declared ``Content-Length`` first, then counts what actually arrives (a chunked body
    declares none); a body within the limit is replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away before sending its body
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body exceeds {self.limit} bytes", {"limit": self.limit}
        )
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the server (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
