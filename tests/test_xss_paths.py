"""XSS on every rendering path, not only the Markdown renderer: a slice of the payload corpus
(tests/data/xss_payloads.txt, two payloads of every family) is put where members and admins can
put text (topic titles, display names, federation and category names, quote fields, report and
decision reasons, context notes, replies to quotes, professions de foi) and every page or email
that shows it is read back as a browser reads it (html5lib).

What an attacker would need, and what each test refuses: a script other than the application's
own, an on* handler, a javascript:/data:/vbscript: URL, an inline style, an element the page does
not use. What a reader must get: the payload shown as the text that was typed. Where the text is
escaped by a template, the page with the payload has exactly the elements and attributes of the
same page with ordinary text (nothing was added, nothing was swallowed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import unicodedata
from collections import Counter
from email.message import EmailMessage
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
from sqlalchemy import func, select

from forum.charts import BarChart
from forum.models import Category, Federation, Member, Post, Quote, Role, Topic
from forum.services import accounts, designations, posting, replies, statements
from forum.services.posting import QuoteInput
from moderation import notes
from moderation import services as moderation
from moderation.models import ReviewItem
from tests.conftest import PASSWORD, csrf_of, login
from tests.test_markup import ALLOWED_ATTRS as MARKUP_ATTRS
from tests.test_markup import ALLOWED_TAGS as MARKUP_TAGS
from tests.test_markup import FAMILIES, SLICE, _scheme

SAFE_SCHEMES = {None, "http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "ping", "cite", "srcdoc",
                  "codebase", "dynsrc", "lowsrc"}
# Every element the templates (and forum/charts.py) write, plus what the Markdown renderer may
# produce inside a post body and <mark> in search excerpts. Anything else came from a payload.
PAGE_TAGS = {
    "html", "head", "body", "meta", "title", "link", "script", "header", "nav", "main", "footer", "section",
    "article", "aside", "div", "span", "p", "a", "h1", "h2", "ul", "ol", "li", "dl", "dt", "dd", "table",
    "caption", "thead", "tbody", "tr", "th", "td", "form", "fieldset", "legend", "label", "input", "select",
    "option", "textarea", "button", "details", "summary", "figure", "figcaption", "blockquote", "time", "code",
    "strong", "br", "img", "ins", "del", "template", "mark", "svg", "g", "rect", "text", "desc",
} | MARKUP_TAGS
EMAIL_TAGS = {"html", "head", "meta", "title", "body", "div", "p", "a", "br", "ul", "li"}


# --- reading pages as a browser does -----------------------------------------------------------


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _document(html: str) -> Element:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def _elements(root: Element) -> list[Element]:
    return [el for el in root.iter() if isinstance(el.tag, str)]


def _classes(el: Element) -> set[str]:
    return set(el.get("class", "").split())


def _text(el: Element) -> str:
    return _norm("".join(el.itertext()))


def _norm(text: str) -> str:
    """Text as a reader compares it: NUL shown as U+FFFD, runs of white space as one space."""
    return " ".join(text.replace("\x00", "\ufffd").replace("\r", "\n").split())


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def audit(html: str, *, email: bool = False) -> list[str]:
    """Everything in a page (or an email's HTML part) that could run code, load content or
    restyle the page; empty when the document is inert."""
    root = _document(html)
    head = root.find("head")
    own_scripts = [el for el in (head if head is not None else []) if el.tag == "script"]
    problems = []
    for el in _elements(root):
        tag = _local(el.tag)
        if tag not in (EMAIL_TAGS if email else PAGE_TAGS):
            problems.append(f"élément <{tag}>")
        if tag == "script" and not (el in own_scripts and el.get("src", "").startswith("/static/")
                                    and not (el.text or "").strip()):
            problems.append(f"script {el.attrib} {el.text!r}")
        if tag == "svg" and "chart-svg" not in _classes(el):
            problems.append("svg hors des graphiques")
        for raw_name, value in el.attrib.items():
            name = _local(raw_name)
            if name.startswith("on"):
                problems.append(f"gestionnaire {name} sur <{tag}>")
            if name == "style" and not email:  # emails style their own layout inline
                problems.append(f"style sur <{tag}>")
            if name in URL_ATTRIBUTES and (name == "srcdoc" or _scheme(value) not in SAFE_SCHEMES):
                problems.append(f"{name}={value[:80]!r} sur <{tag}>")
    for body in (el for el in _elements(root) if "post-body" in _classes(el)):
        for el in _elements(body):
            if el is body:
                continue
            if _local(el.tag) not in MARKUP_TAGS:
                problems.append(f"<{_local(el.tag)}> dans un message")
            extra = {_local(n) for n in el.attrib} - MARKUP_ATTRS
            if extra:
                problems.append(f"attributs {sorted(extra)} dans un message")
    return problems


def assert_inert(html: str, where: str, *, email: bool = False) -> Element:
    problems = audit(html, email=email)
    assert problems == [], f"{where}:\n" + "\n".join(problems)
    return _document(html)


def skeleton(html: str) -> Counter[tuple[str, tuple[str, ...]]]:
    """The elements of a page with the names of their attributes: what a payload would change if
    it escaped from text. Text and attribute values are left out."""
    return Counter((_local(el.tag), tuple(sorted(_local(n) for n in el.attrib))) for el in _elements(_document(html)))


def _get(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def _as(client: Any, key: str) -> None:
    client.cookies.clear()
    assert login(client, f"{key}@example.org").status_code == 303


def typable_name(payload: str) -> str:
    """The closest name to a payload that create-member and the roster accept: no control
    character (NUL, CR, LF, tab... are refused), 100 characters at most."""
    name = "".join(c for c in payload if unicodedata.category(c) != "Cc")[:100].strip()
    return name or "Nom"


def _member(world: Any, key: str, first_name: str, federation: Federation | None = None,
            role: Role = Role.MEMBER) -> int:
    """A member created as `python -m forum create-member` does (accounts.create_member)."""
    with world.ctx.db.write() as session:
        fed = session.get(Federation, federation.id) if federation else accounts.find_federation(session, "paris")
        member = accounts.create_member(session, email=f"{key}@example.org", first_name=first_name, last_name="Test",
                                        federation=fed, role=role, password=PASSWORD)
        world.ids[key] = member.id
        return member.id


def _wait_for_mail(mailbox: Any, to: str, count: int, timeout: float = 20.0) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in list(mailbox.messages) if to in str(m["To"])]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, (len(found), count)
            return found
        time.sleep(0.05)


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(preferencelist=("plain",)), message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def _title_for(index: int, payload: str) -> str:
    """A topic title holding the payload (titles need 5 to 200 characters)."""
    return f"Sujet {index} {payload}"[:200]


# --- the slice ---------------------------------------------------------------------------------


def test_the_slice_spans_every_family():
    assert len(SLICE) >= 50
    assert all(set(payloads) & set(SLICE) for payloads in FAMILIES.values())


def test_the_audit_sees_what_a_payload_would_add():
    page = "<!doctype html><html><head><title>t</title></head><body><main>{}</main></body></html>"
    for bad in ("<script>alert(1)</script>", '<p onclick="x">x</p>', '<a href=" jav&#x09;ascript:x">x</a>',
                '<p style="color:red">x</p>', "<iframe></iframe>", "<svg><a href=x>x</a></svg>",
                '<div class="post-body"><span>x</span></div>', '<a href="data:text/html,x">x</a>',
                '<form action="javascript:x"></form>', '<button formaction="vbscript:x">x</button>'):
        assert audit(page.format(bad)) != [], bad
    assert audit(page.format('<a href="/t/1">x</a> <a href="https://ok.example">y</a>')) == []
    assert skeleton(page.format("<b>x</b>")) != skeleton(page.format("&lt;b&gt;x"))


# --- topic titles: lists, topic page, search, notifications and their emails -------------------


def test_hostile_topic_titles_are_text_on_every_page_and_in_the_notification_emails(client, world, mailbox):
    mallory = world.member("mallory")
    world.member("lea")
    titles = ["Sujet témoin, texte ordinaire"] + [_title_for(i, p) for i, p in enumerate(SLICE)]
    topic_ids = []
    with world.ctx.db.write() as session:
        author = session.get(Member, mallory)
        for title in titles:
            # A statement invites a co-signatory: the title travels in a notification and an email.
            topic = statements.create_statement(world.ctx, session, author, "general", title,
                                                "Texte de la déclaration.", "lea@example.org")
            topic_ids.append(topic.id)
    with world.ctx.db.read() as session:
        stored = dict(session.execute(select(Topic.id, Topic.title)).all())
    for topic_id, typed in zip(topic_ids, titles):
        assert stored[topic_id] == _norm(typed)  # kept as typed (white space collapsed), not "cleaned"

    _as(client, "lea")
    baseline = skeleton(_get(client, f"/t/{topic_ids[0]}"))
    for topic_id in topic_ids[1:]:
        html = _get(client, f"/t/{topic_id}")
        root = assert_inert(html, f"/t/{topic_id}")
        assert _text(root.find(".//h1")) == stored[topic_id]
        assert stored[topic_id] in _text(root.find("head/title"))
        assert skeleton(html) == baseline, stored[topic_id]

    listed: set[str] = set()
    urls = ["/", "/c/general"]
    while urls:
        url = urls.pop(0)
        root = assert_inert(_get(client, url), url)
        listed |= {_text(a) for a in root.iter("a") if a.get("href", "").startswith("/t/")}
        urls += [a.get("href") for a in root.iter("a") if a.get("rel") == "next" and url != "/"]
    assert set(stored.values()) <= listed  # every title listed, each as one link's whole text

    found: set[int] = set()
    for number in (1, 2, 3):
        html = _get(client, f"/recherche?q=sujet&page={number}")
        root = assert_inert(html, f"/recherche page {number}")
        for h3 in root.iter("h3"):
            link = h3.find("a")
            if link is None or not link.get("href", "").startswith("/t/"):
                continue
            topic_id = int(re.match(r"/t/(\d+)", link.get("href")).group(1))
            found.add(topic_id)
            assert {el.tag for el in link.iter()} <= {"a", "mark"}
            if world.ctx.db.is_sqlite:  # (PostgreSQL's ts_headline drops what it reads as tags)
                assert _text(link) == stored[topic_id]
    assert found == set(topic_ids)

    root = assert_inert(_get(client, "/notifications"), "/notifications")
    expected = {f"Mallory Test vous invite à cosigner « {stored[t]} »." for t in topic_ids}
    shown = [_text(a) for a in root.iter("a") if a.get("href", "").startswith("/t/")]
    assert len(shown) == min(50, len(topic_ids)) and set(shown) <= expected

    messages = _wait_for_mail(mailbox, "lea@example.org", len(topic_ids))
    email_baseline = None
    for message in messages:
        plain, html = _parts(message)
        topic_id = int(re.search(r"/t/(\d+)#p", plain).group(1))
        assert f"«\xa0{stored[topic_id]}\xa0»" in plain  # the plain part: the title as stored, not escaped
        root = assert_inert(html, f"courriel « {stored[topic_id][:60]} »", email=True)
        assert f"Mallory Test vous invite à cosigner « {stored[topic_id]} »." in _text(root.find("body"))
        if topic_id == topic_ids[0]:
            email_baseline = skeleton(html)
    assert email_baseline is not None
    for message in messages:
        assert skeleton(_parts(message)[1]) == email_baseline


# --- display names, federation names, the endorsements chart ------------------------------------


def test_hostile_display_and_federation_names_are_text_in_posts_profiles_and_the_chart(client, world):
    from tests.test_designations_http import T0, Clock, _open_designation

    clock = Clock(T0 - dt.timedelta(days=5))
    world.ctx.clock = clock
    slug = _open_designation(client, world)
    clock.now = T0
    camille = world.member("camille")
    with world.ctx.db.write() as session:
        designation = designations.designation_by_slug(session, slug)
        candidacy = designations.declare_candidacy(world.ctx, session, session.get(Member, camille), designation.id,
                                                   "Je porte un projet de rassemblement pour 2027.")
        topic = posting.create_topic(world.ctx, session, session.get(Member, camille), "general",
                                     "Les noms des membres", "Présentez-vous.")
        feds = [Federation(slug=f"f{i}", name=f"{i} {payload}".replace("\x00", "")[:200]) for i, payload in enumerate(SLICE)]
        feds.insert(0, Federation(slug="temoin", name="Fédération témoin"))
        session.add_all(feds)
    names = ["Prénom témoin"] + [typable_name(payload) for payload in SLICE]
    members = [_member(world, f"m{i}", name, fed) for i, (name, fed) in enumerate(zip(names, feds))]
    with world.ctx.db.write() as session:
        for member_id in members:
            member = session.get(Member, member_id)
            posting.reply(world.ctx, session, member, topic.id, "Bonjour à toutes et à tous.")
            designations.endorse(world.ctx, session, member, candidacy.id)
        shown = {m.id: (m.display_name, f.name) for m, f in zip(
            (session.get(Member, i) for i in members), (session.get(Federation, f.id) for f in feds))}
    for name, (display, _) in zip(names, shown.values()):
        assert display == f"{name.strip()} Test"

    _as(client, "camille")
    baseline = skeleton(_get(client, f"/membres/{members[0]}"))
    for member_id in members[1:]:
        html = _get(client, f"/membres/{member_id}")
        root = assert_inert(html, f"/membres/{member_id}")
        display, federation = shown[member_id]
        assert _text(root.find(".//h1")).endswith(_norm(display))
        assert _norm(federation) in {_text(dd) for dd in root.iter("dd")}
        assert skeleton(html) == baseline, display

    headers: dict[int, tuple[str, str]] = {}
    for number in range(1, len(members) // 20 + 2):
        root = assert_inert(_get(client, f"/t/{topic.id}?page={number}"), f"/t/{topic.id}?page={number}")
        for header in (el for el in root.iter("header") if "post-header" in _classes(el)):
            author = next(a for a in header.iter("a") if "author" in _classes(a))
            federation = next(s for s in header.iter("span") if _classes(s) == {"meta"})
            headers[int(author.get("href").rsplit("/", 1)[1])] = (_text(author), _text(federation))
    for member_id in members:
        assert headers[member_id] == tuple(_norm(x) for x in shown[member_id])

    for url in (f"/designations/{slug}", f"/candidatures/{candidacy.id}"):
        root = assert_inert(_get(client, url), url)
        if url.startswith("/designations/"):
            svg = next(el for el in root.iter() if "chart-svg" in _classes(el))
            assert {_local(el.tag) for el in svg.iter()} <= {"svg", "title", "desc", "g", "text", "rect"}
            table = next(d for d in root.iter("details") if d.get("id") == "parrainages-data")
            labels = {_text(th) for th in table.iter("th") if th.get("scope") == "row"}
            assert {_norm(f) for _, f in shown.values()} <= labels
        else:
            page_text = _text(root.find("body"))
            assert all(_norm(display) in page_text for display, _ in shown.values())


def test_chart_labels_title_and_description_stay_text():
    benign = BarChart.of((f"Fédération {i}", i + 1) for i in range(len(SLICE)))
    hostile = BarChart.of((payload, i + 1) for i, payload in enumerate(SLICE))
    page = "<!doctype html><html><head><title>t</title></head><body>{}</body></html>"
    expected = skeleton(page.format(benign.svg("c", "Titre", "Description")))
    for payload in SLICE:
        html = page.format(hostile.svg(payload, payload, payload))  # the id, title and description too
        root = assert_inert(html, payload)
        assert skeleton(html) == expected, payload
        svg = root.find(".//{http://www.w3.org/2000/svg}svg")
        assert _norm(svg.get("aria-labelledby")) == _norm(f"{payload}-title {payload}-desc")
        # (A parser drops NUL from text, and shows it as U+FFFD in an attribute.)
        assert _text(svg.find("{http://www.w3.org/2000/svg}title")) == _norm(payload.replace("\x00", ""))
    drawn = [_text(t) for t in _document(page.format(hostile.svg("c", "t", "d"))).iter("{http://www.w3.org/2000/svg}text")]
    labels = [_norm(payload if len(payload) <= 46 else payload[:45] + "…") for payload in SLICE]
    assert drawn[0::2] == labels


# --- quote cards --------------------------------------------------------------------------------


def test_hostile_quote_fields_are_shown_as_typed_on_their_own_card(client, world):
    mallory = world.member("mallory")
    topic_ids = []
    with world.ctx.db.write() as session:
        author = session.get(Member, mallory)
        for start in range(0, len(SLICE), posting.MAX_QUOTES):
            quotes = [QuoteInput(kind="article", author=p[:200], handle=p[:200], said_at="2012-05-02",
                                 source_url="https://ok.example/" + p.strip()[:1900], context=p, text=p)
                      for p in SLICE[start:start + posting.MAX_QUOTES]]
            topic = posting.create_topic(world.ctx, session, author, "general", f"Citations {start}",
                                         "Voici ce qui a été dit.", quotes)
            topic_ids.append(topic.id)
    with world.ctx.db.read() as session:
        stored = list(session.scalars(select(Quote).order_by(Quote.post_id, Quote.position)))
    assert len(stored) == len(SLICE)

    _as(client, "mallory")  # the author sees every card, even on a post the checker held
    cards: list[Element] = []
    for topic_id in topic_ids:
        root = assert_inert(_get(client, f"/t/{topic_id}"), f"/t/{topic_id}")
        cards += [el for el in root.iter("figure") if "quote-card" in _classes(el)]
    assert len(cards) == len(stored)
    for card, quote in zip(cards, stored):
        text = next(el for el in card.iter("blockquote"))
        assert list(text) == [] and _text(text) == _norm(quote.text)
        author = next(el for el in card.iter("span") if "quote-author" in _classes(el))
        assert _text(author) == _norm(f"{quote.author} {quote.handle}")
        facts = {_text(dt_): dd for dt_, dd in zip(card.iter("dt"), card.iter("dd"))}
        assert _text(facts["Contexte"]) == _norm(quote.context)
        [source] = list(facts["Source"])
        assert source.tag == "a" and source.get("href") == quote.source_url and _scheme(quote.source_url) == "https"


URLS_REFUSED = [
    "javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", " javascript:alert(1)", "\tjavascript:alert(1)",
    "java\nscript:alert(1)", "java\x00script:alert(1)", "javascript&#58;alert(1)", "&#106;avascript:alert(1)",
    "\u200bjavascript:alert(1)", "ｊａｖａｓｃｒｉｐｔ:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:text/html,<script>alert(1)</script>",
    "//evil.example/x", "https:javascript:alert(1)", "http:/evil.example", "file:///etc/passwd",
    "\x01https://ok.example", "%6A%61%76%61%73%63%72%69%70%74:alert(1)",
] + [p for p in SLICE if re.match(r"\s*[a-z&%\\]", p, re.I) and not p.lower().lstrip().startswith(("http://", "https://"))][:10]


def test_a_source_or_archive_link_that_is_not_http_is_refused_in_french_and_the_draft_comes_back_inert(client, world):
    world.member("mallory")
    _as(client, "mallory")
    page = "/c/general/nouveau"
    for index, url in enumerate(URLS_REFUSED):
        field = ("source_url", "archive_url")[index % 2]
        payload = SLICE[index % len(SLICE)]
        data = {"csrf_token": csrf_of(_get(client, page)), "action": "publish", "title": _title_for(index, payload),
                "body": payload, "quote_count": "1", "q-0-kind": "article", "q-0-author": payload[:200],
                "q-0-said_at": "2012-05-02", "q-0-context": payload, "q-0-text": payload,
                "q-0-source_url": "https://ok.example/a", f"q-0-{field}": url}
        response = client.post(page, data=data)
        assert response.status_code == 422, (url, response.status_code)
        root = assert_inert(response.text, f"formulaire renvoyé pour {url!r}")
        assert "Le lien doit commencer par https:// (ou http://)." in _text(root.find("body"))
        typed = {el.get("name"): el.get("value") for el in root.iter("input") if el.get("name")}
        typed |= {el.get("name"): "".join(el.itertext()) for el in root.iter("textarea")}
        # The draft is given back as typed (browsers drop one leading newline in a textarea).
        assert typed[f"q-0-{field}"] is not None and _norm(typed[f"q-0-{field}"]) == _norm(url)
        assert _norm(typed["q-0-text"]) == _norm(payload) and _norm(typed["body"]) == _norm(payload)
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Quote)) == 0
        assert session.scalar(select(func.count()).select_from(Post)) == 0


# --- search excerpts ----------------------------------------------------------------------------


def test_search_excerpts_hold_only_marks_around_escaped_text(client, world):
    mallory = world.member("mallory")
    world.member("lea")
    bodies = [f"zanzibar {payload} zanzibar" for payload in SLICE]
    with world.ctx.db.write() as session:
        author = session.get(Member, mallory)
        topic = posting.create_topic(world.ctx, session, author, "general", "Un sujet sur un archipel", "Ouverture.")
        post_ids = [posting.reply(world.ctx, session, author, topic.id, body).id for body in bodies]
        sources = dict(session.execute(select(Post.id, Post.source).where(Post.id.in_(post_ids))).all())
    _as(client, "lea")
    found: dict[int, Element] = {}
    for number in (1, 2, 3):
        root = assert_inert(_get(client, f"/recherche?q=zanzibar&page={number}"), f"/recherche page {number}")
        for hit in (el for el in root.iter("li") if "card" in _classes(el)):
            post_id = int(hit.find("h3/a").get("href").rsplit("#p", 1)[1])
            [excerpt] = [p for p in hit.iter("p") if "excerpt" in _classes(p)]
            # Only <mark> inside an excerpt, around the word searched for and nothing else.
            assert {el.tag for el in excerpt.iter()} == {"p", "mark"}, sources.get(post_id)
            assert {_text(m).lower() for m in excerpt.iter("mark")} == {"zanzibar"}
            found[post_id] = excerpt
    assert set(found) == set(post_ids)
    if world.ctx.db.is_sqlite:
        # FTS5 cuts the Markdown source as typed: what is shown is a piece of it, as text.
        for post_id, excerpt in found.items():
            shown = _text(excerpt).replace("…", " ").split()
            assert " ".join(shown) in _norm(sources[post_id]), (sources[post_id], shown)


# --- moderation: report and decision reasons, category names, the transparency page -------------


def test_hostile_reasons_and_category_names_in_moderation_pages_notifications_emails_and_transparency(client, world, mailbox):
    mallory = world.member("mallory")
    lea = world.member("lea")
    modo = world.member("modo", role="moderator")
    world.ctx.settings = dataclasses.replace(world.ctx.settings, reports_per_hour=0)  # one reporter, many reports
    with world.ctx.db.write() as session:
        # (Categories are made by an admin, outside any form: no NUL, which PostgreSQL cannot store.)
        session.add_all(Category(slug=f"c{i}", name=f"{i} {p}".replace("\x00", "")[:200], description="Catégorie.",
                                 position=10 + i) for i, p in enumerate(SLICE))
    # Typed in a form: forum/web.py's form reader turns NUL into U+FFFD before any service sees it.
    reasons = [p.replace("\x00", "\ufffd")[:2000].strip() for p in SLICE]
    items = []
    with world.ctx.db.write() as session:
        author, reporter, moderator = (session.get(Member, i) for i in (mallory, lea, modo))
        for i, reason in enumerate(reasons):
            topic = posting.create_topic(world.ctx, session, author, f"c{i}", f"Sujet numéro {i}", "Un message.")
            post_id = session.scalar(select(Post.id).where(Post.topic_id == topic.id))
            moderation.report_post(world.ctx, session, reporter, post_id, "autre", reason)
            item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.post_id == post_id))
            moderation.decide(world.ctx, session, moderator, item_id, "hide", "autre", reason)
            items.append(item_id)
        categories = [session.scalar(select(Category.name).where(Category.slug == f"c{i}")) for i in range(len(SLICE))]

    _as(client, "modo")
    for item_id, reason, category in zip(items, reasons, categories):
        root = assert_inert(_get(client, f"/moderation/elements/{item_id}"), f"/moderation/elements/{item_id}")
        lines = [_text(li) for li in root.iter("li")]
        # The report's text and the decision's reason, each after its label.
        assert sum(line.endswith(f") — {_norm(reason)}") for line in lines) == 2, (reason, lines)
        assert _norm(category) in _text(root.find("body"))

    _as(client, "lea")  # the transparency page is for every member
    root = assert_inert(_get(client, "/transparence"), "/transparence")
    shown_categories = [_text(td) for td in root.iter("td") if td.get("data-label") == "Catégorie"]
    assert len(shown_categories) == min(50, len(categories)) and set(shown_categories) <= {_norm(c) for c in categories}
    # The free text of a decision is private: the public table names the reason code only.
    assert {_text(td) for td in root.iter("td") if td.get("data-label") == "Motif"} == {_norm(moderation.REASONS["autre"])}

    _as(client, "mallory")
    root = assert_inert(_get(client, "/notifications"), "/notifications")
    notices = [_text(li) for li in root.iter("li")]
    label = _norm(moderation.REASONS["autre"])
    for reason in reasons[-50:]:
        assert any(f"Motif : {label} — {_norm(reason)}." in n for n in notices), reason

    messages = _wait_for_mail(mailbox, "mallory@example.org", len(reasons))
    for message, reason in zip(messages, reasons):  # sent in the order of the decisions
        plain, html = _parts(message)
        # The plain part: the reason as typed (an email's lines end in CRLF, whatever was typed).
        assert f" — {_lines(reason)}." in _lines(plain), reason
        root = assert_inert(html, f"courriel de décision ({reason[:40]!r})", email=True)
        assert f"Motif : {label} — {_norm(reason)}." in _text(root.find("body"))


# --- Markdown written elsewhere than posts: context notes, replies to quotes, professions de foi ---


def test_hostile_markdown_in_notes_quote_replies_and_professions_de_foi_is_sanitised(client, world):
    from tests.test_designations_http import T0, Clock, _open_designation

    clock = Clock(T0 - dt.timedelta(days=5))
    world.ctx.clock = clock
    slug = _open_designation(client, world)
    clock.now = T0
    mallory = world.member("mallory")
    cible = world.member("cible")
    modo = world.member("modo", role="moderator")
    with world.ctx.db.write() as session:
        author = session.get(Member, mallory)
        topic = posting.create_topic(world.ctx, session, author, "general", "Notes et réponses", "Un message.")
        post_id = session.scalar(select(Post.id).where(Post.topic_id == topic.id))
        for payload in SLICE:
            notes.add_note(world.ctx, session, session.get(Member, modo), post_id, payload, as_moderator=True)
        for start in range(0, len(SLICE), posting.MAX_QUOTES):
            chunk = SLICE[start:start + posting.MAX_QUOTES]
            quotes = [QuoteInput(kind="article", author="Cible Test", said_at="2012-05-02", context="Entretien.",
                                 source_url="https://ok.example/entretien", text=f"Citation {start + i}.",
                                 quoted_member_ref="cible@example.org") for i in range(len(chunk))]
            posting.reply(world.ctx, session, author, topic.id, "Des citations.", quotes)
        quote_ids = list(session.scalars(select(Quote.id).order_by(Quote.id)))
        for quote_id, payload in zip(quote_ids, SLICE):
            replies.reply_to_quote(world.ctx, session, session.get(Member, cible), quote_id, payload)
        designation = designations.designation_by_slug(session, slug)
        candidacy = designations.declare_candidacy(world.ctx, session, author, designation.id, f"Profession de foi. {SLICE[0]}")
        for payload in SLICE[1:]:
            designations.edit_statement(world.ctx, session, author, candidacy.id, f"Profession de foi. {payload}")

    _as(client, "cible")
    root = assert_inert(_get(client, f"/t/{topic.id}"), f"/t/{topic.id}")
    assert len([el for el in root.iter("aside") if "context-note" in _classes(el)]) == len(SLICE)
    assert len([el for el in root.iter("section") if "quote-reply" in _classes(el)]) == len(SLICE)
    for url in (f"/candidatures/{candidacy.id}", f"/candidatures/{candidacy.id}/versions"):
        root = assert_inert(_get(client, url), url)
        if url.endswith("/versions"):
            # The first version whole (sanitised HTML), then each one as a diff of its source, as text.
            assert len([el for el in root.iter("section") if "revision" in _classes(el)]) == len(SLICE)
            added = [el for el in root.iter("ins")]
            assert all([child.tag for child in el] == ["span"] for el in added)
            added_text = {_norm("".join(el.itertext()).split(":", 1)[1]) for el in added}
            for payload in SLICE[1:]:
                first_line = _norm(f"Profession de foi. {payload}".split("\n")[0])
                assert first_line in added_text or not first_line, payload
        else:
            [statement] = [el for el in root.iter("div") if "post-body" in _classes(el)]
            assert statement.find("p") is not None
