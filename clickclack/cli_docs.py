"""``docs/reference/cli.md``, generated from the click command tree (``clickclack docs cli``);
tests/test_cli_docs.py fails when the checked-in file drifts from the code."""

from __future__ import annotations

import click


def _walk(cmd: click.Command, name: str, parent: click.Context | None
          ) -> list[tuple[str, click.Command, click.Context]]:
    ctx = click.Context(cmd, info_name=name.split(" ")[-1], parent=parent, terminal_width=100,
                        max_content_width=100, **(cmd.context_settings or {}))
    out = [(name, cmd, ctx)]
    if isinstance(cmd, click.Group):
        for sub in sorted(cmd.commands):
            out += _walk(cmd.commands[sub], f"{name} {sub}", ctx)
    return out


def render_cli_reference(root: click.Group) -> str:
    lines = ["# CLI reference", "",
             "Generated from the code by `clickclack docs cli --out docs/reference/cli.md`;"
             " do not edit by hand (tests/test_cli_docs.py checks it).", ""]
    for name, cmd, ctx in _walk(root, "clickclack", None):
        lines += [f"## {name}", "", "```", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(lines)
