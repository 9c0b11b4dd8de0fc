"""XSS in a real browser: the whole payload corpus, posted by a member, shown by Chromium.

The payloads of tests/data/xss_payloads.txt are published through the service layer (as a
member would through the form), spread over topics of 40 posts; the member then logs in
through the browser and reads every page that holds them. The author reads them, because
the author sees every post even if moderation holds some: whatever the checker decides,
every payload reaches the browser (other readers get the same stored HTML). Whatever the sanitiser missed,
Chromium would run it here: the test watches what an attacker would use to prove an
execution (dialogs, console, page errors, a global set by the payload, outgoing requests)
and what must never reach the DOM (scripts, on* handlers, javascript: URLs, embedded
content, forms inside a post).
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.models import Member, Post
from forum.services import posting
from tests.test_xss_paths import typable_name
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# "Publier", "Publier le sujet", "Publier la réponse": the wording may vary, the action may not.
PUBLISH = re.compile(r"^Publier")

CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"
POSTS_PER_TOPIC = 40

# Our own additions: payloads that set a global instead of opening a dialog, so an
# execution is caught even where alert() would be swallowed.
EXTRA_PAYLOADS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>",
    "<details open ontoggle=window.__xss=1>",
    "[clic](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">clic</a>',
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
    "<style>@import 'http://evil.example/x.css';</style><b>gras</b>",
]

_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|[ntr0\\])")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\"}


def _decode(line: str) -> str:
    """The escapes documented at the top of the corpus: \\n \\r \\t \\0 \\xHH \\\\."""
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x" else _ESCAPES[m.group(1)], line)


def load_payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [_decode(line) for line in lines if line.strip() and not line.startswith("#")] + EXTRA_PAYLOADS


# Everything an attacker-controlled piece of the page could use to run code, load
# content or phish, gathered in one pass over the live DOM (after the browser parsed it).
AUDIT_DOM = r"""() => {
  const found = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + ' in ' + (el.closest('article') ? '#' + el.closest('article').id : 'page');
  // The only scripts allowed are the application's own files, loaded in <head> from
  // /static/ with no inline code (user content always lands in <body>).
  for (const el of document.querySelectorAll('script')) {
    const own = el.parentElement === document.head && (el.getAttribute('src') || '').startsWith('/static/')
        && el.textContent.trim() === '';
    if (!own) found.push('script: ' + el.outerHTML.slice(0, 200));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push('handler ' + name + ' on ' + describe(el));
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'srcdoc', 'ping'].includes(name)) {
        // What the browser would follow: an unparsable URL goes nowhere, anything else
        // must be plain web or mail.
        let protocol = null;
        try { protocol = new URL(attr.value, document.baseURI).protocol; } catch (e) { /* inert */ }
        if ((protocol !== null && !['http:', 'https:', 'mailto:'].includes(protocol)) || name === 'srcdoc')
          found.push(name + '=' + attr.value.slice(0, 80) + ' (' + protocol + ') on ' + describe(el));
      }
    }
  }
  // The literal check too (the protocol check above already covers case, tabs and
  // leading spaces). "javascript%3A…" or "javascript&#58…" are relative paths on this
  // site, hence the colon.
  for (const el of document.querySelectorAll('a[href^="javascript:" i]'))
    found.push("javascript link " + el.outerHTML.slice(0, 200) + " on " + describe(el));
  // Frames, plugins, <base>, refresh, inline style: the application uses none, anywhere.
  for (const el of document.querySelectorAll('iframe, frame, frameset, object, embed, applet, portal, base, meta[http-equiv], style'))
    found.push('embedded ' + describe(el));
  for (const el of document.querySelectorAll('link'))
    if (el.parentElement !== document.head || !(el.getAttribute('href') || '').startsWith('/static/'))
      found.push('link: ' + el.outerHTML.slice(0, 120));
  // Inside a post only text formatting and links: no media, no form to phish with, no
  // styling to overlay the page, no id/name to clobber the DOM.
  const inPost = '.post-body :is(img, svg, math, video, audio, source, picture, canvas, form, input, button, textarea, '
      + 'select, label, details, dialog, marquee, template, slot, [style], [id], [class], [target], [name])';
  for (const el of document.querySelectorAll(inPost)) found.push('in a post: ' + el.outerHTML.slice(0, 120));
  // Titles are plain text wherever they are shown (a profile's heading holds its own avatar initials).
  for (const el of document.querySelectorAll('h1 *:not(span.avatar:first-child), title *')) found.push('in a title: ' + el.outerHTML.slice(0, 120));
  if (document.querySelectorAll('form').length !== document.querySelectorAll('main form, header form').length)
    found.push('form outside the page layout');
  return found;
}"""


def _publish(ctx: Any, author_id: int, payloads: list[str]) -> list[tuple[int, int]]:
    """Publish the payloads through the service layer; returns (topic id, post count) per topic."""
    topics: list[tuple[int, int]] = []
    for start in range(0, len(payloads), POSTS_PER_TOPIC):
        chunk = payloads[start:start + POSTS_PER_TOPIC]
        with ctx.db.write() as session:
            author = session.get(Member, author_id)
            # The title carries a payload too: titles are shown on the topic, category and home pages.
            title = f"Charge {start // POSTS_PER_TOPIC + 1} : {chunk[0]}"[: posting.TITLE_MAX]
            topic = posting.create_topic(ctx, session, author, "general", title, chunk[0])
            for body in chunk[1:]:
                posting.reply(ctx, session, author, topic.id, body)
            topics.append((topic.id, len(chunk)))
    return topics


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


class Watch:
    """What the browser reports while pages load: console, uncaught errors, requests."""

    def __init__(self, page: Page, origin: str) -> None:
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("request", lambda request: None if request.url.startswith(origin + "/") else self.foreign.append(request.url))
        self._page = page

    def _console(self, message: Any) -> None:
        if "content security policy" in message.text.lower():
            self.csp.append(f"{self._page.url}: {message.text}")


def _visit(page: Page, url: str, expected_posts: int | None = None) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    problems = page.evaluate(AUDIT_DOM)
    assert problems == [], f"{url}:\n" + "\n".join(problems)
    assert page.evaluate("typeof window.__xss") == "undefined", f"{url}: window.__xss a été défini"
    assert page.dialogs == [], page.dialogs
    if expected_posts is not None:  # no payload broke out of its post and swallowed the next ones
        expect(page.locator("article.post")).to_have_count(expected_posts)


def test_xss_corpus_is_inert_in_the_browser(live_server, world, page: Page):
    payloads = load_payloads()
    assert len(payloads) > 300, "le corpus semble tronqué"
    author = world.member("mallory")
    topics = _publish(live_server.ctx, author, payloads)

    # One post's history holds the whole corpus as a diff: source lines are shown there too.
    first_topic = topics[0][0]
    with live_server.ctx.db.write() as session:
        whole_corpus = "\n".join(payloads)[: posting.BODY_MAX]
        post_id = posting.edit_post(
            live_server.ctx, session, session.get(Member, author), _first_post_id(session, first_topic), whole_corpus
        ).id

    base = live_server.url
    watch = Watch(page, base)
    _log_in(page, base, "mallory@example.org")

    per_page = live_server.ctx.settings.posts_per_page
    seen = 0
    for topic_id, count in topics:
        pages = math.ceil(count / per_page)
        for number in range(1, pages + 1):
            on_page = min(per_page, count - (number - 1) * per_page)
            _visit(page, f"{base}/t/{topic_id}?page={number}", on_page)
            seen += on_page
    assert seen == len(payloads)  # every payload was rendered on some page

    # Titles carry payloads too: the home page lists the latest topics, the category all of them.
    _visit(page, f"{base}/")
    expect(page.get_by_role("link", name=re.compile(r"^Charge \d+ :"))).to_have_count(min(10, len(topics)))
    _visit(page, f"{base}/c/general")
    expect(page.get_by_role("link", name=re.compile(r"^Charge \d+ :"))).to_have_count(len(topics))
    _visit(page, f"{base}/p/{post_id}/historique")
    expect(page.locator(".diff ins")).not_to_have_count(0)

    assert page.dialogs == [], page.dialogs
    assert watch.csp == [], "\n".join(watch.csp)
    assert watch.errors == [], "\n".join(watch.errors)
    assert watch.foreign == [], watch.foreign


def _first_post_id(session: Any, topic_id: int) -> int:
    from sqlalchemy import select

    from forum.models import Post

    return int(session.scalar(select(Post.id).where(Post.topic_id == topic_id, Post.number == 1)))


def test_topic_page_sends_a_strict_csp_with_a_fresh_nonce(live_server, world, page: Page):
    author = world.member("lea")
    [(topic_id, _)] = _publish(live_server.ctx, author, ["Un sujet ordinaire."])
    _log_in(page, live_server.url, "lea@example.org")

    policies = []
    for _ in range(2):
        response = page.goto(f"{live_server.url}/t/{topic_id}")
        assert response is not None and response.status == 200
        policies.append(response.headers["content-security-policy"])

    directives = {
        name: values
        for name, *values in (part.split() for part in policies[0].split(";") if part.strip())
    }
    assert "'unsafe-inline'" not in policies[0] and "'unsafe-eval'" not in policies[0]
    nonces = [v for v in directives["script-src"] if re.fullmatch(r"'nonce-[A-Za-z0-9_-]{16,}={0,2}'", v)]
    assert len(nonces) == 1, directives["script-src"]
    assert directives["default-src"] == ["'none'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    # A nonce that does not change per response would be no protection at all.
    second_nonce = re.search(r"'nonce-([^']+)'", policies[1])
    assert second_nonce and f"'nonce-{second_nonce.group(1)}'" != nonces[0]


def test_nul_character_in_a_reply_is_refused_or_kept_not_a_server_error(live_server, world, page: Page):
    # A textarea happily sends U+0000 (as %00). PostgreSQL text cannot hold it: unless the
    # application deals with it, the member gets "Erreur du serveur" instead of a message.
    author = world.member("lea")
    [(topic_id, _)] = _publish(live_server.ctx, author, ["Un sujet ordinaire."])
    _log_in(page, live_server.url, "lea@example.org")
    page.goto(f"{live_server.url}/t/{topic_id}")
    page.get_by_label("Votre message (Markdown)").fill("avant\x00après")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=PUBLISH).click()
    assert posted.value.status < 500, f"{posted.value.status} : {page.locator('h1').inner_text()}"
    expect(page.get_by_role("heading", name="Erreur du serveur")).to_have_count(0)


def _csp_without_nonce(policy: str) -> dict[str, list[str]]:
    return {name: [v for v in values if not v.startswith("'nonce-")]
            for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_hostile_text_in_titles_names_quotes_search_and_transparency_is_inert_in_the_browser(live_server, world, page: Page):
    """Not only post bodies: a slice of the corpus (two payloads of every family, plus those that set a
    global) typed wherever a member or an admin types text that other people read."""
    from forum.models import Category
    from forum.services import accounts
    from forum.services.posting import QuoteInput
    from moderation import services as moderation
    from moderation.models import ReviewItem
    from tests.test_markup import SLICE

    payloads = SLICE + EXTRA_PAYLOADS
    ctx = live_server.ctx
    ctx.settings = dataclasses.replace(ctx.settings, reports_per_hour=0)  # one reporter, many reports
    mallory, lea = world.member("mallory"), world.member("lea")
    modo = world.member("modo", role="moderator")
    with ctx.db.write() as session:
        author = session.get(Member, mallory)
        # Titles (home, category, topic pages, search results).
        title_topics = [posting.create_topic(ctx, session, author, "general", f"Sujet {i} {p}"[: posting.TITLE_MAX],
                                             f"zanzibar {p} zanzibar").id for i, p in enumerate(payloads)]
        # Quote cards: every field but the link holds a payload; the link is https with the payload in its path.
        quotes_topic = posting.create_topic(ctx, session, author, "general", "Citations piégées", "Des citations.").id
        for start in range(0, len(payloads), posting.MAX_QUOTES):
            posting.reply(ctx, session, author, quotes_topic, "Voici ce qui a été dit.", [
                QuoteInput(kind="article", author=p[:200], handle=p[:200], said_at="2012-05-02", context=p, text=p,
                           source_url="https://ok.example/" + p.strip()[:1900])
                for p in payloads[start:start + posting.MAX_QUOTES]])
        names_topic = posting.create_topic(ctx, session, author, "general", "Présentez-vous", "Qui êtes-vous ?").id
        # Categories named by an admin, decisions with a free-text reason: the transparency page.
        session.add_all(Category(slug=f"c{i}", name=f"{i} {p}".replace("\x00", "")[:200], description="Catégorie.",
                                 position=10 + i) for i, p in enumerate(payloads))
        session.flush()
        reporter, moderator = session.get(Member, lea), session.get(Member, modo)
        for i, p in enumerate(payloads):
            topic = posting.create_topic(ctx, session, author, f"c{i}", f"Sujet modéré {i}", "Un message.")
            post_id = session.scalar(select(Post.id).where(Post.topic_id == topic.id))
            moderation.report_post(ctx, session, reporter, post_id, "autre", p.replace("\x00", "\ufffd"))
            item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.post_id == post_id))
            moderation.decide(ctx, session, moderator, item_id, "hide", "autre", p.replace("\x00", "\ufffd"))
    # Display names (post headers, profiles), as `python -m forum create-member` sets them.
    names: list[int] = []
    for i, p in enumerate(payloads):
        with ctx.db.write() as session:
            member = accounts.create_member(session, email=f"n{i}@example.org", first_name=typable_name(p),
                                            last_name="Test", federation=accounts.find_federation(session, "paris"),
                                            password=PASSWORD)
            posting.reply(ctx, session, member, names_topic, "Bonjour à toutes et à tous.")
            names.append(member.id)

    base = live_server.url
    watch = Watch(page, base)
    documents: list[Any] = []
    scripts: list[str] = []
    page.on("response", lambda r: documents.append(r) if r.request.resource_type == "document" else None)
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    _log_in(page, base, "lea@example.org")
    per_page = ctx.settings.posts_per_page
    urls = [f"{base}/", f"{base}/c/general", f"{base}/transparence"]
    urls += [f"{base}/t/{t}" for t in title_topics[::6]]
    urls += [f"{base}/t/{quotes_topic}?page={n}" for n in range(1, math.ceil((1 + math.ceil(len(payloads) / posting.MAX_QUOTES)) / per_page) + 1)]
    urls += [f"{base}/t/{names_topic}?page={n}" for n in range(1, math.ceil((1 + len(names)) / per_page) + 1)]
    urls += [f"{base}/membres/{m}" for m in names[::4]]
    urls += [f"{base}/recherche?q=zanzibar&page={n}" for n in range(1, math.ceil(len(payloads) / 20) + 1)]
    for url in urls:
        _visit(page, url)
    _visit(page, f"{base}/t/{quotes_topic}")
    expect(page.locator("figure.quote-card")).to_have_count(len(payloads))
    # What a reader sees in a card is the text as typed, never markup.
    texts = page.locator("figure.quote-card blockquote.quote-text").all_inner_texts()
    assert [" ".join(t.split()) for t in texts] == [" ".join(p.replace("\x00", "\ufffd").split()) for p in payloads]
    assert page.evaluate("() => [...document.querySelectorAll('figure.quote-card dd a[href]')].every(a => a.protocol === 'https:')")

    policies = [_csp_without_nonce(r.headers.get("content-security-policy", "")) for r in documents]
    assert len(policies) >= len(urls) and all(p == policies[0] for p in policies), "la CSP a changé d’une page à l’autre"
    assert policies[0]["default-src"] == ["'none'"] and "'unsafe-inline'" not in str(policies[0])
    assert page.dialogs == [], page.dialogs
    assert watch.csp == [], "\n".join(watch.csp)
    assert watch.errors == [], "\n".join(watch.errors)
    assert watch.foreign == [], watch.foreign
    assert scripts and all(url.startswith(f"{base}/static/") for url in scripts), scripts
