"""``care.orders``: record the host's orders and read them back."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, cast

from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import Table, TextClause, bindparam, inspect, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from shopcare.core import signals
from shopcare.core.config import setting
from shopcare.core.db import adopt, insert_rows, insert_unless_exists, lock_rows, session, utcnow
from shopcare.core.errors import ValidationError
from shopcare.core.events import Actor, Event, record_event
from shopcare.core.events.services import announce, event_values
from shopcare.core.validation import (
    check_text,
    email_address,
    has_control_characters,
    host_datetime,
    required_text,
)
from shopcare.core.validation import text as text_field
from shopcare.orders.events import ORDER_RECORDED, ORDER_UPDATED
from shopcare.orders.jobs import RECORD_JOB, order_payload
from shopcare.orders.models import Order, OrderLine

MAX_REFERENCE = 64
_PG = postgresql.dialect()
_SPACES = re.compile(r"\s+")
#: Prices are stored in minor units in an INTEGER column (32 bits on PostgreSQL).
MAX_PRICE_MINOR = 2**31 - 1
MAX_QUANTITY = 1_000_000

log = logging.getLogger("shopcare.orders")


def normalize_email(value: Any, field: str = "email") -> str:
    """Validate an e-mail address and return it in the form shopcare stores (lower case;
    see :func:`shopcare.validation.email_address`, which refuses non-ASCII before the
    ``@``).

    :raises ValidationError: naming ``field`` when the address is malformed.
    """
    return email_address(value, field)


def reference_key(value: Any) -> str | None:
    """How an order reference is matched, wherever one comes in (the services, the
    look-up form, the order pages, the API, rate-limit keys): the reference as people
    type it, ignoring case, spaces (around and inside) and a leading ``#``, so that
    ``"#so 1001"``, ``"SO1001"`` and ``" so1001 "`` are one order. The one place this
    rule is written; ``Order.reference_key`` stores it (unique), ``Order.reference``
    keeps the shop's own spelling.

    ``None`` when ``value`` cannot be a reference (not text, blank, too long, control
    characters): a look-up answers "no such order" without asking the database.
    """
    if not isinstance(value, str) or len(value) > 4 * MAX_REFERENCE:
        return None
    if has_control_characters(value):
        return None
    key = _SPACES.sub("", unicodedata.normalize("NFKC", value)).lstrip("#").casefold()
    if not key or len(key) > MAX_REFERENCE:
        return None
    return key


def normalize_reference(value: Any, field: str = "reference") -> str:
    """Check an order reference coming in and return it as the shop spelt it (stripped).

    A reference is one segment of the order page's and the API's URLs, so it may not
    contain ``/`` (servers decode ``%2F`` before routing) nor be only dots (clients
    resolve ``.`` and ``..``); every other character is percent-quoted in links.

    :raises ValidationError: naming ``field`` (blank, too long, control characters,
        ``/``, only dots, or nothing left once ``#`` and spaces are set aside).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "an order reference is required")
    value = check_text(value.strip(), field)
    if len(value) > MAX_REFERENCE:
        raise ValidationError(field, f"at most {MAX_REFERENCE} characters")
    if "/" in value:
        raise ValidationError(field, "may not contain '/' (a reference is part of a web address)")
    if not value.strip("."):
        raise ValidationError(field, "may not be only dots (a reference is part of a web address)")
    if reference_key(value) is None:
        raise ValidationError(field, "needs more than '#' and spaces")
    return value


def lookup_reference(value: Any) -> str | None:
    """The :func:`reference_key` to look ``value`` up by, or ``None`` when it cannot be
    a reference: the caller answers "no such order" without asking the database."""
    return reference_key(value)


@cache
def _iso_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _currency(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    allowed = setting("SHOPCARE_CURRENCIES")
    known = set(allowed) if allowed else _iso_currencies()
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
                "name": text_field(line.get("name"), f"{at}.name", 255),
                "category": text_field(line.get("category"), f"{at}.category", 100, required=False),
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
        spelling = normalize_reference(reference)
        fields: dict[str, Any] = {
            "reference": spelling,
            "reference_key": reference_key(spelling),
            "email": normalize_email(email),
            "placed_at": host_datetime(placed_at, "placed_at"),
            "currency": _currency(currency),
            "user_id": None if user_id is None else text_field(str(user_id), "user_id", 64),
            "locale": text_field(locale, "locale", 16, required=False),
        }
        if delivered_at is not None:
            fields["delivered_at"] = host_datetime(delivered_at, "delivered_at")
            if fields["delivered_at"] < fields["placed_at"]:
                raise ValidationError("delivered_at", "is before placed_at")
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
        # The order's row is where concurrent writes meet. INSERT … ON CONFLICT DO
        # NOTHING creates it or, when it exists, does nothing (race-safe without a
        # savepoint, which pysqlite would commit behind the caller's back; on SQLite it
        # also takes the database's write lock). An existing order is then locked and
        # read afresh, so a concurrent update of the same order waits for this one and
        # then sees it: the last complete update wins whole, never a mix of two.
        now = utcnow()
        order = _create(
            {"delivered_at": None, **fields, "created_at": now, "updated_at": now},
            clean_lines,
            actor,
        )
        created = order is not None
        changed: list[str] = []
        if order is None:
            order = lock_order(spelling)
            for key, value in fields.items():
                if key not in ("reference", "reference_key"):  # the first spelling stays
                    setattr(order, key, value)
            _apply_lines(order, clean_lines)
            changed = _changed_fields(order)
            if changed:
                order.updated_at = utcnow()
        db.flush()
        if changed:
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
        """The order with ``reference`` (and its lines), or ``None``; matched by
        :func:`reference_key`."""
        key = reference_key(reference)
        if key is None:
            return None
        return session().scalars(select(Order).where(Order.reference_key == key)).one_or_none()

    def for_user(self, user_id: str | int) -> list[Order]:
        """A user's orders, newest first, with their lines."""
        return list(
            session().scalars(
                select(Order)
                .where(Order.user_id == str(user_id))
                .order_by(Order.placed_at.desc(), Order.id.desc())
            )
        )


def lock_order(reference: str, *, with_lines: bool = True) -> Order:
    """The order with ``reference`` (matched by :func:`reference_key`), its row locked
    until the caller's transaction ends (see :func:`lock_orders`).

    :raises ValidationError: on ``reference`` when there is no such order.
    """
    key = reference_key(reference)
    orders = lock_orders([reference], with_lines=with_lines) if key is not None else {}
    if key is None or key not in orders:
        raise ValidationError("reference", f"no order with reference {str(reference).strip()!r}")
    return orders[key]


def lock_orders(references: Iterable[str], *, with_lines: bool = True) -> dict[str, Order]:
    """The orders with these references (by :func:`reference_key`; unknown ones are
    left out), locked in one statement in the order of their keys, so two callers
    never wait for each other in a circle, and read after the lock: their lines too,
    or, with ``with_lines=False``, when first used.

    Every write to an order in shopcare takes this lock first (``orders.record``,
    ``tracking.add_event`` and ``add_shipment``, the carrier webhook for all the
    orders its events name): concurrent writes to one order run one after the other,
    each seeing the previous one's work.
    """
    keys = sorted({key for key in map(reference_key, references) if key is not None})
    if not keys:
        return {}
    lines = selectinload(Order.lines) if with_lines else lazyload(Order.lines)
    locked = lock_rows(
        select(Order)
        .options(lines)
        .where(Order.reference_key.in_(keys))
        .order_by(Order.reference_key)
    )
    return {order.reference_key: order for order in locked}


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


def _create(
    values: dict[str, Any], clean_lines: list[dict[str, Any]], actor: Actor
) -> Order | None:
    """Insert a new order, its lines and its ``order.recorded`` event, unless an order
    with its reference key exists (then ``None``, and nothing is written).

    On PostgreSQL it is one statement (``WITH … INSERT … RETURNING``): one round trip
    instead of three, on the path every new order takes.
    """
    event = event_values(
        "order",
        None,  # the new order's id, written by the same statement
        ORDER_RECORDED,
        actor=actor,
        occurred_at=values["placed_at"],
        public=True,
        data={"reference": values["reference"]},
    )
    db = session()
    if db.get_bind().dialect.name == "postgresql":
        statement = _create_statement(
            tuple(values), tuple(clean_lines[0]), len(clean_lines), tuple(event)
        )
        row = db.execute(statement, _create_parameters(values, clean_lines, event)).first()
        if row is None:
            return None
        order = adopt(Order, {**values, "id": row.order_id})
        added = [
            adopt(OrderLine, {**data, "order_id": row.order_id, "id": line_id})
            for data, line_id in zip(clean_lines, row.line_ids, strict=True)
        ]
        recorded = adopt(Event, {**event, "subject_id": str(row.order_id), "id": row.event_id})
    else:
        new = insert_unless_exists(Order, values, unique="reference_key")
        if new is None:
            return None
        order = new
        rows = [{**data, "order_id": order.id} for data in clean_lines]
        added = sorted(
            insert_rows(OrderLine, rows, match="position"), key=lambda line: line.position
        )
        recorded = insert_rows(Event, [{**event, "subject_id": str(order.id)}])[0]
    for line in added:
        set_committed_value(line, "order", order)
    set_committed_value(order, "lines", added)
    announce(recorded)
    return order


@cache
def _create_statement(
    order_columns: tuple[str, ...],
    line_columns: tuple[str, ...],
    lines: int,
    event_columns: tuple[str, ...],
) -> TextClause:
    """PostgreSQL: the order, its ``lines`` lines and its event in one statement (built
    once per shape: the columns given and the number of lines)."""
    orders = _table(Order)
    order_lines = _table(OrderLine)
    events = _table(Event)
    line_values = ", ".join(
        "("
        + ", ".join(
            f"CAST(:l{n}_{c} AS {order_lines.c[c].type.compile(dialect=_PG)})" for c in line_columns
        )
        + ")"
        for n in range(lines)
    )
    sql = f"""
WITH new_order AS (
  INSERT INTO {orders.name} ({", ".join(order_columns)})
  VALUES ({", ".join(f":o_{c}" for c in order_columns)})
  ON CONFLICT (reference_key) DO NOTHING
  RETURNING id
), new_lines AS (
  INSERT INTO {order_lines.name} (order_id, {", ".join(line_columns)})
  SELECT new_order.id, {", ".join(f"v.{c}" for c in line_columns)}
  FROM new_order, (VALUES {line_values}) AS v ({", ".join(line_columns)})
  RETURNING id, position
), new_event AS (
  INSERT INTO {events.name} (subject_id, {", ".join(event_columns)})
  SELECT CAST(new_order.id AS VARCHAR), {", ".join(f":e_{c}" for c in event_columns)}
  FROM new_order
  RETURNING id
)
SELECT new_order.id AS order_id,
  ARRAY(SELECT new_lines.id FROM new_lines ORDER BY new_lines.position) AS line_ids,
  (SELECT new_event.id FROM new_event) AS event_id
FROM new_order"""  # nosec B608: names from the metadata, values bound
    parameters = [bindparam(f"o_{c}", type_=orders.c[c].type) for c in order_columns]
    parameters += [
        bindparam(f"l{n}_{c}", type_=order_lines.c[c].type)
        for n in range(lines)
        for c in line_columns
    ]
    parameters += [bindparam(f"e_{c}", type_=events.c[c].type) for c in event_columns]
    return text(sql).bindparams(*parameters)


def _create_parameters(
    values: dict[str, Any], clean_lines: list[dict[str, Any]], event: dict[str, Any]
) -> dict[str, Any]:
    parameters = {f"o_{key}": value for key, value in values.items()}
    for n, data in enumerate(clean_lines):
        parameters.update({f"l{n}_{key}": value for key, value in data.items()})
    parameters.update({f"e_{key}": value for key, value in event.items()})
    return parameters


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _apply_lines(order: Order, clean_lines: list[dict[str, Any]]) -> None:
    existing = {line.sku: line for line in order.lines}
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
