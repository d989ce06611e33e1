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

    async def main() -> Any:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        async with open_store(config.db_path, Hub().publish,
                              synchronous=config.synchronous) as store:
            return await fn(store)

    try:
        return trio.run(main)
    except ClickclackError as exc:
        click.echo(json.dumps({"error": exc.detail, "code": exc.code}), err=True)
        sys.exit(1)


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


def main() -> None:
    cli()
