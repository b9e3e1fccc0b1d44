"""feedback: full-text index of published suggestions (SQLite FTS5, PostgreSQL tsvector)

The statements are those of ``shopcare.feedback.fts`` at the time of writing, frozen
here (a later change to the index is a new migration). The index objects are outside
the SQLAlchemy metadata; ``shopcare.core.migrate.include_object`` skips them.

Revision ID: 5f3c2a9d7e41
Revises: c8ef62b119d0
Create Date: 2026-12-01 02:30:00
"""

from __future__ import annotations

from alembic import op

revision = "5f3c2a9d7e41"
down_revision = "c8ef62b119d0"
branch_labels = None
depends_on = None

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS shopcare_fts_tickets USING fts5(subject, message, content='shopcare_tickets', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS shopcare_fts_tickets_ai AFTER INSERT ON shopcare_tickets WHEN new.kind = 'suggestion' AND new.published BEGIN INSERT INTO shopcare_fts_tickets(rowid, subject, message) VALUES (new.id, new.subject, new.message); END",
    "CREATE TRIGGER IF NOT EXISTS shopcare_fts_tickets_ad AFTER DELETE ON shopcare_tickets WHEN old.kind = 'suggestion' AND old.published BEGIN INSERT INTO shopcare_fts_tickets(shopcare_fts_tickets, rowid, subject, message) VALUES ('delete', old.id, old.subject, old.message); END",
    "CREATE TRIGGER IF NOT EXISTS shopcare_fts_tickets_au AFTER UPDATE OF kind, published, subject, message ON shopcare_tickets BEGIN INSERT INTO shopcare_fts_tickets(shopcare_fts_tickets, rowid, subject, message) SELECT 'delete', old.id, old.subject, old.message WHERE old.kind = 'suggestion' AND old.published; INSERT INTO shopcare_fts_tickets(rowid, subject, message) SELECT new.id, new.subject, new.message WHERE new.kind = 'suggestion' AND new.published; END",
)
SQLITE_FILL = "INSERT INTO shopcare_fts_tickets(rowid, subject, message) SELECT id, subject, message FROM shopcare_tickets WHERE kind = 'suggestion' AND published"
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS shopcare_fts_tickets_au",
    "DROP TRIGGER IF EXISTS shopcare_fts_tickets_ad",
    "DROP TRIGGER IF EXISTS shopcare_fts_tickets_ai",
    "DROP TABLE IF EXISTS shopcare_fts_tickets",
)
# the generated column is computed for the rows already there
POSTGRES_CREATE = (
    "ALTER TABLE shopcare_tickets ADD COLUMN fts_document tsvector GENERATED ALWAYS AS ( CASE WHEN kind = 'suggestion' AND published THEN setweight(to_tsvector(CASE WHEN locale LIKE 'es%' THEN 'spanish'::regconfig WHEN locale LIKE 'en%' THEN 'english'::regconfig ELSE 'simple'::regconfig END, translate(coalesce(subject, ''), 'áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ', 'aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY')), 'A') || setweight(to_tsvector(CASE WHEN locale LIKE 'es%' THEN 'spanish'::regconfig WHEN locale LIKE 'en%' THEN 'english'::regconfig ELSE 'simple'::regconfig END, translate(coalesce(message, ''), 'áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ', 'aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY')), 'B') END) STORED",
    "CREATE INDEX ix_shopcare_tickets_fts_document ON shopcare_tickets USING gin (fts_document)",
)
POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_shopcare_tickets_fts_document",
    "ALTER TABLE shopcare_tickets DROP COLUMN IF EXISTS fts_document",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in (*SQLITE_CREATE, SQLITE_FILL):
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_CREATE:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
