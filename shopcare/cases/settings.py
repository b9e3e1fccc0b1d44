"""The cases domain's ``SHOPCARE_*`` settings and their defaults (README "After-sales cases")."""

from __future__ import annotations

from typing import Any

#: Each setting the cases domain reads, with its default (read with ``setting``).
SETTINGS: dict[str, Any] = {
    # -- after-sales cases (shopcare.cases; README "After-sales cases")
    "SHOPCARE_COUNTRY": None,  # ISO 3166 code, e.g. "ES": public holidays end-of-period rule; None: weekends only
    "SHOPCARE_COUNTRY_SUBDIVISION": None,  # e.g. "MD": regional holidays too
    "SHOPCARE_WITHDRAWAL_DAYS": 14,  # the EU right of withdrawal, days from (the last) delivery
    "SHOPCARE_RETURN_DAYS": 30,  # the shop's own return window, days from delivery; 0 turns returns off
    "SHOPCARE_RETURN_DAYS_BY": {},  # {"SKU" or "category": days}: per product (first) or category
    "SHOPCARE_FINAL_SALE": (),  # SKUs or categories that cannot be returned under the policy
    "SHOPCARE_RESTOCKING_FEE_PERCENT": 0,  # policy returns only (never withdrawals or guarantees)
    "SHOPCARE_RETURN_SHIPPING_FEE": None,  # "4.95": deducted once per policy-return case, order currency
    "SHOPCARE_RETURN_REPLACES_WITHDRAWAL": False,  # True: a longer return window is the withdrawal period too
    "SHOPCARE_GUARANTEE_MONTHS": 36,  # the legal guarantee (Spain since 2022), months from delivery
    "SHOPCARE_GUARANTEE_MONTHS_BY": {},  # {"SKU" or "category": months}
    "SHOPCARE_GUARANTEE_ADDONS": {},  # {"ADDON-SKU": extra months}: an extended guarantee bought with the order
    "SHOPCARE_SHIPPING_SKUS": (
        "SHIPPING",
    ),  # order lines that are the delivery charge, refunded once per order
    # Reason codes a shopper picks from, per kind; a withdrawal asks none.
    "SHOPCARE_CASE_REASONS": {
        "return": (
            "too_small",
            "too_large",
            "not_as_described",
            "wrong_item",
            "arrived_damaged",
            "changed_mind",
            "other",
        ),
        "guarantee": ("stopped_working", "defective", "broken_part", "other"),
    },
    # What a shopper may ask for, per kind (the first is the default).
    "SHOPCARE_CASE_REMEDIES": {
        "withdrawal": ("refund",),
        "return": ("refund", "exchange", "store_credit"),
        "guarantee": ("repair", "replacement", "refund"),
    },
    "SHOPCARE_CASE_MAX_PHOTOS": 5,  # photos on one case
    "SHOPCARE_CASE_PHOTO_MAX_BYTES": 5 * 1024 * 1024,  # one photo's size as uploaded
    "SHOPCARE_CASE_PHOTO_MAX_PIXELS": 40_000_000,  # one photo's width x height (decompression bombs)
    "SHOPCARE_CASE_PHOTO_DIR": None,  # a folder outside static/; None: <instance>/shopcare-case-photos
    "SHOPCARE_CASE_AUTO_APPROVE": None,  # callable(case) -> bool: approve a new return or claim at once
    "SHOPCARE_CASE_AUTO_APPROVE_MAX_VALUE": None,  # "50.00": a policy return worth at most this is approved at once
    # The amount actually paid per line: callable(order) -> {sku: Decimal paid for the
    # whole line}; None: unit price x quantity. Refunds split it exactly (no lost cents).
    "SHOPCARE_CASE_PAID": None,
    "SHOPCARE_CASE_RISK_CASES_90_DAYS": 3,  # this many earlier cases by one e-mail in 90 days: flagged
    "SHOPCARE_CASE_RISK_HIGH_VALUE": "500",  # a case worth this much or more: flagged
    "SHOPCARE_RETURN_ADDRESS": "",  # printed on the return slip (lines separated by newlines)
}
