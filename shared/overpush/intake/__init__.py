"""The one intake every message comes through, from the HTTP API or the e-mail gateway."""
