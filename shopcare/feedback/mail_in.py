"""Mail in: one RFC 5322 message, as an MTA pipes it to ``flask shopcare mail receive``,
lands on its ticket or opens one.

Matching, in this order: a genuine reply token in a recipient address
(``care+F-2026-000042.<signature>@shop.example``, :func:`shopcare.feedback.access.reply_token`);
then any Message-ID in ``References`` or ``In-Reply-To`` that shopcare sent or received
for a ticket (either header alone is enough: mail clients fill them differently). A
message with a forged token is refused; a message matching nothing opens a new ticket
with channel ``email``.

Automatic mail (``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``,
``Precedence: bulk/junk/auto_reply``, a delivery report, an empty ``Return-Path``) is
dropped without a ticket or an answer, so two auto-responders never loop. The quoted
history under the new text is cut (:func:`strip_quoted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from sqlalchemy import select

from shopcare.core.db import session
from shopcare.core.errors import TransitionError, ValidationError
from shopcare.core.events import Actor
from shopcare.feedback.access import token_reference
from shopcare.feedback.models import Ticket, TicketMessage

#: Exit statuses of ``flask shopcare mail receive`` (sysexits.h, as MTAs read them).
EX_OK = 0
EX_DATAERR = 65  # not a message shopcare can read (no sender, no text)
EX_NOUSER = 67  # a reply token that is not genuine: refused, nothing written

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")

# Lines that start the quoted history. Each is tried on a line and on that line joined
# with the next (Gmail wraps a long "Am … schrieb:" onto two lines).
_ATTRIBUTION = re.compile(
    r"^\s*(On\s.+\swrote:|El\s.+\sescribi[óo]:|Am\s.+\sschrieb(\s.*)?:|Le\s.+\sa\s[ée]crit\s?:"
    r"|Il\s.+\sha\sscritto:|Op\s.+\sschreef\s.+:)\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|Mensaje original|Ursprüngliche Nachricht|Message d'origine"
    r"|Messaggio originale|Forwarded message|Mensaje reenviado)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(From|Von|De|Da|Van)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Enviado|Fecha|Envoyé|Inviato|Verzonden|To|An|Para|À)\s*:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Received:
    """What :func:`receive` did: ``status`` (an exit status), ``outcome`` (``replied``,
    ``opened``, ``ignored``, ``duplicate``, ``refused``), the ticket's reference and a
    sentence for the log."""

    status: int
    outcome: str
    reference: str | None
    detail: str


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def is_automatic(message: EmailMessage) -> bool:
    """Whether ``message`` was sent by a machine (auto-reply, bounce, list)."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "auto_reply", "list"):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("", "<>"):
        return True
    sender = str(message.get("From", "")).lower()
    return "mailer-daemon@" in sender or "postmaster@" in sender


