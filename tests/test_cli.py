"""Every ``flask shopcare …`` command runs as under the real ``flask`` command: through
``app.test_cli_runner()``, with no app context pushed by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask, has_app_context

from tests.host import make_app

#: Each command shopcare registers, with a harmless invocation (its arguments) and what
#: its output says; run in this order on an empty database of the test's own: the
#: tables are made by the first and dropped by the last.
INVOCATIONS: dict[tuple[str, ...], tuple[list[str], str]] = {
    ("db", "upgrade"): ([], "shopcare tables upgraded to heads"),
    ("db", "current"): ([], "(head)"),
    ("db", "history"): ([], "->"),
    ("db", "stamp"): (["heads"], "shopcare tables stamped at heads"),
    ("db", "create-all"): ([], "shopcare tables created"),
    ("check",): ([], "shopcare check:"),
    ("orders", "import"): (["{empty_jsonl}"], "0 orders recorded from none.jsonl"),
    ("api-key", "create"): (["cli walk", "--scope", "orders:read"], "Created API key 1"),
    ("api-key", "list"): ([], "cli walk"),
    ("api-key", "revoke"): (["1"], "Revoked API key 1"),
    ("work",): ([], "shopcare worker: 0 done"),
    ("insights", "rebuild"): ([], "answers rollup rebuilt"),
    ("outbox", "list"): ([], "no outbox items"),
    ("outbox", "retry"): (["--all-failed"], "0 item(s) queued again"),
    ("mail", "test"): (["ann@example.com"], "sent"),
    ("tracking", "flag-late"): ([], "0 shipment(s) newly late"),
    ("mail", "receive"): ([], "opened F-"),
    ("feedback", "sla"): ([], "0 breach(es) flagged"),
    ("privacy", "export"): (["nobody@example.com"], '"orders": []'),
    ("privacy", "erase"): (["nobody@example.com", "--yes"], "Nothing is held about"),
    ("db", "downgrade"): (["base"], "shopcare tables downgraded to base"),
}

#: What a command reads from standard input (an MTA's piped message).
STDIN = {("mail", "receive"): b"From: Ann <ann@example.com>\r\nSubject: Hi\r\n\r\nHello\r\n"}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``group``, groups included (``()`` is the group)."""
    yield path
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


@pytest.fixture
def cli_app(empty_database_url: str, smtp_server: Any) -> Iterator[Flask]:
    app, db, _care = make_app(
        empty_database_url, SHOPCARE_EXTERNAL_URL="https://shop.example", **smtp_server.config
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_command_runs_without_an_app_context(
    cli_app: Flask, smtp_server: Any, tmp_path: Path
) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    group = cli_app.cli.commands["shopcare"]
    assert isinstance(group, click.Group)
    every = list(commands(group))
    leaves = [path for path in every if not isinstance(command_at(group, path), click.Group)]
    assert sorted(leaves) == sorted(INVOCATIONS), "give each new command a harmless invocation"
    runner = cli_app.test_cli_runner()
    assert not has_app_context()
    for path in every:
        result = runner.invoke(args=["shopcare", *path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
    for path, (args, said) in INVOCATIONS.items():
        args = [arg.format(empty_jsonl=empty) for arg in args]
        result = runner.invoke(args=["shopcare", *path, *args], input=STDIN.get(path))
        assert result.exit_code == 0, (path, result.output, result.exception)
        assert said in result.output, (path, result.output)
        assert not has_app_context()
    assert smtp_server.messages[0]["To"] == "ann@example.com"


def command_at(group: click.Group, path: tuple[str, ...]) -> click.Command:
    command: click.Command = group
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command
