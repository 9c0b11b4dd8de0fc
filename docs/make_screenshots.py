"""`make screenshots`: PNG screenshots of the main pages, from the demo data, desktop and phone.

Starts the forum on a fresh demo database in a temporary folder, drives Debian's chromium
with Playwright, writes docs/screenshots/<page>-<size>.png, and stops everything it started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-tribune-2026"
SIZES = {"ordinateur": {"width": 1280, "height": 900}, "telephone": {"width": 375, "height": 812}}
# (file name, who is logged in, path)
PAGES = [
    ("connexion", None, "/connexion"),
    ("accueil", "lea.moreau@tribune.example", "/"),
    ("categorie", "lea.moreau@tribune.example", "/c/debat"),
    ("sujet", "lea.moreau@tribune.example", "/t/1"),
    ("nouveau-sujet-citations", "lea.moreau@tribune.example", "/c/debat/nouveau"),
    ("designation", "lea.moreau@tribune.example", "/designations/tete-de-liste-aux-elections-europeennes"),
    ("candidature", "lea.moreau@tribune.example", "/candidatures/1"),
    ("matrice", "lea.moreau@tribune.example", "/designations/tete-de-liste-aux-elections-europeennes/matrice"),
    ("moderation", "moderation@tribune.example", "/moderation"),
    ("transparence", "lea.moreau@tribune.example", "/transparence"),
    # Members are numbered in forum/demo.py's PEOPLE order: 8 is Paul Bernard, who posts every month below.
    ("profil", "lea.moreau@tribune.example", "/membres/8"),
    ("notifications", "hugo.lefebvre@tribune.example", "/notifications"),
]
# Months ago, author, text, moderator's action and reason (None: left in the queue): the moderation history that the transparency
# page and Paul's profile draw. forum/demo.py cannot write it (forum never imports moderation).
HISTORY = [
    (3, "paul", "Je propose que chaque section organise un débat public avant le vote.", "keep", "conforme"),
    (3, "hugo", "Ceux qui soutiennent l’autre candidature sont des traîtres au parti.", "hide", "attaque_personnelle"),
    (2, "paul", "Le compte rendu de la réunion de Bordeaux est en ligne sur le site de la fédération.", "keep", "conforme"),
    (2, "ines", "Voici le numéro personnel du secrétaire fédéral, appelez-le tous.", "hide", "donnees_personnelles"),
    (2, "hugo", "Encore une réunion pour rien, comme d’habitude avec ces gens-là.", "warn", "attaque_personnelle"),
    (1, "paul", "Le tract sur les transports est prêt : qui peut aider samedi au marché ?", "keep", "conforme"),
    (1, "sarah", "Ce n’est pas le sujet, mais qui a vu le match hier soir ?", "hide", "hors_sujet"),
    (1, "ines", "Le calendrier de la désignation a été publié dans les annonces.", "keep", "source_verifiee"),
    (0, "paul", "Merci aux camarades de la Gironde pour l’accueil de la réunion régionale.", "keep", "conforme"),
    (0, "sarah", "Elle a dit qu’elle quitterait le parti si elle perdait, tout le monde le sait.", "hide", "fausse_citation"),
    # Reported, not yet decided: what the moderation queue shows.
    (0, "hugo", "Les militants de Lyon n’ont jamais rien compris à la politique.", None, None),
    (0, "ines", "Pas de réunion cette semaine, tout le monde est au tractage.", None, None),
]


def seed_screenshot_data() -> str:
    """On the demo database of TRIBUNE_VAR_DIR: a topic quoting a tweet and an article through the
    provenance checker (the demo runs without it), with the quoted member's reply, and reports and
    decisions over the last months. Returns the quote topic's path."""
    import dataclasses
    import datetime as dt

    from sqlalchemy import select

    from forum.context import Context
    from forum.events import QuoteInput
    from forum.mail import Mailer
    from forum.models import Member, Post, Quote
    from forum.services import posting, replies
    from forum.settings import Settings
    from moderation import services
    from moderation.integration import install

    class QuietMailer(Mailer):
        def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
            return None

    settings = dataclasses.replace(Settings.from_env(), seconds_between_posts=0, topics_per_day=0, reports_per_hour=0)
    base = dataclasses.replace(Context.build(settings), mailer=QuietMailer(settings))
    install(base)
    now = dt.datetime.now(dt.timezone.utc)
    said = dt.datetime(2019, 5, 14, 18, 42, tzinfo=dt.timezone.utc)
    status = f"https://twitter.com/jdupont/status/{(int(said.timestamp() * 1000) - 1288834974657) << 22}"
    with base.db.write() as session:
        people = {m.email.split(".")[0].split("@")[0]: m for m in session.scalars(select(Member))}
        quoting = posting.create_topic(
            base, session, people["hugo"], "debat", "Jean, ta position sur les métropoles a-t-elle changé ?",
            "Jean, tu écrivais ceci en 2019, et la presse l’a repris le lendemain. Est-ce toujours ta position ?",
            quotes=[
                QuoteInput(kind="tweet", author="Jean Dupont", handle="@jdupont", said_at="2019-05-14",
                           source_url=status, archive_url=f"https://web.archive.org/web/20190515083000/{status}",
                           context="Au soir du meeting régional de Lyon, en réponse à une question sur les métropoles.",
                           text="Les métropoles décident de tout et les villages paient l’addition.",
                           quoted_member_ref="jean.dupont@tribune.example"),
                QuoteInput(kind="article", author="Le Courrier du Rhône", said_at="2019-05-15",
                           source_url="https://www.courrier-du-rhone.example/2019/05/15/meeting-lyon",
                           archive_url="https://archive.ph/Xy7Qz",  # a short link: the checker cannot read it
                           context="Compte rendu du meeting, le lendemain.",
                           text="Jean Dupont a opposé « les métropoles qui décident » aux « villages qui paient »."),
            ])
        session.flush()
        [post] = [p for p in session.scalars(select(Post).where(Post.topic_id == quoting.id))]
        tweet = min(q.id for q in session.scalars(select(Quote).where(Quote.post_id == post.id)))
        replies.reply_to_quote(base, session, people["jean"], tweet,
                               "Je l’ai écrit, et le contexte est exact. Depuis, mon programme prévoit "
                               "un fonds pour les communes rurales : ma position a évolué, pas mes valeurs.")

        people = {m.email.split(".")[0].split("@")[0]: m for m in session.scalars(select(Member))}
        moderator, reporter = people["moderation"], people["lea"]
        first = dataclasses.replace(base, clock=lambda: now - dt.timedelta(days=30 * HISTORY[0][0] + 2))
        topic = posting.create_topic(first, session, people["camille"], "vie-locale", "Le ton de nos échanges",
                                     "Rappel : on débat des idées, pas des personnes. Signalez ce qui dépasse.")
        for months_ago, author, text, action, reason in HISTORY:
            ctx = dataclasses.replace(base, clock=lambda days=30 * months_ago: now - dt.timedelta(days=days))
            post = posting.reply(ctx, session, people[author], topic.id, text)
            report = services.report_post(ctx, session, reporter, post.id, "attaque_personnelle", "")
            if action:
                services.decide(ctx, session, moderator, report.review_item_id, action, reason, "")
    return f"/t/{quoting.id}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("chromium introuvable : apt-get install chromium", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tribune-shots-"))
    port = _free_port()
    env = dict(os.environ, TRIBUNE_VAR_DIR=str(work), TRIBUNE_ALLOWED_HOSTS="127.0.0.1",
               TRIBUNE_BASE_URL=f"http://127.0.0.1:{port}", TRIBUNE_EMAIL_BACKEND="console")
    python = sys.executable
    subprocess.run([python, "-m", "forum", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([python, "-m", "forum", "demo"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([python, __file__, "--seed"], env=env, check=True, capture_output=True, text=True)
    pages = PAGES + [("citations", "lea.moreau@tribune.example", seeded.stdout.split()[-1])]
    server = subprocess.Popen([python, "-m", "uvicorn", "--factory", "forum.app:create_app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/connexion", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            for size, viewport in SIZES.items():
                sessions: dict[str | None, object] = {}
                for name, email, path in pages:
                    context = sessions.get(email)
                    if context is None:
                        context = browser.new_context(viewport=viewport, locale="fr-FR")
                        if email:
                            page = context.new_page()
                            page.goto(base + "/connexion")
                            page.get_by_label("Adresse électronique").fill(email)
                            page.get_by_label("Mot de passe").fill(PASSWORD)
                            page.get_by_role("button", name="Se connecter").click()
                            page.wait_for_url(base + "/")
                            page.close()
                        sessions[email] = context
                    page = context.new_page()  # type: ignore[attr-defined]
                    page.goto(base + path)
                    target = OUT / f"{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    page.close()
                    print(f"  {target.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        print(seed_screenshot_data())
        raise SystemExit(0)
    raise SystemExit(main())