class _Text(HTMLParser):
    """HTML to plain text: the text nodes, with line breaks for blocks; quoted blocks
    (``<blockquote>``, Gmail's ``gmail_quote``) left out."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if (
            self.skip
            or tag == "blockquote"
            or "gmail_quote" in classes
            or tag in ("style", "script", "head")
        ):
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def body_text(message: EmailMessage) -> tuple[str, list[str]]:
    """The message's text (its plain part, else its HTML part as text) and the file
    names of its attachments (not kept)."""
    attachments = [
        part.get_filename() or "attachment"
        for part in message.iter_attachments()
        if part.get_content_maintype() != "multipart"
    ] if message.is_multipart() else []  # fmt: skip
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", attachments
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return str(content), attachments


def strip_quoted(text: str) -> str:
    """``text`` without the quoted history under it: cut at the first attribution line
    ("On … wrote:", "El … escribió:", "Am … schrieb:" even wrapped onto two lines),
    "-----Original Message-----" separator or Outlook header block ("From:"/"Von:"/"De:"
    followed by "Sent:"/"Gesendet:"/"Enviado:"), and trailing ``>`` lines. When the cut
    would leave nothing, the whole text is kept: never an empty message."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        joined = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        if (
            _SEPARATOR.match(line)
            or _ATTRIBUTION.match(line)
            or (_ATTRIBUTION.match(joined) and lines[index + 1].strip().endswith(":"))
        ):
            cut = index
            break
        if _HEADER_FROM.match(line) and any(
            _HEADER_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result if result else text.strip()


def _recipients(message: EmailMessage) -> str:
    values = [
        str(value)
        for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
        for value in message.get_all(name, [])
    ]
    return " ".join(address for _name, address in getaddresses(values))


def _thread_ids(message: EmailMessage) -> list[str]:
    found: list[str] = []
    for name in ("References", "In-Reply-To"):
        for value in message.get_all(name, []):
            found.extend(_MESSAGE_ID.findall(str(value)))
    return list(dict.fromkeys(found))[-50:]


def _matched(message: EmailMessage) -> tuple[Ticket | None, bool]:
    """The ticket the message answers, and whether it carried a forged token."""
    from shopcare.feedback.services import current_desk

    recipients = _recipients(message)
    reference = token_reference(recipients)
    if reference is not None:
        return current_desk().get(reference), False
    forged = re.search(r"\+F-\d{4}-\d{6}\.", recipients, re.IGNORECASE) is not None
    if forged:
        return None, True
    ids = _thread_ids(message)
    if ids:
        ticket = (
            session()
            .scalars(
                select(Ticket)
                .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
                .where(TicketMessage.message_id.in_(ids))
                .limit(1)
            )
            .first()
        )
        if ticket is not None:
            return ticket, False
    return None, False


def receive(raw: bytes) -> Received:
    """Put one e-mail where it belongs (see the module); flushes, never commits."""
    from shopcare.feedback.services import current_desk

    try:
        message = parse(raw)
    except Exception as error:  # a parser error is a message we cannot read
        return Received(EX_DATAERR, "refused", None, f"not an e-mail message: {error}")
    if is_automatic(message):
        return Received(
            EX_OK, "ignored", None, "automatic mail (auto-reply, bounce or list): ignored"
        )
    senders = getaddresses([str(v) for v in message.get_all("From", [])])
    if not senders or "@" not in senders[0][1]:
        return Received(EX_DATAERR, "refused", None, "no sender address")
    name, address = senders[0]
    message_id = next(iter(_MESSAGE_ID.findall(str(message.get("Message-ID", "")))), None)
    if message_id and len(message_id) > 250:
        message_id = None
    db = session()
    if message_id and db.scalar(
        select(TicketMessage.id).where(TicketMessage.message_id == message_id)
    ):
        return Received(EX_OK, "duplicate", None, f"{message_id} was received before")
    text, attachments = body_text(message)
    body = strip_quoted(text)
    if attachments:
        body += "\n\n[" + ", ".join(attachments) + "]"
    if not body.strip():
        return Received(EX_DATAERR, "refused", None, "the message has no text")
    ticket, forged = _matched(message)
    if forged:
        return Received(
            EX_NOUSER, "refused", None, "the reply address carries a token that is not genuine"
        )
    desk = current_desk()
    max_length = desk_max()
    body = body[:max_length]
    if ticket is not None:
        try:
            desk.reply(
                ticket.reference or "", body,
                actor=Actor.shopper(ticket.user_id, address), channel="email", message_id=message_id,
            )  # fmt: skip
            return Received(EX_OK, "replied", ticket.reference, f"added to {ticket.reference}")
        except TransitionError:
            pass  # past the reopen window: a new ticket below
    subject = " ".join(str(message.get("Subject", "")).split())[:200] or "(no subject)"
    try:
        opened = desk.submit(
            "question", subject, body, email=address, channel="email",
            name=name[:200] or None, message_id=message_id, actor=Actor.shopper(None, address),
        )  # fmt: skip
    except ValidationError as error:
        return Received(EX_DATAERR, "refused", None, str(error))
    return Received(EX_OK, "opened", opened.reference, f"opened {opened.reference}")


def desk_max() -> int:
    from shopcare.core.config import setting

    return int(setting("SHOPCARE_FEEDBACK_MAX_MESSAGE"))
