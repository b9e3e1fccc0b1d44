"""The outbox across real OS processes: several ``flask shopcare work`` workers on one
database, sending to a loopback SMTP server; a worker killed mid-item; an SMTP outage.

These run on PostgreSQL (SKIP LOCKED claims) and on the SQLite test file (claims
serialised by SQLite's write lock)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shopcare.core.outbox import OutboxItem, enqueue_mail
from shopcare.core.outbox.cli import READY_LINE
from shopcare.core.outbox.worker import SLEEP_AFTER_CLAIM_ENV
from tests.conftest import ROOT


def eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Workers:
    """Starts ``flask --app tests.worker_host shopcare work …`` processes and cleans them up."""

    def __init__(self, database_url: str, config: dict[str, Any], logs: Path) -> None:
        self.database_url, self.config, self.logs = database_url, config, logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "tests.worker_host",
                "shopcare",
                "work",
                *args,
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "SHOPCARE_TEST_DATABASE_URL": self.database_url,
                "SHOPCARE_TEST_APP_CONFIG": json.dumps(self.config),
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        if "--forever" in args:
            # Started means working: a SIGTERM while Python is still importing would kill
            # the worker by the default handler, which is not what the tests are about.
            eventually(
                lambda: READY_LINE in self.output(process) or process.poll() is not None,
                "the worker to start",
            )
            assert process.poll() is None, self.output(process)
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        return (self.logs / f"worker-{self.processes.index(process)}.log").read_text()

    def stop(self, process: subprocess.Popen[bytes]) -> str:
        """SIGTERM, wait for a clean exit, return what the worker printed."""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, self.output(process)
        return self.output(process)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def worker_config(smtp_server: Any) -> dict[str, Any]:
    return {
        **smtp_server.config,
        "SHOPCARE_EXTERNAL_URL": "https://shop.example",
        "SHOPCARE_OUTBOX_BACKOFF_SECONDS": 0.2,
        "SHOPCARE_OUTBOX_BACKOFF_MAX_SECONDS": 0.5,
        "SHOPCARE_OUTBOX_MAX_ATTEMPTS": 100,
        "SHOPCARE_OUTBOX_LEASE_SECONDS": 2,
    }


@pytest.fixture
def app_config(worker_config: dict[str, Any]) -> dict[str, Any]:
    return worker_config


@pytest.fixture
def workers(
    app: Any, database_url: str, worker_config: dict[str, Any], tmp_path: Path
) -> Iterator[Workers]:
    pool = Workers(database_url, worker_config, tmp_path)
    yield pool
    pool.kill_all()


def count(db: Any, *conditions: Any) -> int:
    db.session.rollback()  # see other processes' commits
    return int(db.session.scalar(select(func.count(OutboxItem.id)).where(*conditions)) or 0)


def assert_exactly_once(messages: list[Any], keys: list[str]) -> None:
    assert len(messages) == len(keys)
    assert sorted(m["X-Shopcare-Dedupe"] for m in messages) == sorted(keys)
    assert len({m["Message-ID"] for m in messages}) == len(keys)


@pytest.mark.slow
def test_thousand_mails_through_four_worker_processes(db, smtp_server, workers):
    workers.config["SHOPCARE_OUTBOX_LEASE_SECONDS"] = 60
    keys = [f"bulk:{number}" for number in range(1000)]
    for number, key in enumerate(keys):
        enqueue_mail(f"shopper{number}@example.com", "test", {}, dedupe_key=key)
    db.session.commit()

    started = [workers.start("--forever", "--pause", "0.2") for _ in range(4)]
    smtp_server.wait_for(1000, timeout=120)
    eventually(lambda: count(db, OutboxItem.status == "done") == 1000, "1000 items done")
    outputs = [workers.stop(process) for process in started]

    assert_exactly_once(smtp_server.messages, keys)
    done = [int(out.rsplit("shopcare worker: ", 1)[1].split(" done")[0]) for out in outputs]
    assert sum(done) == 1000


def test_worker_killed_between_claim_and_send_still_delivers_once(db, smtp_server, workers):
    enqueue_mail("ann@example.com", "test", {}, dedupe_key="kill:1")
    db.session.commit()

    doomed = workers.start(env={SLEEP_AFTER_CLAIM_ENV: "60"})
    eventually(lambda: count(db, OutboxItem.status == "running") == 1, "the claim")
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=10) == -signal.SIGKILL
    assert smtp_server.messages == []

    # Another worker picks the item up once the dead worker's 2-second lease ends.
    survivor = workers.start("--forever", "--pause", "0.2")
    smtp_server.wait_for(1, timeout=30)
    eventually(lambda: count(db, OutboxItem.status == "done") == 1, "the item done")
    workers.stop(survivor)

    assert_exactly_once(smtp_server.messages, ["kill:1"])
    db.session.rollback()
    assert db.session.scalars(select(OutboxItem.attempts)).one() == 2


def test_smtp_outage_then_everything_arrives(db, smtp_server, workers):
    # A lease longer than any one send (as the 300 s default is): one SMTP send that
    # outlasts the whole lease, as the first one after the outage can on a loaded machine,
    # is claimed again by the other worker (README "The outbox", step 2). This test is
    # about the outage; the lease is tested in the killed-worker test above.
    workers.config["SHOPCARE_OUTBOX_LEASE_SECONDS"] = 60
    smtp_server.stop()
    keys = [f"outage:{number}" for number in range(20)]
    for number, key in enumerate(keys):
        enqueue_mail(f"s{number}@example.com", "test", {}, dedupe_key=key)
    db.session.commit()

    running = [workers.start("--forever", "--pause", "0.1") for _ in range(2)]
    eventually(
        lambda: count(db, OutboxItem.status == "queued", OutboxItem.attempts >= 2) == 20,
        "every item to have failed twice",
    )
    assert smtp_server.messages == []

    smtp_server.start()
    smtp_server.wait_for(20, timeout=60)
    eventually(lambda: count(db, OutboxItem.status == "done") == 20, "20 items done")
    for process in running:
        workers.stop(process)
    assert_exactly_once(smtp_server.messages, keys)
