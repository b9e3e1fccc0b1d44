"""API keys: the credentials a shop's back office uses to call the JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shopcare.core.db import Base, utcnow


class ApiKey(Base):
    """One API key. Only a SHA-256 of the key is stored; the key itself is shown once.

    ``prefix`` is the key's first characters: it finds the row without revealing the
    key and tells keys apart in listings.
    """

    __tablename__ = "shopcare_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(500), default="")  # space-separated, as in OAuth 2
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        """The key's scopes as a set."""
        return frozenset(self.scopes.split())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix}… {self.name!r}>"
