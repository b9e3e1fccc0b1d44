"""merge the feedback and surveys heads (both branched from the cases' migrations)

Revision ID: b7d2f0c41a93
Revises: e430a962e2a7, 92b76132636f
Create Date: 2026-11-30 22:15:00
"""

from __future__ import annotations

revision = "b7d2f0c41a93"
down_revision = ("e430a962e2a7", "92b76132636f")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this only joins the two lines of migrations into one head."""


def downgrade() -> None:
    """Nothing to change."""
