"""The demo shop: a shopper's walk through it, its login rules, and its seeded history."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from shopcare.demo.__main__ import main as demo_main
from shopcare.demo.app import create_app
from shopcare.demo.extensions import care as demo_care
from shopcare.demo.extensions import db as demo_db
from shopcare.demo.models import Product, User
from shopcare.demo.seed import SHOPPER, STAFF, seed, seed_catalogue, seed_users
from shopcare.orders.models import Order

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
#: Password hashing is slow on purpose; the tests do not need it to be.
FAST_HASH = "pbkdf2:sha256:1000"


def build(url: str, *, days: int | None = None) -> Flask:
    """A demo app on ``url``: catalogue and users only, or ``days`` of history."""
    app = create_app(url, DEMO_PASSWORD_METHOD=FAST_HASH)
    if days is None:
        seed(app, now=NOW, steps=[seed_catalogue, seed_users])
    else:
        seed(app, now=NOW, days=days)
    return app


def dispose(app: Flask) -> None:
    with app.app_context():
        demo_db.session.remove()
        demo_db.engine.dispose()


@pytest.fixture
def shop(empty_database_url: str) -> Iterator[Flask]:
    """The demo shop on a database of its own (a throwaway one on PostgreSQL)."""
    app = build(empty_database_url)
    yield app
    dispose(app)


@pytest.fixture
def browser_client(shop: Flask) -> FlaskClient:
    return shop.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match[1]


def checkout_form(html: str) -> dict[str, str]:
    """The checkout page's hidden fields: the CSRF token and the one-time checkout key."""
    key = re.search(r'name="checkout_key"[^>]*value="([^"]+)"', html)
    assert key, "the checkout page has no checkout key"
    return {"csrf_token": csrf_token(html), "checkout_key": key[1]}


def log_in(client: FlaskClient, email: str, password: str, next: str = "") -> Any:
    page = client.get(f"/login?next={next}" if next else "/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"email": email, "password": password, "next": next, "csrf_token": csrf_token(page)},
    )


