"""The README is the manual: its mount example runs as written, and every setting is in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shopcare.extension import DEFAULTS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def python_blocks(after_heading: str) -> list[str]:
    section = README.split(after_heading, 1)[1]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_mount_example_is_at_most_ten_lines_and_serves_care(tmp_path, monkeypatch):
    code = python_blocks("## Mount it in your shop")[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_shop"}
    exec(compile(code, "README.md", "exec"), namespace)
    app, care, db = namespace["app"], namespace["care"], namespace["db"]
    with app.app_context():
        care.orders.record(
            "SO-1001",
            "ann@example.com",
            datetime.now(UTC),
            [{"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "12.50"}],
        )
        db.session.commit()
        assert care.orders.get("SO-1001").total == 25
    assert app.test_client().get("/care/").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_every_setting_is_documented():
    missing = [name for name in DEFAULTS if f"`{name}`" not in README]
    assert not missing, f"add these settings to the README's configuration table: {missing}"
