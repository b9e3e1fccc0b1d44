"""insights: the daily rollup of delivered units (the return rate's denominator)

Revision ID: c4d9e2f7a1b3
Revises: b7408e84dde7
Create Date: 2026-12-01 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "c4d9e2f7a1b3"
down_revision = "b7408e84dde7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shopcare_insights_daily_units",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "category", name=op.f("pk_shopcare_insights_daily_units")),
    )


def downgrade() -> None:
    op.drop_table("shopcare_insights_daily_units")
