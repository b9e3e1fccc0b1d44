"""Fixtures for the JSON API: ``api_key`` (make a key, get its headers).

::

    def test_x(client, api_key):
        headers = api_key("orders:write")            # {"Authorization": "Bearer sck_…"}
        client.post("/care/api/v1/orders", json=..., headers=headers)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from shopcare.core.api import keys

API = "/care/api/v1"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api_key(app: Flask, db: Any) -> Callable[..., dict[str, str]]:
    """``api_key(*scopes, name="test")`` → the Authorization header of a new, committed key."""

    def make(*scopes: str, name: str = "test") -> dict[str, str]:
        _row, key = keys.create(name, scopes or ("orders:write",))
        db.session.commit()
        return bearer(key)

    return make
