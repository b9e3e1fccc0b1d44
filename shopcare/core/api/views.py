"""The API's own endpoint: the OpenAPI document.

Each domain routes its own endpoints in its own ``api`` module and adds them to the
app in its wiring (see the README, "Adding an endpoint").
"""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from shopcare.core.access import public
from shopcare.core.api.openapi import document, operation
from shopcare.core.state import Routes

#: The core's own API endpoint (``state.add_api`` in ``shopcare.core.wiring``).
routes = Routes()


@routes.get("/openapi.json")
@operation(
    "This API's OpenAPI 3.1 document",
    responses={200: ("The document", {"type": "object", "required": ["openapi", "paths"]})},
    tags=("meta",),
    security=(),
)
@public
def openapi() -> Response:
    return jsonify(document())
