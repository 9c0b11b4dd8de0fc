"""One typed Settings object, read from the environment (TRIBUNE_*) and validated at start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A TRIBUNE_* variable holds a value the application cannot run with."""


def _secret_key(var_dir: Path) -> str:
    """Read TRIBUNE_SECRET_KEY, or a key generated once into var/ (mode 0600)."""
    from_env = os.environ.get("TRIBUNE_SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise SettingsError("TRIBUNE_SECRET_KEY doit compter au moins 32 caractères.")
        return from_env
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together cannot both write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} doit valoir true ou false, pas {raw!r}.")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} doit être un nombre entier, pas {raw!r}.") from None


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    https: bool = False
    email_backend: str = "console"  # console | smtp
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "Tribune <tribune@localhost>"
    max_body_bytes: int = 2 * 1024 * 1024
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 7 * 24 * 3600
    posts_per_page: int = 20
    # Flood limits (0 turns one off): seconds between two posts of a member, topics a day.
    seconds_between_posts: int = 10
    topics_per_day: int = 20
    # Further abuse limits, counted in the database like the flood limits (0 turns one off):
    # edits of one's posts an hour, context notes a member proposes a day, reports a member
    # files an hour, invitation emails one address receives a day.
    edits_per_hour: int = 20
    notes_per_day: int = 10
    reports_per_hour: int = 10
    invitations_per_day: int = 3
    topics_per_page: int = 30
    timezone: str = "Europe/Paris"
    locale: str = "fr"
    # DKIM key look-ups for email quotes: "off" (default: no network), "live" (DNS), or a JSON
    # file mapping DNS names to TXT values (offline checks, tests).
    dkim_dns: str = "off"
    debug: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.email_backend not in {"console", "smtp"}:
            raise SettingsError("TRIBUNE_EMAIL_BACKEND doit valoir console ou smtp.")
        if self.locale not in {"fr", "en"}:
            raise SettingsError("TRIBUNE_LOCALE doit valoir fr ou en.")
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise SettingsError("TRIBUNE_DATABASE_URL doit désigner SQLite ou PostgreSQL.")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(os.environ.get("TRIBUNE_VAR_DIR", PROJECT_ROOT / "var"))
        default_db = f"sqlite:///{var_dir / 'tribune.db'}"
        hosts = os.environ.get("TRIBUNE_ALLOWED_HOSTS", "127.0.0.1,localhost")
        return cls(
            database_url=os.environ.get("TRIBUNE_DATABASE_URL", default_db),
            secret_key=_secret_key(var_dir),
            base_url=os.environ.get("TRIBUNE_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()),
            https=_bool("TRIBUNE_HTTPS", False),
            email_backend=os.environ.get("TRIBUNE_EMAIL_BACKEND", "console"),
            smtp_host=os.environ.get("TRIBUNE_SMTP_HOST", "127.0.0.1"),
            smtp_port=_int("TRIBUNE_SMTP_PORT", 25),
            mail_from=os.environ.get("TRIBUNE_MAIL_FROM", "Tribune <tribune@localhost>"),
            max_body_bytes=_int("TRIBUNE_MAX_BODY_BYTES", 2 * 1024 * 1024),
            seconds_between_posts=_int("TRIBUNE_SECONDS_BETWEEN_POSTS", 10),
            topics_per_day=_int("TRIBUNE_TOPICS_PER_DAY", 20),
            edits_per_hour=_int("TRIBUNE_EDITS_PER_HOUR", 20),
            notes_per_day=_int("TRIBUNE_NOTES_PER_DAY", 10),
            reports_per_hour=_int("TRIBUNE_REPORTS_PER_HOUR", 10),
            invitations_per_day=_int("TRIBUNE_INVITATIONS_PER_DAY", 3),
            debug=_bool("TRIBUNE_DEBUG", False),
            locale=os.environ.get("TRIBUNE_LOCALE", "fr"),
            dkim_dns=os.environ.get("TRIBUNE_DKIM_DNS", "off"),
        )
