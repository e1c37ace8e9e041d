"""Operator commands (`overpush admin ...`): one module per subject, helpers in lookup."""