def add_to_cart(client: FlaskClient, slug: str, quantity: int) -> None:
    page = client.get(f"/shop/{slug}").get_data(as_text=True)
    sku = re.search(r'name="sku" value="([^"]+)"', page)
    assert sku
    response = client.post(
        "/cart/add",
        data={"sku": sku[1], "quantity": quantity, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302


def test_shopper_logs_in_fills_the_cart_and_checks_out(
    shop: Flask, browser_client: FlaskClient
) -> None:
    client = browser_client
    response = log_in(client, *SHOPPER)
    assert response.status_code == 302 and response.location.endswith("/account/")

    add_to_cart(client, "monstera-deliciosa", 2)
    add_to_cart(client, "stoneware-mug", 1)
    cart = client.get("/cart/").get_data(as_text=True)
    assert "Monstera Deliciosa" in cart and "Stoneware Mug" in cart
    assert "data-cart-count>3<" in cart

    checkout = client.get("/checkout")
    assert checkout.status_code == 200
    placed = client.post("/checkout", data=checkout_form(checkout.get_data(as_text=True)))
    assert placed.status_code == 302
    reference = placed.location.rsplit("/", 1)[1]
    assert re.fullmatch(r"CV-\d{6}", reference)

    thanks = client.get(placed.location).get_data(as_text=True)
    assert reference in thanks
    assert 'href="/care/"' in thanks
    assert "data-cart-count>0<" in thanks

    with shop.app_context():
        shopper = demo_db.session.scalars(select(User).where(User.email == SHOPPER[0])).one()
        order = demo_care.orders.get(reference)
        assert order is not None
        assert order.user_id == str(shopper.id)
        assert order.email == SHOPPER[0]
        assert order.currency == "EUR"
        assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
            ("PLT-MONS", 2, Decimal("34.90")),
            ("KIT-MUGS", 1, Decimal("11.90")),
        ]
        assert order.total == Decimal("81.70")
        assert [o.reference for o in demo_care.orders.for_user(shopper.id)] == [reference]

    account = client.get("/account/").get_data(as_text=True)
    assert reference in account and 'data-order-status="preparing">Preparing<' in account


def test_the_account_page_shows_the_status_shopcare_shows(
    shop: Flask, browser_client: FlaskClient
) -> None:
    """A split order with one parcel at the door: "partly delivered" on both pages."""
    log_in(browser_client, *SHOPPER)
    add_to_cart(browser_client, "monstera-deliciosa", 1)
    add_to_cart(browser_client, "stoneware-mug", 1)
    page = browser_client.get("/checkout").get_data(as_text=True)
    reference = browser_client.post("/checkout", data=checkout_form(page)).location.rsplit("/")[-1]
    with shop.app_context():
        tracking = demo_care.tracking
        tracking.add_shipment(
            reference, carrier="seur", tracking_number="S1", lines={"PLT-MONS": 1}
        )
        tracking.add_shipment(
            reference, carrier="seur", tracking_number="S2", lines={"KIT-MUGS": 1}
        )
        tracking.add_event(reference, "delivered", carrier="seur", tracking_number="S1")
        demo_db.session.commit()
    account = browser_client.get("/account/").get_data(as_text=True)
    care_page = browser_client.get(f"/care/tracking/orders/{reference}").get_data(as_text=True)
    shown = 'data-order-status="partly_delivered">Partly delivered (1 of 2 parcels delivered)<'
    assert shown in account and shown in care_page


def test_a_post_without_its_csrf_token_is_refused(browser_client: FlaskClient) -> None:
    response = browser_client.post("/cart/add", data={"sku": "PLT-MONS", "quantity": 1})
    assert response.status_code == 400


def test_a_bad_login_shows_an_error_and_logs_nobody_in(browser_client: FlaskClient) -> None:
    response = log_in(browser_client, SHOPPER[0], "not-the-password")
    assert response.status_code == 200
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert browser_client.get("/account/").status_code == 302


def test_checkout_sends_an_anonymous_visitor_to_log_in_and_back(
    browser_client: FlaskClient,
) -> None:
    add_to_cart(browser_client, "terracotta-pot-20-cm", 1)
    response = browser_client.get("/checkout")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fcheckout"

    response = log_in(browser_client, *SHOPPER, next="/checkout")
    assert response.location == "/checkout"
    assert browser_client.get("/checkout").status_code == 200


def test_submitting_the_checkout_page_twice_places_one_order(
    shop: Flask, browser_client: FlaskClient
) -> None:
    log_in(browser_client, *SHOPPER)
    add_to_cart(browser_client, "stoneware-mug", 1)
    form = checkout_form(browser_client.get("/checkout").get_data(as_text=True))
    cookie = browser_client.get_cookie("session")
    assert cookie is not None
    first = browser_client.post("/checkout", data=form)
    # A double click: the same page posted again with the old cookie, cart still in it.
    twin = shop.test_client()
    twin.set_cookie("session", cookie.value)
    double = twin.post("/checkout", data=form)
    # A retry after the order went through: the cart is empty by now.
    retry = browser_client.post("/checkout", data=form)
    assert first.status_code == double.status_code == retry.status_code == 302
    assert first.location == double.location == retry.location
    with shop.app_context():
        shopper = demo_db.session.scalars(select(User).where(User.email == SHOPPER[0])).one()
        assert len(demo_care.orders.for_user(shopper.id)) == 1


def test_login_never_redirects_off_site(browser_client: FlaskClient) -> None:
    response = log_in(browser_client, *SHOPPER, next="https://evil.example/")
    assert response.location == "/account/"


def test_another_shoppers_confirmation_page_is_not_found(
    shop: Flask, browser_client: FlaskClient
) -> None:
    log_in(browser_client, *SHOPPER)
    add_to_cart(browser_client, "stoneware-mug", 1)
    page = browser_client.get("/checkout").get_data(as_text=True)
    thanks = browser_client.post("/checkout", data=checkout_form(page)).location

    other = shop.test_client()
    log_in(other, *STAFF)
    assert other.get(thanks).status_code == 404


def test_the_care_home_renders_inside_the_shop_layout(browser_client: FlaskClient) -> None:
    page = browser_client.get("/care/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="site-header"' in html and "Casa Verde" in html  # the shop's layout
    assert html.count("/care/static/shopcare/shopcare.css") == 1  # the layout links it, once
    assert "/static/demo/demo.css" in html
    assert '<div class="shopcare">' in html
    assert "¿En qué podemos ayudarte?" in html  # shopcare speaks the browser's language
    assert '<html lang="es">' in html


@pytest.mark.parametrize("autoescape", [True, False])
def test_the_layouts_gettext_is_jinjas_new_style_gettext(autoescape: bool) -> None:
    """The demo binds its page's catalog to a plain ``_``: same text, escaping and
    %-formatting as Jinja's own new-style ``gettext`` (``%%`` included)."""
    from gettext import NullTranslations

    from jinja2 import Environment
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    from shopcare.demo.views import _page_gettext

    null = NullTranslations()
    ours = _page_gettext(null.gettext, null.ngettext)
    theirs = (_make_new_gettext(null.gettext), _make_new_ngettext(null.ngettext))
    env = Environment(autoescape=autoescape)
    source = (
        "{{ _('Plain') }}|{{ _('100%% cotton') }}|{{ _('Hi %(name)s', name=who) }}|"
        "{{ ngettext('%(num)d item', '%(num)d items', n) }}|{{ ngettext('one', 'many', 1) }}"
    )
    template = env.from_string(source)
    context = {"who": "<b>Ana</b>", "n": 3}
    rendered = [
        template.render(_=gettext, gettext=gettext, ngettext=ngettext, **context)
        for gettext, ngettext in (ours, theirs)
    ]
    assert rendered[0] == rendered[1]
    assert "100% cotton" in rendered[0] and "3 items" in rendered[0]
    assert ("&lt;b&gt;Ana" in rendered[0]) is autoescape


@pytest.mark.parametrize(
    "path",
    ["/care/tracking/orders/CV-1?key=a.b-c_d&x=1 2&y=é/ü;:@!$'()*,", "/shop/?q=%25&z=a+b", "/"],
)
def test_the_language_switch_links_back_as_url_for_would(shop: Flask, path: str) -> None:
    """The layout builds its fixed links once; the switch's link still carries the
    page's own address, encoded exactly as ``url_for(..., next=...)`` encodes it."""
    from flask import request, url_for

    with shop.test_request_context(path):
        shop.preprocess_request()
        context: dict[str, Any] = {}
        shop.update_template_context(context)
        for code in ("en", "es"):
            expected = url_for("shop.language", code=code, next=request.full_path)
            assert context["language_links"][code] == expected


def test_only_staff_see_the_staff_link(browser_client: FlaskClient, shop: Flask) -> None:
    log_in(browser_client, *SHOPPER)
    assert 'class="nav-staff"' not in browser_client.get("/shop/").get_data(as_text=True)
    staff = shop.test_client()
    log_in(staff, *STAFF)
    assert 'class="nav-staff"' in staff.get("/shop/").get_data(as_text=True)


def test_catalogue_filters_by_category(browser_client: FlaskClient) -> None:
    everything = browser_client.get("/shop/").get_data(as_text=True)
    plants = browser_client.get("/shop/?category=plants").get_data(as_text=True)
    assert everything.count('class="card"') == 30
    assert plants.count('class="card"') == 6
    assert "Stoneware Mug" not in plants
    assert browser_client.get("/shop/?category=nothing").status_code == 404
    assert browser_client.get("/shop/no-such-thing").status_code == 404


def test_demo_tables_are_the_hosts_own(shop: Flask) -> None:
    with shop.app_context():
        tables = set(inspect(demo_db.engine).get_table_names())
    assert {"users", "products", "order_numbers"} <= tables
    assert "shopcare_orders" in tables


# -- the seeded history ------------------------------------------------------------------


@pytest.fixture
def seeded(empty_database_url: str) -> Iterator[Flask]:
    app = build(empty_database_url, days=365)
    yield app
    dispose(app)


def test_seed_makes_a_year_with_regulars_lost_customers_and_big_spenders(seeded: Flask) -> None:
    with seeded.app_context():
        orders = demo_db.session.scalars(select(Order).order_by(Order.placed_at)).all()
        totals = {order.reference: order.total for order in orders}
        users = demo_db.session.scalars(select(User)).all()
        products = demo_db.session.scalar(select(func.count()).select_from(Product))

    assert products == 30
    assert 20 <= len(users) <= 40
    assert 200 <= len(orders) <= 500
    assert all(NOW - timedelta(days=366) <= order.placed_at <= NOW for order in orders)
    # References follow the order dates.
    numbers = [int(order.reference.removeprefix("CV-")) for order in orders]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)

    by_user: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        if order.user_id is not None:
            by_user[order.user_id].append(order)
    counts = Counter({user: len(mine) for user, mine in by_user.items()})
    assert sum(1 for n in counts.values() if n >= 6) >= 5, "regulars come back"
    assert sum(1 for n in counts.values() if n == 1) >= 2, "some buy once"
    lost = [
        user
        for user, mine in by_user.items()
        if len(mine) >= 2 and mine[-1].placed_at < NOW - timedelta(days=120)
    ]
    assert len(lost) >= 3, "some regulars stopped buying"
    spend = sorted(sum(totals[order.reference] for order in mine) for mine in by_user.values())
    assert spend[-1] > 3 * spend[len(spend) // 2], "a few big spenders"
    assert sum(1 for order in orders if order.user_id is None) >= 30, "guests buy too"

    shopper = next(user for user in users if user.email == SHOPPER[0])
    assert len(by_user[str(shopper.id)]) >= 5

    older = [order for order in orders if order.placed_at < NOW - timedelta(days=7)]
    delivered = [order for order in older if order.delivered_at is not None]
    assert len(delivered) >= 0.9 * len(older)
    assert all(order.placed_at < (order.delivered_at or NOW) for order in delivered)


def test_seed_is_deterministic_and_refuses_a_seeded_database(tmp_path: Path) -> None:
    histories = []
    for name in ("one", "two"):
        app = build(f"sqlite:///{tmp_path / name}.sqlite", days=45)
        with app.app_context():
            histories.append(
                [
                    (order.reference, order.email, order.placed_at, order.total)
                    for order in demo_db.session.scalars(select(Order).order_by(Order.id))
                ]
            )
        if name == "two":
            with pytest.raises(RuntimeError, match="already seeded"):
                seed(app, now=NOW)
        dispose(app)
    assert histories[0] == histories[1] and len(histories[0]) > 20


def test_the_seed_command_creates_the_database_and_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "instance" / "nested" / "demo.sqlite"
    assert demo_main(["seed", "--database", str(target), "--days", "30"]) == 0
    assert target.exists()
    assert "Seeded" in capsys.readouterr().out
    assert demo_main(["seed", "--database", str(target), "--days", "30"]) == 1
    assert "--force" in capsys.readouterr().err


def test_flask_commands_run_on_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo.sqlite"
    assert demo_main(["seed", "--database", str(target), "--days", "20"]) == 0
    capsys.readouterr()
    assert (
        demo_main(
            [
                "flask",
                "--database",
                str(target),
                "shopcare",
                "api-key",
                "create",
                "carrier",
                "--scope",
                "tracking:write",
            ]
        )
        == 0
    )
    assert "carrier" in capsys.readouterr().out
    assert demo_main(["flask", "--database", str(target), "shopcare", "work"]) == 0


def test_the_demo_speaks_spanish_all_through(browser_client: FlaskClient) -> None:
    """The shop's own strings are translated too, and the header switches the language."""
    switched = browser_client.get("/language/es?next=/shop/")
    assert switched.status_code == 302 and switched.location == "/shop/"
    shop = browser_client.get("/shop/").get_data(as_text=True)
    assert '<html lang="es">' in shop
    for spanish in ("Todos los productos", "Añadir", "Cesta", "Ayuda", "Macetas y jardineras"):
        assert spanish in shop, spanish
    for english in ("All products", "Add to cart", ">Help<", "Pots &amp; planters", "Cart, "):
        assert english not in shop, english
    # counts other than one (Spanish has a third plural form, for millions, in newer CLDR)
    assert 'aria-label="Cesta, 0 artículos"' in shop
    care_home = browser_client.get("/care/").get_data(as_text=True)
    assert "¿En qué podemos ayudarte?" in care_home and "Atención al cliente" in care_home
    back = browser_client.get("/language/en?next=/care/")
    assert back.location == "/care/"
    assert "How can we help?" in browser_client.get("/care/").get_data(as_text=True)
    assert browser_client.get("/language/xx").status_code == 404
    assert browser_client.get("/language/es?next=https://evil.example/").location == "/"


def test_a_regional_browser_language_gets_the_spanish_shop(shop: Flask) -> None:
    client = shop.test_client()
    html = client.get("/shop/", headers={"Accept-Language": "es-MX,es-419;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="es">' in html and "Todos los productos" in html


def test_an_expired_form_token_shows_the_form_again_not_a_bare_400(
    browser_client: FlaskClient,
) -> None:
    """The demo has CSRFProtect: a stale token is still a filled form and a message."""
    response = browser_client.post(
        "/care/tracking/",
        data={"reference": "CV-100001", "email": "me@example.com", "csrf_token": "stale"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-form-expired" in html and 'class="site-header"' in html
    assert 'value="CV-100001"' in html and 'value="me@example.com"' in html


def test_the_shopper_has_orders_in_every_state_and_old_late_parcels_are_resolved(
    empty_database_url: str,
) -> None:
    app = build(empty_database_url, days=60)
    try:
        with app.app_context():
            shopper = demo_db.session.scalars(select(User).where(User.email == SHOPPER[0])).one()
            orders = demo_care.orders.for_user(shopper.id)
            statuses = demo_care.tracking.order_statuses(order.reference for order in orders)
            seen = {(status.code, status.problem, status.late) for status in statuses.values()}
            codes = {code for code, _problem, _late in seen}
            problems = {problem for _code, problem, _late in seen}
            assert {"delivered", "partly_delivered", "in_transit", "shipped"} <= codes, seen
            assert {"exception", "failed_attempt"} <= problems, seen
            assert any(late and problem is None for _code, problem, late in seen), seen
            late = demo_care.tracking.late_shipments(per_page=1000, now=NOW)
            assert late.items and max(row.days_late for row in late.items) <= 30
    finally:
        dispose(app)


def test_placing_an_order_queues_a_confirmation_email(
    shop: Flask, browser_client: FlaskClient
) -> None:
    from shopcare.core.outbox.models import OutboxItem

    log_in(browser_client, *SHOPPER)
    add_to_cart(browser_client, "stoneware-mug", 1)
    page = browser_client.get("/checkout").get_data(as_text=True)
    reference = browser_client.post("/checkout", data=checkout_form(page)).location.rsplit("/")[-1]
    with shop.app_context():
        items = demo_db.session.scalars(select(OutboxItem)).all()
        assert [item.payload.get("template") for item in items] == ["casaverde/order_placed"]
        assert reference in str(items[0].payload)
    thanks = browser_client.get(f"/checkout/thanks/{reference}").get_data(as_text=True)
    assert f'href="/care/tracking/orders/{reference}"' in thanks and "Track this order" in thanks
    account = browser_client.get("/account/").get_data(as_text=True)
    assert f'href="/care/tracking/orders/{reference}"' in account


def test_the_demo_keeps_a_random_secret_key_in_its_instance_folder(tmp_path: Path) -> None:
    from shopcare.demo.app import SECRET_KEY_FILE, instance_secret_key

    one = Flask("a", instance_path=str(tmp_path / "instance"))
    key = instance_secret_key(one)
    assert len(key) == 64 and key != "casa-verde-demo-not-a-secret"
    assert (tmp_path / "instance" / SECRET_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert instance_secret_key(Flask("b", instance_path=str(tmp_path / "instance"))) == key
    assert instance_secret_key(Flask("c", instance_path=str(tmp_path / "other"))) != key


def test_the_seed_gives_the_dashboard_a_year_to_show(seeded: Flask) -> None:
    """Returns over many months, answers enough for the headline figures, and the
    answers' daily rollup built up to the seed's day (issue 14)."""
    from datetime import date

    from shopcare.cases.models import Case
    from shopcare.insights import report
    from shopcare.insights.models import DailyAnswers, Rollup

    with seeded.test_request_context():
        returns = demo_db.session.scalars(select(Case.opened_at).where(Case.kind == "return"))
        months = {moment.strftime("%Y-%m") for moment in returns}
        assert len(months) >= 6
        watermark = demo_db.session.get(Rollup, "answers")
        assert watermark is not None and watermark.zone == "Europe/Madrid"
        assert watermark.until == NOW.astimezone(watermark_zone()).date()
        assert demo_db.session.scalar(select(func.sum(DailyAnswers.answers))) > 500
        insights = demo_care.insights
        period = insights.period(date(2025, 6, 16), date(2026, 6, 16))
        data = report.dashboard(insights, period)
        for name in ("nps", "csat", "ces", "return_rate"):
            assert data["headlines"][name]["current"]["value"] is not None, name
        assert data["refunded"]["current"]


def watermark_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Madrid")


def test_every_seeded_delivery_comes_a_day_after_its_order() -> None:
    """A courier's working hours must not move a delivery before the order's next day:
    an order placed at 23:00 with 1.5 days of transit once got a delivery at 09:00 the
    next morning, and its parcel's history began before the order was placed (the
    seed failed at 10:40 UTC, below)."""
    import random
    from types import SimpleNamespace

    from shopcare.demo.seed import _delivered_at

    now = datetime(2026, 12, 1, 10, 40, tzinfo=UTC)
    ctx = SimpleNamespace(rng=random.Random(7), now=now)
    delivered = 0
    for minutes in range(0, 12 * 24 * 60, 7):
        placed = now - timedelta(days=12) + timedelta(minutes=minutes)
        found = _delivered_at(ctx, placed)  # type: ignore[arg-type]
        if found is not None:
            delivered += 1
            assert placed + timedelta(days=1) <= found <= now, (placed, found)
    assert delivered > 1000


def test_the_seed_runs_at_the_hour_it_once_failed(tmp_path: Path) -> None:
    """``seed(now=2026-12-01 10:40 UTC, days=120)`` (what the dashboard's browser test
    did at that hour) refused a parcel event dated before its order."""
    app = create_app(f"sqlite:///{tmp_path / 'demo.sqlite'}", DEMO_PASSWORD_METHOD=FAST_HASH)
    seed(app, now=datetime(2026, 12, 1, 10, 40, tzinfo=UTC), days=120)
    with app.app_context():
        assert demo_db.session.scalar(select(func.count(Order.id))) > 100
    dispose(app)


def test_an_expired_form_token_over_the_rate_limit_gets_the_429_page(
    browser_client: FlaskClient,
) -> None:
    """The view that re-shows a form whose token expired is itself rate-limited: once
    the address is over its budget, the shopper gets the translated 429 page, not a bare
    500 from inside the error handler."""
    statuses = []
    for _ in range(15):
        response = browser_client.post(
            "/care/tracking/",
            data={"reference": "CV-100001", "email": "me@example.com", "csrf_token": "stale"},
            headers={"Accept-Language": "es"},
        )
        statuses.append(response.status_code)
        if response.status_code != 200:
            break
    first_refused = statuses.index(429)
    assert statuses == [200] * first_refused + [429], statuses
    html = response.get_data(as_text=True)
    assert "Demasiados intentos" in html and 'class="site-header"' in html
    assert response.headers["Retry-After"]
