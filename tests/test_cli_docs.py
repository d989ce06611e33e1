"""The CLI documents itself: every command has help with an example, docs/reference/cli.md is
generated from the command tree and must not drift, and every ``clickclack`` command line in
skill/ and README.md runs against a real server."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from clickclack.cli import cli
from clickclack.cli_docs import render_cli_reference

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
    return out


COMMANDS = _commands(cli)


def test_reference_is_generated_from_the_code():
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert text == render_cli_reference(cli), (
        "docs/reference/cli.md drifted: run `clickclack docs cli --out docs/reference/cli.md`")


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help_and_a_documented_section(path):
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    cmd = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    if not isinstance(cmd, click.Group):
        assert "Example:" in result.output and f"clickclack {' '.join(path)}" in result.output
    assert f"## clickclack {' '.join(path)}\n" in (ROOT / "docs" / "reference" / "cli.md"
                                                   ).read_text(encoding="utf-8")


def test_docs_cli_command_prints_the_reference():
    result = CliRunner().invoke(cli, ["docs", "cli"], catch_exceptions=False)
    assert result.output == render_cli_reference(cli)
