"""Pictures where they help: monthly moderation decisions, endorsements by federation and a
member's activity, drawn as accessible SVG with the same figures in a table."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import html5lib

from forum import journal
from forum.charts import BarChart
from forum.models import Federation, Member
from forum.services import posting
from tests.conftest import login
from tests.test_designations_http import T0, _as, _declare, _open_designation, _post, clock  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"
UTC = dt.timezone.utc
HOSTILE = '<img src=x onerror=alert(1)>"Or" & <b>Cie</b>'


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def _chart(html: str, chart_id: str) -> dict:
    """What a reader gets from the chart `chart_id`: the picture's accessible name and description,
    the words it draws, and the rows of the table beside it (as a browser parses the page)."""
    root = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    svg = next(e for e in root.iter(f"{SVG}svg") if e.get("aria-labelledby", "").startswith(chart_id))
    by_id = {e.get("id"): e for e in svg.iter() if e.get("id")}
    title_id, desc_id = svg.get("aria-labelledby").split()
    table = next(d for d in root.iter("details") if d.get("id") == f"{chart_id}-data").find(".//table")
    return {
        "role": svg.get("role"),
        "name": _text(by_id[title_id]),
        "description": _text(by_id[desc_id]),
        "drawn": [_text(t) for t in svg.iter(f"{SVG}text")],
        "styled_inline": [e.tag for e in svg.iter() if e.get("style") is not None],
        "caption": _text(table.find("caption")),
        "rows": [tuple(_text(cell) for cell in row) for row in table.find("tbody").iter("tr")],
    }


def _has_chart(html: str, chart_id: str) -> bool:
    root = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return any(e.get("aria-labelledby", "").startswith(chart_id) for e in root.iter(f"{SVG}svg"))


def _decision(world, action: str, at: dt.datetime) -> None:
    with world.ctx.db.write() as session:
        journal.append(session, "decision", {"decision_id": int(at.timestamp()), "category": "Général",
                                             "action": action, "reason_code": "attaque_personnelle"},
                       {"moderator_id": 1}, now=at)


# --- transparency: decisions per month and kind ----------------------------------------------------------


def test_transparency_draws_decisions_per_month_and_kind_with_the_same_figures_in_a_table(client, world):
    for action, day in (("hide", 3), ("warn", 5), ("hide", 20)):
        _decision(world, action, dt.datetime(2026, 10, day, 12, tzinfo=UTC))
    _decision(world, "approve", dt.datetime(2026, 11, 2, 12, tzinfo=UTC))
    world.member("max")
    login(client, "max@example.org")
    chart = _chart(client.get("/transparence").text, "decisions-par-mois")
    assert chart["role"] == "img"
    assert chart["name"] == chart["caption"] == "Nombre de décisions par mois et par type"
    assert "Total\u00a0: 4." in chart["description"]
    assert chart["rows"] == [
        ("novembre 2026", "approuvé", "1"),
        ("octobre 2026", "masqué", "2"),
        ("octobre 2026", "avertissement", "1"),
    ]
    # The picture says it in words too: each month, each kind and its number.
    assert chart["drawn"] == ["novembre 2026", "approuvé", "1", "octobre 2026", "masqué", "2", "avertissement", "1"]
    assert chart["styled_inline"] == []  # the CSP forbids style attributes: they would be dropped


def test_transparency_without_decisions_says_so_instead_of_an_empty_chart(client, world):
    world.member("max")
    login(client, "max@example.org")
    page = client.get("/transparence").text
    assert "Aucune décision pour l’instant." in page
    assert not _has_chart(page, "decisions-par-mois")


# --- designation: endorsements by federation ---------------------------------------------------------------


def test_designation_draws_endorsements_by_federation_and_escapes_a_hostile_name(client, world, clock):
    with world.ctx.db.write() as session:
        session.add(Federation(slug="cote-dor", name=HOSTILE))
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    candidacy = _declare(client, slug, "camille")
    endorsers = {"max": "rhone", "ines": "rhone", "theo": "cote-dor", "zoe": "paris", "yann": "paris", "ugo": "paris"}
    for key, federation in endorsers.items():
        world.member(key, federation=federation)
        _as(client, key)
        assert _post(client, f"/candidatures/{candidacy}", f"/candidatures/{candidacy}/parrainage", {}).status_code == 303
    _post(client, f"/candidatures/{candidacy}", f"/candidatures/{candidacy}/parrainage/retrait", {})  # ugo withdraws

    page = client.get(f"/designations/{slug}").text
    assert "<img src=x" not in page and "<b>Cie</b>" not in page
    chart = _chart(page, "parrainages")
    assert chart["role"] == "img" and chart["name"] == "Parrainages en cours, par fédération des parrain·es"
    assert chart["rows"] == [("Paris", "2"), ("Rhône", "2"), (HOSTILE, "1")]
    assert HOSTILE in chart["drawn"]  # drawn as text, whole: it is short enough not to be cut
    assert "Total\u00a0: 5." in chart["description"]


def test_designation_without_endorsements_says_so(client, world, clock):
    slug = _open_designation(client, world)
    page = client.get(f"/designations/{slug}").text
    assert "Aucun parrainage pour l’instant." in page
    assert not _has_chart(page, "parrainages")


def test_chart_escapes_every_label_and_cuts_long_ones_only_in_the_picture():
    long_name = "Fédération des Français et Françaises de l’étranger, circonscription Asie-Océanie"
    chart = BarChart.of([("<script>alert(1)</script>", 3), (long_name, 12_345)])
    svg = str(chart.svg('x" onload="alert(1)', "Titre <i>", "Desc & co"))
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert 'x" onload' not in svg and "Titre &lt;i&gt;" in svg and "Desc &amp; co" in svg
    assert "12\u202f345" in svg and long_name not in svg and long_name[:40] in svg


# --- profile: a member's activity ------------------------------------------------------------------------


def test_profile_draws_posts_per_month_over_six_months(client, world):
    now = dt.datetime(2026, 11, 15, 12, tzinfo=UTC)
    lea = world.member("lea")
    for when, replies in ((dt.datetime(2026, 4, 20, 9, tzinfo=UTC), 0),  # too old to be drawn
                          (dt.datetime(2026, 9, 10, 9, tzinfo=UTC), 1),
                          (dt.datetime(2026, 11, 3, 9, tzinfo=UTC), 0)):
        world.ctx.clock = lambda when=when: when
        with world.ctx.db.write() as session:
            member = session.get(Member, lea)
            topic = posting.create_topic(world.ctx, session, member, "general", f"Sujet du {when:%d/%m}", "Un premier message.")
            for _ in range(replies):
                posting.reply(world.ctx, session, member, topic.id, "Une réponse sur le programme.")
    world.ctx.clock = lambda: now
    world.member("max")
    login(client, "max@example.org")
    chart = _chart(client.get(f"/membres/{lea}").text, "activite-mensuelle")
    assert chart["role"] == "img" and chart["name"] == "Messages publiés par mois"
    assert chart["rows"] == [("juin 2026", "0"), ("juillet 2026", "0"), ("août 2026", "0"),
                             ("septembre 2026", "2"), ("octobre 2026", "0"), ("novembre 2026", "1")]
    assert chart["drawn"][-2:] == ["novembre 2026", "1"]
    assert "Total\u00a0: 3." in chart["description"]


def test_profile_without_recent_posts_says_so(client, world):
    lea = world.member("lea")
    login(client, "lea@example.org")
    page = client.get(f"/membres/{lea}").text
    assert "Aucun message publié ces six derniers mois." in page
    assert not _has_chart(page, "activite-mensuelle")
