"""Settings for every service, read from OVERPUSH_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_DEFAULT = "sqlite+aiosqlite:///./var/overpush.db"


class Settings(BaseSettings):
    """One settings object for all services; each reads only what it needs."""

    model_config = SettingsConfigDict(env_prefix="OVERPUSH_", extra="ignore")

    database_url: str = SQLITE_DEFAULT
    # PostgreSQL connections each process keeps (pool) and may add under load (overflow).
    # Every replica holds up to their sum: keep replicas x (pool + overflow) under the
    # server's max_connections (100 by default), or put PgBouncer in front.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    bus_url: str = "memory://"
    # Prefix of every exchange and queue name, so that several installations (or test runs)
    # can share one broker without seeing each other's messages.
    bus_prefix: str = "overpush"
    # Reverse proxies (the Kubernetes Ingress, a load balancer) whose X-Forwarded-For is
    # believed, as comma-separated addresses or CIDR ranges, e.g. "10.0.0.0/8". Empty: the
    # socket's peer is the client. Rate limits and connection caps count this client address.
    trusted_proxies: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Processes without the api service serve /healthz, /livez and /metrics on this port.
    ops_port: int = 8081
    log_level: str = "INFO"
    log_json: bool = False
    # The event loop of `overpush run`: uvloop when installed ("auto"), or "uvloop" /
    # "asyncio" explicitly (overpush.eventloop).
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"

    # Monthly messages an application may send when nothing else is configured for it.
    app_monthly_limit: int = 7500
    # Seconds between '#' keep-alive frames on idle device WebSockets.
    websocket_keepalive: float = 30.0
    # With RabbitMQ, each api instance records which devices' WebSockets it holds, so a nudge
    # goes to that instance alone. The record is trusted for this many seconds after the
    # instance's last heartbeat (it beats every third of it); an instance that stops (a
    # crash, a kill) is then known stale, and the nudges for its devices go to every instance.
    presence_ttl: float = 30.0
    # How often the outbox sweeper looks for events whose publish was never confirmed.
    outbox_sweep_interval: float = 1.0
    # Password hashing is slow on purpose; this caps how many run at once.
    password_hash_concurrency: int = 2
    # Largest request body the API reads, in bytes (5 MiB attachment + base64 overhead).
    max_request_bytes: int = 8 * 1024 * 1024

    # Where people reach this installation; used in links we e-mail. Empty: http://host:port.
    # An https URL also makes the browser cookies Secure with the __Host- prefix.
    public_url: str = ""
    # Strict-Transport-Security max-age in seconds on every answer; 0 sends none. Set it
    # (e.g. 31536000) only when every visitor reaches this installation over TLS.
    hsts_max_age: int = 0
    # Outbound mail (sign-up, resets, device-disabled notices): an SMTP relay such as
    # smtp://user:pass@host:25, smtp+starttls://host:587 or smtps://host:465; when empty,
    # mail is written to mail_dir as .eml files and logged with its links.
    smtp_relay_url: str = ""
    mail_dir: str = "./var/mail"
    mail_from: str = "Overpush <noreply@localhost>"
    # Browser sessions last this many days; log-ins are limited per address and per client.
    web_session_days: int = 14
    login_failures_per_email: int = 10
    login_failures_per_client: int = 50
    login_window_seconds: int = 900
    # Security of accounts (SECURITY.md). A browser session unused this long ends (the
    # 14-day limit above still holds). Wrong second-factor codes allowed per window (the
    # window above), per account and per browser session (or client address, on the API).
    # Sign-ups per client address, and reset mails per address and per client, per window.
    web_session_idle_minutes: int = 720
    twofa_failures_per_account: int = 10
    twofa_failures_per_session: int = 5
    signups_per_client: int = 10
    reset_mails_per_email: int = 3
    reset_mails_per_client: int = 20
    # Emergency receipts: how often the receipts service looks for due re-alerts and callbacks.
    receipts_tick_interval: float = 0.25
    # Callback URLs on loopback, private or link-local addresses are refused unless this is set
    # (for a receiver on the same host or network, e.g. in tests).
    callback_allow_private: bool = False
    callback_timeout: float = 5.0
    # Apple Push Notification service, token-based (.p8 key). APNs is on when key, key id,
    # team id and topic are all set. The key is the PEM text, or a file that holds it.
    apns_key: str = ""
    apns_key_file: str = ""
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_topic: str = ""  # the app's bundle id
    apns_sandbox: bool = False
    # Only for tests and private relays: another APNs host/port, and a CA bundle to trust.
    apns_host: str = ""
    apns_port: int = 443
    apns_ca_file: str = ""
    # Firebase Cloud Messaging HTTP v1: the service-account JSON (text or file); the project
    # id and the OAuth token URI come from it.
    fcm_credentials: str = ""
    fcm_credentials_file: str = ""
    fcm_endpoint: str = "https://fcm.googleapis.com"
    # Seconds one push may take (connect + answer) before it counts as RETRY.
    push_timeout: float = 10.0
    # Phone pushes answered RETRY are tried again at most this often in all, backing off
    # from push_retry_base seconds (doubling, capped at push_retry_max).
    push_max_attempts: int = 5
    push_retry_base: float = 10.0
    push_retry_max: float = 900.0
    push_retry_interval: float = 2.0  # how often the dispatcher looks for due retries
    # Web Push (browsers, /client): the VAPID key pair that signs every push, as PEM (an EC
    # P-256 private key). Empty: one is made on first start and kept in the database, so every
    # replica signs with the same key. The subject is the contact that push services (Apple's
    # requires one) may write to: a mailto: or https: URL; empty: public_url when it is https,
    # else mailto: the address of mail_from.
    vapid_private_key: str = ""
    vapid_subject: str = ""
    # Web Pushes in flight at once from one dispatcher.
    webpush_concurrency: int = 32

    # Retention: messages never synced are deleted this long after hand-off.
    retention_days: int = 21
    retention_interval: float = 300.0
    retention_batch: int = 500

    # Platform licences: off by default (a private installation licenses nobody); when on, an
    # account's devices of a platform get messages for the trial plus the grace period after
    # its first device of that platform, then only with a licence or as a team member.
    licensing_enforced: bool = False
    license_trial_days: float = 7.0
    license_grace_hours: float = 24.0

    # SMS for teams' unacknowledged emergencies: an HTTP provider taking a form POST of
    # to/from/body (field names configurable) at sms_url, with a bearer token or basic auth.
    # Empty sms_url: no SMS is sent.
    sms_url: str = ""
    sms_from: str = ""
    sms_token: str = ""
    sms_username: str = ""
    sms_password: str = ""
    sms_fields: str = "to,from,body"
    sms_tick_interval: float = 1.0

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.http_host}:{self.http_port}"
    # E-mail gateway: every user gets <random>@mail_domain; mail to it becomes a notification.
    mail_domain: str = "pomail.net"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525  # Kubernetes maps port 25 to it (deploy/k8s): pods run unprivileged
    # STARTTLS is offered when both are set (PEM files, e.g. mounted from a Secret).
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    # Largest e-mail accepted (SMTP SIZE); larger ones get 552. Room for a 5 MiB image in base64.
    mail_max_bytes: int = 8 * 1024 * 1024
    # Per address: a burst of mail_rate_burst, refilled at mail_rate_per_minute; beyond it 451.
    mail_rate_per_minute: float = 60.0
    mail_rate_burst: int = 30
    smtp_timeout: float = 60.0

    # Limits against abuse from the network (SECURITY.md, "Caps and limits").
    # Devices one user may register; a message's `device` list may name no more than this.
    max_devices_per_user: int = 50
    # Glance updates per application (POST /1/glances.json): a burst, then a steady rate;
    # beyond it 429. Per api process, like the e-mail gateway's limit.
    glance_rate_per_minute: float = 12.0
    glance_rate_burst: int = 30
    # HTTP connections (services/api/guard.py), per api process: a request head must arrive
    # within http_header_timeout seconds; a body at http_body_min_rate bytes a second or more,
    # measured over http_body_window seconds. New connections beyond max_connections (0: as
    # many as the open-file limit leaves room for, after raising it to the hard limit) or
    # beyond max_connections_per_client from one address get a 503 and are closed.
    http_header_timeout: float = 10.0
    http_body_window: float = 10.0
    http_body_min_rate: int = 100
    max_connections: int = 0
    max_connections_per_client: int = 256
    # Devices of one user with a live /push WebSocket on one api process; a device beyond it
    # is closed with 1013 (try again later). One connection per device is kept anyway.
    max_connections_per_user: int = 50

    @property
    def https(self) -> bool:
        return self.public_url.lower().startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_memory_bus(self) -> bool:
        return self.bus_url.startswith("memory:")
