"""Fixture ``gunicorn_server``: the test host app (``tests.worker_host``) served by real
gunicorn worker processes on the test database, for what only several processes or a
real WSGI server show (row locks across processes, chunked request bodies).

::

    def test_x(gunicorn_server):
        server = gunicorn_server(workers=4, config={"SHOPCARE_WEBHOOK_SECRET": "s"})
        status, body = server.request("POST", "/care/api/v1/orders", json_body={...})
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GunicornServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    statuses: list[int] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | Iterable[bytes] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> tuple[int, bytes]:
        """One request on a new connection: ``(status, body)``."""
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        self.statuses.append(response.status)
        return response.status, data

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def gunicorn_server(
    database_url: str, app: Any, tmp_path: Path
) -> Iterator[Callable[..., GunicornServer]]:
    """``gunicorn_server(workers=2, config={...})`` → a running :class:`GunicornServer`;
    stopped (SIGTERM) before the test's database is emptied."""
    servers: list[GunicornServer] = []

    def start(*, workers: int = 2, config: dict[str, Any] | None = None) -> GunicornServer:
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--graceful-timeout",
                    "5",
                    # Import the app once, then fork: the workers start in a second, not
                    # one import each on a busy machine. Nothing connects before the fork.
                    "--preload",
                    "tests.worker_host:create_app()",
                ],
                cwd=ROOT,
                env={
                    **os.environ,
                    "SHOPCARE_TEST_DATABASE_URL": database_url,
                    "SHOPCARE_TEST_APP_CONFIG": json.dumps(config or {}),
                },
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = GunicornServer(port, process, log)
        servers.append(server)
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = server.request("GET", "/care/")
                server.statuses.clear()
                if status == 200:
                    return server
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{server.output()}")
            time.sleep(0.1)

    yield start
    for server in servers:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
