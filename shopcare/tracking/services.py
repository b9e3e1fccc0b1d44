"""``care.tracking``: shipments, carrier events, the shopper's order page, late shipments.

:class:`ShipmentTracker` is the one object a host (and tracking's views, API and CLI)
calls; each of its methods is a function of the module that does that part:

- :mod:`shopcare.tracking.statuses`: the nine statuses and the rules that move them;
- :mod:`shopcare.tracking.actions`: the write side (``add_shipment``, ``add_event``);
- :mod:`shopcare.tracking.queries`: what the shopper's pages read;
- :mod:`shopcare.tracking.summary`: the order's status as a shopper reads it;
- :mod:`shopcare.tracking.lateness`: late shipments, the staff's list and the late check;
- :mod:`shopcare.tracking.resolutions`: staff resolving a late parcel, their notes;
- :mod:`shopcare.tracking.guests`: guest order links;
- :mod:`shopcare.tracking.notifications`: the host's signals and the shopper's e-mails;
- :mod:`shopcare.tracking.estimates`: delivery windows from the shop's own history.
"""

from __future__ import annotations

from flask import current_app

from shopcare.tracking import actions, estimates, guests, lateness, queries, resolutions


class ShipmentTracker:
    """``care.tracking``: the host (or a carrier's webhook) reports shipments and their
    events here; the shopper's pages and the staff's late list read them back.

    Methods flush but do not commit: the caller commits.
    """

    # -- writing
    add_shipment = staticmethod(actions.add_shipment)
    add_event = staticmethod(actions.add_event)

    # -- reading
    get = staticmethod(queries.get)
    shipments = staticmethod(queries.shipments)
    estimate = staticmethod(estimates.estimate)
    order_for_page = staticmethod(queries.order_for_page)
    versioned_order = staticmethod(queries.versioned_order)
    order_tracking = staticmethod(queries.order_tracking)
    orders_for_user = staticmethod(queries.orders_for_user)
    order_status = staticmethod(queries.order_status)
    order_statuses = staticmethod(queries.order_statuses)

    # -- late shipments
    late_shipments = staticmethod(lateness.late_shipments)
    late_counts = staticmethod(lateness.late_counts)
    flag_late = staticmethod(lateness.flag_late)
    resolve = staticmethod(resolutions.resolve)
    add_note = staticmethod(resolutions.add_note)
    resolved_by = staticmethod(resolutions.resolved_by)

    # -- guests
    find_for_guest = staticmethod(guests.find_for_guest)
    guest_token = staticmethod(guests.guest_token)
    read_guest_token = staticmethod(guests.read_guest_token)


def current_tracker() -> ShipmentTracker:
    """``care.tracking`` of the current app."""
    tracker: ShipmentTracker = current_app.extensions["shopcare"].care.tracking
    return tracker
