"""Backups: SQLite's online backup API (consistent while the forum runs) or pg_dump."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from forum.db import sqlite_file
from forum.settings import Settings


class BackupError(Exception):
    pass


def _sqlite_path(url: str) -> Path:
    path = sqlite_file(url)
    if path is None:
        raise BackupError("Une base SQLite en mémoire ne se sauvegarde pas.")
    return path


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} introuvable : installez le client PostgreSQL.")


def _pg_env_and_dbname(url: str) -> tuple[dict[str, str], str]:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    env = dict(os.environ)
    if parts.hostname:
        env["PGHOST"] = parts.hostname
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.username:
        env["PGUSER"] = parts.username
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env, parts.path.lstrip("/")


def backup(settings: Settings, destination: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Write a consistent copy of the database to `destination` (which must not exist)."""
    if destination.exists():
        raise BackupError(f"{destination} existe déjà : choisissez un autre nom.")
    if settings.is_sqlite:
        source = sqlite3.connect(_sqlite_path(settings.database_url))
        target = sqlite3.connect(destination)
        try:
            def report(status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)

            # Pages are copied in steps: writers are not blocked for the whole copy.
            source.backup(target, pages=256, progress=report)
        finally:
            target.close()
            source.close()
        return
    env, dbname = _pg_env_and_dbname(settings.database_url)
    result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={destination}", dbname],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump a échoué : {result.stderr.strip()}")


def restore(settings: Settings, source: Path, force: bool = False) -> None:
    """Put a backup back in place of the configured database."""
    if not source.exists():
        raise BackupError(f"{source} introuvable.")
    if settings.is_sqlite:
        target_path = _sqlite_path(settings.database_url)
        if target_path.exists() and not force:
            raise BackupError(f"{target_path} existe : ajoutez --force pour la remplacer.")
        check = sqlite3.connect(source)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("La sauvegarde est corrompue (PRAGMA integrity_check).")
            target = sqlite3.connect(target_path)
            try:
                check.backup(target)
            finally:
                target.close()
        finally:
            check.close()
        return
    if not force:
        raise BackupError("Restaurer PostgreSQL remplace la base : ajoutez --force.")
    env, dbname = _pg_env_and_dbname(settings.database_url)
    result = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", f"--dbname={dbname}",
                             str(source)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore a échoué : {result.stderr.strip()}")
