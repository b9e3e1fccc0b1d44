"""A person's rights over what shopcare holds about them (GDPR articles 15, 17 and 20).

``export(email)`` gathers everything about one e-mail address into one JSON-ready
document; ``erase(email)`` anonymises it in every domain while keeping the figures:
counts, statuses, amounts, dates and scores stay; names, e-mail addresses, free text
and photos go. Each domain declares its part in its wiring
(``state.add_privacy_part(PrivacyPart(...))``); the event log and the outbox, which
every domain writes to, are handled here.

An erased address is replaced by one alias per erasure
(``erased-<12 hex>@erased.invalid``, RFC 2606's reserved ``.invalid``), the same in
every row, so that a customer's orders still count as one customer in the figures and
nothing links the alias back to the address. The erasure itself is written to the
event log (subject ``person``, the alias; never the address).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, select

from shopcare.core.db import session
from shopcare.core.events import Actor, record_event
from shopcare.core.validation import email_address

#: The event-log action an erasure is recorded as.
ERASED = "privacy.erased"
#: What replaces free text and names.
BLANK = "[erased]"
#: Keys of an event's ``data`` that hold what a person typed, whatever the action.
FREE_TEXT_KEYS = frozenset(
    {"text", "note", "description", "exchange_for", "comment", "body", "message", "name", "email"}
)

#: A subject of the event log: ``(subject_kind, subject_id)``.
Subject = tuple[str, str]


@dataclass
class Found:
    """What one domain holds about a person: ``records`` for the export (JSON-ready
    dicts, grouped under the part's name), and the event-log ``subjects`` they are."""

    records: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)


@dataclass
class Erased:
    """What one domain anonymised: ``counts`` (``{"orders": 2}``), the event-log
    ``subjects`` concerned, and ``names`` the person went by there (scrubbed from the
    events' text too)."""

    counts: dict[str, int] = field(default_factory=dict)
    subjects: list[Subject] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class PrivacyPart:
    """One domain's part in export and erasure.

    :param name: the key of its records in the export (``"orders"``).
    :param export: ``(email) -> Found``; reads only.
    :param erase: ``(email, alias) -> Erased``; writes through the session, does not commit.
    :param event_text: event actions whose ``data`` keys are free text in this domain
        beyond :data:`FREE_TEXT_KEYS` (``{"case.rejected": ("reason",)}``).
    """

    name: str
    export: Callable[[str], Found]
    erase: Callable[[str, str], Erased]
    event_text: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def new_alias() -> str:
    """A fresh address that stands for an erased person (unlinkable, undeliverable)."""
    return f"erased-{secrets.token_hex(6)}@erased.invalid"


def is_alias(address: str | None) -> bool:
    return bool(address) and str(address).endswith("@erased.invalid")


def _parts() -> list[PrivacyPart]:
    from shopcare.core.state import get_state

    return list(get_state().privacy_parts)


# -- export (articles 15 and 20) ---------------------------------------------------------


