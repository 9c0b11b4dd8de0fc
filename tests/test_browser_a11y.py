"""Accessibility proven in a real browser: axe-core on every page type, forms, focus, keyboard.

1. Every page type of the forum — home, category, topic (quote cards, a right of reply, context
   notes, an edited post), the post form with quote fieldsets and after a failed submission,
   the quote card a quoted member answers from, the hold queue, a moderation case, the public
   journal, a post's history, designation, candidacy (and its versions, a support committee),
   question matrix, search (results and none), profile, notifications, login (and its error),
   invitation, 404 and 403, appeals, and the other forms after a failed submission — passes
   axe-core's WCAG 2.0/2.1 A and AA rules with zero violations, at a desktop width and at a
   375 px phone width. At the phone width no page scrolls sideways.
2. A failed submission ties each error to its field (aria-invalid, aria-describedby: the error
   is the field's accessible description) and puts the focus on the first field in error (for
   a group of radio buttons, on its first choice).
3. With the keyboard alone: the skip link moves focus to the main content, and a member logs
   in, opens a topic and replies; every element the Tab key stops on shows a focus ring.

A failure names each violation (rule id, impact, what it means) and each offending node (its
CSS target and HTML), page by page, so the report says what to fix without a rerun.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser_fixtures import TIMEOUT_MS
from tests.conftest import PASSWORD
from tests.test_browser_designations import paris
from tests.test_browser_moderation import hidden_and_appealed
from tests.test_browser_quotes import PUBLISH, log_in
from tests.test_designations_http import Clock
from tests.test_quotes_http import PARIS, PASTED_COMPILATION, tweet_id_for

pytestmark = pytest.mark.browser

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
VIEWPORTS = {"ordinateur": {"width": 1280, "height": 800}, "telephone": {"width": 375, "height": 740}}
PHONE_WIDTH = 375

QUOTED_TITLE = "Ce que disait Camille en 2012"
QUOTED_BODY = "Deux citations, chacune avec sa source et son contexte."
EDITED_BODY = "Deux citations, chacune avec sa source et son contexte (corrigé : dates vérifiées)."
TWEET_WHEN = dt.datetime(2012, 5, 2, 9, 15, tzinfo=PARIS)
RIGHT_OF_REPLY = "C’était avant le congrès de 2015, qui a changé nos statuts."
MODERATOR_NOTE = "Le tweet a été supprimé en 2013 ; l’archive le montre intact."
PROPOSED_NOTE = "Le courriel cité a été envoyé à toute la fédération, pas seulement au bureau."
REPLY_BODY = "Merci pour les sources, c’est plus clair ainsi."
KEYBOARD_REPLY = "Réponse écrite entièrement au clavier."
DESIGNATION_TITLE = "Tête de liste 2031"
QUESTION_TITLE = "Quelle place pour les fédérations rurales ?"


# --- axe -------------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    return list(Axe().run(page, options=AXE_OPTIONS).response["violations"])


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    """One readable block per page: rule id, impact, help, then each node's target and HTML."""
    lines = [f"{where} : {len(violations)} violation(s)"]
    for violation in violations:
        lines.append(f"  - {violation['id']} [{violation.get('impact')}] {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"      cible {node['target']} : {node['html'][:300]}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"        {summary[:400]}")
    return "\n".join(lines)


def test_the_report_names_each_violation_and_its_node(page: Page):
    """The harness itself: on a page made to fail, axe finds the faults and the report names them."""
    page.set_content('<html lang="fr"><head><title>Essai</title></head><body><main><h1>Essai</h1>'
                     '<p style="color:#b0b0b0">Texte pâle</p><input type="text" name="sans-etiquette">'
                     '</main></body></html>')
    violations = axe_violations(page)
    assert {v["id"] for v in violations} == {"color-contrast", "label"}
    report = describe("essai", violations)
    assert "label [critical]" in report and "color-contrast [serious]" in report
    assert '<input type="text" name="sans-etiquette">' in report and "cible ['input']" in report


# --- the forum the pages show ----------------------------------------------------------------


