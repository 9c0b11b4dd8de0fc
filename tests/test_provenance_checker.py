"""check_draft as a whole: required fields, sources, dates, suspicious characters, internal quotes,
compilations, images in debates."""

from __future__ import annotations

import re
import timeit
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.provenance import (
    CODES,
    KINDS,
    QUOTE_FIELDS,
    SEVERITIES,
    Attachment,
    Draft,
    Finding,
    Quote,
    check_draft,
    is_blocking,
    is_held,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def article(**overrides: object) -> Quote:
    fields: dict[str, object] = dict(
        kind="article",
        author="Jean Dupont",
        said_at="2012-03-04",
        source_url="https://www.leprogres.fr/politique/2012/03/04/municipales",
        context="Entretien au Progrès pendant la campagne municipale.",
        text="Je ne ferai jamais alliance avec eux.",
    )
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def run(*quotes: Quote, body: str = "", category: str = "general", **kwargs: object) -> dict[str, str]:
    findings = check_draft(Draft(body=body, category=category, quotes=list(quotes)), now=NOW, **kwargs)  # type: ignore[arg-type]
    return {f.code: f.severity for f in findings}


def holds(codes: dict[str, str]) -> set[str]:
    return {c for c, s in codes.items() if s in ("hold", "block")}


# --------------------------------------------------------------------------
# Shape of the interface
# --------------------------------------------------------------------------


def test_clean_article_quote_has_no_finding() -> None:
    assert check_draft(Draft(body="Voici ce qu'il disait.", quotes=[article()]), now=NOW) == []


def test_findings_carry_the_published_fields() -> None:
    findings = check_draft(Draft(quotes=[article(context="", source_url="")]), now=NOW)
    assert findings, "expected findings"
    for f in findings:
        assert isinstance(f, Finding)
        assert f.code.isidentifier() and f.code == f.code.lower()
        assert f.severity in SEVERITIES
        # A sentence telling the author what to do.
        assert f.message[0].isupper() and f.message.endswith("."), f.message
        assert f.quote_index == 0
        assert f.field in QUOTE_FIELDS
        assert set(f.to_dict()) == {"code", "severity", "message", "quote_index", "field"}


def test_messages_use_french_typography() -> None:
    findings = check_draft(Draft(quotes=[article(context="")]), now=NOW)
    message = next(f.message for f in findings if f.code == "context_missing")
    assert "Donnez le contexte" in message
    assert " :" not in message  # a no-break space, never a plain one, before a colon
    assert message.endswith(".")


def test_body_findings_have_no_quote_index() -> None:
    findings = check_draft(Draft(body="RT @jdupont: ils sont tous nuls"), now=NOW)
    assert [(f.code, f.quote_index, f.field) for f in findings] == [("pasted_tweet", None, None)]


def test_published_code_list_matches_the_code() -> None:
    # Every Finding("code", "severity", …) written in the checker, and nothing else, is in CODES.
    source = "".join(p.read_text(encoding="utf-8")
                     for p in (Path(__file__).parent.parent / "moderation" / "provenance").glob("*.py")
                     if p.name != "model.py")
    emitted = set(re.findall(r'Finding\(\s*"([a-z_]+)", "(block|hold|info)"', source))
    assert emitted == set(CODES.items())  # a code never changes severity


def test_helpers_is_held_and_is_blocking() -> None:
    info = [Finding("tweet_date_consistent", "info", "date cohérente")]
    hold = [*info, Finding("pasted_tweet", "hold", "…")]
    block = [*hold, Finding("text_missing", "block", "…")]
    assert not is_held(info) and is_held(hold) and is_held(block)
    assert not is_blocking(hold) and is_blocking(block)


def test_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError):
        Draft(category="sport")


# --------------------------------------------------------------------------
# Required fields
# --------------------------------------------------------------------------


def test_context_required_blocks() -> None:
    assert run(article(context="  "))["context_missing"] == "block"


def test_text_required_blocks() -> None:
    assert run(article(text=""))["text_missing"] == "block"


def test_unknown_kind_blocks() -> None:
    assert run(article(kind="fax"))["quote_kind_unknown"] == "block"


def test_author_missing_holds() -> None:
    assert run(article(author="", handle=""))["author_missing"] == "hold"


def test_every_kind_is_accepted() -> None:
    for kind in KINDS:
        codes = run(article(kind=kind, quoted_text="Je ne ferai jamais alliance avec eux."))
        assert "quote_kind_unknown" not in codes, kind


# --------------------------------------------------------------------------
# Sources and dates
# --------------------------------------------------------------------------


def test_no_source_url_and_no_attachment_holds() -> None:
    assert run(article(source_url=""))["source_missing"] == "hold"


