"""Full-text search (/recherche): French words with or without accents, only what any member may
read, filters, escaped snippets, hostile queries, paging. Each DB test runs on SQLite (FTS5 kept
by triggers) and on PostgreSQL (generated tsvector columns)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from forum.models import Member, Post, PostStatus, Topic, utcnow
from forum.search import PER_PAGE, fts5_query, marked, parse_query
from forum.services import posting
from moderation import services
from moderation.models import ReviewItem
from tests.conftest import login
from tests.test_quotes_http import PASTED_COMPILATION

HIT = re.compile(r'<a href="/t/\d+\?page=\d+#p(\d+)">')


def found(response: Any) -> list[int]:
    """The ids of the posts listed as results, in their order."""
    assert response.status_code == 200, response.status_code
    return [int(i) for i in HIT.findall(response.text)]


def excerpts(response: Any) -> list[str]:
    return re.findall(r'<p class="excerpt">(.*?)</p>', response.text, re.S)


def search(client: Any, **params: str) -> Any:
    return client.get("/recherche", params=params)


def _member(world: Any, session: Any, key: str) -> Member:
    member = session.get(Member, world.ids[key])
    assert member is not None
    return member


def _topic(world: Any, key: str, category: str, title: str, body: str) -> tuple[int, int]:
    """(topic id, first post id), written by the services as a member would."""
    ctx = world.ctx
    with ctx.db.write() as session:
        topic = posting.create_topic(ctx, session, _member(world, session, key), category, title, body)
        post_id = session.scalar(select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))
        assert post_id is not None
        return topic.id, post_id


def _reply(world: Any, key: str, topic_id: int, body: str) -> int:
    ctx = world.ctx
    with ctx.db.write() as session:
        return posting.reply(ctx, session, _member(world, session, key), topic_id, body).id


def _status(world: Any, post_id: int) -> tuple[PostStatus, dt.datetime | None]:
    with world.ctx.db.read() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post.status, post.masked_at


def _report(world: Any, reporter: str, post_id: int) -> None:
    ctx = world.ctx
    with ctx.db.write() as session:
        services.report_post(ctx, session, _member(world, session, reporter), post_id, "attaque_personnelle", "")


def _decide(world: Any, post_id: int, action: str, reason: str) -> None:
    ctx = world.ctx
    with ctx.db.write() as session:
        item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.post_id == post_id).order_by(ReviewItem.id.desc()))
        assert item_id is not None
        services.decide(ctx, session, _member(world, session, "karim"), item_id, action, reason,
                        "Décision prise pour le test de la recherche.")


# --- words, accents, titles, edits ------------------------------------------------------------


def test_finds_a_post_by_a_word_with_or_without_accents(client, world):
    world.member("lea")
    world.member("max")
    _, post_id = _topic(world, "lea", "general", "Calendrier interne", "Le calendrier de notre élection interne est publié.")
    _topic(world, "lea", "general", "Autre sujet ici", "Rien à voir avec le calendrier.")
    login(client, "max@example.org")
    for query in ("élection", "election", "ELECTION", "Élection interne"):
        assert found(search(client, q=query)) == [post_id], query
    page = search(client, q="election")
    assert "1 résultat" in page.text
    assert [e for e in excerpts(page) if "<mark>élection</mark>" in e], "the match is marked in its original spelling"
    missing = search(client, q="référendum")
    assert found(missing) == [] and "Aucun message publié ne correspond" in missing.text


def test_a_topic_title_finds_its_first_post_only(client, world):
    world.member("lea")
    world.member("max")
    topic_id, first = _topic(world, "lea", "general", "Réforme des statuts du parti", "Voici ma proposition détaillée.")
    _reply(world, "max", topic_id, "Je suis plutôt d’accord avec toi.")
    login(client, "max@example.org")
    page = search(client, q="statuts")
    assert found(page) == [first]
    assert "Réforme des <mark>statuts</mark> du parti" in page.text


def test_an_edited_post_is_found_by_its_new_text_not_its_old_one(client, world):
    world.member("lea")
    world.member("max")
    _, post_id = _topic(world, "lea", "general", "Transports du quotidien", "Il faut plus de trolleybus en ville.")
    ctx = world.ctx
    with ctx.db.write() as session:
        posting.edit_post(ctx, session, _member(world, session, "lea"), post_id, "Il faut plus de tramways en ville.")
    login(client, "max@example.org")
    assert found(search(client, q="trolleybus")) == []
    assert found(search(client, q="tramways")) == [post_id]


# --- who may find what -------------------------------------------------------------------------


def test_posts_another_member_may_not_read_are_never_found(client, world):
    for key in ("lea", "max", "nina", "omar", "paul"):
        world.member(key)
    world.member("karim", role="moderator")
    word = "zanzibar"
    _, public = _topic(world, "lea", "general", "Un voyage militant", f"Compte rendu de {word}, publié.")
    # Held by the checker: a whole topic (its title too), and a reply in a published topic.
    held_topic, held_first = _topic(world, "lea", "debat", f"Ce que pense vraiment {word}",
                                    PASTED_COMPILATION + f"\n\n{word} retenu")
    debate, debate_first = _topic(world, "lea", "debat", "Un débat tranquille", "Parlons calmement du programme.")
    held_reply = _reply(world, "lea", debate, PASTED_COMPILATION + f"\n\n{word} réponse retenue")
    # Hidden by a decision; masked by three reports; rejected after being held.
    _, hidden = _topic(world, "lea", "general", "Message à cacher", f"{word} caché par la modération")
    _report(world, "max", hidden)
    _decide(world, hidden, "hide", "attaque_personnelle")
    _, masked = _topic(world, "lea", "general", "Message à masquer", f"{word} masqué par signalements")
    for reporter in ("max", "nina", "omar"):
        _report(world, reporter, masked)
    rejected = _reply(world, "lea", debate, PASTED_COMPILATION + f"\n\n{word} refusé")
    _decide(world, rejected, "reject", "citation_non_sourcee")
    assert _status(world, debate_first)[0] == PostStatus.PUBLISHED
    assert _status(world, held_first)[0] == _status(world, held_reply)[0] == PostStatus.HELD
    assert _status(world, hidden)[0] == PostStatus.HIDDEN
    assert _status(world, masked)[0] == PostStatus.PUBLISHED and _status(world, masked)[1] is not None
    assert _status(world, rejected)[0] == PostStatus.REJECTED

    login(client, "paul@example.org")
    for query in (word, "retenu", "caché", "masqué", "refusé", "Ce que pense vraiment"):
        page = search(client, q=query)
        assert found(page) == ([public] if query == word else []), query
    page = search(client, q=word)
    assert "retenu" not in page.text and "caché" not in page.text and "refusé" not in page.text
    # Their author does not find them either: search shows what is published (a documented choice).
    client.cookies.clear()
    login(client, "lea@example.org")
    assert found(search(client, q=word)) == [public]

    # Once a moderator publishes the held topic, its title and text are found (the topic's
    # status changed too: the index follows both).
    _decide(world, held_first, "approve", "source_verifiee")
    with world.ctx.db.read() as session:
        assert session.get(Topic, held_topic).status == PostStatus.PUBLISHED  # type: ignore[union-attr]
    assert sorted(found(search(client, q=word))) == sorted([public, held_first])
    assert found(search(client, q="Ce que pense vraiment")) == [held_first]


# --- filters ------------------------------------------------------------------------------------


def test_filters_by_category_author_federation_and_paris_dates(client, world):
    world.member("lea")
    world.member("elodie")
    world.member("remi", federation="rhone")
    ctx = world.ctx
    with ctx.db.write() as session:
        _member(world, session, "elodie").first_name = "Élodie"
    # 23:30 UTC on 10 March is already 11 March in Paris.
    ctx.clock = lambda: dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.timezone.utc)
    _, lea_general = _topic(world, "lea", "general", "Le budget fédéral", "Le budget doit être voté en mars.")
    ctx.clock = lambda: dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.timezone.utc)
    _, remi_debat = _topic(world, "remi", "debat", "Budget du Rhône", "Notre budget est équilibré.")
    ctx.clock = lambda: dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.timezone.utc)
    _, elodie_general = _topic(world, "elodie", "general", "Un budget participatif", "Un budget pour les sections.")
    ctx.clock = utcnow
    login(client, "lea@example.org")

    def ids(**params: str) -> set[int]:
        return set(found(search(client, q="budget", **params)))

    assert ids() == {lea_general, remi_debat, elodie_general}
    assert ids(categorie="debat") == {remi_debat}
    assert ids(categorie="general") == {lea_general, elodie_general}
    assert ids(federation="rhone") == {remi_debat}
    assert ids(federation="paris") == {lea_general, elodie_general}
    assert ids(auteur="remi") == {remi_debat}
    assert ids(auteur="Remi Test") == {remi_debat}
    assert ids(auteur="élodie") == ids(auteur="ÉLODIE") == {elodie_general}
    assert ids(auteur="personne") == set()
    assert ids(du="2026-03-11", au="2026-03-11") == {lea_general}  # Paris days, not UTC days
    assert ids(au="2026-03-10") == set()
    assert ids(du="12/03/2026") == {remi_debat, elodie_general}
    assert ids(du="2026-03-11", au="2026-03-12", categorie="general") == {lea_general}
    wrong = search(client, q="budget", du="2026-02-31")
    assert found(wrong) == [] and "La date de début n’est pas une date" in wrong.text
    reversed_range = search(client, q="budget", du="2026-03-20", au="2026-03-01")
    assert found(reversed_range) == [] and "La date de fin précède la date de début." in reversed_range.text
    # The filters stay in the form.
    kept = search(client, q="budget", categorie="debat", auteur="remi", du="2026-03-01")
    assert '<option value="debat" selected>' in kept.text
    assert 'value="remi"' in kept.text and 'value="2026-03-01"' in kept.text


def test_seed_bulk_inserts_are_searchable(client, world):
    """The seed writes with executemany, no service: the index follows anyway."""
    from forum.seed import WORDS, seed

    world.member("lea")
    seed(world.ctx, members=3, federations=1, topics=4, posts=12, seed_value=7)
    word = "démocratie"
    assert word in WORDS
    with world.ctx.db.read() as session:
        rows = session.execute(select(Post.id, Post.number, Post.source, Topic.title)
                               .join(Topic, Topic.id == Post.topic_id)).all()
    expected = {r.id for r in rows if word in r.source.lower() or (r.number == 1 and word in r.title.lower())}
    assert expected, "the seed wrote no post with the word: change seed_value"
    login(client, "lea@example.org")
    assert set(found(search(client, q=word))) == expected
    assert set(found(search(client, q="democratie"))) == expected


def test_seed_names_members_apart_and_the_author_filter_finds_one_of_them(client, world):
    """Seeded members have distinct French names (no numbered "Nom123", which is a substring of
    "Nom1234"): a full name finds its member alone, at the bench's 50 000 members too."""
    from forum.seed import member_name, seed

    names = [member_name(i) for i in range(50_000)]
    assert len(set(names)) == len(names)
    theo = member_name(103)  # bench/run.py's "common word + author": one member at 500 members and at 50 000
    assert theo == ("Théo", "Fortin")
    assert [n for n in names if all(any(word in part for part in n) for word in theo)] == [theo]

    world.member("lea")
    seed(world.ctx, members=6, federations=1, topics=3, posts=40, seed_value=7)
    with world.ctx.db.read() as session:
        first, last = session.execute(select(Member.first_name, Member.last_name)
                                      .where(Member.email.like("seed%")).order_by(Member.id).offset(4).limit(1)).one()
        theirs = set(session.scalars(select(Post.id).join(Member, Member.id == Post.author_id)
                                     .where(Member.first_name == first, Member.last_name == last)))
        everyone = set(session.scalars(select(Post.id)))
    assert theirs and theirs != everyone, "the seed gave that member no post, or every post: change seed_value"
    login(client, "lea@example.org")
    by_them = set(found(search(client, q="campagne", auteur=f"{first} {last}")))
    assert by_them, "none of that member's posts says campagne: change seed_value"
    everyone_saying_it = set(found(search(client, q="campagne"))) | set(found(search(client, q="campagne", page="2")))
    assert by_them == theirs & everyone_saying_it


