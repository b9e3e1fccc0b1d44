"""The staff page for the outbox: failed items with their error, retried by staff only,
with CSRF, once however many people press the button."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from shopcare.core.events import events_for
from shopcare.core.outbox import OutboxItem, enqueue_job
from tests.conftest import login


@pytest.fixture
def failed(db: Any) -> list[OutboxItem]:
    """Two failed jobs and one queued one, as the worker would leave them."""
    for number in range(3):
        enqueue_job("test.nobody", {"n": number})
    db.session.flush()
    rows = list(db.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
    db.session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_([rows[0].id, rows[1].id]))
        .values(status="failed", attempts=10, last_error="RuntimeError: no handler <x>")
    )
    db.session.commit()
    return rows


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]


def test_only_staff_see_the_outbox(client, failed):
    assert client.get("/care/staff/outbox").status_code == 302  # to log in
    login(client, "ann")
    assert client.get("/care/staff/outbox").status_code == 403
    assert client.post(f"/care/staff/outbox/{failed[0].id}/retry").status_code == 403


def test_staff_see_failed_items_with_their_error_and_counts(client, failed):
    login(client, "sam")
    page = client.get("/care/staff/outbox").get_data(as_text=True)
    assert page.count("RuntimeError: no handler &lt;x&gt;") == 2  # escaped
    assert f"/care/staff/outbox/{failed[0].id}/retry" in page
    assert f"/care/staff/outbox/{failed[2].id}/retry" not in page  # queued: no button
    queued = client.get("/care/staff/outbox?status=queued").get_data(as_text=True)
    assert "test.nobody" in queued
    assert client.get("/care/staff/outbox?status=nonsense").status_code == 404


def test_retry_needs_csrf_and_happens_once(client, db, failed):
    login(client, "sam")
    page = client.get("/care/staff/outbox").get_data(as_text=True)
    url = f"/care/staff/outbox/{failed[0].id}/retry"
    # No CSRF token: nothing is retried; back to the list, asking to press it again.
    refused = client.post(url, follow_redirects=True)
    assert "This form had expired. Please send it again." in refused.get_data(as_text=True)
    first = client.post(url, data={"csrf_token": token(page)})
    # A second member of staff pressing the same button from an older page:
    second = client.post(url, data={"csrf_token": token(page)}, follow_redirects=True)
    assert first.status_code == 302
    assert "someone has retried it already" in second.get_data(as_text=True)
    db.session.expire_all()
    statuses = {row.id: row.status for row in db.session.scalars(select(OutboxItem))}
    assert statuses[failed[0].id] == "queued" and statuses[failed[1].id] == "failed"
    (event,) = events_for("outbox_item", failed[0].id)
    assert (event.action, event.actor_kind, event.actor_id) == ("outbox.retried", "staff", "sam")
    assert (
        client.post("/care/staff/outbox/999999/retry", data={"csrf_token": token(page)}).status_code
        == 404
    )


def test_retry_all_failed(client, db, failed):
    login(client, "sam")
    page = client.get("/care/staff/outbox").get_data(as_text=True)
    done = client.post(
        "/care/staff/outbox/retry-failed", data={"csrf_token": token(page)}, follow_redirects=True
    )
    assert "2 items queued again." in done.get_data(as_text=True)
    db.session.expire_all()
    assert {row.status for row in db.session.scalars(select(OutboxItem))} == {"queued"}


def test_a_retry_from_the_command_line_is_recorded_with_its_actor(app, db, failed):
    from shopcare.core.outbox.cli import CLI_ACTOR_LABEL

    runner = app.test_cli_runner()
    result = runner.invoke(args=["shopcare", "outbox", "retry", str(failed[0].id)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["shopcare", "outbox", "retry", "--all-failed"])
    assert result.exit_code == 0, result.output
    for item in failed[:2]:
        (event,) = events_for("outbox_item", item.id)
        assert (event.action, event.actor_kind, event.actor_label) == (
            "outbox.retried",
            "system",
            CLI_ACTOR_LABEL,
        )
