"""Read-only transactions that end with COMMIT, so psycopg keeps its prepared statements.

psycopg 3 prepares a statement on the server once a connection has run it five times
(``prepare_threshold``), and forgets every prepared statement on ``ROLLBACK``. A Flask
app ends each request by closing its session, which rolls the transaction back: on
PostgreSQL every request then parses and plans each of its statements again. For the
order page that was most of the database server's work (4 statements, 2.4 of 3.0 ms
of server CPU a page; ``bench/README.md``).

A transaction that only read ends the same way with ``COMMIT`` as with ``ROLLBACK``.
:func:`begin` marks the transaction a read-only page begins (when the session has none
yet: nothing the host did earlier in the request is in it; every GET of a shopcare page
or of the API calls it first, ``shopcare.core.web``); any statement that is not
a compiled ``SELECT`` in it (an ``INSERT``, ``UPDATE``, ``DELETE``, DDL, textual SQL)
takes the mark away, and so does a failed statement. When the session ends a marked
transaction with a rollback, the transaction is committed just before (nothing to
write), and psycopg's rollback, finding no transaction, keeps its statements. Nothing
changes for any other driver (SQLite's module keeps its statement cache anyway), for
a transaction that wrote, or for one the host had begun.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

from shopcare.core.db import session

__all__ = ["begin"]

#: The key of a connection's ``info`` that marks its transaction read-only.
MARK = "shopcare.read_only"


def begin() -> None:
    """Begin the session's transaction as read-only, unless it has one already or the
    driver is not psycopg (see the module). Call it first thing in a page that only
    reads."""
    scoped: Any = session()
    db: Session = scoped() if isinstance(scoped, scoped_session) else scoped
    if db.in_transaction() or db.get_bind().dialect.driver != "psycopg":
        return
    connection = db.connection()
    _listen(connection.engine)
    connection.info[MARK] = True


def _listen(engine: Engine) -> None:
    if event.contains(engine, "commit", _forget):
        return
    event.listen(engine, "begin", _forget)  # a mark never outlives its transaction
    event.listen(engine, "before_cursor_execute", _note)
    event.listen(engine, "handle_error", _failed)
    event.listen(engine, "rollback", _commit_instead)
    event.listen(engine, "commit", _forget)


def _note(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    """A statement other than a compiled ``SELECT`` takes the mark away."""
    if not connection.info.get(MARK):
        return
    compiled = getattr(context, "compiled", None)
    reads = (
        compiled is not None
        and not executemany
        and not getattr(context, "is_text", False)
        and bool(getattr(compiled.statement, "is_select", False))
    )
    if not reads:
        connection.info[MARK] = False


def _failed(context: Any) -> None:
    """A failed statement leaves PostgreSQL's transaction aborted: roll it back."""
    connection = context.connection
    if connection is not None:
        connection.info.pop(MARK, None)


def _commit_instead(connection: Connection) -> None:
    """Before the session rolls back a transaction that only read: commit it."""
    if not connection.info.pop(MARK, False):
        return
    driver = connection.connection.dbapi_connection
    if driver is None:
        return
    from psycopg.pq import TransactionStatus  # only reached with psycopg

    if driver.info.transaction_status != TransactionStatus.INTRANS:
        return
    with contextlib.suppress(Exception):  # the rollback that follows ends it all the same
        driver.commit()


def _forget(connection: Connection) -> None:
    connection.info.pop(MARK, None)
