"""Roster import: idempotent, all or nothing, every rejected line named with its reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.models import Member, MemberStatus
from forum.services.roster import RosterError, import_roster

DATA = Path(__file__).parent / "data"


def _import(ctx, data: bytes):
    with ctx.db.write() as session:
        return import_roster(session, data)


def _members(ctx) -> dict[str, tuple[str, str, str]]:
    with ctx.db.read() as session:
        rows = session.execute(select(Member.membership_number, Member.email, Member.first_name, Member.last_name))
        return {n: (e, f, l) for n, e, f, l in rows}


def test_mixed_file_imports_good_rows_and_names_each_rejected_line(world):
    report = _import(world.ctx, (DATA / "roster_mixed.csv").read_bytes())
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    reasons = dict(report.rejected)
    assert set(reasons) == {5, 6, 7, 8, 9, 10, 11}
    assert "numéro d’adhérent manquant" in reasons[5]
    assert "adresse électronique invalide" in reasons[6]
    assert "fédération inconnue : Atlantide" in reasons[7]
    assert "déjà présent ligne 3" in reasons[8]
    assert "déjà présente ligne 2" in reasons[9]
    assert "colonnes" in reasons[10]
    assert "nom ou prénom manquant" in reasons[11]
    members = _members(world.ctx)
    assert members["A0003"] == ("eloise.lefevre@example.org", "Éloïse", "Lefèvre")
    with world.ctx.db.read() as session:
        assert set(session.scalars(select(Member.status))) == {MemberStatus.INVITED}


def test_reimport_is_idempotent_and_updates_changes(world):
    first = b"numero,nom,prenom,email,federation\nB1,Martin,Anne,anne@example.org,Paris\nB2,Petit,Luc,luc@example.org,Paris\n"
    assert _import(world.ctx, first).created == 2
    again = _import(world.ctx, first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = first.replace(b"luc@example.org,Paris", b"luc.petit@example.org,Rh\xc3\xb4ne")
    report = _import(world.ctx, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert _members(world.ctx)["B2"][0] == "luc.petit@example.org"
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 2


def test_address_of_another_member_is_rejected_not_stolen(world):
    world.member("lea")  # lea@example.org, no membership number
    report = _import(world.ctx, b"numero,nom,prenom,email,federation\nC1,Faux,Compte,lea@example.org,Paris\n")
    assert report.created == 0 and "déjà utilisée" in report.rejected[0][1]


def test_names_numbers_and_addresses_the_database_cannot_hold_are_rejected_by_line(world):
    long_name = "N" * 101
    rows = [
        "D1,Martin,Anne,anne@example.org,Paris",                # kept
        f"D2,{long_name},Luc,luc@example.org,Paris",           # name too long for the column
        "D3,Pe\x00tit,Zoé,zoe@example.org,Paris",              # NUL: PostgreSQL cannot store it
        f"{'9' * 41},Durand,Max,max@example.org,Paris",        # membership number too long
        "D5,Roux,Ida,i\x00da@example.org,Paris",               # control character in the address
        f"D6,Blanc,Ana,{'a' * 250}@example.org,Paris",          # address longer than 254
    ]
    data = ("numero,nom,prenom,email,federation\n" + "\n".join(rows) + "\n").encode()
    report = _import(world.ctx, data)
    reasons = dict(report.rejected)
    assert report.created == 1 and set(reasons) == {3, 4, 5, 6, 7}
    assert "100 caractères au plus" in reasons[3]
    assert "caractère de contrôle" in reasons[4]
    assert "numéro d’adhérent refusé" in reasons[5]
    assert "adresse électronique invalide" in reasons[6] and "adresse électronique invalide" in reasons[7]
    assert set(_members(world.ctx)) == {"D1"}


def test_create_member_refuses_a_name_the_database_cannot_hold(world):
    from forum.errors import ValidationFailed
    from forum.services import accounts

    for first, last, expected in (("N" * 101, "Test", "100 caractères"), ("Lé\x00a", "Test", "caractère de contrôle")):
        with pytest.raises(ValidationFailed) as refused, world.ctx.db.write() as session:
            accounts.create_member(session, email="nom@example.org", first_name=first, last_name=last, federation=None)
        assert expected in refused.value.errors["name"]
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_bad_header_imports_nothing(world):
    with pytest.raises(RosterError, match="En-tête incomplet"):
        _import(world.ctx, b"id,name\n1,x\n")
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_fatal_error_midway_leaves_nothing_half_imported(world):
    rows = "".join(f"D{i},Nom{i},Prénom{i},d{i}@example.org,Paris\n" for i in range(3000))
    data = ("numero,nom,prenom,email,federation\n" + rows).encode()

    def explode(done: int, total: int) -> None:
        if done >= 2000:
            raise RuntimeError("disque plein")

    with pytest.raises(RuntimeError):
        with world.ctx.db.write() as session:
            import_roster(session, data, progress=explode)
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_cli_import_reports_counts_and_rejected_lines(world, tmp_path):
    env = _cli_env(world.ctx)
    result = subprocess.run(
        [sys.executable, "-m", "forum", "import-roster", str(DATA / "roster_mixed.csv")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3 créé(s), 0 mis à jour, 0 inchangé(s), 7 rejeté(s)" in result.stdout
    assert "ligne 7 : fédération inconnue : Atlantide" in result.stdout
    assert "import" in result.stderr and "3\u202f" not in result.stdout  # progress goes to stderr
    missing = subprocess.run([sys.executable, "-m", "forum", "import-roster", str(tmp_path / "absent.csv")],
                             capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode == 2 and "lecture impossible" in missing.stderr


def _cli_env(ctx) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update(TRIBUNE_DATABASE_URL=ctx.settings.database_url, TRIBUNE_SECRET_KEY=ctx.settings.secret_key,
               TRIBUNE_EMAIL_BACKEND="smtp", TRIBUNE_SMTP_HOST="127.0.0.1", TRIBUNE_SMTP_PORT=str(ctx.settings.smtp_port),
               TRIBUNE_BASE_URL="http://testserver")
    return env


def test_fifty_thousand_rows_import_quickly(world):
    import time

    rows = "".join(f"E{i:06d},Nom{i},Prénom{i},e{i}@example.org,{'Paris' if i % 2 else 'Rhône'}\n" for i in range(50_000))
    data = ("numero,nom,prenom,email,federation\n" + rows).encode()
    started = time.monotonic()
    report = _import(world.ctx, data)
    elapsed = time.monotonic() - started
    assert report.created == 50_000 and not report.rejected
    again = _import(world.ctx, data)
    assert again.unchanged == 50_000
    # Not a benchmark: a generous bound that only catches a per-row round trip creeping in.
    assert elapsed < 60, elapsed
