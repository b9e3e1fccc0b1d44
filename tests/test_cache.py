"""shopcare.core.cache: the bounded, expiring, thread-safe LRU map and the app's page cache."""

from __future__ import annotations

import threading

import pytest

from shopcare.core.cache import LRUCache, page_cache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keeps_at_most_max_entries_dropping_the_least_recently_used():
    cache: LRUCache[str] = LRUCache(2, 60)
    cache.set("a", "A")
    cache.set("b", "B")
    assert cache.get("a") == "A"  # "a" is now the most recently used
    cache.set("c", "C")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == ("A", "C", 2)


def test_entries_expire_after_the_ttl_or_sooner_when_asked():
    clock = Clock()
    cache: LRUCache[str] = LRUCache(10, 60, clock=clock)
    cache.set("long", "L")
    cache.set("short", "S", ttl=5)
    cache.set("capped", "C", ttl=3600)  # never beyond the cache's own TTL
    clock.now += 5
    assert cache.get("short") is None
    assert cache.get("long") == "L" and cache.get("capped") == "C"
    clock.now += 55
    assert cache.get("long") is None and cache.get("capped") is None
    assert len(cache) == 0


def test_a_ttl_of_zero_or_less_stores_nothing():
    cache: LRUCache[str] = LRUCache(10, 60)
    cache.set("now", "N", ttl=0)
    cache.set("past", "P", ttl=-3)
    assert cache.get("now") is None and cache.get("past") is None and len(cache) == 0


def test_replacing_a_key_and_clearing():
    cache: LRUCache[str] = LRUCache(10, 60)
    cache.set("k", "old")
    cache.set("k", "new")
    assert cache.get("k") == "new" and len(cache) == 1
    cache.clear()
    assert cache.get("k") is None


def test_refuses_a_size_below_one():
    with pytest.raises(ValueError):
        LRUCache(0, 60)


def test_threads_share_it_safely():
    cache: LRUCache[int] = LRUCache(50, 60)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(2000):
                key = (offset + number) % 80
                cache.set(key, number)
                cache.get((key + 7) % 80)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n * 13,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(cache) <= 50


def test_page_cache_follows_the_settings(app):
    cache = page_cache()
    assert cache is not None and cache.max_entries == 1000 and cache.ttl == 300
    assert page_cache() is cache  # one per app
    app.config["SHOPCARE_PAGE_CACHE_SECONDS"] = 30
    smaller = page_cache()
    assert smaller is not None and smaller is not cache and smaller.ttl == 30
    app.config["SHOPCARE_PAGE_CACHE_SIZE"] = 0
    assert page_cache() is None
