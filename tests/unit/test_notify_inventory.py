"""`notify:` in the inventory: targets read strictly, secrets kept as secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from gameday.app.live import notify_targets
from gameday.core.formats.inventory import NOTIFY_EVENTS
from gameday.core.formats.inventory_loader import load_inventory
from gameday.errors import InputError

HOSTS = "hosts:\n  web-1: {address: 10.0.0.1}\n"


def _load(tmp_path: Path, notify: str) -> object:
    path = tmp_path / "inventory.yaml"
    path.write_text(HOSTS + "notify:\n" + notify)
    return load_inventory(path)


def test_three_kinds_of_targets_are_read_with_their_events(tmp_path: Path) -> None:
    inventory = _load(
        tmp_path,
        "  - kind: slack\n"
        "    url: https://hooks.slack.example/services/T1/B2/c3\n"
        "    events: [abort_fired, session_ended]\n"
        "  - kind: webhook\n"
        "    name: alerts\n"
        "    url: https://alerts.example/gameday\n"
        "    headers: {Authorization: Bearer s3cr3t-value}\n"
        "    timeout: 2s\n"
        "  - kind: command\n"
        "    command: [/usr/local/bin/page, --team, sre]\n",
    )
    slack, hook, command = inventory.notify  # type: ignore[attr-defined]
    assert (slack.kind, slack.name, slack.events) == (
        "slack",
        "slack #1",
        ("abort_fired", "session_ended"),
    )
    assert (hook.name, hook.timeout, hook.events) == ("alerts", 2.0, NOTIFY_EVENTS)
    assert "s3cr3t" not in repr(hook) and "hooks.slack" not in repr(slack)
    assert command.command == ("/usr/local/bin/page", "--team", "sre")


@pytest.mark.parametrize(
    ("notify", "line", "field", "problem"),
    [
        ("  - kind: email\n", 4, "notify[0].kind", "unknown kind 'email'"),
        (
            "  - kind: webhook\n    url: https://a.example\n    events: [lunch]\n",
            6,
            "notify[0].events",
            "unknown event 'lunch'",
        ),
        (
            "  - kind: command\n    command: page --team sre\n",
            5,
            "notify[0].command",
            "a command is a list",
        ),
        (
            "  - kind: webhook\n    url: https://a.example\n    headers:\n"
            "      X-Key: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
            7,
            "notify[0].headers.X-Key",
            "Ansible Vault",
        ),
        (
            "  - kind: slack\n    url: https://user:hunter2@a.example/x\n",
            5,
            "notify[0].url",
            "put credentials in headers",
        ),
    ],
)
def test_bad_targets_name_file_line_and_field(
    tmp_path: Path, notify: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, notify)
    error = caught.value
    assert (error.line, error.field) == (line, field)
    assert problem in error.problem and "hunter2" not in str(error)


def test_notify_urls_from_the_command_line_are_webhooks_after_the_inventory_s(
    tmp_path: Path,
) -> None:
    inventory = _load(tmp_path, "  - kind: command\n    command: [true]\n")
    targets = notify_targets(inventory, ["http://127.0.0.1:9/hook"])  # type: ignore[arg-type]
    assert [(t.kind, t.name) for t in targets] == [
        ("command", "command #1"),
        ("webhook", "--notify #1"),
    ]
    with pytest.raises(InputError, match="--notify") as caught:
        notify_targets(inventory, ["ftp://x/?token=abc123"])  # type: ignore[arg-type]
    assert "abc123" not in str(caught.value)
