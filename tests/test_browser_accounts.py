"""The "foundation" path in a real browser: invitation email, password, topic, reply, edit, history.

Every element is found by its role and accessible name or by its label, so these tests
also prove that the forms are labelled and the buttons and links are named, in French.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from forum.services import accounts
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# "Publier", "Publier le sujet", "Publier la réponse": the wording may vary, the action may not.
PUBLISH = re.compile(r"^Publier")

NEW_PASSWORD = "une-phrase-de-passe-solide"


def test_invited_member_sets_password_posts_replies_edits_and_reads_history(live_server, world, mailbox, page: Page):
    # An administrator creates the member without a password and sends the invitation.
    ctx = live_server.ctx
    with ctx.db.write() as session:
        member = accounts.create_member(
            session, email="camille.durand@example.org", first_name="Camille", last_name="Durand",
            federation=accounts.find_federation(session, "paris"), password=None,
        )
        accounts.send_invitation(ctx, session, member)

    # The email arrived on the real SMTP server; its link leads to this server.
    link = mailbox.link("camille.durand@example.org")
    assert link.startswith(f"{live_server.url}/invitation/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Camille")
    page.get_by_label("Nouveau mot de passe (10 caractères au moins)").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()

    # Logged in, on the home page.
    expect(page).to_have_url(f"{live_server.url}/")
    account = page.get_by_role("navigation", name="Compte")
    expect(account.get_by_role("link", name="Camille Durand")).to_be_visible()
    expect(account.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # The link was spent: opening it again is refused, in French.
    second = page.context.new_page()
    response = second.goto(link)
    assert response is not None and response.status == 404
    expect(second.get_by_text("Ce lien n’est plus valable")).to_be_visible()
    second.close()

    # A new topic in the "Général" category.
    page.get_by_role("link", name="Général").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Général")
    page.get_by_role("link", name="Nouveau sujet").click()
    page.get_by_label("Titre").fill("Calendrier de la désignation")
    page.get_by_label("Message (Markdown)").fill("Quand votons-nous pour la **tête de liste** ?")
    page.get_by_role("button", name=PUBLISH).click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendrier de la désignation")
    first_post = page.get_by_role("article").nth(0)
    expect(first_post.locator("strong")).to_have_text("tête de liste")  # Markdown rendered

    # A reply of two lines.
    page.get_by_label("Votre message (Markdown)").fill("Le congrès a lieu en mars.\nLe vote suit le 12 avril.")
    page.get_by_role("button", name=PUBLISH).click()
    expect(page).to_have_url(re.compile(r"/t/\d+\?page=1#p\d+$"))
    expect(page.get_by_role("article")).to_have_count(2)
    reply = page.get_by_role("article").filter(has_text="Le vote suit le 12 avril.")
    expect(reply).to_contain_text("#2")

    # Edit the reply: the form holds the current Markdown source.
    reply.get_by_role("link", name="Modifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier votre message")
    body = page.get_by_label("Message (Markdown)")
    expect(body).to_have_value("Le congrès a lieu en mars.\nLe vote suit le 12 avril.")
    body.fill("Le congrès a lieu en mars.\nLe vote suit le 19 avril.")
    page.get_by_role("button", name="Enregistrer la modification").click()

    expect(page).to_have_url(re.compile(r"/t/\d+\?page=1#p\d+$"))
    reply = page.get_by_role("article").filter(has_text="Le congrès a lieu en mars.")
    expect(reply).to_contain_text("Le vote suit le 19 avril.")
    expect(reply).not_to_contain_text("12 avril")

    # The edit is never silent: the history shows both versions and the changed line.
    reply.get_by_role("link", name=re.compile("voir l’historique")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique du message #2")
    expect(page.get_by_text("2 versions, la plus récente d’abord.")).to_be_visible()
    latest = page.get_by_role("region", name=re.compile(r"^Version 2 ·"))
    original = page.get_by_role("region", name=re.compile(r"^Version 1 ·"))
    expect(latest).to_contain_text("Camille Durand")
    diff = latest.get_by_role("group", name="Différences avec la version précédente")
    expect(diff.locator("ins")).to_have_count(1)
    expect(diff.locator("del")).to_have_count(1)
    expect(diff.locator("ins")).to_have_text("ajouté : Le vote suit le 19 avril.")
    expect(diff.locator("del")).to_have_text("retiré : Le vote suit le 12 avril.")
    expect(diff).to_contain_text("Le congrès a lieu en mars.")  # unchanged context line
    expect(original).to_contain_text("Le congrès a lieu en mars.")
    expect(original).to_contain_text("Le vote suit le 12 avril.")
    expect(original).not_to_contain_text("19 avril")

    assert page.dialogs == []


def test_wrong_password_shows_french_error_and_keeps_email(live_server, world, page: Page):
    world.member("lea")
    page.goto(f"{live_server.url}/connexion")
    email = page.get_by_label("Adresse électronique")
    email.fill("lea@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_text("Adresse ou mot de passe incorrect.")).to_be_visible()
    email = page.get_by_label("Adresse électronique")
    expect(email).to_have_value("lea@example.org")
    # The error is tied to the field, so a screen reader announces it with the field.
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Adresse ou mot de passe incorrect.")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    expect(page).to_have_url(re.compile(r"/connexion(\?.*)?$"))
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "tribune_session"]


def test_keyboard_only_skip_link_then_login(live_server, world, page: Page):
    world.member("lea")
    page.goto(f"{live_server.url}/connexion")

    # The first Tab from the top of the page lands on the skip link, which then shows.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    # Following it moves focus to the main content: the next Tab is the email field,
    # not the header's links.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contenu$"))
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Adresse électronique")).to_be_focused()

    # And the whole login works from the keyboard.
    page.keyboard.type("lea@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("navigation", name="Compte").get_by_role("link", name="Lea Test")).to_be_visible()
