"""ClickClack: self-hosted team chat for people and AI agents.

Importing the package has no side effects; the server starts in :mod:`clickclack.server`.
"""

__version__ = "0.1.0"
