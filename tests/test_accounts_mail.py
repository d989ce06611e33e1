"""Mailed magic links (contract Part A D7, reliability D8): a real SMTP conversation with a local
sink, the same answer for known and unknown addresses, atomic single use, expiry, and a mail
queue that never holds up a request.

Also home of the helpers the other accounts test modules share: the SMTP sink, an operator
sign-in that does not need dev bootstrap, and a fixture that captures the server's Services.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socketserver
import statistics
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
import trio

import clickclack.server as server_module
from clickclack import mail as mail_module
from clickclack.store import accounts as store_accounts
from clickclack.store.connection import open_read
from tests.conftest import Person, start_server
from tests.helpers import _DB, run_tx

LINK_RE = re.compile(r"(\S+)/login\?magic_token=(mgt_[0-9a-z]+)")


# --- a tiny SMTP server (socketserver; no smtpd) -------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self._reply("220 sink.test ESMTP ready")
        sender, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            cmd = raw.decode("ascii", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink.test")
                self._reply("250 8BITMIME")
            elif verb == "HELO":
                self._reply("250 sink.test")
            elif verb == "MAIL":
                sender, rcpts = cmd.split(":", 1)[1].strip(), []
                self._reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 go ahead")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line == b".\r\n":
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                sink.data_started()
                sink.release.wait(30)  # tests may hold the sender here
                sink.store(sender, rcpts, b"".join(lines))
                self._reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


@dataclass
class Received:
    sender: str
    rcpts: list[str]
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        return str(self.message.get_content())

    @property
    def link(self) -> tuple[str, str]:
        m = LINK_RE.search(self.text)
        assert m is not None, self.text
        return m.group(1), m.group(2)


class SmtpSink:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.started = 0
        self.release = threading.Event()
        self.release.set()
        self._cond = threading.Condition()
        self._server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
        self._server.sink = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._server.server_address[1]}"

    def data_started(self) -> None:
        with self._cond:
            self.started += 1
            self._cond.notify_all()

    def store(self, sender: str, rcpts: list[str], data: bytes) -> None:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        with self._cond:
            self.received.append(Received(sender, rcpts, msg))  # type: ignore[arg-type]
            self._cond.notify_all()

    def _wait(self, what: str, n: int) -> None:
        with self._cond:
            self._cond.wait_for(lambda: getattr(self, what) >= n, timeout=15)

    @property
    def count(self) -> int:
        return len(self.received)

    async def wait_for(self, n: int) -> list[Received]:
        """Until ``n`` mails have arrived (or fail)."""
        with trio.fail_after(15):
            await trio.to_thread.run_sync(partial(self._wait, "count", n), abandon_on_cancel=True)
        assert self.count >= n, f"only {self.count} of {n} mails arrived"
        return list(self.received)

    async def wait_started(self, n: int) -> None:
        with trio.fail_after(15):
            await trio.to_thread.run_sync(partial(self._wait, "started", n),
                                          abandon_on_cancel=True)
        assert self.started >= n

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


# --- shared helpers ----------------------------------------------------------------------------

def capture_services(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Collect the Services of every server started from now on (tests read statistics)."""
    box: list[Any] = []
    real = server_module.open_services

    @asynccontextmanager
    async def capture(config: Any) -> AsyncIterator[Any]:
        async with real(config) as services:
            box.append(services)
            yield services

    monkeypatch.setattr(server_module, "open_services", capture)
    return box


