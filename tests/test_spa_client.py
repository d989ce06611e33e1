"""The web app's typed API client is generated from the server's OpenAPI description
(spa/src/lib/api/schema.d.ts, committed).  When a route or a wire type changes, this test fails
until the client is regenerated with ./scripts/gen-api-client."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clickclack import spa

ROOT = Path(__file__).resolve().parents[1]
SPA = ROOT / "spa"
SCHEMA = SPA / "src" / "lib" / "api" / "schema.d.ts"


def test_generated_api_client_matches_the_server(tmp_path: Path) -> None:
    if not (SPA / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.fail("spa/node_modules is missing: run ./scripts/build-spa (./scripts/test does)")
    node = shutil.which("node")
    assert node, "node is not installed (the web app needs Node.js 20.19+)"
    source = tmp_path / "openapi.json"
    source.write_bytes(spa.openapi_document())
    fresh = tmp_path / "schema.d.ts"
    subprocess.run([node, str(SPA / "scripts" / "gen-api.mjs"), str(source), "--out", str(fresh)],
                   check=True, timeout=120, capture_output=True, cwd=SPA)
    committed = SCHEMA.read_text()
    generated = fresh.read_text()
    if generated != committed:
        diff = "".join(list(difflib.unified_diff(
            committed.splitlines(keepends=True), generated.splitlines(keepends=True),
            "committed schema.d.ts", "generated from the server", n=1))[:60])
        pytest.fail("spa/src/lib/api/schema.d.ts is out of date with the server's routes: run "
                    "./scripts/gen-api-client and commit the result.\n" + diff)


def _sources() -> list[Path]:
    return [p for p in (SPA / "src").rglob("*") if p.suffix in (".ts", ".svelte")
            and not p.name.endswith(".test.ts") and p.name != "schema.d.ts"]


def test_only_the_api_and_realtime_modules_touch_the_network() -> None:
    """house-style §4 rule 10: components never call fetch or open a WebSocket themselves."""
    offenders = []
    for path in _sources():
        rel = path.relative_to(SPA / "src").as_posix()
        text = path.read_text()
        if re.search(r"\bfetch\s*\(|XMLHttpRequest|EventSource", text) and not rel.startswith(
                "lib/api/"):
            offenders.append(f"{rel}: fetch")
        if re.search(r"new\s+WebSocket\b", text) and not rel.startswith("lib/realtime/"):
            offenders.append(f"{rel}: WebSocket")
    assert not offenders, offenders


def test_only_message_body_html_is_inserted_as_html() -> None:
    """{@html} appears once, on the (sanitized) body_html; no innerHTML anywhere."""
    uses = {}
    for path in _sources():
        text = path.read_text()
        rel = path.relative_to(SPA / "src").as_posix()
        if "{@html" in text:
            uses[rel] = re.findall(r"\{@html\s+([^}]*)\}", text)
        assert "innerHTML" not in text and "outerHTML" not in text, rel
        assert "insertAdjacentHTML" not in text, rel
    assert uses == {"components/messages/MessageBody.svelte": ["html"]}
    body = (SPA / "src/components/messages/MessageBody.svelte").read_text()
    assert "sanitizeBodyHtml(message.body_html)" in body
