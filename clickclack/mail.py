"""Outgoing mail (sign-in links, contract Part A D7), sent off the request path.

``POST /api/auth/magic/request`` only *enqueues* a mail: :meth:`Mailer.enqueue` puts it on a
bounded trio memory channel and never waits (a full queue drops the mail and logs it; the request
still answers 202).  One sender task (:meth:`Mailer.run`, started in the services nursery) takes
mails off the channel one at a time and sends each with the standard library's ``smtplib`` in a
worker thread, under a time limit.  On shutdown the channel is closed, what is queued is sent
within the graceful timeout, and the rest is dropped with a log line.

``--smtp-url``: ``smtp://[user:pass@]host[:port]`` (port 25 by default; STARTTLS when the server
offers it, ``?starttls=true`` to require it, ``?starttls=false`` never) or
``smtps://[user:pass@]host[:port]`` (implicit TLS, port 465 by default).  Certificates are
verified.  Raw tokens are never logged: log lines name the magic-link row id (``mln_``).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import trio

from clickclack.errors import ConfigError

LOGGER = logging.getLogger("clickclack.mail")

MAIL_QUEUE_SIZE = 256  # mails waiting for the sender; beyond that, new ones are dropped
SMTP_TIMEOUT_S = 20.0  # per mail: connect, (STARTTLS,) login and send


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool | None  # None: when offered
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"smtp_url must start with smtp:// or smtps://, not {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError("smtp_url has an invalid port") from exc
    if not parts.hostname:
        raise ConfigError("smtp_url needs a host, e.g. smtp://mail.example.com:587")
    implicit = parts.scheme == "smtps"
    starttls: bool | None = None
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        if key != "starttls":
            raise ConfigError(f"smtp_url: unknown parameter {key!r} (only starttls)")
        value = values[-1].lower()
        if value not in ("true", "false", "auto"):
            raise ConfigError("smtp_url: starttls must be true, false or auto")
        starttls = None if value == "auto" else value == "true"
    if implicit and starttls:
        raise ConfigError("smtp_url: smtps:// is already TLS; starttls does not apply")
    return SmtpSettings(
        host=parts.hostname, port=port or (465 if implicit else 25), implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


# A plain addr-spec and nothing else: no display names, lists, comments or quoting, so a
# requested address can never name a second recipient or inject a header.
_RECIPIENT_RE = re.compile(r"^[^@\s,;:<>()\[\]\\\"]{1,64}@[^@\s,;:<>()\[\]\\\"]{1,255}$")


def valid_recipient(addr: str) -> bool:
    return bool(_RECIPIENT_RE.match(addr)) and parseaddr(addr)[1] == addr


def check_mail_from(value: str) -> None:
    _, addr = parseaddr(value)
    if "@" not in addr:
        raise ConfigError("mail_from must be an address, e.g. 'ClickClack <chat@example.com>'")


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    ref: str  # what log lines may name (e.g. the mln_ row id); never a secret


def magic_link_mail(*, to: str, url: str, token: str, link_id: str, ttl_minutes: int
                    ) -> OutgoingMail:
    text = (
        "Hello,\n\n"
        "Open this link to sign in to ClickClack:\n\n"
        f"{url}\n\n"
        f"It works once and expires in {ttl_minutes} minutes. If the link does not open, paste\n"
        f"this sign-in code instead:\n\n{token}\n\n"
        "If you did not ask to sign in, ignore this mail: nothing happens without the link.\n"
    )
    return OutgoingMail(to=to, subject="Your ClickClack sign-in link", text=text, ref=link_id)


@dataclass(frozen=True, slots=True)
class MailerStatistics:
    queued: int
    sent: int
    failed: int
    dropped: int


def _deliver(settings: SmtpSettings, message: EmailMessage, timeout_s: float) -> None:
    """Blocking: runs in a worker thread."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.implicit_tls:
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout_s,
                                  context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
    with client:
        client.ehlo()
        if not settings.implicit_tls and settings.starttls is not False:
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif settings.starttls:
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
        if settings.username:
            client.login(settings.username, settings.password or "")
        # Recipients from the envelope we were given, never from parsing headers.
        client.send_message(message, to_addrs=[str(message["To"])])


