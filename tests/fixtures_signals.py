"""Fixture ``signals_recorder``: record what shopcare's signals send during a block.

::

    def test_x(signals_recorder, care):
        with signals_recorder("order-recorded", "event-recorded") as received:
            care.orders.record(...)
        assert [name for name, sender, kwargs in received] == ["event-recorded", "order-recorded"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

import pytest
from flask import Flask

from shopcare.core.signals import namespace

Received = list[tuple[str, Any, dict[str, Any]]]


@pytest.fixture
def signals_recorder(app: Flask) -> Callable[..., AbstractContextManager[Received]]:
    """``with signals_recorder("name", ...) as received:`` collects ``(name, sender, kwargs)``
    for signals sent by the test's app, in the order they were sent."""

    @contextmanager
    def recorder(*names: str) -> Iterator[Received]:
        unknown = [name for name in names if name not in namespace]
        if unknown or not names:
            raise ValueError(f"unknown shopcare signal(s) {unknown}; known: {sorted(namespace)}")
        received: Received = []
        with ExitStack() as stack:
            for name in names:

                def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
                    received.append((_name, sender, kwargs))

                stack.enter_context(namespace[name].connected_to(receiver, app))
            yield received

    return recorder