# --- snippets ------------------------------------------------------------------------------------


def test_snippets_are_escaped_and_mark_only_the_match(client, world):
    world.member("lea")
    world.member("max")
    body = 'Attention <script>alert("piège")</script> pour notre élection & <b>gras</b> à la fin.'
    _, post_id = _topic(world, "lea", "general", "Sujet <em>piégé</em> ici", body)
    login(client, "max@example.org")
    page = search(client, q="élection")
    assert found(page) == [post_id]
    assert "<script>alert" not in page.text and "<b>gras" not in page.text and "<em>piégé" not in page.text
    [excerpt] = excerpts(page)
    assert re.findall(r"<mark>(.*?)</mark>", excerpt) == ["élection"]
    assert "<" not in excerpt.replace("<mark>", "").replace("</mark>", "")  # no other tag at all
    assert "&amp;" in excerpt
    if world.ctx.db.is_sqlite:
        # FTS5 returns the Markdown source as written: the tags come back escaped.
        assert "&lt;script&gt;alert(&#34;piège&#34;)&lt;/script&gt;" in excerpt
        assert "Sujet &lt;em&gt;piégé&lt;/em&gt; ici" in page.text
    # (PostgreSQL's ts_headline drops what its parser reads as tags; nothing to escape there.)


def test_marked_escapes_first_and_keeps_marks_balanced():
    assert marked("a \x02b\x03 <i>c</i>") == "a <mark>b</mark> &lt;i&gt;c&lt;/i&gt;"
    # Marker characters typed in a post may shift a highlight, never leave a tag open.
    assert marked("x\x03y\x02<b>\x02z") == "xy<mark>&lt;b&gt;z</mark>"
    assert marked(None) == ""


