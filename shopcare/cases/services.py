"""``care.cases``: open after-sales cases, check what may be asked for, and move cases
along their workflow. Every method flushes and never commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, NamedTuple

from babel.dates import format_datetime, format_skeleton
from babel.numbers import get_currency_precision
from flask_babel import force_locale, get_locale, get_timezone
from sqlalchemy import (
    BindParameter,
    Select,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, lazyload, selectinload

from shopcare.cases import clocks
from shopcare.cases import photos as photo_files
from shopcare.cases.events import CASE_MONEY_DUE, CASE_NOTED, CASE_OPENED
from shopcare.cases.machine import CASE
from shopcare.cases.models import COUNTING, FLAGS, KINDS, OUTCOMES, Case, CaseLine, CasePhoto
from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import metadata, read_rows, session, utcnow
from shopcare.core.errors import NotFound, TransitionError, ValidationError
from shopcare.core.events import Actor, Event, events_for, record_event
from shopcare.core.i18n import _, _l
from shopcare.core.paging import Page
from shopcare.core.state import get_state
from shopcare.core.validation import check_text, has_control_characters
from shopcare.orders.models import Order, OrderLine
from shopcare.orders.services import lock_orders, normalize_email, reference_key

MAX_DESCRIPTION = 4000
MAX_NAME = 200
#: the longest exchange wish (``Case.exchange_for``), one line
MAX_EXCHANGE_FOR = 200
#: the resolution each remedy leads to, and the signal money for it goes out on
REMEDY_OUTCOME = {
    "refund": "refunded",
    "exchange": "exchanged",
    "store_credit": "credited",
    "repair": "repaired",
    "replacement": "replaced",
}
DEFECT_REASONS = (
    "arrived_damaged",
    "not_as_described",
    "stopped_working",
    "defective",
    "broken_part",
)


# -- what the shopper may ask for --------------------------------------------------


@dataclass(frozen=True)
class LineEligibility:
    """One order line for one kind: how many units may still be asked for, and why not."""

    sku: str
    name: str
    ordered: int
    available: int
    #: the last moment the line may be asked for (``None``: not started, or no limit)
    until: datetime | None
    #: ``None`` when eligible, else a code (``window_closed``, ``final_sale``,
    #: ``already_covered``, ``not_delivered``, ``expired``)
    refusal: str | None = None
    #: the refusal as the shopper reads it ("the return window closed on 3 March"); on
    #: the order page's panel a lazy string, translated when it is shown
    message: Any = None

    @property
    def eligible(self) -> bool:
        return self.refusal is None and self.available > 0


@dataclass(frozen=True)
class Eligibility:
    """What an order allows for one kind, line by line (``care.cases.eligibility``)."""

    reference: str
    kind: str
    lines: list[LineEligibility]
    #: the period's last moment for the kind (``None`` while it has not started)
    until: datetime | None
    #: ``False`` while the goods are not (all) delivered: the clock has not started
    started: bool

    @property
    def eligible(self) -> bool:
        return any(line.eligible for line in self.lines)

    def line(self, sku: str) -> LineEligibility | None:
        return next((line for line in self.lines if line.sku == sku), None)


class _DayText:
    """A period's last day, formatted only if a message that names it is shown (the
    order page computes every line's eligibility and shows few of the messages)."""

    __slots__ = ("moment", "now")

    def __init__(self, moment: datetime, now: datetime) -> None:
        self.moment, self.now = moment, now

    def __str__(self) -> str:
        return _day_text(self.moment, self.now)


def _day_text(moment: datetime, now: datetime) -> str:
    """The last day of a period, as the shopper reads it in their language ("March 3",
    "3 de marzo"), with the year when it is not this year's ("March 3, 2025")."""
    zone = clocks.shop_zone()
    day = (moment - timedelta(microseconds=1)).astimezone(zone).date()
    skeleton = "MMMMd" if day.year == now.astimezone(zone).year else "yMMMMd"
    return str(format_skeleton(skeleton, day, locale=get_locale() or "en"))


def shipping_skus() -> set[str]:
    return set(setting("SHOPCARE_SHIPPING_SKUS") or ())


@dataclass(frozen=True)
class OrderFacts:
    """What the rules need to know about an order beyond its row, read in one statement:
    its delivery (from tracking's parcels), the units open or resolved cases already
    cover per order line, and its cases (number, kind, status), newest first."""

    delivery: clocks.Delivery
    covered: dict[int, int]
    cases: list[tuple[str, str, str]]


