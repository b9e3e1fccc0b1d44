#!/usr/bin/env python3
"""Refresh the Spanish catalog and fill in translations.

Reads a JSON object ``{"English msgid": "Spanish msgstr", ...}`` on stdin (for a
plural, the value is a list ``[singular, plural]``), then, under a lock so that two
developers' runs never interleave: extracts the strings, updates the catalog, fills
the given translations and compiles. Prints the msgids still untranslated.

    echo '{"Track your order": "Sigue tu pedido"}' | .venv/bin/python scripts/po_fill.py
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "shopcare/translations/es/LC_MESSAGES/shopcare.po"
BIN = Path(sys.executable).parent


def main() -> int:
    given = json.load(sys.stdin) if not sys.stdin.isatty() else {}
    with open(ROOT / "shopcare/translations/.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.check_call(
            ["make", "-s", "extract", "update-catalogs"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with PO.open("rb") as handle:
            catalog = read_po(handle, locale="es", domain="shopcare")
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in given:
                value = given[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with PO.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        subprocess.check_call(
            [
                str(BIN / "pybabel"),
                "compile",
                "-D",
                "shopcare",
                "-d",
                str(ROOT / "shopcare/translations"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        missing = [
            m.id
            for m in catalog
            if m.id and not (m.string[0] if isinstance(m.string, tuple) else m.string)
        ]
    for msgid in missing:
        print("untranslated:", msgid if isinstance(msgid, str) else msgid[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
