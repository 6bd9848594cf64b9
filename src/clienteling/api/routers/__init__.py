"""One router module per domain app."""
