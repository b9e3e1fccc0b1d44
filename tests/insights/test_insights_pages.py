"""The dashboard's pages, CSV files and JSON API: staff only, every input validated."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from tests.conftest import login
from tests.insights.helpers import CONFIG, case, madrid, order, shipment


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


@pytest.fixture
def data(care: Any, db: Any) -> None:
    today = date.today()
    delivered = madrid(today.year, today.month, today.day, 0, 30) - timedelta(days=3)
    first = order(
        care, "SO-1", [("MUG-1", 3, "10.00", "kitchen"), ("=CMD", 1, "4.90")], delivered=delivered
    )
    case(first, "return", "approved", {"MUG-1": 1}, reason="too_small")
    shipment(first, "correos", delivered - timedelta(days=2), delivered)
    db.session.commit()


def test_only_staff_open_the_dashboard(client: FlaskClient) -> None:
    assert client.get("/care/insights/").status_code == 302  # to the host's login page
    login(client, "ann")
    assert client.get("/care/insights/").status_code == 403
    assert client.get("/care/insights/returns_trend.csv").status_code == 403
    assert client.get("/care/insights/lost").status_code == 403


def test_dashboard_shows_every_table_with_its_csv(client: FlaskClient, data: None) -> None:
    login(client, "sam")
    page = client.get("/care/insights/?preset=30d")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key in ("returns_trend", "returns_by_product", "deliveries", "segments", "loyalty"):
        assert f'data-table="{key}"' in html
        assert f"/care/insights/{key}.csv?preset=30d" in html
    assert "This period:" in html and "Compared with:" in html
    assert "chart.umd.min.js" in html and "cdn" not in html.lower()
    # carriers and return reasons by their names, not their codes
    deliveries = html.split('data-table="deliveries"', 1)[1].split("</table>", 1)[0]
    assert ">Correos</td>" in deliveries and "correos" not in deliveries
    reasons = html.split('data-table="returns_by_reason"', 1)[1].split("</table>", 1)[0]
    assert ">Too small</td>" in reasons and "too_small" not in reasons


def test_csv_of_a_table_has_the_rows_and_inert_text(client: FlaskClient, data: None) -> None:
    login(client, "sam")
    response = client.get("/care/insights/returns_by_category.csv?preset=30d")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "Category"
    kitchen = next(row for row in rows if row[0] == "kitchen")
    assert kitchen[1:4] == ["3", "1", "33.33"]
    products = client.get("/care/insights/returns_by_product.csv?preset=30d").get_data(as_text=True)
    assert "'=CMD" not in products  # =CMD has no return: not in the top returned
    reasons = client.get("/care/insights/returns_by_reason.csv?preset=30d").get_data(as_text=True)
    assert "\r\nToo small,4,1,25.0," in reasons and "too_small" not in reasons  # by its label
    refresh()  # the tests share one app context, where Flask-Babel keeps the locale
    spanish = client.get(
        "/care/insights/returns_by_reason.csv?preset=30d", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "\r\nDemasiado pequeño,4,1," in spanish
    assert client.get("/care/insights/nope.csv").status_code == 404


def test_custom_period_errors_are_shown_beside_the_fields(client: FlaskClient) -> None:
    login(client, "sam")
    page = client.get("/care/insights/?preset=custom&from=2026-03-31&to=2026-03-01")
    assert page.status_code == 200
    assert "The last day cannot be before the first day." in page.get_data(as_text=True)
    for query in (
        "preset=custom&from=junk&to=",
        "preset=nope",
        "grain=year",
        "preset=custom&from=0001-01-01&to=9999-12-31",
    ):
        assert client.get(f"/care/insights/?{query}").status_code == 200
    # a well-formed date out of range says so; other forms of a date are not dates
    for query, field, message in (
        ("from=1900-01-01&to=2026-03-01", "from", "Dates run from 1970 to 2999."),
        ("from=20260101&to=2026-03-01", "from", "Enter the first day as a date (YYYY-MM-DD)."),
        ("from=2026-01-01&to=2026-W05", "to", "Enter the last day as a date (YYYY-MM-DD)."),
    ):
        html = client.get(f"/care/insights/?preset=custom&{query}").get_data(as_text=True)
        assert f'<p class="sc-error" id="err-{field}">{message}</p>' in html, query
        assert "This period:" in html  # the default period shown, the error beside its field
    # a CSV link with a period it cannot read leads to the page that says why
    bad = client.get("/care/insights/indices.csv?preset=custom&from=2026-05-01&to=2026-04-01")
    assert bad.status_code == 302
    assert bad.headers["Location"].startswith("/care/insights/?preset=custom&from=2026-05-01")
    assert client.get("/care/insights/indices.csv?preset=bogus").status_code == 302
    # only the period's own fields go along (url_for's _method, _external, … are not)
    odd = client.get("/care/insights/indices.csv?preset=bogus&_method=DELETE&_anchor=x&next=y")
    assert odd.status_code == 302 and odd.headers["Location"] == "/care/insights/?preset=bogus"


def test_custom_period_label_says_which_days_each_side_covers(client: FlaskClient) -> None:
    login(client, "sam")
    html = client.get("/care/insights/?preset=custom&from=2026-03-02&to=2026-03-31").get_data(
        as_text=True
    )
    assert "This period: Mar 2, 2026 \u2013 Mar 31, 2026 (30 days)." in html
    assert "Compared with: Jan 31, 2026 \u2013 Mar 1, 2026 (the 30 days before)." in html


def test_lost_customers_page_and_csv(client: FlaskClient, care: Any, db: Any) -> None:
    order(
        care, "OLD-1", [("MUG-1", 1, "10.00")], placed=madrid(2020, 1, 1), email="gone@example.com"
    )
    second = order(
        care, "OLD-2", [("MUG-1", 1, "10.00")], placed=madrid(2020, 1, 11), email="gone@example.com"
    )
    case(second, "return", "approved", {"MUG-1": 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    page, csv = client.get("/care/insights/lost"), client.get("/care/insights/lost.csv")
    assert "gone@example.com" in page.get_data(as_text=True)
    assert "gone@example.com" in csv.get_data(as_text=True)
    # their return reasons by name, in the table, its CSV and the reasons' summary
    assert "too_small" not in page.get_data(as_text=True)
    assert page.get_data(as_text=True).count("Too small") == 2
    assert ",Too small\r\n" in csv.get_data(as_text=True)
    # customers' addresses: kept out of every cache, as every staff page
    assert page.headers["Cache-Control"] == csv.headers["Cache-Control"] == "private, no-store"


def test_product_page(client: FlaskClient, data: None) -> None:
    login(client, "sam")
    page = client.get("/care/insights/products/MUG-1?preset=30d")
    assert page.status_code == 200
    assert "<td>Too small</td><td>1</td>" in page.get_data(as_text=True)  # the reason's label
    assert client.get("/care/insights/products/NOPE").status_code == 404


def test_api_needs_the_scope_and_a_valid_period(
    client: FlaskClient, api_key: Any, data: None
) -> None:
    today = date.today()
    query = f"start={(today - timedelta(days=30)).isoformat()}&end={(today + timedelta(days=1)).isoformat()}"
    assert (
        client.get(
            f"/care/api/v1/insights/dashboard?{query}", headers=api_key("orders:read")
        ).status_code
        == 403
    )
    headers = api_key("insights:read")
    body = client.get(f"/care/api/v1/insights/dashboard?{query}", headers=headers).get_json()
    assert body["headlines"]["return_rate"]["current"]["n"] == 4
    assert {t["key"] for t in body["tables"]} >= {
        "returns_trend",
        "deliveries",
        "segments",
        "loyalty",
    }
    bad = client.get(
        "/care/api/v1/insights/dashboard?start=2026-03-01&end=2026-02-01", headers=headers
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_period"
    assert client.get("/care/api/v1/insights/dashboard", headers=headers).status_code == 400
    weeks = client.get(
        "/care/api/v1/insights/dashboard?start=2026-W01&end=2026-W05", headers=headers
    )  # ISO weeks, which Python's date.fromisoformat would take: not YYYY-MM-DD
    assert weeks.status_code == 400
    assert weeks.get_json()["error"]["fields"] == {"start": "a date, YYYY-MM-DD"}
    product = client.get(
        f"/care/api/v1/insights/products/MUG-1?{query}", headers=headers
    ).get_json()
    assert product["return_rate"]["n"] == 3
    assert (
        client.get(f"/care/api/v1/insights/products/NOPE?{query}", headers=headers).status_code
        == 404
    )
    lost = client.get("/care/api/v1/insights/lost-customers", headers=headers)
    assert lost.status_code == 200 and lost.get_json()["customers"] == []


def test_a_week_without_orders_is_a_dash_and_a_week_without_returns_is_zero(
    client: FlaskClient, care: Any, db: Any, api_key: Any
) -> None:
    """PITFALLS "Gaps drawn as zeros", on the page and in the JSON the chart draws."""
    today = date.today()
    recent = madrid(today.year, today.month, today.day, 12) - timedelta(days=2)
    first = order(care, "GAP-1", [("MUG-1", 2, "10.00")], delivered=recent)
    case(first, "return", "approved", {"MUG-1": 1}, reason="too_small")
    order(care, "GAP-2", [("MUG-1", 2, "10.00")], delivered=recent - timedelta(days=14))
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/insights/?preset=90d&grain=week").get_data(as_text=True)
    trend = html[
        html.index('data-table="returns_trend"') : html.index('data-table="returns_by_product"')
    ]
    assert "50.0 %" in trend and "0.0 %" in trend
    assert trend.count('aria-label="No data"') >= 3 * 8  # 8+ empty weeks, 3 blank figures each
    start, end = (today - timedelta(days=89)).isoformat(), (today + timedelta(days=1)).isoformat()
    body = client.get(
        f"/care/api/v1/insights/dashboard?start={start}&end={end}&grain=week",
        headers=api_key("insights:read"),
    ).get_json()
    rows = next(t for t in body["tables"] if t["key"] == "returns_trend")["rows"]
    rates = [row["rate"] for row in rows]
    assert 50.0 in rates and 0.0 in rates
    assert rates.count(None) == len(rates) - 2  # the gaps stay gaps: null, not 0


def test_table_rows_escape_every_value_and_link_the_products(
    client: FlaskClient, care: Any, db: Any
) -> None:
    """The tables' rows are written in Python (``views.table_rows``): shopper and host
    text stays text, each cell carries its column's label, products link to their page."""
    today = date.today()
    delivered = madrid(today.year, today.month, today.day, 0, 30) - timedelta(days=3)
    hostile = '<img src=x onerror="alert(1)">'
    first = order(care, "XSS-1", [('<b>SKU</b>"&', 2, "10.00", hostile)], delivered=delivered)
    case(first, "return", "approved", {'<b>SKU</b>"&': 1}, reason="too_small")
    db.session.commit()
    login(client, "sam")
    html = client.get("/care/insights/?preset=30d").get_data(as_text=True)
    assert hostile not in html and "<b>SKU</b>" not in html
    by_category = html[html.index('data-table="returns_by_category"') :]
    by_category = by_category[: by_category.index("</section>")]
    assert (
        '<td data-label="Category">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</td>' in by_category
    )
    assert '<td data-label="Return rate (%)">50.0 %</td>' in by_category
    products = html[html.index('data-table="returns_by_product"') :]
    products = products[: products.index("</section>")]
    assert (
        '<td data-label="SKU"><a href="/care/insights/products/%3Cb%3ESKU%3C/b%3E%22&amp;'
        '?preset=30d&amp;grain=week">&lt;b&gt;SKU&lt;/b&gt;&#34;&amp;</a></td>'
        '<td data-label="Product">Product &lt;b&gt;SKU&lt;/b&gt;&#34;&amp;</td>' in products
    )
    # a SKU with "/" in it (a real shop's "AB/12"): its page and its API answer
    page = client.get("/care/insights/products/%3Cb%3ESKU%3C/b%3E%22&?preset=30d")
    assert page.status_code == 200 and "&lt;b&gt;SKU&lt;/b&gt;" in page.get_data(as_text=True)
    from shopcare.core.api import keys

    _row, secret = keys.create("reader", ["insights:read"])
    db.session.commit()
    api = client.get(
        f"/care/api/v1/insights/products/%3Cb%3ESKU%3C%2Fb%3E%22%26?start={today - timedelta(days=30)}"
        f"&end={today + timedelta(days=1)}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200 and api.get_json()["sku"] == '<b>SKU</b>"&'
