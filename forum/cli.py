"""Admin command line: `python -m forum COMMANDE`. Help and messages in French."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.context import Context
from forum.errors import DomainError, RateLimited
from forum.models import Member, Role
from forum.settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m forum",
        description="Administration de Tribune, le forum de débat interne.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)

    sub.add_parser("migrate", help="met le schéma de la base à jour (migrations Alembic)")

    create = sub.add_parser("create-member", help="crée un membre (mot de passe lu sur l’entrée standard, ou invitation)")
    create.add_argument("--email", required=True, help="adresse électronique")
    create.add_argument("--first-name", required=True, help="prénom")
    create.add_argument("--last-name", required=True, help="nom")
    create.add_argument("--federation", help="fédération (nom ou identifiant court)")
    create.add_argument("--role", choices=[r.value for r in Role], default="member", help="rôle (défaut : member)")
    create.add_argument("--moderates", help="pour un modérateur de fédération : la fédération modérée (national sinon)")
    create.add_argument("--membership-number", help="numéro d’adhérent")
    how = create.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="lit le mot de passe sur l’entrée standard")
    how.add_argument("--invite", action="store_true", help="envoie une invitation par courriel (défaut)")

    roster = sub.add_parser("import-roster", help="importe le fichier des adhérents (CSV)")
    roster.add_argument("file", type=Path, help="CSV : numero, nom, prenom, email, federation")

    invite = sub.add_parser("invite", help="envoie (ou renvoie) une invitation par courriel")
    invite.add_argument("emails", nargs="*", help="adresses des membres à inviter")
    invite.add_argument("--all-pending", action="store_true", help="invite tous les membres qui n’ont pas encore de compte actif")

    sub.add_parser("demo", help="charge les données de démonstration si la base est vide")

    sub.add_parser("verify-journal", help="vérifie la chaîne d’empreintes du journal et nomme la première entrée altérée")

    role = sub.add_parser("set-role", help="change le rôle d’un membre (inscrit au journal)")
    role.add_argument("email", help="adresse du membre")
    role.add_argument("role", choices=[r.value for r in Role], help="nouveau rôle")
    role.add_argument("--moderates", help="pour un modérateur de fédération : la fédération modérée (national sinon)")
    role.add_argument("--by", required=True, help="adresse de l’administrateur·rice qui décide")

    status = sub.add_parser("set-status", help="suspend, réactive ou marque un départ (inscrit au journal)")
    status.add_argument("email", help="adresse du membre")
    status.add_argument("status", choices=["active", "suspended", "left"], help="nouveau statut")
    status.add_argument("--days", type=int, help="durée de la suspension en jours (sans limite sinon)")
    status.add_argument("--reason", required=True, help="motif (obligatoire)")
    status.add_argument("--by", required=True, help="adresse de l’administrateur·rice qui décide")

    save = sub.add_parser("backup", help="sauvegarde la base (API de sauvegarde de SQLite ou pg_dump)")
    save.add_argument("destination", type=Path, help="fichier de sauvegarde à créer")

    back = sub.add_parser("restore", help="restaure une sauvegarde à la place de la base configurée")
    back.add_argument("source", type=Path, help="fichier de sauvegarde")
    back.add_argument("--force", action="store_true", help="remplace la base existante")

    digest = sub.add_parser("send-digests", help="envoie le résumé quotidien des notifications")
    digest.add_argument("--quiet", action="store_true", help="n’affiche que les erreurs")

    seed = sub.add_parser("seed", help="crée des données en masse pour les mesures de performance")
    seed.add_argument("--members", type=int, default=1000, help="nombre de membres (défaut : 1000)")
    seed.add_argument("--federations", type=int, default=30, help="nombre de fédérations (défaut : 30)")
    seed.add_argument("--topics", type=int, default=500, help="nombre de sujets (défaut : 500)")
    seed.add_argument("--posts", type=int, default=10000, help="nombre de messages (défaut : 10000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"Configuration invalide : {exc}", file=sys.stderr)
        return 2
    from forum.app import wire

    ctx = wire(Context.build(settings))
    try:
        return COMMANDS[args.command](ctx, args)
    except DomainError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return 1
    finally:
        ctx.db.dispose()


def cmd_migrate(ctx: Context, args: argparse.Namespace) -> int:
    from forum.migrate import upgrade

    upgrade(ctx.db.engine)
    print("Base de données à jour.")
    return 0


def cmd_create_member(ctx: Context, args: argparse.Namespace) -> int:
    from forum.services import accounts

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Mot de passe : ")
    with ctx.db.write() as session:
        federation = accounts.find_federation(session, args.federation) if args.federation else None
        if args.federation and federation is None:
            print(f"Erreur : fédération inconnue : {args.federation}", file=sys.stderr)
            return 1
        moderates = accounts.find_federation(session, args.moderates) if args.moderates else None
        if args.moderates and moderates is None:
            print(f"Erreur : fédération inconnue : {args.moderates}", file=sys.stderr)
            return 1
        member = accounts.create_member(
            session, email=args.email, first_name=args.first_name, last_name=args.last_name,
            federation=federation, role=Role(args.role), moderated_federation=moderates,
            password=password, membership_number=args.membership_number,
        )
        if password is None:
            accounts.send_invitation(ctx, session, member)
            print(f"Membre créé : {member.email} (invitation envoyée).")
        else:
            print(f"Membre créé : {member.email} (compte actif).")
    return 0


def cmd_import_roster(ctx: Context, args: argparse.Namespace) -> int:
    from forum.progress import Progress
    from forum.services.roster import RosterError, import_roster

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"Erreur : lecture impossible de {args.file} : {exc.strerror}", file=sys.stderr)
        return 2
    bar = Progress("import", 0)
    try:
        with ctx.db.write() as session:
            report = import_roster(session, data, progress=lambda done, total: bar.update(done, total))
            from forum import journal

            journal.append(session, "roster_import", {
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                "rejected": len(report.rejected),
            }, {"file": args.file.name}, now=ctx.clock())
    except RosterError as exc:
        print(f"\nErreur : {exc} Rien n’a été importé.", file=sys.stderr)
        return 1
    bar.finish()
    print(f"Import terminé : {report.summary()}.")
    for line, reason in report.rejected:
        print(f"  ligne {line} : {reason}")
    return 0


def cmd_invite(ctx: Context, args: argparse.Namespace) -> int:
    from forum.models import MemberStatus
    from forum.services import accounts

    if not args.emails and not args.all_pending:
        print("Erreur : donnez des adresses ou --all-pending.", file=sys.stderr)
        return 2
    sent = failed = 0
    with ctx.db.read() as session:
        if args.all_pending:
            ids = list(session.scalars(select(Member.id).where(Member.status == MemberStatus.INVITED)))
        else:
            ids = []
            for email in args.emails:
                member_id = session.scalar(select(Member.id).where(Member.email == accounts.normalize_email(email)))
                if member_id is None:
                    print(f"  inconnu : {email}", file=sys.stderr)
                    failed += 1
                else:
                    ids.append(member_id)
    limited = 0
    for member_id in ids:
        # One transaction per email: a failure stops nothing already sent.
        try:
            with ctx.db.write() as session:
                member = session.get(Member, member_id)
                assert member is not None
                accounts.send_invitation(ctx, session, member)
                sent += 1
        except RateLimited as exc:
            print(f"  non envoyée : {exc.message}", file=sys.stderr)
            limited += 1
    print(f"Invitations envoyées : {sent}" + (f", introuvables : {failed}" if failed else "")
          + (f", non envoyées (limite) : {limited}" if limited else "") + ".")
    return 1 if failed or limited else 0


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from forum.demo import DEMO_PASSWORD, load_demo

    logins = load_demo(ctx)
    if logins is None:
        print("La base contient déjà des membres : données de démonstration non chargées.")
        return 0
    print("Données de démonstration chargées. Comptes (mot de passe commun : " + DEMO_PASSWORD + ") :")
    for email, name, role in logins:
        print(f"  {email:32} {name:18} {role}")
    return 0


def cmd_verify_journal(ctx: Context, args: argparse.Namespace) -> int:
    from forum import journal
    from forum.progress import Progress

    bar = Progress("journal", 0)
    with ctx.db.read() as session:
        verdict = journal.verify(session, progress=lambda done, total: bar.update(done, total))
        count, last = journal.head(session)
    bar.finish()
    if verdict.ok:
        print(f"Journal intègre : {verdict.checked} entrée(s), dernière empreinte {last}.")
        return 0
    print(f"Journal ALTÉRÉ : {verdict.problem}.", file=sys.stderr)
    return 1


def _admin(session: Session, email: str) -> Member:
    from forum.services import accounts

    actor = session.scalar(select(Member).where(Member.email == accounts.normalize_email(email)))
    if actor is None or not actor.is_admin:
        raise DomainError(f"{email} n’est pas un·e administrateur·rice.")
    return actor


def cmd_set_role(ctx: Context, args: argparse.Namespace) -> int:
    from forum.services import accounts

    with ctx.db.write() as session:
        actor = _admin(session, args.by)
        member = session.scalar(select(Member).where(Member.email == accounts.normalize_email(args.email)))
        if member is None:
            print(f"Erreur : membre inconnu : {args.email}", file=sys.stderr)
            return 1
        moderates = accounts.find_federation(session, args.moderates) if args.moderates else None
        if args.moderates and moderates is None:
            print(f"Erreur : fédération inconnue : {args.moderates}", file=sys.stderr)
            return 1
        accounts.set_role(ctx, session, actor, member.id, Role(args.role), moderates)
    print(f"Rôle de {args.email} : {args.role}.")
    return 0


def cmd_set_status(ctx: Context, args: argparse.Namespace) -> int:
    from forum.models import MemberStatus
    from forum.services import accounts

    with ctx.db.write() as session:
        actor = _admin(session, args.by)
        member_id = session.scalar(select(Member.id).where(Member.email == accounts.normalize_email(args.email)))
        if member_id is None:
            print(f"Erreur : membre inconnu : {args.email}", file=sys.stderr)
            return 1
        accounts.set_status(ctx, session, actor, member_id, MemberStatus(args.status), reason=args.reason, days=args.days)
    print(f"Statut de {args.email} : {args.status}.")
    return 0


def cmd_send_digests(ctx: Context, args: argparse.Namespace) -> int:
    from forum.services import notifications

    with ctx.db.write() as session:
        sent = notifications.send_digests(ctx, session)
    if not args.quiet:
        print(f"Résumés envoyés : {sent}.")
    return 0


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from forum.backup import BackupError, backup
    from forum.progress import Progress

    bar = Progress("sauvegarde", 0)
    try:
        backup(ctx.settings, args.destination, progress=lambda done, total: bar.update(done, total))
    except BackupError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    bar.finish()
    print(f"Sauvegarde écrite : {args.destination}")
    return 0


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from forum.backup import BackupError, restore

    ctx.db.dispose()  # no connection of ours may hold the file being replaced
    try:
        restore(ctx.settings, args.source, force=args.force)
    except BackupError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    print("Sauvegarde restaurée. Vérifiez le journal : python -m forum verify-journal")
    return 0


def cmd_seed(ctx: Context, args: argparse.Namespace) -> int:
    from forum.seed import seed

    if min(args.members, args.topics, args.posts) < 1 or args.posts < args.topics:
        print("Erreur : il faut au moins un membre, un sujet, et autant de messages que de sujets.", file=sys.stderr)
        return 2
    seed(ctx, members=args.members, federations=args.federations, topics=args.topics, posts=args.posts)
    print("Données créées.")
    return 0


COMMANDS = {
    "migrate": cmd_migrate,
    "create-member": cmd_create_member,
    "import-roster": cmd_import_roster,
    "invite": cmd_invite,
    "demo": cmd_demo,
    "seed": cmd_seed,
    "verify-journal": cmd_verify_journal,
    "set-role": cmd_set_role,
    "set-status": cmd_set_status,
    "send-digests": cmd_send_digests,
    "backup": cmd_backup,
    "restore": cmd_restore,
}
