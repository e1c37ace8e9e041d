"""The api service: Pushover HTTP API, Open Client API, device WebSockets, /healthz, /metrics."""