@pytest.fixture
def captured_services(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    return capture_services(monkeypatch)


def mint_magic_token(http: httpx.AsyncClient, email_addr: str, name: str = "",
                     ttl_s: float | None = None) -> str:
    """What ``clickclack admin magic-link create`` does: write a link as an operator."""
    db = _DB[str(http.base_url)]
    if ttl_s is None:
        return str(run_tx(db, store_accounts.create_magic_link, email_addr, name)[1])
    old = store_accounts.MAGIC_LINK_TTL_S
    store_accounts.MAGIC_LINK_TTL_S = ttl_s
    try:
        return str(run_tx(db, store_accounts.create_magic_link, email_addr, name)[1])
    finally:
        store_accounts.MAGIC_LINK_TTL_S = old


async def operator_sign_in(http: httpx.AsyncClient, email_addr: str, name: str = "",
                           headers: dict[str, str] | None = None) -> Person:
    """A session without dev bootstrap: an operator-minted link, consumed over HTTP."""
    token = mint_magic_token(http, email_addr, name)
    r = await http.post("/api/auth/magic/consume", json={"token": token}, headers=headers)
    assert r.status_code == 200, r.text
    http.cookies.clear()
    return Person(r.json()["user"]["id"], r.json()["token"])


def db_count(http: httpx.AsyncClient, sql: str, *args: object) -> int:
    conn = open_read(__import__("pathlib").Path(_DB[str(http.base_url)]))
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def without_correlation(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "correlation_id"}


# --- the tests ---------------------------------------------------------------------------------

@pytest.fixture
def config(config, smtp_sink):
    return config.replace(dev_bootstrap=False, smtp_url=smtp_sink.url,
                          mail_from="ClickClack <chat@example.com>",
                          rate_magic_request_ip="off", rate_magic_request_email="off")


@pytest.fixture(autouse=True)
def _no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    leaked = [r.getMessage() for r in caplog.records if "mgt_" in r.getMessage()
              or "sst_" in r.getMessage()]
    assert not leaked, leaked


async def test_a_requested_link_is_mailed_and_signs_in_once(server, http, smtp_sink):
    r = await http.post("/api/auth/magic/request",
                        json={"email": " Ada@Example.com ", "display_name": "Ada"})
    assert r.status_code == 202, r.text
    assert r.json() == {"ok": True,
                        "detail": "If that address can sign in, a link is on its way."}
    assert "mgt_" not in r.text
    (mail,) = await smtp_sink.wait_for(1)
    assert mail.rcpts == ["ada@example.com"]
    assert mail.message["To"] == "ada@example.com"
    assert mail.message["From"] == "ClickClack <chat@example.com>"
    assert "sign-in" in mail.message["Subject"]
    base, token = mail.link
    assert base == server.url  # no public_url: the request's own origin
    assert token in mail.text.split(f"magic_token={token}", 1)[1]  # the raw code, too

    ok = await http.post("/api/auth/magic/consume", json={"token": token})
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"]["display_name"] == "Ada"  # created on first use
    http.cookies.clear()
    again = await http.post("/api/auth/magic/consume", json={"token": token})
    assert again.status_code == 400 and again.json()["code"] == "magic_link_invalid"


async def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_work(
        server, http, smtp_sink):
    await operator_sign_in(http, "known@example.com", "Known")
    links_before = db_count(http, "SELECT COUNT(*) FROM auth_magic_links")
    known = await http.post("/api/auth/magic/request", json={"email": "known@example.com"})
    unknown = await http.post("/api/auth/magic/request", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert known.headers["content-type"] == unknown.headers["content-type"]
    # Both created a link and queued a mail: the same work on both paths.
    assert db_count(http, "SELECT COUNT(*) FROM auth_magic_links") == links_before + 2
    mails = await smtp_sink.wait_for(2)
    assert sorted(m.rcpts[0] for m in mails) == ["known@example.com", "nobody@example.com"]
    # And the same latency (D8): medians within 10 ms over alternating samples.
    samples: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(50):
        for kind, addr in (("known", "known@example.com"), ("unknown", f"n{i}@example.com")):
            t0 = time.perf_counter()
            r = await http.post("/api/auth/magic/request", json={"email": addr})
            samples[kind].append(time.perf_counter() - t0)
            assert r.status_code == 202
    diff = abs(statistics.median(samples["known"]) - statistics.median(samples["unknown"]))
    assert diff < 0.010, samples


async def test_twenty_concurrent_consumes_of_one_link_make_exactly_one_session(server, http):
    token = mint_magic_token(http, "race@example.com")
    sessions_before = db_count(http, "SELECT COUNT(*) FROM sessions")
    statuses: list[int] = []

    async def consume() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
            r = await client.post("/api/auth/magic/consume", json={"token": token})
            statuses.append(r.status_code)

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(consume)
    assert sorted(statuses) == [200] + [400] * 19
    assert db_count(http, "SELECT COUNT(*) FROM sessions") == sessions_before + 1
    assert db_count(http, "SELECT COUNT(*) FROM users u JOIN identities i ON i.user_id = u.id"
                          " WHERE i.email = 'race@example.com'") == 1


async def test_an_expired_link_is_refused(server, http, smtp_sink, monkeypatch):
    monkeypatch.setattr(store_accounts, "MAGIC_LINK_TTL_S", -1)
    r = await http.post("/api/auth/magic/request", json={"email": "late@example.com"})
    assert r.status_code == 202
    (mail,) = await smtp_sink.wait_for(1)
    r = await http.post("/api/auth/magic/consume", json={"token": mail.link[1]})
    assert r.status_code == 400 and r.json()["code"] == "magic_link_invalid"
    # An operator-minted one that has run out, too.
    r = await http.post("/api/auth/magic/consume",
                        json={"token": mint_magic_token(http, "late@example.com", ttl_s=-5)})
    assert r.status_code == 400


async def test_bad_addresses_are_refused_and_dev_only_behaviour_is_gone(http):
    for bad in ("not-an-address", "a@example.com,victim@example.org",
                "Ada <ada@example.com>", "a@example.com;b@example.org", '"a"@example.com'):
        r = await http.post("/api/auth/magic/request", json={"email": bad})
        assert r.status_code == 400 and r.json()["code"] == "email_invalid", bad
    r = await http.post("/api/auth/magic/request", json={"email": ""})
    assert r.status_code == 400 and r.json()["code"] == "email_required"
    assert db_count(http, "SELECT COUNT(*) FROM auth_magic_links") == 0
    # Without dev bootstrap there is no dev fallback user, and the sign-in page is told so.
    assert (await http.get("/api/me")).status_code == 401
    r = await http.get("/api/auth/methods")
    assert r.json() == {"dev_sign_in": False, "magic_link_mail": True, "password": False}


async def test_the_link_uses_the_public_url_when_set(config, smtp_sink):
    cfg = config.replace(public_url="https://chat.example.com")
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, cfg)
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            r = await client.post("/api/auth/magic/request", json={"email": "pub@example.com"})
            assert r.status_code == 202
            (mail,) = await smtp_sink.wait_for(1)
            assert mail.link[0] == "https://chat.example.com"
        running.stop.set()


async def test_without_smtp_or_dev_bootstrap_the_request_is_501(config):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, config.replace(smtp_url="", mail_from=""))
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            r = await client.post("/api/auth/magic/request", json={"email": "x@example.com"})
            assert r.status_code == 501
            assert r.json()["code"] == "magic_link_delivery_unconfigured"
        running.stop.set()


