"""insights: partial index of the customers' NPS answers of 9 and 10

Who was a promoter at an instant before the newest answer (the loyalty ladder's start
of period) was read by a pass over every answer in the customer facts; this index holds
the promoters' answers with what that question reads, for an index-only scan.

Revision ID: f2a7c9d4e1b6
Revises: e8b3f1c6a2d4
Create Date: 2026-12-01 21:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "f2a7c9d4e1b6"
down_revision = "e8b3f1c6a2d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_shopcare_insights_customer_nps_promoters",
        "shopcare_insights_customer_nps",
        ["answered_at"],
        postgresql_include=["customer", "next_at"],
        postgresql_where=sa.text("value >= 9"),
        sqlite_where=sa.text("value >= 9"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_shopcare_insights_customer_nps_promoters",
        table_name="shopcare_insights_customer_nps",
    )