# --- hostile queries ------------------------------------------------------------------------------


HOSTILE = ['" * ^ NEAR( OR )', 'NEAR(a b, 2)', "OR", "AND NOT", "-", '"', "*", "^", "()", "{title} : x",
           "title:élection", "a:* & !b | (c", "'", "\\", "élection\" OR", "-élection", "%_%", "\x01\x02\x03",
           "é" * 199, "NEAR(élection", '"élection NEAR', "élection*", "élection)", "^élection"]
STILL_FINDS = {"élection*", "élection)", "^élection"}  # the word survives the operators around it


@pytest.mark.parametrize("query", HOSTILE)
def test_fts_operators_never_break_the_page(client, world, query):
    world.member("lea")
    _, post_id = _topic(world, "lea", "general", "Élection interne", "Notre élection interne approche.")
    login(client, "lea@example.org")
    page = search(client, q=query)
    assert page.status_code == 200
    if query in STILL_FINDS:
        assert found(page) == [post_id]


def test_words_typed_with_operators_still_find(client, world):
    world.member("lea")
    _, post_id = _topic(world, "lea", "general", "Congrès ouvert", "Notre élection interne approche.")
    _, other_id = _topic(world, "lea", "general", "Congrès fermé", "Notre élection externe approche.")
    login(client, "lea@example.org")
    assert found(search(client, q="^élection interne*")) == [post_id]
    assert found(search(client, q='"élection interne')) == [post_id]  # the closing quote is optional
    assert found(search(client, q="élection -externe")) == [post_id]
    assert set(found(search(client, q="interne or externe"))) == {post_id, other_id}


