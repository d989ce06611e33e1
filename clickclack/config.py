"""Configuration: one frozen object, loaded once, passed down explicitly.

Precedence (lowest first): built-in defaults < ``CLICKCLACK_*`` environment < JSON config file
(``--config``) < command-line flags that were explicitly set.  This is the only module that reads
``os.environ``.  Every setting is declared once in :data:`SETTINGS`; the README's configuration
table is checked against it by ``tests/test_docs.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clickclack.errors import ConfigError
from clickclack.mail import check_mail_from, parse_smtp_url
from clickclack.ratelimit import LIMITS, parse_rate

KiB = 1024
MiB = 1024 * KiB
SECONDS = 1.0
# "--addr :8080" (empty host) explicitly asks for every interface; the default is 127.0.0.1.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # nosec B104


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # field name on Config and the JSON key
    env: str | None
    flag: str | None
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("addr", "CLICKCLACK_ADDR", "--addr", str, "127.0.0.1:8080",
            "Listen address, host:port (':8080' means all interfaces)."),
    Setting("data", "CLICKCLACK_DATA", "--data", str, "./data",
            "Data directory: holds clickclack.db and uploads/."),
    Setting("db", "CLICKCLACK_DB", "--db", str, "",
            "SQLite database: sqlite://path or a bare path. Default <data>/clickclack.db."),
    Setting("dev_bootstrap", "CLICKCLACK_DEV_BOOTSTRAP", "--dev-bootstrap", bool, False,
            "Create Local Captain + workspace ClickClack + #general; enable loopback-only dev "
            "sign-in (impersonation header, first-user fallback, magic links answered inline)."),
    Setting("synchronous", "CLICKCLACK_SYNCHRONOUS", "--synchronous", str, "FULL",
            "SQLite synchronous mode: FULL (acknowledged writes survive power loss) or NORMAL "
            "(faster; survives a process crash, may lose the last commits on power loss)."),
    Setting("metrics_enabled", "CLICKCLACK_METRICS_ENABLED", "--metrics-enabled", bool, False,
            "Serve Prometheus text at /metrics (keep it private)."),
    Setting("access_log", "CLICKCLACK_ACCESS_LOG", "--access-log", str, "errors",
            "Access log: all, errors or off (logs the route pattern, never the query string)."),
    Setting("public_url", "CLICKCLACK_PUBLIC_URL", "--public-url", str, "",
            "Browser origin, e.g. https://chat.example.com. Used for Origin/CSRF checks."),
    Setting("graceful_timeout_s", "CLICKCLACK_GRACEFUL_TIMEOUT", "--graceful-timeout", float, 5.0,
            "Seconds in-flight requests get to finish after SIGTERM/SIGINT."),
    Setting("read_timeout_s", "CLICKCLACK_READ_TIMEOUT", "--read-timeout", float, 45.0,
            "Seconds a connection may send nothing before it is closed (slowloris guard); "
            "must exceed the websocket ping interval, since pongs count as traffic."),
    Setting("keep_alive_timeout_s", "CLICKCLACK_KEEP_ALIVE_TIMEOUT", "--keep-alive-timeout",
            float, 30.0, "Seconds an idle keep-alive HTTP connection is kept open."),
    Setting("send_timeout_s", "CLICKCLACK_SEND_TIMEOUT", "--send-timeout", float, 10.0,
            "Seconds one socket write may take before the connection is aborted."),
    Setting("tcp_user_timeout_s", "CLICKCLACK_TCP_USER_TIMEOUT", "--tcp-user-timeout", float,
            30.0, "Kernel TCP_USER_TIMEOUT: a peer that stops acknowledging is dropped."),
    Setting("ws_ping_interval_s", "CLICKCLACK_WS_PING_INTERVAL", "--ws-ping-interval", float,
            25.0, "Seconds between websocket pings (finds half-open sockets)."),
    Setting("ws_max_message_bytes", "CLICKCLACK_WS_MAX_MESSAGE", "--ws-max-message", int,
            64 * KiB, "Largest websocket frame accepted from a client (output-only socket)."),
    Setting("backlog", "CLICKCLACK_BACKLOG", "--backlog", int, 2048,
            "Listen backlog (mass reconnects after a restart)."),
    Setting("max_json_bytes", "CLICKCLACK_MAX_JSON_BYTES", "--max-json-bytes", int, 1 * MiB,
            "Largest JSON request body; larger bodies get 413."),
    Setting("body_timeout_s", "CLICKCLACK_BODY_TIMEOUT", "--body-timeout", float, 30.0,
            "Seconds a request body may take to arrive."),
    Setting("writer_queue", "CLICKCLACK_WRITER_QUEUE", "--writer-queue", int, 1024,
            "Write requests that may wait for the single writer (backpressure beyond that)."),
    Setting("writer_batch", "CLICKCLACK_WRITER_BATCH", "--writer-batch", int, 256,
            "Most write requests grouped into one transaction."),
    Setting("hub_queue", "CLICKCLACK_HUB_QUEUE", "--hub-queue", int, 1024,
            "Live events buffered per websocket before it is resynced from the log."),
    Setting("replay_limit", "CLICKCLACK_REPLAY_LIMIT", "--replay-limit", int, 5000,
            "Most events one websocket replay may send before it closes with 4001."),
    Setting("read_query_timeout_s", "CLICKCLACK_READ_QUERY_TIMEOUT", "--read-query-timeout",
            float, 5.0, "Time limit for long read queries run off the event loop."),
    Setting("bench_echo", "CLICKCLACK_BENCH_ECHO", "--bench-echo", bool, False,
            "Expose POST /api/_bench/echo (JSON echo, no database) for ./scripts/bench."),
    # Sign-in for real deployments (accounts): mail, passwords, rate limits.
    Setting("smtp_url", "CLICKCLACK_SMTP_URL", "--smtp-url", str, "",
            "Mail server for sign-in links: smtp://user:pass@host:587 (STARTTLS when offered; "
            "?starttls=true requires it) or smtps://user:pass@host:465. Empty: no mail."),
    Setting("mail_from", "CLICKCLACK_MAIL_FROM", "--mail-from", str, "",
            "From address of sign-in mails, e.g. 'ClickClack <chat@example.com>'; required "
            "with --smtp-url."),
    Setting("password_auth", "CLICKCLACK_PASSWORD_AUTH_ENABLED", "--password-auth", bool,
            False, "Allow password sign-in and enrolment (argon2id); off: those routes are 404."),
    Setting("rate_magic_request_ip", "CLICKCLACK_RATE_MAGIC_REQUEST_IP",
            "--rate-magic-request-ip", str, "20/1m",
            "Mailed sign-in link requests per client IP (N/period: bursts of N, refilled evenly "
            "over the period; off disables)."),
    Setting("rate_magic_request_email", "CLICKCLACK_RATE_MAGIC_REQUEST_EMAIL",
            "--rate-magic-request-email", str, "3/1m",
            "Mailed sign-in link requests per email address."),
    Setting("rate_magic_consume_ip", "CLICKCLACK_RATE_MAGIC_CONSUME_IP",
            "--rate-magic-consume-ip", str, "30/1m", "Magic-link consumes per client IP."),
    Setting("rate_password_login_ip", "CLICKCLACK_RATE_PASSWORD_LOGIN_IP",
            "--rate-password-login-ip", str, "20/1m", "Password sign-in attempts per client IP."),
    Setting("rate_password_failures", "CLICKCLACK_RATE_PASSWORD_FAILURES",
            "--rate-password-failures", str, "5/15m",
            "Failed password sign-ins per identifier (email or handle)."),
    Setting("rate_password_change_failures", "CLICKCLACK_RATE_PASSWORD_CHANGE_FAILURES",
            "--rate-password-change-failures", str, "5/15m",
            "Wrong current passwords per account when changing the password."),
    Setting("rate_messages", "CLICKCLACK_RATE_MESSAGES", "--rate-messages", str, "40/2s",
            "Messages posted per user (40/2s: bursts of 40, 20 per second sustained)."),
    Setting("rate_ephemeral", "CLICKCLACK_RATE_EPHEMERAL", "--rate-ephemeral", str, "20/2s",
            "Typing/presence/progress events per user."),
    # Uploads (contract 16).
    Setting("upload_max_bytes", "CLICKCLACK_UPLOAD_MAX_BYTES", "--upload-max-bytes", int,
            64 * MiB, "Largest uploaded file; larger uploads get 413 and leave nothing behind."),
    Setting("upload_quota_bytes", "CLICKCLACK_UPLOAD_QUOTA_BYTES", "--upload-quota-bytes", int,
            512 * MiB, "Bytes of uploads one user may hold per workspace (uploads in flight "
            "count); past it: 413 upload quota exceeded."),
    Setting("upload_quota_files", "CLICKCLACK_UPLOAD_QUOTA_FILES", "--upload-quota-files", int,
            64, "Uploaded files one user may hold per workspace."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    addr: str = "127.0.0.1:8080"
    data: str = "./data"
    db: str = ""
    dev_bootstrap: bool = False
    synchronous: str = "FULL"
    metrics_enabled: bool = False
    access_log: str = "errors"
    public_url: str = ""
    graceful_timeout_s: float = 5.0
    read_timeout_s: float = 45.0
    keep_alive_timeout_s: float = 30.0
    send_timeout_s: float = 10.0
    tcp_user_timeout_s: float = 30.0
    ws_ping_interval_s: float = 25.0
    ws_max_message_bytes: int = 64 * KiB
    backlog: int = 2048
    max_json_bytes: int = 1 * MiB
    body_timeout_s: float = 30.0
    writer_queue: int = 1024
    writer_batch: int = 256
    hub_queue: int = 1024
    replay_limit: int = 5000
    read_query_timeout_s: float = 5.0
    bench_echo: bool = False
    smtp_url: str = ""
    mail_from: str = ""
    password_auth: bool = False
    rate_magic_request_ip: str = "20/1m"
    rate_magic_request_email: str = "3/1m"
    rate_magic_consume_ip: str = "30/1m"
    rate_password_login_ip: str = "20/1m"  # noqa: S105 (a rate, not a secret)
    rate_password_failures: str = "5/15m"  # noqa: S105 (a rate, not a secret)
    rate_password_change_failures: str = "5/15m"  # noqa: S105 (a rate, not a secret)
    rate_messages: str = "40/2s"
    rate_ephemeral: str = "20/2s"
    upload_max_bytes: int = 64 * MiB
    upload_quota_bytes: int = 512 * MiB
    upload_quota_files: int = 64

    def __post_init__(self) -> None:
        if self.synchronous.upper() not in ("FULL", "NORMAL"):
            raise ConfigError(f"synchronous must be FULL or NORMAL, not {self.synchronous!r}")
        object.__setattr__(self, "synchronous", self.synchronous.upper())
        if self.access_log not in ("all", "errors", "off"):
            raise ConfigError(f"access_log must be all, errors or off, not {self.access_log!r}")
        if self.public_url.endswith("/"):
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        self.host_port()  # validates addr
        if self.read_timeout_s <= self.ws_ping_interval_s:
            raise ConfigError("read_timeout must be longer than ws_ping_interval (pongs are the "
                              "only traffic on an idle websocket)")
        if min(self.upload_max_bytes, self.upload_quota_bytes, self.upload_quota_files) < 1:
            raise ConfigError("upload_max_bytes, upload_quota_bytes and upload_quota_files "
                              "must be positive")
        for name in LIMITS.values():  # rate limits: "N/period" or off
            parse_rate(getattr(self, name), name)
        if self.smtp_url:
            parse_smtp_url(self.smtp_url)
            check_mail_from(self.mail_from)

    # Derived values ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return Path(self.data)

    @property
    def db_path(self) -> Path:
        db = self.db
        if not db:
            return self.data_dir / "clickclack.db"
        if db.startswith("sqlite://"):
            db = db[len("sqlite://"):]
        elif "://" in db:
            raise ConfigError(f"unsupported database URL {self.db!r} (only sqlite:// for now)")
        return Path(db)

    def host_port(self) -> tuple[str, int]:
        host, sep, port = self.addr.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise ConfigError(f"addr must be host:port, not {self.addr!r}")
        host = host.strip("[]") or ALL_INTERFACES
        return host, int(port)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    if setting.type is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{source}: {setting.name} must be true or false, not {value!r}")
    try:
        return setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {setting.name} must be {setting.type.__name__}") from exc


def load_config(
    *,
    env: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Config:
    """Build the Config from defaults < env < JSON file < explicitly set flags."""
    values: dict[str, Any] = {}
    environ = os.environ if env is None else env
    for s in SETTINGS:
        if s.env and s.env in environ:
            values[s.name] = _coerce(s, environ[s.env], s.env)
    if config_file:
        try:
            raw = json.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {config_file} must hold a JSON object")
        for key, value in raw.items():
            if key not in _BY_NAME:
                raise ConfigError(f"config file {config_file}: unknown setting {key!r}")
            values[key] = _coerce(_BY_NAME[key], value, str(config_file))
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = _coerce(_BY_NAME[key], value, _BY_NAME[key].flag or key)
    return Config(**values)
