"""The staff area (``/care/staff``, endpoints ``shopcare.staff.*``): the queues care
staff work. Each feature routes its staff pages on a :class:`~shopcare.core.state.Routes`
of its own (every view ``@staff_required``) and declares them, with their place in the
staff navigation, in its wiring::

    staff_pages = Routes()

    @staff_pages.route("/late-shipments")
    @staff_required
    def late_shipments(): ...

    # init_app(app, state):
    state.add_staff_pages(staff_pages)
    state.add_staff_nav("shopcare.staff.late_shipments", _l("Late shipments"))

Pages extend ``shopcare/staff/_layout.html`` and fill its ``staff_content`` block.
"""