def export(email: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything shopcare holds about ``email``, as one JSON-serialisable document::

        {"format": "shopcare-privacy-export/1", "email": ..., "generated_at": ISO 8601,
         "<part name>": [records...], ..., "events": [...], "emails": [...]}

    ``events`` are the event-log rows of the person's subjects (orders, cases …) and
    those they did themselves; ``emails`` are the outbox's e-mails to the address.

    :raises ValidationError: if ``email`` is not an e-mail address (field ``email``).
    """
    address = email_address(email)
    document: dict[str, Any] = {
        "format": "shopcare-privacy-export/1",
        "email": address,
        "generated_at": (now or datetime.now(UTC)).isoformat(),
    }
    subjects: list[Subject] = []
    for part in _parts():
        found = part.export(address)
        document[part.name] = found.records
        subjects += found.subjects
    document["events"] = [_event_json(event) for event in _events(subjects, address)]
    document["emails"] = [
        {
            "template": item.payload.get("template"),
            "status": item.status,
            "created_at": _iso(item.created_at),
            "sent_at": _iso(item.sent_at),
            "context": item.payload.get("context") or {},
        }
        for item in _outbox_items(address, mails_only=True)
    ]
    return document


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _event_json(event: Any) -> dict[str, Any]:
    return {
        "subject": f"{event.subject_kind}:{event.subject_id}",
        "action": event.action,
        "actor": event.actor_kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "occurred_at": _iso(event.occurred_at),
        "data": event.data or {},
    }


def _events(subjects: Iterable[Subject], address: str) -> list[Any]:
    from shopcare.core.events.erasure import events_about

    return events_about(subjects, address)


def _outbox_items(address: str, *, mails_only: bool = False) -> list[Any]:
    from shopcare.core.outbox.models import MAIL_KIND, OutboxItem

    # The address as a whole JSON string value (mails' "to", jobs' data), lower-cased:
    # quoted, so that erasing ann@example.com never touches joann@example.com's mail.
    needle = func.lower(cast(OutboxItem.payload, String))
    query = select(OutboxItem).where(needle.contains(f'"{address}"', autoescape=True))
    if mails_only:
        query = query.where(OutboxItem.kind == MAIL_KIND)
    return list(session().scalars(query.order_by(OutboxItem.id)).all())


# -- erasure (article 17) ------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the ``alias`` that replaced the address, and per part and
    for the event log (``events``) and outbox (``emails_cancelled``, ``emails_scrubbed``)
    how many rows it anonymised."""

    alias: str
    counts: dict[str, int]

    @property
    def found(self) -> bool:
        """Whether anything at all was held about the person."""
        return any(self.counts.values())


def erase(email: str, *, actor: Actor | None = None, now: datetime | None = None) -> Erasure:
    """Anonymise everything about ``email`` in every domain, in the caller's transaction.

    Kept: rows, counts, statuses, amounts, dates, scores. Replaced: the address (by one
    alias), names and free text (by ``[erased]``); photos are deleted. Queued e-mails
    to the address are cancelled (deleted); sent ones keep only their template. Events
    of the person's subjects lose their text and the person's name and address (on
    PostgreSQL, the log's append-only trigger lets exactly this through, nothing else).
    Erasing an address nothing is held about changes nothing and records nothing.

    :raises ValidationError: if ``email`` is not an e-mail address.
    """
    address = email_address(email)
    alias = new_alias()
    counts: dict[str, int] = {}
    subjects: list[Subject] = []
    names: set[str] = {address}
    extra: dict[str, tuple[str, ...]] = {}
    # Last declared first: a domain that finds its rows through the orders (cases,
    # shipments) runs before the orders' address is replaced.
    for part in reversed(_parts()):
        done = part.erase(address, alias)
        for key, value in done.counts.items():
            counts[key] = counts.get(key, 0) + value
        subjects += done.subjects
        names |= {name for name in done.names if name and len(name.strip()) > 2}
        for action, keys in part.event_text.items():
            extra[action] = extra.get(action, ()) + keys
    counts["events"] = _erase_events(subjects, address, alias, names, extra)
    cancelled, scrubbed = _erase_outbox(address, alias)
    counts["emails_cancelled"], counts["emails_scrubbed"] = cancelled, scrubbed
    result = Erasure(alias, counts)
    if result.found:
        record_event(
            "person",
            alias,
            ERASED,
            actor=actor if actor is not None else Actor.current(),
            data={"counts": counts},
            occurred_at=now,
        )
    return result


def scrub(value: Any, names: set[str], keys: frozenset[str] | set[str] = FREE_TEXT_KEYS) -> Any:
    """``value`` (an event's data) with free-text ``keys`` blanked and every ``names``
    (addresses, names) replaced inside any other text, recursively."""
    if isinstance(value, dict):
        return {
            key: (BLANK if key in keys and item not in (None, "") else scrub(item, names, keys))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item, names, keys) for item in value]
    if isinstance(value, str):
        folded = value.casefold()
        for name in names:
            if name.casefold() in folded:
                return BLANK
        return value
    return value


def _erase_events(
    subjects: list[Subject],
    address: str,
    alias: str,
    names: set[str],
    extra: Mapping[str, tuple[str, ...]],
) -> int:
    from shopcare.core.events.erasure import blank

    changes: dict[int, dict[str, Any]] = {}
    for event in _events(subjects, address):
        keys = FREE_TEXT_KEYS | set(extra.get(event.action, ()))
        label = event.actor_label
        personal = label is not None and (
            label == address or any(name.casefold() in label.casefold() for name in names)
        )
        changes[event.id] = {
            "data": scrub(event.data or {}, names, keys),
            "actor_label": alias if personal else label,
            "actor_id": None if personal and event.actor_kind == "shopper" else event.actor_id,
        }
    return blank(changes)


def _erase_outbox(address: str, alias: str) -> tuple[int, int]:
    from shopcare.core.outbox.models import DONE, MAIL_KIND, OutboxItem

    items = _outbox_items(address)
    unsent = [item.id for item in items if item.status != DONE]
    sent = [item for item in items if item.status == DONE]
    if unsent:
        session().execute(delete(OutboxItem).where(OutboxItem.id.in_(unsent)))
    for item in sent:
        kept: dict[str, Any] = {"erased": True}
        if item.kind == MAIL_KIND:
            kept |= {"to": alias, "template": item.payload.get("template")}
        item.payload = kept
    session().flush()
    return len(unsent), len(sent)
