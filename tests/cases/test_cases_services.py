"""``care.cases``: opening, quantities, money, the workflow table, photos (service level)."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update

from shopcare import NotFound, TransitionError, ValidationError
from shopcare.cases.machine import CASE
from shopcare.cases.models import STATUSES, Case
from shopcare.core.events import Actor, Event, events_for
from shopcare.core.outbox import OutboxItem
from tests.cases.helpers import CONFIG, delivered_order, image_bytes, lines


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos")}


def mails(db: Any, template: str) -> list[OutboxItem]:
    items = db.session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
    return [item for item in items if item.payload.get("template") == template]


def test_open_gives_a_numbered_case_with_lines(care: Any, db: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 2}, reason="too_small", description="Tight")
    db.session.commit()
    assert case.number == f"R-{datetime.now(UTC).year}-{case.id:06d}"
    found = care.cases.get(case.number)
    assert found is case and found.kind == "return" and found.status == "requested"
    assert found.order.reference == "SO-1"
    assert [(line.order_line.sku, line.quantity) for line in found.lines] == [("MUG-1", 2)]
    assert care.cases.get("R-0000-000000") is None
    assert [e.action for e in events_for("case", case.id)] == ["case.opened"]
    assert "case.opened" in [e.action for e in events_for("order", case.order_id, public_only=True)]
    assert len(mails(db, "cases/status_changed")) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lines": {"NOPE": 1}}, "lines.NOPE"),
        ({"lines": {"MUG-1": 4}}, "lines.MUG-1"),
        ({"lines": {"MUG-1": "1"}}, "lines.MUG-1"),
        ({"lines": {}}, "lines"),
        ({"reason": "bored"}, "reason"),
        ({"remedy": "repair"}, "remedy"),
        ({"photos": [b"#!/bin/sh\necho hi"]}, "photos[0]"),
        ({"description": "x" * 5000}, "description"),
        ({"email": "not-an-email"}, "email"),
        ({"remedy": "exchange"}, "exchange_for"),
        ({"remedy": "exchange", "exchange_for": "   "}, "exchange_for"),
        ({"remedy": "exchange", "exchange_for": "M" * 201}, "exchange_for"),
        ({"remedy": "exchange", "exchange_for": "size\x00M"}, "exchange_for"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    care: Any, db: Any, kwargs: dict, field: str
) -> None:
    delivered_order(care)
    db.session.commit()
    args = {"lines": {"MUG-1": 1}, "reason": "too_small", **kwargs}
    with pytest.raises(ValidationError) as error:
        care.cases.open("SO-1", "return", args.pop("lines"), **args)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(Case.id)) is None


def test_quantities_never_exceed_what_was_delivered(care: Any, db: Any) -> None:
    delivered_order(care)
    care.cases.open("SO-1", "return", {"MUG-1": 2}, reason="too_small")
    with pytest.raises(ValidationError) as error:
        care.cases.open("SO-1", "return", {"MUG-1": 2}, reason="too_small")
    assert error.value.field == "lines.MUG-1" and "At most 1" in str(error.value)
    # A second return of the same line offers at most the remaining unit.
    assert care.cases.eligibility("SO-1", "return").line("MUG-1").available == 1
    care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective")
    assert care.cases.eligibility("SO-1", "return").line("MUG-1").refusal == "already_covered"
    assert (
        care.cases.eligibility("SO-1", "return").line("MUG-1").message
        == "Already returned or claimed."
    )


def test_cancelled_and_rejected_cases_free_their_units(care: Any) -> None:
    delivered_order(care)
    first = care.cases.open("SO-1", "return", {"MUG-1": 3}, reason="too_small")
    care.cases.cancel(first.number)
    second = care.cases.open("SO-1", "return", {"MUG-1": 3}, reason="too_small")
    care.cases.reject(second.number, "Worn")
    assert care.cases.eligibility("SO-1", "return").line("MUG-1").available == 3


def test_withdrawal_is_approved_at_once_without_reason_and_acknowledged(care: Any, db: Any) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1", "withdrawal", {"MUG-1": 1, "TEA-9": 1}, reason="ignored", name="Ann"
    )
    db.session.commit()
    assert case.status == "approved" and case.reason is None and case.remedy == "refund"
    (ack,) = mails(db, "cases/withdrawal_received")
    assert ack.payload["context"]["number"] == case.number
    assert len(mails(db, "cases/status_changed")) == 0  # one acknowledgement, no "approved" mail


def test_the_same_submission_twice_gives_one_case_and_one_acknowledgement(
    care: Any, db: Any
) -> None:
    delivered_order(care)
    first = care.cases.open("SO-1", "withdrawal", {"MUG-1": 3}, request_key="k-1")
    again = care.cases.open("SO-1", "withdrawal", {"MUG-1": 3}, request_key="k-1")
    db.session.commit()
    assert again.id == first.id
    assert len(db.session.scalars(select(Case)).all()) == 1
    assert len(mails(db, "cases/withdrawal_received")) == 1


def test_refund_due_only_for_what_came_back(care: Any, db: Any, signals_recorder: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 3}, reason="too_small")
    care.cases.approve(case.number)
    with signals_recorder("refund-due") as received:
        care.cases.receive(case.number, {"MUG-1": 2})
    ((_, _, kwargs),) = received
    assert kwargs["amount"] == 2 * 8999 and kwargs["currency"] == "EUR"
    assert kwargs["idempotency_key"] == f"case-money-due:{case.number}"
    assert case.lines[0].missing == 1 and case.lines[0].condition == "missing"


def test_refund_due_is_sent_once_with_a_stable_key(
    care: Any, db: Any, signals_recorder: Any
) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.approve(case.number)
    with signals_recorder("refund-due") as received:
        care.cases.receive(case.number)
        care.cases._money_due(case, case.order)  # a retry of the computation
    assert len(received) == 1


def test_an_exchange_names_the_variant_and_the_signal_carries_it(
    care: Any, db: Any, signals_recorder: Any
) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1",
        "return",
        {"MUG-1": 1},
        reason="too_small",
        remedy="exchange",
        exchange_for="  Size M,\n  blue  ",
    )
    db.session.commit()
    assert care.cases.get(case.number).exchange_for == "Size M, blue"
    care.cases.approve(case.number)
    with signals_recorder("exchange-due") as received:
        care.cases.receive(case.number)
    ((_, _, kwargs),) = received
    assert kwargs["exchange_for"] == "Size M, blue" and kwargs["amount"] == 8999


def test_the_exchange_wish_is_kept_only_for_an_exchange(care: Any, db: Any) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1", "return", {"MUG-1": 1}, reason="too_small", remedy="refund", exchange_for="Size M"
    )
    db.session.commit()
    assert case.exchange_for is None


def test_three_partial_refunds_add_up_to_what_was_paid(
    app: Any, care: Any, signals_recorder: Any
) -> None:
    app.config["SHOPCARE_CASE_PAID"] = lambda order: {"CUP": Decimal("20.00")}
    order_lines = [{"sku": "CUP", "name": "Cup", "quantity": 3, "unit_price": "10.00"}]
    delivered_order(care, order_lines=order_lines)
    amounts = []
    for _ in range(3):
        case = care.cases.open("SO-1", "return", {"CUP": 1}, reason="changed_mind")
        care.cases.approve(case.number)
        with signals_recorder("refund-due") as received:
            care.cases.receive(case.number)
        amounts.append(received[0][2]["amount"])
    assert sum(amounts) == 2000 and sorted(amounts) == [666, 667, 667]


def test_restocking_fee_is_not_charged_twice(app: Any, care: Any, signals_recorder: Any) -> None:
    app.config["SHOPCARE_RESTOCKING_FEE_PERCENT"] = 10
    delivered_order(
        care, order_lines=[{"sku": "LAMP", "name": "Lamp", "quantity": 2, "unit_price": "50.00"}]
    )
    fees = []
    for _ in range(2):
        case = care.cases.open("SO-1", "return", {"LAMP": 1}, reason="changed_mind")
        care.cases.approve(case.number)
        with signals_recorder("refund-due") as received:
            care.cases.receive(case.number)
        fees.append(received[0][2]["fees"])
    assert sum(fees) == 1000


@pytest.mark.parametrize(
    ("kind", "reason", "remedy"),
    [("withdrawal", None, "refund"), ("guarantee", "defective", "refund")],
)
def test_withdrawals_and_guarantees_carry_no_fees(
    app: Any, care: Any, signals_recorder: Any, kind: str, reason: Any, remedy: str
) -> None:
    app.config.update(SHOPCARE_RESTOCKING_FEE_PERCENT=10, SHOPCARE_RETURN_SHIPPING_FEE="4.95")
    delivered_order(care)
    case = care.cases.open("SO-1", kind, {"MUG-1": 1}, reason=reason, remedy=remedy)
    if case.status == "requested":
        care.cases.approve(case.number)
    with signals_recorder("refund-due") as received:
        care.cases.receive(case.number)
    assert received[0][2]["fees"] == 0 and received[0][2]["amount"] == 8999


def test_shipping_refunded_at_most_once_per_order(care: Any, signals_recorder: Any) -> None:
    order_lines = [
        *lines(),
        {"sku": "SHIPPING", "name": "Delivery", "quantity": 1, "unit_price": "5.00"},
    ]
    delivered_order(care, order_lines=order_lines)
    shipping = []
    for sku in ("MUG-1", "TEA-9"):
        case = care.cases.open("SO-1", "withdrawal", {sku: 1})
        with signals_recorder("refund-due") as received:
            care.cases.receive(case.number)
        shipping.append(received[0][2]["shipping"])
    assert shipping == [500, 0]
    assert care.cases.eligibility("SO-1", "withdrawal").line("SHIPPING") is None


@pytest.mark.parametrize(
    ("currency", "price", "minor"), [("CHF", "12.35", 1235), ("JPY", "1200", 1200)]
)
def test_currency_and_minor_units(
    care: Any, signals_recorder: Any, currency: str, price: str, minor: int
) -> None:
    delivered_order(
        care,
        currency=currency,
        order_lines=[{"sku": "X", "name": "X", "quantity": 1, "unit_price": price}],
    )
    case = care.cases.open("SO-1", "withdrawal", {"X": 1})
    with signals_recorder("refund-due") as received:
        care.cases.receive(case.number)
    assert (received[0][2]["amount"], received[0][2]["currency"]) == (minor, currency)
    care.cases.mark_refunded(case.number, price)
    assert case.paid_minor == minor and case.status == "resolved" and case.outcome == "refunded"


def test_paying_twice_is_refused(care: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
    care.cases.receive(case.number)
    care.cases.mark_refunded(case.number, "89.99")
    with pytest.raises(TransitionError):
        care.cases.mark_refunded(case.number, "89.99")
    with pytest.raises(ValidationError):
        other = care.cases.open("SO-1", "withdrawal", {"MUG-1": 1})
        care.cases.receive(other.number)
        care.cases.mark_refunded(other.number, "100.00")  # more than is due


def test_signals_case_opened_and_approved(care: Any, signals_recorder: Any) -> None:
    delivered_order(care)
    with signals_recorder("case-opened", "case-approved") as received:
        case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
        care.cases.approve(case.number)
    assert [name for name, _, _ in received] == ["case-opened", "case-approved"]


def test_auto_approval_under_a_threshold(app: Any, care: Any) -> None:
    app.config["SHOPCARE_CASE_AUTO_APPROVE_MAX_VALUE"] = "10.00"
    delivered_order(care)
    assert care.cases.open("SO-1", "return", {"TEA-9": 1}, reason="too_small").status == "approved"
    assert care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small").status == "requested"


def test_risk_flags(app: Any, care: Any) -> None:
    app.config.update(SHOPCARE_CASE_RISK_CASES_90_DAYS=2, SHOPCARE_CASE_RISK_HIGH_VALUE="100")
    delivered_order(care)
    first = care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective")
    assert first.flag_list == ["no_photos"]
    care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="other")
    third = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    assert third.flag_list == ["many_cases"]
    care.orders.record("SO-2", "bob@example.com", datetime.now(UTC), lines())
    big = care.cases.open("SO-2", "withdrawal", {"MUG-1": 2})
    assert set(big.flag_list) == {"high_value", "not_delivered"}


def test_reject_needs_a_reason(care: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    with pytest.raises(ValidationError) as error:
        care.cases.reject(case.number, "  ")
    assert error.value.field == "reason"
    care.cases.reject(case.number, "Used")
    assert case.reject_reason == "Used"


def test_unknown_case_is_not_found(care: Any) -> None:
    with pytest.raises(NotFound):
        care.cases.approve("R-2026-999999")


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair_of_states(care: Any, db: Any, source: str, target: str) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    db.session.execute(update(Case).where(Case.id == case.id).values(status=source))
    db.session.expire_all()
    call = {
        "approved": lambda n: care.cases.approve(n),
        "rejected": lambda n: care.cases.reject(n, "No"),
        "received": lambda n: care.cases.receive(n),
        "resolved": lambda n: care.cases.resolve(n, "refunded"),
        "closed": lambda n: care.cases.close(n),
        "cancelled": lambda n: care.cases.cancel(n),
        "requested": None,
    }[target]
    if call is None:
        assert not CASE.allows(source, target)
        return
    before = db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    if CASE.allows(source, target):
        call(case.number)
        assert care.cases.get(case.number).status == target
    else:
        with pytest.raises(TransitionError):
            call(case.number)
        db.session.expire_all()
        assert care.cases.get(case.number).status == source
        assert db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) == before


def test_every_move_is_logged_and_mailed(care: Any, db: Any) -> None:
    delivered_order(care, locale="es")
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.approve(case.number, actor=Actor.staff("sam"))
    care.cases.receive(case.number)
    care.cases.mark_refunded(case.number, "89.99")
    care.cases.close(case.number)
    actions = [e.action for e in events_for("case", case.id)]
    assert actions == [
        "case.opened",
        "case.approved",
        "case.received",
        "case.money_due",
        "case.resolved",
        "case.closed",
    ]
    sent = mails(db, "cases/status_changed")
    assert len(sent) == 5 and {m.payload["locale"] for m in sent} == {"es"}


def test_concurrent_staff_action_one_wins(care: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    seen = case.version
    care.cases.approve(case.number, version=seen)
    with pytest.raises(TransitionError) as error:
        care.cases.reject(case.number, "No", version=seen)
    assert error.value.concurrent or error.value.from_state == "approved"


def test_version_checked_even_for_the_same_move(care: Any, db: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    seen = case.version
    db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1))
    with pytest.raises(TransitionError) as error:
        care.cases.approve(case.number, version=seen)
    assert error.value.concurrent


def test_notes_are_internal(care: Any) -> None:
    delivered_order(care)
    case = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.note(case.number, "Called the shopper")
    assert "case.noted" not in [e.action for e in events_for("case", case.id, public_only=True)]
    assert "case.noted" in [e.action for e in events_for("case", case.id)]


def test_bulk_approve(care: Any) -> None:
    delivered_order(care)
    a = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    b = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    care.cases.cancel(b.number)
    done, skipped = care.cases.approve_many([a.number, b.number, "R-1-1"])
    assert done == [a.number] and skipped == [b.number, "R-1-1"]


def test_queue_filters_search_and_paging(care: Any, count_queries: Any) -> None:
    delivered_order(care)
    delivered_order(care, "SO-2", email="bob@example.com", user_id="bob")
    a = care.cases.open("SO-1", "return", {"MUG-1": 1}, reason="too_small")
    b = care.cases.open("SO-2", "guarantee", {"TEA-9": 1}, reason="defective")
    assert [c.number for c in care.cases.queue(kind="guarantee").items] == [b.number]
    assert [c.number for c in care.cases.queue(search="bob@example.com").items] == [b.number]
    assert [c.number for c in care.cases.queue(search=a.number.lower()).items] == [a.number]
    assert [c.number for c in care.cases.queue(search="TEA-9").items] == [b.number]
    assert [c.number for c in care.cases.queue(flag="no_photos").items] == [b.number]
    assert [c.number for c in care.cases.queue(sort="oldest").items] == [a.number, b.number]
    page = care.cases.queue(per_page=1)
    assert page.has_next and len(page.items) == 1
    with count_queries() as statements:
        items = care.cases.queue(per_page=50).items
        _ = [(c.order.reference, [line.order_line.sku for line in c.lines]) for c in items]
    assert len(statements) <= 2


# -- photos ----------------------------------------------------------------------


def _exif_jpeg() -> bytes:
    image = Image.new("RGB", (40, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0132] = "2026:06:01 10:00:00"
    exif[0x8825] = {1: "N", 2: (40.0, 25.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_upright_and_without_metadata(care: Any, app: Any) -> None:
    from shopcare.cases import photos

    delivered_order(care)
    case = care.cases.open(
        "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[_exif_jpeg()]
    )
    (photo,) = case.photos
    assert (photo.width, photo.height) == (20, 40)
    stored = photos.path_for(photo.token, photo.content_type)
    assert str(stored).startswith(app.config["SHOPCARE_CASE_PHOTO_DIR"]) and "static" not in str(
        stored
    )
    with Image.open(stored) as image:
        assert image.size == (20, 40)
        assert not image.getexif() and "exif" not in image.info
    assert b"PhoneMaker" not in stored.read_bytes()
    assert len(photo.token) >= 40


def test_photos_of_a_rolled_back_opening_are_removed(care: Any, app: Any, db: Any) -> None:
    from pathlib import Path

    folder = Path(app.config["SHOPCARE_CASE_PHOTO_DIR"])
    delivered_order(care)
    db.session.commit()
    care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[_exif_jpeg()])
    assert list(folder.iterdir())
    db.session.rollback()
    assert not list(folder.iterdir())
    case = care.cases.open(
        "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[_exif_jpeg()]
    )
    db.session.commit()
    (photo,) = case.photos
    assert [p.name for p in folder.iterdir()] == [photos_path(photo).name]


def photos_path(photo: Any) -> Any:
    from shopcare.cases import photos

    return photos.path_for(photo.token, photo.content_type)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(care: Any, fmt: str) -> None:
    delivered_order(care)
    case = care.cases.open(
        "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[image_bytes(fmt)]
    )
    assert case.photos[0].content_type == f"image/{fmt.lower()}"


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 MP, a few kB
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "Only JPEG, PNG or WebP"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Only JPEG, PNG or WebP",
        ),
        (image_bytes("GIF"), "Only JPEG, PNG or WebP"),
        (b"\xff\xd8\xff" + b"x" * (5 * 1024 * 1024), "larger than 5 MB"),
        (image_bytes("JPEG", (400, 300))[:600], "damaged or incomplete"),
        (_bomb(), "more than 40 megapixels"),
        (b"", "empty"),
    ],
    ids=["script", "svg", "gif", "oversized", "truncated", "bomb", "empty"],
)
def test_upload_refusals(care: Any, db: Any, data: bytes, message: str) -> None:
    delivered_order(care)
    with pytest.raises(ValidationError) as error:
        care.cases.open(
            "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[b"", data][1:]
        )
    assert error.value.field == "photos[0]" and message in str(error.value)


def test_at_most_five_photos(care: Any) -> None:
    delivered_order(care)
    with pytest.raises(ValidationError) as error:
        care.cases.open(
            "SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[image_bytes()] * 6
        )
    assert error.value.field == "photos"


def test_an_image_that_is_also_html_is_re_encoded(care: Any) -> None:
    from shopcare.cases import photos

    polyglot = image_bytes("JPEG") + b"<html><script>alert(1)</script></html>"
    delivered_order(care)
    case = care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="defective", photos=[polyglot])
    stored = photos.path_for(case.photos[0].token, "image/jpeg").read_bytes()
    assert b"<script>" not in stored


def test_old_cases_count_for_90_days_only(app: Any, care: Any) -> None:
    app.config.update(SHOPCARE_CASE_RISK_CASES_90_DAYS=1)
    delivered_order(care, delivered=datetime.now(UTC) - timedelta(days=200))
    old = datetime.now(UTC) - timedelta(days=100)
    care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="other", now=old)
    assert (
        "many_cases"
        not in care.cases.open("SO-1", "guarantee", {"MUG-1": 1}, reason="other").flag_list
    )