@dataclass
class Site:
    """Ids and paths of a forum with something on every page type."""

    paths: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _member(session: Any, world: Any, key: str) -> Any:
    from forum.models import Member

    return session.get(Member, world.ids[key])


def build_site(world: Any) -> Site:
    """Members, a reported-hidden-appealed reply, a topic with quote cards (one answered by the
    member quoted), a moderator's note and a proposed one, an edited post, a held topic, and a
    designation in its debate phase with two validated candidates, a question and an answer."""
    from sqlalchemy import select

    from forum import security
    from forum.events import QuoteInput
    from forum.models import Post, Quote, utcnow
    from forum.services import accounts, designations, posting, replies
    from moderation import notes
    from moderation.models import Decision, ReviewItem

    for key in ("nina", "lea", "max", "camille", "jean"):
        world.member(key)
    world.member("karim", role="moderator")
    world.member("paula", role="moderator")
    world.member("alice", role="admin")
    site = Site()
    ctx = world.ctx

    # Léa's reply, reported by Max, hidden by Karim, appealed by Léa (the moderation suite's story).
    site.ids["decision"] = hidden_and_appealed(world)
    with ctx.db.read() as session:
        hidden_post = session.get(Post, session.get(Decision, site.ids["decision"]).post_id)
        site.paths["hidden_topic"] = f"/t/{hidden_post.topic_id}"

    # Nina's topic: a tweet by Camille (a member, so a right of reply) and an article, each a card.
    status = tweet_id_for(TWEET_WHEN)
    quotes = [
        QuoteInput(kind="tweet", author="Camille Test", handle="@camille_test", said_at="2012-05-02",
                   source_url=f"https://twitter.com/camille_test/status/{status}",
                   archive_url=f"https://web.archive.org/web/20120502091600/https://twitter.com/camille_test/status/{status}",
                   context="Réponse à un militant pendant les législatives de 2012.",
                   text="Je ne serai jamais candidate à quoi que ce soit dans ce parti.",
                   quoted_member_ref="camille@example.org"),
        QuoteInput(kind="article", author="Le Progrès", said_at="2019-09-12",
                   source_url="https://www.leprogres.fr/politique/2019/09/12/la-federation-reporte-sa-rentree",
                   context="Article sur le conseil fédéral de septembre 2019.",
                   text="La réunion de rentrée est reportée au 3 octobre."),
    ]
    with ctx.db.write() as session:
        topic = posting.create_topic(ctx, session, _member(session, world, "nina"), "debat", QUOTED_TITLE, QUOTED_BODY,
                                     quotes)
        site.ids["topic"] = topic.id
        assert topic.status.value == "published", session.scalars(select(Post.hold_reasons)).all()
        opener = session.scalar(select(Post.id).where(Post.topic_id == topic.id))
        site.ids["opener"] = opener
    with ctx.db.write() as session:
        posting.edit_post(ctx, session, _member(session, world, "nina"), site.ids["opener"], EDITED_BODY,
                          posting.quotes_of(session, site.ids["opener"]))
    with ctx.db.write() as session:
        tweet = session.scalar(select(Quote).where(Quote.post_id == site.ids["opener"], Quote.kind == "tweet"))
        site.ids["quote"] = tweet.id
        replies.reply_to_quote(ctx, session, _member(session, world, "camille"), tweet.id, RIGHT_OF_REPLY)
        notes.add_note(ctx, session, _member(session, world, "karim"), site.ids["opener"], MODERATOR_NOTE, True)
        notes.add_note(ctx, session, _member(session, world, "lea"), site.ids["opener"], PROPOSED_NOTE, False)
        posting.reply(ctx, session, _member(session, world, "max"), topic.id, REPLY_BODY)

    # Léa's pasted compilation: held, in the queue with its reasons.
    with ctx.db.write() as session:
        held = posting.create_topic(ctx, session, _member(session, world, "lea"), "debat",
                                    "Ce que pense vraiment Jean Dupont", PASTED_COMPILATION)
        site.ids["held_topic"] = held.id
    with ctx.db.read() as session:
        site.ids["held_item"] = session.scalar(
            select(ReviewItem.id).join(Post, Post.id == ReviewItem.post_id)
            .where(Post.topic_id == held.id))

    # A designation in its debate phase: two validated candidates, an endorsement, a question
    # and one official answer (the matrix shows an answer and a missing one).
    now = utcnow()
    ctx.clock = Clock(now - dt.timedelta(days=3))
    try:
        with ctx.db.write() as session:
            admin = _member(session, world, "alice")
            designation = designations.create_designation(
                ctx, session, admin, title=DESIGNATION_TITLE, federation_slug="",
                candidacies_open_at=paris(now - dt.timedelta(days=5)),
                candidacy_deadline=paris(now - dt.timedelta(days=1)),
                debate_ends_at=paris(now + dt.timedelta(days=20)), vote_at=paris(now + dt.timedelta(days=21)),
                voting_url="https://vote.example.org/2031", description="Désignation de la tête de liste.")
            site.paths["designation"] = f"/designations/{designation.slug}"
            for key in ("camille", "jean"):
                candidacy = designations.declare_candidacy(
                    ctx, session, _member(session, world, key), designation.id,
                    f"Profession de foi de {key.capitalize()} : des fédérations fortes et un congrès ouvert.")
                designations.decide_candidacy(ctx, session, admin, candidacy.id, True, "")
                site.ids[f"candidacy_{key}"] = candidacy.id
            designations.endorse(ctx, session, _member(session, world, "max"), site.ids["candidacy_camille"])
            designation_id = designation.id
    finally:
        ctx.clock = utcnow
    with ctx.db.write() as session:
        question = designations.ask_question(ctx, session, _member(session, world, "max"), designation_id,
                                             QUESTION_TITLE, "Précisez vos engagements pour les petites fédérations.")
        designations.position_reply(ctx, session, _member(session, world, "camille"), question.id,
                                    "Une fédération rurale sur deux au bureau national.")
        site.ids["question"] = question.id
        site.ids["committee"] = designations.create_committee(
            ctx, session, _member(session, world, "max"), site.ids["candidacy_camille"],
            "Le comité parisien de soutien à Camille : réunions chaque jeudi.").id
        designations.edit_statement(ctx, session, _member(session, world, "camille"), site.ids["candidacy_camille"],
                                    "Profession de foi de Camille, revue : des fédérations fortes et un budget rural.")

    # Zoé is invited: her link opens the page where she chooses a password.
    world.member("zoe", password=None)
    with ctx.db.read() as session:
        site.paths["invitation"] = f"/invitation/{accounts.make_token(ctx, security.INVITE, _member(session, world, 'zoe'))}"

    ids = site.ids
    site.paths.update({
        "topic": f"/t/{ids['topic']}",
        "history": f"/p/{ids['opener']}/historique",
        "edit": f"/p/{ids['opener']}/modifier",
        "report": f"/p/{ids['opener']}/signaler",
        "quote_reply": f"/citations/{ids['quote']}/reponse",
        "held_topic": f"/t/{ids['held_topic']}",
        "item": f"/moderation/elements/{ids['held_item']}",
        "appeal": f"/decisions/{ids['decision']}/appel",
        "candidacy": f"/candidatures/{ids['candidacy_camille']}",
        "matrix": f"{site.paths['designation']}/matrice",
        "ask": f"{site.paths['designation']}/questions",
        "question": f"/t/{ids['question']}",
        "profile": f"/membres/{world.ids['nina']}",
        "committee": f"/comites/{ids['committee']}",
        "versions": f"/candidatures/{ids['candidacy_camille']}/versions",
    })
    return site


