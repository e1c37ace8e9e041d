"""Settings for every service, read from OVERPUSH_* environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_DEFAULT = "sqlite+aiosqlite:///./var/overpush.db"


class Settings(BaseSettings):
    """One settings object for all services; each reads only what it needs."""

    model_config = SettingsConfigDict(env_prefix="OVERPUSH_", extra="ignore")

    database_url: str = SQLITE_DEFAULT
    bus_url: str = "memory://"
    # Prefix of every exchange and queue name, so that several installations (or test runs)
    # can share one broker without seeing each other's messages.
    bus_prefix: str = "overpush"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False

    # Monthly messages an application may send when nothing else is configured for it.
    app_monthly_limit: int = 7500
    # Seconds between '#' keep-alive frames on idle device WebSockets.
    websocket_keepalive: float = 30.0
    # How often the outbox sweeper looks for events whose publish was never confirmed.
    outbox_sweep_interval: float = 1.0
    # Password hashing is slow on purpose; this caps how many run at once.
    password_hash_concurrency: int = 2
    # Largest request body the API reads, in bytes (5 MiB attachment + base64 overhead).
    max_request_bytes: int = 8 * 1024 * 1024

    # E-mail gateway: every user gets <random>@mail_domain; mail to it becomes a notification.
    mail_domain: str = "pomail.net"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525  # 25 in Kubernetes (deploy/k8s)
    # STARTTLS is offered when both are set (PEM files, e.g. mounted from a Secret).
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    # Largest e-mail accepted (SMTP SIZE); larger ones get 552. Room for a 5 MiB image in base64.
    mail_max_bytes: int = 8 * 1024 * 1024
    # Per address: a burst of mail_rate_burst, refilled at mail_rate_per_minute; beyond it 451.
    mail_rate_per_minute: float = 60.0
    mail_rate_burst: int = 30
    smtp_timeout: float = 60.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_memory_bus(self) -> bool:
        return self.bus_url.startswith("memory:")
