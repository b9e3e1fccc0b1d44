"""The floor every domain stands on: configuration, the database, errors, signals,
access, languages and formatting, paging, caching, rate limits, the event log, the
outbox and the JSON API base.

Nothing under ``shopcare.core`` imports a domain (``shopcare.orders``,
``shopcare.tracking``, ``shopcare.staff`` …); ``tests/test_architecture.py`` holds it to that.
"""

from __future__ import annotations

__version__ = "0.1.0"
