"""shopcare's JSON API (``/care/api/v1``): the ``api`` blueprint every feature adds
its endpoints to. See the README, "Adding an endpoint".

The decorators live beside their concern: ``shopcare.api.auth.api_auth``,
``shopcare.api.openapi.operation``, ``shopcare.api.errors.ApiError``.
"""

from __future__ import annotations

from shopcare.api.blueprint import api, init_app

__all__ = ["api", "init_app"]
