"""``url_for`` for the links a page writes on every request, without building each.

The order page's panels link to a handful of endpoints with the order's reference and
the guest key. Flask's ``url_for`` runs werkzeug's URL builder for each (some forty
calls: the adapter, the rule's converters, the query's encoding). :func:`page_url`
gives the same string from a pattern built once per app, mount point, host, endpoint
and the names given: the pattern is what ``url_for`` gave for stand-in values, and the
values go where the stand-ins were, quoted as werkzeug quotes a path segment of the
default converter or a query value.

The pattern is checked once against ``url_for`` with values full of characters that
need quoting; an endpoint it does not match (another converter, host matching), an
endpoint with several rules, and an app that puts anything of the request's in its
URLs (``url_defaults``, a subclass's ``url_for`` or ``inject_url_defaults``) keep
using ``url_for``. The key holds the request's host, which the client chooses: past
:data:`MAX_PATTERNS` keys, new ones are built by ``url_for`` (slower, still right).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote, quote_plus

from flask import Flask, current_app, has_request_context, request, url_for

__all__ = ["page_url"]

#: What werkzeug leaves unquoted in a path segment (``BaseConverter.to_url``) and in a
#: query value (``werkzeug.urls._urlencode``).
PATH_SAFE = "!$&'()*+,/:;=@"
QUERY_SAFE = "!$'()*,/:;?@"

#: Patterns kept per app at most: the key holds the request's host, which a client
#: chooses (past this, every link is built by ``url_for``).
MAX_PATTERNS = 512

#: A value with every kind of character the two quotings treat differently.
_AWKWARD = "a b/é?&=#%+'\"<>~;:@$!*,()[]\\^`{}|\x7f"

Pattern = Callable[[dict[str, Any]], str]


def page_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for an absolute ``endpoint`` and plain values (a
    value of ``None`` is left out, as ``url_for`` leaves it out of the query).

    :raises werkzeug.routing.BuildError: as ``url_for`` raises it.
    """
    given = {name: value for name, value in values.items() if value is not None}
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not has_request_context() or not _plain(app):
        return url_for(endpoint, **given)
    patterns: dict[tuple[Any, ...], Pattern | None] = app.extensions.setdefault(
        "shopcare.url_patterns", {}
    )
    key = (request.script_root, request.host, endpoint, *given)
    if key in patterns:
        pattern = patterns[key]
    else:
        pattern = _pattern(endpoint, tuple(given))
        if len(patterns) < MAX_PATTERNS:
            patterns[key] = pattern
    if pattern is None:
        return url_for(endpoint, **given)
    return pattern(given)


def _plain(app: Flask) -> bool:
    """Whether ``app`` builds URLs as Flask does with nothing of the request's in them:
    no ``url_defaults`` functions, and neither ``url_for`` nor ``inject_url_defaults``
    overridden by a subclass."""
    kind = type(app)
    return (
        not app.url_default_functions
        and kind.url_for is Flask.url_for
        and kind.inject_url_defaults is Flask.inject_url_defaults
    )


def _pattern(endpoint: str, names: tuple[str, ...]) -> Pattern | None:
    """The pattern of ``url_for(endpoint, **{name: …})``, or ``None`` when it does not
    give what ``url_for`` gives."""
    if len(list(current_app.url_map.iter_rules(endpoint))) != 1:
        return None  # werkzeug picks one of several rules by the values given
    stand_ins = {name: f"scx{index}x" for index, name in enumerate(names)}
    built = url_for(endpoint, **cast(dict[str, Any], stand_ins))
    path = built.partition("?")[0]
    if any(built.count(stand_in) != 1 for stand_in in stand_ins.values()):
        return None
    pieces: list[str] = []
    fills: list[tuple[str, Callable[[str], str]]] = []
    rest = built
    # In the order they came out (the rule's, then the query's).
    for name, stand_in in sorted(stand_ins.items(), key=lambda item: built.index(item[1])):
        before, _, rest = rest.partition(stand_in)
        pieces.append(before)
        fills.append((name, _path_part if stand_in in path else _query_part))
    tail = rest

    def pattern(values: dict[str, Any]) -> str:
        parts = []
        for piece, (name, fill) in zip(pieces, fills, strict=True):
            parts.append(piece)
            parts.append(fill(str(values[name])))
        parts.append(tail)
        return "".join(parts)

    awkward = {name: f"{_AWKWARD}{index}" for index, name in enumerate(names)}
    try:
        expected = url_for(endpoint, **cast(dict[str, Any], awkward))
    except Exception:  # a converter that refuses the awkward value: keep url_for
        return None
    return pattern if pattern(awkward) == expected else None


def _path_part(value: str) -> str:
    return quote(value, safe=PATH_SAFE)


def _query_part(value: str) -> str:
    return quote_plus(value, safe=QUERY_SAFE)
