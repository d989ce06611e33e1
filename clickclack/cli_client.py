"""Client commands: talk to a running server over HTTP with a stored per-server config.

Config: ``$XDG_CONFIG_HOME/clickclack/config.json`` (default ``~/.config``), mode 0600,
``{"default_server": url, "servers": {url: {"token", "workspace", "channel"}}}``.  A saved
token is used only for the server it was saved for.  Env: ``CLICKCLACK_SERVER``,
``CLICKCLACK_TOKEN``, ``CLICKCLACK_WORKSPACE``, ``CLICKCLACK_CHANNEL``.

Output: compact text; ``--json`` prints the server's JSON object; ``--plain`` one stable field.
Errors go to stderr (as ``{"error", "code", "exit_code"}`` with ``--json``) with exit codes
0 ok, 1 error, 2 usage, 3 auth, 4 not found, 5 forbidden, 10 network, 11 unexpected response.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_FORBIDDEN = 1, 2, 3, 4, 5
EXIT_NETWORK, EXIT_UNEXPECTED = 10, 11
DEFAULT_SERVER = "http://localhost:8080"


class ClientError(Exception):
    def __init__(self, message: str, code: str = "error", exit_code: int = EXIT_ERROR,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.exit_code, self.status = message, code, exit_code, status


# --- config ---------------------------------------------------------------------------------
def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "clickclack" / "config.json"


def load_client_config() -> dict[str, Any]:
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"servers": {}}
    if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
        return {"servers": {}}
    return data


def save_client_config(data: dict[str, Any]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


# --- the session of one command -------------------------------------------------------------
@dataclass
class Client:
    server: str
    token: str | None
    workspace: str | None
    channel: str | None
    as_json: bool
    plain: bool

    def request(self, method: str, path: str, *, json_body: Any = None,
                params: dict[str, Any] | None = None, auth: bool = True) -> Any:
        import httpx

        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            with httpx.Client(base_url=self.server, timeout=30) as http:
                r = http.request(method, path, json=json_body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach {self.server}: {exc}", "network_error",
                              EXIT_NETWORK) from exc
        return self.check(r, path)

    def check(self, r: Any, path: str) -> Any:
        """The JSON object of a response, or the ClientError its status maps to."""
        try:
            body = r.json() if r.content else {}
        except ValueError:
            body = None
        if r.status_code >= 400:
            detail = body if isinstance(body, dict) else {}
            message = str(detail.get("error") or detail.get("detail") or
                          f"HTTP {r.status_code}")
            code = str(detail.get("code") or f"http_{r.status_code}")
            exit_code = {401: EXIT_AUTH, 403: EXIT_FORBIDDEN, 404: EXIT_NOT_FOUND}.get(
                r.status_code, EXIT_ERROR if body is not None else EXIT_UNEXPECTED)
            raise ClientError(message, code, exit_code, r.status_code)
        if not isinstance(body, dict):
            raise ClientError(f"unexpected response from {self.server}{path}"
                              f" (HTTP {r.status_code}, {r.headers.get('content-type')})",
                              "unexpected_response", EXIT_UNEXPECTED, r.status_code)
        return body

    # resolving --workspace and --channel
    def workspace_id(self) -> str:
        spaces = self.request("GET", "/api/workspaces").get("workspaces") or []
        if not spaces:
            raise ClientError("you are not a member of any workspace", "workspace_not_found",
                              EXIT_NOT_FOUND)
        if not self.workspace:
            return str(spaces[0]["id"])
        want = self.workspace.strip().casefold()
        for ws in spaces:
            if want in (str(ws.get("id", "")).casefold(), str(ws.get("slug", "")).casefold(),
                        str(ws.get("name", "")).casefold()):
                return str(ws["id"])
        raise ClientError(f"no workspace {self.workspace!r}", "workspace_not_found",
                          EXIT_NOT_FOUND)

    def channel_id(self, workspace_id: str | None = None) -> str:
        ws = workspace_id or self.workspace_id()
        channels = self.request("GET", f"/api/workspaces/{ws}/channels").get("channels") or []
        want = (self.channel or "general").strip().lstrip("#").casefold()
        for ch in channels:
            if want in (str(ch.get("id", "")).casefold(), str(ch.get("name", "")).casefold()):
                return str(ch["id"])
        if not self.channel and channels:
            return str(channels[0]["id"])
        raise ClientError(f"no channel {self.channel or 'general'!r}", "channel_not_found",
                          EXIT_NOT_FOUND)

    # output
    def emit(self, data: Any, human: Callable[[], str], plain: Callable[[], str] | None = None
             ) -> None:
        if self.as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        elif self.plain and plain is not None:
            click.echo(plain())
        else:
            text = human()
            if text:
                click.echo(text)


def fail(exc: ClientError, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": exc.message, "code": exc.code,
                               "exit_code": exc.exit_code, "status": exc.status}), err=True)
    else:
        click.echo(f"error: {exc.message}", err=True)
    sys.exit(exc.exit_code)


def client_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--server --token --workspace --channel --json --plain, and ``client`` as the first
    argument; ClientError becomes its exit code."""
    import functools

    @click.option("--server", default=None, help="Server URL [env CLICKCLACK_SERVER].")
    @click.option("--token", default=None, help="sst_ or ccb_ token [env CLICKCLACK_TOKEN].")
    @click.option("--workspace", default=None,
                  help="Workspace id, slug or name [env CLICKCLACK_WORKSPACE].")
    @click.option("--channel", default=None,
                  help="Channel id or name, # allowed; default general [env CLICKCLACK_CHANNEL].")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (errors too, on stderr).")
    @click.option("--plain", is_flag=True, help="Print one stable field.")
    @functools.wraps(fn)
    def wrapper(server: str | None, token: str | None, workspace: str | None,
                channel: str | None, as_json: bool, plain: bool, **kw: Any) -> Any:
        root = click.get_current_context().find_root().obj or {}
        server = server or root.get("server")
        token = token or root.get("token")
        as_json = as_json or bool(root.get("json"))
        plain = plain or bool(root.get("plain"))
        cfg = load_client_config()
        chosen = (server or os.environ.get("CLICKCLACK_SERVER") or cfg.get("default_server")
                  or DEFAULT_SERVER).rstrip("/")
        saved = cfg["servers"].get(chosen) or {}
        client = Client(
            server=chosen,
            token=token or os.environ.get("CLICKCLACK_TOKEN") or saved.get("token"),
            workspace=workspace or os.environ.get("CLICKCLACK_WORKSPACE")
            or saved.get("workspace"),
            channel=channel or os.environ.get("CLICKCLACK_CHANNEL") or saved.get("channel"),
            as_json=as_json, plain=plain)
        try:
            return fn(client, **kw)
        except ClientError as exc:
            fail(exc, as_json)

    return wrapper


