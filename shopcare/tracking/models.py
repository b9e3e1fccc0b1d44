"""Shipments and the order lines each one carries (statuses: ``shopcare.tracking.statuses``)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, delete, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from shopcare.core.db import Base, utcnow
from shopcare.orders.models import Order, OrderLine
from shopcare.tracking.statuses import OPEN, PENDING, RESOLUTIONS, STATUSES


class Shipment(Base):
    """One parcel of an order (an order may ship in several), as its carrier tracks it.

    ``status`` is the newest normalised status; ``estimated_earliest`` /
    ``estimated_latest`` bound the delivery window computed when it shipped;
    ``late_notified_at`` is set once, when the ``shipment-late`` signal fired.
    """

    __tablename__ = "shopcare_shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shopcare_orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(24), default=PENDING)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    estimated_earliest: Mapped[datetime | None]
    estimated_latest: Mapped[datetime | None]
    #: ``"history"`` (the shop's own deliveries) or ``"carrier"`` (the configured default).
    estimate_source: Mapped[str | None] = mapped_column(String(16))
    late_notified_at: Mapped[datetime | None]
    #: ``open``, or how staff resolved a late parcel (:data:`RESOLUTIONS`): a resolved
    #: parcel leaves the late list; ``delivered`` counts it as delivered for the order.
    resolution: Mapped[str] = mapped_column(String(16), default=OPEN, server_default=OPEN)
    resolved_at: Mapped[datetime | None]
    #: Staff's latest note on the parcel (each note is also an event, for the audit trail).
    staff_note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("order_id", "carrier", "tracking_number"),
        Index("ix_shopcare_shipments_order_id", "order_id"),
        # The late list and the late check: undelivered statuses lead, then the window.
        Index("ix_shopcare_shipments_status_estimated_latest", "status", "estimated_latest"),
        # Delivery estimates: one carrier's recent deliveries.
        Index("ix_shopcare_shipments_carrier_delivered_at", "carrier", "delivered_at"),
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{status}'" for status in STATUSES)),
            name="status",
        ),
        CheckConstraint(
            "resolution IN ({})".format(", ".join(f"'{value}'" for value in (OPEN, *RESOLUTIONS))),
            name="resolution",
        ),
    )

    @property
    def tracking_url(self) -> str | None:
        """The carrier's tracking page for this parcel, from ``SHOPCARE_CARRIERS``; only a
        web address (``http``/``https``), so no link shopcare shows can run a script."""
        from shopcare.tracking.carriers import carrier_info

        template = carrier_info(self.carrier).get("tracking_url")
        if not template or not self.tracking_number:
            return None
        url = str(template).format(tracking_number=quote(self.tracking_number, safe=""))
        return url if urlsplit(url).scheme.lower() in ("http", "https") else None

    @property
    def carrier_name(self) -> str:
        """The carrier's display name, from ``SHOPCARE_CARRIERS``."""
        from shopcare.tracking.carriers import carrier_info

        return str(carrier_info(self.carrier).get("name") or self.carrier)

    def __repr__(self) -> str:
        return f"<Shipment {self.id} {self.carrier}:{self.tracking_number} {self.status}>"


class ShipmentLine(Base):
    """How many units of one order line travel in a shipment."""

    __tablename__ = "shopcare_shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_shipments.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("shopcare_order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    __table_args__ = (
        UniqueConstraint("shipment_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    def __repr__(self) -> str:
        return f"<ShipmentLine {self.order_line_id} x{self.quantity}>"


@event.listens_for(OrderLine, "after_delete")
def _units_of_a_removed_line(
    mapper: Mapper[OrderLine], connection: Connection, line: OrderLine
) -> None:
    """When the host's update of an order removes a line, the units of it that shipped
    go with it on SQLite as on PostgreSQL (whose ``ON DELETE CASCADE`` does this; SQLite
    leaves foreign keys unenforced unless the host turns them on), so no shipment is
    left carrying a line that is gone."""
    connection.execute(delete(ShipmentLine).where(ShipmentLine.order_line_id == line.id))
