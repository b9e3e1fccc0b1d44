"""shopcare's JSON API base (``/care/api/v1``): the ``api`` blueprint every feature
adds its operations to, authentication, API keys, errors and the OpenAPI document.
See the README, "Adding an endpoint".

A feature routes its views on its own :class:`~shopcare.core.state.Routes` and hands
them to ``state.add_api`` in its wiring. The decorators live beside their concern:
``shopcare.core.api.auth.api_auth``, ``shopcare.core.api.openapi.operation``,
``shopcare.core.api.errors.ApiError``.
"""

from __future__ import annotations

from shopcare.core.api.blueprint import init_app, make_blueprint

__all__ = ["init_app", "make_blueprint"]
