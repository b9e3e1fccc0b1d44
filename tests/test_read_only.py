"""Read-only pages end their transaction with COMMIT on psycopg (shopcare.core.read_only),
so PostgreSQL keeps the statements it prepared; anything that wrote still rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from shopcare.core import read_only
from shopcare.orders.models import Order
from tests.conftest import login
from tests.tracking.helpers import make_order


def _prepared(db: Any) -> list[str]:
    rows = db.session.execute(text("SELECT statement FROM pg_prepared_statements"))
    return [statement for (statement,) in rows]


def _end_request(db: Any) -> None:
    """What Flask-SQLAlchemy does when a request's app context ends."""
    db.session.remove()


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("psycopg's prepared statements: PostgreSQL only")


def test_the_order_page_keeps_its_prepared_statements(
    postgres_only: None, care: Any, db: Any, client: Any
) -> None:
    make_order(care, user_id="ann")
    db.session.commit()
    _end_request(db)
    login(client, "ann")
    _end_request(db)
    for _ in range(7):  # psycopg prepares a statement on its sixth run on a connection
        assert client.get("/care/tracking/orders/SO-1").status_code == 200
        _end_request(db)
    prepared = _prepared(db)
    assert any("FROM shopcare_orders" in statement for statement in prepared), prepared
    assert any("FROM shopcare_events" in statement for statement in prepared), prepared


def test_without_the_mark_a_rollback_forgets_them(
    postgres_only: None, care: Any, db: Any, client: Any
) -> None:
    make_order(care, user_id="ann")
    db.session.commit()
    _end_request(db)
    for _ in range(7):
        db.session.execute(select(Order.id).where(Order.reference == "SO-1")).all()
        _end_request(db)
    assert _prepared(db) == []


def test_a_marked_transaction_that_writes_is_rolled_back(
    postgres_only: None, care: Any, db: Any
) -> None:
    _end_request(db)
    read_only.begin()
    assert db.session.connection().info.get(read_only.MARK) is True
    make_order(care, reference="SO-9")
    db.session.flush()  # an INSERT: the mark goes
    assert not db.session.connection().info.get(read_only.MARK)
    _end_request(db)
    assert db.session.scalar(select(Order.id).where(Order.reference == "SO-9")) is None


def test_textual_sql_takes_the_mark_away(postgres_only: None, db: Any) -> None:
    _end_request(db)
    read_only.begin()
    db.session.execute(text("CREATE TEMPORARY TABLE shopcare_probe (n int)"))
    assert not db.session.connection().info.get(read_only.MARK)
    _end_request(db)
    with pytest.raises(Exception, match="shopcare_probe"):
        db.session.execute(text("SELECT n FROM shopcare_probe")).all()
    db.session.rollback()


def test_a_failed_statement_ends_in_a_rollback(postgres_only: None, db: Any) -> None:
    _end_request(db)
    read_only.begin()
    with pytest.raises(Exception, match="shopcare_no_such_table"):
        db.session.execute(select(text("n")).select_from(text("shopcare_no_such_table"))).all()
    assert not db.session.connection().info.get(read_only.MARK)
    _end_request(db)
    assert db.session.execute(select(Order.id)).all() == []


def test_a_transaction_the_host_began_is_left_alone(postgres_only: None, db: Any) -> None:
    _end_request(db)
    db.session.execute(select(Order.id)).all()  # the host read first: its transaction
    read_only.begin()
    assert db.session.connection().info.get(read_only.MARK) is None
    _end_request(db)


def test_a_mark_does_not_outlive_its_transaction(postgres_only: None, db: Any) -> None:
    _end_request(db)
    read_only.begin()
    db.session.commit()  # the page's host committed: the mark goes with the transaction
    db.session.execute(select(Order.id)).all()
    assert db.session.connection().info.get(read_only.MARK) is None
    _end_request(db)


def test_other_drivers_are_left_alone(is_postgres: bool, db: Any) -> None:
    if is_postgres:
        pytest.skip("the SQLite side of the rule")
    _end_request(db)
    read_only.begin()
    assert db.session.connection().info.get(read_only.MARK) is None
    _end_request(db)
