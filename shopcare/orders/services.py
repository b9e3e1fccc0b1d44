"""``care.orders``: record the host's orders and read them back."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from babel.numbers import get_currency_precision, list_currencies
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import inspect, select

from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import insert_unless_exists, session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor, record_event
from shopcare.core.validation import check_text, host_datetime, required_text, text
from shopcare.orders.events import ORDER_RECORDED, ORDER_UPDATED
from shopcare.orders.jobs import RECORD_JOB, order_payload
from shopcare.orders.models import Order, OrderLine

MAX_REFERENCE = 64
#: Prices are stored in minor units in an INTEGER column (32 bits on PostgreSQL).
MAX_PRICE_MINOR = 2**31 - 1
MAX_QUANTITY = 1_000_000

log = logging.getLogger("shopcare.orders")


def normalize_email(value: Any, field: str = "email") -> str:
    """Validate an e-mail address and return it in the form shopcare stores (lower case).

    :raises ValidationError: naming ``field`` when the address is malformed.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "an e-mail address is required")
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(field, str(error)) from None
    return checked.normalized.lower()


def normalize_reference(value: Any, field: str = "reference") -> str:
    """Strip an order reference and check it is present and not too long."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "an order reference is required")
    value = check_text(value.strip(), field)
    if len(value) > MAX_REFERENCE:
        raise ValidationError(field, f"at most {MAX_REFERENCE} characters")
    return value


def lookup_reference(value: Any) -> str | None:
    """A reference ready to look up, or ``None`` when it cannot be one (blank, too long,
    control characters): the caller answers "no such order" without asking the database."""
    try:
        return normalize_reference(value)
    except ValidationError:
        return None


def _currency(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    allowed = setting("SHOPCARE_CURRENCIES")
    known = set(allowed) if allowed else set(list_currencies())
    if code not in known:
        raise ValidationError("currency", f"unknown currency {value!r}")
    return code


def _price_minor(value: Any, currency: str, field: str) -> int:
    """An amount of money (a price, a discount, shipping, tax, what was paid) in minor
    units: a ``Decimal``, an ``int`` or a numeric string, never a float; not negative;
    no more decimals than ``currency`` has."""
    if isinstance(value, bool | float):
        raise ValidationError(field, "give the amount as a Decimal or a numeric string")
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str | int | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(field, "is not a number")
    if amount < 0:
        raise ValidationError(field, "cannot be negative")
    precision = get_currency_precision(currency)
    scaled = amount.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise ValidationError(field, f"has more than {precision} decimals for {currency}")
    if scaled > MAX_PRICE_MINOR:
        raise ValidationError(field, "is too large")
    return int(scaled)


def _lines(lines: Any, currency: str) -> list[dict[str, Any]]:
    if isinstance(lines, str | bytes | Mapping) or not isinstance(lines, Iterable):
        raise ValidationError("lines", "a list of order lines is required")
    lines = list(lines)
    if not lines:
        raise ValidationError("lines", "an order needs at least one line")
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        at = f"lines[{index}]"
        if not isinstance(line, Mapping):
            raise ValidationError(at, "each line is a mapping with sku, name, quantity, unit_price")
        sku = required_text(line.get("sku"), f"{at}.sku", 64)
        if sku in seen:
            raise ValidationError(f"{at}.sku", f"SKU {sku!r} appears twice; merge the quantities")
        seen.add(sku)
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValidationError(f"{at}.quantity", "must be a whole number of at least 1")
        if quantity > MAX_QUANTITY:
            raise ValidationError(f"{at}.quantity", f"at most {MAX_QUANTITY}")
        unit_price = _price_minor(line.get("unit_price"), currency, f"{at}.unit_price")
        discount = _amount(line.get("discount"), currency, f"{at}.discount")
        if discount > unit_price * quantity:
            raise ValidationError(f"{at}.discount", "is more than the line's price")
        clean.append(
            {
                "position": index,
                "sku": sku,
                "name": text(line.get("name"), f"{at}.name", 255),
                "category": text(line.get("category"), f"{at}.category", 100, required=False),
                "quantity": quantity,
                "unit_price_minor": unit_price,
                "discount_minor": discount,
            }
        )
    return clean


def _amount(value: Any, currency: str, field: str) -> int:
    """An optional amount of money (``None``: nothing) in minor units."""
    return 0 if value is None else _price_minor(value, currency, field)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` minor units in proportion to ``weights``, so that the shares
    add up to exactly ``amount``: each share is rounded down and the units left over
    go to the largest remainders (the earliest on a tie).

    ``allocate(1000, [7600, 3392])`` → ``[691, 309]``.
    """
    total = sum(weights)
    if total <= 0:
        # Nothing to weigh by: equal shares.
        weights, total = [1] * len(weights), len(weights)
    if not weights:
        return []
    shares = [amount * weight // total for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for index in order[: amount - sum(shares)]:
        shares[index] += 1
    return shares


def _line_costs(lines: list[dict[str, Any]], discount: int, added_tax: int) -> None:
    """Set each clean line's ``paid_minor``: its net price, less its share of the order's
    discount, plus its share of the tax added on top."""
    nets = [line["unit_price_minor"] * line["quantity"] - line["discount_minor"] for line in lines]
    less = allocate(discount, nets)
    after = [net - cut for net, cut in zip(nets, less, strict=True)]
    more = allocate(added_tax, after)
    for index, (line, cost, tax) in enumerate(zip(lines, after, more, strict=True)):
        if cost + tax > MAX_PRICE_MINOR:
            raise ValidationError(f"lines[{index}]", "the line's total is too large")
        line["paid_minor"] = cost + tax


class OrderBook:
    """``care.orders``: the host pushes its orders here, idempotently, by reference.

    Methods flush but do not commit: the caller commits with the rest of its work
    (``db.session.commit()``), so an order and the host's own change land together.
    """

    def record(
        self,
        reference: str,
        email: str,
        placed_at: datetime,
        lines: Sequence[Mapping[str, Any]],
        *,
        user_id: str | int | None = None,
        currency: str = "EUR",
        delivered_at: datetime | None = None,
        locale: str | None = None,
        shipping: Decimal | int | str | None = None,
        discount: Decimal | int | str | None = None,
        tax: Decimal | int | str | None = None,
        tax_included: bool = False,
        paid: Decimal | int | str | None = None,
        actor: Actor | None = None,
    ) -> Order:
        """Record an order, or update it if its reference is known.

        Amounts of money are ``Decimal``, ``int`` or numeric strings in the order's
        currency (never floats), not negative, with no more decimals than the currency.

        :param lines: dicts with ``sku``, ``name``, ``quantity`` (int >= 1),
            ``unit_price`` (>= 0) and optional ``category`` and ``discount`` (the line's
            own discount, for all its units). Lines are matched by SKU on update:
            changed lines are updated, missing ones removed, new ones added; a line is
            never duplicated.
        :param shipping: what the shopper paid for delivery.
        :param discount: a discount on the whole order (a coupon), at most the lines'
            net price; it is shared out over the lines (``OrderLine.paid``).
        :param tax: the order's tax, added on top of the prices, or already in them
            when ``tax_included``.
        :param paid: what the shopper actually paid, when the shop knows it.
        :param placed_at: when the order was placed; a naive datetime is read as UTC
            (``SHOPCARE_NAIVE_DATETIMES``), like ``delivered_at``.
        :param actor: who records it, for the event log (default: whoever is acting now).
        :raises ValidationError: naming the first bad field; nothing is written.
        """
        order, _created = self.upsert(
            reference,
            email,
            placed_at,
            lines,
            user_id=user_id,
            currency=currency,
            delivered_at=delivered_at,
            locale=locale,
            shipping=shipping,
            discount=discount,
            tax=tax,
            tax_included=tax_included,
            paid=paid,
            actor=actor,
        )
        return order

    def upsert(
        self,
        reference: str,
        email: str,
        placed_at: datetime,
        lines: Sequence[Mapping[str, Any]],
        *,
        user_id: str | int | None = None,
        currency: str = "EUR",
        delivered_at: datetime | None = None,
        locale: str | None = None,
        shipping: Decimal | int | str | None = None,
        discount: Decimal | int | str | None = None,
        tax: Decimal | int | str | None = None,
        tax_included: bool = False,
        paid: Decimal | int | str | None = None,
        actor: Actor | None = None,
    ) -> tuple[Order, bool]:
        """:meth:`record`, also saying whether the order was new: ``(order, created)``
        (the JSON API answers 201 or 200 by it)."""
        actor = actor if actor is not None else Actor.current()
        fields: dict[str, Any] = {
            "reference": normalize_reference(reference),
            "email": normalize_email(email),
            "placed_at": host_datetime(placed_at, "placed_at"),
            "currency": _currency(currency),
            "user_id": None if user_id is None else text(str(user_id), "user_id", 64),
            "locale": text(locale, "locale", 16, required=False),
        }
        if delivered_at is not None:
            fields["delivered_at"] = host_datetime(delivered_at, "delivered_at")
        currency = fields["currency"]
        clean_lines = _lines(lines, currency)
        if not isinstance(tax_included, bool):
            raise ValidationError("tax_included", "must be true or false")
        fields.update(
            shipping_minor=_amount(shipping, currency, "shipping"),
            discount_minor=_amount(discount, currency, "discount"),
            tax_minor=_amount(tax, currency, "tax"),
            tax_included=tax_included,
            paid_minor=None if paid is None else _price_minor(paid, currency, "paid"),
        )
        net = sum(
            line["unit_price_minor"] * line["quantity"] - line["discount_minor"]
            for line in clean_lines
        )
        if fields["discount_minor"] > net:
            raise ValidationError("discount", "is more than the order's lines")
        _line_costs(
            clean_lines, fields["discount_minor"], 0 if tax_included else fields["tax_minor"]
        )

        db = session()
        order = self.get(fields["reference"])
        created = False
        if order is None:
            # INSERT … ON CONFLICT DO NOTHING: race-safe without a savepoint (pysqlite's
            # savepoints would commit behind the caller's back).
            order = insert_unless_exists(Order, fields, unique="reference")
            created = order is not None
            if order is None:  # another request recorded the same reference first
                order = self.get(fields["reference"])
                assert order is not None
            else:
                _apply_lines(order, clean_lines)
        changed: list[str] = []
        if not created:
            for key, value in fields.items():
                setattr(order, key, value)
            _apply_lines(order, clean_lines)
            changed = _changed_fields(order)
            if changed:
                order.updated_at = utcnow()
        db.flush()
        if created:
            record_event(
                "order",
                order.id,
                ORDER_RECORDED,
                actor=actor,
                occurred_at=order.placed_at,
                public=True,
                data={"reference": order.reference},
            )
        elif changed:
            record_event(
                "order",
                order.id,
                ORDER_UPDATED,
                actor=actor,
                data={"reference": order.reference, "changed": changed},
            )
        signals.send(signals.order_recorded, order=order, created=created)
        return order, created

    def record_safely(
        self,
        reference: str,
        email: str,
        placed_at: datetime,
        lines: Sequence[Mapping[str, Any]],
        *,
        user_id: str | int | None = None,
        currency: str = "EUR",
        delivered_at: datetime | None = None,
        locale: str | None = None,
    ) -> Literal["recorded", "queued", "failed"]:
        """Record an order from a checkout, after the host's own commit; never raises.

        Records and commits in a transaction of its own (a fresh app context, so the
        host's session is never committed or rolled back here). If that fails — bad
        data, a receiver of ``order-recorded`` that raised, the database busy — the
        error is logged on ``shopcare.orders`` and the order is queued as the outbox
        job ``orders.record``, which the worker retries (a ``ValidationError`` fails
        it at once, visible to staff with its error). If even queueing fails, the
        order's data is logged as an error.

        :returns: ``"recorded"``, ``"queued"`` (recorded later by the worker) or
            ``"failed"`` (only in the log).
        """
        from flask import current_app

        options: dict[str, Any] = {
            "user_id": user_id,
            "currency": currency,
            "delivered_at": delivered_at,
            "locale": locale,
        }
        payload: dict[str, Any] | None = None
        try:
            payload = order_payload(reference, email, placed_at, lines, **options)
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            with app.app_context():  # its own session, apart from the host's
                db = session()
                try:
                    self.record(reference, email, placed_at, lines, **options)
                    db.commit()
                    return "recorded"
                except Exception:
                    db.rollback()
                    log.exception("order %r not recorded; queued for the worker", reference)
                from shopcare.core.outbox import enqueue_job

                try:
                    enqueue_job(RECORD_JOB, payload)
                    db.commit()
                    return "queued"
                except Exception:
                    db.rollback()
                    raise
        except Exception:
            log.exception("order %r neither recorded nor queued: %r", reference, payload)
            return "failed"

    def get(self, reference: str) -> Order | None:
        """The order with ``reference`` (and its lines), or ``None``."""
        ref = lookup_reference(reference)
        if ref is None:
            return None
        return session().scalars(select(Order).where(Order.reference == ref)).one_or_none()

    def for_user(self, user_id: str | int) -> list[Order]:
        """A user's orders, newest first, with their lines."""
        return list(
            session().scalars(
                select(Order)
                .where(Order.user_id == str(user_id))
                .order_by(Order.placed_at.desc(), Order.id.desc())
            )
        )


def _changed_fields(order: Order) -> list[str]:
    """The names of the order's fields (and ``lines``) that the pending flush changes."""
    state = inspect(order)
    changed = [
        attr.key
        for attr in state.attrs
        if attr.key not in ("lines", "updated_at") and attr.history.has_changes()
    ]
    lines_changed = state.attrs.lines.history.has_changes() or any(
        session().is_modified(line) for line in order.lines
    )
    return [*changed, "lines"] if lines_changed else changed


def _apply_lines(order: Order, clean_lines: list[dict[str, Any]]) -> None:
    existing = {line.sku: line for line in order.lines} if order.id else {}
    wanted = []
    for data in clean_lines:
        line = existing.get(data["sku"])
        if line is None:
            line = OrderLine(**data)
        else:
            for key, value in data.items():
                setattr(line, key, value)
        wanted.append(line)
    order.lines = wanted
