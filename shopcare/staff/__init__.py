"""The staff area (``/care/staff``, endpoints ``shopcare.staff.*``): the queues care
staff work. Each feature routes its staff pages on :data:`blueprint` (every view
``@staff_required``) and lists them in the staff navigation with :func:`nav_item`::

    from shopcare.staff import blueprint as staff, nav_item

    nav_item("shopcare.staff.late_shipments", _l("Late shipments"))

    @staff.route("/late-shipments")
    @staff_required
    def late_shipments(): ...

Pages extend ``shopcare/staff/_layout.html`` and fill its ``staff_content`` block.
"""

from __future__ import annotations

from shopcare.staff.blueprint import NavItem, blueprint, nav_item, nav_items

__all__ = ["NavItem", "blueprint", "nav_item", "nav_items"]
