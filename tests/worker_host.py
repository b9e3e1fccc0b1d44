"""The host app that worker subprocesses in the tests load:

    SHOPCARE_TEST_DATABASE_URL=… SHOPCARE_TEST_APP_CONFIG='{"MAIL_PORT": 2525}' \\
        python -m flask --app tests.worker_host shopcare work --forever
"""

from __future__ import annotations

import json
import os

from flask import Flask

from tests.host import make_app


def create_app() -> Flask:
    """``tests.host.make_app`` on the database and with the config the environment names."""
    config = json.loads(os.environ.get("SHOPCARE_TEST_APP_CONFIG") or "{}")
    app, _db, _care = make_app(os.environ["SHOPCARE_TEST_DATABASE_URL"], **config)
    return app
