"""Reading the shop's past orders from a file for ``flask shopcare orders import``.

Two formats, each turned into the arguments of ``care.orders.record``:

- **JSON lines** (``.jsonl``, ``.ndjson``, ``.json``): one order per line, the same
  object as the API's ``POST /orders`` (``reference``, ``email``, ``placed_at``,
  ``lines`` and optional ``currency``, ``user_id``, ``locale``, ``delivered_at``).
  Numbers are read exactly (``12.50`` is a Decimal).
- **CSV** (``.csv``): one row per order line, with the order's columns repeated on
  each of its rows (rows of one order need not be next to each other).

A row that cannot even be read becomes a :class:`Refused` naming its line and field;
the rest is left to ``record``, whose errors :meth:`Order.line_of` maps back to a line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from shopcare.core.api.parsing import refuse_lone_surrogates

FORMATS = ("jsonl", "csv")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}

ORDER_FIELDS = ("reference", "email", "placed_at", "currency", "user_id", "locale", "delivered_at")
LINE_FIELDS = ("sku", "name", "quantity", "unit_price", "category")
REQUIRED_COLUMNS = ("reference", "email", "placed_at", "sku", "name", "quantity", "unit_price")
_DATETIMES = ("placed_at", "delivered_at")


@dataclass
class Order:
    """One order read from the file: ``record``'s arguments and where each part was."""

    line: int
    arguments: dict[str, Any]
    #: the file line of each order line (CSV: one row each; JSON lines: all the same)
    line_lines: list[int] = field(default_factory=list)
    #: whether each order line is a row of its own, named by its columns (CSV)
    rows: bool = False

    def line_of(self, field_name: str) -> tuple[int, str]:
        """The file line a ``record`` error about ``field_name`` points at, and the
        field as the file names it (a CSV row's column for ``lines[i].column``)."""
        if field_name.startswith("lines[") and "]" in field_name:
            index_text, _, rest = field_name[len("lines[") :].partition("]")
            if index_text.isdigit() and int(index_text) < len(self.line_lines):
                line = self.line_lines[int(index_text)]
                if self.rows and rest.startswith("."):
                    return line, rest[1:]
                return line, field_name
        return self.line, field_name


@dataclass(frozen=True)
class Refused:
    """A row that was refused: its line, the field to blame and why."""

    line: int
    field: str
    message: str


def detect_format(path: Path, given: str | None) -> str:
    """The file's format: ``given``, else from its extension.

    :raises ValueError: when neither says.
    """
    if given:
        return given
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ValueError(
            f"cannot tell the format of {path.name!r} from its extension; "
            f"use --format {' or --format '.join(FORMATS)}"
        )
    return found


def read(stream: TextIO, file_format: str) -> list[Order | Refused]:
    """Every order (or refused row) in the file, in file order.

    :raises ValueError: for a CSV whose header lacks a required column or has an
        unknown one (nothing can be read then).
    """
    if file_format == "csv":
        return list(_read_csv(stream))
    return list(_read_jsonl(stream))


def _datetimes(arguments: dict[str, Any], line: int) -> Refused | None:
    for name in _DATETIMES:
        value = arguments.get(name)
        if isinstance(value, str):
            try:
                arguments[name] = datetime.fromisoformat(value.strip())
            except ValueError:
                return Refused(line, name, f"{value!r} is not an ISO 8601 date and time")
    return None


def _read_jsonl(stream: TextIO) -> Iterator[Order | Refused]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            yield Refused(number, "json", f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(data, dict):
            yield Refused(number, "json", "each line must be one JSON object (an order)")
            continue
        try:
            refuse_lone_surrogates(data)
        except ValueError:
            yield Refused(number, "json", "a string holds a lone surrogate (\\ud800…), not text")
            continue
        unknown = sorted(set(data) - {*ORDER_FIELDS, "lines"})
        if unknown:
            yield Refused(number, unknown[0], "unknown field")
            continue
        refused = _datetimes(data, number)
        if refused is not None:
            yield refused
            continue
        lines = data.get("lines")
        count = len(lines) if isinstance(lines, list) else 0
        yield Order(number, data, [number] * count)


def _cell(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _quantity(value: str | None) -> Any:
    text = (value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _read_csv(stream: TextIO) -> Iterator[Order | Refused]:
    reader = csv.DictReader(stream)
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in (*ORDER_FIELDS, *LINE_FIELDS)]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s): {', '.join(unknown)}")
        raise ValueError(
            "; ".join(problems) + f". Columns: {', '.join((*ORDER_FIELDS, *LINE_FIELDS))}"
        )
    reader.fieldnames = columns
    orders: dict[str, Order] = {}
    conflicts: dict[str, list[Refused]] = {}
    for row in reader:
        number = reader.line_num
        head = {name: _cell(row.get(name)) for name in ORDER_FIELDS}
        head = {name: value for name, value in head.items() if value is not None}
        line = {
            "sku": _cell(row.get("sku")),
            "name": _cell(row.get("name")),
            "quantity": _quantity(row.get("quantity")),
            "unit_price": _cell(row.get("unit_price")),
            "category": _cell(row.get("category")),
        }
        key = head.get("reference") or f"(no reference, line {number})"
        order = orders.get(key)
        if order is None:
            orders[key] = Order(number, {**head, "lines": [line]}, [number], rows=True)
            continue
        differs = [name for name in ORDER_FIELDS if order.arguments.get(name) != head.get(name)]
        if differs:
            # One order, two stories: record none of it rather than a guess.
            conflicts.setdefault(key, []).append(
                Refused(number, differs[0], f"differs from line {order.line} of the same order")
            )
        order.arguments["lines"].append(line)
        order.line_lines.append(number)
    for key, order in orders.items():
        if key in conflicts:
            yield from conflicts[key]
            continue
        problem = _datetimes(order.arguments, order.line)
        yield problem if problem is not None else order
