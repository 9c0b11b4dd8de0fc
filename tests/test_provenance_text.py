"""Text helpers: matching with elisions, dates, suspicious characters, French wording."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from moderation.provenance.text import (
    NBSP,
    NNBSP,
    PARIS,
    format_instant,
    fr,
    invisible_characters,
    mixed_script_words,
    normalise_for_match,
    parse_said_at,
    quote_found_in,
    quote_pieces,
)

ORIGINAL = """Bonjour Luc,

Je ne veux pas d'elle sur la liste municipale, trouve un prétexte pour
la commission électorale. Elle n'a pas le niveau et tout le monde le
sait.
"""


def test_whitespace_and_wrapping_are_ignored() -> None:
    assert quote_found_in("trouve un prétexte pour la commission électorale", ORIGINAL)
    assert quote_found_in("trouve   un prétexte\npour la\tcommission", ORIGINAL)


def test_reply_prefixes_are_ignored() -> None:
    quoted = "\n".join("> " + line for line in ORIGINAL.splitlines())
    assert quote_found_in("Elle n'a pas le niveau et tout le monde le sait.", quoted)
    assert quote_found_in("Elle n'a pas le niveau", ">> > Elle n'a pas\n>> > le niveau")


def test_typographic_variants_are_equal() -> None:
    assert quote_found_in("Je ne veux pas d’elle", ORIGINAL)
    assert quote_found_in("« Non ! »", 'Il a dit "Non!" hier.')
    assert quote_found_in("Il est 10\u00a0h", "Il est 10 h")


def test_elisions_split_the_quote_into_ordered_pieces() -> None:
    assert quote_pieces("Je ne veux pas […] la commission [...] le niveau") == [
        "Je ne veux pas", "la commission", "le niveau"]
    assert quote_pieces("[…] début (…) fin [ ... ]") == ["début", "fin"]
    assert quote_found_in("Je ne veux pas […] Elle n'a pas le niveau", ORIGINAL)
    assert not quote_found_in("Elle n'a pas le niveau […] Je ne veux pas", ORIGINAL)


def test_pieces_are_whole_words() -> None:
    assert not quote_found_in("t", "autre chose")
    assert not quote_found_in("Je ne veux pas d'el", ORIGINAL)
    assert not quote_found_in("nous ferons alliance", "nous ferons alliances")
    assert quote_found_in("le niveau", ORIGINAL)
    assert quote_found_in("« Non ! »", "Il a dit «Non!»")


def test_each_piece_is_used_once() -> None:
    assert not quote_found_in("le niveau [...] le niveau", ORIGINAL)
    assert quote_found_in("le [...] le", ORIGINAL)


def test_an_empty_quote_is_never_found() -> None:
    assert not quote_found_in("", ORIGINAL)
    assert not quote_found_in("[…]", ORIGINAL)


def test_case_and_words_matter() -> None:
    assert not quote_found_in("je ne veux PAS d'elle", ORIGINAL)
    assert not quote_found_in("Je veux d'elle sur la liste", ORIGINAL)


def test_markdown_is_dropped_only_when_asked() -> None:
    source = "Nous **ne ferons pas** alliance avec [eux](https://exemple.org)."
    assert quote_found_in("Nous ne ferons pas alliance avec eux.", source, markdown=True)
    assert not quote_found_in("Nous ne ferons pas alliance avec eux.", source)


def test_normalisation_is_stable() -> None:
    once = normalise_for_match("« Bonjour » , dit-il ; puis :  rien")
    assert normalise_for_match(once) == once


@pytest.mark.parametrize("value, start, end, date_only", [
    ("2012-03-03", datetime(2012, 3, 2, 23, 0, tzinfo=UTC), datetime(2012, 3, 3, 23, 0, tzinfo=UTC), True),
    ("2012-07-14", datetime(2012, 7, 13, 22, 0, tzinfo=UTC), datetime(2012, 7, 14, 22, 0, tzinfo=UTC), True),
    ("2012-03-03T22:42", datetime(2012, 3, 3, 21, 42, tzinfo=UTC), datetime(2012, 3, 3, 21, 42, tzinfo=UTC), False),
    ("2012-03-03 22:42:00", datetime(2012, 3, 3, 21, 42, tzinfo=UTC), datetime(2012, 3, 3, 21, 42, tzinfo=UTC), False),
    ("2012-03-03T22:42:00Z", datetime(2012, 3, 3, 22, 42, tzinfo=UTC), datetime(2012, 3, 3, 22, 42, tzinfo=UTC), False),
    ("2012-03-03T22:42:00-05:00", datetime(2012, 3, 4, 3, 42, tzinfo=UTC), datetime(2012, 3, 4, 3, 42, tzinfo=UTC),
     False),
])
def test_said_at_parsing(value: str, start: datetime, end: datetime, date_only: bool) -> None:
    declared = parse_said_at(value)
    assert declared is not None
    assert (declared.start, declared.end, declared.date_only) == (start, end, date_only)


def test_said_at_objects_and_empty_values() -> None:
    assert parse_said_at(None) is None
    assert parse_said_at("  ") is None
    assert parse_said_at(date(2012, 3, 3)) == parse_said_at("2012-03-03")
    naive = parse_said_at(datetime(2012, 3, 3, 22, 42))
    assert naive is not None and naive.start.tzinfo is PARIS


@pytest.mark.parametrize("value", ["3 mars 2012", "2012-13-01", "03/03/2012", "hier", "2012-02-30"])
def test_said_at_unreadable(value: str) -> None:
    with pytest.raises(ValueError):
        parse_said_at(value)


def test_distance_to_a_declared_day() -> None:
    day = parse_said_at("2012-03-03")
    assert day is not None
    assert day.distance(datetime(2012, 3, 3, 12, 0, tzinfo=PARIS)) == timedelta(0)
    assert day.distance(datetime(2012, 3, 5, 1, 0, tzinfo=PARIS)) == timedelta(hours=25)
    assert day.distance(datetime(2012, 3, 2, 22, 0, tzinfo=PARIS)) == timedelta(hours=2)


def test_invisible_characters_are_named() -> None:
    assert invisible_characters("a\u200bb\u202ec\u200b") == ["U+200B", "U+202E"]
    assert invisible_characters("Hélène Lefèvre") == []


def test_mixed_scripts() -> None:
    assert mixed_script_words("Jеan Dupont") == ["Jеan"]  # Cyrillic е
    assert mixed_script_words("paypаl.com") == ["paypаl"]  # Cyrillic а
    assert mixed_script_words("Ωmega") == ["Ωmega"]
    assert mixed_script_words("Hélène Œuvre ñandú 1er n°3 Nº") == []
    assert mixed_script_words("Москва Paris 東京タワー") == []


def test_french_wording() -> None:
    assert fr("Attention : « {x} » ; vraiment ?", x="a : b") == (
        f"Attention{NBSP}: «{NBSP}a : b{NBSP}»{NNBSP}; vraiment{NNBSP}?")
    assert format_instant(datetime(2012, 3, 3, 21, 42, tzinfo=UTC)) == f"3{NBSP}mars 2012 à 22{NBSP}h{NBSP}42"
    assert format_instant(datetime(2012, 5, 1, 8, 5, tzinfo=UTC)).startswith(f"1er{NBSP}mai 2012 à 10")
