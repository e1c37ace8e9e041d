"""The quota service: application usage over time (admission itself is in overpush.quota)."""
