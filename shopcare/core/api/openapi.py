"""The OpenAPI 3.1 document, written where the endpoints are.

Each API view declares its operation with :func:`operation`; the document at
``GET /care/api/v1/openapi.json`` is built from those declarations and the app's
URL rules, so paths carry the prefix the host mounted shopcare under::

    @routes.post("/orders")
    @operation(
        "Record an order",
        request_body=OrderInput,
        responses={201: ("The order was recorded", Order),
                   200: ("The order was updated", Order)},
        tags=("orders",),
    )
    @api_auth(scopes=("orders:write",))
    def record_order(): ...

Bodies are pydantic models (:mod:`shopcare.core.api.shapes`): the document's
``components.schemas`` are derived from the models the operations name, so a shape is
declared once, beside its endpoint.

Security comes from the view's :func:`~shopcare.core.api.auth.api_auth`; the error
responses every operation can give (401, 403, 400, 413, 415, 422, 404, 429) are added
from what the view declares. The request body schema is also what
:func:`~shopcare.core.api.parsing.json_body` validates against, so the document and the
checks cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request

from shopcare.core import __version__
from shopcare.core.api.shapes import ModelRef, components, is_shape, model_refs, plain
from shopcare.core.config import setting
from shopcare.core.state import State, get_state

F = TypeVar("F", bound=Callable[..., Any])
Schema = dict[str, Any]
#: A body: a pydantic model (a :class:`~shopcare.core.api.shapes.Shape`), or a JSON schema
#: (which may hold ``ref(Model)``).
Body = Any
#: A response: its description, or (description, its body: a model or a JSON schema).
ResponseSpec = str | tuple[str, Body]

#: The core's ``components.securitySchemes``: ``apiKey`` and ``session`` are what
#: ``api_auth`` accepts. A feature with its own scheme (a signed webhook) declares it
#: with ``state.add_api(..., security_schemes=...)``.
SECURITY_SCHEMES: dict[str, Schema] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `flask shopcare api-key create`: "
        "`Authorization: Bearer sck_…`.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "A logged-in shopper's session cookie. Unsafe methods also need "
        "the CSRF token in an `X-CSRFToken` header.",
    },
}

_ERRORS: dict[int, str] = {
    400: "The body is not valid JSON, or not a JSON object",
    401: "No valid credentials",
    403: "The credentials do not allow this",
    404: "Not found",
    413: "The body is too large",
    415: "The body is not JSON (send Content-Type: application/json)",
    422: "Some fields are invalid: see error.fields",
    429: "Too many requests: wait for Retry-After seconds",
}
_CONVERTERS: dict[str, Schema] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
#: The full endpoint prefix of API views (the ``api`` blueprint is nested under ``shopcare``).
ENDPOINT_PREFIX = "shopcare.api."

_RULE_PART = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def ref(name: Any) -> Schema:
    """A ``$ref`` to the component schema ``name``, or to a model's component
    (``ref(Order)``: the document then includes the model's schema)."""
    if is_shape(name):
        return ModelRef(name)
    return {"$ref": f"#/components/schemas/{name}"}


@dataclass(frozen=True)
class Operation:
    """One endpoint as the document describes it (see :func:`operation`)."""

    summary: str
    description: str | None = None
    request_body: Body | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    parameters: tuple[Schema, ...] = ()
    tags: tuple[str, ...] = ()
    operation_id: str | None = None
    security: tuple[Schema, ...] | None = None


def operation(
    summary: str,
    *,
    description: str | None = None,
    request_body: Body | None = None,
    responses: Mapping[int, ResponseSpec] | None = None,
    parameters: Iterable[Schema] = (),
    tags: Iterable[str] = (),
    operation_id: str | None = None,
    security: Iterable[Schema] | None = None,
) -> Callable[[F], F]:
    """Decorator: declare the view's OpenAPI operation.

    :param request_body: the body (``application/json``): a pydantic model (an
        :class:`~shopcare.core.api.shapes.InputShape`), or a JSON schema;
        :func:`~shopcare.core.api.parsing.json_body` validates against it.
    :param responses: status → description, or (description, body: a model or a JSON
        schema). Success responses are yours to list; the usual error responses are added.
    :param parameters: OpenAPI parameter objects (query, header); path parameters
        are taken from the URL rule unless listed here.
    :param security: OpenAPI security requirements, to override what
        ``@api_auth`` implies (``[]`` for a public endpoint).
    """
    declared = Operation(
        summary=summary,
        description=description,
        request_body=request_body,
        responses=dict(responses or {}),
        parameters=tuple(parameters),
        tags=tuple(tags),
        operation_id=operation_id,
        security=None if security is None else tuple(security),
    )

    def decorator(view: F) -> F:
        view.shopcare_openapi = declared  # type: ignore[attr-defined]
        return view

    return decorator


def declared_operation(view: Callable[..., Any] | None) -> Operation | None:
    """The :class:`Operation` a view declared, or ``None``."""
    return getattr(view, "shopcare_openapi", None)


def _error(status: int, description: str | None = None) -> Schema:
    response: Schema = {
        "description": description or _ERRORS[status],
        "content": {"application/json": {"schema": ref("Error")}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def _response(spec: ResponseSpec) -> Schema:
    if isinstance(spec, str):
        return {"description": spec}
    description, body = spec
    return {
        "description": description,
        "content": {"application/json": {"schema": plain(body)}},
    }


def _path_and_parameters(rule: str) -> tuple[str, list[Schema]]:
    parameters: list[Schema] = []

    def replace(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        parameters.append(
            {
                "name": match.group("name"),
                "in": "path",
                "required": True,
                "schema": dict(_CONVERTERS.get(converter, {"type": "string", "minLength": 1})),
            }
        )
        return "{" + match.group("name") + "}"

    return _RULE_PART.sub(replace, rule), parameters


def _security(view: Callable[..., Any], declared: Operation) -> list[Schema]:
    if declared.security is not None:
        return list(declared.security)
    requirement = getattr(view, "shopcare_api_auth", None)
    if requirement is None:
        return []
    security: list[Schema] = [{"apiKey": list(requirement.scopes)}]
    if requirement.session:
        security.append({"session": []})
    return security


def _operation_object(
    endpoint: str,
    method: str,
    view: Callable[..., Any],
    declared: Operation,
    path_params: list[Schema],
) -> Schema:
    parameters = list(declared.parameters)
    named = {(p.get("in"), p.get("name")) for p in parameters}
    parameters += [p for p in path_params if ("path", p["name"]) not in named]
    security = _security(view, declared)

    responses: dict[str, Schema] = {
        str(status): _response(spec) for status, spec in sorted(declared.responses.items())
    }
    automatic = [429]
    if security:
        automatic += [401, 403]
    if declared.request_body is not None:
        automatic += [400, 413, 415, 422]
    if path_params:
        automatic.append(404)
    for status in automatic:
        responses.setdefault(str(status), _error(status))

    operation_object: Schema = {
        "operationId": declared.operation_id or f"{endpoint.rsplit('.', 1)[-1]}_{method.lower()}",
        "summary": declared.summary,
        "tags": list(declared.tags),
        "security": security,
        "responses": responses,
    }
    if declared.description:
        operation_object["description"] = declared.description
    if parameters:
        operation_object["parameters"] = parameters
    if declared.request_body is not None:
        operation_object["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": plain(declared.request_body)}},
        }
    return operation_object


def document(app: Flask | None = None) -> Schema:
    """The OpenAPI 3.1 document of every documented endpoint under ``shopcare.api.``."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    paths: dict[str, Schema] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(ENDPOINT_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        declared = declared_operation(view)
        if declared is None:
            continue
        path, path_params = _path_and_parameters(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_object(
                rule.endpoint, method, view, declared, path_params
            )
    state = get_state(app)
    schemes = {name: dict(scheme) for name, scheme in state.security_schemes.items()}
    schemes["session"]["name"] = app.config.get("SESSION_COOKIE_NAME", "session")
    servers = [{"url": (request.script_root if has_request_context() else "") or "/"}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{setting('SHOPCARE_SHOP_NAME', app)} customer care API",
            "version": __version__,
            "description": "shopcare's JSON API. Errors always have the body "
            '`{"error": {"code", "message", "fields"}}`.',
        },
        "servers": servers,
        "paths": paths,
        "components": {"schemas": api_components(state), "securitySchemes": schemes},
    }


def api_components(state: State) -> dict[str, Schema]:
    """``components.schemas``: the schema of every model an operation refers to (request bodies as validated, responses as serialised) or
    the wiring declared (``state.add_api(..., models=...)``); made once per app."""
    cached: dict[str, Schema] | None = state.memo.get("shopcare.api.components")
    if cached is None:
        found: dict[Any, Any] = {}
        for model in state.api_models:
            found.setdefault(model, "serialization")
        for route in state.api_routes:
            declared = declared_operation(route.view)
            if declared is None:
                continue
            for model in model_refs(declared.request_body):
                found[model] = "validation"
            for model in model_refs([spec for spec in declared.responses.values()]):
                found.setdefault(model, "serialization")
        cached = components(found.items())
        state.memo["shopcare.api.components"] = cached
    return cached
