"""The interface speaks French first, through gettext catalogues; English is the second catalogue."""

from __future__ import annotations

import dataclasses

from starlette.testclient import TestClient

from forum.app import create_app
from forum.context import Context


def test_pages_are_french_by_default(client, world):
    page = client.get("/connexion")
    assert '<html lang="fr">' in page.text
    assert "Mot de passe oublié\u202f?" in page.text and "Aller au contenu" in page.text


def test_english_catalogue_translates_the_interface(ctx, world):
    english = Context.build(dataclasses.replace(ctx.settings, locale="en"), ctx.db)
    with TestClient(create_app(context=english), base_url="http://testserver") as client:
        page = client.get("/connexion")
    assert "Forgot your password?" in page.text and "Skip to content" in page.text
    assert "Mot de passe oublié" not in page.text


def test_dates_are_written_in_french_in_paris_time(client, world):
    import datetime as dt

    from forum.templating import make_environment

    env = make_environment(world.ctx.settings)
    winter = dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.timezone.utc)
    assert env.filters["datetime_fr"](winter) == "16 janvier 2026 à 00:30"
    summer = dt.datetime(2026, 7, 14, 8, 0, tzinfo=dt.timezone.utc)
    assert env.filters["datetime_fr"](summer) == "14 juillet 2026 à 10:00"


def test_recent_moments_are_relative_with_the_exact_date_on_hover(world):
    import datetime as dt

    from forum.templating import make_environment

    env = make_environment(world.ctx.settings)
    now = dt.datetime.now(dt.timezone.utc)
    assert env.filters["when"](now - dt.timedelta(minutes=5)) == "il y a 5 minutes"
    assert env.filters["when"](now - dt.timedelta(seconds=10)) == "à l’instant"
    old = now - dt.timedelta(days=3)
    assert env.filters["when"](old) == env.filters["datetime_fr"](old)
    html = env.from_string('{% from "_macros.html" import time %}{{ time(v) }}').render(v=now - dt.timedelta(hours=2))
    assert "il y a 2 heures" in html and f'title="{env.filters["datetime_fr"](now - dt.timedelta(hours=2))}"' in html
