#!/usr/bin/env python3
"""Refresh the Spanish catalog and fill in translations.

Reads a JSON object ``{"English msgid": "Spanish msgstr", ...}`` on stdin (for a
plural, the value is a list ``[singular, plural]``), then, under a lock so that two
developers' runs never interleave: extracts the strings, updates the catalog, fills
the given translations and compiles. Prints the msgids still untranslated.

    echo '{"Track your order": "Sigue tu pedido"}' | .venv/bin/python scripts/po_fill.py

With ``--demo`` it does the same for the demo shop's own catalog
(``shopcare/demo/translations``, domain ``messages``, ``make demo-translations``).
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


DEMO_PO = ROOT / "shopcare/demo/translations/es/LC_MESSAGES/messages.po"


def main() -> int:
    demo = "--demo" in sys.argv[1:]
    po, domain = (DEMO_PO, "messages") if demo else (PO, "shopcare")
    targets = ["demo-translations"] if demo else ["extract", "update-catalogs"]
    given = json.load(sys.stdin) if not sys.stdin.isatty() else {}
    with open(ROOT / "shopcare/translations/.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.check_call(
            ["make", "-s", *targets],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="es", domain=domain)
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in given:
                value = given[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with po.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        subprocess.check_call(
            [
                str(BIN / "pybabel"),
                "compile",
                "-D",
                domain,
                "-d",
                str(po.parent.parent.parent),
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
