"""``create_app``: the Casa Verde shop, with shopcare mounted the way the README says."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_babel import format_currency

from shopcare.demo.extensions import care, csrf, db, login_manager
from shopcare.demo.models import User
from shopcare.demo.views import blueprint

SHOP_NAME = "Casa Verde"
#: Only for the demo on a developer's machine; set SECRET_KEY in the environment elsewhere.
DEV_SECRET_KEY = "casa-verde-demo-not-a-secret"


def create_app(database_url: str, **config: Any) -> Flask:
    """Build the shop on ``database_url``; ``config`` overrides any setting.

    Tables are not created here: ``shopcare.demo.seed`` (or the ``seed`` command)
    does that, as a real shop's migrations would.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        SQLALCHEMY_DATABASE_URI=database_url,
        SHOPCARE_SHOP_NAME=SHOP_NAME,
        # shopcare's pages render inside the shop's own layout.
        SHOPCARE_BASE_TEMPLATE="demo/layout.html",
        SHOPCARE_CURRENCIES=("EUR",),
        # How the seed hashes passwords; tests pick a cheaper one ("pbkdf2:sha256:1000").
        DEMO_PASSWORD_METHOD="scrypt",
    )
    # FLASK_MAIL_SERVER=localhost FLASK_MAIL_PORT=1025 … sets MAIL_SERVER, MAIL_PORT, and so on.
    app.config.from_prefixed_env()
    app.config.update(config)
    # After-sales cases: Spain's holidays and return address; photos beside the database.
    app.config.setdefault("SHOPCARE_DEFAULT_TIMEZONE", "Europe/Madrid")
    app.config.setdefault("SHOPCARE_COUNTRY", "ES")
    app.config.setdefault(
        "SHOPCARE_RETURN_ADDRESS", f"{SHOP_NAME} returns\nCalle del Prado 7\n28014 Madrid"
    )
    app.config.setdefault("SHOPCARE_CASE_PHOTO_DIR", _photo_dir(database_url))

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    care.init_app(app, db=db)

    app.register_blueprint(blueprint)
    app.add_template_filter(money)
    app.register_error_handler(404, not_found)
    return app


login_manager.login_view = "shop.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user whose id is in the session."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def _photo_dir(database_url: str) -> str:
    """Case photos live beside a SQLite database file, else in the temp folder."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return str(Path(database_url.removeprefix("sqlite:///")).resolve().parent / "case-photos")
    return str(Path(tempfile.gettempdir()) / "shopcare-demo-case-photos")


def not_found(error: Exception) -> tuple[str, int]:
    """Pages that do not exist, in the shop's layout."""
    return render_template("demo/404.html"), 404


def money(amount: Decimal, currency: str = "EUR") -> str:
    """Template filter: ``12.5|money`` → ``€12.50`` (``12,50 €`` in Spanish)."""
    return format_currency(amount, currency)
