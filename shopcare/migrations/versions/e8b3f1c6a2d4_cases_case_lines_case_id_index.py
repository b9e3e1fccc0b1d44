"""cases: index the case lines by case (the order page's facts statement joins them)

Without it, the order page's one statement of the order's case lines and parcel lines
(``cases.services.order_facts``) reads every case line of the shop: SQLite scans the
table and looks each case up, however few belong to the order.

Revision ID: e8b3f1c6a2d4
Revises: d5e1a7c3b902
Create Date: 2026-12-01 17:30:00.000000
"""

from __future__ import annotations

from alembic import op


revision = "e8b3f1c6a2d4"
down_revision = "d5e1a7c3b902"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shopcare_case_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopcare_case_lines_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shopcare_case_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopcare_case_lines_case_id"))
