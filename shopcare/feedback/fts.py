"""The full-text index of published suggestions, kept by the database itself.

Only published suggestions are indexed (``kind = 'suggestion' AND published``): a
private complaint, an unpublished or merged suggestion, or a ticket whose text was
erased (privacy erasure unpublishes and blanks it) is not in the index, and leaves it
the moment the row changes.

* **SQLite**: an FTS5 table ``shopcare_fts_tickets`` (external content: the text stays
  in ``shopcare_tickets``; the index holds only the tokens) with the ``unicode61``
  tokenizer and ``remove_diacritics 2`` ("camion" finds "camión"), kept in step by
  three triggers on ``shopcare_tickets`` (insert, delete, and an update of ``kind``,
  ``published``, ``subject`` or ``message``; a vote changes nothing in the index).
* **PostgreSQL**: a stored generated column ``fts_document`` (``tsvector``, the subject
  weighted A and the message B) in the ticket's language: the ``spanish`` text search
  configuration for a ticket whose ``locale`` starts with ``es``, ``english`` for
  ``en``, ``simple`` otherwise; accents are folded by ``translate`` (the same folding
  :func:`shopcare.feedback.search.words` applies to what is typed); NULL for tickets
  not on the board. A GIN index serves ``@@``.

These objects are not in the SQLAlchemy metadata (neither database type has a portable
spelling there): :func:`attach` creates them whenever ``metadata.create_all`` creates
the tickets table (tests, demos, ``care.create_all``), and the migration
``5f3c2a9d7e41`` creates the same objects from the same statements, frozen in its own
file. ``shopcare.core.migrate.include_object`` leaves them out of the autogenerate
comparison by their names (``shopcare_fts_*`` tables, ``fts_*`` columns and indexes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Table, event

TABLE = "shopcare_fts_tickets"
COLUMN = "fts_document"
INDEX = "ix_shopcare_tickets_fts_document"

#: Accented letters folded to their base letter, in both databases' documents and in
#: what is typed (``translate`` on PostgreSQL; SQLite's tokenizer does it itself).
ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ"
FOLDED = "aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY"

_ON_BOARD_NEW = "new.kind = 'suggestion' AND new.published"
_ON_BOARD_OLD = "old.kind = 'suggestion' AND old.published"

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(subject, message,"
    " content='shopcare_tickets', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON shopcare_tickets"  # nosec B608: fixed names, no input
    f" WHEN {_ON_BOARD_NEW} BEGIN"
    f" INSERT INTO {TABLE}(rowid, subject, message) VALUES (new.id, new.subject, new.message);"
    " END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON shopcare_tickets"  # nosec B608: fixed names, no input
    f" WHEN {_ON_BOARD_OLD} BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, subject, message)"
    " VALUES ('delete', old.id, old.subject, old.message);"
    " END",
    # one trigger, two statements in this order: the old tokens go before the new come
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au"
    " AFTER UPDATE OF kind, published, subject, message ON shopcare_tickets BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, subject, message)"
    f" SELECT 'delete', old.id, old.subject, old.message WHERE {_ON_BOARD_OLD};"
    f" INSERT INTO {TABLE}(rowid, subject, message)"
    f" SELECT new.id, new.subject, new.message WHERE {_ON_BOARD_NEW};"
    " END",
)
#: Fill the index from the rows already there (the migration on an existing database).
SQLITE_FILL = (
    f"INSERT INTO {TABLE}(rowid, subject, message) SELECT id, subject, message"  # nosec B608: fixed names, no input
    " FROM shopcare_tickets WHERE kind = 'suggestion' AND published"
)
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {TABLE}_au",
    f"DROP TRIGGER IF EXISTS {TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_ai",
    f"DROP TABLE IF EXISTS {TABLE}",
)

_CONFIG = (
    "CASE WHEN locale LIKE 'es%' THEN 'spanish'::regconfig"
    " WHEN locale LIKE 'en%' THEN 'english'::regconfig ELSE 'simple'::regconfig END"
)
POSTGRES_CREATE = (
    f"ALTER TABLE shopcare_tickets ADD COLUMN {COLUMN} tsvector GENERATED ALWAYS AS ("
    " CASE WHEN kind = 'suggestion' AND published THEN"
    f" setweight(to_tsvector({_CONFIG}, translate(coalesce(subject, ''), '{ACCENTED}', '{FOLDED}')), 'A')"
    f" || setweight(to_tsvector({_CONFIG}, translate(coalesce(message, ''), '{ACCENTED}', '{FOLDED}')), 'B')"
    " END) STORED",
    f"CREATE INDEX {INDEX} ON shopcare_tickets USING gin ({COLUMN})",
)
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {INDEX}",
    f"ALTER TABLE shopcare_tickets DROP COLUMN IF EXISTS {COLUMN}",
)


def attach(table: Table) -> None:
    """Make ``metadata.create_all`` create the index with the tickets table, and
    ``drop_all`` drop it (the FTS5 table would outlive its content table)."""
    for statement in SQLITE_CREATE:
        event.listen(table, "after_create", _ddl(statement, "sqlite"))
    for statement in POSTGRES_CREATE:
        event.listen(table, "after_create", _ddl(statement, "postgresql"))
    for statement in SQLITE_DROP:
        event.listen(table, "before_drop", _ddl(statement, "sqlite"))


def _ddl(statement: str, dialect: str) -> Any:
    # DDL formats its text with %: a LIKE pattern's % is written %%
    return DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
