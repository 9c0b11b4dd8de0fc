"""The moderation story in a real browser: a report, a decision, an appeal decided by another
moderator, and the public log.

1. Léa has a published reply in "Débat" quoting a tweet (made through the service layer). It is
   a reply, not a topic's opening post: hiding an opening post takes the whole topic out of
   sight (see test_hiding_the_opening_post_takes_the_whole_topic_out_of_sight), whereas here
   the other members must see the placeholder in its place.
2. Max, in another browser, reports it ("Citation sortie de son contexte ou montage") with a
   precision and is thanked in French.
3. Karim, national moderator, opens "Modération": the case gives the reason and, to the
   moderation only, Max's name. He takes it, hides the post with a reason and a precision.
4. Léa gets the email on the real SMTP server (reason and appeal link), finds the decision in
   her notifications and appeals from the link. Max now sees the placeholder, not the post.
5. Karim tries to decide the appeal himself and is refused (403, "récusé"); Paula, another
   national moderator, overturns the decision from "Appels en attente".
6. The transparency page, from the footer, shows the decision and its appeal outcome, without
   anyone's name nor any free text; Max sees the post again.

Every element is found by its role and accessible name or by its label, and every page of the
story is checked for unlabelled form fields, so these tests also prove that the moderation
forms are labelled in French.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser_quotes import browser_page, log_in
from tests.test_quotes_http import PARIS, tweet_id_for

pytestmark = pytest.mark.browser

OPENER_TITLE = "La motion d’alliance, vraiment ?"
OPENER_BODY = "Ouvrons le débat sur la motion d’alliance votée au conseil national."
REPLY_BODY = "Voici ce que disait Jean Dupont à l’époque, source à l’appui."
TWEET_AUTHOR = "Jean Dupont"
TWEET_HANDLE = "jdupont"
TWEET_WHEN = dt.datetime(2014, 6, 9, 18, 30, tzinfo=PARIS)
TWEET_TEXT = "Je ne serrerai jamais la main de ces gens-là."
TWEET_CONTEXT = "Au soir du conseil national de juin 2014, à propos de la motion d’alliance."

REPORT_REASON = "Citation sortie de son contexte ou montage"
REPORT_PRECISION = "La phrase visait un autre parti, voir le fil complet du 9 juin 2014."
DECISION_PRECISION = "Le fil complet montre que la phrase visait un autre parti."
APPEAL_TEXT = "Le tweet est cité mot pour mot, avec son lien et son contexte : rien n’est coupé."
APPEAL_REASON = "Citation exacte et contexte fourni : la décision est annulée."
THANKS = "Merci : votre signalement est transmis à la modération. L’auteur·rice ne saura pas qui a signalé."
PLACEHOLDER = "Message masqué par la modération."
RECUSED = "Vous êtes récusé·e pour cet appel : vous avez pris la décision contestée."

# The private things the public log must never show: people, and every free text of the story.
PRIVATE_TEXTS = [REPORT_PRECISION, DECISION_PRECISION, APPEAL_TEXT, APPEAL_REASON, TWEET_TEXT, REPLY_BODY]
PEOPLE = re.compile(r"\b(Max|Lea|Léa|Karim|Paula|Nina)\b")


# --- helpers -------------------------------------------------------------------------------


def lea_quotes_a_tweet(world: Any) -> tuple[int, int]:
    """Nina opens a topic in "Débat"; Léa replies quoting a tweet. Returns (topic id, post id)."""
    from forum.events import QuoteInput
    from forum.models import Member, PostStatus
    from forum.services import posting

    status = tweet_id_for(TWEET_WHEN)
    quote = QuoteInput(kind="tweet", author=TWEET_AUTHOR, handle=f"@{TWEET_HANDLE}", said_at=TWEET_WHEN.date().isoformat(),
                       source_url=f"https://twitter.com/{TWEET_HANDLE}/status/{status}", context=TWEET_CONTEXT,
                       text=TWEET_TEXT)
    with world.ctx.db.write() as session:
        topic = posting.create_topic(world.ctx, session, session.get(Member, world.ids["nina"]), "debat",
                                     OPENER_TITLE, OPENER_BODY)
        post = posting.reply(world.ctx, session, session.get(Member, world.ids["lea"]), topic.id, REPLY_BODY, [quote])
        assert topic.status == PostStatus.PUBLISHED and post.status == PostStatus.PUBLISHED, post.hold_reasons
        return topic.id, post.id


# Every form control a person fills must have a non-empty label (or aria-label/labelledby),
# ids must be unique (a duplicated id makes <label for> point at the wrong field), buttons
# must be named, the page must be in French and have one main heading.
_A11Y_SCRIPT = """() => {
  const unlabelled = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset'].includes(el.type)) continue;
    const byLabel = el.labels && Array.from(el.labels).some(l => l.textContent.trim());
    const byAria = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
    if (!byLabel && !byAria) unlabelled.push(el.outerHTML.slice(0, 160));
  }
  const unnamedButtons = Array.from(document.querySelectorAll('button'))
    .filter(b => !b.textContent.trim() && !(b.getAttribute('aria-label') || '').trim())
    .map(b => b.outerHTML.slice(0, 160));
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  const duplicateIds = Object.keys(seen).filter(id => seen[id] > 1);
  return {unlabelled, unnamedButtons, duplicateIds, lang: document.documentElement.lang,
          h1: document.querySelectorAll('h1').length};
}"""


def assert_accessibility_basics(page: Page) -> None:
    found = page.evaluate(_A11Y_SCRIPT)
    assert found == {"unlabelled": [], "unnamedButtons": [], "duplicateIds": [], "lang": "fr", "h1": 1}, (page.url, found)


def region_of(page: Page, name: str) -> Any:
    return page.get_by_role("region", name=name, exact=True)


# --- the story -------------------------------------------------------------------------------


def test_report_hide_appeal_to_another_moderator_overturns_and_the_public_log_stays_anonymous(
    live_server, world, mailbox, page: Page, browser
):
    for key in ("nina", "lea", "max"):
        world.member(key)
    world.member("karim", role="moderator")  # national: no federation to moderate, so everywhere
    world.member("paula", role="moderator")
    base = live_server.url

    # 1. Léa's published reply, quoting a tweet.
    topic_id, post_id = lea_quotes_a_tweet(world)
    topic_url = f"{base}/t/{topic_id}"

    with ExitStack() as stack:
        reporter = stack.enter_context(browser_page(browser))
        karim = stack.enter_context(browser_page(browser))
        paula = stack.enter_context(browser_page(browser))

        # 2. Max reports the post from under it.
        log_in(reporter, base, "max")
        reporter.goto(topic_url)
        expect(reporter.get_by_role("heading", level=1)).to_have_text(OPENER_TITLE)
        leas_post = reporter.get_by_role("article", name="Lea Test")
        expect(leas_post).to_have_count(1)
        expect(leas_post.get_by_role("figure", name="Tweet / post X").locator("blockquote")).to_have_text(TWEET_TEXT)
        leas_post.get_by_role("link", name="Signaler", exact=True).click()

        expect(reporter).to_have_url(f"{base}/p/{post_id}/signaler")
        expect(reporter.get_by_role("heading", level=1)).to_have_text("Signaler un message")
        assert_accessibility_basics(reporter)
        reasons = reporter.get_by_role("group", name="Raison", exact=True)
        reasons.get_by_label(REPORT_REASON, exact=True).check()
        reporter.get_by_label("Précisions pour la modération (facultatif, sauf pour « Autre »)").fill(REPORT_PRECISION)
        reporter.get_by_role("button", name="Envoyer le signalement").click()
        expect(reporter.get_by_role("status")).to_have_text(THANKS)
        reporter.get_by_role("link", name="Retour au sujet").click()
        expect(reporter.get_by_role("article", name="Lea Test")).to_contain_text(TWEET_TEXT)  # one report masks nothing

        # 3. Karim takes the case from the queue and hides the post.
        log_in(karim, base, "karim")
        karim.get_by_role("navigation", name="Compte").get_by_role("link", name="Modération").click()
        expect(karim).to_have_url(f"{base}/moderation")
        expect(karim.get_by_role("heading", level=1)).to_have_text("File de modération")
        assert_accessibility_basics(karim)
        entry = karim.get_by_role("listitem").filter(has=karim.get_by_role("link", name=OPENER_TITLE))
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(f"Signalement : {REPORT_REASON}")
        expect(entry).to_contain_text("par Lea Test")
        expect(entry).to_contain_text("1 signalement(s)")
        entry.get_by_role("link", name=OPENER_TITLE).click()

        expect(karim.get_by_role("heading", level=1)).to_have_text(OPENER_TITLE)
        assert_accessibility_basics(karim)
        why = region_of(karim, "Pourquoi ce cas est ouvert")
        expect(why.get_by_role("listitem").filter(has_text=f"Signalement : {REPORT_REASON}")).to_have_count(1)
        # The reporter and their precision: for the moderation's eyes only.
        expect(why.get_by_role("heading", name="Signalements (visibles de la modération seulement)")).to_be_visible()
        report_line = why.get_by_role("listitem").filter(has_text="Max Test")
        expect(report_line).to_have_count(1)
        expect(report_line).to_contain_text(REPORT_PRECISION)
        expect(region_of(karim, "Contenu")).to_contain_text(TWEET_TEXT)

        decision = region_of(karim, "Décision")
        decision.get_by_role("button", name="Prendre en charge (30 min)").click()
        expect(decision.get_by_text("Vous avez pris ce cas en charge.")).to_be_visible()
        expect(decision.get_by_role("button", name="Prendre en charge (30 min)")).to_have_count(0)
        assert_accessibility_basics(karim)
        decision.get_by_role("group", name="Décision", exact=True).get_by_label("Masquer le message", exact=True).check()
        decision.get_by_label("Motif", exact=True).select_option(label=REPORT_REASON)
        decision.get_by_label("Précisions (transmises à l’auteur·rice)").fill(DECISION_PRECISION)
        mailbox.clear()
        decision.get_by_role("button", name="Enregistrer la décision").click()
        expect(karim).to_have_url(f"{base}/moderation?fait=1")
        expect(karim.get_by_role("status")).to_have_text("Décision enregistrée ; l’auteur·rice a été prévenu·e.")
        expect(karim.get_by_role("link", name=OPENER_TITLE)).to_have_count(0)

        # 4. Léa is told by email, with the reason and the appeal link back to this server.
        email = mailbox.wait_for("lea@example.org")
        assert str(email["Subject"]) == "Tribune : décision de modération sur votre message"
        body = mailbox.body(email)
        assert f"Votre message dans « {OPENER_TITLE} » a été masqué par la modération." in body, body
        assert f"Motif : {REPORT_REASON} — {DECISION_PRECISION}." in body, body
        assert "faire appel de cette décision une fois, dans les 14 jours" in body, body
        assert not re.search(r"\bMax\b", body) and REPORT_PRECISION not in body, body  # the reporter stays unknown
        link = mailbox.link("lea@example.org")
        assert re.fullmatch(rf"{re.escape(base)}/decisions/\d+/appel", link), link

        # Max now sees the placeholder, neither the text nor the quote card, and no "Signaler".
        reporter.goto(topic_url)
        withheld = reporter.get_by_role("article", name="Lea Test")
        expect(withheld.get_by_role("note")).to_have_text(PLACEHOLDER)
        expect(withheld).not_to_contain_text(TWEET_TEXT)
        expect(withheld).not_to_contain_text(REPLY_BODY)
        expect(withheld.get_by_role("figure")).to_have_count(0)
        expect(withheld.get_by_role("link", name="Signaler")).to_have_count(0)
        expect(reporter.get_by_role("article", name="Nina Test")).to_contain_text(OPENER_BODY)  # the topic stays

        # In her browser Léa finds the decision in her notifications, then follows the email.
        log_in(page, base, "lea")
        page.get_by_role("navigation", name="Compte").get_by_role("link", name=re.compile(r"^Notifications")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
        assert_accessibility_basics(page)
        # The accessible name turns no-break spaces into plain ones: the email above checks them.
        notice = page.get_by_role("link", name=re.compile(rf"«\s{re.escape(OPENER_TITLE)}\s» a été masqué"))
        expect(notice).to_have_attribute("href", link.removeprefix(base))
        expect(page.get_by_role("main")).not_to_contain_text("Max")
        page.goto(topic_url)
        expect(page.get_by_role("article", name="Lea Test").get_by_role("note")).to_contain_text(
            f"{PLACEHOLDER} Vous seul·e en voyez encore le contenu")
        expect(page.get_by_role("article", name="Lea Test")).to_contain_text(TWEET_TEXT)

        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Décision de modération")
        main = page.get_by_role("main")
        expect(main).to_contain_text("a été masqué par la modération")
        expect(main).to_contain_text(f"Motif : {REPORT_REASON} — {DECISION_PRECISION}")
        expect(main).not_to_contain_text(re.compile(r"\bMax\b"))
        expect(main).not_to_contain_text(REPORT_PRECISION)
        expect(page.get_by_role("heading", name="Faire appel")).to_be_visible()
        assert_accessibility_basics(page)
        page.get_by_label("Pourquoi la décision devrait changer").fill(APPEAL_TEXT)
        page.get_by_role("button", name="Envoyer l’appel").click()
        expect(page).to_have_url(f"{link}?envoye=1")
        expect(page.get_by_role("status")).to_have_text("Appel enregistré : un·e autre modérateur·rice va l’examiner.")
        expect(page.get_by_role("heading", name="Votre appel")).to_be_visible()
        expect(main).to_contain_text(APPEAL_TEXT)
        expect(main).to_contain_text("En attente de décision.")
        expect(page.get_by_label("Pourquoi la décision devrait changer")).to_have_count(0)  # once only

        # 5. Karim cannot decide the appeal of his own decision: the page says he is recused and shows no
        # form, and a forged POST is refused in French all the same.
        karim.get_by_role("link", name="Appels en attente").click()
        expect(karim).to_have_url(f"{base}/moderation/appels")
        assert_accessibility_basics(karim)
        case = region_of(karim, OPENER_TITLE)
        expect(case).to_contain_text("décision : Masquer le message par Karim Test")
        expect(case.get_by_role("status")).to_contain_text("vous avez pris la décision contestée")
        expect(case.get_by_role("button", name="Trancher")).to_have_count(0)
        token = karim.locator("input[name=csrf_token]").first.input_value()
        appeal_id = _open_appeal_id(world)
        refused = karim.request.post(f"{base}/moderation/appels/{appeal_id}/decision",
                                     form={"csrf_token": token, "outcome": "upheld", "reason_text": "Je maintiens."},
                                     headers={"Origin": base})
        assert refused.status == 403
        assert RECUSED in refused.text()

        # Paula, the other national moderator, overturns it.
        log_in(paula, base, "paula")
        paula.get_by_role("navigation", name="Compte").get_by_role("link", name="Modération").click()
        paula.get_by_role("link", name="Appels en attente").click()
        expect(paula.get_by_role("heading", level=1)).to_have_text("Appels en attente")
        assert_accessibility_basics(paula)
        case = region_of(paula, OPENER_TITLE)
        expect(case).to_have_count(1)  # Karim's attempt left the appeal open
        expect(case).to_contain_text(f"décision : Masquer le message par Karim Test · {REPORT_REASON} — {DECISION_PRECISION}")
        expect(case.locator("blockquote")).to_have_text(APPEAL_TEXT)
        outcome = case.get_by_role("group", name="Issue de l’appel")
        outcome.get_by_label("Annuler la décision", exact=True).check()
        case.get_by_label("Motif (transmis à l’auteur·rice)").fill(APPEAL_REASON)
        mailbox.clear()
        case.get_by_role("button", name="Trancher").click()
        expect(paula).to_have_url(f"{base}/moderation/appels?fait=1")
        expect(paula.get_by_role("status")).to_have_text("Appel tranché ; l’auteur·rice a été prévenu·e.")
        expect(paula.get_by_text("Aucun appel en attente.")).to_be_visible()

        # Léa is told, by email and on the decision's page.
        verdict = mailbox.wait_for("lea@example.org")
        assert str(verdict["Subject"]) == "Tribune : décision sur votre appel"
        assert f"la décision est annulée. Motif : {APPEAL_REASON}" in mailbox.body(verdict)
        page.goto(link)
        expect(page.get_by_role("main")).to_contain_text(f"Décision annulée en appel. {APPEAL_REASON}")

        # 6. The public log, from the footer: the decision and its outcome, nobody, no free text.
        reporter.get_by_role("contentinfo").get_by_role("link", name="Transparence de la modération").click()
        expect(reporter).to_have_url(f"{base}/transparence")
        expect(reporter.get_by_role("heading", level=1)).to_have_text("Transparence de la modération")
        assert_accessibility_basics(reporter)
        log = reporter.get_by_role("table", name="Décisions de modération, les plus récentes d’abord")
        rows = log.get_by_role("row").filter(has=reporter.get_by_role("cell"))
        expect(rows).to_have_count(1)
        cells = rows.first.get_by_role("cell")
        expect(cells.nth(1)).to_have_text("Débat")
        expect(cells.nth(2)).to_have_text("masqué")
        expect(cells.nth(4)).to_have_text("annulée en appel")
        monthly = reporter.get_by_role("table", name="Nombre de décisions par mois et par type")
        hidden_row = monthly.get_by_role("row").filter(has=reporter.get_by_role("rowheader", name="masqué", exact=True))
        expect(hidden_row.get_by_role("cell").last).to_have_text("1")
        expect(reporter.get_by_role("img", name="Nombre de décisions par mois et par type")).to_have_count(1)
        public = reporter.get_by_role("main")
        expect(public).to_contain_text("Entrées au journal :")
        expect(public).not_to_contain_text(PEOPLE)
        for private in PRIVATE_TEXTS:
            expect(public).not_to_contain_text(private)

        # And the post is back for Max, with its quote card.
        reporter.goto(topic_url)
        restored = reporter.get_by_role("article", name="Lea Test")
        expect(restored.get_by_role("note")).to_have_count(0)
        expect(restored.locator(".post-body").first).to_have_text(REPLY_BODY)
        expect(restored.get_by_role("figure", name="Tweet / post X").locator("blockquote")).to_have_text(TWEET_TEXT)

    assert page.dialogs == []


# --- known application bugs, reproduced (strict: an XPASS means the fix landed, drop the mark) ---


def _member(session: Any, world: Any, key: str) -> Any:
    from forum.models import Member

    return session.get(Member, world.ids[key])


def reported(world: Any) -> tuple[int, int]:
    """Léa's reply, reported by Max through the service layer. Returns (topic id, review item id)."""
    from moderation import services

    topic_id, post_id = lea_quotes_a_tweet(world)
    with world.ctx.db.write() as session:
        report = services.report_post(world.ctx, session, _member(session, world, "max"), post_id, "montage",
                                      REPORT_PRECISION)
        return topic_id, report.review_item_id


