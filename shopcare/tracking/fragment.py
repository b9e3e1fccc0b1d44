"""The order page's tracking part rendered in Python: what ``_order_tracking.html``
(with the ``_progress.html`` and ``_help.html`` it includes) writes, byte for byte.

:func:`order_tracking_html` reads the same context the template reads (``order``,
``tracking``, ``timeline_html``, ``steps``, ``date_window``, ``day``, ``money``,
``money_minor``, ``contact``, ``_sc``, ``_scn``, ``shopcare_status_label``) and escapes
what the template's autoescape escapes: every value written into the HTML goes
through :func:`markupsafe.escape`, so a shopper's or a carrier's text is never
markup. The templates stay what a host copies and overrides: the order page renders
through this function only while the app loads shopcare's own file for each of the
three names and every timeline entry has its Python renderer
(:func:`shopcare.tracking.views._tracking_html`); a host's template of one of those
names, or a host template extending the fragment to override one of its blocks (it
has to be saved under the fragment's name to be used), sends the page back through
the templates. ``tests/tracking/test_tracking_fragment.py`` renders both ways over
many orders (every status, hostile carrier and shopper text, English and Spanish).

The whitespace is the templates' own (``{% if %}`` and ``{% for %}`` tags keep the
newlines around them), so the page's HTML does not change with the path it took.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.filters import do_urlencode
from markupsafe import Markup

from shopcare.core.html import escaped

__all__ = ["help_html", "order_tracking_html"]

#: The templates' multiplication sign (between a quantity and a name) and minus sign.
TIMES = "\u00d7"
MINUS = "\u2212"
_CURRENT = ' aria-current="step"'
_BUTTON = ' class="sc-button"'


def _progress(view: Any, steps: list[tuple[str, str]], _sc: Any) -> str:
    """``_progress.html``: one shipment's progress bar."""
    delivered = view.shipment.status == "delivered"
    current = view.step
    parts = [
        '<ol class="sc-progress',
        " sc-progress-trouble" if view.trouble else "",
        f'" aria-label="{escaped(_sc("Delivery progress"))}">\n  ',
    ]
    for index, (_status, label) in enumerate(steps):
        if index < current or delivered:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "todo"
        parts.append(
            f'\n  \n  <li class="sc-step sc-step-{state}"'
            f"{_CURRENT if index == current else ''}>\n"
            '    <span class="sc-step-dot" aria-hidden="true"></span>\n'
            f'    <span class="sc-step-label">{escaped(label)}</span>\n  </li>\n  '
        )
    parts.append("\n</ol>")
    return "".join(parts)


def help_html(context: Mapping[str, Any], urgent: Any) -> str:
    """``_help.html``: the shop's contact, prominent when ``urgent``."""
    _sc = context["_sc"]
    order = context["order"]
    contact = context["contact"]
    parts = [
        '<section class="sc-panel sc-help',
        " sc-help-urgent" if urgent else "",
        '" aria-labelledby="sc-help-title">\n'
        f'  <h2 id="sc-help-title">{escaped(_sc("Need help with this order?"))}</h2>\n  ',
    ]
    if urgent:
        sorry = _sc(
            "We are sorry your parcel is not with you yet. Tell us and we will sort it out."
        )
        parts.append(f"<p>{escaped(sorry)}</p>")
    parts.append("\n  ")
    if contact:
        email = contact.get("email")
        phone = contact.get("phone")
        hours = contact.get("hours")
        url = contact.get("url")
        parts.append('\n  <ul class="sc-contact">\n    ')
        if email:
            subject = do_urlencode(_sc("Order %(reference)s", reference=order.reference))
            parts.append(
                f"<li><a{_BUTTON if urgent else ''} "
                f'href="mailto:{escaped(email)}?subject={escaped(subject)}">'
                f"{escaped(_sc('E-mail %(address)s', address=email))}</a></li>"
            )
        parts.append("\n    ")
        if phone:
            parts.append(
                f'<li><a href="tel:{escaped(str(phone).replace(" ", ""))}">'
                f"{escaped(_sc('Call %(phone)s', phone=phone))}</a>"
            )
            if hours:
                parts.append(f' <span class="sc-muted">({escaped(hours)})</span>')
            parts.append("</li>")
        parts.append("\n    ")
        if url:
            parts.append(f'<li><a href="{escaped(url)}">{escaped(_sc("Contact page"))}</a></li>')
        quote = _sc("Quote your order number, %(reference)s.", reference=order.reference)
        parts.append(f'\n  </ul>\n  <p class="sc-muted">{escaped(quote)}</p>\n  ')
    else:
        reply = _sc(
            "Reply to any e-mail about this order, quoting its number, %(reference)s.",
            reference=order.reference,
        )
        parts.append(f'\n  <p class="sc-muted">{escaped(reply)}</p>\n  ')
    parts.append("\n</section>")
    return "".join(parts)


