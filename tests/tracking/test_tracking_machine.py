"""The shipment's status machine is one transition table (``statuses.SHIPMENT``, a
``core.machine.Machine``): the replay of carrier events consults it and nothing else,
it refuses the moves the rules forbid, and the README's table is generated from it."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest

from shopcare import TransitionError
from shopcare.core.machine import Machine, Move
from shopcare.tracking import statuses
from shopcare.tracking.events import EVENTS, status_event
from shopcare.tracking.statuses import (
    DELIVERED,
    EXCEPTION,
    IN_TRANSIT,
    PENDING,
    SHIPMENT,
    STATUSES,
    replay,
)
from tests.tracking.helpers import T0

README = Path(__file__).resolve().parents[2] / "README.md"


def status_after(*events: str) -> str:
    """The status events give, one a minute apart, from ``pending``."""
    timed = [(status, T0 + timedelta(minutes=i)) for i, status in enumerate(events, start=1)]
    return replay(timed, since=T0).status


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair_of_statuses_moves_exactly_when_the_table_allows_it(source, target):
    # Reach ``source`` (pending may move to every other status), then replay ``target``.
    reached = (source,) if source != PENDING else ()
    assert status_after(*reached) == source
    expected = target if SHIPMENT.allows(source, target) else source
    assert status_after(*reached, target) == expected
    if SHIPMENT.allows(source, target):
        move = SHIPMENT.check(source, target)
        assert (move.event, move.public) == (status_event(target), True)
    else:
        with pytest.raises(TransitionError) as refused:
            SHIPMENT.check(source, target)
        assert (refused.value.from_state, refused.value.to_state) == (source, target)


def test_the_table_says_what_the_rules_say():
    assert SHIPMENT.states == STATUSES
    assert SHIPMENT.targets(DELIVERED) == (EXCEPTION,)  # the one terminal status
    for status in STATUSES:
        assert not SHIPMENT.allows(status, status)
    for status in STATUSES[2:]:  # the carrier has the parcel: no going back
        assert not SHIPMENT.allows(status, PENDING)
        assert not SHIPMENT.allows(status, "info_received")
    assert len(SHIPMENT.moves) == 53
    # Every move writes a carrier event of tracking's vocabulary.
    assert set(SHIPMENT.events) == {status_event(s) for s in STATUSES}
    assert set(SHIPMENT.events) <= set(EVENTS)


def test_an_illegal_move_is_refused_by_the_table():
    with pytest.raises(TransitionError):
        SHIPMENT.check(DELIVERED, IN_TRANSIT)
    # A scan after delivery joins the timeline without moving the status.
    assert status_after(IN_TRANSIT, DELIVERED, IN_TRANSIT) == DELIVERED
    assert status_after(IN_TRANSIT, DELIVERED, EXCEPTION, IN_TRANSIT) == IN_TRANSIT


def test_the_replay_consults_the_table_and_nothing_else(monkeypatch):
    """Take a move out of the table and the replay stops making it."""
    stricter = Machine(
        "shipment",
        states=STATUSES,
        moves=[m for m in SHIPMENT.moves if (m.source, m.target) != (DELIVERED, EXCEPTION)],
    )
    monkeypatch.setattr(statuses, "SHIPMENT", stricter)
    assert status_after(DELIVERED, EXCEPTION) == DELIVERED
    wider = Machine(
        "shipment",
        states=STATUSES,
        moves=[*SHIPMENT.moves, Move(DELIVERED, IN_TRANSIT, status_event(IN_TRANSIT))],
    )
    monkeypatch.setattr(statuses, "SHIPMENT", wider)
    assert status_after(DELIVERED, IN_TRANSIT) == IN_TRANSIT


def test_the_readme_shows_the_table_generated_from_the_machine():
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- shipment-moves: generated from shopcare.tracking.statuses.SHIPMENT -->\n"
        r"(.*?)\n<!-- /shipment-moves -->",
        text,
        re.S,
    )
    assert match, "the README lost its table of shipment moves"
    assert match.group(1) == SHIPMENT.markdown(), (
        "regenerate the README's table: SHIPMENT.markdown()"
    )
