"""Every ``clickclack`` command line in a ```sh block of skill/ and README.md runs, in order,
against a fresh real server, so the docs cannot drift from the CLI.

Placeholder convention (documented in skill/reference/setup.md): ``$SERVER``, ``$DATA`` (and
the README's ``./data``), ``$MAGIC_TOKEN`` (a fresh ``mgt_`` token each time it appears),
``$BOT_TOKEN``, ``$OWNER_ID``, ``$MESSAGE_ID`` and ``$OUT``.  ``clickclack serve`` lines are not
run (the server is already running); lines that tail events are run in the background while a
message is posted.  Lines are single commands: no pipes or other shell syntax."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli_support import Cli, Server, sign_in

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "skill").rglob("*.md")),
        "README.md"]
_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def example_lines(path: Path) -> list[str]:
    lines = []
    for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
        for raw in block.splitlines():
            line = raw.strip()
            for prefix in (".venv/bin/clickclack ", "clickclack "):
                if line.startswith(prefix):
                    args = line[len(prefix):]
                    if not args.startswith("serve"):
                        lines.append(args)
    return lines


def test_the_skill_has_frontmatter_and_examples():
    text = (ROOT / "skill" / "SKILL.md").read_text(encoding="utf-8")
    head = text.split("---")[1]
    assert re.search(r"^name: clickclack$", head, re.M)
    assert re.search(r"^description: .{40,1024}$", head, re.M)
    assert example_lines(ROOT / "skill" / "SKILL.md")
    for link in re.findall(r"\]\((reference/[\w-]+\.md)\)", text):
        assert (ROOT / "skill" / link).is_file(), link


@pytest.mark.parametrize("doc", DOCS)
def test_every_example_runs(doc, tmp_path):
    lines = example_lines(ROOT / doc)
    if not lines:
        pytest.skip("no command examples")
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        cli = Cli(tmp_path / "docs", server.url)
        helper = Cli(tmp_path / "helper", server.url)
        owner = cli.ok("admin", "bootstrap", "--data", str(data)).strip()
        sign_in(cli, data, "agent@example.com", "Agent")
        sign_in(helper, data, "helper@example.com", "Helper")
        message = helper.ok("send", "a message for the examples", "--plain").strip()
        bot = cli.ok("admin", "bot", "create", "--data", str(data), "--workspace", "clickclack",
                     "--created-by", owner, "--name", "Docs Bot", "--plain").strip()
        out = tmp_path / "out"
        out.mkdir()
        (out / "report.md").write_text("# Report\n\nAll good.\n")

        for line in lines:
            values = {"$SERVER": server.url, "$DATA": str(data), "./data": str(data),
                      "$BOT_TOKEN": bot, "$OWNER_ID": owner, "$MESSAGE_ID": message,
                      "$OUT": str(out)}
            if "$MAGIC_TOKEN" in line:
                values["$MAGIC_TOKEN"] = cli.ok("admin", "magic-link", "create", "--data",
                                                str(data), "--email",
                                                "agent@example.com").strip()
            text = line
            for key, value in values.items():
                text = text.replace(key, value)
            args = shlex.split(text)
            if "tail" in args[:2]:
                proc, _ = cli.following(*args)
                helper.ok("send", "an event for the tail")
                stdout, stderr = proc.communicate(timeout=60)
                assert proc.returncode == 0, (line, stderr)
                assert stdout.strip(), line
                continue
            r = cli.run(*args)
            assert r.returncode == 0, (doc, line, r.returncode, r.stdout, r.stderr)
    finally:
        server.stop()
