"""shopcare: customer care for Flask shops."""

from __future__ import annotations

from shopcare.errors import ConfigError, NotFound, ShopCareError, TransitionError, ValidationError
from shopcare.extension import ShopCare

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "NotFound",
    "ShopCare",
    "ShopCareError",
    "TransitionError",
    "ValidationError",
    "__version__",
]
