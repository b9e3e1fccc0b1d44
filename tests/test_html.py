"""``shopcare.core.html.escaped`` writes what ``markupsafe.escape`` writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from markupsafe import Markup, escape

from shopcare.core.html import escaped


class Html:
    def __html__(self) -> str:
        return "<b>raw</b>"


class Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "<img src=x onerror=alert(1)>\"'&<svg onload=alert(2)>",
        "&amp; already",
        "ñandú · €12,50 — “quotes”",
        Markup("<em>safe</em>"),
        Text("<sub>class</sub>"),
        Html(),
        3,
        Decimal("12.50"),
        None,
        "\x00\n\t",
    ],
)
def test_escaped_is_markupsafe_escape_as_a_str(value: object) -> None:
    got = escaped(value)
    assert type(got) is str
    assert got == str(escape(value))
