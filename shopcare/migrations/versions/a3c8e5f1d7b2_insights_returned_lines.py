"""insights: the returned lines' facts, and the cases indexed by their change time

``shopcare_insights_returned_lines`` holds the counting case lines of returns and
withdrawals with what the return figures read of their order, order line and case, so
the dashboard reads them instead of joining every order line of the shop
(``shopcare.insights.returned``). The cases changed since the worker's last run are read
live: ``ix_shopcare_cases_updated_at`` finds them, and ``updated_at`` is now set by every
change of the row.

Revision ID: a3c8e5f1d7b2
Revises: f2a7c9d4e1b6
Create Date: 2026-12-01 21:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "a3c8e5f1d7b2"
down_revision = "f2a7c9d4e1b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shopcare_insights_returned_lines",
        sa.Column("case_line_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_line_id", name=op.f("pk_shopcare_insights_returned_lines")),
    )
    op.create_index(
        "ix_shopcare_insights_returned_lines_delivered_at",
        "shopcare_insights_returned_lines",
        ["delivered_at"],
    )
    op.create_index("ix_shopcare_cases_updated_at", "shopcare_cases", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_shopcare_cases_updated_at", table_name="shopcare_cases")
    op.drop_index(
        "ix_shopcare_insights_returned_lines_delivered_at",
        table_name="shopcare_insights_returned_lines",
    )
    op.drop_table("shopcare_insights_returned_lines")
