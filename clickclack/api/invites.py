"""invites routes (see the module docstring of the matching store facade)."""