def _shipments(context: Mapping[str, Any]) -> str:
    """The ``order_shipments`` block: each parcel with its progress, or "preparing"."""
    _sc = context["_sc"]
    tracking = context["tracking"]
    steps = context["steps"]
    day = context["day"]
    status_label = context["shopcare_status_label"]
    status_badge = context["shopcare_status_badge"]
    views = tracking.shipments
    count = len(views)
    parts = ["\n"]
    for view in views:
        shipment = view.shipment
        status = shipment.status
        ident = escaped(shipment.id)
        if count > 1:
            title = _sc("Parcel %(num)d of %(total)d", num=view.number, total=count)
        else:
            title = _sc("Your parcel")
        parts.append(
            f'\n\n<section class="sc-panel sc-shipment" aria-labelledby="shipment-{ident}">\n'
            '  <div class="sc-shipment-head">\n'
            f'    <h2 id="shipment-{ident}">\n      {escaped(title)}\n    </h2>\n'
            f'    <span class="sc-badge {escaped(status_badge(status))}">'
            f"{escaped(status_label(status))}</span>\n  </div>\n  "
        )
        parts.append(_progress(view, steps, _sc))
        parts.append("\n  ")
        if status == "delivered" and shipment.delivered_at:
            eta = ("ok", _sc("Delivered on %(date)s", date=day(shipment.delivered_at)))
        elif status == "available_for_pickup":
            eta = ("ok", _sc("Your parcel is waiting for you at the pickup point."))
        elif status == "exception":
            eta = (
                "bad",
                _sc(
                    "The carrier reported a problem with this parcel. "
                    "We are looking into it and will keep you informed."
                ),
            )
        elif status == "failed_attempt":
            eta = (
                "warn",
                _sc(
                    "The carrier could not deliver this parcel. "
                    "They will try again or leave instructions."
                ),
            )
        elif view.late and shipment.estimated_latest:
            eta = (
                "warn",
                _sc(
                    "Running late: we expected it by %(date)s. We are keeping an eye on it.",
                    date=day(shipment.estimated_latest),
                ),
            )
        elif shipment.estimated_earliest and shipment.estimated_latest:
            window = context["date_window"](shipment.estimated_earliest, shipment.estimated_latest)
            eta = ("", _sc("Arrives %(window)s", window=window))
        else:
            eta = None
        if eta is not None:
            kind, text = eta
            parts.append(
                f'\n  <p class="sc-eta{" sc-eta-" + kind if kind else ""}">{escaped(text)}</p>\n  '
            )
        parts.append(f'\n  <p class="sc-carrier">\n    {escaped(shipment.carrier_name)}')
        number = shipment.tracking_number
        if number:
            parts.append(" ·\n    ")
            text = escaped(_sc("Tracking number %(number)s", number=number))
            url = shipment.tracking_url
            if url:
                parts.append(
                    f'<a href="{escaped(url)}" rel="noopener noreferrer" target="_blank">{text}</a>\n    '
                )
            else:
                parts.append(text)
            parts.append("\n    ")
        parts.append("\n  </p>\n  ")
        if view.lines:
            parts.append('\n  <ul class="sc-parcel-items">\n    ')
            parts.extend(
                f"<li>{escaped(quantity)} {TIMES} {escaped(line.name)}</li>"
                for line, quantity in view.lines
            )
            parts.append("\n  </ul>\n  ")
        parts.append("\n</section>\n")
    if not views:
        parts.append(
            f'\n<section class="sc-panel">\n  <h2>{escaped(_sc("We are preparing your order"))}</h2>\n'
            '  <p class="sc-muted">'
            f"{escaped(_sc('You will see its tracking here as soon as it ships.'))}</p>\n"
            "</section>\n"
        )
    parts.append("\n")
    if tracking.unshipped:
        parts.append(
            f'\n<section class="sc-panel">\n  <h2>{escaped(_sc("Still to ship"))}</h2>\n'
            '  <ul class="sc-parcel-items">\n    '
        )
        parts.extend(
            f"<li>{escaped(quantity)} {TIMES} {escaped(line.name)}</li>"
            for line, quantity in tracking.unshipped
        )
        parts.append("\n  </ul>\n</section>\n")
    parts.append("\n")
    return "".join(parts)


