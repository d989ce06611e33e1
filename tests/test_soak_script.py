"""The soak tool (scripts/soak.py) itself keeps working: a 15-second, 50-client run against a
real server delivers every acknowledged post to every subscriber, with no 5xx, and writes its
CSV samples and its PNG plot.  The 10-minute, 1,000-client soak and the ramp are by hand
(./scripts/soak, figures in docs/benchmarks.md); this only guards the tool."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import trio

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


async def test_a_short_soak_delivers_everything_and_plots_it(tmp_path: Path, capsys):
    csv_path, png = tmp_path / "soak.csv", tmp_path / "soak.png"
    with trio.fail_after(120):
        result = await trio.run_process(
            [sys.executable, str(ROOT / "scripts" / "soak.py"), "--minutes", "0.25",
             "--clients", "50", "--rate", "10", "--csv", str(csv_path), "--plot", str(png)],
            capture_stdout=True, capture_stderr=True, check=False, cwd=ROOT)
    out = result.stdout.decode() + result.stderr.decode()
    posts = re.search(r"posts acknowledged: ([\d,]+) over", out)
    deliveries = re.search(r"deliveries: ([\d,]+) \(.*\), missing ([\d,]+) of ([\d,]+)", out)
    assert posts and deliveries, out
    acknowledged = int(posts.group(1).replace(",", ""))
    assert acknowledged >= 100, out  # 10 msg/s for 15 s, allowing a slow start
    assert deliveries.group(2) == "0", out
    assert int(deliveries.group(1).replace(",", "")) == acknowledged * 50, out
    assert "5xx 0, timeouts 0" in out, out
    # The server's exit code is checked by tests/test_process.py (SIGTERM under load); here
    # only the tool's own figures matter.
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("t_s,rate,rss_mb,fds,cpu_pct") and len(rows) >= 3, rows
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with capsys.disabled():
        print(f"\n[soak/smoke] {acknowledged} posts x 50 subscribers, 0 missing, 0 5xx, "
              f"{len(rows) - 1} samples plotted")
