"""``create_app``: the Casa Verde shop, with shopcare mounted the way the README says."""

from __future__ import annotations

import os
import secrets
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, render_template, session
from flask_babel import format_currency
from flask_babel import lazy_gettext as _l

from shopcare.core.i18n import match_language, select_locale
from shopcare.demo.extensions import LANGUAGES, babel, care, csrf, db, login_manager
from shopcare.demo.models import User
from shopcare.demo.views import blueprint

SHOP_NAME = "Casa Verde"
#: The file in the instance folder that keeps the demo's own random secret key.
SECRET_KEY_FILE = "secret_key"


def create_app(database_url: str, **config: Any) -> Flask:
    """Build the shop on ``database_url``; ``config`` overrides any setting.

    Tables are not created here: ``shopcare.demo.seed`` (or the ``seed`` command)
    does that, as a real shop's migrations would.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or instance_secret_key(app),
        SQLALCHEMY_DATABASE_URI=database_url,
        SHOPCARE_SHOP_NAME=SHOP_NAME,
        # shopcare's pages render inside the shop's own layout.
        SHOPCARE_BASE_TEMPLATE="demo/layout.html",
        SHOPCARE_CURRENCIES=("EUR",),
        # Casa Verde packs in Valencia: delivery windows and dates for guests in Madrid time.
        SHOPCARE_DEFAULT_TIMEZONE="Europe/Madrid",
        SHOPCARE_CONTACT={
            "email": "hola@casaverde.example",
            "phone": "+34 960 000 000",
            "hours": _l("Mon\N{EN DASH}Fri 9:00\N{EN DASH}18:00"),
        },
        # How the seed hashes passwords; tests pick a cheaper one ("pbkdf2:sha256:1000").
        DEMO_PASSWORD_METHOD="scrypt",
    )
    # FLASK_MAIL_SERVER=localhost FLASK_MAIL_PORT=1025 … sets MAIL_SERVER, MAIL_PORT, and so on.
    app.config.from_prefixed_env()
    app.config.update(config)
    # After-sales cases: Spain's holidays and return address; photos beside the database.
    app.config.setdefault("SHOPCARE_DEFAULT_TIMEZONE", "Europe/Madrid")
    app.config.setdefault("SHOPCARE_COUNTRY", "ES")
    app.config.setdefault("SHOPCARE_FEEDBACK_BOARD", True)
    # A small shop (a few hundred orders a year): its dashboard shows a figure from 10
    # answers, with the wide interval that comes with so few, rather than hiding it.
    app.config.setdefault("SHOPCARE_INSIGHTS_MIN_N", 10)
    app.config.setdefault("SHOPCARE_FEEDBACK_REPLY_ADDRESS", "care@casaverde.example")
    app.config.setdefault(
        "SHOPCARE_RETURN_ADDRESS", f"{SHOP_NAME} returns\nCalle del Prado 7\n28014 Madrid"
    )
    app.config.setdefault("SHOPCARE_CASE_PHOTO_DIR", _photo_dir(database_url))

    db.init_app(app)
    # The shop's own Babel, before shopcare, so that shopcare uses it: the shop's
    # strings live in shopcare/demo/translations (domain "messages").
    babel.init_app(app, locale_selector=shop_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    care.init_app(app, db=db)

    app.register_blueprint(blueprint)
    app.add_template_filter(money)
    app.register_error_handler(404, not_found)
    return app


login_manager.login_view = "shop.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user whose id is in the session."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def instance_secret_key(app: Flask) -> str:
    """The demo's own random secret key, made on first start and kept in its instance
    folder (never a fixed, public one: that would let anyone forge a staff session)."""
    folder = Path(app.instance_path)
    path = folder / SECRET_KEY_FILE
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) < 32:
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key)
    return key


def shop_locale() -> str:
    """The language the shopper chose with the header's switch, else shopcare's rule
    (the user's ``locale``, then the browser's languages, regional variants included)."""
    chosen = None
    if has_request_context():  # the seed and the worker render outside any request
        chosen = match_language(session.get("language"), LANGUAGES)
    return chosen or select_locale()


def _photo_dir(database_url: str) -> str:
    """Case photos live beside a SQLite database file, else in the temp folder."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return str(Path(database_url.removeprefix("sqlite:///")).resolve().parent / "case-photos")
    return str(Path(tempfile.gettempdir()) / "shopcare-demo-case-photos")


def not_found(error: Exception) -> tuple[str, int]:
    """Pages that do not exist, in the shop's layout."""
    return render_template("demo/404.html"), 404


def money(amount: Decimal | str, currency: str = "EUR") -> str:
    """Template filter: ``12.5|money`` → ``€12.50`` (``12,50 €`` in Spanish)."""
    return format_currency(Decimal(str(amount)), currency)
