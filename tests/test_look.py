"""What a reader sees at a glance: avatars from the initials of the first and last name, quote cards
that say their kind, their date in words, their source's domain and, in words as well as colour, what
was checked."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import html5lib
import pytest

from forum.templating import initials
from tests.conftest import login
from tests.test_quotes_http import PARIS, submit, tweet_quote


def _html(page: str) -> ET.Element:
    return html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


@pytest.mark.parametrize(("name", "letters"), [
    ("Léa Moreau", "LM"),
    ("Jean-Pierre de La Fontaine", "JF"),  # first and last word, whatever comes between
    ("Zoé d’Aubigné", "ZA"),  # the elided particle is not the name's initial
    ("anne l'Hermite", "AH"),
    ("Cher", "C"),
    ("  ", ""),
])
def test_initials_are_the_first_and_last_names_first_letters(name: str, letters: str):
    assert initials(name) == letters


def test_quote_card_shows_kind_domain_and_checks_in_words(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    when = dt.datetime(2012, 3, 14, 10, 42, tzinfo=PARIS)
    data = {"title": "Un tweet de 2012", "body": "La citation, avec sa source.", "quote_count": "1"}
    data |= tweet_quote(0, "Jean Dupont", "jdupont", when, "Les militants de base ne comprennent rien.",
                        "Réponse à un journaliste pendant les municipales de 2012.")
    data["q-0-archive_url"] = "https://copies.example.org/jdupont"  # not an archive the checker can read
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data)
    assert response.status_code == 303
    page = _html(client.get(response.headers["location"]).text)

    avatar = page.find(".//article//span[@class='avatar']")
    assert avatar is not None and _text(avatar) == "LT"  # Lea Test

    [card] = page.findall(".//figure")
    assert "quote-card" in _classes(card)
    kind = card.find(".//span[@class='quote-kind']")
    assert kind is not None and _text(kind) == "𝕏 Tweet / post X"
    said = card.find(".//figcaption//time")
    assert said is not None and said.get("datetime") == "2012-03-14" and _text(said) == "14 mars 2012"
    source = [a for a in card.iter("a") if (a.get("href") or "").startswith("https://twitter.com/jdupont/status/")]
    assert [_text(a) for a in source] == ["twitter.com"]

    badges = card.findall(".//ul[@class='badges']/li")
    confirmed = [_text(b) for b in badges if "badge-info" in _classes(b)]
    unchecked = [_text(b) for b in badges if "badge-unchecked" in _classes(b)]
    assert confirmed and all(text.startswith("✓ Vérifié — ") for text in confirmed)
    assert any("date cohérente avec l’identifiant du tweet" in text for text in confirmed)
    # The archive could not be read: said so, in grey and in words, never with the green check.
    assert unchecked and all(text.startswith("ℹ À savoir — ") for text in unchecked)
    assert any("archive" in text for text in unchecked)
    assert not any("archive" in text for text in confirmed)


def test_only_confirming_codes_get_the_green_check(app):
    from moderation.provenance.model import CODES

    confirmed = app.state.templates.env.get_template("_quote_card.html").module.confirmed_codes
    assert confirmed and all(CODES.get(code) == "info" for code in confirmed)
    # What could not be checked, or only partly, is not "Vérifié".
    for code in ("tweet_date_unchecked", "archive_unchecked", "dkim_absent", "dkim_valid_other_domain",
                 "email_unverified"):
        assert code not in confirmed


def test_a_quotes_declared_date_is_written_in_words(app):
    said_on = app.state.templates.env.filters["said_on"]
    assert said_on("2012-03-14") == "14 mars 2012"
    assert said_on("2012-03-14T22:42") == "14 mars 2012 à 22:42"  # as declared, no time zone to convert
    assert said_on("2012-03-14T21:42:00+00:00") == "14 mars 2012 à 22:42"  # shown in Paris time
    assert said_on("mars 2012") == "mars 2012"  # not a date the form makes: left as typed
