"""The core's own part of shopcare, and :func:`mount`, which installs on an app what
every feature declared on its state.

``ShopCare.init_app`` calls :func:`init_app` first (the core's settings, the JSON
API's own endpoint, error shape and security schemes, the worker, outbox, mail, API-key
and migration commands, the outbox purge task and shopcare's templates), then each
domain's ``init_app(app, state)``, then :func:`mount`.
"""

from __future__ import annotations

from flask import Flask

from shopcare.core import cli, i18n, ratelimit, web
from shopcare.core.api import blueprint as api_blueprint
from shopcare.core.api import docs as api_docs
from shopcare.core.api import views as api_views
from shopcare.core.api.cli import api_key
from shopcare.core.api.openapi import SECURITY_SCHEMES
from shopcare.core.api.schemas import Error
from shopcare.core.config import DEFAULTS, check_config, setting
from shopcare.core.outbox import cli as outbox_cli
from shopcare.core.outbox import mail as outbox_mail
from shopcare.core.outbox.models import OUTBOX
from shopcare.core.outbox.worker import PURGE_EVERY, purge_done_items
from shopcare.core.privacy import ERASED
from shopcare.core.privacy_cli import privacy_group
from shopcare.core.state import State


def init_app(app: Flask, state: State) -> None:
    """Declare the core's own parts on ``state``."""
    state.add_settings(DEFAULTS)
    state.add_events(OUTBOX.events)  # outbox.retried
    state.add_events([ERASED])
    state.add_templates(web.TEMPLATES)
    state.add_api(api_views.routes, models=[Error], security_schemes=SECURITY_SCHEMES)
    state.add_api(api_docs.routes)
    state.add_command(api_key)
    state.add_command(outbox_cli.work_command)
    state.add_command(outbox_cli.outbox_group)
    state.add_command(outbox_cli.mail_group)
    state.add_command(cli.db_group)
    state.add_command(cli.check)
    state.add_command(privacy_group)
    state.add_periodic("shopcare.outbox.purge", purge_done_items, every=PURGE_EVERY)


def mount(app: Flask, state: State) -> None:
    """Install on ``app`` everything the features declared on ``state``.

    :raises ConfigError: for a ``SHOPCARE_*`` key in ``app.config`` that no feature
        declared (nothing is installed then).
    """
    check_config(app.config, state.settings)
    for key, value in state.settings.items():
        app.config.setdefault(key, value)
    app.extensions["shopcare"] = state

    i18n.install(app)
    outbox_mail.install(app)
    state.api_blueprint = api_blueprint.make_blueprint(state)
    children = [item if not callable(item) else item() for item in state.blueprints]
    parent = web.make_blueprint(state, [*children, state.api_blueprint])
    app.register_blueprint(parent, url_prefix=setting("SHOPCARE_URL_PREFIX", app))
    app.cli.add_command(cli.make_group(state))
    ratelimit.init_app(app)
    api_blueprint.init_app(app)
