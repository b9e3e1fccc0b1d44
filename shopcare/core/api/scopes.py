"""The scopes an API key can carry: the one list of them.

A feature that adds API endpoints needing a new permission adds its scope here.
"""

from __future__ import annotations

#: scope → what it allows, shown by ``flask shopcare api-key create --help``.
SCOPES: dict[str, str] = {
    "orders:read": "read orders",
    "orders:write": "record and update orders",
    "tracking:read": "read shipments and their events",
    "tracking:write": "add shipment events",
    "cases:read": "read after-sales cases",
    "cases:write": "open after-sales cases and act on them as staff",
    "surveys:read": "read surveys, their questions and responses",
    "feedback:read": "read suggestion-box tickets",
    "feedback:write": "submit tickets and reply; act on them as staff",
    "insights:read": "read the satisfaction dashboard's figures",
}