async def test_a_full_mail_queue_still_answers_202_and_logs_the_drop(
        config, smtp_sink, captured_services, monkeypatch, caplog):
    monkeypatch.setattr(mail_module, "MAIL_QUEUE_SIZE", 1)
    smtp_sink.release.clear()  # the sink holds the first mail in DATA
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, config)
        services = captured_services[-1]
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            bodies = []
            r = await client.post("/api/auth/magic/request", json={"email": "q1@example.com"})
            bodies.append((r.status_code, r.content))
            await smtp_sink.wait_started(1)  # mail 1 has left the queue; the sender is stuck
            for addr in ("q2@example.com", "q3@example.com"):  # q2 fills the queue, q3 drops
                with trio.fail_after(2):  # never waits for the mail
                    r = await client.post("/api/auth/magic/request", json={"email": addr})
                bodies.append((r.status_code, r.content))
            assert len(set(bodies)) == 1 and bodies[0][0] == 202
            assert services.mailer.statistics().dropped == 1
            assert any("dropped" in rec.getMessage() and "queue is full" in rec.getMessage()
                       for rec in caplog.records)
            smtp_sink.release.set()
            mails = await smtp_sink.wait_for(2)
            assert sorted(m.rcpts[0] for m in mails) == ["q1@example.com", "q2@example.com"]
        running.stop.set()


async def test_shutdown_sends_what_is_queued(config, smtp_sink):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, config)
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            for i in range(3):
                r = await client.post("/api/auth/magic/request",
                                      json={"email": f"s{i}@example.com"})
                assert r.status_code == 202
        running.stop.set()
    assert smtp_sink.count == 3  # delivered before the server returned


async def test_shutdown_with_a_stuck_mail_server_is_bounded(config, smtp_sink, caplog):
    smtp_sink.release.clear()
    with trio.fail_after(15):
        async with trio.open_nursery() as nursery:
            running = await start_server(nursery, config.replace(graceful_timeout_s=1.0))
            async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
                for i in range(2):
                    r = await client.post("/api/auth/magic/request",
                                          json={"email": f"t{i}@example.com"})
                    assert r.status_code == 202
            await smtp_sink.wait_started(1)
            running.stop.set()
    assert any("not sent" in rec.getMessage() for rec in caplog.records)
    smtp_sink.release.set()


def test_smtp_urls_are_parsed_and_checked():
    from clickclack.config import Config
    from clickclack.errors import ConfigError

    s = mail_module.parse_smtp_url("smtp://us%40er:p%3Ass@mail.example.com:587?starttls=true")
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password) == (
        "mail.example.com", 587, False, True, "us@er", "p:ss")
    s = mail_module.parse_smtp_url("smtps://mail.example.com")
    assert (s.port, s.implicit_tls, s.starttls) == (465, True, None)
    assert mail_module.parse_smtp_url("smtp://localhost").port == 25
    for bad in ("http://mail.example.com", "smtp://", "smtp://h:99999",
                "smtp://h?tls=1", "smtps://h?starttls=true"):
        with pytest.raises(ConfigError):
            mail_module.parse_smtp_url(bad)
    with pytest.raises(ConfigError, match="mail_from"):
        Config(smtp_url="smtp://localhost")
    with pytest.raises(ConfigError, match="mail_from"):
        Config(smtp_url="smtp://localhost", mail_from="nobody")
    Config(smtp_url="smtp://localhost", mail_from="ClickClack <chat@example.com>")


def test_required_starttls_and_credentials_are_never_skipped_silently():
    import smtplib
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "chat@example.com", "ada@example.com", "hi"
    msg.set_content("hello")
    with SmtpSink() as sink:
        mail_module._deliver(mail_module.parse_smtp_url(sink.url), msg, 5)  # plain: fine
        assert sink.count == 1 and sink.received[0].rcpts == ["ada@example.com"]
        # The sink offers neither STARTTLS nor AUTH: refuse rather than send in the clear.
        with pytest.raises(smtplib.SMTPNotSupportedError):
            mail_module._deliver(mail_module.parse_smtp_url(sink.url + "?starttls=true"), msg, 5)
        user_url = sink.url.replace("smtp://", "smtp://user:secret@")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            mail_module._deliver(mail_module.parse_smtp_url(user_url), msg, 5)
        assert sink.count == 1
