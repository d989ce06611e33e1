"""docs/events.md lists exactly the event types the code knows."""

import re
from pathlib import Path

from clickclack.events import DURABLE_EVENT_TYPES, EPHEMERAL_EVENT_TYPES

DOC = Path(__file__).resolve().parents[1] / "docs" / "events.md"


def documented(section: str) -> set[str]:
    text = DOC.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end != -1 else None]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", body, re.M))


def test_every_durable_event_type_is_documented_and_nothing_else():
    assert documented("Durable events") == set(DURABLE_EVENT_TYPES)


def test_every_ephemeral_event_type_is_documented_and_nothing_else():
    assert documented("Ephemeral events") == set(EPHEMERAL_EVENT_TYPES)
