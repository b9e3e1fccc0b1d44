"""The orders' part of shopcare: the orders endpoint of the JSON API, ``flask shopcare
orders import`` and the ``orders.record`` job of ``care.orders.record_safely``.

(``care.orders`` is made by :class:`~shopcare.ShopCare` itself: it serves every app
the extension is mounted on.)
"""

from __future__ import annotations

from flask import Flask

from shopcare.core.state import State
from shopcare.orders import api, events, jobs, privacy
from shopcare.orders.cli import orders_group


def init_app(app: Flask, state: State) -> None:
    """Declare the orders' parts on ``state``."""
    state.add_events(events.EVENTS)
    state.add_privacy_part(privacy.PART)
    state.add_api(api.routes)
    state.add_command(orders_group)
    state.add_job(jobs.RECORD_JOB, jobs.record_later)
