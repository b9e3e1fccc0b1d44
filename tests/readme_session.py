"""Run README.md's Python blocks as a reader pastes them, in a fresh interpreter.

``python -m tests.readme_session REPORT`` runs, in the current directory, every Python
block in order in one namespace (as one ``python`` session would), then the checks of
:func:`after_the_readme` on what the blocks made; ``--block LINE`` runs one block
marked ``separate`` on its own. The outcome of each is written to REPORT as JSON.
``tests/test_readme.py`` drives it, each time in a new temporary directory.

A block is marked by an HTML comment on the line before its fence:

- ``<!-- readme-test: skip (why it cannot run) -->`` — not run;
- ``<!-- readme-test: separate (why it needs its own interpreter) -->`` — run alone.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
_MARK = re.compile(r"<!--\s*readme-test:\s*(skip|separate)\s*(?:\((.*)\))?\s*-->")


@dataclass(frozen=True)
class Block:
    """A Python block of the README: the line of its fence, its code and how to run it."""

    line: int
    code: str
    mode: str = "session"  # or "skip", "separate"
    reason: str = ""


def python_blocks(text: str | None = None) -> list[Block]:
    """Every ```python block of the README, in order."""
    lines = (text if text is not None else README.read_text()).splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            end = index + 1
            while lines[end].strip() != "```":
                end += 1
            indent = len(lines[index]) - len(lines[index].lstrip())
            code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
            mark = _MARK.search(lines[index - 1]) if index else None
            if mark:
                blocks.append(Block(index + 1, code, mark.group(1), (mark.group(2) or "").strip()))
            else:
                blocks.append(Block(index + 1, code))
            index = end
        index += 1
    return blocks


@dataclass
class Outcome:
    line: int
    ok: bool
    error: str = ""


def _run(code: str, line: int, namespace: dict[str, Any]) -> Outcome:
    # Line numbers in tracebacks are the README's.
    try:
        exec(compile("\n" * line + code, str(README), "exec"), namespace)
    except BaseException:
        return Outcome(line, False, traceback.format_exc(limit=-8))
    return Outcome(line, True)


# -- checks on what the blocks made ---------------------------------------------------


def _orders_were_recorded(ns: dict[str, Any]) -> None:
    app, care = ns["app"], ns["care"]
    assert ns["outcome"] == "recorded"
    with app.app_context():
        for reference in ("SO-1001", "SO-1002", "SO-1003"):
            assert care.orders.get(reference) is not None, reference


def _the_guest_link_opens_the_order(ns: dict[str, Any]) -> None:
    from urllib.parse import urlsplit

    link = urlsplit(ns["link"])
    response = ns["app"].test_client().get(f"{link.path}?{link.query}")
    assert response.status_code == 200, response.status
    assert "SO-1001" in response.get_data(as_text=True)


def _tracking_happened_after_the_order(ns: dict[str, Any]) -> None:
    from shopcare.core.events import events_for

    app, care = ns["app"], ns["care"]
    with app.app_context():
        order = care.orders.get("SO-1001")
        timeline = events_for("order", order.id, public_only=True)
        assert any(event.action.startswith("shipment.") for event in timeline)
        for event in timeline:
            assert event.occurred_at >= order.placed_at, (event.action, event.occurred_at)


def _the_webhook_sender_is_accepted(ns: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    from werkzeug.serving import make_server

    app = ns["app"]
    app.config["SHOPCARE_WEBHOOK_SECRET"] = "whsec-readme"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = ns["send_tracking_events"](
            f"http://127.0.0.1:{server.server_port}",
            b"whsec-readme",
            [
                {
                    "reference": "SO-1001",
                    "status": "Delivered",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "carrier": "dhl",
                    "tracking_number": "JD014600006281",
                }
            ],
        )
    finally:
        server.shutdown()
        thread.join()
    assert answer["results"][0]["status"] == "delivered", answer


def _the_seed_step_seeds(ns: dict[str, Any]) -> None:
    from shopcare.demo.app import create_app
    from shopcare.demo.extensions import db
    from shopcare.demo.seed import seed, seed_catalogue, seed_orders, seed_users
    from shopcare.tracking.models import Shipment

    database = Path.cwd() / "seed-step.sqlite"  # (a relative path would be the demo's instance/)
    app = create_app(f"sqlite:///{database}", DEMO_PASSWORD_METHOD="pbkdf2:sha256:1000")
    step = ns["seed_first_scans"]
    context = seed(app, days=10, steps=[seed_catalogue, seed_users, seed_orders, step])
    with app.app_context():
        assert db.session.query(Shipment).count() == context.report["orders"] > 0
        db.engine.dispose()


#: What the blocks should have done, checked after the last one.
CHECKS: list[Callable[[dict[str, Any]], None]] = [
    _orders_were_recorded,
    _the_guest_link_opens_the_order,
    _tracking_happened_after_the_order,
    _the_webhook_sender_is_accepted,
    _the_seed_step_seeds,
]


def after_the_readme(namespace: dict[str, Any]) -> list[Outcome]:
    outcomes = []
    for check in CHECKS:
        try:
            check(namespace)
            outcomes.append(Outcome(0, True, check.__name__))
        except BaseException:
            outcomes.append(Outcome(0, False, f"{check.__name__}\n{traceback.format_exc()}"))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path)
    parser.add_argument("--block", type=int, help="run only the block at this line")
    args = parser.parse_args()
    blocks = python_blocks()
    outcomes: list[Outcome] = []
    if args.block is not None:
        (block,) = [block for block in blocks if block.line == args.block]
        outcomes.append(_run(block.code, block.line, {"__name__": "readme"}))
    else:
        namespace: dict[str, Any] = {"__name__": "readme"}
        for block in blocks:
            if block.mode == "session":
                outcome = _run(block.code, block.line, namespace)
                outcomes.append(outcome)
                if not outcome.ok:
                    break  # later blocks build on this one
        else:
            outcomes.extend(after_the_readme(namespace))
        app = namespace.get("app")
        if app is not None:
            with app.app_context():
                namespace["db"].engine.dispose()
    args.report.write_text(json.dumps([asdict(outcome) for outcome in outcomes]))


if __name__ == "__main__":
    main()
