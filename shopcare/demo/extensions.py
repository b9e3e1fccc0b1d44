"""The shop's Flask extensions, made once and bound to each app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from shopcare import ShopCare


class Model(DeclarativeBase):
    """Base of the shop's own tables: ``db.Model``'s metadata, typed for mypy."""


db = SQLAlchemy(model_class=Model)
care = ShopCare()
login_manager = LoginManager()
csrf = CSRFProtect()
#: The languages of the header's switch: code -> the language's own name.
LANGUAGES = {"en": "English", "es": "Español"}
#: The shop's own Flask-Babel (its strings, its language switch); shopcare uses it too.
babel = Babel()