def order_facts(
    order: Order,
    shipping_skus: frozenset[str] | None = None,
    parcel_lines: list[tuple[Any, ...]] | None = None,
) -> OrderFacts:
    """One ``UNION ALL`` of the order's parcel lines and case lines (the order page's
    panels and every eligibility check pay one statement). ``shipping_skus``:
    ``SHOPCARE_SHIPPING_SKUS`` when the caller read it already; ``parcel_lines``: the
    parcel lines (``status``, ``delivered_at``, ``order_line_id``, ``quantity``) when
    this request read them already (the order page's tracking part): then only the
    case lines are read."""
    shipments = metadata.tables.get("shopcare_shipments")
    lines_table = metadata.tables.get("shopcare_shipment_lines")
    with_parcels = parcel_lines is None and shipments is not None and lines_table is not None
    statement = _facts_query(with_parcels)
    if shipping_skus is None:
        shipping_skus = frozenset(setting("SHOPCARE_SHIPPING_SKUS") or ())
    parcels: list[clocks.Parcel] = [clocks.Parcel(*line) for line in parcel_lines or ()]
    covered: dict[int, int] = {}
    cases: dict[str, tuple[datetime, str, str]] = {}
    # Each row unpacked by position (src, status, at, order_line_id, quantity, number,
    # kind): the page reads a dozen rows, and a row's attribute look-up by name costs more.
    for src, status, at, order_line_id, quantity, number, kind in read_rows(
        statement, {"order_id": order.id}
    ):
        if src == "s":
            parcels.append(clocks.Parcel(status, at, order_line_id, quantity))
            continue
        if status in COUNTING:
            covered[order_line_id] = covered.get(order_line_id, 0) + quantity
        if number:
            cases[number] = (at, kind, status)
    listed = sorted(cases.items(), key=lambda item: item[1][0], reverse=True)
    return OrderFacts(
        clocks.delivery_from(order, parcels, shipping_skus),
        covered,
        [(number, kind, status) for number, (_, kind, status) in listed],
    )


@cache
def _facts_query(with_parcels: bool) -> Any:
    """The SELECT of :func:`order_facts`, built once (the order page asks on every
    render): the order's case lines, and its parcel lines when tracking's tables exist."""
    order_id: BindParameter[int] = bindparam("order_id")
    case_part = (
        select(
            literal("c", String).label("src"),
            Case.status.label("status"),
            Case.opened_at.label("at"),
            CaseLine.order_line_id.label("order_line_id"),
            CaseLine.quantity.label("quantity"),
            Case.number.label("number"),
            Case.kind.label("kind"),
        )
        .join(CaseLine, CaseLine.case_id == Case.id)
        .where(Case.order_id == order_id)
    )
    if not with_parcels:
        return case_part
    shipments = metadata.tables["shopcare_shipments"]
    parcel_lines = metadata.tables["shopcare_shipment_lines"]
    parcel_part = (
        select(
            literal("s", String),
            shipments.c.status,
            shipments.c.delivered_at,
            parcel_lines.c.order_line_id,
            parcel_lines.c.quantity,
            cast(null(), String),
            cast(null(), String),
        )
        .select_from(
            shipments.outerjoin(parcel_lines, parcel_lines.c.shipment_id == shipments.c.id)
        )
        .where(shipments.c.order_id == order_id)
    )
    return union_all(case_part, parcel_part)


class _Line(NamedTuple):
    """What the rules read of an order line, read off the ORM object once."""

    id: int
    sku: str
    name: str
    quantity: int
    category: str | None


def _lines(order: Order) -> list[_Line]:
    return [
        _Line(line.id, line.sku, line.name, line.quantity, line.category) for line in order.lines
    ]


def eligibilities(
    order: Order,
    kinds: tuple[str, ...],
    now: datetime,
    facts: OrderFacts | None = None,
    *,
    lazy_messages: bool = False,
    rules: clocks.Rules | None = None,
) -> list[Eligibility]:
    """:func:`_eligibility` of each of ``kinds``, the order's lines, facts and the rules'
    settings (``rules``, else read here) read once (the order page's panel asks for all
    three kinds on every request)."""
    rules = rules or clocks.Rules.read()
    facts = facts or order_facts(order, rules.shipping_skus)
    lines = _lines(order)
    return [
        _eligibility(order, kind, now, facts, lazy_messages=lazy_messages, lines=lines, rules=rules)
        for kind in kinds
    ]