# --- pages -----------------------------------------------------------------------------------


@contextmanager
def tab(browser: Any, viewport: dict[str, int]) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_quote_fieldset(page: Page) -> None:
    page.get_by_role("button", name="Ajouter une citation").click()
    expect(page.get_by_role("group", name="Citation 1", exact=True)).to_be_visible()


def fail_new_topic(page: Page) -> None:
    """A title too short and an archive link that is not one: the form comes back with errors."""
    open_quote_fieldset(page)
    page.get_by_label("Titre", exact=True).fill("Ah")
    page.get_by_label("Message (Markdown)", exact=True).fill("Voici ce qu’il disait.")
    quote = page.get_by_role("group", name="Citation 1", exact=True)
    quote.get_by_label("Type", exact=True).select_option(label="Tweet / post X")
    quote.get_by_label("Lien d’archive (web.archive.org, archive.today)", exact=True).fill("javascript:alert(1)")
    page.get_by_role("button", name=PUBLISH).last.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire n’a pas été enregistré")


def fail_login(page: Page) -> None:
    page.get_by_label("Adresse électronique").fill("lea@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_label("Adresse électronique")).to_have_accessible_description("Adresse ou mot de passe incorrect.")


def submit_and_fail(button: str) -> Callable[[Page], None]:
    """Send the form untouched: the page comes back with its errors."""
    def then(page: Page) -> None:
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Le formulaire n’a pas été enregistré")
    return then


def fail_password_choice(page: Page) -> None:
    page.get_by_label("Nouveau mot de passe (10 caractères au moins)").fill("une-phrase-assez-longue")
    page.get_by_label("Confirmez le mot de passe").fill("une-autre-phrase-longue")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_label("Confirmez le mot de passe")).to_have_accessible_description(
        "Les deux mots de passe ne sont pas identiques.")


