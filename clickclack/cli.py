"""The ``clickclack`` command.  Server/operator commands work on the data directory directly and
go through the same store functions (validation, transactions) as the HTTP handlers.

Client commands (login, send, …) talk to a server over HTTP: see clickclack/cli_client.py.

Exit codes: 0 ok, 1 error, 2 usage (click's own); client commands add 3 auth, 4 not found,
5 forbidden, 10 network and 11 unexpected response.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import trio

from clickclack import __version__
from clickclack.config import SETTINGS, Config, load_config
from clickclack.errors import ClickclackError, ConfigError

T = TypeVar("T")

_SERVE_SETTINGS = [s for s in SETTINGS if s.flag]


def _settings_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for s in reversed(_SERVE_SETTINGS):
        assert s.flag is not None
        if s.type is bool:
            opt = click.option(f"{s.flag}/--no-{s.flag[2:]}", s.name, default=None, help=s.help)
        else:
            opt = click.option(s.flag, s.name, type=s.type, default=None,
                               help=f"{s.help} [default: {s.default}; env {s.env}]")
        fn = opt(fn)
    return click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        default=None, help="JSON config file (env < file < flags).")(fn)


def _load(config_file: str | None, flags: dict[str, Any]) -> Config:
    try:
        return load_config(config_file=config_file, flags=flags)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clickclack")
@click.option("--json", "as_json", is_flag=True,
              help="Client commands: print JSON (errors too, on stderr).")
@click.option("--plain", is_flag=True, help="Client commands: print one stable field.")
@click.option("--server", default=None, help="Client commands: the server URL.")
@click.option("--token", default=None, help="Client commands: the sst_ or ccb_ token.")
@click.pass_context
def cli(ctx: click.Context, as_json: bool, plain: bool, server: str | None,
        token: str | None) -> None:
    """ClickClack: self-hosted team chat for people and AI agents.

    Client flags may come before the command (clickclack --json whoami) or after it.

    \b
    Example:
        clickclack serve --dev-bootstrap --addr 127.0.0.1:8080
    """
    ctx.obj = {"json": as_json, "plain": plain, "server": server, "token": token}


@cli.command()
@_settings_options
def serve(config_file: str | None, **flags: Any) -> None:
    """Run the server in the foreground (Ctrl+C or SIGTERM stops it cleanly).

    \b
    Example:
        clickclack serve --data ./data --addr 127.0.0.1:8080 --dev-bootstrap
    """
    config = _load(config_file, flags)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from clickclack.server import run

    run(config)


def _with_store(config: Config, fn: Callable[[Any], Any]) -> Any:
    from clickclack.realtime.hub import Hub
    from clickclack.store import open_store

    failed: list[ClickclackError] = []

    async def main() -> Any:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        async with open_store(config.db_path, Hub().publish,
                              synchronous=config.synchronous) as store:
            # Caught here, inside the store's nursery: past it, trio wraps the error in an
            # ExceptionGroup that ``except ClickclackError`` would not match.
            try:
                return await fn(store)
            except ClickclackError as exc:
                failed.append(exc)
                return None

    try:
        result = trio.run(main)
    except ClickclackError as exc:
        failed.append(exc)
    if failed:
        click.echo(json.dumps({"error": failed[0].detail, "code": failed[0].code}), err=True)
        sys.exit(1)
    return result


@cli.command()
@click.option("--data", default=None, help="Data directory.")
@click.option("--db", default=None, help="Database path.")
def migrate(data: str | None, db: str | None) -> None:
    """Apply pending schema migrations and exit.

    \b
    Example:
        clickclack migrate --data ./data
    """
    config = _load(None, {"data": data, "db": db})

    async def noop(store: Any) -> None:
        return None

    _with_store(config, noop)
    click.echo("migrations applied")


@cli.command()
def version() -> None:
    """Print the version.

    \b
    Example:
        clickclack version
    """
    click.echo(f"clickclack {__version__}")


@cli.group()
def admin() -> None:
    """Operator commands on the data directory (safe while a server runs)."""


@admin.command("bootstrap")
@click.option("--data", default=None, help="Data directory.")
def admin_bootstrap(data: str | None) -> None:
    """Create Local Captain, workspace ClickClack and #general if no user exists; print the
    first user's id.

    \b
    Example:
        clickclack admin bootstrap --data ./data
    """
    config = _load(None, {"data": data})
    click.echo(_with_store(config, lambda store: store.ensure_bootstrap()))


@admin.group("magic-link")
def magic_link() -> None:
    """Magic sign-in links."""


@magic_link.command("create")
@click.option("--data", default=None, help="Data directory.")
@click.option("--email", required=True, help="Address to sign in as (created on first use).")
@click.option("--name", default="", help="Display name for a new user.")
def magic_link_create(data: str | None, email: str, name: str) -> None:
    """Print a single-use mgt_ token (15 minutes) for POST /api/auth/magic/consume.

    \b
    Example:
        clickclack admin magic-link create --email ada@example.com --name Ada
    """
    config = _load(None, {"data": data})

    async def create(store: Any) -> str:
        _, token = await store.create_magic_link(email, name)
        return str(token)

    click.echo(_with_store(config, create))


@admin.group("user")
def admin_user() -> None:
    """People (human users)."""


@admin_user.command("create")
@click.option("--data", default=None, help="Data directory.")
@click.option("--name", default="Local User", show_default=True, help="Display name.")
@click.option("--email", required=True, help="Sign-in address (must not be in use).")
@click.option("--workspace", default=None, help="Also add them as a member: workspace id or slug.")
def admin_user_create(data: str | None, name: str, email: str, workspace: str | None) -> None:
    """Create a user (optionally a member of a workspace) and print their usr_ id.

    \b
    Example:
        clickclack admin user create --name Ada --email ada@example.com --workspace clickclack
    """
    config = _load(None, {"data": data})
    click.echo(_with_store(config, lambda store: store.admin_create_user(name, email, workspace)))


@admin.group("member")
def admin_member() -> None:
    """Workspace memberships."""


@admin_member.command("add")
@click.option("--data", default=None, help="Data directory.")
@click.option("--workspace", required=True, help="Workspace id or slug.")
@click.option("--email", default=None, help="The user's sign-in address.")
@click.option("--user", "user_id", default=None, help="The user's usr_ id.")
@click.option("--role", type=click.Choice(["member", "moderator"]), default="member",
              show_default=True, help="Role for a new member (an existing member keeps theirs).")
def admin_member_add(data: str | None, workspace: str, email: str | None, user_id: str | None,
                     role: str) -> None:
    """Add a user to a workspace; print workspace=… user=… role=… status=added|already_member.

    \b
    Example:
        clickclack admin member add --workspace clickclack --email ada@example.com --role moderator
    """
    if (email is None) == (user_id is None):
        raise click.UsageError("give exactly one of --email or --user")
    config = _load(None, {"data": data})

    async def add(store: Any) -> str:
        ws, uid, actual, added = await store.admin_add_member(
            workspace, role, user_id=user_id, email=email)
        status = "added" if added else "already_member"
        return f"workspace={ws} user={uid} role={actual} status={status}"

    click.echo(_with_store(config, add))


@admin.group("invite")
def admin_invite() -> None:
    """Workspace invites (accepted with POST /api/invites/{token}/accept)."""


@admin_invite.command("create")
@click.option("--data", default=None, help="Data directory.")
@click.option("--workspace", required=True, help="Workspace id or slug.")
@click.option("--expires-in-hours", type=int, default=168, show_default=True,
              help="Lifetime, 1 to 720 hours.")
@click.option("--max-uses", type=int, default=1, show_default=True,
              help="How many people may join with it, 1 to 1000.")
def admin_invite_create(data: str | None, workspace: str, expires_in_hours: int,
                        max_uses: int) -> None:
    """Create an invite to a workspace and print its token (shown only once).

    \b
    Example:
        clickclack admin invite create --workspace clickclack --expires-in-hours 24 --max-uses 5
    """
    config = _load(None, {"data": data})

    async def create(store: Any) -> str:
        ws = store.resolve_workspace(workspace)
        _, token = await store.create_invite(None, ws, expires_in_hours, max_uses)
        return str(token)

    click.echo(_with_store(config, create))


def _ops_fail(exc: Exception) -> None:
    click.echo(json.dumps({"error": str(exc), "code": "operator_error"}), err=True)
    sys.exit(1)


@cli.command()
@click.option("--data", default=None, help="Data directory.")
@click.option("--db", default=None, help="Database path.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the copy.")
@click.option("--json", "as_json", is_flag=True, help="Print {out, bytes, integrity} as JSON.")
def backup(data: str | None, db: str | None, out: str, as_json: bool) -> None:
    """Online backup of the database (safe while the server runs), integrity-checked; exit 1
    if the copy is not ok.

    \b
    Example:
        clickclack backup --data ./data --out ./backups/clickclack.db
    """
    from pathlib import Path

    from clickclack import cli_ops

    config = _load(None, {"data": data, "db": db})
    try:
        result = cli_ops.backup(config.db_path, Path(out))
    except (cli_ops.OpsError, OSError, sqlite3.Error) as exc:
        _ops_fail(exc)
        return
    click.echo(json.dumps(result) if as_json else f"backup {result['out']} ok")


@cli.command()
@click.option("--data", default=None, help="Data directory.")
@click.option("--db", default=None, help="Database path.")
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False),
              help="A file written by `clickclack backup`.")
@click.option("--force", is_flag=True,
              help="Replace an existing database (stop the server first).")
def restore(data: str | None, db: str | None, source: str, force: bool) -> None:
    """Replace the database with a backup after checking the backup's integrity.  Stop the
    server first: SQLite cannot tell whether another process has the database open, so an
    existing database is only replaced with --force.

    \b
    Example:
        clickclack restore --data ./data --from ./backups/clickclack.db --force
    """
    from pathlib import Path

    from clickclack import cli_ops

    config = _load(None, {"data": data, "db": db})
    try:
        result = cli_ops.restore(Path(source), config.db_path, force=force)
    except (cli_ops.OpsError, OSError, sqlite3.Error) as exc:
        _ops_fail(exc)
        return
    click.echo(f"restored {result['restored']} integrity={result['integrity']}")


@cli.command("export")
@click.option("--data", default=None, help="Data directory.")
@click.option("--db", default=None, help="Database path.")
@click.option("--out", default="-", show_default=True,
              help="Output file, or - for stdout.")
def export_cmd(data: str | None, db: str | None, out: str) -> None:
    """Stream workspaces, users (no secrets), members, channels and messages as one JSON
    object, from one consistent snapshot; a progress bar on stderr when it is a terminal.

    \b
    Example:
        clickclack export --data ./data --out export.json
    """
    from pathlib import Path

    from clickclack import cli_ops
    from clickclack.store.connection import open_read

    config = _load(None, {"data": data, "db": db})
    if not config.db_path.is_file():
        _ops_fail(FileNotFoundError(f"no database file at {config.db_path}"))
    conn = open_read(config.db_path)
    try:
        show = out != "-" and sys.stderr.isatty()
        total = cli_ops.export_counts(conn) if show else 0
        if out == "-":
            cli_ops.export_json(conn, sys.stdout)
            return
        target = Path(out)
        tmp = target.with_name(target.name + ".partial")
        with open(tmp, "w", encoding="utf-8") as fh:
            if show:
                with click.progressbar(length=total, label="exporting",
                                       file=sys.stderr) as bar:
                    cli_ops.export_json(conn, fh, bar.update)
            else:
                cli_ops.export_json(conn, fh)
        tmp.replace(target)  # atomic: a reader never sees half a file
    except (OSError, sqlite3.Error) as exc:
        _ops_fail(exc)
    finally:
        conn.close()


@admin.group("bot")
def admin_bot() -> None:
    """Bots (agent accounts with ccb_ tokens)."""


@admin_bot.command("create")
@click.option("--data", default=None, help="Data directory.")
@click.option("--workspace", required=True, help="Workspace id or slug.")
@click.option("--created-by", required=True,
              help="usr_ id of a workspace owner or moderator the bot is created as.")
@click.option("--name", required=True, help="The bot's display name.")
@click.option("--owner", default=None, help="usr_ id owning the bot (default: a service bot).")
@click.option("--handle", default=None, help="Unique @handle.")
@click.option("--token-name", default="default", show_default=True, help="Name of the token.")
@click.option("--scopes", default="bot:write", show_default=True,
              help="Comma-separated token scopes.")
@click.option("--plain", is_flag=True, help="Print only the raw ccb_ token.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
def admin_bot_create(data: str | None, workspace: str, created_by: str, name: str,
                     owner: str | None, handle: str | None, token_name: str, scopes: str,
                     plain: bool, as_json: bool) -> None:
    """Create a bot with its first token; print JSON {bot, bot_token, token} (the token is
    shown only once), or with --plain only the raw ccb_ token.

    \b
    Example:
        clickclack admin bot create --workspace clickclack --created-by usr_… --name Helper --plain
    """
    from clickclack.actor import Actor
    from clickclack.types.bots import CreateBot

    config = _load(None, {"data": data})
    req = CreateBot(display_name=name, owner_user_id=owner, handle=handle,
                    token_name=token_name,
                    scopes=[s.strip() for s in scopes.split(",") if s.strip()])

    async def create(store: Any) -> Any:
        ws = store.resolve_workspace(workspace)
        return await store.create_bot(Actor(user_id=created_by), ws, req)

    issued = _with_store(config, create)
    token = getattr(issued.token, "token", None) if issued.token is not None else None
    if plain:
        click.echo(token or "")
        return
    import msgspec

    click.echo(json.dumps({"bot": msgspec.to_builtins(issued.bot),
                           "bot_token": msgspec.to_builtins(issued.token),
                           "token": token}))


@admin.group("events")
def admin_events() -> None:
    """The durable event log behind realtime resume."""


@admin_events.command("prune")
@click.option("--data", default=None, help="Data directory.")
@click.option("--workspace", required=True, help="Workspace id or slug.")
@click.option("--older-than-days", type=click.IntRange(min=0), default=None,
              help="Delete events older than this many days.")
@click.option("--before", default=None, help="Delete events created before this RFC 3339 time.")
@click.option("--keep-latest", type=click.IntRange(min=0), default=None,
              help="Always keep this many newest events.")
def admin_events_prune(data: str | None, workspace: str, older_than_days: int | None,
                       before: str | None, keep_latest: int | None) -> None:
    """Delete old events of a workspace; clients resuming from a pruned cursor get 4001 and
    take a fresh tail.  Prints "pruned N events".

    \b
    Example:
        clickclack admin events prune --workspace clickclack --older-than-days 30 --keep-latest 1000
    """
    import time

    from clickclack.ids import ts_from_epoch

    if (older_than_days is None) == (before is None):
        raise click.UsageError("give exactly one of --older-than-days or --before")
    bound = before if before is not None else ts_from_epoch(
        time.time() - 86400 * (older_than_days or 0))
    config = _load(None, {"data": data})

    async def prune(store: Any) -> int:
        _, n = await store.admin_prune_events(workspace, bound, keep_latest)
        return int(n)

    click.echo(f"pruned {_with_store(config, prune)} events")


@cli.group("docs")
def docs_group() -> None:
    """Generated documentation."""


@docs_group.command("cli")
@click.option("--out", default="-", show_default=True, help="Output file, or - for stdout.")
def docs_cli(out: str) -> None:
    """Print (or write) docs/reference/cli.md, generated from this command tree.

    \b
    Example:
        clickclack docs cli --out docs/reference/cli.md
    """
    from clickclack.cli_docs import render_cli_reference

    text = render_cli_reference(cli)
    if out == "-":
        click.echo(text, nl=False)
    else:
        from pathlib import Path

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")


def _register_client() -> None:
    from clickclack.cli_client import register

    register(cli)


_register_client()


def main() -> None:
    cli()
