"""``GET /care/api/v1/docs``: the API reference for people, rendered in the browser from
the OpenAPI document by Redoc, served from shopcare's static files (vendored: see
``shopcare/static/shopcare/vendor/README.md``)."""

from __future__ import annotations

from flask import make_response, render_template
from werkzeug.wrappers import Response

from shopcare.core.access import public
from shopcare.core.api.openapi import operation
from shopcare.core.state import Routes

#: The renderer, under shopcare's static folder.
REDOC = "shopcare/vendor/redoc/redoc.standalone.js"
#: The page may load only from the shop: Redoc 2 shows its logo from its CDN, which this
#: refuses (the logo hides itself). Redoc styles itself inline and searches in a worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)

#: The reference page (``state.add_api`` in ``shopcare.core.wiring``).
routes = Routes()


@routes.get("/docs")
@operation(
    "This API's reference, as a web page",
    description="An HTML page that renders `openapi.json` with Redoc (served by shopcare, no CDN).",
    responses={200: "The page (text/html)"},
    tags=("meta",),
    security=(),
)
@public
def api_docs() -> Response:
    response = make_response(render_template("shopcare/api/docs.html", redoc=REDOC))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
