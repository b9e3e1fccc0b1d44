"""The API's own endpoint: the OpenAPI document.

Each domain adds its endpoints on the same ``api`` blueprint, in its own ``api`` module
(see the README, "Adding an endpoint").
"""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from shopcare.core.api.blueprint import api
from shopcare.core.api.openapi import document, operation


@api.get("/openapi.json")
@operation(
    "This API's OpenAPI 3.1 document",
    responses={200: ("The document", {"type": "object", "required": ["openapi", "paths"]})},
    tags=("meta",),
    security=(),
)
def openapi() -> Response:
    return jsonify(document())
