"""A naive datetime from the host (the common Flask-SQLAlchemy habit of naive UTC) is
read as UTC by default, so recording cannot break a checkout; a shop may refuse them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopcare import ConfigError, ValidationError
from shopcare.orders.models import Order
from tests.conftest import sample_lines

NAIVE = datetime(2026, 3, 2, 9, 30)  # what datetime.utcnow() and naive columns give
AWARE = NAIVE.replace(tzinfo=UTC)


def test_a_naive_placed_at_is_read_as_utc(care, db):
    order = care.orders.record(
        "SO-1", "ann@example.com", NAIVE, sample_lines(), delivered_at=datetime(2026, 3, 4, 12)
    )
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.placed_at == AWARE and order.placed_at.tzinfo is not None
    assert order.delivered_at == datetime(2026, 3, 4, 12, tzinfo=UTC)
    # recording the same order again with the same naive time changes nothing
    care.orders.record("SO-1", "ann@example.com", NAIVE, sample_lines())
    assert not db.session.is_modified(order)


def test_naive_tracking_times_are_read_as_utc(care, db):
    care.orders.record("SO-1", "ann@example.com", NAIVE, sample_lines())
    shipment = care.tracking.add_shipment(
        "SO-1", carrier="dhl", tracking_number="JD1", shipped_at=datetime(2026, 3, 2, 15)
    )
    update = care.tracking.add_event(
        "SO-1", "in_transit", occurred_at=datetime(2026, 3, 3, 8), shipment=shipment
    )
    db.session.commit()
    assert shipment.shipped_at == datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert update.event is not None
    assert update.event.occurred_at == datetime(2026, 3, 3, 8, tzinfo=UTC)
    # the same event with an aware time is the same event: a duplicate
    again = care.tracking.add_event(
        "SO-1", "in_transit", occurred_at=datetime(2026, 3, 3, 8, tzinfo=UTC), shipment=shipment
    )
    assert again.duplicate


class TestRefuse:
    @pytest.fixture
    def app_config(self):
        return {"SHOPCARE_NAIVE_DATETIMES": "refuse"}

    def test_naive_datetimes_are_refused(self, care, db):
        with pytest.raises(ValidationError) as error:
            care.orders.record("SO-1", "ann@example.com", NAIVE, sample_lines())
        assert set(error.value.fields) == {"placed_at"}
        care.orders.record("SO-1", "ann@example.com", AWARE, sample_lines())
        with pytest.raises(ValidationError, match="occurred_at"):
            care.tracking.add_event(
                "SO-1", "in_transit", carrier="dhl", tracking_number="A", occurred_at=NAIVE
            )
        with pytest.raises(ValidationError, match="shipped_at"):
            care.tracking.add_shipment("SO-1", carrier="dhl", tracking_number="A", shipped_at=NAIVE)
        assert db.session.query(Order).count() == 1


class TestUnknownPolicy:
    @pytest.fixture
    def app_config(self):
        return {"SHOPCARE_NAIVE_DATETIMES": "local"}

    def test_an_unknown_policy_fails_loudly(self, care):
        with pytest.raises(ConfigError, match="SHOPCARE_NAIVE_DATETIMES"):
            care.orders.record("SO-1", "ann@example.com", NAIVE, sample_lines())
