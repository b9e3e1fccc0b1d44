"""``flask shopcare check``: what is wrong or missing in the host's setup, each with how
to fix it. The worker runs it when it starts, and ``init_app`` at the first request in
debug mode; both log what it finds and carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from flask import Flask, current_app

from shopcare.core.config import setting

log = logging.getLogger("shopcare.check")

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing the check found: how bad, about what, what is wrong, how to fix it."""

    level: Level
    topic: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.problem}. Fix: {self.fix}"


def _error(topic: str, problem: str, fix: str) -> Finding:
    return Finding("error", topic, problem, fix)


def _warning(topic: str, problem: str, fix: str) -> Finding:
    return Finding("warning", topic, problem, fix)


#: Secret keys seen in tutorials and READMEs (shopcare's own among them).
_KNOWN_SECRETS = {
    "change-me",
    "changeme",
    "secret",
    "dev",
    "development",
    "test",
    "your-secret-key",
}


def check_secret_key() -> list[Finding]:
    key = current_app.config.get("SECRET_KEY")
    if not key:
        return [
            _error(
                "secret key",
                "SECRET_KEY is not set: sessions, CSRF tokens and guest order links "
                "cannot be signed",
                "set SECRET_KEY from the environment to a long random value, e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        ]
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if text.lower() in _KNOWN_SECRETS or len(key) < 16:
        return [
            _warning(
                "secret key",
                "SECRET_KEY is short or a well-known example value: anyone who guesses "
                "it can forge sessions and guest order links",
                "set SECRET_KEY from the environment to a long random value, e.g. "
                "python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        ]
    return []


def check_mail() -> list[Finding]:
    config = current_app.config
    found: list[Finding] = []
    url = setting("SHOPCARE_EXTERNAL_URL")
    if not url and not config.get("SERVER_NAME"):
        found.append(
            _error(
                "mail",
                "SHOPCARE_EXTERNAL_URL is not set (nor SERVER_NAME): e-mails cannot link "
                "back to the shop, so the worker retries them until they fail",
                'set SHOPCARE_EXTERNAL_URL = "https://shop.example" (your public address)',
            )
        )
    elif url and (
        urlsplit(str(url)).scheme not in ("http", "https") or not urlsplit(str(url)).netloc
    ):
        found.append(
            _error(
                "mail",
                f"SHOPCARE_EXTERNAL_URL = {url!r} is not an http(s) address",
                'set SHOPCARE_EXTERNAL_URL = "https://shop.example"',
            )
        )
    if not setting("SHOPCARE_MAIL_SENDER") and not config.get("MAIL_DEFAULT_SENDER"):
        found.append(
            _error(
                "mail",
                "no sender: neither SHOPCARE_MAIL_SENDER nor MAIL_DEFAULT_SENDER is set, so "
                "no e-mail can go out",
                'set SHOPCARE_MAIL_SENDER = "Shop care <care@shop.example>" (or the '
                "host's MAIL_DEFAULT_SENDER)",
            )
        )
    if "MAIL_SERVER" not in config:
        found.append(
            _warning(
                "mail",
                "MAIL_SERVER is not set: Flask-Mail sends through an SMTP server on localhost",
                "set MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME and MAIL_PASSWORD "
                "for your SMTP server; try them with flask shopcare mail test ADDRESS",
            )
        )
    return found


def check_layout() -> list[Finding]:
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    from shopcare.core.layout import base_layout

    name = setting("SHOPCARE_BASE_TEMPLATE")
    try:
        layout = base_layout()
    except TemplateSyntaxError as error:
        return [
            _error(
                "layout",
                f"{error.name or name} line {error.lineno}: {error.message}",
                "fix the template: every shopcare page extends it",
            )
        ]
    except TemplateNotFound:
        return [
            _error(
                "layout",
                f"SHOPCARE_BASE_TEMPLATE = {name!r} is not found by the app's templates",
                "point SHOPCARE_BASE_TEMPLATE at your base template (its path under your "
                "templates folder)",
            )
        ]
    found: list[Finding] = []
    adapter = "see the README, 'Your layout', for a few-line adapter template"
    if "content" not in layout.blocks:
        found.append(
            _error(
                "layout",
                f"{name} has no content block: every shopcare page would be empty",
                f"add {{% block content %}}{{% endblock %}} where pages go, or {adapter}",
            )
        )
    if "title" not in layout.blocks:
        found.append(
            _warning(
                "layout",
                f"{name} has no title block: shopcare's pages keep your default title",
                f"add {{% block title %}}{{% endblock %}} inside <title>, or {adapter}",
            )
        )
    if layout.stylesheet_in == "content":
        found.append(
            _warning(
                "layout",
                f"{name} has no head block: shopcare's stylesheet is linked at the top of "
                "each page's content instead (it works, in the body)",
                f"add {{% block head %}}{{% endblock %}} in <head>, or {adapter}",
            )
        )
    if "scripts" not in layout.blocks:
        found.append(
            _warning(
                "layout",
                f"{name} has no scripts block: page scripts come with the page's content",
                f"add {{% block scripts %}}{{% endblock %}} before </body>, or {adapter}",
            )
        )
    if not layout.resolved:
        found.append(
            _warning(
                "layout",
                f"part of {name} could not be read (an extends or include of a computed "
                "name): the blocks above are a guess",
                "make shopcare's base template extend its layout by a plain name",
            )
        )
    return found


def check_migrations() -> list[Finding]:
    from shopcare.core import migrate

    try:
        state = migrate.state()
    except Exception as error:
        return [
            _error(
                "migrations",
                f"cannot read the database: {type(error).__name__}: {error}",
                "check SQLALCHEMY_DATABASE_URI and that the database is up",
            )
        ]
    if not state.controlled:
        if not state.has_tables:
            return [
                _error(
                    "migrations",
                    "shopcare's tables do not exist",
                    "run flask shopcare db upgrade",
                )
            ]
        return [
            _error(
                "migrations",
                "shopcare's tables are not under migration control (no revision in "
                f"{migrate.VERSION_TABLE})",
                "if they match this version of shopcare, run flask shopcare db stamp; "
                "then flask shopcare db upgrade after each update",
            )
        ]
    pending = state.pending
    if pending:
        return [
            _error(
                "migrations",
                f"{len(pending)} migration(s) not applied ({', '.join(pending)})",
                "run flask shopcare db upgrade",
            )
        ]
    return []


def check_rate_limits() -> list[Finding]:
    enabled = setting("SHOPCARE_RATELIMIT_ENABLED") and current_app.config.get(
        "RATELIMIT_ENABLED", True
    )
    if enabled and str(setting("SHOPCARE_RATELIMIT_STORAGE_URI")).startswith("memory://"):
        return [
            _warning(
                "rate limits",
                "SHOPCARE_RATELIMIT_STORAGE_URI is memory://, which counts per process: "
                "under several workers or hosts each one grants the whole budget",
                "with more than one process, set SHOPCARE_RATELIMIT_STORAGE_URI = "
                '"redis://host:6379" (shared by all)',
            )
        ]
    return []


def check_settings() -> list[Finding]:
    from shopcare.core.validation import NAIVE_DATETIME_POLICIES

    policy = setting("SHOPCARE_NAIVE_DATETIMES")
    if policy not in NAIVE_DATETIME_POLICIES:
        return [
            _error(
                "settings",
                f"SHOPCARE_NAIVE_DATETIMES = {policy!r} is not one of "
                f"{', '.join(NAIVE_DATETIME_POLICIES)}: recording orders fails",
                'set SHOPCARE_NAIVE_DATETIMES = "utc" (or "refuse")',
            )
        ]
    return []


#: Every check, in the order the report lists them. Each returns its findings.
CHECKS: list[Callable[[], list[Finding]]] = [
    check_secret_key,
    check_mail,
    check_layout,
    check_migrations,
    check_rate_limits,
    check_settings,
]


def run_checks() -> list[Finding]:
    """Every finding of :data:`CHECKS` for the current app; a check that crashes is a
    finding of its own, never an exception."""
    found: list[Finding] = []
    for check in CHECKS:
        try:
            found.extend(check())
        except Exception as error:
            log.warning("shopcare check: %s crashed", check.__name__, exc_info=True)
            found.append(
                _error(
                    check.__name__.removeprefix("check_").replace("_", " "),
                    f"the check itself failed: {type(error).__name__}: {error}",
                    "a bug in shopcare's check: its traceback is logged on shopcare.check",
                )
            )
    return found


def log_findings(findings: list[Finding], *, errors_as: int = logging.ERROR) -> None:
    """Log each finding on ``shopcare.check`` (errors at ``errors_as``, warnings as warnings)."""
    for finding in findings:
        level = errors_as if finding.level == "error" else logging.WARNING
        log.log(level, "shopcare check: %s", finding)


def check_at_first_request(app: Flask) -> None:
    """Log the findings once, at ``app``'s first request (by then the host has
    registered its templates and made its tables). Never raises."""
    done: list[bool] = []

    @app.before_request
    def _shopcare_check() -> None:
        if done:
            return
        done.append(True)
        try:
            log_findings(run_checks(), errors_as=logging.WARNING)
        except Exception:
            log.exception("shopcare check could not run")
