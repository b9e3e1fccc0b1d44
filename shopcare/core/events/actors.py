"""Who did something, as the event log records it: :class:`Actor`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context

from shopcare.core.access import current_user, is_staff
from shopcare.core.errors import ValidationError

ACTOR_KINDS = ("shopper", "staff", "api_key", "system")


@dataclass(frozen=True)
class Actor:
    """Who did something: a shopper, a staff member, an API key or shopcare itself.

    ``id`` is the host's user id (or the API key's id) as an opaque string;
    ``label`` is what a person reads (an e-mail, a key's name, ``"guest"``).
    """

    kind: str
    id: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValidationError("actor", f"kind must be one of {', '.join(ACTOR_KINDS)}")

    @classmethod
    def system(cls, label: str | None = None) -> Actor:
        """shopcare itself (the worker, a periodic task, a CLI command)."""
        return cls("system", None, label)

    @classmethod
    def shopper(cls, id: str | int | None, label: str | None = None) -> Actor:
        """A shopper, logged in (``id``) or a guest (``id=None``)."""
        return cls("shopper", None if id is None else str(id), label)

    @classmethod
    def staff(cls, id: str | int, label: str | None = None) -> Actor:
        """A member of the shop's staff."""
        return cls("staff", str(id), label)

    @classmethod
    def api_key(cls, id: str | int, label: str | None = None) -> Actor:
        """A caller of the JSON API, by its key."""
        return cls("api_key", str(id), label)

    @classmethod
    def current(cls) -> Actor:
        """Who is acting now.

        In a request: the API key the api package authenticated
        (``g.shopcare_api_key``), else the logged-in staff member or shopper, else a
        guest shopper. Outside a request (CLI, worker): the system.
        """
        if not has_request_context():
            return cls.system()
        key = g.get("shopcare_api_key")
        if key is not None:
            return cls.api_key(key.id, getattr(key, "name", None))
        user = current_user()
        if user is None:
            return cls("shopper", None, "guest")
        label = getattr(user, "email", None)
        user_id = str(user.get_id())
        return cls.staff(user_id, label) if is_staff(user) else cls.shopper(user_id, label)
