"""The README is the manual: every Python block in it runs as written, its configuration
table is the settings' own, and every setting is in it.

The blocks run in a fresh interpreter in a temporary directory (``tests/readme_session.py``),
as a reader pastes them: all of them in order in one session, except those marked
``separate`` (each alone) or ``skip`` (with the reason why it cannot run).
"""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopcare.core.state import get_state
from tests.conftest import ROOT
from tests.readme_session import python_blocks

README = (ROOT / "README.md").read_text()
RUNNER = ROOT / "tests" / "readme_session.py"
BLOCKS = python_blocks(README)


def run_readme(tmp_path: Path, *args: str) -> list[dict]:
    report = tmp_path / "report.json"
    finished = subprocess.run(
        [sys.executable, str(RUNNER), str(report), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.exists(), finished.stdout + finished.stderr
    outcomes: list[dict] = json.loads(report.read_text())
    return outcomes


def failures(outcomes: list[dict]) -> str:
    return "\n\n".join(
        f"README.md line {o['line']}:\n{o['error']}" if o["line"] else o["error"]
        for o in outcomes
        if not o["ok"]
    )


def test_every_block_runs_in_one_session(tmp_path):
    session = [block for block in BLOCKS if block.mode == "session"]
    outcomes = run_readme(tmp_path)
    assert not failures(outcomes), failures(outcomes)
    assert [o["line"] for o in outcomes if o["line"]] == [block.line for block in session]
    assert len(outcomes) > len(session)  # and the checks on what they made ran too


@pytest.mark.parametrize(
    "line",
    [block.line for block in BLOCKS if block.mode == "separate"],
    ids=lambda line: f"L{line}",
)
def test_a_separate_block_runs_on_its_own(tmp_path, line):
    outcomes = run_readme(tmp_path, "--block", str(line))
    assert not failures(outcomes), failures(outcomes)


def test_only_blocks_that_cannot_run_are_skipped_and_say_why():
    modes = {block.mode for block in BLOCKS}
    assert modes <= {"session", "separate", "skip"}
    for block in BLOCKS:
        if block.mode != "session":
            assert len(block.reason) > 20, f"line {block.line}: say why it is {block.mode}"
    skipped = [block for block in BLOCKS if block.mode == "skip"]
    assert len(skipped) <= 2, [block.line for block in skipped]
    fences = len(re.findall(r"^\s*```python\s*$", README, flags=re.M))
    assert fences == len(BLOCKS)


def test_mount_example_is_at_most_ten_lines_and_serves_care(tmp_path, monkeypatch):
    code = BLOCKS[0].code
    assert "ShopCare(app, db=db)" in code
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


def test_every_setting_is_documented(app):
    missing = [name for name in get_state(app).settings if f"`{name}`" not in README]
    assert not missing, f"add these settings to the README's configuration table: {missing}"


def test_the_configuration_table_is_the_settings_own():
    table = runpy.run_path(str(ROOT / "scripts" / "config_table.py"))["table"]()
    assert table in README, "regenerate it: python scripts/config_table.py"
    for row in table.splitlines()[2:]:
        cells = row.split(" | ")
        assert all(cell.count("`") % 2 == 0 for cell in cells), row  # no broken code span


def test_the_scopes_table_is_the_scopes_own():
    """Every scope an API key can carry is in the README's table, with what it allows."""
    from shopcare.core.api.scopes import SCOPES

    table = README.split("#### Scopes", 1)[1].split("###", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z]+:[a-z]+)` \| (.+?) \|$", table, re.MULTILINE))
    assert rows == SCOPES