def _items(context: Mapping[str, Any]) -> str:
    """The ``order_items`` block: the order's lines and totals."""
    _sc = context["_sc"]
    order = context["order"]
    money = context["money"]
    money_minor = context["money_minor"]
    currency = order.currency
    parts = [
        f'\n<section class="sc-panel">\n  <h2>{escaped(_sc("Items"))}</h2>\n'
        '  <table class="sc-table sc-items">\n'
        f"    <thead><tr><th>{escaped(_sc('Product'))}</th><th>{escaped(_sc('Quantity'))}</th>"
        f'<th>{escaped(_sc("Price"))}</th><th class="sc-num">{escaped(_sc("Total"))}</th>'
        "</tr></thead>\n    <tbody>\n    "
    ]
    for line in order.lines:
        each = escaped(money_minor(line.unit_price_minor, currency))
        quantity = escaped(line.quantity)
        discount = line.discount_minor
        parts.append(
            '\n      \n      <tr>\n        <td class="sc-item-name">'
            f'{escaped(line.name)}<span class="sc-item-each">{quantity} {TIMES} {each}</span>'
        )
        if discount:
            amount = money_minor(discount, currency)
            parts.append(
                '<span class="sc-item-discount">'
                f"{escaped(_sc('Discount %(amount)s', amount=amount))}</span>"
            )
        gross = line.unit_price_minor * line.quantity
        if discount:
            total = (
                f'<s class="sc-muted">{escaped(money_minor(gross, currency))}</s> '
                f"{escaped(money_minor(gross - discount, currency))}"
            )
        else:
            total = escaped(money_minor(gross, currency))
        parts.append(
            f'</td>\n        <td class="sc-item-detail">{quantity}</td>\n'
            f'        <td class="sc-item-detail">{each}</td>\n        \n'
            f'        <td class="sc-num">{total}</td>\n      </tr>\n    '
        )
    parts.append('\n    </tbody>\n  </table>\n  <dl class="sc-totals">\n    ')

    def row(label: str, amount: Any, css: str = "", attributes: str = "") -> str:
        return (
            f"\n    <div{css}><dt>{escaped(_sc(label))}</dt>"
            f"<dd{attributes}>{escaped(amount)}</dd></div>\n    "
        )

    if order.discount_minor or order.shipping_minor or order.tax_minor:
        parts.append(row("Items", money(order.subtotal - order.lines_discount, currency)))
    parts.append("\n    ")
    if order.discount_minor:
        parts.append(row("Discount", MINUS + str(money(order.discount, currency))))
    parts.append("\n    ")
    if order.shipping_minor:
        parts.append(row("Shipping", money(order.shipping, currency)))
    parts.append("\n    ")
    if order.tax_minor and not order.tax_included:
        parts.append(row("Tax", money(order.tax, currency)))
    parts.append("\n    ")
    total = escaped(money(order.total, currency))
    parts.append(
        f'<div class="sc-total"><dt>{escaped(_sc("Total"))}</dt>'
        f"<dd data-order-total>{total}</dd></div>\n    "
    )
    if order.tax_minor and order.tax_included:
        parts.append(row("Including tax", money(order.tax, currency), ' class="sc-muted"'))
    parts.append("\n    ")
    if order.paid_minor is not None and order.paid_minor != order.total_minor:
        parts.append(row("Paid", money(order.paid, currency)))
    parts.append("\n  </dl>\n</section>\n")
    return "".join(parts)


def order_tracking_html(context: Mapping[str, Any]) -> Markup:
    """``_order_tracking.html`` rendered with ``context`` (its ``timeline_html`` made:
    the caller renders through the template when an entry has no Python renderer)."""
    _sc = context["_sc"]
    order = context["order"]
    summary = context["tracking"].summary
    flag = summary.flag
    urgent = summary.late or summary.problem
    units = sum(line.quantity for line in order.lines)
    parts = [
        f'\n<header class="sc-order-head">\n'
        f"  <h1>{escaped(_sc('Order %(reference)s', reference=order.reference))}</h1>\n"
        f'  <span class="sc-badge {escaped(summary.badge)}" '
        f'data-order-status="{escaped(summary.code)}">{escaped(summary.text)}</span>\n  '
    ]
    if flag:
        parts.append(
            f'<span class="sc-badge {escaped(summary.flag_badge)}" data-order-flag>'
            f"{escaped(flag)}</span>"
        )
    placed = _sc("Placed on %(date)s", date=context["day"](order.placed_at))
    items = context["_scn"]("%(num)d item", "%(num)d items", units)
    parts.append(
        f'\n</header>\n\n<p class="sc-muted">\n  {escaped(placed)} ·\n  {escaped(items)} ·\n'
        f"  {escaped(context['money'](order.total, order.currency))}\n</p>\n\n"
    )
    if urgent:
        parts.append(help_html(context, urgent))
    parts.append("\n\n")
    parts.append(_shipments(context))
    parts.append("\n\n")
    parts.append(_items(context))
    parts.append(
        f'\n\n\n<section class="sc-panel">\n  <h2>{escaped(_sc("History"))}</h2>\n'
        '  <ol class="sc-timeline" reversed>\n    '
    )
    parts.append(str(context["timeline_html"]))
    parts.append("\n  </ol>\n</section>\n\n\n")
    if not urgent:
        parts.append(help_html(context, urgent))
    return Markup("".join(parts))  # nosec B704: every value escaped, as the templates do