@dataclass(frozen=True)
class Visit:
    name: str
    who: str | None  # None: not logged in
    path: str  # a key of site.paths, or a path
    status: int = 200
    then: Callable[[Page], None] | None = None
    shows: str | None = None  # a text the page must show: proof it is the page meant


VISITS = [
    Visit("connexion", None, "/connexion"),
    Visit("connexion en erreur", None, "/connexion", then=fail_login),
    Visit("mot de passe oublié", None, "/mot-de-passe/oubli"),
    Visit("invitation", None, "invitation", shows="Bienvenue, Zoe"),
    Visit("invitation en erreur", None, "invitation", then=fail_password_choice),
    Visit("accueil", "max", "/", shows=QUOTED_TITLE),
    Visit("catégorie", "max", "/c/debat", shows=QUOTED_TITLE),
    Visit("sujet avec cartes, notes et message modifié", "max", "topic", shows=MODERATOR_NOTE),
    Visit("sujet avec message masqué", "max", "hidden_topic", shows="Message masqué par la modération."),
    Visit("sujet (autrice, ses liens de modification)", "nina", "topic", shows="Modifier"),
    Visit("sujet (modérateur, masquer une réponse)", "karim", "topic", shows="Masquer cette réponse"),
    Visit("historique d’un message", "max", "history", shows=EDITED_BODY),
    Visit("nouveau sujet", "max", "/c/debat/nouveau"),
    Visit("nouveau sujet avec citation", "max", "/c/debat/nouveau", then=open_quote_fieldset),
    Visit("nouveau sujet refusé", "max", "/c/debat/nouveau", then=fail_new_topic),
    Visit("modifier un message", "nina", "edit", shows="Citation 2"),
    Visit("signaler", "max", "report"),
    Visit("signalement refusé", "max", "report", then=submit_and_fail("Envoyer le signalement")),
    Visit("nouvelle déclaration cosignée", "max", "/c/debat/declaration"),
    Visit("carte de citation et droit de réponse", "camille", "quote_reply", shows=RIGHT_OF_REPLY),
    Visit("sujet retenu (autrice)", "lea", "held_topic", shows="En attente de modération"),
    Visit("file de modération", "karim", "/moderation", shows="Ce que pense vraiment Jean Dupont"),
    Visit("cas de modération", "karim", "item", shows="Ce que pense vraiment Jean Dupont"),
    Visit("décision refusée", "karim", "item", then=submit_and_fail("Enregistrer la décision")),
    Visit("appels en attente", "paula", "/moderation/appels", shows="Le tweet est cité mot pour mot"),
    Visit("appel (autrice)", "lea", "appeal"),
    Visit("journal public", "max", "/transparence", shows="montage"),
    Visit("désignations", "max", "/designations", shows=DESIGNATION_TITLE),
    Visit("nouvelle désignation", "alice", "/designations/nouvelle"),
    Visit("nouvelle désignation refusée", "alice", "/designations/nouvelle",
          then=submit_and_fail("Ouvrir la désignation")),
    Visit("désignation", "max", "designation", shows="Camille Test"),
    Visit("candidature", "max", "candidacy", shows="Profession de foi de Camille"),
    Visit("matrice des réponses", "max", "matrix", shows="Une fédération rurale sur deux"),
    Visit("poser une question", "max", "ask"),
    Visit("poser une question refusée", "max", "ask", then=submit_and_fail("Poser la question")),
    Visit("désignation (candidate)", "camille", "designation", shows="Camille Test"),
    Visit("candidature (candidate, ses formulaires)", "camille", "candidacy", shows="Profession de foi de Camille"),
    Visit("question aux candidat·es", "camille", "question", shows=QUESTION_TITLE),
    Visit("versions d’une profession de foi", "max", "versions", shows="un budget rural"),
    Visit("comité de soutien", "max", "committee", shows="réunions chaque jeudi"),
    Visit("recherche avec résultats", "max", "/recherche?q=citations", shows=QUOTED_TITLE),
    Visit("recherche sans résultat", "max", "/recherche?q=zanzibar"),
    Visit("profil", "max", "profile", shows="Nina Test"),
    Visit("notifications", "camille", "/notifications", shows="cité"),
    Visit("préférences de notification", "camille", "/notifications/preferences"),
    Visit("mot de passe", "max", "/compte/mot-de-passe"),
    Visit("erreur 404", "max", "/t/999999", status=404),
    Visit("erreur 403", "max", "/moderation", status=403),
]


