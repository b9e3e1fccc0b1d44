#!/usr/bin/env python3
"""Run the test suite on SQLite, then again on PostgreSQL.

PostgreSQL comes from ``SHOPCARE_TEST_DATABASE_URL`` when it is set; otherwise a
throwaway cluster is made with the Debian PostgreSQL binaries (``initdb``,
``pg_ctl``) when they are installed, listening on a private Unix socket only, and
removed afterwards. As root (CI), the cluster runs as the ``postgres`` system user,
because initdb refuses root. Without PostgreSQL the run says clearly that it was skipped.

Arguments are passed to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgcluster import find_pg_bin, throwaway_cluster

ROOT = Path(__file__).resolve().parent.parent


def pytest(args: list[str], env: dict[str, str], label: str) -> int:
    print(f"\n=== shopcare tests on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)


def main() -> int:
    args = sys.argv[1:]
    env = dict(os.environ)
    env.pop("SHOPCARE_TEST_DATABASE_URL", None)
    failures = pytest(args, env, "SQLite")

    url = os.environ.get("SHOPCARE_TEST_DATABASE_URL")
    if url:
        failures |= pytest(args, {**env, "SHOPCARE_TEST_DATABASE_URL": url}, f"PostgreSQL ({url})")
    else:
        bindir = find_pg_bin()
        if bindir is None:
            print(
                "\n=== PostgreSQL run SKIPPED: no SHOPCARE_TEST_DATABASE_URL and no initdb found "
                "(apt-get install postgresql) ===",
                flush=True,
            )
        else:
            with throwaway_cluster(bindir) as url:
                failures |= pytest(
                    args,
                    {**env, "SHOPCARE_TEST_DATABASE_URL": url},
                    f"PostgreSQL (throwaway cluster from {bindir})",
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