def test_query_syntax_is_reduced_to_quoted_words():
    assert fts5_query("élection") == 'title : (("élection"*)) OR body : (("élection"*))'
    assert fts5_query('"plan logement" -paris or ab') == (
        'title : ((("plan logement") NOT "paris") OR ("ab")) OR body : ((("plan logement") NOT "paris") OR ("ab"))')
    # An opening quote makes the rest one phrase; operators inside a quoted FTS5 string are words.
    assert fts5_query('" * ^ NEAR( OR ) col:x {a b}') == (
        'title : (("NEAR OR col x a b")) OR body : (("NEAR OR col x a b"))')
    assert fts5_query('NEAR(a b) ^x* col:y') == (
        'title : (("NEAR a" AND "b" AND "x" AND "col y")) OR body : (("NEAR a" AND "b" AND "x" AND "col y"))')
    assert fts5_query("* ^ ( ) -x") is None and parse_query("OR or") == []


# --- paging and empty state ---------------------------------------------------------------------


def test_results_are_paged(client, world):
    world.member("lea")
    topic_id, first = _topic(world, "lea", "general", "Une longue discussion", "Premier message sur la pagination.")
    for n in range(2, 46):
        _reply(world, "lea", topic_id, f"Message {n} sur la pagination des résultats.")
    login(client, "lea@example.org")
    pages = [search(client, q="pagination", page=str(n)) for n in (1, 2, 3)]
    seen = [found(p) for p in pages]
    assert [len(ids) for ids in seen] == [PER_PAGE, PER_PAGE, 5]
    assert len(set(seen[0] + seen[1] + seen[2])) == 45
    assert "45 résultats" in pages[0].text and "page 2 sur 3" in pages[1].text
    assert 'rel="next" href="/recherche?q=pagination&amp;page=2"' in pages[0].text
    assert 'rel="prev" href="/recherche?q=pagination"' in pages[1].text
    beyond = search(client, q="pagination", page="4")
    assert found(beyond) == [] and "Plus aucun résultat au-delà." in beyond.text
    capped = search(client, q="pagination", page="26")
    assert found(capped) == [] and "Les résultats s’arrêtent à la page 25" in capped.text
    assert found(search(client, q="pagination", page="abc"))[:PER_PAGE] == seen[0]


