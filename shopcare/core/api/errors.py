"""The API's one error format, and the handlers that produce it.

Every error under the API is JSON, whatever went wrong::

    {"error": {"code": "validation_failed", "message": "…", "fields": {"email": "…"}}}

``code`` is a stable machine name, ``message`` a sentence for people, ``fields``
maps each rejected input field to why (empty when no field is to blame).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.wrappers import Response

from shopcare.core.api.schemas import error_body
from shopcare.core.errors import NotFound, TransitionError, ValidationError

log = logging.getLogger("shopcare.api")

#: The ``code`` of each HTTP status the API answers with.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "server_error",
}


class ApiError(Exception):
    """Raise in an API view to answer with the JSON error body.

    :param status: the HTTP status.
    :param code: a stable machine name (``"insufficient_scope"``).
    :param message: what went wrong, for a person.
    :param fields: input field → what is wrong with it.
    :param headers: extra response headers (``WWW-Authenticate`` …).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, str] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The JSON error response; the one place its shape is written."""
    body = error_body(code, message, dict(fields or {}))
    response: Response = current_app.json.response(body)  # type: ignore[assignment]
    response.status_code = status
    response.headers.update(headers or {})
    return response


def http_error(error: HTTPException) -> Response:
    """Any werkzeug HTTP error (404, 405, 413, 429 …) as the JSON body, headers kept."""
    status = error.code or 500
    code = CODES.get(status) or (error.name or "error").lower().replace(" ", "_")
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return error_response(status, code, error.description or error.name, headers=headers)


def api_error(error: ApiError) -> Response:
    return error_response(
        error.status, error.code, error.message, error.fields, headers=error.headers
    )


def validation_error(error: ValidationError) -> Response:
    return error_response(422, "validation_failed", "Some fields are invalid.", error.fields)


def not_found(error: NotFound) -> Response:
    return error_response(404, "not_found", str(error) or "Not found.")


def conflict(error: TransitionError) -> Response:
    return error_response(409, "conflict", str(error))


def server_error(error: Exception) -> Response:
    """An unexpected exception: logged in full, answered with a generic message."""
    log.exception("unhandled error in the shopcare API", exc_info=error)
    try:
        from shopcare.core.db import session

        session().rollback()
    except Exception:  # the session itself may be what broke
        log.exception("rollback after an API error failed")
    return error_response(500, "server_error", "Something went wrong on our side.")


def register(blueprint: Blueprint) -> None:
    """Make every error raised under ``blueprint`` answer with the JSON body.

    Handlers are registered per status code so that they win over a host's own
    app-wide handlers for the same code while a request is inside the API.
    """
    for status in default_exceptions:
        blueprint.register_error_handler(status, http_error)
    blueprint.register_error_handler(ApiError, api_error)
    blueprint.register_error_handler(ValidationError, validation_error)
    blueprint.register_error_handler(NotFound, not_found)
    blueprint.register_error_handler(TransitionError, conflict)
    blueprint.register_error_handler(Exception, server_error)
