"""shopcare: customer care for Flask shops."""

from __future__ import annotations

from shopcare.core import __version__, signals
from shopcare.core.errors import (
    ConfigError,
    NotFound,
    ShopCareError,
    TransitionError,
    ValidationError,
)
from shopcare.extension import ShopCare

__all__ = [
    "ConfigError",
    "NotFound",
    "ShopCare",
    "ShopCareError",
    "TransitionError",
    "ValidationError",
    "__version__",
    "signals",
]
