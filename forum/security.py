"""Password hashing, signed tokens (one serializer per purpose), session ids, CSRF, rate limits.

Nothing here invents cryptography: argon2-cffi hashes passwords, itsdangerous
signs, `secrets` draws randomness, hashlib digests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.errors import FormRateLimited, RateLimited, wait_message
from forum.models import RateEvent, utcnow

# argon2id with the library's current recommended parameters (RFC 9106 low-memory profile).
password_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises on a malformed or missing hash."""
    if not password_hash:
        # Spend the same time as a real check so unknown accounts are not revealed by timing.
        password_hasher.hash(password)
        return False
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return password_hasher.check_needs_rehash(password_hash)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_token() -> str:
    """A random session id of 256 bits."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenPurpose:
    salt: str
    max_age: int


INVITE = TokenPurpose("tribune.invite", 7 * 24 * 3600)
RESET = TokenPurpose("tribune.password-reset", 3600)
CSRF = TokenPurpose("tribune.csrf", 12 * 3600)
_CSRF_REUSE_SECONDS = 60


class Signers:
    """One itsdangerous signer per purpose, each with its own salt and max age."""

    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key
        self.session_cookie = Signer(secret_key, salt="tribune.session-cookie")
        self._serializers: dict[str, URLSafeTimedSerializer] = {}
        self._recent_csrf: dict[str, tuple[float, str]] = {}
        self._verified_cookies: dict[str, str] = {}

    def serializer(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        if purpose.salt not in self._serializers:
            self._serializers[purpose.salt] = URLSafeTimedSerializer(self._secret, salt=purpose.salt)
        return self._serializers[purpose.salt]

    def dumps(self, purpose: TokenPurpose, payload: Any) -> str:
        return self.serializer(purpose).dumps(payload)

    def loads(self, purpose: TokenPurpose, token: str, now: dt.datetime | None = None) -> Any | None:
        """The payload of a valid, unexpired token for this purpose, or None.

        `now` lets the application's (injectable) clock decide expiry.
        """
        try:
            payload, signed_at = self.serializer(purpose).loads(token, return_timestamp=True)
        except BadSignature:
            return None
        age = ((now or utcnow()) - signed_at).total_seconds()
        if age > purpose.max_age or age < -300:
            return None
        return payload

    def sign_session(self, token: str) -> str:
        return self.session_cookie.sign(token).decode()

    def unsign_session(self, cookie: str) -> str | None:
        """The session id a cookie signs, or None. A cookie found valid is remembered (the same
        one comes back on every request): only exact strings already verified skip the HMAC."""
        known = self._verified_cookies.get(cookie)
        if known is not None:
            return known
        try:
            token = self.session_cookie.unsign(cookie).decode()
        except BadSignature:
            return None
        # Only the exact cookie Tribune set is remembered: base64 decoding tolerates variants
        # of a signature, which must not each take a place in the table.
        if self.sign_session(token) == cookie:
            if len(self._verified_cookies) >= 10_000:
                self._verified_cookies.clear()
            self._verified_cookies[cookie] = token
        return token

    def csrf_token(self, binding: str) -> str:
        """A CSRF token bound to the session (or anonymous visitor) id.

        A token minted less than a minute ago for the same binding is handed out again
        (it keeps its own timestamp, so it still expires CSRF.max_age after minting): signing
        costs more than the rest of a cached page.
        """
        now = time.monotonic()
        recent = self._recent_csrf.get(binding)
        if recent is not None and now - recent[0] < _CSRF_REUSE_SECONDS:
            return recent[1]
        token = self.dumps(CSRF, sha256_hex(binding))
        if len(self._recent_csrf) >= 10_000:
            self._recent_csrf.clear()
        self._recent_csrf[binding] = (now, token)
        return token

    def csrf_valid(self, token: str | None, binding: str) -> bool:
        if not token:
            return False
        payload = self.loads(CSRF, token)
        return isinstance(payload, str) and hmac.compare_digest(payload, sha256_hex(binding))


# Rate limits are rows, so that every worker and node counts the same events.


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


LOGIN_PER_ACCOUNT = Limit("login-account", 5, 15 * 60)
LOGIN_PER_IP = Limit("login-ip", 30, 15 * 60)
RESET_EMAILS = Limit("reset-email", 3, 3600)


def _window_start(limit: Limit, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=limit.seconds)


def retry_after(session: Session, limit: Limit, key: str, now: dt.datetime | None = None) -> int:
    """Seconds to wait before `key` may act again under `limit`; 0 when it may act now."""
    now = now or utcnow()
    full_key = f"{limit.name}:{key}"
    rows = session.scalars(
        select(RateEvent.at)
        .where(RateEvent.key == full_key, RateEvent.at > _window_start(limit, now))
        .order_by(RateEvent.at.desc())
        .limit(limit.count)
    ).all()
    if len(rows) < limit.count:
        return 0
    oldest_counted = rows[-1]
    return max(1, int((oldest_counted + dt.timedelta(seconds=limit.seconds) - now).total_seconds()) + 1)


def record_event(session: Session, limit: Limit, key: str, now: dt.datetime | None = None) -> None:
    session.add(RateEvent(key=f"{limit.name}:{key}", at=now or utcnow()))


def throttle(session: Session, limit: Limit, key: str, refusal: str, now: dt.datetime | None = None,
             form_field: str | None = None) -> None:
    """Count one event of `key` under `limit`, or refuse it when the limit is used up.

    `refusal` is the French message, where "{wait}" becomes when to retry ("dans 3 minutes").
    The refusal is a RateLimited, a FormRateLimited on `form_field` when a form should be shown
    again with its draft. A limit counting 0 events is off. Nothing is recorded on refusal.
    """
    if limit.count <= 0 or limit.seconds <= 0:
        return
    now = now or utcnow()
    wait = retry_after(session, limit, key, now)
    if wait:
        message = refusal.format(wait=wait_message(wait))
        if form_field is not None:
            raise FormRateLimited(form_field, message, wait)
        raise RateLimited(message, wait)
    record_event(session, limit, key, now)


def clear_events(session: Session, limit: Limit, key: str) -> None:
    session.execute(delete(RateEvent).where(RateEvent.key == f"{limit.name}:{key}"))


def count_events(session: Session, limit: Limit, key: str) -> int:
    return session.scalar(
        select(func.count()).select_from(RateEvent).where(RateEvent.key == f"{limit.name}:{key}")
    ) or 0
