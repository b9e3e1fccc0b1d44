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

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pytest(args: list[str], env: dict[str, str], label: str) -> int:
    print(f"\n=== shopcare tests on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(found)
    for initdb in candidates:
        if os.access(initdb, os.X_OK):
            return Path(initdb).parent
    return None


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[str]:
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="shopcare-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    user_prefix: list[str] = []
    if as_root:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            subprocess.check_call(["useradd", "--system", "--no-create-home", "postgres"])
            pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
        base.chmod(0o755)
        user_prefix = ["runuser", "-u", "postgres", "--"]

    def run(*command: str) -> None:
        subprocess.check_call([*user_prefix, *command], stdout=subprocess.DEVNULL)

    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "shopcare",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
    )
    options = f"-c listen_addresses='' -k {sock} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-w",
        "-l",
        str(base / "log"),
        "start",
    )
    try:
        for _ in range(50):
            if (
                subprocess.call(
                    [
                        *user_prefix,
                        str(bindir / "createdb"),
                        "-h",
                        str(sock),
                        "-U",
                        "shopcare",
                        "shopcare_test",
                    ],
                    stderr=subprocess.DEVNULL,
                )
                == 0
            ):
                break
            time.sleep(0.2)
        yield f"postgresql+psycopg://shopcare@/shopcare_test?host={sock}"
    finally:
        subprocess.call(
            [*user_prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)


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
