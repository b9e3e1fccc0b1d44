"""shopcare's JSON API (``/care/api/v1``): the ``api`` blueprint every feature adds
its endpoints to. See the README, "Adding an endpoint".

The decorators live beside their concern: ``shopcare.core.api.auth.api_auth``,
``shopcare.core.api.openapi.operation``, ``shopcare.core.api.errors.ApiError``.
"""

from __future__ import annotations

from shopcare.core.api.blueprint import api, init_app

__all__ = ["api", "init_app"]
