"""Similar suggestions by full-text search (SQLite FTS5, PostgreSQL tsvector): what is
found, what never is, the index following every change (erasure included), hostile
input, and both ways the index is made (``create_all`` here, the migration below)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shopcare.core import privacy
from shopcare.core.events import Actor
from shopcare.feedback import fts
from shopcare.feedback.models import Ticket
from shopcare.feedback.search import fts5_query, tsquery, words
from tests.feedback.helpers import CONFIG, order
from tests.host import make_app
from tests.test_migrations import run_cli

STAFF = Actor.staff("sam", "sam@shop.example")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(CONFIG)


def suggestion(
    care: Any,
    subject: str,
    message: str = "Please",
    *,
    locale: str | None = "en",
    email: str = "a@example.com",
    publish: bool = True,
) -> Ticket:
    ticket = care.feedback.submit("suggestion", subject, message, email=email, locale=locale)
    if publish:
        care.feedback.publish(ticket.reference, actor=STAFF)
    return ticket


def subjects(found: list[Ticket]) -> list[str]:
    return [t.subject for t in found]


def indexed(db: Any, word: str) -> set[int]:
    """The ticket ids the index itself holds for ``word`` (not through the query's filters)."""
    if db.engine.dialect.name == "postgresql":
        sql = f"SELECT id FROM shopcare_tickets WHERE {fts.COLUMN} @@ to_tsquery('simple', :w)"
        return set(db.session.scalars(text(sql), {"w": word}))
    sql = f"SELECT rowid FROM {fts.TABLE} WHERE {fts.TABLE} MATCH :w"
    return set(db.session.scalars(text(sql), {"w": f'"{word}"'}))


def test_words_are_plain() -> None:
    assert words("T-Shirt") == ["shirt"]
    assert words("Camión  CAMIÓN camion") == ["camion"]
    assert words('"NEAR( a* -b OR_x') == ["near", "or"]
    assert fts5_query(["t", 'a"b']) == '"t" "a""b"*'
    assert tsquery(["it's", "a\\b"]) == "'it''s' & 'a\\\\b':*"


def test_t_shirt_prefix_and_accents(care: Any, db: Any) -> None:
    suggestion(care, "T-Shirt too small")
    suggestion(care, "Recyclable packaging please")
    suggestion(care, "Envío en camión refrigerado", "Para los helados", locale="es")
    db.session.commit()
    assert subjects(care.feedback.similar("T-Shirt")) == ["T-Shirt too small"]
    assert subjects(care.feedback.similar("small t-shi")) == ["T-Shirt too small"]
    assert subjects(care.feedback.similar("packag")) == ["Recyclable packaging please"]
    assert subjects(care.feedback.similar("camion")) == ["Envío en camión refrigerado"]
    assert subjects(care.feedback.similar("ENVIO helad")) == ["Envío en camión refrigerado"]
    assert care.feedback.similar("zzz") == []
    assert care.feedback.similar("packaging zzz") == []


def test_the_languages_dictionary(care: Any, db: Any, is_postgres: bool) -> None:
    suggestion(care, "Boxes for the gifts", locale="en")
    suggestion(care, "Cajas para regalos", locale="es")
    db.session.commit()
    # the stop word "the" is no obstacle; "box" finds "Boxes" (stemmed on PostgreSQL,
    # a prefix on both)
    assert subjects(care.feedback.similar("the box")) == ["Boxes for the gifts"]
    assert subjects(care.feedback.similar("caja")) == ["Cajas para regalos"]
    if is_postgres:  # the dictionaries stem whole words: "gift" and "regalo" match
        assert subjects(care.feedback.similar("gift boxes")) == ["Boxes for the gifts"]
        assert subjects(care.feedback.similar("regalo cajas")) == ["Cajas para regalos"]


def test_only_published_suggestions(care: Any, db: Any) -> None:
    order(care, "SO-1")
    care.feedback.submit("complaint", "Secret leak complaint", "private words", reference="SO-1")
    care.feedback.submit("question", "Secret leak question", "private", email="b@example.com")
    suggestion(care, "Secret leak unpublished", publish=False)
    shown = suggestion(care, "Secret leak published")
    db.session.commit()
    assert subjects(care.feedback.similar("secret leak")) == [shown.subject]
    assert indexed(db, "private") == set()


def test_sorted_by_relevance_votes_or_newest(care: Any, db: Any) -> None:
    order(care, "SO-1", user_id="ann")
    order(care, "SO-2", email="bob@example.com", user_id="bob")
    subject_hit = suggestion(care, "Gift wrap", "nothing more")
    message_hit = suggestion(care, "Paper", "gift wrap in recycled paper")
    care.feedback.vote(message_hit.reference, "ann")
    care.feedback.vote(message_hit.reference, "bob")
    db.session.commit()
    assert subjects(care.feedback.similar("gift wrap")) == ["Gift wrap", "Paper"]
    assert subjects(care.feedback.similar("gift wrap", sort="votes")) == ["Paper", "Gift wrap"]
    newest = care.feedback.similar("gift wrap", sort="newest")
    assert [t.id for t in newest] == sorted([subject_hit.id, message_hit.id], reverse=True)
    assert len(care.feedback.similar("gift", limit=1)) == 1


def test_the_index_follows_every_change(care: Any, db: Any) -> None:
    keep = suggestion(care, "Longer opening hours")
    duplicate = suggestion(care, "Opening hours on sundays", "sundays please")
    edited = suggestion(care, "Walnut cookies")
    hidden = suggestion(care, "Parking bicycles")
    db.session.commit()
    assert {keep.id, duplicate.id} <= set(t.id for t in care.feedback.similar("opening"))

    care.feedback.merge(duplicate.reference, keep.reference, actor=STAFF)
    care.feedback.publish(hidden.reference, published=False, actor=STAFF)
    ticket = db.session.get(Ticket, edited.id)
    ticket.subject = "Hazelnut cookies"
    db.session.commit()
    assert [t.id for t in care.feedback.similar("opening")] == [keep.id]
    assert indexed(db, "sundays") == set()
    assert care.feedback.similar("parking") == [] and indexed(db, "parking") == set()
    assert care.feedback.similar("walnut") == [] and indexed(db, "walnut") == set()
    assert [t.id for t in care.feedback.similar("hazelnut")] == [edited.id]

    care.feedback.publish(hidden.reference, actor=STAFF)  # shown again, found again
    db.session.commit()
    assert [t.id for t in care.feedback.similar("parking")] == [hidden.id]

    db.session.delete(db.session.get(Ticket, edited.id))
    db.session.commit()
    assert indexed(db, "hazelnut") == set()


def test_erasure_removes_the_words_from_the_index(care: Any, db: Any) -> None:
    mine = suggestion(care, "Zanzibar flavoured tea", "from Ann", email="ann@example.com")
    other = suggestion(care, "Zanzibar coffee", email="bob@example.com")
    db.session.commit()
    assert indexed(db, "zanzibar") == {mine.id, other.id}
    privacy.erase("ann@example.com")
    db.session.commit()
    assert indexed(db, "zanzibar") == {other.id}
    assert indexed(db, "flavoured") == set()
    assert [t.id for t in care.feedback.similar("zanzibar")] == [other.id]


HOSTILE = [
    "", " ", "AND OR NOT", "OR", "NOT x", '"', '""', '"unclosed', "*", "a*", "**", "NEAR(",
    "NEAR(a b, 2)", "-", "-shirt", "T-Shirt", "don't", "size: 42", "@home", "%_\\", "'",
    "''", "\\", ":*", "a:*", "!&|()<->", "col:shirt", "subject:shirt", "^shirt", "+shirt",
    "\x00", "ﬁ ligature", "İstanbul", "straße", "日本語", "😀", "a" * 500, "shirt " * 100,
]  # fmt: skip


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_input_never_fails(care: Any, db: Any, typed: str) -> None:
    suggestion(care, "T-Shirt too small")
    db.session.commit()
    found = care.feedback.similar(typed)
    assert all(t.kind == "suggestion" and t.published for t in found)
    if typed in ("T-Shirt", "-shirt", "^shirt", "+shirt", "shirt " * 100):
        assert subjects(found) == ["T-Shirt too small"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(typed=st.text(max_size=120))
def test_any_text_never_fails(care: Any, db: Any, typed: str) -> None:
    if not db.session.scalar(text("SELECT count(*) FROM shopcare_tickets")):
        suggestion(care, "T-Shirt too small", "camión")
        db.session.commit()
    found = care.feedback.similar(typed)
    assert all(t.kind == "suggestion" and t.published for t in found)
    db.session.rollback()


def test_similar_page_never_fails(client: Any, care: Any, db: Any) -> None:
    suggestion(care, "T-Shirt too small")
    db.session.commit()
    for typed in ("T-Shirt", '"', "NEAR(", "AND OR NOT", "*", "-", "x" * 500):
        response = client.get("/care/feedback/similar", query_string={"q": typed})
        assert response.status_code == 200
    found = client.get("/care/feedback/similar", query_string={"q": "t-shi"}).json
    assert [item["subject"] for item in found["items"]] == ["T-Shirt too small"]
    suggestion(care, "<script>alert('x')</script> & jumper")
    db.session.commit()
    response = client.get("/care/feedback/similar", query_string={"q": "jumper"})
    assert response.mimetype == "application/json" and "<script" not in response.text
    assert response.json["items"][0]["subject"] == "<script>alert('x')</script> & jumper"


def test_the_migration_makes_and_fills_the_index(empty_database_url: str) -> None:
    """Suggestions published before the migration are found after it; downgrade removes
    the index objects, and the comparison with the models still holds."""
    app, db, care = make_app(empty_database_url, **CONFIG)
    with app.app_context():
        run_cli(app, "upgrade", "c8ef62b119d0")
        before = care.feedback.submit("suggestion", "Quieter music", "x", email="a@example.com")
        care.feedback.publish(before.reference, actor=STAFF)
        db.session.commit()
        run_cli(app, "upgrade")
        assert [t.id for t in care.feedback.similar("quiet")] == [before.id]
        after = care.feedback.submit("suggestion", "Quieter lights", "x", email="a@example.com")
        care.feedback.publish(after.reference, actor=STAFF)
        db.session.commit()
        assert {t.id for t in care.feedback.similar("quieter")} == {before.id, after.id}
        db.session.remove()
        run_cli(app, "downgrade", "c8ef62b119d0")
        with db.engine.connect() as connection:
            names = set(
                connection.execute(
                    text("SELECT name FROM sqlite_master")
                    if db.engine.dialect.name == "sqlite"
                    else text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_name = 'shopcare_tickets'"
                    )
                ).scalars()
            )
        assert not {n for n in names if "fts" in n}
        db.session.remove()
        run_cli(app, "downgrade", "base")
        db.engine.dispose()


def _index_objects(engine: Any) -> list[tuple[str, ...]]:
    """The index's objects as the database describes them (names and definitions)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'shopcare_fts%'"
                    " ORDER BY name"
                )
            )
        else:
            rows = connection.execute(
                text(
                    "SELECT column_name, data_type, generation_expression"
                    " FROM information_schema.columns"
                    " WHERE table_name = 'shopcare_tickets' AND column_name LIKE 'fts%'"
                    " UNION ALL SELECT indexname, '', indexdef FROM pg_indexes"
                    " WHERE tablename = 'shopcare_tickets' AND indexname LIKE '%fts%' ORDER BY 1"
                )
            )
        return [tuple(str(value) for value in row) for row in rows]


def test_create_all_and_the_migration_make_the_same_index(
    database_url: str, empty_database_url: str
) -> None:
    """The tests' tables (``metadata.create_all``) and a migrated database have the same
    FTS5 table and triggers (SQLite) or the same column and index (PostgreSQL)."""
    from sqlalchemy import create_engine

    app, db, _care = make_app(empty_database_url)
    with app.app_context():
        run_cli(app, "upgrade")
        migrated = _index_objects(db.engine)
        db.engine.dispose()
    made = create_engine(database_url)
    try:
        created = _index_objects(made)
    finally:
        made.dispose()
    assert migrated == created
    assert len(created) == (5 + 3 if made.dialect.name == "sqlite" else 2)
