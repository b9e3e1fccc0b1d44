"""A small per-process cache for rendered page fragments.

:class:`LRUCache` is a thread-safe, bounded least-recently-used map whose entries
expire; :func:`page_cache` is the current app's instance, sized by
``SHOPCARE_PAGE_CACHE_SIZE`` (entries; ``0`` turns caching off) with entries living at
most ``SHOPCARE_PAGE_CACHE_SECONDS``.

The cache lives in each process's memory: every gunicorn worker, on every host, keeps
its own entries and never hears about another process's writes. What keeps them
correct is the key, not the storage: a page keys its fragment by a version stamp
that changes whenever anything the fragment shows changes (read in the same query
that loads the page's main row), plus everything else the output depends on (locale,
time zone). A stale entry is then simply never asked for again, and falls out of
the LRU. The TTL bounds what no stamp can see (a row changed behind the services'
back, a clock-driven state).

Only content that is the same for everyone allowed to see it goes in: never CSRF
tokens, flashed messages, the layout or anything else that belongs to one request.
Access checks run before the cache is consulted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from shopcare.core.config import setting
from shopcare.core.state import get_state

V = TypeVar("V")


class LRUCache(Generic[V]):
    """A bounded map from hashable keys to values that expire.

    :param max_entries: the most entries kept; the least recently used go first.
    :param ttl: the most seconds an entry lives (:meth:`set` may ask for less).
    :param clock: seconds, monotonic (tests may pass their own).
    """

    def __init__(
        self, max_entries: int, ttl: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl = float(ttl)
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key``, or ``None`` when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: Hashable, value: V, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (at most the cache's own TTL); a TTL of
        zero or less stores nothing."""
        seconds = self.ttl if ttl is None else min(float(ttl), self.ttl)
        if seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def page_cache() -> LRUCache[object] | None:
    """The current app's fragment cache, or ``None`` when ``SHOPCARE_PAGE_CACHE_SIZE``
    is ``0`` (every page renders in full)."""
    size = int(setting("SHOPCARE_PAGE_CACHE_SIZE") or 0)
    if size <= 0:
        return None
    seconds = float(setting("SHOPCARE_PAGE_CACHE_SECONDS"))
    state = get_state()
    cache: LRUCache[object] | None = state.page_cache
    if cache is None or cache.max_entries != size or cache.ttl != seconds:
        # First use, or the settings changed: start afresh. Two threads racing here
        # each make one and one wins; the other's entry is merely lost.
        cache = LRUCache(size, seconds)
        state.page_cache = cache
    return cache
