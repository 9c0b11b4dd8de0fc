"""Members, passwords, sessions, invitations and password resets."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class

from forum import security
from forum.context import Context
from forum.prepared import Prepared
from forum.errors import Forbidden, NotFound, RateLimited, ValidationFailed, wait_message
from forum.models import Federation, Member, MemberStatus, Notification, Role, UsedToken, UserSession

# One @, a dot in the domain, no space and no control character; 254 characters at most.
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def email_ok(email: str) -> bool:
    return len(email) <= 254 and EMAIL_RE.fullmatch(email) is not None


# The idle deadline moves at most once a minute, so reads do not all become writes.
TOUCH_AFTER = dt.timedelta(seconds=60)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_password(password: str, field: str = "password") -> None:
    if len(password) < security.MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            {field: f"Le mot de passe doit compter au moins {security.MIN_PASSWORD_LENGTH} caractères."}
        )
    if len(password) > 1024:
        raise ValidationFailed({field: "Le mot de passe est trop long (1 024 caractères au plus)."})


def find_federation(session: Session, name_or_slug: str) -> Federation | None:
    value = name_or_slug.strip()
    return session.scalar(
        select(Federation).where((Federation.slug == value.lower()) | (Federation.name == value))
    )


NAME_MAX = 100  # members.first_name / last_name


def has_control_character(text: str) -> bool:
    """NUL, CR, LF, tab...: never part of a name or a number (and PostgreSQL cannot store NUL)."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def name_problem(first_name: str, last_name: str) -> str | None:
    """What is wrong with a member's name, in French, or None: both given, not too long, and
    no control character (a NUL cannot even be stored by PostgreSQL)."""
    if not first_name.strip() or not last_name.strip():
        return "Le prénom et le nom sont obligatoires."
    if len(first_name.strip()) > NAME_MAX or len(last_name.strip()) > NAME_MAX:
        return f"Le prénom et le nom ont chacun {NAME_MAX} caractères au plus."
    if has_control_character(first_name + last_name):
        return "Le prénom et le nom ne peuvent pas contenir de caractère de contrôle."
    return None


def create_member(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    federation: Federation | None,
    role: Role = Role.MEMBER,
    moderated_federation: Federation | None = None,
    password: str | None = None,
    membership_number: str | None = None,
) -> Member:
    """Create a member; active with a password, invited without one."""
    email = normalize_email(email)
    errors: dict[str, str] = {}
    if not email_ok(email):
        errors["email"] = "Adresse électronique invalide."
    elif session.scalar(select(Member.id).where(Member.email == email)) is not None:
        errors["email"] = "Un membre utilise déjà cette adresse."
    problem = name_problem(first_name, last_name)
    if problem:
        errors["name"] = problem
    if moderated_federation is not None and role != Role.MODERATOR:
        errors["role"] = "Seul un rôle de modérateur se rattache à une fédération."
    if password is not None:
        try:
            validate_password(password)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    member = Member(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        federation_id=federation.id if federation else None,
        role=role,
        moderated_federation_id=moderated_federation.id if moderated_federation else None,
        membership_number=membership_number,
        status=MemberStatus.ACTIVE if password else MemberStatus.INVITED,
        password_hash=security.hash_password(password) if password else None,
    )
    session.add(member)
    session.flush()
    return member


# --- sessions ---------------------------------------------------------------------------


