"""Prometheus metrics, one registry per runtime (no module globals, so tests stay apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter(
            "overpush_messages_accepted", "Messages committed by the API", ["source"], registry=r
        )
        self.rejected = Counter(
            "overpush_requests_rejected", "API requests answered with an error", ["code"],
            registry=r,
        )
        self.delivered = Counter(
            "overpush_deliveries", "Deliveries handed to a provider, by outcome",
            ["provider", "outcome"], registry=r,
        )
        self.published = Counter(
            "overpush_outbox_published", "Outbox events confirmed by the bus", registry=r
        )
        self.publish_failures = Counter(
            "overpush_outbox_publish_failures", "Outbox publishes that failed and will be retried",
            registry=r,
        )
        self.websockets = Gauge(
            "overpush_websockets_open", "Open device WebSocket connections", registry=r
        )
        # Device frames (DevicesNudged) by route: "addressed" to the one api instance holding
        # the devices, "broadcast" to every instance (presence unknown or stale).
        self.nudges_published = Counter(
            "overpush_nudge_events_published",
            "Device frame events published, by route (addressed or broadcast)", ["route"],
            registry=r,
        )
        self.nudges_unheld = Counter(
            "overpush_nudge_devices_unheld",
            "Devices a nudge was for that no api instance holds: nothing was published",
            registry=r,
        )
        self.nudges_received = Counter(
            "overpush_nudge_events_received",
            "Device frame events this api instance received, by route (addressed or broadcast)",
            ["route"], registry=r,
        )
        self.intake_batch = Histogram(
            "overpush_intake_batch_requests",
            "Requests decided together in one intake transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64), registry=r,
        )
        self.latency = Histogram(
            "overpush_accept_to_queue_seconds",
            "Seconds from the API's commit to the device's queue rows",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.realert_lateness = Histogram(
            "overpush_realert_lateness_seconds", "Seconds a re-alert left after its slot",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30), registry=r,
        )