def hidden_and_appealed(world: Any) -> int:
    """The story up to Léa's appeal, through the service layer. Returns the decision's id."""
    from moderation import services

    _, item_id = reported(world)
    with world.ctx.db.write() as session:
        decision = services.decide(world.ctx, session, _member(session, world, "karim"), item_id, "hide", "montage",
                                   DECISION_PRECISION)
        decision_id = decision.id
    with world.ctx.db.write() as session:
        services.file_appeal(world.ctx, session, _member(session, world, "lea"), decision_id, APPEAL_TEXT)
    return decision_id


def _open_appeal_id(world: Any) -> int:
    from sqlalchemy import select

    from moderation.models import Appeal

    with world.ctx.db.read() as session:
        return int(session.scalar(select(Appeal.id).where(Appeal.status == "open")))


def _cast(world: Any) -> None:
    for key in ("nina", "lea", "max"):
        world.member(key)
    world.member("karim", role="moderator")
    world.member("paula", role="moderator")


def test_an_appeal_decided_without_an_outcome_keeps_the_typed_reason(live_server, world, page: Page):
    _cast(world)
    hidden_and_appealed(world)
    log_in(page, live_server.url, "paula")
    page.goto(f"{live_server.url}/moderation/appels")
    case = region_of(page, OPENER_TITLE)
    case.get_by_label("Motif (transmis à l’auteur·rice)").fill(APPEAL_REASON)
    # Paula forgets to pick "Maintenir" or "Annuler".
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        case.get_by_role("button", name="Trancher").click()
    assert answer.value.status == 422
    case = region_of(page, OPENER_TITLE)
    expect(case.get_by_role("alert")).to_contain_text("Choisissez : maintenir ou annuler la décision.")
    expect(case.get_by_role("alert")).to_contain_text("Votre texte est conservé ci-dessous.")
    # The page is loaded and static: plain reads, so the known failure costs no expect timeout.
    kept = case.get_by_label("Motif (transmis à l’auteur·rice)").input_value()
    assert kept == APPEAL_REASON, kept
    outcome = case.get_by_role("group", name="Issue de l’appel")
    assert outcome.get_attribute("aria-invalid") == "true"
    described = outcome.evaluate("el => document.getElementById(el.getAttribute('aria-describedby') || '')?.textContent")
    assert described and "Choisissez : maintenir ou annuler la décision." in described, described