def test_attachment_counts_as_a_source() -> None:
    codes = run(article(kind="document", source_url="", attachment=Attachment("compte-rendu.pdf", b"%PDF-1.4")))
    assert "source_missing" not in codes
    assert holds(codes) == set()


def test_source_that_is_not_a_web_address_blocks() -> None:
    assert run(article(source_url="javascript:alert(1)"))["source_url_malformed"] == "block"
    assert run(article(source_url="Le Progrès, page 4"))["source_url_malformed"] == "block"


def test_unreadable_date_blocks() -> None:
    assert run(article(said_at="3 mars 2012"))["said_at_invalid"] == "block"
    assert run(article(said_at="2012-02-30"))["said_at_invalid"] == "block"


def test_missing_date_holds() -> None:
    assert run(article(said_at=None))["said_at_missing"] == "hold"


def test_date_in_the_future_holds() -> None:
    assert run(article(said_at="2026-03-01"))["said_at_in_future"] == "hold"


def test_date_objects_are_accepted() -> None:
    from datetime import date

    assert holds(run(article(said_at=date(2012, 3, 4)))) == set()
    assert holds(run(article(said_at=datetime(2012, 3, 4, 10, 0)))) == set()


# --------------------------------------------------------------------------
# Suspicious characters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_in_handle_holds(char: str) -> None:
    findings = check_draft(Draft(quotes=[article(handle=f"@jdu{char}pont")]), now=NOW)
    match = [f for f in findings if f.code == "invisible_character"]
    assert match and match[0].severity == "hold" and match[0].field == "handle"


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                                  "\u2068", "\u2069"])
def test_bidi_controls_in_author_hold(char: str) -> None:
    assert run(article(author=f"Jean {char}Dupont"))["invisible_character"] == "hold"


def test_cyrillic_letter_inside_a_latin_word_holds() -> None:
    findings = check_draft(Draft(quotes=[article(author="Jеan Dupont")]), now=NOW)  # Cyrillic е
    match = [f for f in findings if f.code == "mixed_script"]
    assert match and match[0].severity == "hold" and match[0].field == "author"
    assert run(article(handle="@jdupоnt"))["mixed_script"] == "hold"  # Cyrillic о


def test_names_in_other_scripts_and_accents_are_fine() -> None:
    assert "mixed_script" not in run(article(author="Hélène Lefèvre-Ødegård"))
    assert "mixed_script" not in run(article(author="Дмитрий Петров"))
    assert "mixed_script" not in run(article(author="Jean Dupont Дмитрий"))
    assert "mixed_script" not in run(article(author="山田 はなこ"))


def test_punycode_host_in_source_holds() -> None:
    findings = check_draft(Draft(quotes=[article(source_url="https://xn--twtter-3ve.com/jdupont")]), now=NOW)
    match = [f for f in findings if f.code == "punycode_host"]
    assert match and match[0].severity == "hold" and match[0].field == "source_url"


def test_unicode_lookalike_host_in_archive_holds() -> None:
    codes = run(article(archive_url="https://web.аrchive.org/web/20120305000000/https://exemple.org/"))
    assert codes["punycode_host"] == "hold"
    assert codes["mixed_script"] == "hold"


def test_zero_width_in_link_holds() -> None:
    assert run(article(source_url="https://www.leprogres.fr/\u200bpolitique"))["invisible_character"] == "hold"


def test_suspicious_link_in_body_holds() -> None:
    findings = check_draft(Draft(body="Lisez [ceci](https://xn--80ak6aa92e.com/candidat) avant le vote."), now=NOW)
    assert [(f.code, f.severity, f.quote_index) for f in findings] == [("punycode_host", "hold", None)]


# --------------------------------------------------------------------------
# Compilations
# --------------------------------------------------------------------------


def test_tweet_compilation_in_one_quote_holds() -> None:
    text = ("Jean Dupont @jdupont · 3 mars 2012\nIls sont tous achetés.\n\n"
            "Sophie Bernard @sbernard · 4 mars 2012\nDes incapables.")
    findings = check_draft(Draft(quotes=[article(kind="social", text=text)]), now=NOW)
    match = [f for f in findings if f.code == "quote_compilation"]
    assert match and match[0].severity == "hold" and match[0].field == "text"
    assert "@jdupont" in match[0].message and "@sbernard" in match[0].message


def test_compilation_of_line_start_handles_holds() -> None:
    text = "@jdupont : ils sont tous achetés\n@sbernard : des incapables"
    assert run(article(kind="social", text=text))["quote_compilation"] == "hold"


