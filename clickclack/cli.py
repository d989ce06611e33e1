"""The ``clickclack`` command.  Server/operator commands work on the data directory directly and
go through the same store functions (validation, transactions) as the HTTP handlers.

Exit codes: 0 ok, 1 error, 2 usage (click's own).
"""

from __future__ import annotations

import json
import logging
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
def cli() -> None:
    """ClickClack: self-hosted team chat for people and AI agents.

    \b
    Example:
        clickclack serve --dev-bootstrap --addr 127.0.0.1:8080
    """


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


def main() -> None:
    cli()
