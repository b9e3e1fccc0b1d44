"""A state machine as data, and the one guarded way to move a row along it.

A :class:`Machine` lists its states and the moves it allows; each :class:`Move` names
the event it writes to the event log. :meth:`Machine.move` performs the move as one
conditional UPDATE (``… WHERE id = :id AND status = :from [AND version = :v]``), so of
two workers or two staff members making a move at once exactly one wins and the other
gets :class:`~shopcare.TransitionError`; then it writes the event, in the caller's
transaction (flushed, never committed).

::

    CASE = Machine(
        "case",
        states=("requested", "approved", "rejected", "cancelled"),
        moves=[
            Move("requested", "approved", "case.approved"),
            Move("requested", "rejected", "case.rejected"),
            Move("requested", "cancelled", "case.cancelled"),
        ],
    )
    CASE.move(Case, case.id, "approved", expected="requested", actor=Actor.current())

The pattern is the one django-fsm and Saleor's order events share: the table of
allowed moves is data a test can walk, and the write is guarded by the database, not
by a read-then-write in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from shopcare.core.db import session
from shopcare.core.errors import TransitionError
from shopcare.core.events import record_event


@dataclass(frozen=True)
class Move:
    """One allowed move: ``source → target``, writing the event ``event``.

    :param source: the state the row must be in.
    :param target: the state it goes to.
    :param event: the event-log action written for the move (``"<kind>.<verb>"``);
        ``None`` writes no event (for moves recorded elsewhere, e.g. a worker's lease).
    :param public: whether that event shows on the shopper's timeline.
    """

    source: str
    target: str
    event: str | None
    public: bool = False


@dataclass(frozen=True)
class Outcome:
    """What :meth:`Machine.move` did: the move, and the event it wrote (or ``None``)."""

    move: Move
    event: Any | None


@dataclass(frozen=True)
class Machine:
    """A state machine: its ``name`` (the event log's subject kind), its states and moves.

    :param status_column: the model attribute that holds the state.
    :param version_column: an optional integer attribute bumped by every move and
        checked by :meth:`move` when the caller passes ``version`` (optimistic locking
        for people editing the same row).
    :raises ValueError: when a move names an unknown state or a pair appears twice.
    """

    name: str
    states: tuple[str, ...]
    moves: tuple[Move, ...]
    status_column: str = "status"
    version_column: str | None = None
    _table: Mapping[tuple[str, str], Move] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        name: str,
        *,
        states: Iterable[str],
        moves: Iterable[Move],
        status_column: str = "status",
        version_column: str | None = None,
    ) -> None:
        states = tuple(states)
        moves = tuple(moves)
        table: dict[tuple[str, str], Move] = {}
        for move in moves:
            for state in (move.source, move.target):
                if state not in states:
                    raise ValueError(
                        f"{name}: move {move.source}->{move.target} names unknown state {state!r}"
                    )
            key = (move.source, move.target)
            if key in table:
                raise ValueError(f"{name}: the move {key[0]}->{key[1]} is listed twice")
            table[key] = move
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "moves", moves)
        object.__setattr__(self, "status_column", status_column)
        object.__setattr__(self, "version_column", version_column)
        object.__setattr__(self, "_table", table)

    @property
    def events(self) -> tuple[str, ...]:
        """Every event name the machine writes (for the domain's event vocabulary)."""
        return tuple(dict.fromkeys(m.event for m in self.moves if m.event is not None))

    def allows(self, source: str, target: str) -> bool:
        """Whether the table has the move ``source → target``."""
        return (source, target) in self._table

    def targets(self, source: str) -> tuple[str, ...]:
        """The states reachable from ``source`` in one move (for showing the actions)."""
        return tuple(target for (s, target) in self._table if s == source)

    def sources(self, target: str) -> tuple[str, ...]:
        """The states from which the table allows a move to ``target`` (for batch UPDATEs
        that guard with ``status IN (…)``, such as the outbox worker's claim)."""
        return tuple(source for (source, t) in self._table if t == target)

    def markdown(self) -> str:
        """The table as Markdown, a row per state with the states it may move to (``—``:
        none): what a README shows, generated from the machine so it cannot drift."""
        rows = ["| from | may move to |", "|---|---|"]
        for state in self.states:
            targets = ", ".join(f"`{target}`" for target in self.targets(state))
            rows.append(f"| `{state}` | {targets or '—'} |")
        return "\n".join(rows)

    def check(self, source: str, target: str) -> Move:
        """The move ``source → target``.

        :raises TransitionError: when the table does not allow it.
        """
        found = self._table.get((source, target))
        if found is None:
            raise TransitionError(self.name, source, target)
        return found

    def move(
        self,
        model: type[Any],
        row_id: Any,
        target: str,
        *,
        expected: str | Iterable[str] | None = None,
        version: int | None = None,
        values: Mapping[str, Any] | None = None,
        where: Iterable[Any] = (),
        actor: Any | None = None,
        data: dict[str, Any] | None = None,
        occurred_at: Any | None = None,
        subject_id: Any | None = None,
        record: bool = True,
    ) -> Outcome:
        """Move the row ``model.id == row_id`` to ``target``, guarded by the database.

        :param expected: the state (or states) the caller believes the row is in; by
            default every state the table allows a move to ``target`` from.
        :param version: when given (and the machine has a ``version_column``), the
            move only happens if the row's version is still this one, and bumps it.
        :param values: other columns to set in the same UPDATE.
        :param where: more conditions the row must meet (e.g. a worker's lease token).
        :param actor: who moves it, for the event (``None``: whoever is acting now).
        :param data: details for the event.
        :param subject_id: the event's subject id when it is not ``row_id``.
        :param record: write the move's event (``False`` when the caller writes a
            richer one itself).
        :returns: the :class:`Outcome`.
        :raises TransitionError: when the table does not allow the move from the row's
            current state, when another writer moved or edited the row first, or when
            the row does not exist. Nothing is written then.
        """
        if target not in self.states:
            raise TransitionError(self.name, "?", target)
        if expected is None:
            believed = None
        else:
            believed = (expected,) if isinstance(expected, str) else tuple(expected)
        status = getattr(model, self.status_column)
        db = session()
        if believed is not None and len(believed) == 1:
            current = believed[0]  # the caller knows the state: no read before the write
        else:
            found = db.execute(select(status).where(model.id == row_id)).scalar_one_or_none()
            if found is None:
                raise TransitionError(self.name, "missing", target)
            current = str(found)
            if believed is not None and current not in believed:
                # The caller saw another state: someone else moved the row meanwhile.
                raise TransitionError(self.name, current, target, concurrent=True)
        chosen = self.check(current, target)
        changes: dict[str, Any] = {self.status_column: target, **(values or {})}
        statement = update(model).where(model.id == row_id, status == current, *where)
        if self.version_column is not None:
            column = getattr(model, self.version_column)
            changes[self.version_column] = column + 1
            if version is not None:
                statement = statement.where(column == version)
        result = db.execute(statement.values(**changes))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            actual = db.execute(select(status).where(model.id == row_id)).scalar_one_or_none()
            if actual is None:
                raise TransitionError(self.name, "missing", target)
            raise TransitionError(self.name, actual, target, concurrent=True)
        event = None
        if record and chosen.event is not None:
            event = record_event(
                self.name,
                row_id if subject_id is None else subject_id,
                chosen.event,
                actor=actor,
                from_state=current,
                to_state=target,
                data=data,
                occurred_at=occurred_at,
                public=chosen.public,
            )
        return Outcome(chosen, event)
