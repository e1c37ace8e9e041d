"""Every documented operation, by "METHOD /path" exactly as the router declares it. A new
/1/ route needs one entry here (tests/services/test_openapi.py fails until it has one)."""

from __future__ import annotations

from services.api.reference import client_ops, overpush_ops, pushover_ops
from services.api.reference.shapes import Op

OPERATIONS: dict[str, Op] = {**pushover_ops.OPS, **client_ops.OPS, **overpush_ops.OPS}
