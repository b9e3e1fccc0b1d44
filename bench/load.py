#!/usr/bin/env python3
"""Load with reconciliation (issue 15; not run by ``make test``).

The demo shop (``bench.app``) is served by gunicorn with 4 sync workers on a throwaway
PostgreSQL cluster (Debian's binaries, or ``BENCH_POSTGRES_URL``), with two outbox
workers (``flask shopcare work --forever``) sending to a loopback SMTP sink (aiosmtpd,
in this process) that counts what it receives by Message-ID. Orders are seeded first,
one pool per kind of traffic, so that every submission has an order of its own.

A second process (``load.py --drive``, client threads) then drives mixed traffic for
``--seconds``: the baseline route, guest look-ups, order pages, return forms,
two-step withdrawals, cases through the JSON API, signed carrier webhook calls and,
when the app has those domains, tickets ("Write to us") and survey answers (from the
e-mail's one-click link). Shoppers press twice: every return form, withdrawal
confirmation, API case, ticket form and survey page is sent twice with the same
content, half the time at once (two connections, released together) and half the time
one after the other; every carrier event is sent two or three times, the same way.
Each kind of traffic is one small function in ``KINDS`` (``DOMAIN_KINDS``).

When the time is up and the clients are done, the outbox is drained and the database
reconciled against what the clients were told:

- every accepted submission is stored exactly once, and none was lost: return forms and
  withdrawals one case per ``request_key`` (the form's), both sends answered with it;
  API cases (no key) one case per order, the repeat refused with 422 as already
  covered; tickets one per ``request_key``; each answered survey one complete response
  with one answer per question; each distinct carrier event one event in the log;
- every e-mail in the outbox is ``done`` (none left queued, running or failed) and
  reached the SMTP sink exactly once (its Message-ID, from its dedupe key, counted
  once; nothing arrived that the outbox does not have; a mail its hook withheld did not
  arrive), and each case, ticket and notified parcel status has its own e-mail once;
- no answer was a 5xx or a broken connection.

It prints requests per second and p50/p95/p99 latency per endpoint, with each one's
ratio against the baseline route (``/bench/baseline/<reference>``) measured in the
same run, and exits non-zero when anything does not reconcile.

    .venv/bin/python bench/load.py [--seconds 60] [--threads 8]

Results also go to bench/results/load.json, the outbox workers' logs to
bench/results/load-worker-*.log.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.order_page import database, free_port, gunicorn  # noqa: E402

SECRET = "whsec-load"
EXTERNAL_URL = "https://casaverde.example"
STATUSES = ["in_transit", "out_for_delivery", "delivered"]
#: The statuses whose change e-mails the shopper (SHOPCARE_TRACKING_NOTIFY_STATUSES).
NOTIFY = ("out_for_delivery", "delivered")
LINES = [
    {"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "12.50"},
    {"sku": "TEA-9", "name": "Green tea", "quantity": 1, "unit_price": "4.90"},
]
BASELINE = "GET baseline"
#: What each endpoint may answer; anything else does not reconcile.
EXPECTED = {
    BASELINE: {200},
    "GET order page": {200},
    "GET look-up form": {200},
    "POST look-up": {200, 302},  # 200: no such order (a mistyped e-mail)
    "GET return form": {200},
    "POST return form": {302},  # both sends: the same case (the form's request_key)
    "GET withdrawal form": {200},
    "POST withdrawal step 1": {200},
    "POST withdrawal confirm": {302},  # both presses: the same case
    "POST API case": {201, 422},  # 422: the repeat, refused (already covered)
    "POST webhook": {200},  # repeats answer 200 with "duplicate": true
    "GET ticket form": {200},
    "POST ticket form": {302},  # both sends: the same ticket (the form's request_key)
    "GET survey page": {200},
    "POST survey page": {302},  # both sends: on to the next page (or done)
}


# -- the SMTP sink ---------------------------------------------------------------------


class Sink:
    """aiosmtpd handler: counts each message received by its Message-ID and dedupe key."""

    def __init__(self) -> None:
        self.by_message_id: Counter[str] = Counter()
        self.dedupe_of: dict[str, str] = {}
        self.total = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
        found = re.search(rb"^Message-ID:\s*(\S+)", head, re.I | re.M)
        dedupe = re.search(rb"^X-Shopcare-Dedupe:\s*(.+)$", head, re.I | re.M)
        message_id = found.group(1).decode() if found else "<none>"
        with self._lock:
            self.total += 1
            self.by_message_id[message_id] += 1
            if dedupe:
                self.dedupe_of[message_id] = dedupe.group(1).decode().strip()
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


# -- seeding ---------------------------------------------------------------------------


def seed_shop(url: str, pool_sizes: dict[str, int]) -> dict[str, Any]:
    """The tables, an API key and one pool of orders per kind of traffic; the plan the
    driver gets (references, e-mails, guest links, the key)."""
    from bench.app import create
    from shopcare.core.api import keys
    from shopcare.demo.seed import seed, seed_catalogue

    app = create()
    seed(app, steps=[seed_catalogue])
    now = datetime.now(UTC)
    pools: dict[str, list[dict[str, str]]] = {}
    with app.app_context():
        care = app.extensions["shopcare"].care
        db = app.extensions["shopcare"].db
        _row, api_key = keys.create("load bench", ["cases:write", "cases:read"])
        db.session.commit()
        domains = [name for name in ("feedback", "surveys") if hasattr(care, name)]
        for pool, size in pool_sizes.items():
            if pool == "survey" or (pool == "ticket" and "feedback" not in domains):
                continue
            entries = pools.setdefault(pool, [])
            for number in range(size):
                reference = f"LD-{pool[:3].upper()}-{number:05d}"
                email = f"{pool}{number}@example.com"
                order = care.orders.record(
                    reference,
                    email,
                    now - timedelta(days=6),
                    LINES,
                    # the webhook's orders are still travelling; the others were delivered
                    delivered_at=None if pool == "webhook" else now - timedelta(days=2),
                )
                entries.append(
                    {
                        "reference": reference,
                        "email": email,
                        "key": care.tracking.guest_token(order),
                    }
                )
                if number % 100 == 99:
                    db.session.commit()
            db.session.commit()
        db.engine.dispose()
        if "surveys" in domains:
            invite_survey_pool(app, care, db, pools, pool_sizes.get("survey", 0), now)
    events_from = (now - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    return {
        "api_key": api_key,
        "pools": pools,
        "events_from": events_from.isoformat(),
        "domains": domains,
    }


def invite_survey_pool(
    app: Any, care: Any, db: Any, pools: dict[str, list[dict[str, str]]], size: int, now: datetime
) -> None:
    """Orders delivered long enough ago to be surveyed, and their invitations (what the
    workers' pass does); the invitation e-mails go out through the outbox during the run."""
    from shopcare.core.config import setting

    delay = int(setting("SHOPCARE_SURVEY_DELAY_DAYS"))
    entries = pools.setdefault("survey", [])
    for number in range(size):
        reference = f"LD-SUR-{number:05d}"
        email = f"survey{number}@example.com"
        care.orders.record(
            reference,
            email,
            now - timedelta(days=delay + 4),
            LINES,
            delivered_at=now - timedelta(days=delay + 1),
        )
        if number % 100 == 99:
            db.session.commit()
    db.session.commit()
    tokens = {
        invitation.order.reference: invitation.token for invitation in care.surveys.invite_due()
    }
    db.session.commit()
    for number in range(size):
        reference = f"LD-SUR-{number:05d}"
        if reference in tokens:
            entries.append({"reference": reference, "token": tokens[reference]})


# -- the traffic driver (a process of its own) ------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: each one's action, its fields' values and, for radio buttons,
    checkboxes and selects, the values one may choose (``options``)."""

    def __init__(self, html: str, page_url: str = "") -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, dict[str, str], dict[str, list[str]]]] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("name")
        if tag == "form":
            self.forms.append((values.get("action") or self.page_url, {}, defaultdict(list)))
        elif tag == "option" and self._select and self.forms and values.get("value"):
            self.forms[-1][2][self._select].append(str(values["value"]))
        elif tag in ("input", "textarea", "select") and self.forms and name:
            kind = values.get("type")
            self._select = name if tag == "select" else None
            if kind in ("checkbox", "radio"):
                self.forms[-1][2][name].append(values.get("value") or "on")
            elif kind not in ("file", "submit"):
                self.forms[-1][1].setdefault(name, values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def find(self, action_part: str) -> tuple[str, dict[str, str]]:
        action, fields, _options = self.find_with_options(action_part)
        return action, fields

    def find_with_options(
        self, action_part: str
    ) -> tuple[str, dict[str, str], dict[str, list[str]]]:
        for action, fields, options in self.forms:
            if action_part in action and "csrf_token" in fields:
                return action, dict(fields), dict(options)
        raise LookupError(f"no form posting to {action_part!r}")


class Recorder:
    """Latency and status of every request, by endpoint; the ledger for reconciliation."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.ledger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.flow_errors: Counter[str] = Counter()
        self.samples: dict[str, str] = {}  # the first body of each endpoint's 4xx/5xx status
        self.lock = threading.Lock()

    def add(self, endpoint: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            self.statuses[endpoint][status] += 1

    def note(self, kind: str, entry: dict[str, Any]) -> None:
        with self.lock:
            self.ledger[kind].append(entry)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Shopper:
    """One browser: a connection and a cookie jar (gunicorn's sync workers close each
    connection; http.client opens the next one)."""

    def __init__(self, port: int, recorder: Recorder, cookies: dict[str, str] | None = None):
        self.port, self.recorder = port, recorder
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def twin(self) -> Shopper:
        """The same browser's second tab: its own connection, the same cookies."""
        return Shopper(self.port, self.recorder, self.cookies)

    def request(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.recorder.add(endpoint, time.perf_counter() - started, 0)
            self.connection.close()
            raise
        self.recorder.add(endpoint, time.perf_counter() - started, response.status)
        if response.status >= 400:
            sample = f"{endpoint} {response.status}"
            self.recorder.samples.setdefault(sample, data[:300].decode("utf-8", "replace"))
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


def twice(first: Callable[[], Any], second: Callable[[], Any], at_once: bool) -> list[Any]:
    """The same submission twice: released together from two threads, or one after the other."""
    if not at_once:
        return [first(), second()]
    results: list[Any] = [None, None]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:
            errors.append(error)

    other = threading.Thread(target=run, args=(1, second))
    other.start()
    run(0, first)
    other.join()
    if errors:
        raise errors[0]
    return results


class Plan:
    """What the driver works with: the seeded orders, handed out one submission each."""

    def __init__(self, data: dict[str, Any], rng: random.Random) -> None:
        self.api_key: str = data["api_key"]
        self.domains: list[str] = data.get("domains", [])
        self.pools: dict[str, list[dict[str, str]]] = data["pools"]
        self.browse = self.pools["browse"] + self.pools["webhook"]
        self._next: dict[str, Iterator[dict[str, str]]] = {
            kind: iter(orders) for kind, orders in self.pools.items()
        }
        # Each webhook order's parcel through the statuses, one order after the other
        # (so its events may overlap, and arrive out of order, across client threads).
        self._events = iter(
            [
                {
                    "reference": order["reference"],
                    "status": status,
                    "occurred_at": (
                        datetime.fromisoformat(data["events_from"]) + timedelta(hours=3 * step)
                    ).isoformat(),
                    "carrier": "dhl",
                    "tracking_number": f"JD{order['reference'].replace('-', '')}",
                    "location": "Madrid",
                }
                for order in self.pools["webhook"]
                for step, status in enumerate(STATUSES)
            ]
        )
        self.rng = rng
        self.lock = threading.Lock()
        self.exhausted: Counter[str] = Counter()  # flows that found their pool empty

    def take(self, kind: str) -> dict[str, str] | None:
        with self.lock:
            found = next(self._next[kind], None)
            if found is None:
                self.exhausted[kind] += 1
            return found

    def event(self) -> dict[str, str] | None:
        with self.lock:
            found = next(self._events, None)
            if found is None:
                self.exhausted["webhook"] += 1
            return found

    def any_order(self) -> dict[str, str]:
        with self.lock:
            return self.rng.choice(self.browse)

    def rng_choice(self, values: list[str]) -> str:
        with self.lock:
            return self.rng.choice(values)

    def coin(self) -> bool:
        with self.lock:
            return self.rng.random() < 0.5


def case_number(location: str) -> str | None:
    found = re.search(r"/care/cases/([A-Z]-\d{4}-\d+)", location)
    return found.group(1) if found else None


# Each kind of traffic: one shopper (or carrier) doing one thing, end to end.


def baseline(shopper: Shopper, plan: Plan) -> None:
    order = plan.any_order()
    shopper.request(BASELINE, "GET", f"/bench/baseline/{order['reference']}")


def order_page(shopper: Shopper, plan: Plan) -> None:
    order = plan.any_order()
    path = f"/care/tracking/orders/{order['reference']}?key={order['key']}"
    shopper.request("GET order page", "GET", path)


def lookup(shopper: Shopper, plan: Plan) -> None:
    """The guest look-up form, then the order number and e-mail (one in five mistyped)."""
    order = plan.any_order()
    page = shopper.request("GET look-up form", "GET", "/care/tracking/")
    action, fields = Forms(page.text).find("/care/tracking/")
    wrong = plan.rng.random() < 0.2
    fields.update(reference=order["reference"], email=("x" if wrong else "") + order["email"])
    answer = shopper.request("POST look-up", "POST", action, form=fields)
    expected = 200 if wrong else 302
    if answer.status != expected:
        shopper.recorder.flow_errors[f"look-up answered {answer.status}"] += 1


def return_form(shopper: Shopper, plan: Plan) -> None:
    """A return of both mugs, the form sent twice."""
    order = plan.take("return")
    if order is None:
        return
    path = f"/care/cases/orders/{order['reference']}/return?key={order['key']}"
    page = shopper.request("GET return form", "GET", path)
    action, fields = Forms(page.text).find("/return")
    fields.update(reason="too_small", remedy="refund", description="Smaller than I thought")
    fields.update({"qty-MUG-1": "2", "qty-TEA-9": "0"})
    at_once = plan.coin()
    second = shopper.twin()
    answers = twice(
        lambda: shopper.request("POST return form", "POST", action, form=fields),
        lambda: second.request("POST return form", "POST", action, form=fields),
        at_once,
    )
    shopper.recorder.note(
        "return",
        {
            "reference": order["reference"],
            "request_key": fields.get("request_key"),
            "at_once": at_once,
            "answers": [[a.status, case_number(a.location)] for a in answers],
        },
    )


def withdrawal(shopper: Shopper, plan: Plan) -> None:
    """The withdrawal function: step one, then "Confirm withdrawal" pressed twice."""
    order = plan.take("withdrawal")
    if order is None:
        return
    path = f"/care/cases/orders/{order['reference']}/withdraw?key={order['key']}"
    page = shopper.request("GET withdrawal form", "GET", path)
    action, fields = Forms(page.text).find("/withdraw")
    fields.update(name="Ann Shopper")
    step = shopper.request("POST withdrawal step 1", "POST", action, form=fields)
    action, fields = Forms(step.text).find("/withdraw/confirm")
    at_once = plan.coin()
    second = shopper.twin()
    answers = twice(
        lambda: shopper.request("POST withdrawal confirm", "POST", action, form=fields),
        lambda: second.request("POST withdrawal confirm", "POST", action, form=fields),
        at_once,
    )
    shopper.recorder.note(
        "withdrawal",
        {
            "reference": order["reference"],
            "request_key": fields.get("request_key"),
            "at_once": at_once,
            "answers": [[a.status, case_number(a.location)] for a in answers],
        },
    )


def api_case(shopper: Shopper, plan: Plan) -> None:
    """A guarantee claim through the JSON API, posted twice."""
    order = plan.take("api_case")
    if order is None:
        return
    body = json.dumps(
        {
            "order": order["reference"],
            "kind": "guarantee",
            "lines": {"MUG-1": 2},
            "reason": "defective",
            "remedy": "replacement",
            "description": "The handle came off",
        }
    ).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {plan.api_key}"}
    at_once = plan.coin()
    second = shopper.twin()

    def number(answer: Answer) -> str | None:
        return json.loads(answer.body).get("number") if answer.status == 201 else None

    answers = twice(
        lambda: shopper.request(
            "POST API case", "POST", "/care/api/v1/cases", body=body, headers=headers
        ),
        lambda: second.request(
            "POST API case", "POST", "/care/api/v1/cases", body=body, headers=headers
        ),
        at_once,
    )
    shopper.recorder.note(
        "api_case",
        {
            "reference": order["reference"],
            "at_once": at_once,
            "answers": [[a.status, number(a)] for a in answers],
        },
    )


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Shopcare-Signature": f"t={stamp},v1={digest}"}


def webhook(shopper: Shopper, plan: Plan) -> None:
    """A carrier event, delivered two or three times (the carrier retried)."""
    event = plan.event()
    if event is None:
        return
    body = json.dumps(event).encode()
    path = "/care/api/v1/tracking/events"
    second = shopper.twin()
    at_once = plan.coin()
    answers = twice(
        lambda: shopper.request("POST webhook", "POST", path, body=body, headers=signed(body)),
        lambda: second.request("POST webhook", "POST", path, body=body, headers=signed(body)),
        at_once,
    )
    if plan.coin():
        answers.append(
            shopper.request("POST webhook", "POST", path, body=body, headers=signed(body))
        )

    def duplicate(answer: Answer) -> bool | None:
        return json.loads(answer.body).get("duplicate") if answer.status == 200 else None

    shopper.recorder.note(
        "webhook",
        {
            "event": event,
            "at_once": at_once,
            "answers": [[a.status, duplicate(a)] for a in answers],
        },
    )


def ticket(shopper: Shopper, plan: Plan) -> None:
    """A complaint from the order page's link ("Write to us"), the form sent twice."""
    order = plan.take("ticket")
    if order is None:
        return
    path = f"/care/feedback/new?order={order['reference']}&key={order['key']}&kind=complaint"
    page = shopper.request("GET ticket form", "GET", path)
    action, fields = Forms(page.text, path).find("/care/feedback/new")
    fields.update(
        kind="complaint",
        area="product",
        subject="Broken mug",
        message="It arrived in pieces.",
        remedy="replacement",
        website="",
    )
    at_once = plan.coin()
    second = shopper.twin()
    answers = twice(
        lambda: shopper.request("POST ticket form", "POST", action, form=fields),
        lambda: second.request("POST ticket form", "POST", action, form=fields),
        at_once,
    )

    def reference(answer: Answer) -> str | None:
        found = re.search(r"/care/feedback/t/([A-Z]+-\d{4}-\d+)", answer.location)
        return found.group(1) if found else None

    shopper.recorder.note(
        "ticket",
        {
            "reference": order["reference"],
            "request_key": fields.get("request_key"),
            "at_once": at_once,
            "answers": [[a.status, reference(a)] for a in answers],
        },
    )


def survey(shopper: Shopper, plan: Plan) -> None:
    """A survey answered from the e-mail's one-click choice, page by page, each page
    sent twice."""
    invitation = plan.take("survey")
    if invitation is None:
        return
    path = f"/care/surveys/s/{invitation['token']}?v=9"
    page = shopper.request("GET survey page", "GET", path)
    pages: list[list[int]] = []
    at_once = plan.coin()
    while len(pages) < 20:
        action, fields, options = Forms(page.text, path).find_with_options("/care/surveys/s/")
        for name, values in options.items():
            fields[name] = "no" if name == "may_contact" else plan.rng_choice(values)
        for name, value in fields.items():
            if not value and name not in ("csrf_token", "page", "action"):
                fields[name] = "Fine, thanks"
        second = shopper.twin()
        answers = twice(
            lambda s=shopper, a=action, f=fields: s.request("POST survey page", "POST", a, form=f),
            lambda s=second, a=action, f=fields: s.request("POST survey page", "POST", a, form=f),
            at_once,
        )
        pages.append([a.status for a in answers])
        location = answers[0].location
        if any(a.status != 302 for a in answers) or "/done" in location:
            break
        path = urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
        page = shopper.request("GET survey page", "GET", path)
    shopper.recorder.note(
        "survey",
        {
            "token": invitation["token"],
            "reference": invitation["reference"],
            "at_once": at_once,
            "pages": pages,
            "finished": "/done" in location,
        },
    )


#: Each kind of traffic with its weight in the mix.
KINDS: dict[str, tuple[int, Callable[[Shopper, Plan], None]]] = {
    "baseline": (20, baseline),
    "order_page": (22, order_page),
    "lookup": (14, lookup),
    "webhook": (14, webhook),
    "return": (10, return_form),
    "withdrawal": (10, withdrawal),
    "api_case": (10, api_case),
}
#: The kinds of the domains merged later (issues 12 and 13), when the app has them.
DOMAIN_KINDS: dict[str, tuple[str, int, Callable[[Shopper, Plan], None]]] = {
    "ticket": ("feedback", 10, ticket),
    "survey": ("surveys", 10, survey),
}


def warm_up(port: int, plan: Plan, threads: int) -> None:
    """Before the clock starts, every gunicorn worker's first requests (imports, template
    compilation, connection pools), not measured: the read-only kinds and the forms'
    first pages, on the browsing orders."""
    recorder = Recorder()

    def forms(shopper: Shopper, plan: Plan) -> None:
        order = plan.any_order()
        for kind in ("return", "guarantee", "withdraw"):
            path = f"/care/cases/orders/{order['reference']}/{kind}?key={order['key']}"
            shopper.request("warm-up form", "GET", path)

    def run(index: int) -> None:
        for kind in (baseline, order_page, lookup, forms) * 3:
            kind(Shopper(port, recorder), plan)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    bad = {k: dict(v) for k, v in recorder.statuses.items() if set(v) - {200, 302}}
    if bad or recorder.flow_errors:
        raise RuntimeError(f"warm-up: {bad} {dict(recorder.flow_errors)} {recorder.samples}")


def drive(plan_path: Path, out_path: Path, port: int, seconds: float, threads: int) -> None:
    """The driver process: ``threads`` shoppers picking kinds of traffic by weight until
    the time is up (a flow under way is finished)."""
    rng = random.Random(15)
    plan = Plan(json.loads(plan_path.read_text()), rng)
    recorder = Recorder()
    kinds = dict(KINDS)
    for name, (domain, weight, function) in DOMAIN_KINDS.items():
        if domain in plan.domains and plan.pools.get(name):
            kinds[name] = (weight, function)
    names = list(kinds)
    weights = [kinds[name][0] for name in names]
    flows: Counter[str] = Counter()
    warm_up(port, plan, threads)
    started = time.monotonic()
    deadline = started + seconds

    def shopper_thread(index: int) -> None:
        local = random.Random(index)
        while time.monotonic() < deadline:
            name = local.choices(names, weights)[0]
            shopper = Shopper(port, recorder)  # a new visitor each time
            try:
                kinds[name][1](shopper, plan)
                with recorder.lock:
                    flows[name] += 1
            except Exception as error:
                with recorder.lock:
                    recorder.flow_errors[f"{name}: {type(error).__name__}: {error}"[:200]] += 1
            finally:
                shopper.connection.close()

    pool = [threading.Thread(target=shopper_thread, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    out_path.write_text(
        json.dumps(
            {
                "elapsed": elapsed,
                "seconds": seconds,
                "threads": threads,
                "flows": flows,
                "latencies": recorder.latencies,
                "statuses": {k: dict(v) for k, v in recorder.statuses.items()},
                "ledger": recorder.ledger,
                "flow_errors": recorder.flow_errors,
                "samples": recorder.samples,
                "pools_exhausted": plan.exhausted,
            }
        )
    )


# -- the orchestra ---------------------------------------------------------------------


@contextmanager
def outbox_workers(env: dict[str, str], count: int, logs: Path) -> Iterator[list[Path]]:
    processes, files = [], []
    for number in range(count):
        log = logs / f"worker-{number}.log"
        handle = log.open("w")
        files.append(log)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "bench.app:create",
                    "shopcare",
                    "work",
                    "--forever",
                    "--pause",
                    "0.5",
                ],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        yield files
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def outbox_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM shopcare_outbox_items GROUP BY status")
        ).all()
    engine.dispose()
    return {str(status): int(count) for status, count in rows}


def drain(url: str, timeout: float) -> tuple[dict[str, int], float]:
    """Wait until nothing is queued or running in the outbox; the counts and the wait."""
    started = time.monotonic()
    while True:
        counts = outbox_counts(url)
        if not counts.get("queued") and not counts.get("running"):
            return counts, time.monotonic() - started
        if time.monotonic() - started > timeout:
            return counts, time.monotonic() - started
        time.sleep(1)


def reconcile(url: str, result: dict[str, Any], sink: Sink) -> tuple[dict[str, Any], list[str]]:
    """Compare what the clients were told with the database and the SMTP sink."""
    from sqlalchemy import create_engine, inspect, text

    from bench.app import create
    from shopcare.core.outbox.mail import message_id

    problems: list[str] = []
    counts: dict[str, Any] = {}
    engine = create_engine(url)
    with engine.connect() as connection:
        cases = connection.execute(
            text(
                "SELECT o.reference, c.kind, c.number, c.request_key FROM shopcare_cases c "
                "JOIN shopcare_orders o ON o.id = c.order_id"
            )
        ).all()
        stored_events = Counter(
            (str(reference), str(action), occurred.astimezone(UTC).isoformat())
            for action, reference, occurred in connection.execute(
                text(
                    "SELECT e.action, o.reference, e.occurred_at FROM shopcare_events e "
                    "JOIN shopcare_orders o ON e.subject_id = CAST(o.id AS VARCHAR) "
                    "WHERE e.subject_kind = 'order' AND e.action LIKE 'shipment.%'"
                )
            ).all()
            if str(action).removeprefix("shipment.") in STATUSES
        )
        moved = connection.execute(
            text(
                "SELECT id, action FROM shopcare_events WHERE subject_kind = 'order' "
                "AND action IN ("
                + ", ".join(f"'shipment.{s}'" for s in NOTIFY)
                + ") AND to_state IS NOT NULL"
            )
        ).all()
        mails = connection.execute(
            text(
                "SELECT dedupe_key, status, payload, sent_at IS NOT NULL "
                "FROM shopcare_outbox_items WHERE kind = :mail"
            ),
            {"mail": "mail"},
        ).all()
        tables = set(inspect(connection).get_table_names())
        tickets = (
            connection.execute(
                text(
                    "SELECT t.reference, t.request_key, o.reference FROM shopcare_tickets t "
                    "LEFT JOIN shopcare_orders o ON o.id = t.order_id"
                )
            ).all()
            if "shopcare_tickets" in tables
            else []
        )
        surveyed = (
            connection.execute(
                text(
                    "SELECT i.token, i.status, r.id, r.status, "
                    "(SELECT count(*) FROM shopcare_survey_answers a WHERE a.response_id = r.id), "
                    "(SELECT count(*) FROM shopcare_survey_questions q "
                    "WHERE q.version_id = i.version_id) "
                    "FROM shopcare_survey_invitations i "
                    "LEFT JOIN shopcare_survey_responses r ON r.invitation_id = i.id"
                )
            ).all()
            if "shopcare_survey_invitations" in tables
            else []
        )
    engine.dispose()

    by_order: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_request_key: dict[str, list[str]] = defaultdict(list)
    for reference, kind, number, request_key in cases:
        by_order[(reference, kind)].append(number)
        by_request_key[request_key].append(number)
    ledger = result["ledger"]

    # Returns (the form) and guarantee claims (the API): one case per order, both answers
    # agreeing with it: one accepted (302 / 201), the repeat refused as already covered.
    for kind, case_kind, accepted_status in (("api_case", "guarantee", 201),):
        entries = ledger.get(kind, [])
        accepted = lost = duplicated = 0
        answers: Counter[int] = Counter()
        for entry in entries:
            stored = by_order.get((entry["reference"], case_kind), [])
            told = [number for status, number in entry["answers"] if status == accepted_status]
            answers.update(status for status, _ in entry["answers"])
            accepted += len(told)
            if len(stored) > 1:
                duplicated += len(stored) - 1
                problems.append(f"{kind} {entry['reference']}: {len(stored)} cases {stored}")
            if not told:
                problems.append(f"{kind} {entry['reference']}: no submission accepted {entry}")
            for number in told:
                if number not in stored:
                    lost += 1
                    problems.append(f"{kind} {entry['reference']}: told {number}, stored {stored}")
        counts[kind] = {
            "double_submits": len(entries),
            "at_once": sum(1 for e in entries if e["at_once"]),
            "posts": sum(len(e["answers"]) for e in entries),
            "answers": dict(sorted(answers.items())),
            "accepted": accepted,
            "cases_stored": sum(
                len(by_order.get((e["reference"], case_kind), [])) for e in entries
            ),
            "lost": lost,
            "duplicated": duplicated,
        }

    # Return forms and withdrawals carry a request_key: one case per key (and per order),
    # both sends answered with that case.
    for kind in ("return", "withdrawal"):
        entries = ledger.get(kind, [])
        lost = duplicated = 0
        answers = Counter()
        for entry in entries:
            stored = by_request_key.get(entry["request_key"], [])
            per_order = by_order.get((entry["reference"], kind), [])
            answers.update(status for status, _ in entry["answers"])
            if len(stored) != 1 or len(per_order) != 1:
                duplicated += max(0, len(per_order) - 1)
                lost += 1 if not stored else 0
                problems.append(f"{kind} {entry['reference']}: stored {stored}, order {per_order}")
            told = {number for status, number in entry["answers"] if status == 302}
            if told != set(stored) or any(status != 302 for status, _ in entry["answers"]):
                problems.append(
                    f"{kind} {entry['reference']}: answers {entry['answers']}, stored {stored}"
                )
        counts[kind] = {
            "double_submits": len(entries),
            "at_once": sum(1 for e in entries if e["at_once"]),
            "posts": sum(len(e["answers"]) for e in entries),
            "answers": dict(sorted(answers.items())),
            "answered_with_the_case": sum(
                1 for e in entries for status, _ in e["answers"] if status == 302
            ),
            "cases_stored": sum(len(by_request_key.get(e["request_key"], [])) for e in entries),
            "lost": lost,
            "duplicated": duplicated,
        }

    # Carrier events: each distinct event stored once, whatever the repeats.
    entries = ledger.get("webhook", [])
    lost = duplicated = 0
    answers = Counter()
    firsts = Counter()
    for entry in entries:
        event = entry["event"]
        key = (
            event["reference"],
            f"shipment.{event['status']}",
            datetime.fromisoformat(event["occurred_at"]).astimezone(UTC).isoformat(),
        )
        answers.update(status for status, _ in entry["answers"])
        firsts[sum(1 for status, dup in entry["answers"] if status == 200 and dup is False)] += 1
        copies = stored_events.get(key, 0)
        if copies == 0 and any(status == 200 for status, _ in entry["answers"]):
            lost += 1
            problems.append(f"webhook {key}: accepted, not stored")
        if copies > 1:
            duplicated += copies - 1
            problems.append(f"webhook {key}: stored {copies} times")
    counts["webhook"] = {
        "distinct_events": len(entries),
        "at_once": sum(1 for e in entries if e["at_once"]),
        "posts": sum(len(e["answers"]) for e in entries),
        "answers": dict(sorted(answers.items())),
        "answers_saying_new_per_event": dict(sorted(firsts.items())),
        "stored": sum(
            stored_events.get(
                (
                    e["event"]["reference"],
                    f"shipment.{e['event']['status']}",
                    datetime.fromisoformat(e["event"]["occurred_at"]).astimezone(UTC).isoformat(),
                ),
                0,
            )
            for e in entries
        ),
        "lost": lost,
        "duplicated": duplicated,
    }

    # Tickets (the feedback form): one ticket per request_key, both sends answered with it,
    # and its acknowledgement e-mail once.
    if "ticket" in ledger:
        by_key: dict[str, list[str]] = defaultdict(list)
        for reference, request_key, _order in tickets:
            by_key[str(request_key)].append(str(reference))
        acknowledged = Counter(
            str(payload.get("context", {}).get("reference"))
            for _key, _status, payload, _sent in mails
            if payload.get("template") == "feedback/acknowledged"
        )
        entries = ledger["ticket"]
        lost = duplicated = 0
        answers = Counter()
        for entry in entries:
            stored = by_key.get(str(entry["request_key"]), [])
            answers.update(status for status, _ in entry["answers"])
            told = {ref for status, ref in entry["answers"] if status == 302}
            if len(stored) != 1:
                lost += 1 if not stored else 0
                duplicated += max(0, len(stored) - 1)
                problems.append(f"ticket {entry['reference']}: stored {stored}")
            if told != set(stored) or any(status != 302 for status, _ in entry["answers"]):
                problems.append(f"ticket {entry['reference']}: answers {entry['answers']}")
            for ref in stored:
                if acknowledged.get(ref, 0) != 1:
                    problems.append(f"ticket {ref}: {acknowledged.get(ref, 0)} acknowledgements")
        counts["ticket"] = {
            "double_submits": len(entries),
            "at_once": sum(1 for e in entries if e["at_once"]),
            "posts": sum(len(e["answers"]) for e in entries),
            "answers": dict(sorted(answers.items())),
            "tickets_stored": sum(len(by_key.get(str(e["request_key"]), [])) for e in entries),
            "lost": lost,
            "duplicated": duplicated,
        }

    # Survey answers: each answered invitation has one response, completed, with one
    # answer per question (every page was sent twice).
    if "survey" in ledger:
        responses: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for token, invitation_status, response_id, status, answered, questions in surveyed:
            if response_id is not None:
                responses[str(token)].append((invitation_status, status, answered, questions))
        entries = ledger["survey"]
        lost = duplicated = 0
        posts: Counter[int] = Counter()
        for entry in entries:
            for page in entry["pages"]:
                posts.update(page)
            stored = responses.get(entry["token"], [])
            if len(stored) > 1:
                duplicated += len(stored) - 1
                problems.append(f"survey {entry['reference']}: {len(stored)} responses")
            if not entry["finished"]:
                problems.append(f"survey {entry['reference']}: not finished {entry['pages']}")
                continue
            if not stored:
                lost += 1
                problems.append(f"survey {entry['reference']}: finished, no response stored")
                continue
            invitation_status, status, answered, questions = stored[0]
            if (invitation_status, status) != ("completed", "complete") or answered != questions:
                problems.append(
                    f"survey {entry['reference']}: invitation {invitation_status}, response "
                    f"{status}, {answered} answers to {questions} questions"
                )
        counts["survey"] = {
            "surveys_answered": len(entries),
            "pages_sent_twice": sum(len(e["pages"]) for e in entries),
            "at_once": sum(len(e["pages"]) for e in entries if e["at_once"]),
            "posts": dict(sorted(posts.items())),
            "responses_stored": sum(len(responses.get(e["token"], [])) for e in entries),
            "answers_stored": sum(row[2] for e in entries for row in responses.get(e["token"], [])),
            "lost": lost,
            "duplicated": duplicated,
        }

    # E-mails: every outbox mail done and received exactly once, nothing else received.
    os.environ["FLASK_SHOPCARE_EXTERNAL_URL"] = EXTERNAL_URL
    app = create()
    with app.app_context():
        expected = {
            message_id(str(key)): str(key) for key, _status, _payload, sent in mails if sent
        }
        # Done without being sent: a mail hook said it was no longer wanted (a survey
        # invitation whose survey was answered before it went). It must not arrive.
        withheld = {
            message_id(str(key)): str(key)
            for key, status, _payload, sent in mails
            if status == "done" and not sent
        }
    # Each case told its shopper: a withdrawal its acknowledgement, a return or a claim
    # that it was received; one e-mail of that template per case, none missing.
    mailed: Counter[tuple[str, str]] = Counter(
        (str(payload.get("template")), str(payload.get("context", {}).get("number")))
        for _key, _status, payload, _sent in mails
    )
    for _reference, kind, number, _request_key in cases:
        template = "cases/withdrawal_received" if kind == "withdrawal" else "cases/status_changed"
        if mailed.get((template, number), 0) != 1:
            problems.append(f"case {number}: {mailed.get((template, number), 0)} x {template}")
    # Each carrier event that moved a parcel to a status the shopper hears about: one e-mail.
    keys = Counter(str(key) for key, _status, _payload, _sent in mails)
    for event_id, action in moved:
        if keys.get(f"tracking-mail:{event_id}", 0) != 1:
            problems.append(f"event {event_id} ({action}): no status e-mail queued")
    statuses = Counter(str(status) for _key, status, _payload, _sent in mails)
    templates = Counter(str(payload.get("template")) for _key, _status, payload, _sent in mails)
    not_done = {s: n for s, n in statuses.items() if s != "done"}
    if not_done:
        problems.append(f"e-mails not done: {not_done}")
    missing = [mid for mid in expected if sink.by_message_id.get(mid, 0) == 0]
    repeated = {mid: n for mid, n in sink.by_message_id.items() if n > 1}
    strays = [mid for mid in sink.by_message_id if mid not in expected]  # withheld too
    wrong_header = [
        mid for mid, key in expected.items() if mid in sink.dedupe_of and sink.dedupe_of[mid] != key
    ]
    for label, found in (
        ("not received", missing),
        ("received more than once", repeated),
        ("received but not in the outbox", strays),
        ("with another dedupe header", wrong_header),
    ):
        if found:
            problems.append(f"e-mails {label}: {len(found)} (e.g. {list(found)[:3]})")
    counts["email"] = {
        "outbox_mail_items": len(mails),
        "sent": len(expected),
        "withheld_by_a_hook": len(withheld),
        "by_status": dict(statuses),
        "by_template": dict(sorted(templates.items())),
        "smtp_messages_received": sink.total,
        "distinct_message_ids": len(sink.by_message_id),
        "not_received": len(missing),
        "received_more_than_once": len(repeated),
        "strays": len(strays),
    }

    errors = {
        endpoint: sum(n for status, n in statuses.items() if int(status) >= 500 or int(status) == 0)
        for endpoint, statuses in result["statuses"].items()
    }
    counts["5xx_or_broken"] = sum(errors.values())
    for endpoint, statuses in result["statuses"].items():
        unexpected = {s: n for s, n in statuses.items() if int(s) not in EXPECTED[endpoint]}
        if unexpected:
            samples = [v for k, v in result["samples"].items() if k.startswith(endpoint)]
            problems.append(f"{endpoint} answered {unexpected}: {samples[:1]}")
    if counts["5xx_or_broken"]:
        problems.append(f"5xx or broken connections: { {k: v for k, v in errors.items() if v} }")
    if result["flow_errors"]:
        problems.append(f"flows that went wrong: {dict(result['flow_errors'])}")
    return counts, problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def figures(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    elapsed = result["elapsed"]
    rows = {}
    for endpoint, values in result["latencies"].items():
        rows[endpoint] = {
            "requests": len(values),
            "rps": len(values) / elapsed,
            "p50_ms": 1000 * percentile(values, 0.50),
            "p95_ms": 1000 * percentile(values, 0.95),
            "p99_ms": 1000 * percentile(values, 0.99),
            "mean_ms": 1000 * statistics.fmean(values),
        }
    base = rows.get(BASELINE)
    for row in rows.values():
        if base:
            # How this endpoint compares with the baseline in the same run: its share of
            # the baseline's speed (baseline mean / its mean: 1.0 = as fast, lower = slower),
            # and its latency as a multiple of the baseline's at p50 and p99.
            row["speed_vs_baseline"] = base["mean_ms"] / row["mean_ms"]
            row["p50_x_baseline"] = row["p50_ms"] / base["p50_ms"]
            row["p99_x_baseline"] = row["p99_ms"] / base["p99_ms"]
    return rows


def print_report(
    rows: dict[str, dict[str, float]], result: dict[str, Any], counts: dict[str, Any]
) -> None:
    total = sum(row["requests"] for row in rows.values())
    print(
        f"\n{total} requests in {result['elapsed']:.1f} s ({total / result['elapsed']:.1f} req/s), "
        f"{result['threads']} client threads; flows {dict(result['flows'])}\n"
    )
    print(
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | speed vs baseline "
        "| p50 x baseline | p99 x baseline | statuses |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    order = sorted(rows, key=lambda name: (name != BASELINE, name))
    for name in order:
        row = rows[name]
        statuses = ", ".join(
            f"{n} x {s}"
            for s, n in sorted(result["statuses"][name].items(), key=lambda x: int(x[0]))
        )
        print(
            f"| {name} | {row['requests']} | {row['rps']:.1f} | {row['p50_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row.get('speed_vs_baseline', 0):.2f} | "
            f"{row.get('p50_x_baseline', 0):.1f} | {row.get('p99_x_baseline', 0):.1f} | {statuses} |"
        )
    print("\nreconciliation:\n")
    print("| traffic | submitted twice (at once) | posts | answers | stored | lost | duplicated |")
    print("|---|---|---|---|---|---|---|")
    labels = {
        "return": "return form (request_key)",
        "withdrawal": "withdrawal confirmation (request_key)",
        "api_case": "guarantee claim, JSON API (no key)",
        "ticket": "ticket form (request_key)",
        "survey": "survey pages",
        "webhook": "carrier events (sent 2-3 times)",
    }
    for kind, label in labels.items():
        row = counts.get(kind)
        if row is None:
            continue
        twice = row.get("double_submits", row.get("distinct_events", row.get("pages_sent_twice")))
        stored = (
            next(row[key] for key in ("cases_stored", "tickets_stored", "stored") if key in row)
            if kind != "survey"
            else (f"{row['responses_stored']} responses, {row['answers_stored']} answers")
        )
        if kind == "survey":
            label = f"survey pages ({row['surveys_answered']} surveys answered)"
        answers = row.get("answers", row.get("posts"))
        listed = ", ".join(
            f"{n} x {s}" for s, n in sorted(answers.items(), key=lambda x: int(x[0]))
        )
        posts = row["posts"] if isinstance(row["posts"], int) else sum(row["posts"].values())
        print(
            f"| {label} | {twice} ({row['at_once']}) | {posts} | {listed} | {stored} "
            f"| {row['lost']} | {row['duplicated']} |"
        )
    mail = counts["email"]
    print(
        f"\ne-mails: {mail['outbox_mail_items']} in the outbox, {mail['by_status']}; "
        f"{mail['sent']} sent, {mail['withheld_by_a_hook']} withheld by a mail hook; the SMTP sink "
        f"received {mail['smtp_messages_received']} messages with "
        f"{mail['distinct_message_ids']} distinct Message-IDs; not received "
        f"{mail['not_received']}, received more than once {mail['received_more_than_once']}, "
        f"strays {mail['strays']}; by template {mail['by_template']}"
    )
    print(f"5xx or broken connections: {counts['5xx_or_broken']}")
    if result.get("pools_exhausted"):
        print(f"WARNING: pools ran out (flows that did nothing): {result['pools_exhausted']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--outbox-workers", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--drive", nargs=2, metavar=("PLAN", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(Path(args.drive[0]), Path(args.drive[1]), args.port, args.seconds, args.threads)
        return 0

    os.environ.setdefault("SECRET_KEY", "load-bench-" + os.urandom(16).hex())
    with ExitStack() as stack:
        url = stack.enter_context(database("postgres"))
        if url is None:
            print("skipped: no PostgreSQL binaries and no BENCH_POSTGRES_URL")
            return 0
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shopcare-load-")))
        sink, smtp_port = stack.enter_context(smtp_sink())
        env = {
            **os.environ,
            "BENCH_DATABASE_URL": url,
            "BENCH_WEBHOOK_SECRET": SECRET,
            "PYTHONPATH": str(ROOT),
            "FLASK_MAIL_SERVER": "127.0.0.1",
            "FLASK_MAIL_PORT": str(smtp_port),
            "FLASK_MAIL_DEFAULT_SENDER": "care@casaverde.example",
            "FLASK_SHOPCARE_EXTERNAL_URL": EXTERNAL_URL,
            "GUNICORN_CMD_ARGS": "--timeout 120",
        }
        os.environ.update({k: env[k] for k in ("BENCH_DATABASE_URL", "BENCH_WEBHOOK_SECRET")})
        # Enough orders that no pool runs out (the run says so if one does).
        size = max(60, int(args.seconds * args.threads * 2))
        pools = {"browse": 100, "webhook": max(20, size // 2), "return": size}
        pools.update(withdrawal=size, api_case=size, ticket=size, survey=size)
        started = time.monotonic()
        plan = seed_shop(url, pools)
        print(f"seeded {sum(pools.values())} orders in {time.monotonic() - started:.0f} s: {pools}")
        plan_path, out_path = tmp / "plan.json", tmp / "result.json"
        plan_path.write_text(json.dumps(plan))
        port = free_port()
        stack.enter_context(gunicorn(url, port, workers=args.workers, env_extra=env))
        logs = stack.enter_context(outbox_workers(env, args.outbox_workers, tmp))
        load_before = os.getloadavg()
        print(
            f"gunicorn {args.workers} workers, {args.outbox_workers} outbox workers, SMTP sink on "
            f":{smtp_port}; driving {args.threads} threads for {args.seconds:.0f} s "
            f"(load average {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f})",
            flush=True,
        )
        driver = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--drive",
                str(plan_path),
                str(out_path),
                "--port",
                str(port),
                "--seconds",
                str(args.seconds),
                "--threads",
                str(args.threads),
            ],
        )
        during = []
        while driver.poll() is None:
            during.append(os.getloadavg()[0])
            time.sleep(2)
        if driver.returncode:
            raise RuntimeError(f"the traffic driver failed ({driver.returncode})")
        load_after = os.getloadavg()
        result = json.loads(out_path.read_text())
        outbox, waited = drain(url, args.drain_timeout)
        time.sleep(1)  # the last accepted message's handler
        print(f"outbox drained in {waited:.0f} s after the load: {outbox}")
        counts, problems = reconcile(url, result, sink)
        kept = ROOT / "bench" / "results"
        kept.mkdir(exist_ok=True)
        for log in logs:
            failures = [line for line in log.read_text().splitlines() if "ERROR" in line]
            if failures:
                problems.append(
                    f"{log.name}: {len(failures)} errors, e.g. {failures[0][:200]} "
                    f"(the whole log: bench/results/load-{log.name})"
                )
            (kept / f"load-{log.name}").write_text(log.read_text())
    rows = figures(result)
    print_report(rows, result, counts)
    print(
        f"\nload average (1, 5, 15 min): before {' '.join(f'{x:.1f}' for x in load_before)}, "
        f"after {' '.join(f'{x:.1f}' for x in load_after)}; 1-min during the run "
        f"{min(during):.1f}-{max(during):.1f} (mean {statistics.fmean(during):.1f}, "
        f"{len(during)} samples) on {os.cpu_count()} CPUs"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(
        json.dumps(
            {
                "figures": rows,
                "counts": counts,
                "problems": problems,
                "flows": result["flows"],
                "elapsed": result["elapsed"],
                "threads": result["threads"],
                "load_average": {"before": load_before, "after": load_after, "during": during},
            },
            indent=2,
        )
    )
    if problems:
        print(f"\nDOES NOT RECONCILE ({len(problems)} problems):")
        for problem in problems[:40]:
            print(f"  {problem}")
        return 1
    print(
        "\nreconciled: every accepted submission stored exactly once, every e-mail sent once, no 5xx"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
