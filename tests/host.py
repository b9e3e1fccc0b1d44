"""A small host shop for the tests: Flask-SQLAlchemy, Flask-Login and shopcare, mounted
exactly as the README tells a shop developer to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy

from shopcare import ShopCare


@dataclass
class User(UserMixin):
    id: str
    email: str
    is_admin: bool = False
    locale: str | None = None

    def get_id(self) -> str:
        return self.id


USERS = {
    "ann": User("ann", "ann@example.com"),
    "bob": User("bob", "bob@example.com"),
    "sam": User("sam", "sam@shop.example", is_admin=True),
}


def make_app(
    database_url: str, *, template_folder: str = "templates", **config: Any
) -> tuple[Flask, SQLAlchemy, ShopCare]:
    app = Flask("hostshop", template_folder=template_folder)
    app.config.update(
        SECRET_KEY="test-secret",
        SQLALCHEMY_DATABASE_URI=database_url,
        TESTING=True,
        SERVER_NAME=None,
    )
    app.config.update(config)
    db = SQLAlchemy(app)
    login = LoginManager(app)
    login.login_view = "login"

    @login.user_loader
    def load(user_id: str) -> User | None:
        return USERS.get(user_id)

    @app.post("/login/<name>")
    def test_login(name: str) -> str:
        login_user(USERS[name])
        return "ok"

    @app.route("/login", endpoint="login")
    def login_page() -> str:
        return f"please log in (next={request.args.get('next', '')})"

    @app.post("/logout")
    def logout() -> str:
        logout_user()
        return "bye"

    care = ShopCare(app, db=db)
    return app, db, care
