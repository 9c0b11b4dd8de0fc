"""The peer for bench/run.py: Spirit (PyPI `django-spirit`), a Django forum, on the same data size.

Everything lives under bench/.work/, nothing in Tribune's requirements:

- bench/.work/spirit-venv: a virtual environment made with the running Python's `venv`,
  into which pip installs SPIRIT_REQUIREMENTS from the package registry (once; a stamp file
  remembers what was installed);
- bench/.work/spirit/: the minimal project this module writes (settings, urls, wsgi) and
  the SQLite databases, spirit-N.sqlite3, seeded by bench/spirit_seed.py with Spirit's venv.

Spirit is served the way Django sites are: gunicorn, sync workers, `--workers N`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
VENV = WORK / "spirit-venv"
PROJECT = WORK / "spirit"
SEEDER = BENCH / "spirit_seed.py"
# Pinned so that two runs compare the same peer; the newest releases when this was written.
SPIRIT_REQUIREMENTS = ["django-spirit==0.14.3", "Django==5.2.19", "gunicorn==27.0.1"]

SETTINGS = '''"""Minimal settings for Spirit under bench/run.py (written by bench/peer_spirit.py).

Spirit's project template (spirit/extra/project_template) with production switches: DEBUG off,
SQLite in WAL mode with a busy timeout and IMMEDIATE write transactions (as Tribune's), local
memory caches, no background task manager, no realtime search indexing.
"""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = os.environ.get("SPIRIT_SECRET_KEY", "bench-only-not-secret-0123456789abcdefghijklmnop")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.humanize",
    "spirit.core", "spirit.admin", "spirit.search", "spirit.user", "spirit.user.admin", "spirit.user.auth",
    "spirit.category", "spirit.category.admin", "spirit.topic", "spirit.topic.admin", "spirit.topic.favorite",
    "spirit.topic.moderate", "spirit.topic.notification", "spirit.topic.private", "spirit.topic.unread",
    "spirit.comment", "spirit.comment.bookmark", "spirit.comment.flag", "spirit.comment.flag.admin",
    "spirit.comment.history", "spirit.comment.like", "spirit.comment.poll", "djconfig", "haystack",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "spirit.user.middleware.TimezoneMiddleware",
    "spirit.user.middleware.LastIPMiddleware",
    "spirit.user.middleware.LastSeenMiddleware",
    "spirit.user.middleware.ActiveUserMiddleware",
    "spirit.core.middleware.PrivateForumMiddleware",
    "djconfig.middleware.DjConfigMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.contrib.auth.context_processors.auth",
        "django.template.context_processors.debug",
        "django.template.context_processors.i18n",
        "django.template.context_processors.media",
        "django.template.context_processors.static",
        "django.template.context_processors.tz",
        "django.template.context_processors.request",
        "django.contrib.messages.context_processors.messages",
        "djconfig.context_processors.config",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ["SPIRIT_DB"],
    "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
}}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "st_rate_limit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "spirit_rl_cache",
                      "TIMEOUT": None},
}
AUTHENTICATION_BACKENDS = ["spirit.user.auth.backends.UsernameAuthBackend",
                           "spirit.user.auth.backends.EmailAuthBackend"]
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
                                    "PATH": os.path.join(BASE_DIR, "st_search")}}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
ROOT_URLCONF = "bench_spirit_urls"
WSGI_APPLICATION = "bench_spirit_wsgi.application"
LOGIN_URL = "spirit:user:auth:login"
LOGIN_REDIRECT_URL = "spirit:user:update"
LOGOUT_REDIRECT_URL = "spirit:index"
LANGUAGE_CODE = "en"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(BASE_DIR, "media")
STATIC_ROOT = os.path.join(BASE_DIR, "static")
STORAGES = {"default": {"BACKEND": "spirit.core.storage.OverwriteFileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
ST_TASK_MANAGER = None
ST_SITE_URL = "http://127.0.0.1:8000/"
SILENCED_SYSTEM_CHECKS = ["urls.W002"]
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django": {"handlers": ["console"], "level": "ERROR", "propagate": False}}}
'''

URLS = '''from django.urls import include, path

import spirit.urls

urlpatterns = [path("", include(spirit.urls))]
'''

WSGI = '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_spirit_settings")
application = get_wsgi_application()
'''


# One key per bench run, shared by the seeder (sessions are signed with it) and the servers.
SECRET_KEY = secrets.token_urlsafe(48)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> str:
    """Create bench/.work/spirit-venv and install Spirit from the registry (once); its versions."""
    stamp = VENV / ".bench-installed"
    wanted = "\n".join(SPIRIT_REQUIREMENTS)
    if not (stamp.exists() and stamp.read_text() == wanted and python().exists()):
        log(f"Spirit: creating {VENV.relative_to(BENCH.parent)} and installing {' '.join(SPIRIT_REQUIREMENTS)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *SPIRIT_REQUIREMENTS], check=True)
        stamp.write_text(wanted)
    out = subprocess.run([str(python()), "-c",
                          "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
                          "('django-spirit', 'Django', 'gunicorn')))"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def write_project() -> None:
    PROJECT.mkdir(parents=True, exist_ok=True)
    for name, text in (("bench_spirit_settings.py", SETTINGS), ("bench_spirit_urls.py", URLS),
                       ("bench_spirit_wsgi.py", WSGI)):
        path = PROJECT / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def env(db: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("TRIBUNE_", "VIRTUAL_ENV", "PYTHON"))}
    e.update(DJANGO_SETTINGS_MODULE="bench_spirit_settings", PYTHONPATH=str(PROJECT), SPIRIT_DB=str(db),
             SPIRIT_SECRET_KEY=SECRET_KEY, PYTHONUNBUFFERED="1",
             PATH=f"{VENV / 'bin'}:{os.environ.get('PATH', '')}")
    return e


@dataclass
class SpiritData:
    posts: int
    db: Path
    seed_seconds: float = 0.0
    seed_note: str = ""
    users: int = 0
    topics: int = 0
    comments: int = 0
    topic_path: str = ""
    username: str = ""
    db_bytes: int = 0


def _fingerprint() -> str:
    digest = hashlib.sha256(SEEDER.read_bytes() + SETTINGS.encode() + "\n".join(SPIRIT_REQUIREMENTS).encode())
    return digest.hexdigest()[:16]


def prepare(posts: int, members: int, long_posts: int, bodies: list[str], reuse: bool) -> SpiritData:
    """Migrate and seed bench/.work/spirit/spirit-N.sqlite3 (or reuse it when seeded with the same plan)."""
    write_project()
    data = SpiritData(posts=posts, db=PROJECT / f"spirit-{posts}.sqlite3")
    stamp = data.db.with_suffix(".json")
    plan = {"posts": posts, "members": members, "long": long_posts, "code": _fingerprint(),
            "bodies": hashlib.sha256(json.dumps(bodies).encode()).hexdigest()[:16]}
    reused = False
    if reuse and data.db.exists() and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("plan") == plan:
            data.seed_seconds, data.seed_note, reused = saved["seconds"], f"reused, seeded {saved['when']}", True
            log(f"Spirit {posts:,} comments: reusing {data.db.name} (seeded in {data.seed_seconds:.0f} s)")
    if not reused:
        for suffix in ("", "-wal", "-shm"):
            Path(str(data.db) + suffix).unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        bodies_file = PROJECT / "bodies.json"
        bodies_file.write_text(json.dumps(bodies, ensure_ascii=False))
        log(f"Spirit {posts:,} comments: migrate + seed ({members:,} users, topics of ~50 comments "
            f"+ 1 topic of {long_posts:,})")
        started = time.monotonic()
        subprocess.run([str(python()), str(SEEDER), "seed", "--posts", str(posts), "--bodies", str(bodies_file),
                        "--long", str(long_posts), "--members", str(members)], cwd=PROJECT, env=env(data.db),
                       check=True)
        data.seed_seconds, data.seed_note = time.monotonic() - started, "fresh"
        stamp.write_text(json.dumps({"plan": plan, "seconds": data.seed_seconds,
                                     "when": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        log(f"Spirit {posts:,} comments seeded in {data.seed_seconds:.1f} s")
    where = json.loads(subprocess.run([str(python()), str(SEEDER), "locate"], cwd=PROJECT, env=env(data.db),
                                      capture_output=True, text=True, check=True).stdout)
    data.users, data.topics, data.comments = where["users"], where["topics"], where["comments"]
    data.topic_path, data.username = where["path"], where["username"]
    data.db_bytes = data.db.stat().st_size
    return data


def session_cookie(data: SpiritData) -> str:
    key = subprocess.run([str(python()), str(SEEDER), "session", "--username", data.username], cwd=PROJECT,
                         env=env(data.db), capture_output=True, text=True, check=True).stdout.strip()
    return f"sessionid={key}"


def server_command(port: int, workers: int) -> list[str]:
    return [str(VENV / "bin" / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--chdir", str(PROJECT), "--log-level", "warning", "bench_spirit_wsgi:application"]
