"""The suggestion box's JSON API (``/care/api/v1/feedback``)."""

from __future__ import annotations

from typing import Any

from shopcare.core.state import Routes

routes = Routes()
schemas: dict[str, Any] = {}
