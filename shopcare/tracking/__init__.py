"""Order tracking: shipments, the carrier's events on the order's timeline, delivery
estimates from the shop's own history, late shipments, and the shopper's pages.

``care.tracking`` (:class:`shopcare.tracking.services.ShipmentTracker`) is the entry point.
"""
