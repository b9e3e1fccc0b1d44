"""Similar suggestions: the words a shopper types, matched by the database's full-text
search against published suggestions (the index in :mod:`shopcare.feedback.fts`).

Whatever is typed is reduced to plain words before it reaches the database: accents
folded, lower case, letters and digits only (:func:`words`). Search syntax from
shoppers (``T-Shirt``, ``don't``, ``size: 42``, a lone ``"``, ``@home``, ``NEAR(``,
``AND OR NOT``, ``*``, ``-``) is therefore only ever text: ``T-Shirt`` looks for
"shirt" (a lone letter is dropped) and finds "T-Shirt too small". Each word must
appear; the last word is matched as a prefix (the word being typed: "packag" finds
"packaging"). The words then go into the search language quoted, never as syntax:

* SQLite FTS5: ``"w1" "w2" "last"*`` (each word a quoted string, ``"`` doubled;
  juxtaposed strings must all match), ranked by ``bm25`` with the subject weighing
  four times the message;
* PostgreSQL: ``'w1' & 'w2' & 'last':*`` (each word a quoted lexeme, ``'`` doubled,
  ``\\`` escaped) passed as a bound parameter to ``to_tsquery`` in each of the
  ``english``, ``spanish`` and ``simple`` configurations, OR-ed: a suggestion indexed
  in its own language matches the query stemmed in that language (stop words of that
  language drop out of its query); ranked by ``ts_rank``.

Only published suggestions are ever found: the index holds nothing else, and the query
checks ``kind`` and ``published`` again.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import column, select, table, text
from sqlalchemy.orm import lazyload

from shopcare.core.db import session
from shopcare.feedback import fts
from shopcare.feedback.models import Ticket

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORDS = 8
#: At most this much of what is typed is looked at (characters).
MAX_TYPED = 200
SORTS = ("relevance", "votes", "newest")
_POSTGRES_CONFIGS = ("english", "spanish", "simple")
_FOLD = str.maketrans(fts.ACCENTED, fts.FOLDED)


def words(typed: str) -> list[str]:
    """The plain words of ``typed``: accents folded, lower case, letters and digits
    only, at least two characters each (a lone letter matches everything), without
    repeats, at most :data:`MAX_WORDS`."""
    folded = unicodedata.normalize("NFKD", str(typed or "")[:MAX_TYPED].translate(_FOLD))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    found = [w.lower() for w in _WORD.findall(plain) if len(w) >= 2]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def fts5_query(terms: list[str]) -> str:
    """The FTS5 MATCH expression for ``terms``: quoted strings, the last a prefix."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(terms: list[str]) -> str:
    """The ``to_tsquery`` text for ``terms``: quoted lexemes AND-ed, the last a prefix."""
    quoted = ["'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms]
    quoted[-1] += ":*"
    return " & ".join(quoted)


_FTS = table(fts.TABLE, column("rowid"))


def search(typed: str, *, limit: int = 5, sort: str = "relevance") -> list[Ticket]:
    """Published suggestions containing every word of ``typed`` (see the module).

    :param sort: ``relevance`` (best match first, then most voted), ``votes`` (most
        voted, then newest) or ``newest``.
    :returns: at most ``limit`` tickets; ``[]`` when nothing searchable was typed.
    """
    terms = words(typed)
    if not terms:
        return []
    db = session()
    query = (
        select(Ticket)
        .where(Ticket.kind == "suggestion", Ticket.published.is_(True))
        # one statement: the messages and the order load only if asked for
        .options(lazyload(Ticket.messages), lazyload(Ticket.order))
    )
    relevance: Any
    if db.get_bind().dialect.name == "postgresql":
        wanted = " || ".join(f"to_tsquery('{config}', :q)" for config in _POSTGRES_CONFIGS)
        query = query.where(
            text(f"shopcare_tickets.{fts.COLUMN} @@ ({wanted})").bindparams(q=tsquery(terms))
        )
        relevance = text(f"ts_rank(shopcare_tickets.{fts.COLUMN}, ({wanted})) DESC").bindparams(
            q=tsquery(terms)
        )
    else:
        query = query.join(_FTS, _FTS.c.rowid == Ticket.id).where(
            text(f"{fts.TABLE} MATCH :q").bindparams(q=fts5_query(terms))
        )
        relevance = text(f"bm25({fts.TABLE}, 4.0, 1.0)")
    if sort == "newest":
        order: tuple[Any, ...] = (Ticket.created_at.desc(), Ticket.id.desc())
    elif sort == "votes":
        order = (Ticket.vote_count.desc(), Ticket.created_at.desc(), Ticket.id.desc())
    else:
        order = (relevance, Ticket.vote_count.desc(), Ticket.id.desc())
    return list(db.scalars(query.order_by(*order).limit(max(1, min(int(limit), 50)))))
