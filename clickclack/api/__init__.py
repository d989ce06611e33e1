"""HTTP handlers: one module per area, registered by clickclack.app."""
