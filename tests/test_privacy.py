"""A person's data rights (GDPR art. 15, 17, 20): one export across every domain, and an
erasure that removes names, addresses, free text and photos while the figures stay."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import delete, func, select, text

from shopcare.cases.models import Case, CasePhoto
from shopcare.core import privacy
from shopcare.core.events.models import Event
from shopcare.core.outbox import OutboxItem
from shopcare.insights.models import CustomerOrder
from shopcare.orders.models import Order
from shopcare.tracking.models import Shipment
from tests.cases.helpers import CONFIG, delivered_order, image_bytes
from tests.conftest import login

ANN = "ann@example.com"
BOB = "bob@example.com"


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {**CONFIG, "SHOPCARE_CASE_PHOTO_DIR": str(tmp_path / "photos")}


@pytest.fixture
def people(care: Any, db: Any) -> dict[str, Any]:
    """Ann: two orders, a shipment with a staff note, a return with a photo, her name and
    phone number in the text, a note and e-mails. Bob: an order and a case of his own."""
    delivered_order(care, "SO-1")
    delivered_order(care, "SO-2")
    delivered_order(care, "SO-3", email=BOB, user_id="bob")
    shipment = care.tracking.add_shipment("SO-2", carrier="dhl", tracking_number="JD1")
    care.tracking.add_note(shipment.id, "Ann Example phoned from +34 600 000 000")
    ann_case = care.cases.open(
        "SO-1",
        "return",
        {"MUG-1": 1},
        reason="too_small",
        remedy="exchange",
        exchange_for="Size M, call me on +34 600 000 000",
        description="Too small. Ann Example, Calle Sol 3",
        photos=[image_bytes()],
        name="Ann Example",
    )
    care.cases.note(ann_case.number, "Spoke to Ann Example")
    care.cases.reject(ann_case.number, "Ann Example sent it after the window")
    bob_case = care.cases.open(
        "SO-3", "return", {"MUG-1": 1}, reason="too_small", description="Bob's words", name="Bob B"
    )
    db.session.commit()
    return {"ann_case": ann_case.number, "bob_case": bob_case.number, "shipment": shipment.id}


def _everything_as_text(db: Any) -> str:
    """Every personal column of every table shopcare writes, as one string."""
    rows: list[Any] = []
    for event in db.session.scalars(select(Event)):
        rows.append([event.actor_label, event.actor_id, event.data])
    for item in db.session.scalars(select(OutboxItem)):
        rows.append(item.payload)
    for order in db.session.scalars(select(Order)):
        rows.append([order.email, order.user_id])
    for case in db.session.scalars(select(Case)):
        rows.append(
            [case.email, case.name, case.description, case.exchange_for, case.reject_reason]
        )
    for shipment in db.session.scalars(select(Shipment)):
        rows.append(shipment.staff_note)
    for fact in db.session.scalars(select(CustomerOrder)):
        rows.append(fact.customer)
    return json.dumps(rows, ensure_ascii=False, default=str)


def test_export_holds_every_domain_and_nothing_of_anyone_else(
    care: Any, db: Any, people: dict[str, Any]
) -> None:
    document = privacy.export("  Ann@Example.com ")
    assert document["format"] == "shopcare-privacy-export/1" and document["email"] == ANN
    assert [order["reference"] for order in document["orders"]] == ["SO-1", "SO-2"]
    assert document["orders"][0]["lines"][0]["sku"] == "MUG-1"
    assert [(s["carrier"], s["tracking_number"]) for s in document["shipments"]] == [("dhl", "JD1")]
    (case,) = document["cases"]
    assert case["number"] == people["ann_case"] and case["status"] == "rejected"
    assert case["exchange_for"].startswith("Size M")
    (photo,) = case["photos"]
    assert Image.open(io.BytesIO(base64.b64decode(photo["data_base64"]))).format == "JPEG"
    actions = {event["action"] for event in document["events"]}
    assert {"order.recorded", "case.opened", "case.noted", "case.rejected"} <= actions
    assert {email["template"] for email in document["emails"]} >= {"cases/status_changed"}
    as_text = json.dumps(document, ensure_ascii=False)
    assert BOB not in as_text and "Bob's words" not in as_text and "SO-3" not in as_text
    json.loads(as_text)  # one JSON document


def test_erasure_removes_the_person_and_keeps_the_figures(
    app: Flask, care: Any, db: Any, people: dict[str, Any]
) -> None:
    def figures() -> Any:
        return (
            db.session.scalar(select(func.count()).select_from(Order)),
            sorted(o.total for o in db.session.scalars(select(Order))),
            sorted(
                (c.kind, c.status, c.reason, c.remedy, c.value_minor)
                for c in db.session.scalars(select(Case))
            ),
            db.session.scalar(select(func.count()).select_from(Event)),
            db.session.scalar(select(func.count()).select_from(Shipment)),
        )

    care.insights.refresh_rollup()  # the dashboard's customer facts, keyed by e-mail
    db.session.commit()
    assert {fact.customer for fact in db.session.scalars(select(CustomerOrder))} == {ANN, BOB}
    before = figures()
    photo = db.session.scalars(select(CasePhoto)).one()
    photo_path = app.config["SHOPCARE_CASE_PHOTO_DIR"] + f"/{photo.token}.jpg"
    assert Path(photo_path).read_bytes()[:2] == b"\xff\xd8"

    from shopcare.core.outbox import enqueue_mail

    enqueue_mail("joann@example.com", "test", {}, dedupe_key="privacy-test:joann")
    db.session.commit()
    result = privacy.erase(ANN)
    db.session.commit()
    db.session.expire_all()
    # an address that merely contains Ann's is someone else's
    assert [item.payload["to"] for item in db.session.scalars(select(OutboxItem))].count(
        "joann@example.com"
    ) == 1
    db.session.execute(delete(OutboxItem).where(OutboxItem.dedupe_key == "privacy-test:joann"))

    assert re.fullmatch(r"erased-[0-9a-f]{12}@erased\.invalid", result.alias)
    assert result.counts["orders"] == 2 and result.counts["cases"] == 1
    assert result.counts["photos"] == 1 and result.counts["shipments"] == 1
    after = figures()
    assert after[:3] == before[:3] and after[4] == before[4]
    assert after[3] == before[3] + 1  # the erasure itself, recorded
    everything = _everything_as_text(db)
    for trace in (ANN, "Ann Example", "+34 600 000 000", "Calle Sol", "Size M"):
        assert trace not in everything, trace
    # Bob is untouched.
    assert BOB in everything and "Bob's words" in everything and "Bob B" in everything
    # Ann's two orders still belong to one (anonymous) customer.
    assert {
        o.email for o in db.session.scalars(select(Order).where(Order.reference != "SO-3"))
    } == {result.alias}
    # … and so do the dashboard's facts of them (re-keyed, not lost).
    assert {fact.customer for fact in db.session.scalars(select(CustomerOrder))} == {
        result.alias,
        BOB,
    }
    assert result.counts["customer_orders"] == 2
    # Her photo is gone from the disk and the database.
    assert db.session.scalars(select(CasePhoto)).all() == []
    assert not Path(photo_path).exists()
    # The erasure is in the log, without the address.
    erased = db.session.scalars(select(Event).where(Event.action == "privacy.erased")).one()
    assert erased.subject_id == result.alias and ANN not in json.dumps(erased.data)
    assert erased.data["counts"]["orders"] == 2
    # Nothing is left to export.
    document = privacy.export(ANN)
    assert document["orders"] == [] and document["cases"] == [] and document["events"] == []
    assert document["emails"] == []


def test_a_second_erasure_finds_nothing_and_records_nothing(
    care: Any, db: Any, people: dict[str, Any]
) -> None:
    privacy.erase(ANN)
    db.session.commit()
    again = privacy.erase(ANN)
    assert not again.found
    assert (
        db.session.scalar(
            select(func.count()).select_from(Event).where(Event.action == "privacy.erased")
        )
        == 1
    )


def test_a_rolled_back_erasure_keeps_the_photo(
    app: Flask, care: Any, db: Any, people: dict[str, Any]
) -> None:
    photo = db.session.scalars(select(CasePhoto)).one()
    path = app.config["SHOPCARE_CASE_PHOTO_DIR"] + f"/{photo.token}.jpg"
    privacy.erase(ANN)
    db.session.rollback()
    assert Path(path).read_bytes()[:2] == b"\xff\xd8"
    assert db.session.scalars(select(Order.email).where(Order.reference == "SO-1")).one() == ANN


def test_the_log_stays_append_only_outside_an_erasure(
    care: Any, db: Any, people: dict[str, Any], is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's")
    event_id = db.session.scalars(select(Event.id)).first()
    with pytest.raises(Exception, match="append-only"):
        db.session.connection().execute(
            text("UPDATE shopcare_events SET actor_label = 'x' WHERE id = :id"), {"id": event_id}
        )
    db.session.rollback()
    # Even during an erasure, what happened and when cannot change.
    with pytest.raises(Exception, match="append-only"):
        connection = db.session.connection()
        connection.execute(text("SET LOCAL shopcare.erasure = 'on'"))
        connection.execute(
            text("UPDATE shopcare_events SET action = 'order.other' WHERE id = :id"),
            {"id": event_id},
        )
    db.session.rollback()


def test_bad_addresses_are_refused(care: Any, db: Any) -> None:
    from shopcare import ValidationError

    for value in ("", "not-an-address", "a@b@c", None):
        with pytest.raises(ValidationError):
            privacy.export(value)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            privacy.erase(value)  # type: ignore[arg-type]


def test_the_commands(app: Flask, care: Any, db: Any, people: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["shopcare", "privacy", "export", ANN])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["cases"][0]["number"] == people["ann_case"]
    refused = runner.invoke(args=["shopcare", "privacy", "export", "nonsense"])
    assert refused.exit_code == 2 and "EMAIL" in refused.output
    kept = runner.invoke(args=["shopcare", "privacy", "erase", ANN], input="n\n")
    assert kept.exit_code == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.email == ANN)) == 2
    erased = runner.invoke(args=["shopcare", "privacy", "erase", ANN, "--yes"])
    assert erased.exit_code == 0 and "orders 2" in erased.output, erased.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.email == ANN)) == 0
    nothing = runner.invoke(args=["shopcare", "privacy", "erase", ANN, "--yes"])
    assert nothing.exit_code == 0 and "Nothing is held" in nothing.output


def _token(html: str, prefix: str) -> str:
    match = re.search(
        rf'id="{prefix}-csrf_token" name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, html
    return match.group(1)


def test_the_staff_page(care: Any, db: Any, client: FlaskClient, people: dict[str, Any]) -> None:
    assert client.get("/care/staff/privacy").status_code == 302  # to the host's login page
    login(client, "ann")
    assert client.get("/care/staff/privacy").status_code == 403
    assert client.post("/care/staff/privacy/erase", data={"erase-email": ANN}).status_code == 403
    login(client, "sam")
    html = client.get("/care/staff/privacy").get_data(as_text=True)
    assert "Erase their data" in html
    # Without the form's token nothing happens.
    refused = client.post(
        "/care/staff/privacy/erase", data={"erase-email": ANN, "erase-confirm": ANN}
    )
    assert refused.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.email == ANN)) == 2
    download = client.post(
        "/care/staff/privacy/export",
        data={"export-csrf_token": _token(html, "export"), "export-email": ANN},
    )
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert len(download.get_json()["orders"]) == 2
    mismatch = client.post(
        "/care/staff/privacy/erase",
        data={"erase-csrf_token": _token(html, "erase"), "erase-email": ANN, "erase-confirm": BOB},
    )
    assert mismatch.status_code == 422
    assert 'id="erase-confirm-error">The two addresses differ.' in mismatch.get_data(as_text=True)
    done = client.post(
        "/care/staff/privacy/erase",
        data={"erase-csrf_token": _token(html, "erase"), "erase-email": ANN, "erase-confirm": ANN},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.email == ANN)) == 0
    erased = db.session.scalars(select(Event).where(Event.action == "privacy.erased")).one()
    assert erased.actor_kind == "staff"
