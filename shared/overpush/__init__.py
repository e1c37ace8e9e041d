"""Overpush shared package: settings, events, bus, database and the runtime every service uses."""