def _body(text: str | None, file: str | None, stdin: bool) -> str:
    """Positional > --file > --stdin."""
    if text:
        return text
    if file:
        try:
            return Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ClientError(f"cannot read {file}: {exc}", "file_error") from exc
    if stdin:
        return sys.stdin.read()
    raise click.UsageError("give the message text, --file or --stdin")


def _msg_line(m: dict[str, Any]) -> str:
    seq = m.get("channel_seq") or m.get("thread_seq") or m.get("seq") or "-"
    author = m.get("author_id") or (m.get("author") or {}).get("id", "")
    return f"{seq} {m.get('id')} {author} {m.get('body', '')}"


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--magic-token", default=None, help="A mgt_ sign-in token to consume.")
    @click.option("--no-store", is_flag=True, help="Print the token, do not save it.")
    @client_options
    def login(client: Client, magic_token: str | None, no_store: bool) -> None:
        """Sign in and save the session token for this server (config file mode 0600).
        With --magic-token, consume a mgt_ token; otherwise check and save --token.

        \b
        Example:
            clickclack login --server http://127.0.0.1:8080 --magic-token mgt_…
        """
        if magic_token:
            out = client.request("POST", "/api/auth/magic/consume",
                                 json_body={"token": magic_token}, auth=False)
            client.token = str(out["token"])
            user = out.get("user") or {}
        elif client.token:
            user = client.request("GET", "/api/me").get("user") or {}
        else:
            raise click.UsageError("give --magic-token or --token")
        if not no_store:
            cfg = load_client_config()
            entry = cfg["servers"].setdefault(client.server, {})
            entry["token"] = client.token
            cfg["default_server"] = client.server
            save_client_config(cfg)
        client.emit({"server": client.server, "user": user, "token": client.token,
                     "stored": not no_store},
                    lambda: f"signed in to {client.server} as {user.get('display_name', '')}"
                            f" ({user.get('id', '')})",
                    lambda: str(client.token))

    @cli.command()
    @client_options
    def logout(client: Client) -> None:
        """End the session on the server (best effort) and forget the saved token.

        \b
        Example:
            clickclack logout
        """
        if client.token and client.token.startswith("sst_"):
            try:
                client.request("POST", "/api/auth/logout", json_body={})
            except ClientError as exc:
                if exc.exit_code == EXIT_NETWORK:
                    raise
                click.echo(f"warning: the server did not end the session: {exc.message}",
                           err=True)
        cfg = load_client_config()
        cfg["servers"].pop(client.server, None)
        if cfg.get("default_server") == client.server:
            cfg.pop("default_server", None)
        save_client_config(cfg)
        client.emit({"server": client.server, "logged_out": True},
                    lambda: f"logged out of {client.server}", lambda: client.server)

    @cli.command()
    @client_options
    def whoami(client: Client) -> None:
        """Show who the token signs in as.

        \b
        Example:
            clickclack whoami --json
        """
        out = client.request("GET", "/api/me")
        user = out.get("user") or {}
        client.emit(out, lambda: f"{user.get('id')} {user.get('display_name', '')}"
                                 f" ({user.get('kind', 'human')}) on {client.server}",
                    lambda: str(user.get("id")))

    @cli.group()
    def workspaces() -> None:
        """Workspaces you belong to."""

    @workspaces.command("list")
    @client_options
    def workspaces_list(client: Client) -> None:
        """List your workspaces: "id slug name".

        \b
        Example:
            clickclack workspaces list
        """
        out = client.request("GET", "/api/workspaces")
        rows = out.get("workspaces") or []
        client.emit(out, lambda: "\n".join(f"{w['id']} {w.get('slug', '')} {w.get('name', '')}"
                                           for w in rows),
                    lambda: "\n".join(str(w["id"]) for w in rows))

    @cli.group()
    def channels() -> None:
        """Channels of a workspace."""

    @channels.command("list")
    @client_options
    def channels_list(client: Client) -> None:
        """List the workspace's channels: "id name kind".

        \b
        Example:
            clickclack channels list --workspace clickclack
        """
        out = client.request("GET", f"/api/workspaces/{client.workspace_id()}/channels")
        rows = out.get("channels") or []
        client.emit(out, lambda: "\n".join(f"{c['id']} {c.get('name', '')} {c.get('kind', '')}"
                                           for c in rows),
                    lambda: "\n".join(str(c["id"]) for c in rows))

    @channels.command("create")
    @click.argument("name")
    @client_options
    def channels_create(client: Client, name: str) -> None:
        """Create a channel and print its id.

        \b
        Example:
            clickclack channels create release-notes
        """
        out = client.request("POST", f"/api/workspaces/{client.workspace_id()}/channels",
                             json_body={"name": name.lstrip("#")})
        ch = out.get("channel") or out
        client.emit(out, lambda: f"{ch.get('id')} {ch.get('name', '')}",
                    lambda: str(ch.get("id")))

    def _post(client: Client, text: str, reply_to: str | None, thread: str | None,
              nonce: str | None) -> None:
        payload: dict[str, Any] = {"body": text, "nonce": nonce or f"cli-{uuid.uuid4()}"}
        if thread:
            out = client.request("POST", f"/api/messages/{thread}/thread/replies",
                                 json_body=payload)
        else:
            if reply_to:
                payload["quoted_message_id"] = reply_to
            out = client.request("POST", f"/api/channels/{client.channel_id()}/messages",
                                 json_body=payload)
        msg = out.get("message") or out
        client.emit(out, lambda: _msg_line(msg), lambda: str(msg.get("id")))

    @cli.command()
    @click.argument("text", required=False)
    @click.option("--file", "file", default=None, help="Read the message from a file.")
    @click.option("--stdin", "stdin", is_flag=True, help="Read the message from stdin.")
    @click.option("--reply-to", default=None, help="Quote this msg_ id inline.")
    @click.option("--thread", default=None, help="Reply in the thread of this root msg_ id.")
    @click.option("--nonce", default=None, help="Idempotency key (a retry never posts twice).")
    @client_options
    def send(client: Client, text: str | None, file: str | None, stdin: bool,
             reply_to: str | None, thread: str | None, nonce: str | None) -> None:
        """Post a message to a channel (default #general) and print "seq id author body";
        --plain prints the message id.

        \b
        Example:
            clickclack send --channel general "build 42 is green"
        """
        _post(client, _body(text, file, stdin), reply_to, thread, nonce)

    @cli.group()
    def messages() -> None:
        """Messages of a channel."""

    @messages.command("list")
    @click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True,
                  help="How many of the latest messages.")
    @client_options
    def messages_list(client: Client, limit: int) -> None:
        """List the latest messages of a channel: "seq id author body".

        \b
        Example:
            clickclack messages list --channel general --limit 20
        """
        out = client.request("GET", f"/api/channels/{client.channel_id()}/messages",
                             params={"limit": limit})
        rows = out.get("messages") or []
        client.emit(out, lambda: "\n".join(_msg_line(m) for m in rows),
                    lambda: "\n".join(str(m["id"]) for m in rows))

    @cli.group()
    def threads() -> None:
        """Threads under a root message."""

    @threads.command("open")
    @click.argument("message_id")
    @client_options
    def threads_open(client: Client, message_id: str) -> None:
        """Show a thread: its root and replies, "seq id author body".

        \b
        Example:
            clickclack threads open msg_…
        """
        out = client.request("GET", f"/api/messages/{message_id}/thread")
        root = out.get("root") or out.get("message") or {}
        replies = out.get("replies") or out.get("messages") or []
        client.emit(out, lambda: "\n".join(_msg_line(m) for m in [root, *replies] if m),
                    lambda: "\n".join(str(m["id"]) for m in replies))

    @threads.command("reply")
    @click.argument("message_id")
    @click.argument("text", required=False)
    @click.option("--file", "file", default=None, help="Read the reply from a file.")
    @click.option("--stdin", "stdin", is_flag=True, help="Read the reply from stdin.")
    @click.option("--nonce", default=None, help="Idempotency key.")
    @client_options
    def threads_reply(client: Client, message_id: str, text: str | None, file: str | None,
                      stdin: bool, nonce: str | None) -> None:
        """Reply in a thread; --plain prints the reply's id.

        \b
        Example:
            clickclack threads reply msg_… "on it"
        """
        _post(client, _body(text, file, stdin), None, message_id, nonce)

    @cli.group()
    def reactions() -> None:
        """Emoji reactions on messages."""

    @reactions.command("add")
    @click.argument("message_id")
    @click.argument("emoji")
    @client_options
    def reactions_add(client: Client, message_id: str, emoji: str) -> None:
        """Add a reaction.

        \b
        Example:
            clickclack reactions add msg_… 👍
        """
        out = client.request("POST", f"/api/messages/{message_id}/reactions",
                             json_body={"emoji": emoji})
        client.emit(out, lambda: f"reacted {emoji} to {message_id}", lambda: message_id)

    @reactions.command("remove")
    @click.argument("message_id")
    @click.argument("emoji")
    @client_options
    def reactions_remove(client: Client, message_id: str, emoji: str) -> None:
        """Remove your reaction.

        \b
        Example:
            clickclack reactions remove msg_… 👍
        """
        from urllib.parse import quote

        out = client.request("DELETE", f"/api/messages/{message_id}/reactions/"
                                       f"{quote(emoji, safe='')}")
        client.emit(out, lambda: f"removed {emoji} from {message_id}", lambda: message_id)

    @cli.command()
    @click.argument("query")
    @click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True,
                  help="How many results.")
    @client_options
    def search(client: Client, query: str, limit: int) -> None:
        """Search a workspace's messages: "id channel body".

        \b
        Example:
            clickclack search "deploy from:ada"
        """
        out = client.request("GET", "/api/search", params={
            "workspace_id": client.workspace_id(), "q": query, "limit": limit})
        rows = out.get("results") or out.get("messages") or []

        def line(r: dict[str, Any]) -> str:
            m = r.get("message") or r
            where = m.get("channel_name") or m.get("channel_id") or m.get("conversation_id")
            return f"{m.get('id')} {where} {m.get('snippet') or m.get('body', '')}"

        client.emit(out, lambda: "\n".join(line(r) for r in rows),
                    lambda: "\n".join(str((r.get("message") or r).get("id")) for r in rows))

    @cli.command()
    @click.option("--count", type=click.IntRange(min=1), default=None,
                  help="Stop after this many events (default: follow until interrupted).")
    @click.option("--from-start", is_flag=True,
                  help="Ignore the saved cursor and replay the retained log.")
    @click.option("--no-save", is_flag=True, help="Do not save the cursor.")
    @client_options
    def tail(client: Client, count: int | None, from_start: bool, no_save: bool) -> None:
        """Follow a workspace's events over the websocket: "cursor type channel payload", or
        NDJSON with --json.  The cursor is saved after each event under
        $XDG_STATE_HOME/clickclack/cursors/ and a restarted tail resumes after it; when the
        server no longer has it (4001) the tail says so on stderr and starts from the tail.

        \b
        Example:
            clickclack tail --workspace clickclack --json --count 10
        """
        follow(client, count, from_start, no_save)

    @cli.group()
    def events() -> None:
        """The workspace event stream."""

    @events.command("tail")
    @click.option("--count", type=click.IntRange(min=1), default=None,
                  help="Stop after this many events (default: follow until interrupted).")
    @click.option("--from-start", is_flag=True,
                  help="Ignore the saved cursor and replay the retained log.")
    @click.option("--no-save", is_flag=True, help="Do not save the cursor.")
    @client_options
    def events_tail(client: Client, count: int | None, from_start: bool, no_save: bool) -> None:
        """Follow events as NDJSON (one event object a line), resuming from the saved cursor;
        the same as `clickclack tail --json`.

        \b
        Example:
            clickclack events tail --count 5
        """
        client.as_json = True
        follow(client, count, from_start, no_save)


    @cli.command()
    @click.argument("line")
    @click.option("--turn-id", default=None, help="Groups the lines of one piece of work.")
    @click.option("--status", default="running", show_default=True,
                  help="running, done, failed, … (free text).")
    @client_options
    def progress(client: Client, line: str, turn_id: str | None, status: str) -> None:
        """Report what an agent is doing as an ephemeral agent.progress event in a channel
        (bot tokens only; never stored, shown live to the channel).

        \b
        Example:
            clickclack progress --channel general --turn-id t1 "running the test suite"
        """
        ws = client.workspace_id()
        payload = {"turn_id": turn_id or f"turn-{uuid.uuid4().hex[:12]}", "op": "append",
                   "line": {"id": uuid.uuid4().hex[:12], "kind": "text", "text": line,
                            "status": status}}
        out = client.request("POST", "/api/realtime/ephemeral", json_body={
            "workspace_id": ws, "type": "agent.progress", "channel_id": client.channel_id(ws),
            "payload": payload})
        event = out.get("event") or {}
        client.emit(out, lambda: f"progress {payload['turn_id']}: {line}",
                    lambda: str(event.get("id", "")))


    @cli.command()
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--message", default=None,
                  help="Also post this message to --channel with the file attached.")
    @click.option("--nonce", default=None, help="Idempotency key (a retry is not stored twice).")
    @client_options
    def upload(client: Client, path: str, message: str | None, nonce: str | None) -> None:
        """Upload a file to the workspace (streamed, with a progress bar on a terminal) and
        print its id; --message posts it to a channel too.

        \b
        Example:
            clickclack upload ./report.pdf --channel general --message "Nightly report"
        """
        ws = client.workspace_id()
        out = upload_file(client, ws, Path(path), nonce)
        up = out.get("upload") or {}
        if message is not None:
            posted = client.request(
                "POST", f"/api/channels/{client.channel_id(ws)}/messages",
                json_body={"body": message, "upload_id": up.get("id"),
                           "nonce": f"cli-{uuid.uuid4()}"})
            out = {**out, "message": posted.get("message")}
        client.emit(out, lambda: f"{up.get('id')} {up.get('filename', '')}"
                                 f" {up.get('byte_size', '')}",
                    lambda: str(up.get("id")))