# The innermost elements sticking out past the right edge: what makes the page scroll sideways.
_TOO_WIDE_SCRIPT = """(width) => Array.from(document.body.querySelectorAll('*'))
  .filter(el => el.getBoundingClientRect().right > width + 0.5)
  .filter(el => !Array.from(el.children).some(child => child.getBoundingClientRect().right > width + 0.5))
  .slice(0, 5).map(el => `${Math.round(el.getBoundingClientRect().right)} px : ${el.outerHTML.slice(0, 200)}`)"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_type_passes_axe_wcag_a_and_aa(live_server, world, browser, viewport: str):
    site = build_site(world)
    size = VIEWPORTS[viewport]
    report: list[str] = []
    with tab(browser, size) as anonymous, tab(browser, size) as logged_in:
        current: str | None = None
        for visit in VISITS:
            if visit.who is None:
                page = anonymous
            else:
                page = logged_in
                if visit.who != current:
                    page.context.clear_cookies()
                    log_in(page, live_server.url, visit.who)
                    current = visit.who
            response = page.goto(live_server.url + site.paths.get(visit.path, visit.path))
            assert response is not None and response.status == visit.status, (visit.name, response and response.status)
            if visit.then is not None:
                visit.then(page)
            if visit.shows is not None:
                expect(page.get_by_text(visit.shows).first).to_be_attached()
            violations = axe_violations(page)
            if violations:
                report.append(describe(f"{visit.name} ({page.url}, {viewport})", violations))
            if viewport == "telephone":
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE_WIDTH:
                    wide = "\n".join(f"      {html}" for html in page.evaluate(_TOO_WIDE_SCRIPT, PHONE_WIDTH))
                    report.append(f"{visit.name} ({page.url}) : défilement horizontal, scrollWidth = {width}\n{wide}")
    assert not report, "\n\n".join(report)


# --- forms -----------------------------------------------------------------------------------


def test_failed_submission_ties_each_error_to_its_field_and_focuses_the_first(live_server, world, page: Page):
    world.member("max")
    log_in(page, live_server.url, "max")
    page.goto(f"{live_server.url}/c/debat/nouveau")
    fail_new_topic(page)

    title = page.get_by_label("Titre", exact=True)
    archive = page.get_by_role("group", name="Citation 1", exact=True).get_by_label(
        "Lien d’archive (web.archive.org, archive.today)", exact=True)
    # What was typed is kept, each field in error says so and carries its message.
    expect(title).to_have_value("Ah")
    expect(archive).to_have_value("javascript:alert(1)")
    for field_, message in ((title, "Le titre doit compter au moins 5 caractères."),
                            (archive, "Le lien doit commencer par https:// (ou http://).")):
        expect(field_).to_have_attribute("aria-invalid", "true")
        expect(field_).to_have_accessible_description(message)
    # Fields without an error are not marked.
    expect(page.get_by_label("Message (Markdown)", exact=True)).not_to_have_attribute("aria-invalid", "true")
    # The page opens on the first field in error, so the keyboard is already where the fix is.
    expect(title).to_be_focused()
    assert page.dialogs == []


def test_a_choice_left_empty_describes_the_group_and_focuses_its_first_choice(live_server, world, page: Page):
    site = build_site(world)
    log_in(page, live_server.url, "max")
    page.goto(live_server.url + site.paths["report"])
    page.get_by_role("button", name="Envoyer le signalement").click()

    reasons = page.get_by_role("group", name="Raison")
    expect(reasons).to_have_attribute("aria-invalid", "true")
    expect(reasons).to_have_accessible_description(re.compile(r"\S"))
    description = reasons.evaluate("el => document.getElementById(el.getAttribute('aria-describedby')).textContent")
    expect(page.get_by_role("alert")).to_contain_text(description.strip())
    # A fieldset cannot hold the focus: its first choice does, ready for the arrow keys.
    expect(reasons.get_by_role("radio").first).to_be_focused()


# --- keyboard --------------------------------------------------------------------------------


# What marks the element that has the focus: an outline of 2 px or more, or a ring drawn by box-shadow.
_FOCUS_RING_SCRIPT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return outline || style.boxShadow !== 'none' ? '' : el.outerHTML.slice(0, 160);
}"""


