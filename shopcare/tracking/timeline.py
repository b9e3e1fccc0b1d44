"""The order page's timeline entries of tracking's own events, rendered in Python.

Each function gives, byte for byte, what the ``entry(event)`` macro of the template it
is named after gives (``shopcare/timeline/<name>.html``), from the same names the
template sees (``names``: ``_sc``, ``tracking``, ``shopcare_status_label``,
``shopcare_carrier_name``). The templates stay what a host copies and overrides; the
order page renders an entry through its function only while the app loads shopcare's
own file under that name (:func:`shopcare.tracking.views.timeline_html`), and
``tests/tracking/test_tracking_timeline_entries.py`` renders every case both ways.

A template reads ``event.data.<key>``: a missing key is Jinja's undefined, which is
empty and false, as ``""`` is here (:func:`field`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from shopcare.core.html import escaped

__all__ = ["ENTRIES", "field"]


def field(data: Any, key: str) -> Any:
    """``event.data.<key>`` as a template reads it: missing is ``""`` (empty, false)."""
    return data.get(key, "") if isinstance(data, dict) else ""


def order_recorded(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/order.recorded.html``."""
    _sc = names["_sc"]
    return Markup(f"<strong>{escaped(_sc('Order placed'))}</strong>")  # nosec B704


def shipment_added(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/shipment.added.html``."""
    _sc = names["_sc"]
    number = names["tracking"].shipment_number(event)
    carrier = names["shopcare_carrier_name"](field(event.data, "carrier"))
    if number:
        text = _sc("Parcel %(num)d handed to %(carrier)s", num=number, carrier=carrier)
    else:
        text = _sc("Parcel handed to %(carrier)s", carrier=carrier)
    return Markup(f"<strong>{escaped(text)}</strong>")  # nosec B704


def shipment(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/shipment.html``: a carrier's event."""
    _sc = names["_sc"]
    number = names["tracking"].shipment_number(event)
    data = event.data
    status = field(data, "status")
    if not status:
        return Markup()
    parts = [f"<strong>{escaped(names['shopcare_status_label'](status))}</strong>"]
    if number:
        parts.append(
            f' <span class="sc-muted">· {escaped(_sc("Parcel %(num)d", num=number))}</span>'
        )
    location = field(data, "location")
    if location:
        parts.append(f'<br><span class="sc-muted">{escaped(location)}</span>')
    message = field(data, "message")
    if message:
        says = _sc(
            "%(carrier)s wrote:", carrier=names["shopcare_carrier_name"](field(data, "carrier"))
        )
        parts.append(
            f'<br><span class="sc-carrier-says">{escaped(says)} '
            f'<q class="sc-carrier-message">{escaped(message)}</q></span>'
        )
    return Markup("".join(parts))  # nosec B704


def shipment_resolved(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/shipment.resolved.html``: staff resolved a late parcel."""
    _sc = names["_sc"]
    number = names["tracking"].shipment_number(event)
    resolution = field(event.data, "resolution")
    if resolution == "delivered":
        text = _sc("Delivered, confirmed by our team")
    elif resolution == "reshipped":
        text = _sc("We sent a replacement")
    elif resolution == "refunded":
        text = _sc("We refunded this parcel")
    elif resolution == "lost":
        text = _sc("The carrier lost this parcel")
    else:
        text = ""
    html = f"<strong>{escaped(text)}</strong>"
    if number:
        html += f' <span class="sc-muted">· {escaped(_sc("Parcel %(num)d", num=number))}</span>'
    return Markup(html)  # nosec B704


def default(event: Any, names: Mapping[str, Any]) -> Markup:
    """``shopcare/timeline/_default.html``: the event's summary, when it has one."""
    summary = field(event.data, "summary")
    return escape(summary) if summary else Markup()


#: template name -> its entry in Python (``tracking.wiring`` declares them).
ENTRIES: dict[str, Callable[[Any, Mapping[str, Any]], Markup]] = {
    "shopcare/timeline/order.recorded.html": order_recorded,
    "shopcare/timeline/shipment.added.html": shipment_added,
    "shopcare/timeline/shipment.html": shipment,
    "shopcare/timeline/shipment.resolved.html": shipment_resolved,
    "shopcare/timeline/_default.html": default,
}
