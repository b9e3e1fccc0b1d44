#!/usr/bin/env python3
"""Print uv constraints for the lowest-versions run: every locked package except
shopcare's runtime dependencies (``[project].dependencies`` and the ``postgres`` extra).

Those runtime packages then resolve to the lowest version their range allows (what a
host with old pins gets), while the test tools and everything else come from the lock,
so the run is repeatable and checks the floors we declare, not a test tool's own.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    runtime |= {_name(r) for r in project["optional-dependencies"]["postgres"]}
    runtime |= {"psycopg-binary"}  # the [binary] extra of psycopg follows psycopg's version
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        if _name(line) not in runtime:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