def test_empty_query_shows_how_to_search(client, world):
    world.member("lea")
    _topic(world, "lea", "general", "Un sujet publié", "Un message publié.")
    login(client, "lea@example.org")
    for params in ({}, {"q": ""}, {"q": "   "}):
        page = search(client, **params)
        assert page.status_code == 200 and found(page) == []
        assert "Tapez un ou plusieurs mots" in page.text and "aucun mot à chercher" not in page.text
    operators = search(client, q="* ^ ( )")
    assert found(operators) == [] and "Cette recherche ne contient aucun mot à chercher." in operators.text
    too_long = search(client, q="a" * 201)
    assert found(too_long) == [] and "limitée à 200 caractères" in too_long.text


def test_the_search_box_is_in_every_members_header(client, world):
    world.member("lea")
    assert "role=\"search\"" not in client.get("/connexion").text  # not for anonymous visitors
    login(client, "lea@example.org")
    home = client.get("/")
    assert '<form method="get" action="/recherche" role="search"' in home.text
    assert '<label for="site-search-q"' in home.text and 'id="site-search-q"' in home.text
    client.cookies.clear()
    response = client.get("/recherche?q=x")
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion?next=")


# --- at scale: a bounded window of candidates, ranked ------------------------------------------


def test_the_most_relevant_match_comes_first(client, world):
    world.member("lea")
    world.member("max")
    filler = " ".join(["Un long message sur la vie de la section et ses réunions du mardi soir."] * 6)
    _, passing = _topic(world, "lea", "general", "Compte rendu", filler + " On a parlé de logement une fois.")
    _, focused = _topic(world, "lea", "general", "Le logement d’abord", "Logement, logement : notre priorité.")
    _, newest = _topic(world, "lea", "general", "Divers", filler + " Et le logement, aussi.")
    login(client, "max@example.org")
    ranked = found(search(client, q="logement"))
    assert ranked[0] == focused and set(ranked) == {passing, focused, newest}


