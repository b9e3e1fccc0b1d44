"""Paged lists: a page of results (:class:`Page`) and the ``?page=`` it was asked for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import abort, request

from shopcare.core.validation import check_int

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, numbered from 1 (``total`` when it was counted)."""

    items: list[T]
    page: int
    per_page: int
    has_next: bool
    total: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.per_page))


#: No list is paged further than this; a larger ``?page=`` is a 404, not a query.
MAX_PAGE = 10_000


def page_number() -> int:
    """The ``?page=`` of a paged list: 1 when absent or not a number, at least 1, and a
    404 past :data:`MAX_PAGE` (a huge number would otherwise overflow the database's
    integers)."""
    page = request.args.get("page", 1, type=int) or 1
    if page > MAX_PAGE:
        abort(404)
    return max(page, 1)


#: The most rows a page of a service's list holds.
MAX_PER_PAGE = 10_000


def paging(page: Any, per_page: Any) -> tuple[int, int]:
    """A service's ``page`` and ``per_page`` arguments, checked: 1…:data:`MAX_PAGE` and
    1…:data:`MAX_PER_PAGE`.

    :raises ValidationError: naming the one out of range (or not a whole number).
    """
    return (
        check_int(page, "page", minimum=1, maximum=MAX_PAGE),
        check_int(per_page, "per_page", minimum=1, maximum=MAX_PER_PAGE),
    )