def _eligibility(
    order: Order,
    kind: str,
    now: datetime,
    facts: OrderFacts | None = None,
    *,
    lazy_messages: bool = False,
    lines: list[_Line] | None = None,
    rules: clocks.Rules | None = None,
) -> Eligibility:
    """What ``order`` allows for ``kind`` at ``now``, line by line. Refusal messages are
    translated here, in the current locale; with ``lazy_messages`` (the order page,
    which shows few of them) only when one is shown. ``lines`` are the order's lines
    as :func:`_lines` reads them, and ``rules`` the settings as
    :meth:`clocks.Rules.read` reads them, when the caller already did (else read here:
    a setting changed at runtime counts from the next check on)."""
    if rules is None:
        rules = clocks.Rules.read()
    facts = facts or order_facts(order, rules.shipping_skus)
    delivery = facts.delivery
    shipping = rules.shipping_skus
    if lines is None:
        lines = _lines(order)
    goods = [line for line in lines if line.sku not in shipping]
    covered = facts.covered
    skus = {line.sku for line in lines}
    started = delivery.complete_at is not None
    day = rules.local_day(delivery.complete_at) if delivery.complete_at else None
    # The withdrawal period's last day is the order's, not a line's: found once.
    withdrawal_last = (
        rules.withdrawal_last_day(day)
        if kind == "withdrawal" and day is not None and goods
        else None
    )
    result: list[LineEligibility] = []
    period_end: datetime | None = None
    for line in goods:
        left = line.quantity - covered.get(line.id, 0)
        limit = line.quantity
        until: datetime | None = None
        refusal: str | None = None
        message: str | None = None
        if kind == "withdrawal":
            # The right exists from the contract: before delivery it has not started.
            if withdrawal_last is not None and day is not None:
                last = withdrawal_last
                if rules.return_replaces_withdrawal:
                    days = rules.return_days(line.sku, line.category)
                    last = max(last, day + timedelta(days=days))
                until = rules.end_of_day(last)
                if now >= until:
                    refusal = "window_closed"
                    message = _l(
                        "The withdrawal period ended on %(day)s.", day=_DayText(until, now)
                    )
        elif kind == "return":
            limit = delivery.delivered.get(line.id, 0)
            days = rules.return_days(line.sku, line.category)
            arrived = delivery.line_delivered_at.get(line.id)
            line_day = rules.local_day(arrived) if arrived is not None else None
            if rules.is_final_sale(line.sku, line.category):
                refusal, message = "final_sale", _l("Final sale: this item cannot be returned.")
            elif days <= 0:
                refusal, message = "final_sale", _l("This item cannot be returned.")
            elif line_day is None or limit == 0:
                refusal, message = "not_delivered", _l("Returns open once the item is delivered.")
            else:
                until = rules.end_of_day(line_day + timedelta(days=days))
                if now >= until:
                    refusal = "window_closed"
                    message = _l("The return window closed on %(day)s.", day=_DayText(until, now))
        else:
            limit = delivery.delivered.get(line.id, 0)
            started_at = delivery.line_delivered_at.get(line.id)
            first = rules.local_day(started_at) if started_at is not None else None
            if first is None or limit == 0:
                refusal, message = (
                    "not_delivered",
                    _l("The guarantee starts once the item is delivered."),
                )
            else:
                months = rules.guarantee_months(line.sku, line.category, skus)
                until = rules.end_of_day(clocks.add_months(first, months))
                if now >= until:
                    refusal = "expired"
                    message = _l("The guarantee ended on %(day)s.", day=_DayText(until, now))
        available = max(0, min(limit, line.quantity) - covered.get(line.id, 0))
        if refusal is None and available == 0 and left <= 0:
            refusal = "already_covered"
            message = _l("Already returned or claimed.")
        elif refusal is None and available == 0:
            refusal, message = "not_delivered", _l("Not delivered yet.")
        if until is not None and (period_end is None or until > period_end):
            period_end = until
        result.append(
            LineEligibility(
                line.sku,
                line.name,
                line.quantity,
                available,
                until,
                refusal,
                message if lazy_messages or message is None else str(message),
            )
        )
    return Eligibility(order.reference, kind, result, period_end, started)


# -- money -------------------------------------------------------------------------


