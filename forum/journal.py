"""The journal: an append-only, hash-chained record of decisions, appeals, role changes,
suspensions and roster imports.

Each entry's hash is SHA-256 of the previous entry's hash and the entry's canonical
JSON (sorted keys, no spaces, UTF-8): changing, removing or inserting an entry breaks
the chain at that entry, and `verify` names it. The latest hash is shown on the
transparency page so that members can keep it and notice a rewritten history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from forum.models import AuditEntry

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, seq: int, created_at: dt.datetime, kind: str,
               public: dict[str, Any], private: dict[str, Any]) -> str:
    body = canonical_json({"seq": seq, "created_at": _timestamp(created_at), "kind": kind,
                           "public": public, "private": private})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(session: Session, kind: str, public: dict[str, Any], private: dict[str, Any] | None = None,
           now: dt.datetime | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (it commits or rolls back with the action it records)."""
    if session.get_bind().dialect.name == "postgresql":
        # One appender at a time, so two transactions cannot both chain onto the same entry.
        session.execute(text("SELECT pg_advisory_xact_lock(7413001)"))
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    moment = now or dt.datetime.now(dt.timezone.utc)
    private = private or {}
    # Round-trip through JSON so the hash is computed on exactly what the database returns.
    public = json.loads(canonical_json(public))
    private = json.loads(canonical_json(private))
    entry = AuditEntry(seq=seq, created_at=moment, kind=kind, public=public, private=private, prev_hash=prev,
                       hash=entry_hash(prev, seq, moment, kind, public, private))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    problem: str | None = None
    seq: int | None = None


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session, progress: Callable[[int, int], None] | None = None) -> Verdict:
    """Walk the chain and name the first entry that was changed, removed or inserted."""
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    expected_seq = 1
    prev_hash = GENESIS
    seen: dict[str, int] = {GENESIS: 0}
    checked = 0
    for entry in _entries(session):
        checked += 1
        if progress and checked % 1000 == 0:
            progress(checked, total)
        recomputed = entry_hash(entry.prev_hash, entry.seq, entry.created_at, entry.kind, entry.public, entry.private)
        if entry.seq > expected_seq:
            return Verdict(False, checked, f"entrée n° {expected_seq} supprimée (la suivante est la n° {entry.seq})", expected_seq)
        if entry.prev_hash != prev_hash:
            if seen.get(entry.prev_hash) == entry.seq - 2:
                return Verdict(False, checked, f"entrée n° {entry.seq - 1} insérée : la n° {entry.seq} ne la connaît pas", entry.seq - 1)
            return Verdict(False, checked, f"entrée n° {entry.seq - 1} modifiée ou remplacée : la n° {entry.seq} "
                           "enregistre une autre empreinte pour elle", entry.seq - 1)
        if recomputed != entry.hash:
            return Verdict(False, checked, f"entrée n° {entry.seq} modifiée : son contenu ne correspond plus à son empreinte", entry.seq)
        seen[entry.hash] = entry.seq
        prev_hash = entry.hash
        expected_seq += 1
    if progress:
        progress(checked, total)
    return Verdict(True, checked)


def head(session: Session) -> tuple[int, str]:
    """The number of entries and the latest hash (published on the transparency page)."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, GENESIS)
