"""The exceptions shopcare raises at its public boundary."""

from __future__ import annotations

from collections.abc import Mapping


class ShopCareError(Exception):
    """Base class of every error shopcare raises on purpose."""


class ValidationError(ShopCareError, ValueError):
    """Input was rejected; nothing was written.

    :param fields: a mapping of field name to message, or a single field name
        when ``message`` is given.
    """

    def __init__(self, fields: Mapping[str, str] | str, message: str | None = None) -> None:
        if isinstance(fields, str):
            fields = {fields: message or "is invalid"}
        self.fields: dict[str, str] = dict(fields)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.fields.items()))

    @property
    def field(self) -> str:
        """The first field named, for the common single-field case."""
        return next(iter(self.fields))


class NotFound(ShopCareError, LookupError):
    """The thing asked for does not exist (or is not the caller's to see)."""


class TransitionError(ShopCareError):
    """A state machine refused a move."""

    def __init__(
        self, kind: str, from_state: str, to_state: str, *, concurrent: bool = False
    ) -> None:
        self.kind, self.from_state, self.to_state = kind, from_state, to_state
        #: True when the move was allowed but another writer changed the row first.
        self.concurrent = concurrent
        if concurrent:
            message = f"{kind} was changed by someone else before it could go to {to_state!r}"
        else:
            message = f"{kind} cannot go from {from_state!r} to {to_state!r}"
        super().__init__(message)


class ConfigError(ShopCareError, KeyError):
    """An unknown ``SHOPCARE_*`` setting was read, or a setting has a bad value."""