def to_minor(amount: Any, currency: str, field: str) -> int:
    """A Decimal / numeric string in ``currency`` as minor units (JPY: ``1200`` → 1200)."""
    if isinstance(amount, bool | float):
        raise ValidationError(field, "give the amount as a Decimal or a numeric string")
    try:
        value = Decimal(str(amount).strip())
    except Exception:
        raise ValidationError(field, "is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValidationError(field, "must be a positive number")
    scaled = value.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationError(field, f"has too many decimals for {currency}")
    return int(scaled)


def _share(total: int, units: int, of: int) -> int:
    """The part of ``total`` the first ``units`` of ``of`` carry: cumulative shares make
    every split add up exactly to ``total`` (the last unit takes the remainder)."""
    if of <= 0:
        return 0
    return total * units // of


def _paid(order: Order) -> dict[str, int]:
    """What was actually paid per line (minor units): the host's figures, else price x quantity."""
    reported = setting("SHOPCARE_CASE_PAID")
    base = {line.sku: line.unit_price_minor * line.quantity for line in order.lines}
    if reported is None:
        return base
    for sku, amount in (reported(order) or {}).items():
        if sku in base:
            base[sku] = to_minor(amount, order.currency, f"paid.{sku}")
    return base


def _percent(amount: int, percent: Decimal) -> int:
    return int((Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- the service -------------------------------------------------------------------


def _text(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    try:
        value = check_text(value.strip(), field)
    except ValidationError:
        # shown beside the field on the shopper's pages: in their language
        raise ValidationError(field, _("Remove the control characters from this text.")) from None
    if len(value) > limit:
        raise ValidationError(field, _("At most %(n)d characters.", n=limit))
    return value


def _quantities(lines: Any) -> dict[str, int]:
    # The shopper reads these beside the items (a form) or in a message (the withdrawal).
    if not isinstance(lines, Mapping) or not lines:
        raise ValidationError("lines", _("Choose at least one item."))
    clean: dict[str, int] = {}
    for sku, quantity in lines.items():
        if not isinstance(sku, str) or not sku.strip():
            raise ValidationError("lines", _("Choose at least one item."))
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValidationError(f"lines.{sku}", _("Enter a whole number."))
        if quantity:
            clean[sku] = quantity
    if not clean:
        raise ValidationError("lines", _("Choose at least one item."))
    return clean


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationError("now", "must be a timezone-aware datetime")
    return now


class CaseDesk:
    """``care.cases``: after-sales cases. See the README's "After-sales cases"."""

    # -- reading -------------------------------------------------------------------

    def get(self, number: str) -> Case | None:
        """The case with ``number`` (its lines and photos loaded), or ``None``."""
        if not isinstance(number, str) or not number.strip() or len(number) > 20:
            return None
        return session().scalars(select(Case).where(Case.number == number.strip().upper())).first()

    def for_order(self, order: Order) -> list[Case]:
        return list(
            session().scalars(
                select(Case).where(Case.order_id == order.id).order_by(Case.opened_at.desc())
            )
        )

    def for_shopper(self, user_id: str, page: int = 1, per_page: int = 20) -> Page[Case]:
        """A logged-in shopper's cases (their own orders'), newest first."""
        query = (
            select(Case)
            .join(Order, Order.id == Case.order_id)
            .where(or_(Case.user_id == str(user_id), Order.user_id == str(user_id)))
            .order_by(Case.opened_at.desc(), Case.id.desc())
        )
        return self._page(query, page, per_page)

    def timeline(self, case: Case, *, public_only: bool = True) -> list[Event]:
        return events_for("case", case.id, public_only=public_only)

    def eligibility(self, reference: str, kind: str, *, now: datetime | None = None) -> Eligibility:
        """What ``reference`` allows for ``kind``, line by line, with the reasons shown to
        the shopper.

        :raises ValidationError: for an unknown kind or order.
        """
        return _eligibility(self._order(reference), self._kind(kind), _aware(now))

    def reasons(self, kind: str) -> tuple[str, ...]:
        return tuple((setting("SHOPCARE_CASE_REASONS") or {}).get(kind, ()))

    def remedies(self, kind: str) -> tuple[str, ...]:
        return tuple((setting("SHOPCARE_CASE_REMEDIES") or {}).get(kind, ()))

    # -- opening -------------------------------------------------------------------

    def open(
        self,
        reference: str,
        kind: str,
        lines: Mapping[str, int],
        *,
        reason: str | None = None,
        remedy: str | None = None,
        exchange_for: str | None = None,
        description: str = "",
        photos: Iterable[Any] = (),
        name: str | None = None,
        email: str | None = None,
        now: datetime | None = None,
        actor: Actor | None = None,
        request_key: str | None = None,
    ) -> Case:
        """Open a case for ``lines`` (``{sku: quantity}``) of order ``reference``.

        The quantities are checked again under a lock of the order's row (``SELECT … FOR
        UPDATE`` on PostgreSQL), so two requests at once never cover more than was
        delivered. A withdrawal is approved at once and its acknowledgement e-mail queued.

        :param exchange_for: with ``remedy="exchange"`` (and only then) the variant
            wanted instead, free text up to 200 characters (``"Size M, blue"``,
            ``"MUG-2"``); it travels with the ``exchange-due`` signal.
        :param request_key: makes a repeat of the same submission (a double click)
            return the first case instead of opening a second one.
        :raises ValidationError: naming the field (``lines.MUG-1``, ``reason``,
            ``photos[0]``…); nothing is written.
        """
        kind = self._kind(kind)
        when = _aware(now)
        wanted = _quantities(lines)
        if kind == "withdrawal":
            reason = None  # a withdrawal never needs a reason
        elif reason not in self.reasons(kind):
            raise ValidationError("reason", _("Choose a reason."))
        allowed = self.remedies(kind)
        remedy = remedy or (allowed[0] if allowed else None)
        if remedy not in allowed:
            raise ValidationError("remedy", _("Choose what you would like."))
        if remedy == "exchange":
            exchange_for = " ".join(_text(exchange_for, "exchange_for", MAX_EXCHANGE_FOR).split())
            if not exchange_for:
                raise ValidationError(
                    "exchange_for", _("Tell us which size, colour or item you would like instead.")
                )
        else:
            exchange_for = None  # only an exchange asks for it; never kept unread
        description = _text(description, "description", MAX_DESCRIPTION)
        clean_name = _text(name, "name", MAX_NAME) or None
        uploads = list(photos or ())
        if len(uploads) > int(setting("SHOPCARE_CASE_MAX_PHOTOS")):
            raise ValidationError(
                "photos", _("At most %(n)d photos.", n=int(setting("SHOPCARE_CASE_MAX_PHOTOS")))
            )
        cleaned = [
            photo_files.clean(photo_files.read_upload(upload), f"photos[{index}]")
            for index, upload in enumerate(uploads)
        ]
        key = request_key or secrets.token_urlsafe(24)
        if not isinstance(key, str) or len(key) > 64:
            raise ValidationError("request_key", "at most 64 characters")

        db = session()
        order = self._order(reference, lock=True)
        address = normalize_email(email) if email else order.email
        existing = db.scalars(select(Case).where(Case.request_key == key)).first()
        if existing is not None:
            return existing
        eligibility = _eligibility(order, kind, when)
        by_sku = {line.sku: line for line in order.lines}
        for sku, quantity in wanted.items():
            line = eligibility.line(sku)
            if line is None or sku not in by_sku:
                raise ValidationError(f"lines.{sku}", _("This item is not in the order."))
            if line.refusal is not None:
                raise ValidationError(
                    f"lines.{sku}", str(line.message) if line.message else line.refusal
                )
            if quantity > line.available:
                raise ValidationError(
                    f"lines.{sku}", _("At most %(n)d can be asked for.", n=line.available)
                )
        actor = actor if actor is not None else Actor.current()
        case = Case(
            request_key=key,
            kind=kind,
            status="requested",
            order=order,
            order_id=order.id,
            user_id=order.user_id,
            email=address,
            name=clean_name,
            locale=_locale(order),
            timezone=str(get_timezone() or clocks.shop_zone()),
            reason=reason,
            remedy=remedy,
            exchange_for=exchange_for,
            description=description,
            currency=order.currency,
            value_minor=sum(by_sku[sku].unit_price_minor * q for sku, q in wanted.items()),
            opened_at=when,
            updated_at=when,
        )
        case.lines = [
            CaseLine(order_line_id=by_sku[sku].id, quantity=quantity, order_line=by_sku[sku])
            for sku, quantity in wanted.items()
        ]
        db.add(case)
        db.flush()
        year = when.astimezone(clocks.shop_zone()).year
        case.number = f"R-{year}-{case.id:06d}"
        for photo in cleaned:
            token = photo_files.new_token()
            photo_files.store(token, photo, db)
            case.photos.append(
                CasePhoto(
                    token=token,
                    content_type=photo.content_type,
                    size=len(photo.data),
                    width=photo.width,
                    height=photo.height,
                )
            )
        case.flags = self._flags(case, when, eligibility)
        db.flush()
        event = self._event(case, CASE_OPENED, actor=actor, to_state="requested", occurred_at=when)
        signals.send(signals.case_opened, case=case, order=order)
        if kind == "withdrawal":
            self._move(case, "approved", actor=Actor.system("withdrawal"), mail=False)
            self._acknowledge_withdrawal(case, when)
        else:
            if event is not None:
                self._mail(case, event)
            if self._auto_approve(case, eligibility):
                self._move(case, "approved", actor=Actor.system("auto-approval"))
        return case

    # -- staff transitions ---------------------------------------------------------

    def approve(
        self, number: str, *, actor: Actor | None = None, version: int | None = None
    ) -> Case:
        """``requested → approved``. :raises TransitionError: otherwise."""
        return self._move(self._case(number), "approved", actor=actor, version=version)

    def reject(
        self, number: str, reason: str, *, actor: Actor | None = None, version: int | None = None
    ) -> Case:
        """``requested → rejected``; the reason is required and shown to the shopper."""
        text = _text(reason, "reason", MAX_DESCRIPTION)
        if not text:
            raise ValidationError("reason", _("Say why the case is rejected."))
        return self._move(
            self._case(number),
            "rejected",
            actor=actor,
            version=version,
            values={"reject_reason": text},
            data={"reason": text},
        )

    def receive(
        self,
        number: str,
        lines: Mapping[str, Any] | None = None,
        *,
        actor: Actor | None = None,
        version: int | None = None,
    ) -> Case:
        """``approved → received``: what came back, per SKU: an int (units received in
        good order) or ``{"received": n, "damaged": m}``; units not named are missing.
        ``None``: everything came back. The money due is then computed and its signal
        (``refund-due``, ``exchange-due`` or ``store-credit-due``) sent, once per case.
        """
        case = self._case(number)
        counts = self._received(case, lines)
        if case.status != "approved":
            CASE.check(case.status, "received")
        order = self._order(case.order.reference, lock=True)
        for line in case.lines:
            good, damaged = counts[line.order_line.sku]
            line.received, line.damaged = good, damaged
            line.missing = line.quantity - good - damaged
        self._move(
            case,
            "received",
            actor=actor,
            version=version,
            data={
                "lines": {
                    line.order_line.sku: {
                        "received": line.received,
                        "damaged": line.damaged,
                        "missing": line.missing,
                    }
                    for line in case.lines
                }
            },
        )
        self._money_due(case, order)
        return case

    def resolve(
        self,
        number: str,
        outcome: str,
        *,
        amount: Any = None,
        reference: str | None = None,
        actor: Actor | None = None,
        version: int | None = None,
    ) -> Case:
        """``approved | received → resolved`` with ``outcome`` (refunded, exchanged,
        credited, repaired, replaced). Only one resolution ever succeeds: a second one
        (two staff members, or the host reporting a payment twice) raises
        :class:`~shopcare.TransitionError` and changes nothing.

        :param amount: what was paid or credited (Decimal or string, order currency);
            it may not exceed the money due.
        """
        if outcome not in OUTCOMES:
            raise ValidationError("outcome", f"one of {', '.join(OUTCOMES)}")
        case = self._case(number)
        values: dict[str, Any] = {"outcome": outcome, "resolved_at": utcnow()}
        data: dict[str, Any] = {"outcome": outcome}
        if amount is not None:
            paid = to_minor(amount, case.currency, "amount")
            if paid > self._ceiling(case):
                raise ValidationError("amount", "is more than the money due")
            values["paid_minor"] = paid
            data["amount_minor"] = paid
        if reference is not None:
            values["paid_reference"] = _text(reference, "reference", 100) or None
        return self._move(case, "resolved", actor=actor, version=version, values=values, data=data)

    def mark_refunded(self, number: str, amount: Any, **kwargs: Any) -> Case:
        """The host refunded ``amount``: the case is resolved as ``refunded`` (once)."""
        return self.resolve(number, "refunded", amount=amount, **kwargs)

    def mark_exchanged(self, number: str, amount: Any = None, **kwargs: Any) -> Case:
        return self.resolve(number, "exchanged", amount=amount, **kwargs)

    def mark_credited(self, number: str, amount: Any, **kwargs: Any) -> Case:
        return self.resolve(number, "credited", amount=amount, **kwargs)

    def mark_repaired(self, number: str, **kwargs: Any) -> Case:
        return self.resolve(number, "repaired", **kwargs)

    def mark_replaced(self, number: str, **kwargs: Any) -> Case:
        return self.resolve(number, "replaced", **kwargs)

    def close(self, number: str, *, actor: Actor | None = None, version: int | None = None) -> Case:
        """``resolved | rejected → closed``."""
        return self._move(self._case(number), "closed", actor=actor, version=version)

    def cancel(
        self, number: str, *, actor: Actor | None = None, version: int | None = None
    ) -> Case:
        """``requested → cancelled`` (the shopper changed their mind)."""
        return self._move(self._case(number), "cancelled", actor=actor, version=version)

    def note(self, number: str, text: str, *, actor: Actor | None = None) -> Event:
        """An internal note on the case's timeline (staff only, never shown to the shopper)."""
        case = self._case(number)
        clean = _text(text, "note", MAX_DESCRIPTION)
        if not clean:
            raise ValidationError("note", _("Write a note."))
        event = record_event("case", case.id, CASE_NOTED, actor=actor, data={"text": clean})
        assert event is not None
        return event

    def approve_many(
        self, numbers: Iterable[str], *, actor: Actor | None = None
    ) -> tuple[list[str], list[str]]:
        """Approve each case that is still ``requested``; returns (approved, skipped)."""
        done, skipped = [], []
        for number in numbers:
            try:
                self.approve(number, actor=actor)
            except (TransitionError, NotFound):
                skipped.append(number)
            else:
                done.append(number)
        return done, skipped

    # -- the staff queue -----------------------------------------------------------

    def queue(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        reason: str | None = None,
        flag: str | None = None,
        older_than_days: int | None = None,
        search: str | None = None,
        sort: str = "newest",
        page: int = 1,
        per_page: int = 50,
        now: datetime | None = None,
    ) -> Page[Case]:
        """The staff queue: filtered, sorted, one page (two SQL statements whatever the page
        size: the cases with their orders, then their lines)."""
        query = select(Case).join(Order, Order.id == Case.order_id)
        if any(has_control_characters(text) for text in (reason or "", search or "")):
            # no case holds them, and PostgreSQL refuses a NUL in a query outright
            query = query.where(false())
        if kind:
            query = query.where(Case.kind == kind)
        if status:
            query = query.where(Case.status == status)
        if reason:
            query = query.where(Case.reason == reason)
        if flag in FLAGS:
            query = query.where(Case.flags.contains(f" {flag} "))
        if older_than_days:
            query = query.where(Case.opened_at <= _aware(now) - timedelta(days=older_than_days))
        if search and search.strip():
            term = search.strip()[:254]
            by_sku = (
                select(CaseLine.case_id)
                .join(OrderLine, OrderLine.id == CaseLine.order_line_id)
                .where(OrderLine.sku == term)
            )
            query = query.where(
                or_(
                    Case.number == term.upper(),
                    Case.email == term.lower(),
                    Order.reference_key == (reference_key(term) or term),
                    Case.id.in_(by_sku),
                )
            )
        order_by: tuple[Any, ...] = {
            "newest": (Case.opened_at.desc(), Case.id.desc()),
            "oldest": (Case.opened_at.asc(), Case.id.asc()),
            "value": (Case.value_minor.desc(), Case.id.desc()),
            "status": (Case.status.asc(), Case.opened_at.desc(), Case.id.desc()),
        }.get(sort, (Case.opened_at.desc(), Case.id.desc()))
        return self._page(query.order_by(*order_by), page, per_page)

    # -- internals -----------------------------------------------------------------

    def _page(self, query: Select[Any], page: int, per_page: int) -> Page[Case]:
        query = query.options(
            lazyload(Case.photos),
            selectinload(Case.lines),
            joinedload(Case.order).lazyload(Order.lines),
        )
        rows = list(
            session()
            .scalars(query.limit(per_page + 1).offset((max(page, 1) - 1) * per_page))
            .unique()
        )
        return Page(rows[:per_page], page, per_page, len(rows) > per_page)

    def _kind(self, kind: Any) -> str:
        if kind not in KINDS:
            raise ValidationError("kind", f"one of {', '.join(KINDS)}")
        return str(kind)

    def _order(self, reference: Any, *, lock: bool = False) -> Order:
        key = reference_key(reference)
        if key is None:
            raise ValidationError("reference", "no such order")
        if lock:
            # Serialise every case opening of one order with every other write to it
            # (the order row's lock: shopcare.orders.services.lock_orders).
            locked = lock_orders([reference])
            if key not in locked:
                raise ValidationError("reference", "no such order")
            return locked[key]
        order = session().scalars(select(Order).where(Order.reference_key == key)).first()
        if order is None:
            raise ValidationError("reference", "no such order")
        return order

    def _case(self, number: str) -> Case:
        case = self.get(number)
        if case is None:
            raise NotFound(f"no case {number!r}")
        return case

    def _received(self, case: Case, lines: Mapping[str, Any] | None) -> dict[str, tuple[int, int]]:
        result: dict[str, tuple[int, int]] = {}
        given = dict(lines) if lines is not None else None
        for line in case.lines:
            sku = line.order_line.sku
            if given is None:
                good, damaged = line.quantity, 0
            else:
                value = given.pop(sku, 0)
                if isinstance(value, Mapping):
                    good, damaged = value.get("received", 0), value.get("damaged", 0)
                else:
                    good, damaged = value, 0
                for count in (good, damaged):
                    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                        raise ValidationError(f"lines.{sku}", "must be a whole number")
                if good + damaged > line.quantity:
                    raise ValidationError(
                        f"lines.{sku}", f"at most {line.quantity} were asked back"
                    )
            result[sku] = (good, damaged)
        if given:
            raise ValidationError(f"lines.{next(iter(given))}", "not in this case")
        return result

    def _move(
        self,
        case: Case,
        target: str,
        *,
        actor: Actor | None = None,
        version: int | None = None,
        values: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        mail: bool = True,
    ) -> Case:
        actor = actor if actor is not None else Actor.current()
        db = session()
        source = case.status
        if version is not None and version != case.version:
            # The caller acted on an older reading: someone else moved or edited it since.
            raise TransitionError("case", source, target, concurrent=True)
        outcome = CASE.move(
            Case,
            case.id,
            target,
            expected=source,
            version=version,
            values={**(values or {}), "updated_at": utcnow()},
            actor=actor,
            data={"number": case.number, **(data or {})},
        )
        db.refresh(case)
        # The order's timeline shows the case too.
        record_event(
            "order",
            case.order_id,
            outcome.move.event or f"case.{target}",
            actor=actor,
            from_state=source,
            to_state=target,
            data={"number": case.number, "kind": case.kind},
            public=True,
        )
        if target == "approved":
            signals.send(signals.case_approved, case=case, order=case.order)
        if mail and outcome.event is not None:
            self._mail(case, outcome.event)
        return case

    def _event(self, case: Case, action: str, **kwargs: Any) -> Event | None:
        event = record_event(
            "case",
            case.id,
            action,
            public=True,
            data={"number": case.number, "kind": case.kind},
            **kwargs,
        )
        record_event(
            "order",
            case.order_id,
            action,
            actor=kwargs.get("actor"),
            public=True,
            data={"number": case.number, "kind": case.kind},
            occurred_at=kwargs.get("occurred_at"),
        )
        return event

    def _flags(self, case: Case, now: datetime, eligibility: Eligibility) -> str:
        flags: list[str] = []
        earlier = session().scalar(
            select(func.count(Case.id)).where(
                Case.email == case.email,
                Case.id != case.id,
                Case.opened_at >= now - timedelta(days=90),
            )
        )
        if (earlier or 0) >= int(setting("SHOPCARE_CASE_RISK_CASES_90_DAYS")):
            flags.append("many_cases")
        high = setting("SHOPCARE_CASE_RISK_HIGH_VALUE")
        if high is not None and case.value_minor >= to_minor(high, case.currency, "high_value"):
            flags.append("high_value")
        if case.reason in DEFECT_REASONS and not case.photos:
            flags.append("no_photos")
        if not eligibility.started:
            flags.append("not_delivered")
        return " " + " ".join(flags) + (" " if flags else "")

    def _auto_approve(self, case: Case, eligibility: Eligibility) -> bool:
        rule = setting("SHOPCARE_CASE_AUTO_APPROVE")
        if callable(rule):
            return bool(rule(case))
        limit = setting("SHOPCARE_CASE_AUTO_APPROVE_MAX_VALUE")
        if limit is None or case.kind != "return":
            return False
        return case.value_minor <= to_minor(limit, case.currency, "auto_approve")

    def _money_due(self, case: Case, order: Order) -> None:
        """Compute what the case's parcel is worth and send the remedy's signal, once."""
        paid = _paid(order)
        settled = self._settled(case)
        goods = fee = 0
        percent = Decimal(str(setting("SHOPCARE_RESTOCKING_FEE_PERCENT") or 0))
        for line in case.lines:
            units = (line.received or 0) + (line.damaged or 0)
            order_line = line.order_line
            total = paid.get(order_line.sku, 0)
            before = settled.get(order_line.id, 0)
            share = _share(total, before + units, order_line.quantity) - _share(
                total, before, order_line.quantity
            )
            line.settled_quantity, line.amount_minor = units, share
            goods += share
            if case.kind == "return" and percent:
                # The fee of the units so far, minus the fee already charged: two returns
                # of one unit pay what one return of two would.
                fee += _percent(
                    _share(total, before + units, order_line.quantity), percent
                ) - _percent(_share(total, before, order_line.quantity), percent)
        if case.kind == "return":
            flat = setting("SHOPCARE_RETURN_SHIPPING_FEE")
            if flat is not None and goods:
                fee += to_minor(flat, case.currency, "SHOPCARE_RETURN_SHIPPING_FEE")
        fee = min(fee, goods)
        shipping = 0
        if case.kind == "withdrawal" and not self._shipping_refunded(case):
            shipping = sum(
                paid.get(line.sku, 0) for line in order.lines if line.sku in shipping_skus()
            )
        due = goods - fee + shipping
        case.goods_minor, case.fee_minor, case.shipping_minor, case.due_minor = (
            goods,
            fee,
            shipping,
            due,
        )
        session().flush()
        key = f"case-money-due:{case.number}"
        event = record_event(
            "case",
            case.id,
            CASE_MONEY_DUE,
            actor=Actor.system(),
            data={"number": case.number, "amount_minor": due, "currency": case.currency},
            dedupe_key=key,
        )
        if event is None:
            return  # already announced (sent once per case)
        signal = {
            "refund": signals.refund_due,
            "exchange": signals.exchange_due,
            "store_credit": signals.store_credit_due,
        }.get(case.remedy or "")
        if signal is not None:
            signals.send(
                signal,
                case=case,
                order=order,
                amount=due,
                currency=case.currency,
                goods=goods,
                fees=fee,
                shipping=shipping,
                idempotency_key=key,
                **({"exchange_for": case.exchange_for} if case.remedy == "exchange" else {}),
            )

    def _ceiling(self, case: Case) -> int:
        """The most a resolution may pay: the money due once the parcel came back; before
        that (resolved straight from ``approved``), what the case's lines are worth, with
        the delivery charge for a withdrawal that may still refund it."""
        if case.due_minor is not None:
            return case.due_minor
        ceiling = case.value_minor
        if case.kind == "withdrawal" and not self._shipping_refunded(case):
            ceiling += sum(
                line.unit_price_minor * line.quantity
                for line in case.order.lines
                if line.sku in shipping_skus()
            )
        return ceiling

    def _settled(self, case: Case) -> dict[int, int]:
        rows = session().execute(
            select(CaseLine.order_line_id, func.sum(CaseLine.settled_quantity))
            .join(Case, Case.id == CaseLine.case_id)
            .where(
                Case.order_id == case.order_id,
                Case.id != case.id,
                CaseLine.settled_quantity.is_not(None),
            )
            .group_by(CaseLine.order_line_id)
        )
        return {row[0]: int(row[1] or 0) for row in rows}

    def _shipping_refunded(self, case: Case) -> bool:
        return bool(
            session().scalar(
                select(func.count(Case.id)).where(
                    and_(
                        Case.order_id == case.order_id, Case.id != case.id, Case.shipping_minor > 0
                    )
                )
            )
        )

    def _mail(self, case: Case, event: Event) -> None:
        from shopcare.core.outbox import enqueue_mail

        enqueue_mail(
            case.email,
            "cases/status_changed",
            {
                "number": case.number,
                "kind": case.kind,
                "status": case.status,
                "action": event.action,
                "reference": case.order.reference,
                "order_id": case.order_id,
                "reject_reason": case.reject_reason,
                "items": _items(case),
            },
            locale=case.locale,
            dedupe_key=f"case-mail:{event.id}",
        )

    def _acknowledge_withdrawal(self, case: Case, when: datetime) -> None:
        """The acknowledgement of Article 11a: the content, and the date and time the
        withdrawal was *received*, to the second, in the shopper's zone."""
        from zoneinfo import ZoneInfo

        from shopcare.core.outbox import enqueue_mail
        from shopcare.core.outbox.services import resolve_locale

        locale = resolve_locale(case.locale)
        zone = ZoneInfo(case.timezone or str(clocks.shop_zone()))
        with force_locale(locale):
            received = format_datetime(when.astimezone(zone), "medium", tzinfo=zone, locale=locale)
        enqueue_mail(
            case.email,
            "cases/withdrawal_received",
            {
                "number": case.number,
                "name": case.name,
                "reference": case.order.reference,
                "order_id": case.order_id,
                "received_at": when.isoformat(),
                "received_at_text": f"{received} ({zone.key})",
                "items": _items(case),
            },
            locale=locale,
            dedupe_key=f"case-withdrawal-ack:{case.number}",
        )


def _items(case: Case) -> list[dict[str, Any]]:
    return [
        {"sku": line.order_line.sku, "name": line.order_line.name, "quantity": line.quantity}
        for line in case.lines
    ]


def _locale(order: Order) -> str | None:
    if order.locale:
        return order.locale
    current = get_locale()
    return str(current) if current is not None else None


def current_desk() -> CaseDesk:
    """``care.cases`` of the current app."""
    desk: CaseDesk = get_state().care.cases
    return desk
