"""Every paged list takes any ``?page=`` a visitor can type without a 500."""

from __future__ import annotations

import pytest

from tests.conftest import login

PAGED = [
    ("ann", "/care/tracking/orders"),
    ("sam", "/care/staff/late-shipments"),
    ("sam", "/care/staff/outbox"),
]


@pytest.mark.parametrize(("who", "path"), PAGED)
@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("", 200),
        ("1", 200),
        ("0", 200),
        ("-3", 200),
        ("abc", 200),
        ("1e3", 200),
        ("10000", 404),
        ("10001", 404),
        ("99999999999999999999", 404),
    ],
)
def test_any_page_number_answers_cleanly(client, who, path, page, status):
    login(client, who)
    assert client.get(f"{path}?page={page}").status_code == status
