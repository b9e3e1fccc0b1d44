"""cases: exchange_for, the variant a shopper wants in an exchange

Revision ID: c4e1a5b0e7f1
Revises: 7367072666ad
Create Date: 2026-11-30 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4e1a5b0e7f1"
down_revision = "7367072666ad"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shopcare_cases") as batch:
        batch.add_column(sa.Column("exchange_for", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shopcare_cases") as batch:
        batch.drop_column("exchange_for")
