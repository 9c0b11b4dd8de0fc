"""Membership roster import: idempotent, all or nothing, fast enough for 50 000 rows."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from forum.models import Federation, Member, MemberStatus, utcnow
from forum.services.accounts import email_ok, has_control_character, name_problem, normalize_email

# Accepted header spellings for each column, compared without accents or case.
COLUMNS = {
    "number": ("numero", "numero_adherent", "numero d'adherent", "membership_number", "n° adherent", "adherent"),
    "last_name": ("nom", "last_name", "nom de famille"),
    "first_name": ("prenom", "first_name"),
    "email": ("email", "courriel", "e-mail", "adresse electronique", "mail"),
    "federation": ("federation", "fede"),
}
BATCH = 2000


class RosterError(Exception):
    """The file cannot be imported at all (nothing was written)."""


@dataclass
class RosterReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)

    def summary(self) -> str:
        return (
            f"{self.created} créé(s), {self.updated} mis à jour, "
            f"{self.unchanged} inchangé(s), {len(self.rejected)} rejeté(s)"
        )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _header_map(header: list[str]) -> dict[str, int]:
    folded = [_fold(h) for h in header]
    mapping: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for index, name in enumerate(folded):
            if name in names:
                mapping[key] = index
                break
    missing = [key for key in COLUMNS if key not in mapping]
    if missing:
        raise RosterError(
            "En-tête incomplet : colonnes attendues numero, nom, prenom, email, federation "
            f"(manquantes : {', '.join(missing)})."
        )
    return mapping


def read_rows(data: bytes) -> list[list[str]]:
    """Decode (UTF-8 with or without BOM, else Latin-1) and parse CSV.

    The delimiter is the one the header line uses most (spreadsheets export ";"
    in France): sniffing the whole sample is fooled by malformed lines.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def import_roster(
    session: Session,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> RosterReport:
    """Create or update members from a roster CSV, keyed by membership number.

    Runs inside the caller's transaction: on any exception nothing is kept.
    Rows that cannot be imported are reported with their line number and reason.
    """
    rows = read_rows(data)
    if not rows:
        raise RosterError("Le fichier est vide.")
    columns = _header_map(rows[0])
    federations = {
        key: fed_id
        for fed_id, slug, name in session.execute(select(Federation.id, Federation.slug, Federation.name))
        for key in (_fold(slug), _fold(name))
    }
    existing = {
        number: (member_id, email, first, last, fed, status)
        for member_id, number, email, first, last, fed, status in session.execute(
            select(Member.id, Member.membership_number, Member.email, Member.first_name,
                   Member.last_name, Member.federation_id, Member.status)
        )
        if number is not None
    }
    email_owner: dict[str, str | None] = {email: number for number, (_, email, *_rest) in existing.items()}
    email_owner.update(
        {email: None for email in session.scalars(select(Member.email).where(Member.membership_number.is_(None)))}
    )

    report = RosterReport()
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    to_create: list[dict[str, object]] = []
    to_update: list[dict[str, object]] = []
    body = rows[1:]
    total = len(body)
    now = utcnow()
    width = max(columns.values()) + 1

    for offset, raw in enumerate(body):
        line = offset + 2  # 1-based, after the header
        if progress and (offset % 1000 == 0):
            progress(offset, total)
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < width:
            report.rejected.append((line, "nombre de colonnes insuffisant"))
            continue
        number = raw[columns["number"]].strip()
        last = raw[columns["last_name"]].strip()
        first = raw[columns["first_name"]].strip()
        email = normalize_email(raw[columns["email"]])
        fed_id = federations.get(_fold(raw[columns["federation"]]))
        reason = None
        if not number:
            reason = "numéro d’adhérent manquant"
        elif number in seen_numbers:
            reason = f"numéro d’adhérent {number} déjà présent ligne {seen_numbers[number]}"
        elif not first or not last:
            reason = "nom ou prénom manquant"
        elif problem := name_problem(first, last):
            reason = f"nom ou prénom refusé\u00a0: {problem}"
        elif len(number) > 40 or has_control_character(number):
            reason = "numéro d’adhérent refusé (40 caractères au plus, sans caractère de contrôle)"
        elif not email_ok(email):
            reason = f"adresse électronique invalide : {email or '(vide)'}"
        elif email in seen_emails:
            reason = f"adresse {email} déjà présente ligne {seen_emails[email]}"
        elif email in email_owner and email_owner[email] != number:
            reason = f"adresse {email} déjà utilisée par un autre membre"
        elif fed_id is None:
            reason = f"fédération inconnue : {raw[columns['federation']].strip() or '(vide)'}"
        if reason:
            report.rejected.append((line, reason))
            continue
        seen_numbers[number] = line
        seen_emails[email] = line
        current = existing.get(number)
        if current is None:
            to_create.append(
                {"membership_number": number, "email": email, "first_name": first, "last_name": last,
                 "federation_id": fed_id, "status": MemberStatus.INVITED, "created_at": now}
            )
            report.created += 1
        elif current[1:5] == (email, first, last, fed_id):
            report.unchanged += 1
        else:
            to_update.append(
                {"id": current[0], "email": email, "first_name": first, "last_name": last, "federation_id": fed_id}
            )
            report.updated += 1

    # Bulk statements in batches: one round trip per 2 000 rows, memory stays flat.
    for start in range(0, len(to_update), BATCH):
        session.execute(update(Member), to_update[start : start + BATCH])
    for start in range(0, len(to_create), BATCH):
        session.execute(insert(Member), to_create[start : start + BATCH])
    if progress:
        progress(total, total)
    return report
