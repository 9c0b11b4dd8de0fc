"""Backups and a tested restore, on SQLite (online backup API) and PostgreSQL (pg_dump)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from forum.models import Topic
from forum.services import posting
from tests.test_roster import _cli_env


def _run(ctx, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forum", *args], capture_output=True, text=True,
                          env=_cli_env(ctx), timeout=300)


def _topics(ctx) -> list[str]:
    with ctx.db.read() as session:
        return sorted(session.scalars(select(Topic.title)))


def test_backup_then_restore_brings_the_data_back(world, tmp_path):
    lea = world.member("lea")
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        posting.create_topic(world.ctx, session, member, "general", "Sujet sauvegardé", "Avant la sauvegarde.")
    archive = tmp_path / "tribune.backup"
    saved = _run(world.ctx, "backup", str(archive))
    assert saved.returncode == 0, saved.stderr
    assert archive.stat().st_size > 0
    again = _run(world.ctx, "backup", str(archive))
    assert again.returncode == 1 and "existe déjà" in again.stderr
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        posting.create_topic(world.ctx, session, member, "general", "Sujet perdu ensuite", "Après la sauvegarde.")
    assert _topics(world.ctx) == ["Sujet perdu ensuite", "Sujet sauvegardé"]
    refused = _run(world.ctx, "restore", str(archive))
    assert refused.returncode == 1 and "--force" in refused.stderr
    world.ctx.db.dispose()
    restored = _run(world.ctx, "restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    world.ctx.db.dispose()
    assert _topics(world.ctx) == ["Sujet sauvegardé"]
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Topic)) == 1


def test_restore_refuses_a_missing_file(world, tmp_path):
    result = _run(world.ctx, "restore", str(tmp_path / "absent.backup"), "--force")
    assert result.returncode == 1 and "introuvable" in result.stderr


def test_a_sqlite_url_in_uri_form_backs_up_its_own_file(tmp_path):
    """SQLite's URI form (`sqlite:///file:PATH?uri=true`, percent-encoded) names the same file
    for the engine and for the backup: not a new file named after the URL's text."""
    import os
    import sqlite3
    from urllib.parse import quote

    db = tmp_path / "base à part" / "forum.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE kept (word TEXT)")
        connection.execute("INSERT INTO kept VALUES ('gardé')")
    connection.close()
    env = dict(os.environ, TRIBUNE_DATABASE_URL=f"sqlite:///file:{quote(str(db))}?uri=true",
               TRIBUNE_SECRET_KEY="k" * 64)
    archive = tmp_path / "copie.backup"
    saved = subprocess.run([sys.executable, "-m", "forum", "backup", str(archive)], capture_output=True, text=True,
                           env=env, timeout=120, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    copy = sqlite3.connect(archive)
    assert copy.execute("SELECT word FROM kept").fetchall() == [("gardé",)]
    copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base à part", "copie.backup"]  # nothing named "file:…"
