"""Similar suggestions: the words a shopper types, matched against published
suggestions' subjects and messages.

Whatever is typed is reduced to plain words (letters and digits) before it reaches the
database, so search syntax from shoppers (``T-Shirt``, ``don't``, ``size: 42``, a lone
``"``, ``@home``, ``NEAR(``, ``OR``) is only ever text: ``T-Shirt`` looks for "t" and
"shirt" and finds "T-Shirt too small". Each word must appear (as a prefix of a word, so
"shi" finds "shirt" while typing); results are the most voted first.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from shopcare.core.db import session
from shopcare.feedback.models import Ticket

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def words(typed: str) -> list[str]:
    """The plain words of ``typed``, lower case, at most :data:`MAX_WORDS`, each at
    least two characters (a lone letter matches everything)."""
    found = [w.casefold() for w in _WORD.findall(typed or "") if len(w) >= 2]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(typed: str, *, limit: int = 5) -> list[Ticket]:
    """Published suggestions containing every word of ``typed`` (see the module)."""
    terms = words(typed)
    if not terms:
        return []
    haystack = func.lower(Ticket.subject + " " + Ticket.message)
    query = select(Ticket).where(Ticket.kind == "suggestion", Ticket.published.is_(True))
    for term in terms:
        pattern = _escape(term)
        query = query.where(
            or_(haystack.like(f"{pattern}%", escape="\\"), haystack.like(f"% {pattern}%", escape="\\"),
                haystack.like(f"%-{pattern}%", escape="\\"))
        )  # fmt: skip
    query = query.order_by(Ticket.vote_count.desc(), Ticket.id.desc()).limit(limit)
    return list(session().scalars(query))
