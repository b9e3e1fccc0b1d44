"""insights: customer facts of the orders and NPS answers, the watermarks' seen_at;
orders by update time

Revision ID: b7408e84dde7
Revises: a7d41c0e9b52
Create Date: 2026-12-01 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shopcare.core.db


revision = "b7408e84dde7"
down_revision = "a7d41c0e9b52"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shopcare_insights_customer_orders",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer", sa.String(length=254), nullable=False),
        sa.Column("placed_at", shopcare.core.db.UTCDateTime(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("money", sa.BigInteger(), nullable=False),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("next_at", shopcare.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_shopcare_insights_customer_orders")),
    )
    with op.batch_alter_table("shopcare_insights_customer_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shopcare_insights_customer_orders_customer",
            ["customer", "placed_at"],
            unique=False,
        )
    op.create_table(
        "shopcare_insights_customer_nps",
        sa.Column("answer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer", sa.String(length=254), nullable=False),
        sa.Column("answered_at", shopcare.core.db.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("next_at", shopcare.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("answer_id", name=op.f("pk_shopcare_insights_customer_nps")),
    )
    with op.batch_alter_table("shopcare_insights_customer_nps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shopcare_insights_customer_nps_customer",
            ["customer", "answered_at"],
            unique=False,
        )
    with op.batch_alter_table("shopcare_insights_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_at", shopcare.core.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("shopcare_orders", schema=None) as batch_op:
        batch_op.create_index("ix_shopcare_orders_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shopcare_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_shopcare_orders_updated_at")
    with op.batch_alter_table("shopcare_insights_rollups", schema=None) as batch_op:
        batch_op.drop_column("seen_at")
    with op.batch_alter_table("shopcare_insights_customer_nps", schema=None) as batch_op:
        batch_op.drop_index("ix_shopcare_insights_customer_nps_customer")
    op.drop_table("shopcare_insights_customer_nps")
    with op.batch_alter_table("shopcare_insights_customer_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_shopcare_insights_customer_orders_customer")
    op.drop_table("shopcare_insights_customer_orders")
