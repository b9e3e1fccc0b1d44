"""orders: reference_key, the reference as it is matched

Revision ID: 7367072666ad
Revises: ddca0a005f49
Create Date: 2026-11-30 18:13:03.661659
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

import shopcare.core.db


revision = '7367072666ad'
down_revision = 'ddca0a005f49'
branch_labels = None
depends_on = None


def _key(reference: str) -> str:
    # shopcare.orders.services.reference_key as of this revision (copied, so that this
    # revision never changes): case, spaces and a leading "#" set aside.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", reference)).lstrip("#").casefold()


def upgrade() -> None:
    with op.batch_alter_table('shopcare_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference_key', sa.String(length=64), nullable=True))

    orders = sa.table('shopcare_orders', sa.column('id', sa.Integer), sa.column('reference', sa.String), sa.column('reference_key', sa.String))
    bind = op.get_bind()
    keys: dict[str, list[str]] = {}
    for order_id, reference in bind.execute(sa.select(orders.c.id, orders.c.reference)).all():
        key = _key(reference) or reference
        keys.setdefault(key, []).append(reference)
        bind.execute(orders.update().where(orders.c.id == order_id).values(reference_key=key))
    clashes = sorted(refs for refs in keys.values() if len(refs) > 1)
    if clashes:
        raise RuntimeError(
            "these order references differ only in case, spaces or a leading '#', and "
            f"shopcare now matches them as one: {clashes}; rename all but one and upgrade again"
        )

    with op.batch_alter_table('shopcare_orders', schema=None) as batch_op:
        batch_op.alter_column('reference_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_shopcare_orders_reference'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_shopcare_orders_reference_key'), ['reference_key'])


def downgrade() -> None:
    with op.batch_alter_table('shopcare_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shopcare_orders_reference_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_shopcare_orders_reference'), ['reference'])
        batch_op.drop_column('reference_key')