def test_email_compilation_in_one_quote_holds() -> None:
    text = ("De : Jean Dupont\nPas elle.\n\n"
            "De : Sophie Bernard\nSurtout pas elle.")
    assert run(article(kind="email", text=text))["quote_compilation"] == "hold"
    text = ("Le 3 mars 2012 à 10:42, Jean Dupont a écrit :\n> Pas elle.\n"
            "Le 4 mars 2012 à 09:15, Sophie Bernard a écrit :\n> Surtout pas elle.")
    assert run(article(kind="email", text=text))["quote_compilation"] == "hold"


def test_single_reply_tweet_is_not_a_compilation() -> None:
    # A reply starts with the handles it answers: one line, one author.
    codes = run(article(kind="social", text="@marie_l @paul_d Vous avez raison, je retire ma motion."))
    assert "quote_compilation" not in codes


def test_same_author_thread_is_not_a_compilation() -> None:
    text = "@jdupont · 3 mars 2012\n1/ Première partie.\n@jdupont · 3 mars 2012\n2/ Seconde partie."
    assert "quote_compilation" not in run(article(kind="social", text=text))


# --------------------------------------------------------------------------
# Internal quotes
# --------------------------------------------------------------------------

POST = """## Ma position sur les alliances

Je le dis clairement : **nous ne ferons pas alliance** avec ceux qui ont voté
le budget d'austérité. En revanche, je suis prête à discuter avec
[les écologistes](https://exemple.org/ecolo) dès le premier tour.
"""


def internal(text: str, **overrides: object) -> Quote:
    fields: dict[str, object] = dict(kind="internal", author="Marie Martin", source_url="/t/12#p34",
                                     context="Sa réponse dans le fil sur les alliances.", text=text, quoted_post=34)
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def test_internal_quote_found_verbatim_through_markdown() -> None:
    codes = run(internal("nous ne ferons pas alliance avec ceux qui ont voté le budget d'austérité"),
                quoted_post_lookup=lambda q: [POST])
    assert codes == {"internal_text_found": "info"}


def test_internal_quote_with_elision_in_order() -> None:
    text = "Je le dis clairement : nous ne ferons pas alliance […] je suis prête à discuter avec les écologistes"
    assert run(internal(text), quoted_post_lookup=lambda q: [POST]) == {"internal_text_found": "info"}


def test_internal_quote_out_of_order_blocks() -> None:
    text = "je suis prête à discuter […] nous ne ferons pas alliance"
    findings = check_draft(Draft(quotes=[internal(text)]), quoted_post_lookup=lambda q: [POST], now=NOW)
    assert [(f.code, f.severity, f.field) for f in findings] == [("internal_text_not_found", "block", "text")]


def test_internal_quote_altered_blocks() -> None:
    # Dropping the "ne … pas" turns the sentence around.
    text = "nous ferons alliance avec ceux qui ont voté le budget d'austérité"
    assert run(internal(text), quoted_post_lookup=lambda q: [POST])["internal_text_not_found"] == "block"


def test_internal_quote_from_an_older_revision() -> None:
    current = "Je suis prête à discuter avec tout le monde."
    codes = run(internal("nous ne ferons pas alliance"), quoted_post_lookup=lambda q: [current, POST])
    assert codes == {"internal_text_in_older_revision": "info"}


def test_internal_quoted_text_given_directly() -> None:
    assert run(internal("nous ne ferons pas alliance", quoted_text=POST)) == {"internal_text_found": "info"}
    assert run(internal("nous ne ferons pas alliance", quoted_text=["autre", POST])) == {
        "internal_text_in_older_revision": "info"}


def test_lookup_receives_the_quote_and_missing_post_blocks() -> None:
    seen: list[object] = []

    def lookup(q: Quote) -> None:
        seen.append(q.quoted_post)
        return None

    assert run(internal("nous ne ferons pas alliance"), quoted_post_lookup=lookup) == {
        "internal_post_not_found": "block"}
    assert seen == [34]


def test_internal_quote_without_any_revision_holds() -> None:
    assert run(internal("nous ne ferons pas alliance")) == {"internal_post_unchecked": "hold"}


def test_internal_quote_needs_no_date_or_url() -> None:
    codes = run(internal("nous ne ferons pas alliance", source_url="", said_at=None, author=""),
                quoted_post_lookup=lambda q: POST)
    assert codes == {"internal_text_found": "info"}


# --------------------------------------------------------------------------
# Images in a debate category
# --------------------------------------------------------------------------


def test_debate_image_without_alt_or_source_holds() -> None:
    codes = run(body="Regardez :\n\n![](capture.png)\n\nÉdifiant.", category="debate")
    assert codes["image_description_missing"] == "hold"
    assert codes["image_source_missing"] == "hold"