def test_the_transparency_page_names_the_reason_in_french(live_server, world, page: Page):
    _cast(world)
    hidden_and_appealed(world)
    log_in(page, live_server.url, "max")
    page.goto(f"{live_server.url}/transparence")
    log = page.get_by_role("table", name="Décisions de modération, les plus récentes d’abord")
    rows = log.get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("cell").nth(4)).to_have_text("appel en cours")
    reason = rows.first.get_by_role("cell").nth(3).inner_text()  # loaded: a plain read, no expect timeout
    assert reason == REPORT_REASON, reason


def test_the_case_page_names_the_state_and_the_report_reason_in_french(live_server, world, page: Page):
    _cast(world)
    _, item_id = reported(world)
    log_in(page, live_server.url, "karim")
    page.goto(f"{live_server.url}/moderation/elements/{item_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(OPENER_TITLE)
    why = region_of(page, "Pourquoi ce cas est ouvert")
    report_line = why.get_by_role("listitem").filter(has_text="Max Test")
    expect(report_line).to_have_count(1)
    # Loaded and static: plain reads, no expect timeout on the known failure.
    header = page.get_by_role("main").locator("p.meta").first.inner_text()
    line = report_line.inner_text()
    assert not re.search(r"\b(published|hidden|held|rejected)\b", header), header
    assert f"Max Test · {REPORT_REASON} — {REPORT_PRECISION}" in line, line
