"""The public transparency page: decisions and appeal outcomes, from the journal's public fields
only (no reporter, no free text, no post), with monthly counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import journal
from forum.charts import Bar, BarChart, Group, month_label
from forum.models import AuditEntry
from moderation.services import REASONS

PARIS = ZoneInfo("Europe/Paris")
ACTION_NAMES = {
    "approve": "approuvé", "reject": "refusé", "request_changes": "modification demandée", "keep": "gardé",
    "hide": "masqué", "restore": "rétabli", "lock": "sujet verrouillé", "warn": "avertissement", "suspend": "suspension",
}
CHART_MONTHS = 12
OUTCOME_NAMES = {"upheld": "maintenue en appel", "overturned": "annulée en appel", "open": "appel en cours"}


@dataclass(frozen=True)
class PublicDecision:
    seq: int
    at: dt.datetime
    category: str
    action: str
    reason_code: str
    appeal: str | None


@dataclass(frozen=True)
class Transparency:
    decisions: list[PublicDecision]
    monthly: list[tuple[str, dict[str, int]]]
    # The last CHART_MONTHS months with decisions, each kind a bar: the page's picture and its table.
    chart: BarChart
    next_before: int | None
    entries: int
    head_hash: str


def transparency(session: Session, before: int | None = None, limit: int = 50, locale: str = "fr") -> Transparency:
    query = (select(AuditEntry.seq, AuditEntry.created_at, AuditEntry.public)
             .where(AuditEntry.kind == "decision").order_by(AuditEntry.seq.desc()).limit(limit + 1))
    if before:
        query = query.where(AuditEntry.seq < before)
    rows = session.execute(query).all()
    appeals: dict[int, str] = {}
    for kind, public in session.execute(
        select(AuditEntry.kind, AuditEntry.public).where(AuditEntry.kind.in_(("appeal_filed", "appeal_decided")))
        .order_by(AuditEntry.seq)
    ):
        decision_id = public.get("decision_id")
        if isinstance(decision_id, int):
            appeals[decision_id] = public.get("outcome", "open") if kind == "appeal_decided" else "open"
    decisions = [
        PublicDecision(seq, at, str(public.get("category", "")), ACTION_NAMES.get(str(public.get("action")), "?"),
                       REASONS.get(str(public.get("reason_code", "")), str(public.get("reason_code", ""))), OUTCOME_NAMES.get(appeals.get(public.get("decision_id", -1), ""), None))
        for seq, at, public in rows[:limit]
    ]
    counts: dict[str, Counter[str]] = {}
    for at, public in session.execute(select(AuditEntry.created_at, AuditEntry.public).where(AuditEntry.kind == "decision")):
        month = at.astimezone(PARIS).strftime("%Y-%m")
        counts.setdefault(month, Counter())[ACTION_NAMES.get(str(public.get("action")), "?")] += 1
    monthly = [(month, dict(counter)) for month, counter in sorted(counts.items(), reverse=True)]
    chart = BarChart(tuple(
        Group(month_label(int(month[:4]), int(month[5:7]), locale),
              tuple(Bar(kind, n) for kind, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))))
        for month, counter in monthly[:CHART_MONTHS]
    ))
    entries, head = journal.head(session)
    return Transparency(decisions, monthly, chart, rows[limit - 1].seq if len(rows) > limit else None, entries, head)
