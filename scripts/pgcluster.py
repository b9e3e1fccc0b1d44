"""A throwaway PostgreSQL cluster from Debian's binaries, for tests and benchmarks.

It listens on a private Unix socket only and is removed when the context ends. As
root (CI) it runs as the ``postgres`` system user, because initdb refuses root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    options = (
        f"-c listen_addresses='' -k {sock} -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200"
    )
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
