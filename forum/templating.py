"""Jinja2 environment: autoescaped, French through gettext (Babel), dates in Europe/Paris.

Templates are found through a search path: a deployment may put a folder in
TRIBUNE_TEMPLATE_DIR to override any single template.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup

from forum.settings import PROJECT_ROOT, Settings

LOCALE_DIR = Path(__file__).parent / "locale"
FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre")


def make_environment(settings: Settings) -> Environment:
    paths = [str(PROJECT_ROOT / "templates")]
    override = os.environ.get("TRIBUNE_TEMPLATE_DIR")
    if override:
        paths.insert(0, override)
    env = Environment(
        loader=FileSystemLoader(paths),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=settings.debug,
    )
    translations = Translations.load(str(LOCALE_DIR), [settings.locale], domain="messages")
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    _memoise_gettext(env, translations)
    tz = ZoneInfo(settings.timezone)
    locale = settings.locale

    # Pages show the same moments again and again (a post's date on every view): the text of a
    # given instant never changes, so it is kept.
    @functools.lru_cache(maxsize=16384)
    def datetime_fr(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        if locale == "fr":
            # The hottest filter of every page: Babel's general formatter costs ~100 µs a call.
            return f"{local.day} {FRENCH_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
        return format_datetime(local, "d MMMM y 'à' HH:mm", locale=locale)

    def iso(value: dt.datetime) -> str:
        return value.astimezone(tz).isoformat(timespec="minutes")

    # Babel's format_timedelta costs ~20 µs and its text depends only on the whole seconds
    # of the delta (it truncates them first): memoise it on that integer.
    @functools.lru_cache(maxsize=8192)
    def _ago_seconds(seconds: int) -> str:
        return format_timedelta(seconds, add_direction=True, locale=locale, threshold=1.1)

    def _ago(delta: dt.timedelta) -> str:
        return _ago_seconds(delta.days * 86400 + delta.seconds)

    def ago(value: dt.datetime) -> str:
        return _ago(value - dt.datetime.now(dt.timezone.utc))

    zero, minute, day = dt.timedelta(0), dt.timedelta(minutes=1), dt.timedelta(hours=24)
    just_now = "à l’instant" if locale == "fr" else "just now"

    def when(value: dt.datetime | None) -> str:
        """Relative for the past 24 hours ("il y a 5 minutes"), the full date otherwise."""
        if value is None:
            return ""
        age = dt.datetime.now(dt.timezone.utc) - value
        if zero <= age < day:
            if age < minute:
                return just_now
            return _ago(-age)  # ago(value), without asking the clock again
        return datetime_fr(value)

    @functools.lru_cache(maxsize=4096)
    def said_on(value: str) -> str:
        """A quote's declared date as typed in the form (ISO 8601), in words: "14 mai 2019", "14 mai 2019 à
        18:42" (a time with an offset is shown in the forum's time zone); anything else as it was typed."""
        try:
            if "T" not in value and " " not in value.strip():
                day = dt.date.fromisoformat(value.strip())
                if locale == "fr":
                    return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"
                return format_datetime(dt.datetime(day.year, day.month, day.day), "d MMMM y", locale=locale)
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(tz)
        if locale == "fr":
            return f"{moment.day} {FRENCH_MONTHS[moment.month - 1]} {moment.year} à {moment:%H:%M}"
        return format_datetime(moment, "d MMMM y, HH:mm", locale=locale)

    def thousands(value: int) -> str:
        return f"{value:,}".replace(",", "\u202f")

    env.filters.update(datetime_fr=datetime_fr, iso=iso, ago=ago, when=when, thousands=thousands, initials=initials,
                       said_on=said_on)
    return env


_ELIDED_PARTICLE = re.compile(r"^[dl][’']", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """An avatar's two letters: the initials of the first and the last word of a name ("Léa Moreau" -> "LM",
    "Zoé d’Aubigné" -> "ZA"); one letter for a one-word name, nothing for an empty one."""
    words = [_ELIDED_PARTICLE.sub("", word) for word in name.split()]
    words = [word for word in words if word]
    if not words:
        return ""
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def _memoise_gettext(env: Environment, translations: Any) -> None:
    """`_("literal")` without variables gives the same Markup for the life of the process: compute it
    once. Same result as Jinja's newstyle gettext (Markup when autoescaping, then `% variables`)."""
    plain = translations.gettext
    done: dict[tuple[str, bool], str] = {}

    @pass_context
    def gettext(__context: Any, __string: str, **variables: Any) -> str:
        autoescape = __context.eval_ctx.autoescape
        key = (__string, autoescape)
        if not variables:
            cached = done.get(key)
            if cached is not None:
                return cached
        rv = plain(__string)
        if autoescape:
            rv = Markup(rv)
        result = rv % variables
        if not variables and len(done) < 4096:
            done[key] = result
        return result

    env.globals.update(gettext=gettext, _=gettext)


def context_defaults(request: Any) -> dict[str, Any]:
    """Variables every page needs: the visitor, the CSRF token, the CSP nonce, the site header."""
    from forum.web import csrf_token, member_of, site_header

    return {
        "me": member_of(request),
        "csrf_token": lambda: csrf_token(request),
        "site_header": lambda: site_header(request),
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "unread": getattr(request.state, "unread", 0),
    }
