"""events: a GDPR erasure may blank who did it and what was said (PostgreSQL trigger)

Revision ID: 0f2b9c4d7e11
Revises: c4e1a5b0e7f1
Create Date: 2026-11-30 22:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0f2b9c4d7e11"
down_revision = "c4e1a5b0e7f1"
branch_labels = None
depends_on = None

# Copied (so that this revision never changes) from shopcare.core.events.models as of
# this revision.
ERASABLE = """\
CREATE OR REPLACE FUNCTION shopcare_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('shopcare.erasure', true) = 'on'
       AND NEW.id = OLD.id
       AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id
       AND NEW.action = OLD.action AND NEW.actor_kind = OLD.actor_kind
       AND NEW.from_state IS NOT DISTINCT FROM OLD.from_state
       AND NEW.to_state IS NOT DISTINCT FROM OLD.to_state
       AND NEW.public = OLD.public
       AND NEW.occurred_at = OLD.occurred_at AND NEW.recorded_at = OLD.recorded_at
       AND NEW.dedupe_key IS NOT DISTINCT FROM OLD.dedupe_key THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'shopcare_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$"""
STRICT = """\
CREATE OR REPLACE FUNCTION shopcare_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'shopcare_events is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ERASABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(STRICT)