def test_past_the_window_results_are_not_counted_and_paging_stays_in_it(client, world, monkeypatch):
    import forum.search

    monkeypatch.setattr(forum.search, "MAX_PAGES", 2)
    monkeypatch.setattr(forum.search, "CANDIDATES", 2 * PER_PAGE)
    world.member("lea")
    topic_id, first = _topic(world, "lea", "general", "Une très longue discussion", "Premier message, hors sujet.")
    ids = [_reply(world, "lea", topic_id, f"Message {n} sur la fenêtre des résultats.") for n in range(2, 47)]
    login(client, "lea@example.org")
    pages = [search(client, q="fenêtre", page=str(n)) for n in (1, 2)]
    assert "Plus de 40 résultats\xa0: les 40 plus récents sont classés par pertinence" in pages[0].text
    assert "45 résultats" not in pages[0].text and "page 1 sur 2" in pages[0].text
    seen = found(pages[0]) + found(pages[1])
    assert len(seen) == len(set(seen)) == 40 and set(seen) == set(ids[-40:])  # the 40 newest matches
    assert "Les résultats s’arrêtent à la page 2" in search(client, q="fenêtre", page="3").text
    # Narrowed under the window, the count is exact again.
    narrowed = search(client, q="fenêtre", du="2000-01-01")
    assert "Plus de 40" in narrowed.text
    exact = search(client, q="fenêtre -Message")
    assert found(exact) == [] and "Aucun message publié ne correspond" in exact.text
    assert first not in seen


def test_a_full_window_keeps_the_titles_inside_it_and_only_those(client, world, monkeypatch):
    """Once the text matches fill the window, a title match is a candidate when it is newer than
    the window's oldest text match (PostgreSQL then looks for titles above that post only), and
    not when it is older, on both databases."""
    import forum.search

    monkeypatch.setattr(forum.search, "MAX_PAGES", 2)
    monkeypatch.setattr(forum.search, "CANDIDATES", 2 * PER_PAGE)
    world.member("lea")
    _, older = _topic(world, "lea", "general", "La fenêtre d’avant", "Rien à voir ici.")
    topic_id, _ = _topic(world, "lea", "general", "Une longue discussion", "Premier message, hors sujet.")
    replies = [_reply(world, "lea", topic_id, f"Message {n} sur la fenêtre des résultats.") for n in range(2, 25)]
    _, inside = _topic(world, "lea", "general", "Une fenêtre au milieu", "Toujours rien.")
    replies += [_reply(world, "lea", topic_id, f"Message {n} sur la fenêtre des résultats.") for n in range(25, 47)]
    _, newest = _topic(world, "lea", "general", "La dernière fenêtre", "Encore rien.")
    login(client, "lea@example.org")
    seen = found(search(client, q="fenêtre", page="1")) + found(search(client, q="fenêtre", page="2"))
    assert inside in seen and newest in seen and older not in seen
    assert set(seen) <= {inside, newest, *replies[-40:]} and len(seen) == 40


def test_a_common_word_still_finds_its_longer_forms_when_they_fit(client, world, monkeypatch):
    """SQLite reads a very common word without its prefix first, and adds the prefix when the
    window is not full: "logement" still finds "logements"."""
    import forum.search

    monkeypatch.setattr(forum.search, "IDF_COUNT_CAP", 3)  # "logement" counts as very common
    world.member("lea")
    world.member("max")
    singular = [_topic(world, "lea", "general", f"Sujet {n}", f"Le logement, encore, numéro {n}.")[1] for n in range(4)]
    _, plural = _topic(world, "lea", "general", "Autre sujet", "Des logements pour tous.")
    login(client, "max@example.org")
    assert set(found(search(client, q="logement"))) == {*singular, plural}


def test_long_posts_get_a_snippet_around_the_match(client, world):
    world.member("lea")
    world.member("max")
    before = " ".join(f"avant{n}" for n in range(60))
    after = " ".join(f"apres{n}" for n in range(60))
    _, post_id = _topic(world, "lea", "general", "Un long texte", f"{before} notre <b>référendum</b> interne {after}")
    login(client, "max@example.org")
    page = search(client, q="référendum")
    assert found(page) == [post_id]
    [excerpt] = excerpts(page)
    assert "<mark>référendum</mark>" in excerpt
    assert "avant0 " not in excerpt and "apres59" not in excerpt  # an excerpt, not the whole text
    if world.ctx.db.is_sqlite:  # (PostgreSQL's ts_headline drops what it reads as tags)
        assert "&lt;b&gt;" in excerpt and excerpt.startswith("…") and excerpt.endswith("…") and len(excerpt.split()) <= 40
