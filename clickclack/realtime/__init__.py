"""Realtime delivery: the hub (fan-out) and the websocket session (replay + live)."""

from clickclack.realtime.hub import Hub, HubStatistics, Subscription
from clickclack.realtime.session import Closing, run_session

__all__ = ["Closing", "Hub", "HubStatistics", "Subscription", "run_session"]
