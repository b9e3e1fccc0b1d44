"""The rollups' watermark rows (``shopcare_insights_rollups``), shared by the answers'
rollup and the customer facts."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select

from shopcare.core.db import session, utcnow
from shopcare.insights.models import Rollup


def _locked(name: str) -> Rollup | None:
    return (
        session()
        .execute(
            select(Rollup)
            .where(Rollup.name == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .scalar_one_or_none()
    )


def locked_watermark(name: str) -> Rollup:
    """The watermark row of the rollup ``name``, locked for this transaction (created
    when missing)."""
    found = _locked(name)
    if found is not None:
        return found
    dialect = session().get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    session().execute(
        upsert(cast(Any, Rollup.__table__))
        .values(name=name, zone="", until=None, last_id=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    made = _locked(name)
    assert made is not None  # inserted above, or by a concurrent run
    return made
