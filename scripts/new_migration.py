#!/usr/bin/env python3
"""Write a new shopcare migration: compares the models with an empty SQLite database
upgraded to today's head, and autogenerates the difference.

    .venv/bin/python scripts/new_migration.py "add shipments"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shopcare import ShopCare
from shopcare.core.migrate import alembic_config


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = Flask("migrations")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(tmp) / 'm.sqlite'}"
        db = SQLAlchemy(app)
        ShopCare(app, db=db)
        with app.app_context(), db.engine.begin() as connection:
            config = alembic_config(connection)
            first = not ScriptDirectory.from_config(config).get_heads()
            command.upgrade(config, "heads")
            command.revision(
                config, message, autogenerate=True, branch_label="shopcare" if first else None
            )


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