class Mailer:
    """The queue and its sender task.  ``enabled`` is False without ``smtp_url``; then nothing
    is ever queued."""

    def __init__(self, settings: SmtpSettings | None, mail_from: str, *,
                 queue_size: int | None = None, timeout_s: float | None = None) -> None:
        self.settings = settings
        self.mail_from = mail_from
        self._timeout_s = SMTP_TIMEOUT_S if timeout_s is None else timeout_s
        size = MAIL_QUEUE_SIZE if queue_size is None else queue_size
        self._send, self._recv = trio.open_memory_channel[OutgoingMail](size)
        self._stopped = trio.Event()
        self._scope: trio.CancelScope | None = None
        self._sent = 0
        self._failed = 0
        self._dropped = 0

    @classmethod
    def from_config(cls, config: Any) -> Mailer:
        settings = parse_smtp_url(config.smtp_url) if config.smtp_url else None
        if settings is not None and not config.public_url:
            LOGGER.warning("smtp_url is set without public_url: sign-in links will use the "
                           "Host of each request; set public_url in any real deployment")
        return cls(settings, config.mail_from)

    @property
    def enabled(self) -> bool:
        return self.settings is not None

    def enqueue(self, mail: OutgoingMail) -> bool:
        """Queue ``mail`` without waiting.  False (and a log line) when it was dropped."""
        try:
            self._send.send_nowait(mail)
            return True
        except trio.WouldBlock:
            reason = "the mail queue is full"
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            reason = "the server is shutting down"
        self._dropped += 1
        LOGGER.warning("mail %s dropped: %s", mail.ref, reason)
        return False

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(usegmt=True)
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2] or "clickclack.invalid"
        msg["Message-ID"] = make_msgid("clickclack", domain=domain)
        msg["Auto-Submitted"] = "auto-generated"
        # 7bit keeps the link on one line (quoted-printable would fold it).
        msg.set_content(mail.text, cte="7bit")
        return msg

    async def _send_one(self, mail: OutgoingMail) -> None:
        assert self.settings is not None
        deliver = partial(_deliver, self.settings, self._message(mail), self._timeout_s)
        with trio.move_on_after(self._timeout_s) as scope:
            try:
                # Abandoned on timeout or shutdown: the thread ends by its own socket timeout.
                await trio.to_thread.run_sync(deliver, abandon_on_cancel=True)
            except (OSError, smtplib.SMTPException) as exc:
                self._failed += 1
                code = getattr(exc, "smtp_code", None)
                LOGGER.warning("mail %s not sent: %s%s", mail.ref, type(exc).__name__,
                               f" (SMTP {code})" if code else "")
                return
            self._sent += 1
            LOGGER.info("mail %s sent", mail.ref)
        if scope.cancelled_caught:
            self._failed += 1
            LOGGER.warning("mail %s not sent: timed out after %.0f s", mail.ref, self._timeout_s)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        """The sender task: one mail at a time until the queue is closed and drained."""
        try:
            with trio.CancelScope() as self._scope:
                task_status.started()
                async with self._recv:
                    async for mail in self._recv:
                        await self._send_one(mail)
        finally:
            self._stopped.set()

    async def aclose(self, drain_s: float) -> None:
        """Stop accepting mail, give what is queued ``drain_s`` seconds, drop the rest."""
        self._send.close()
        with trio.move_on_after(drain_s):
            await self._stopped.wait()
        if not self._stopped.is_set():
            left = self._recv.statistics().current_buffer_used
            self._dropped += left + 1  # and the one being sent
            LOGGER.warning("shutting down: %d queued mail(s) not sent", left + 1)
            if self._scope is not None:
                self._scope.cancel()
            await self._stopped.wait()

    def statistics(self) -> MailerStatistics:
        return MailerStatistics(queued=self._recv.statistics().current_buffer_used,
                                sent=self._sent, failed=self._failed, dropped=self._dropped)
