"""Docs follow the code: every setting is in the README's configuration table."""

from pathlib import Path

from clickclack.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    for s in SETTINGS:
        row = next((r for r in rows if r.startswith(f"| `{s.flag}` ")), None)
        assert row is not None, f"{s.flag} missing from README"
        assert f"`{s.env}`" in row and f"`{s.name}`" in row, row
        default = s.default if not isinstance(s.default, bool) else str(s.default).lower()
        assert f"`{default if default != '' else '—'}`" in row, row


def test_readme_gives_the_two_setup_commands_first():
    readme = (ROOT / "README.md").read_text()
    setup = readme.index("./scripts/serve")
    assert setup < readme.index("## Configuration")
    assert "./scripts/test" in readme[: readme.index("## Configuration")]