# --- tail -----------------------------------------------------------------------------------
def cursor_file(server: str, workspace_id: str, user_id: str) -> Path:
    import hashlib

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    key = hashlib.sha256(f"{server}|{workspace_id}|{user_id}".encode()).hexdigest()[:24]
    return Path(base) / "clickclack" / "cursors" / f"{key}.json"


def _save_cursor(path: Path, cursor: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"cursor": cursor}), encoding="utf-8")
    os.replace(tmp, path)  # a crash leaves the old cursor or the new one, never half a file


def _load_cursor(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("cursor")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def _event_line(ev: dict[str, Any]) -> str:
    return (f"{ev.get('cursor') or '-'} {ev.get('type')} {ev.get('channel_id') or '-'}"
            f" {json.dumps(ev.get('payload'), ensure_ascii=False, separators=(',', ':'))}")


def follow(client: Client, count: int | None, from_start: bool, no_save: bool) -> None:
    """Print events from the saved cursor (or the current tail) on; reconnect on 4001 from a
    fresh tail.  Each event is printed and flushed before its cursor is saved, so a restart
    repeats at most the last event and never skips one."""
    import trio
    from trio_websocket import ConnectionClosed, HandshakeError, connect_websocket_url

    ws_id = client.workspace_id()
    me = str((client.request("GET", "/api/me").get("user") or {}).get("id", ""))
    path = cursor_file(client.server, ws_id, me)
    saved = None if from_start else _load_cursor(path)

    def fresh_tail() -> str:
        out = client.request("GET", "/api/realtime/events", params={
            "workspace_id": ws_id, "include_tail": "true", "limit": 1})
        return str(out.get("tail_cursor") or "")

    cursor = "" if from_start else (saved or fresh_tail())
    seen = 0
    ws_base = client.server.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    protos = [f"clickclack.bearer.{client.token}"] if client.token else []

    async def session(url: str) -> BaseException | None:
        """One connection; returns why it ended (None: --count reached).  The socket lives in
        our own nursery, cancelled when we are done: no close handshake to race a ping."""
        nonlocal cursor, seen
        ended: BaseException | None = None
        async with trio.open_nursery() as nursery:
            try:
                ws = await connect_websocket_url(nursery, url, subprotocols=protos)
                click.echo(f"tail: following {ws_id} after {cursor or 'the start'}", err=True)
                while ended is None:
                    frame = json.loads(await ws.get_message())
                    # one event a frame, or a batch of them during replay
                    for ev in frame if isinstance(frame, list) else [frame]:
                        click.echo(json.dumps(ev, ensure_ascii=False) if client.as_json
                                   else _event_line(ev))
                        sys.stdout.flush()
                        seen += 1
                        if ev.get("cursor"):
                            cursor = str(ev["cursor"])
                            if not no_save:
                                _save_cursor(path, cursor)
                        if count is not None and seen >= count:
                            break
                    if count is not None and seen >= count:
                        break
            except (ConnectionClosed, HandshakeError, OSError) as exc:
                ended = exc
            nursery.cancel_scope.cancel()
        return ended

    async def run() -> None:
        nonlocal cursor
        from urllib.parse import urlencode

        while True:
            query = {"workspace_id": ws_id, **({"after_cursor": cursor} if cursor else {})}
            exc = await session(f"{ws_base}/api/realtime/ws?{urlencode(query)}")
            if exc is None:
                return
            if isinstance(exc, ConnectionClosed):
                code = exc.reason.code if exc.reason else None
                if code == 4001:
                    click.echo(f"cursor {cursor or '(none)'} is gone (4001): resuming from the"
                               " current tail; events in between were skipped", err=True)
                    cursor = fresh_tail()
                    continue
                why = exc.reason.reason if exc.reason else ""
                if code == 1008:
                    raise ClientError(f"access revoked: {why}", "access_revoked",
                                      EXIT_AUTH) from exc
                raise ClientError(f"connection closed ({code} {why})", "network_error",
                                  EXIT_NETWORK) from exc
            if isinstance(exc, HandshakeError):
                status = getattr(exc, "status_code", None)
                exit_code = {401: EXIT_AUTH, 403: EXIT_FORBIDDEN, 404: EXIT_NOT_FOUND}.get(
                    status or 0, EXIT_NETWORK)
                raise ClientError(f"websocket rejected: {exc!r}", "ws_rejected",
                                  exit_code, status) from exc
            raise ClientError(f"cannot reach {client.server}: {exc}", "network_error",
                              EXIT_NETWORK) from exc

    try:
        trio.run(run)
    except KeyboardInterrupt:
        return


# --- upload ---------------------------------------------------------------------------------
def upload_file(client: Client, workspace_id: str, path: Path, nonce: str | None
                ) -> dict[str, Any]:
    """POST /api/uploads as multipart/form-data, streamed from disk in 64 KiB chunks."""
    import httpx

    boundary = uuid.uuid4().hex
    name = path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\";"
            f" filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    show = sys.stderr.isatty() and not client.as_json

    def body() -> Any:
        yield head
        with open(path, "rb") as fh, click.progressbar(
                length=size, label=f"uploading {path.name}", file=sys.stderr,
                hidden=not show) as bar:
            while chunk := fh.read(65536):
                bar.update(len(chunk))
                yield chunk
        yield tail

    params = {"workspace_id": workspace_id, **({"nonce": nonce} if nonce else {})}
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Content-Length": str(len(head) + size + len(tail)),
               "Accept": "application/json"}
    if client.token:
        headers["Authorization"] = f"Bearer {client.token}"
    try:
        with httpx.Client(base_url=client.server, timeout=300) as http:
            r = http.post("/api/uploads", params=params, headers=headers, content=body())
    except httpx.HTTPError as exc:
        raise ClientError(f"cannot reach {client.server}: {exc}", "network_error",
                          EXIT_NETWORK) from exc
    return dict(client.check(r, "/api/uploads"))
