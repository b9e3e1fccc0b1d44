"""The eight index areas and the quality dimensions (DOMAIN.md, "The eight satisfaction
indices"; source document 000, sections 1.5 and 1.9).

One vocabulary for every domain that tags something with an area: survey questions,
feedback tickets, audit items, the dashboard's indices. Keys are stored in the database
(``String(16)``) and never change; labels are translated when shown.
"""

from __future__ import annotations

from shopcare.core.i18n import _l

#: The eight areas, in the order of document 000, section 1.9: ``{key: label}``.
AREAS: dict[str, object] = {
    "satisfaction": _l("Overall satisfaction"),
    "competition": _l("Compared with other shops"),
    "infrastructure": _l("Site, pick-up points and packaging"),
    "image": _l("Trust and reputation"),
    "commercial": _l("Sales service and information"),
    "product": _l("Products"),
    "processes": _l("Dispatch, billing and delivery"),
    "post_sale": _l("After-sales and guarantees"),
}

#: The quality dimensions a question may also carry (document 000, section 1.5).
DIMENSIONS: dict[str, object] = {
    "features": _l("Features"),
    "reliability": _l("Reliability"),
    "conformity": _l("Conformity"),
    "durability": _l("Durability"),
    "service": _l("Service"),
}


def area_label(key: str) -> str:
    """The translated label of area ``key`` (the key itself when it is not one of the eight)."""
    return str(AREAS.get(key, key))