def test_debate_image_with_filename_as_alt_holds() -> None:
    body = "![IMG_2041.jpg](IMG_2041.jpg)\nSource : photo de l'auteur"
    codes = run(body=body, category="debate")
    assert codes == {"image_description_missing": "hold"}


def test_debate_image_with_alt_and_caption_is_fine() -> None:
    body = "![Tract de la section appelant à la grève du 5 décembre](tract.png)\nSource : section de Tours"
    assert run(body=body, category="debate") == {}


def test_debate_image_with_title_as_source_is_fine() -> None:
    body = '![Carte des 14 sections du département](carte.png "Source : fichier des adhérents")'
    assert run(body=body, category="debate") == {}


def test_debate_image_with_alt_only_holds_for_source() -> None:
    body = "![Affiche de la réunion publique du 12 mars](affiche.png)\n\nVenez nombreux."
    assert run(body=body, category="debate") == {"image_source_missing": "hold"}


def test_debate_reference_and_html_images() -> None:
    body = '![Affiche de la réunion][affiche]\n\n[affiche]: https://exemple.org/a.png "Source : section"\n'
    assert run(body=body, category="debate") == {}
    assert run(body='<img src="a.png">', category="debate") == {
        "image_description_missing": "hold", "image_source_missing": "hold"}
    assert run(body='<img src="a.png" alt="Affiche de la fête de la rose" title="Source : section">',
               category="debate") == {}


def test_general_category_does_not_check_images() -> None:
    assert run(body="![](capture.png)", category="general") == {}


def test_debate_body_attachment_needs_description_and_source() -> None:
    bare = Attachment("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    draft = Draft(body="Photo de la réunion.", category="debate", attachments=[bare])
    assert {f.code for f in check_draft(draft, now=NOW)} == {"image_description_missing", "image_source_missing"}
    described = Attachment("photo.jpg", bare.data, description="Salle comble à la réunion de Vienne",
                           source="Photo de Karim, section de Vienne")
    assert check_draft(Draft(body="Photo.", category="debate", attachments=[described]), now=NOW) == []
    not_image = Attachment("motion.pdf", b"%PDF-1.4")
    assert check_draft(Draft(body="La motion.", category="debate", attachments=[not_image]), now=NOW) == []


def test_debate_markdown_image_of_an_attachment_uses_its_fields() -> None:
    attached = Attachment("tract.png", PNG, description="Tract de la section", source="Section de Tours")
    draft = Draft(body="![](tract.png)", category="debate", attachments=[attached])
    assert check_draft(draft, now=NOW) == []


def test_debate_screenshot_quote_needs_a_link() -> None:
    shot = article(kind="sms", source_url="", attachment=Attachment("sms.png", PNG))
    assert run(shot, category="debate") == {"image_source_missing": "hold"}
    assert run(shot, category="general") == {}


# --------------------------------------------------------------------------
# Several quotes, and speed
# --------------------------------------------------------------------------


def test_quote_index_points_at_the_right_quote() -> None:
    findings = check_draft(Draft(quotes=[article(), article(context=""), article(text="")]), now=NOW)
    assert {(f.code, f.quote_index) for f in findings} == {("context_missing", 1), ("text_missing", 2)}


def test_typical_draft_checks_in_under_a_millisecond() -> None:
    body = "\n\n".join([
        "Chères et chers camarades,",
        "Je présente ma candidature à la tête de liste. Depuis 2014, j'anime la section de Villeurbanne : "
        "nous sommes passés de 48 à 131 adhérent·es, et nous avons tenu 26 réunions publiques l'an dernier.",
        "Je rejoins @marie_l sur la question des transports, comme le rappelle "
        "[le programme](https://exemple.org/programme).",
        "![Affiche de la réunion publique du 12 mars](affiche.png)\nSource : section de Vienne",
    ] * 3)
    status = "https://twitter.com/jdupont/status/176037155424911360"
    quotes = [
        article(),
        article(kind="tweet", handle="jdupont", source_url=status, said_at="2012-03-03",
                archive_url=f"https://web.archive.org/web/20120305081500/{status}"),
        internal("nous ne ferons pas alliance", quoted_text=POST),
    ]
    draft = Draft(body=body, category="debate", quotes=quotes)
    check_draft(draft, now=NOW)  # warm the caches
    runs = 200
    per_draft = min(timeit.repeat(lambda: check_draft(draft, now=NOW), number=runs, repeat=3)) / runs
    # Under 1 ms on a developer machine; the bound leaves room for a loaded CI runner.
    assert per_draft < 0.005, f"{per_draft * 1000:.2f} ms per draft"