def tab_to(page: Page, target: Any, limit: int = 80) -> None:
    """Press Tab until `target` has the focus (as a keyboard user would), or fail; every element
    passed on the way must show that it has the focus."""
    for _ in range(limit):
        unmarked = page.evaluate(_FOCUS_RING_SCRIPT)
        assert not unmarked, f"focus invisible sur {unmarked}"
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} n’est pas atteignable au clavier en {limit} tabulations")


def test_with_the_keyboard_alone_skip_link_login_open_a_topic_and_reply(live_server, world, page: Page):
    world.member("nina")
    world.member("lea")
    from forum.models import Member
    from forum.services import posting

    with world.ctx.db.write() as session:
        topic_id = posting.create_topic(world.ctx, session, session.get(Member, world.ids["nina"]), "general",
                                        "La fête de la section", "Qui vient le 14 ?").id
    base = live_server.url

    # Login with the keyboard: the form's fields in order, Enter submits.
    page.goto(f"{base}/connexion")
    tab_to(page, page.get_by_label("Adresse électronique"))
    page.keyboard.type("lea@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")

    # On the home page, the first Tab is the skip link; Enter puts the focus on the main content,
    # so the next Tabs walk the content, not the header's search and menu again.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert focused_in_main, page.evaluate("document.activeElement.outerHTML")

    # Open the topic from the list of active topics.
    tab_to(page, page.get_by_role("link", name="La fête de la section"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/t/{topic_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("La fête de la section")

    # Reply: the message field, then the publish button, from the keyboard only.
    reply = page.get_by_role("region", name="Répondre")
    tab_to(page, reply.get_by_label("Votre message (Markdown)"))
    page.keyboard.type(KEYBOARD_REPLY)
    tab_to(page, reply.get_by_role("button", name=PUBLISH))
    page.keyboard.press("Enter")
    mine = page.get_by_role("article", name="Lea Test")
    expect(mine).to_contain_text(KEYBOARD_REPLY)
    expect(page).to_have_url(re.compile(rf"/t/{topic_id}(\?page=\d+)?#p\d+$"))
    assert page.dialogs == []