def open_session(ctx: Context, session: Session, member: Member, ip: str | None, user_agent: str | None) -> str:
    """Start a new server-side session; returns the raw token for the cookie (a new id every login)."""
    token = security.new_session_token()
    now = ctx.clock()
    session.add(
        UserSession(
            token_hash=security.sha256_hex(token),
            member_id=member.id,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    return token


# Built once: this runs on every request, and building a statement costs more than running it.
_UNREAD = (
    select(func.count()).select_from(Notification)
    .where(Notification.member_id == Member.id, Notification.read_at.is_(None))
    .correlate(Member).scalar_subquery()
)
_MEMBER_COLUMNS = tuple(Member.__table__.columns)
_SESSION_BY_HASH = Prepared(
    select(UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.revoked_at,
           _UNREAD.label("unread"), *_MEMBER_COLUMNS)
    .join(Member, Member.id == UserSession.member_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)
_MEMBER_KEYS = tuple(column.key for column in _MEMBER_COLUMNS)


class LiveSession(NamedTuple):
    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime


def load_session(ctx: Context, connection: Connection, token: str) -> tuple[LiveSession, Member, int] | None:
    """The live session, its member and their unread notifications for a raw token; None when
    the session is revoked or expired, or the member is not active.

    It runs on every request: one Core query, and the member built from its columns as a
    detached instance, the state a member loaded by a closed session is in anyway.
    """
    values = _SESSION_BY_HASH.first(connection, {"token_hash": security.sha256_hex(token)})
    if values is None:
        return None
    session_id, created_at, last_seen_at, revoked_at, unread = values[:5]
    now = ctx.clock()
    settings = ctx.settings
    if revoked_at is not None:
        return None
    if now - created_at > dt.timedelta(seconds=settings.session_absolute_seconds):
        return None
    if now - last_seen_at > dt.timedelta(seconds=settings.session_idle_seconds):
        return None
    if values[5 + _MEMBER_KEYS.index("status")] != MemberStatus.ACTIVE:
        return None
    # As the ORM loads a row: a new instance, its columns written straight into its state.
    member = manager_of_class(Member).new_instance()
    member.__dict__.update(zip(_MEMBER_KEYS, values[5:]))
    make_transient_to_detached(member)
    return LiveSession(session_id, created_at, last_seen_at), member, unread or 0


def touch_session(ctx: Context, session: Session, user_session: LiveSession) -> None:
    """Move the idle deadline of a session (callers do it at most every TOUCH_AFTER)."""
    now = ctx.clock()
    if now - user_session.last_seen_at > TOUCH_AFTER:
        session.execute(
            update(UserSession).where(UserSession.id == user_session.id).values(last_seen_at=now)
        )


def revoke_session(ctx: Context, session: Session, token: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == security.sha256_hex(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=ctx.clock())
    )


def revoke_all_sessions(ctx: Context, session: Session, member_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.member_id == member_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=ctx.clock())
    )


# --- passwords and single-use tokens ------------------------------------------------------


def _fingerprint(member: Member) -> str:
    # Changes whenever the password changes, so every older link dies with it.
    return security.sha256_hex(member.password_hash or "no-password")[:16]


def make_token(ctx: Context, purpose: security.TokenPurpose, member: Member) -> str:
    return ctx.signers.dumps(
        purpose, {"m": member.id, "f": _fingerprint(member), "n": secrets.token_urlsafe(8)}
    )


def member_for_token(ctx: Context, session: Session, purpose: security.TokenPurpose, token: str) -> Member:
    """The member a valid, unused token of this purpose was made for; NotFound otherwise."""
    invalid = NotFound("Ce lien n’est plus valable : il a expiré ou a déjà servi. Demandez-en un nouveau.")
    payload = ctx.signers.loads(purpose, token, ctx.clock())
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        raise invalid
    if session.get(UsedToken, security.sha256_hex(token)) is not None:
        raise invalid
    member = session.get(Member, payload["m"])
    if member is None or payload.get("f") != _fingerprint(member):
        raise invalid
    if member.status in (MemberStatus.SUSPENDED, MemberStatus.LEFT):
        raise invalid
    return member


def set_password_with_token(
    ctx: Context, session: Session, purpose: security.TokenPurpose, token: str, password: str, confirm: str
) -> Member:
    """Spend an invitation or reset link: set the password, activate, revoke every session."""
    member = member_for_token(ctx, session, purpose, token)
    validate_password(password)
    if password != confirm:
        raise ValidationFailed({"confirm": "Les deux mots de passe ne sont pas identiques."})
    session.add(UsedToken(token_hash=security.sha256_hex(token), purpose=purpose.salt, used_at=ctx.clock()))
    member.password_hash = security.hash_password(password)
    member.password_changed_at = ctx.clock()
    member.status = MemberStatus.ACTIVE
    revoke_all_sessions(ctx, session, member.id)
    session.flush()
    return member


def send_invitation(ctx: Context, session: Session, member: Member) -> str:
    """Email a 7-day single-use link to set a password; returns the link."""
    if member.status not in (MemberStatus.INVITED, MemberStatus.ACTIVE):
        raise Forbidden("Ce membre ne peut pas être invité.")
    # However the command is run (a loop, a cron gone wrong, several admins), one mailbox
    # does not get flooded: counted per recipient, in the database.
    per_day = ctx.settings.invitations_per_day
    security.throttle(
        session, security.Limit("invitation", per_day, 86400), str(member.id),
        f"{member.email} a déjà reçu {per_day} invitation{'s' if per_day > 1 else ''} en 24 heures. "
        "Réessayez {wait}.", ctx.clock())
    link = ctx.url(f"/invitation/{make_token(ctx, security.INVITE, member)}")
    ctx.mailer.send_template(member.email, "Votre invitation à Tribune", "invitation",
                             {"first_name": member.first_name, "link": link})
    return link


def request_password_reset(ctx: Context, session: Session, email: str, ip: str) -> None:
    """Email a 1-hour single-use reset link if the address is a member's. Silent otherwise."""
    email = normalize_email(email)
    now = ctx.clock()
    for key in (email, f"ip:{ip}"):
        wait = security.retry_after(session, security.RESET_EMAILS, key, now)
        if wait:
            raise RateLimited(
                "Trop de demandes de réinitialisation. Réessayez " + wait_message(wait) + ".", wait
            )
    security.record_event(session, security.RESET_EMAILS, email, now)
    security.record_event(session, security.RESET_EMAILS, f"ip:{ip}", now)
    member = session.scalar(select(Member).where(Member.email == email))
    if member is None or member.status != MemberStatus.ACTIVE:
        return
    link = ctx.url(f"/mot-de-passe/nouveau/{make_token(ctx, security.RESET, member)}")
    ctx.mailer.send_template(member.email, "Réinitialiser votre mot de passe Tribune", "password_reset",
                             {"first_name": member.first_name, "link": link})


def change_password(ctx: Context, session: Session, member: Member, current: str, new: str, confirm: str) -> None:
    """Change one's own password; every session of the member is revoked (the caller opens a new one)."""
    if not security.verify_password(member.password_hash, current):
        raise ValidationFailed({"current": "Le mot de passe actuel est incorrect."})
    validate_password(new, "new")
    if new != confirm:
        raise ValidationFailed({"confirm": "Les deux mots de passe ne sont pas identiques."})
    member.password_hash = security.hash_password(new)
    member.password_changed_at = ctx.clock()
    revoke_all_sessions(ctx, session, member.id)
    session.flush()


def apply_status(ctx: Context, session: Session, member: Member, status: MemberStatus, days: int | None = None) -> None:
    """Change a member's status; any status but active kills their sessions at once."""
    member.status = status
    member.suspended_until = ctx.clock() + dt.timedelta(days=days) if status == MemberStatus.SUSPENDED and days else None
    if status != MemberStatus.ACTIVE:
        revoke_all_sessions(ctx, session, member.id)
    session.flush()


def set_status(ctx: Context, session: Session, actor: Member, member_id: int, status: MemberStatus,
               reason: str = "", days: int | None = None) -> Member:
    """An admin suspends (for N days or until lifted), reactivates or marks a departure; journalled."""
    from forum import journal

    if not actor.is_admin:
        raise Forbidden()
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound()
    if member.id == actor.id:
        raise Forbidden("Vous ne pouvez pas changer votre propre statut.")
    if days is not None and days < 1:
        raise ValidationFailed({"days": "La durée d’une suspension se compte en jours, un au moins."})
    apply_status(ctx, session, member, status, days)
    journal.append(session, "member_status", {"status": status.value, "days": days},
                   {"member_id": member.id, "by": actor.id, "reason": reason}, now=ctx.clock())
    return member


def set_role(ctx: Context, session: Session, actor: Member, member_id: int, role: Role,
             moderated_federation: Federation | None = None) -> Member:
    """An admin changes a member's role (and a moderator's federation); journalled."""
    from forum import journal

    if not actor.is_admin:
        raise Forbidden()
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound()
    if moderated_federation is not None and role != Role.MODERATOR:
        raise ValidationFailed({"role": "Seul un rôle de modérateur se rattache à une fédération."})
    previous = member.role
    member.role = role
    member.moderated_federation_id = moderated_federation.id if moderated_federation else None
    journal.append(session, "role_change",
                   {"from": previous.value, "to": role.value, "scope": "federation" if moderated_federation else "national"},
                   {"member_id": member.id, "by": actor.id}, now=ctx.clock())
    session.flush()
    return member


def login(ctx: Context, email: str, password: str, ip: str, user_agent: str | None) -> tuple[Member, str]:
    """Check credentials and open a session; returns the member and the raw session token.

    The password is verified outside any write transaction (argon2 takes tens of
    milliseconds and must not hold SQLite's write lock); a failure is recorded
    and committed before the error is raised, so throttling counts it.
    """
    email = normalize_email(email)
    now = ctx.clock()
    with ctx.db.read() as session:
        for limit, key in ((security.LOGIN_PER_ACCOUNT, email), (security.LOGIN_PER_IP, ip)):
            wait = security.retry_after(session, limit, key, now)
            if wait:
                raise RateLimited("Trop de tentatives de connexion. Réessayez " + wait_message(wait) + ".", wait)
        found = session.execute(select(Member.id, Member.password_hash).where(Member.email == email)).first()
    ok = security.verify_password(found.password_hash if found else None, password)
    with ctx.db.write() as session:
        if not ok or found is None:
            security.record_event(session, security.LOGIN_PER_ACCOUNT, email, now)
            security.record_event(session, security.LOGIN_PER_IP, ip, now)
        else:
            member = session.get(Member, found.id)
            assert member is not None and member.password_hash is not None
            if member.status == MemberStatus.SUSPENDED and member.suspended_until and member.suspended_until <= now:
                member.status = MemberStatus.ACTIVE  # a suspension for N days ends by itself
                member.suspended_until = None
            if member.status == MemberStatus.SUSPENDED:
                until = (" jusqu’au " + member.suspended_until.strftime("%d/%m/%Y")) if member.suspended_until else ""
                raise Forbidden(f"Votre compte est suspendu{until} : vous ne pouvez pas vous connecter.")
            if member.status != MemberStatus.ACTIVE:
                raise Forbidden("Ce compte n’est pas actif.")
            if security.needs_rehash(member.password_hash):
                member.password_hash = security.hash_password(password)
            security.clear_events(session, security.LOGIN_PER_ACCOUNT, email)
            token = open_session(ctx, session, member, ip, user_agent)
            return member, token
    raise ValidationFailed({"email": "Adresse ou mot de passe incorrect."})
