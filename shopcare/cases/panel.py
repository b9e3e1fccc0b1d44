"""The order page's after-sales panel, written in Python.

:func:`order_panel_html` gives, byte for byte, what ``shopcare/cases/_order_panel.html``
gives from the same context. The template stays what a host copies and overrides; the
page uses this function only while the app loads shopcare's own file under that name
(:func:`shopcare.core.web.own_templates`), and
``tests/cases/test_cases_panel_twin.py`` renders every branch both ways, in English
and Spanish. The panel renders on every request (it is never cached), so what the
template engine costs here (an include, a new context, a call per name) is paid on
every view of an order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from shopcare.core.html import escaped
from shopcare.core.urls import page_url

__all__ = ["TEMPLATE", "order_panel_html"]

#: The panel's template: what a host overrides, and what this module writes.
TEMPLATE = "shopcare/cases/_order_panel.html"


def order_panel_html(
    order: Any,
    context: Mapping[str, Any],
    _sc: Callable[..., str],
    labels: Mapping[str, Callable[[str], str]],
) -> Markup:
    """The panel for ``order`` with the template's ``context`` (``key``, ``withdrawal``,
    ``returns``, ``guarantee``, ``cases``, ``day``), translated by ``_sc``; ``labels``
    are the template's ``case_kind_label``, ``case_status_badge`` and
    ``case_status_label``."""
    key = context["key"]
    withdrawal = context["withdrawal"]
    day = context["day"]
    reference = order.reference
    parts = [
        '<section class="sc-panel sc-case-panel" aria-labelledby="sc-case-panel-title">\n'
        f'  <h2 id="sc-case-panel-title">{escaped(_sc("Returns and guarantees"))}</h2>\n'
        '  <div class="sc-case-actions">\n    '
    ]
    if withdrawal.eligible:
        href = page_url("shopcare.cases.withdraw", reference=reference, key=key)
        parts.append(
            f'\n    <a class="sc-button sc-withdraw-button" href="{escaped(href)}">'
            f"{escaped(_sc('Withdraw from contract here'))}</a>\n    "
        )
    parts.append("\n    ")
    for kind, name, label in (
        ("return", "returns", "Return or exchange"),
        ("guarantee", "guarantee", "Claim guarantee"),
    ):
        if context[name].eligible:
            href = page_url("shopcare.cases.new", reference=reference, kind=kind, key=key)
            parts.append(
                f'\n    <a class="sc-button sc-button-secondary" href="{escaped(href)}">'
                f"{escaped(_sc(label))}</a>\n    "
            )
        parts.append("\n    " if kind == "return" else "\n  </div>\n  ")
    if withdrawal.eligible:
        if withdrawal.until:
            text = _sc(
                "You can withdraw from this contract until %(day)s.", day=day(withdrawal.until)
            )
        else:
            text = _sc("The withdrawal period starts when the last parcel is delivered.")
        parts.append(f'\n  <p class="sc-muted">{escaped(text)}</p>\n  ')
    parts.append('\n  <ul class="sc-coverage">\n    ')
    for line in context["guarantee"].lines:
        parts.append(f"\n    <li><span>{escaped(line.name)}</span>\n      ")
        if line.until and line.refusal == "expired":
            text = _sc("Guarantee expired on %(day)s", day=day(line.until))
            parts.append(f'<span class="sc-badge sc-badge-warn">{escaped(text)}</span>\n      ')
        elif line.until:
            text = _sc("Covered until %(day)s", day=day(line.until))
            parts.append(f'<span class="sc-muted">{escaped(text)}</span>\n      ')
        else:
            parts.append(
                f'<span class="sc-muted">{escaped(_sc("Guarantee starts on delivery"))}</span>'
            )
        parts.append("\n    </li>\n    ")
    parts.append("\n  </ul>\n  ")
    cases = context["cases"]
    if cases:
        kind_label = labels["case_kind_label"]
        badge = labels["case_status_badge"]
        status_label = labels["case_status_label"]
        parts.append(
            f'\n  <h3>{escaped(_sc("Your requests"))}</h3>\n  <ul class="sc-case-list">\n    '
        )
        for number, kind, status in cases:
            href = page_url("shopcare.cases.case", number=number, key=key)
            parts.append(
                f'\n    <li><a href="{escaped(href)}">{escaped(number)}</a>\n'
                f"      · {escaped(kind_label(kind))} "
                f'<span class="sc-badge {escaped(badge(status))}">'
                f"{escaped(status_label(status))}</span></li>\n    "
            )
        parts.append("\n  </ul>\n  ")
    parts.append("\n</section>")
    return Markup("".join(parts))  # nosec B704: every value escaped, as the template does
