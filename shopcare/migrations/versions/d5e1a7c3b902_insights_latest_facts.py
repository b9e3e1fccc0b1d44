"""insights: partial indexes of each customer's latest order and NPS answer

Where every customer stood at an instant after everything the customer facts hold (the
end of every preset period) is their latest row; these indexes hold those rows with the
columns the segments and the loyalty ladder read, for an index-only scan.

Revision ID: d5e1a7c3b902
Revises: c4d9e2f7a1b3
Create Date: 2026-12-01 18:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "d5e1a7c3b902"
down_revision = "c4d9e2f7a1b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_shopcare_insights_customer_orders_latest",
        "shopcare_insights_customer_orders",
        ["placed_at"],
        postgresql_include=["customer", "order_id", "orders", "money"],
        postgresql_where=sa.text("next_at IS NULL"),
        sqlite_where=sa.text("next_at IS NULL"),
    )
    op.create_index(
        "ix_shopcare_insights_customer_nps_latest",
        "shopcare_insights_customer_nps",
        ["answered_at"],
        postgresql_include=["customer", "value"],
        postgresql_where=sa.text("next_at IS NULL"),
        sqlite_where=sa.text("next_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_shopcare_insights_customer_nps_latest", table_name="shopcare_insights_customer_nps"
    )
    op.drop_index(
        "ix_shopcare_insights_customer_orders_latest",
        table_name="shopcare_insights_customer_orders",
    )
