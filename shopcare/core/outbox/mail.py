"""E-mail: rendering shopcare's mail templates in the recipient's language, and
sending them with Flask-Mail over one reused SMTP connection.

Templates live under ``shopcare/email/``: ``<name>.subject.txt`` (one line),
``<name>.txt`` (the text part) and optionally ``<name>.html`` (the HTML part); they
extend ``shopcare/email/layout.txt`` / ``layout.html``. A host overrides any of them
by a file of the same path in its own templates folder.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_mail import Connection, Mail, Message
from jinja2 import TemplateNotFound

from shopcare.core.config import setting
from shopcare.core.errors import ConfigError

EMAIL_FOLDER = "shopcare/email"
_HTML_ENVIRONMENT = "shopcare_mail_html_environment"


def install(app: Flask) -> None:
    """Give ``app`` Flask-Mail, configured by its ``MAIL_*`` settings, unless it has it."""
    if "mail" not in app.extensions:
        Mail().init_app(app)


def template_names(template: str, *, required_only: bool = False) -> list[str]:
    """The files of mail ``template``: subject, text and (unless ``required_only``) HTML."""
    base = f"{EMAIL_FOLDER}/{template}"
    names = [f"{base}.subject.txt", f"{base}.txt"]
    return names if required_only else [*names, f"{base}.html"]


def external_url() -> str:
    """The shop's public base URL, for links in e-mails.

    :raises ConfigError: when neither ``SHOPCARE_EXTERNAL_URL`` nor ``SERVER_NAME`` is set.
    """
    url = setting("SHOPCARE_EXTERNAL_URL")
    if not url:
        server = current_app.config.get("SERVER_NAME")
        if not server:
            raise ConfigError(
                "set SHOPCARE_EXTERNAL_URL (e.g. 'https://shop.example') so that "
                "e-mails can link back to the shop"
            )
        url = f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"
    return str(url).rstrip("/")


def message_id(dedupe_key: str) -> str:
    """The Message-ID every delivery of the e-mail with ``dedupe_key`` carries: ASCII
    whatever the shop's domain (``tienda-ñ.example`` is written as its IDNA form,
    ``xn--tienda--0wa.example``), as the header must be."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]
    host = urlsplit(setting("SHOPCARE_EXTERNAL_URL") or "").hostname or "shopcare"
    try:
        domain = host.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid internationalised name: a neutral one
        domain = "shopcare"
    return f"<{digest}.shopcare@{domain}>"


@dataclass(frozen=True)
class RenderedMail:
    """An e-mail's subject and parts, rendered in one language."""

    subject: str
    text: str
    html: str | None


def render_mail(template: str, context: dict[str, Any], locale: str) -> RenderedMail:
    """Render ``template`` in ``locale`` with absolute URLs to the shop.

    Runs inside a request context whose base URL is :func:`external_url`, so
    ``url_for(..., _external=True)`` points at the public site.
    """
    subject_name, text_name, html_name = template_names(template)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.test_request_context("/", base_url=external_url()), force_locale(locale):
        subject = " ".join(render_template(subject_name, **context).split())
        text = render_template(text_name, **context)
        try:
            html: str | None = _render_html(app, html_name, context)
        except TemplateNotFound:
            html = None
    return RenderedMail(subject, text, html)


def _render_html(app: Flask, name: str, context: dict[str, Any]) -> str:
    """Render an HTML e-mail with autoescaping on for *every* template it loads.

    Jinja decides autoescaping per template, by that template's own name, so a
    ``.txt`` partial shared with the text part (the status sentence, the subject in
    ``<title>``) — or included by a host's override — would put the shopper's, the
    host's and the carrier's text into the HTML raw. An overlay of the app's
    environment (same loader, globals and filters) that escapes everything it
    renders makes that impossible, whatever the templates include.
    """
    environment = app.extensions.get(_HTML_ENVIRONMENT)
    if environment is None or environment.loader is not app.jinja_env.loader:
        environment = app.jinja_env.overlay(autoescape=True)
        app.extensions[_HTML_ENVIRONMENT] = environment
    values = dict(context)
    app.update_template_context(values)
    return str(environment.get_template(name).render(values))


def sender_address() -> str:
    """``SHOPCARE_MAIL_SENDER``, else the host's ``MAIL_DEFAULT_SENDER``."""
    sender = setting("SHOPCARE_MAIL_SENDER") or current_app.config.get("MAIL_DEFAULT_SENDER")
    if not sender:
        raise ConfigError("set SHOPCARE_MAIL_SENDER or MAIL_DEFAULT_SENDER")
    if isinstance(sender, tuple | list):
        return f"{sender[0]} <{sender[1]}>"
    return str(sender)


def build_message(
    to: str,
    rendered: RenderedMail,
    dedupe_key: str | None,
    extra: dict[str, str] | None = None,
) -> Message:
    """A Flask-Mail message with text and HTML parts and shopcare's headers (and the
    threading headers ``extra`` queued with it)."""
    headers = {"Auto-Submitted": "auto-generated"}
    extra = dict(extra or {})
    reply_to = extra.pop("Reply-To", None)
    headers.update(extra)
    if dedupe_key is not None:
        headers["X-Shopcare-Dedupe"] = dedupe_key
    message = Message(
        subject=rendered.subject,
        recipients=[to],
        body=rendered.text,
        html=rendered.html,
        sender=sender_address(),
        extra_headers=headers,
        reply_to=reply_to,
    )
    if dedupe_key is not None:
        # Replaces Flask-Mail's random id: every retry carries the same one.
        message.msgId = message_id(dedupe_key)
    return message


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a socket timeout so a silent server cannot hang a worker."""

    def __init__(self, mail: Any, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        mail = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def is_permanent(error: BaseException) -> bool:
    """Whether retrying cannot help: the server refused the recipient or the message (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


class MailSender:
    """Sends messages over one SMTP connection, opened on first use and reopened after an error.

    Use as a context manager; the connection is closed on exit.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._connection: _TimedConnection | None = None

    def send(self, message: Message) -> None:
        """Send ``message``; on any error the connection is dropped and the error raised."""
        if self._connection is None:
            connection = _TimedConnection(current_app.extensions["mail"], self.timeout)
            self._connection = connection.__enter__()
        try:
            self._connection.send(message)
        except BaseException:
            self.close(failed=True)
            raise

    def close(self, *, failed: bool = False) -> None:
        """Close the connection (politely with QUIT unless it just failed)."""
        connection, self._connection = self._connection, None
        if connection is None or connection.host is None:
            return
        try:
            if failed:
                connection.host.close()
            else:
                connection.host.quit()
        except (TimeoutError, smtplib.SMTPException, OSError):
            connection.host.close()

    def __enter__(self) -> MailSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_now(to: str, template: str, context: dict[str, Any], locale: str) -> Message:
    """Render and send one e-mail right away, outside the outbox (``flask shopcare mail test``)."""
    message = build_message(to, render_mail(template, context, locale), None)
    with MailSender() as sender:
        sender.send(message)
    return message
