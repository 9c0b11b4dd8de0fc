"""Quotes pasted as plain text in the body: the two corpora, and the signals one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.provenance import Draft, check_draft

CORPUS = Path(__file__).parent / "data" / "provenance" / "corpus"
CLEAN = sorted((CORPUS / "clean").glob("*.md"))
HELD = sorted((CORPUS / "held").glob("*.md"))


def codes(body: str, category: str = "general") -> dict[str, str]:
    return {f.code: f.severity for f in check_draft(Draft(body=body, category=category))}


def test_corpora_are_big_enough() -> None:
    assert len(CLEAN) >= 40
    assert len(HELD) >= 40
    assert sum(p.name.startswith("tweet-") for p in HELD) >= 15
    assert sum(p.name.startswith("email-") for p in HELD) >= 15


@pytest.mark.parametrize("path", CLEAN, ids=[p.stem for p in CLEAN])
def test_clean_post_is_not_held(path: Path) -> None:
    # The clean posts are checked under the stricter debate policy (their images are described and sourced).
    findings = check_draft(Draft(body=path.read_text(encoding="utf-8"), category="debate"))
    assert [(f.code, f.severity) for f in findings if f.severity != "info"] == []


@pytest.mark.parametrize("path", HELD, ids=[p.stem for p in HELD])
def test_pasted_post_is_held(path: Path) -> None:
    expected = "pasted_tweet" if path.name.startswith("tweet-") else "pasted_email"
    found = codes(path.read_text(encoding="utf-8"))
    assert found.get(expected) == "hold", found


# --------------------------------------------------------------------------
# Tweets, signal by signal
# --------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "RT @jdupont: ils sont tous nuls",
    "En réponse à @marie_l\nTu n'as rien à dire.",
    "Replying to @mmartin\nNever.",
    "Je ne lâcherai rien.\n10:42 PM · 3 mars 2012",
    "Je ne lâcherai rien.\n22:42 · 3 mars 2012 · 1 234 vues",
    "I will never give up.\n10:42 AM · Mar 3, 2012",
    "I will never give up.\n3:42 PM - 3 Mar 2012",
    "Jean Dupont @jdupont · 3 mars\nTexte.",
    "@jdupont · 5 h\nTexte.",
    "Texte. — Jean Dupont (@jdupont) March 3, 2012",
    "@jdupont\nTexte.\nTraduire le post",
    "Texte.\n12 Retweets\n45 J'aime",
    "Jean Dupont @jdupont\n3 mars 2012\nTexte.",
])
def test_tweet_residue_holds(body: str) -> None:
    assert codes(body).get("pasted_tweet") == "hold"


@pytest.mark.parametrize("body", [
    "Je rejoins @marie_l sur ce point.",
    "@marie_l tu as raison.",
    "En réponse à @marie_l, je dirais que le budget n'est pas un gadget.",
    "Merci @paul_d",
    "Le congrès du 3 mars 2012 a voté la motion.",
    "3 mars 2012",
    "J'aime ce programme.",
    "Retweets et likes ne font pas une politique.",
    "Réponses\n\nCitations",
    "19:00 · 12 mars · Réunion publique",
    "Rendez-vous à 10:42 devant la mairie.",
    "Son tweet du 3 mars a choqué.",
    "Signé : Jean Dupont @jdupont\nMarie Martin @mmartin",
])
def test_ordinary_prose_is_not_a_pasted_tweet(body: str) -> None:
    assert "pasted_tweet" not in codes(body)


# --------------------------------------------------------------------------
# Email headers, signal by signal
# --------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "-----Message d'origine-----\nTexte.",
    "-----Original Message-----\nText.",
    "---------- Forwarded message ---------\nText.",
    "Début du message réexpédié :\n\nTexte.",
    "Le 3 mars 2012 à 10:42, Jean Dupont a écrit :\n> Texte.",
    "Le sam. 3 mars 2012 à 10:42, Jean Dupont <jean@exemple.org> a écrit :",
    "On Sat, Mar 3, 2012 at 10:42 AM, Jean Dupont <jean@exemple.org> wrote:",
    "De : Jean Dupont\nObjet : Liste",
    "From: Jean Dupont\nSubject: List",
    "Envoyé : samedi 3 mars 2012 10:42\nÀ : Luc Moreau",
    "> De : Jean Dupont <jean@exemple.org>\n> À : bureau@exemple.org",
])
def test_email_headers_hold(body: str) -> None:
    assert codes(body).get("pasted_email") == "hold"


@pytest.mark.parametrize("body", [
    "Objet : la réunion de jeudi",
    "Objet de la réunion : le programme.",
    "Il a écrit : « nous ne céderons pas ».",
    "Dans son courriel, il a écrit :\n\n« Je ne serai pas candidat. »",
    "Le 3 mars, il a écrit : « je ne serai pas candidat ».",
    "Pour : 34\nContre : 12\nAbstention : 5",
    "Date : jeudi 12 mars à 19 h\nObjet : assemblée générale\nLieu : salle 3",
    "De : 18 h à 20 h\nÀ : la salle des fêtes",
    "De : la commission électorale\n\nLe calendrier est publié.",
    "Écrivez à secretariat@exemple.org avant le 15 mars.",
])
def test_ordinary_prose_is_not_a_pasted_email(body: str) -> None:
    assert "pasted_email" not in codes(body)


def test_finding_says_which_line() -> None:
    findings = check_draft(Draft(body="Introduction.\n\nAutre paragraphe.\n\nRT @jdupont: texte"))
    assert "ligne 5" in findings[0].message


def test_invisible_characters_do_not_hide_residue() -> None:
    assert codes("R\u200bT @jdupont: texte").get("pasted_tweet") == "hold"
    assert codes("De\u200b : Jean\nObjet\u2060 : Liste").get("pasted_email") == "hold"


def test_windows_line_endings() -> None:
    assert codes("De : Jean Dupont\r\nEnvoyé : samedi 3 mars 2012 10:42\r\n").get("pasted_email") == "hold"


def test_long_tweet_texts_between_bylines_still_make_a_compilation() -> None:
    body = ("Jean Dupont @jdupont\nLa fédération est une coquille vide, et ceux qui la dirigent le savent "
            "très bien depuis longtemps.\n\nSophie Bernard @sbernard\nQu'ils partent, on ne les regrettera "
            "pas, ni eux ni leurs motions interminables et creuses.")
    assert codes(body).get("pasted_tweet") == "hold"
