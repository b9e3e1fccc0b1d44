"""feedback: canned replies get an optional area, a version (edit conflicts) and who saved them

Revision ID: a7d41c0e9b52
Revises: 5f3c2a9d7e41
Create Date: 2026-12-01 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7d41c0e9b52"
down_revision = "5f3c2a9d7e41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shopcare_canned_replies") as batch:
        batch.add_column(sa.Column("area", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shopcare_canned_replies") as batch:
        batch.drop_column("updated_by")
        batch.drop_column("version")
        batch.drop_column("area")
