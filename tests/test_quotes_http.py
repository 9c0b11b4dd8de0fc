"""Structured quotes through the post form: the attack held, proper quotes published as cards."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from forum.models import Attachment, Post, PostStatus, Quote, Topic
from moderation.models import ReviewItem
from tests.conftest import csrf_of, login

PARIS = ZoneInfo("Europe/Paris")

# The attack: four tweets by different people pasted in one block, no link, no context.
PASTED_COMPILATION = """Regardez ce qu'il pense vraiment :

Jean Dupont @jdupont · 14 mars 2012
Les militants de base ne comprennent rien à la politique.

Marc Vidal @marcvidal · 2 avr. 2013
Tous des incapables dans cette fédération, qu'ils dégagent.

Sophie L. @sophie_l · 9 juin 2014
Je ne serrerai jamais la main de ces gens-là.

P. Garnier @pgarnier · 1 févr. 2015
La parité, c'est une lubie de bobos.
"""


def tweet_id_for(moment: dt.datetime) -> int:
    """A status id whose snowflake timestamp is `moment`."""
    millis = int(moment.timestamp() * 1000)
    return (millis - 1288834974657) << 22


def quote_fields(i: int, **values: str) -> dict[str, str]:
    return {f"q-{i}-{k}": v for k, v in values.items()}


def tweet_quote(i: int, author: str, handle: str, when: dt.datetime, text: str, context: str) -> dict[str, str]:
    status = tweet_id_for(when)
    return quote_fields(i, kind="tweet", author=author, handle=f"@{handle}", said_at=when.date().isoformat(),
                        source_url=f"https://twitter.com/{handle}/status/{status}", context=context, text=text)


def submit(client, page_url: str, action_url: str, data: dict[str, str], files=None):
    token = csrf_of(client.get(page_url).text)
    return client.post(action_url, data={"csrf_token": token, "action": "publish", **data}, files=files)


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_pasted_compilation_is_held_with_reasons_and_hidden_from_others(client, app, world):
    from starlette.testclient import TestClient

    world.member("lea")
    world.member("max")
    login(client, "lea@example.org")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau",
                      {"title": "Ce que pense vraiment Jean Dupont", "body": PASTED_COMPILATION, "quote_count": "0"})
    assert response.status_code == 303
    topic_url = response.headers["location"]
    own = client.get(topic_url)
    assert "En attente de modération" in own.text
    assert "tweet" in own.text.lower() and "citation" in own.text.lower()  # the reason tells what to add
    with world.ctx.db.read() as session:
        post = session.scalars(select(Post)).one()
        assert post.status == PostStatus.HELD
        assert {r["code"] for r in post.hold_reasons} >= {"pasted_tweet"}
        item = session.scalars(select(ReviewItem)).one()
        assert item.post_id == post.id and item.reasons
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, "max@example.org")
        assert other.get(topic_url).status_code == 404
        assert "Ce que pense vraiment" not in other.get("/c/debat").text
        assert "Ce que pense vraiment" not in other.get("/").text


def test_same_quotes_posted_properly_are_published_as_separate_cards_with_badges(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    when = dt.datetime(2012, 3, 14, 10, 42, tzinfo=PARIS)
    data = {"title": "Un tweet de 2012 de Jean Dupont", "body": "Voici la citation, avec sa source.", "quote_count": "2"}
    data |= tweet_quote(0, "Jean Dupont", "jdupont", when, "Les militants de base ne comprennent rien à la politique.",
                        "Réponse à un journaliste pendant les municipales de 2012, tweet supprimé depuis.")
    data |= tweet_quote(1, "Marc Vidal", "marcvidal", dt.datetime(2013, 4, 2, 9, 0, tzinfo=PARIS),
                        "Tous des incapables dans cette fédération.", "Après le congrès fédéral d’avril 2013.")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "En attente" not in page.text
    cards = re.findall(r'<figure class="quote-card', page.text)
    assert len(cards) == 2  # one card per quote, never merged
    assert "date cohérente avec l’identifiant du tweet" in page.text or "cohérente" in page.text
    assert "twitter.com" in page.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(Post.status)) == PostStatus.PUBLISHED
        assert _count(world.ctx, ReviewItem) == 0
        findings = session.scalars(select(Quote.findings).order_by(Quote.position)).all()
    assert any(f["code"] == "tweet_date_consistent" for f in findings[0])


def test_tweet_whose_id_contradicts_the_declared_date_is_held(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    data = {"title": "Un tweet mal daté", "body": "Attention à ce tweet.", "quote_count": "1"}
    data |= tweet_quote(0, "Jean Dupont", "jdupont", dt.datetime(2020, 1, 10, 12, 0, tzinfo=PARIS),
                        "Texte du tweet.", "Pendant la campagne.")
    data["q-0-said_at"] = "2012-03-14"  # the id says 2020
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data)
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        post = session.scalars(select(Post)).one()
    assert post.status == PostStatus.HELD
    assert "tweet_date_mismatch" in {r["code"] for r in post.hold_reasons}


def test_blocked_quote_keeps_the_draft_and_saves_nothing(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    data = {"title": "Citation sans contexte", "body": "Mon texte à garder absolument.", "quote_count": "1"}
    data |= quote_fields(0, kind="article", author="Le Journal", source_url="https://journal.example/article",
                         said_at="2024-05-01", context="", text="Une phrase citée.")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data)
    assert response.status_code == 422
    assert "Mon texte à garder absolument." in response.text
    assert 'value="https://journal.example/article"' in response.text
    assert 'id="err-q-0-context"' in response.text and 'aria-describedby="err-q-0-context"' in response.text
    assert _count(world.ctx, Topic) == 0 and _count(world.ctx, Post) == 0


def test_add_quote_rerenders_with_the_whole_draft(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    token = csrf_of(client.get("/c/debat/nouveau").text)
    data = {"csrf_token": token, "action": "add_quote", "title": "Mon brouillon", "body": "Corps du brouillon",
            "quote_count": "1", **quote_fields(0, kind="email", author="Anne", context="Un contexte", text="Un texte")}
    response = client.post("/c/debat/nouveau", data=data)
    assert response.status_code == 200
    assert 'name="quote_count" value="2"' in response.text
    assert "Corps du brouillon" in response.text and 'value="Anne"' in response.text
    assert 'id="q-1-kind"' in response.text
    removed = client.post("/c/debat/nouveau", data={**data, "action": "remove_quote-0"})
    assert 'name="quote_count" value="0"' in removed.text and "Corps du brouillon" in removed.text
    assert _count(world.ctx, Post) == 0


def test_internal_quote_must_match_the_quoted_post(client, world):
    from forum.services import posting

    lea = world.member("lea")
    world.member("max")
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        topic = posting.create_topic(world.ctx, session, member, "general", "Programme",
                                     "Je propose un plan logement ambitieux pour 2027.")
        quoted_id = session.scalar(select(Post.id).where(Post.topic_id == topic.id))
    login(client, "max@example.org")
    base = {"title": "Réponse à Léa", "body": "Je cite Léa.", "quote_count": "1"}
    wrong = base | quote_fields(0, kind="internal", quoted_post=f"/t/{topic.id}#p{quoted_id}", author="Lea Test",
                                context="Son message sur le programme.", text="un plan logement irréaliste")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", wrong)
    assert response.status_code == 422 and _count(world.ctx, Topic) == 1
    right = base | quote_fields(0, kind="internal", quoted_post=str(quoted_id), author="Lea Test",
                                context="Son message sur le programme.", text="un plan logement […] pour 2027")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", right)
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        quote = session.scalars(select(Quote)).one()
    assert quote.quoted_post_id == quoted_id and quote.quoted_member_id == lea and quote.quoted_revision_id


def test_editing_a_held_post_reruns_the_checker_and_publishes_when_fixed(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau",
                      {"title": "Ce que pense vraiment Jean Dupont", "body": PASTED_COMPILATION, "quote_count": "0"})
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    when = dt.datetime(2012, 3, 14, 10, 42, tzinfo=PARIS)
    data = {"body": "Un seul tweet, sourcé.", "quote_count": "1"}
    data |= tweet_quote(0, "Jean Dupont", "jdupont", when, "Les militants de base ne comprennent rien à la politique.",
                        "Réponse à un journaliste, municipales 2012.")
    edited = submit(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier", data)
    assert edited.status_code == 303
    with world.ctx.db.read() as session:
        post = session.get(Post, post_id)
        assert post.status == PostStatus.PUBLISHED and post.revision_count == 2
        assert session.scalar(select(Topic.status)) == PostStatus.PUBLISHED
        assert session.scalar(select(ReviewItem.status)).value == "closed"


def _eml(body: str = "Bonjour,\n\nNous ne soutiendrons pas cette motion.\n\nAnne") -> bytes:
    return (
        "From: Anne Martin <anne@federation.example>\r\n"
        "To: bureau@federation.example\r\n"
        "Subject: Motion du congrès\r\n"
        "Date: Tue, 14 Mar 2023 10:42:00 +0100\r\n"
        "Message-ID: <abc@federation.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


def test_email_quote_with_raw_eml_is_kept_byte_for_byte_and_served_as_download(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    raw = _eml()
    data = {"title": "Le courriel d’Anne", "body": "Voici le courriel complet.", "quote_count": "1"}
    data |= quote_fields(0, kind="email", author="Anne Martin", handle="anne@federation.example",
                         said_at="2023-03-14T10:42", context="Courriel au bureau fédéral avant le congrès.",
                         text="Nous ne soutiendrons pas cette motion.")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data,
                      files={"q-0-file": ("courriel.eml", raw, "message/rfc822")})
    assert response.status_code == 303, response.text
    with world.ctx.db.read() as session:
        attachment = session.scalars(select(Attachment)).one()
        post_status = session.scalar(select(Post.status))
    assert attachment.data == raw and attachment.content_type == "message/rfc822"
    import hashlib

    assert attachment.sha256 == hashlib.sha256(raw).hexdigest()
    assert post_status == PostStatus.PUBLISHED
    page = client.get(response.headers["location"])
    assert attachment.sha256[:16] in page.text
    download = client.get(f"/pieces/{attachment.id}")
    assert download.status_code == 200 and download.content == raw
    assert download.headers["content-type"].startswith("application/octet-stream")
    assert download.headers["content-disposition"].startswith("attachment;")


def test_html_disguised_as_an_image_is_refused_and_the_draft_kept(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    data = {"title": "Une capture", "body": "Regardez cette capture.", "quote_count": "1"}
    data |= quote_fields(0, kind="document", author="X", source_url="https://example.org/doc", said_at="2024-01-01",
                         context="Un document.", text="Texte du document.")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", data,
                      files={"q-0-file": ("capture.png", b"<html><script>alert(1)</script></html>", "image/png")})
    assert response.status_code == 422
    assert "Type de fichier refusé" in response.text and "Regardez cette capture." in response.text
    assert _count(world.ctx, Attachment) == 0 and _count(world.ctx, Post) == 0


def test_image_is_reencoded_without_exif_gps(client, world):
    from PIL import Image

    world.member("lea")
    login(client, "lea@example.org")
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)  # GPSInfo
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    original = buffer.getvalue()
    assert b"PhoneMaker" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    data = {"title": "Une photo", "body": "Photo du meeting.", "quote_count": "1"}
    data |= quote_fields(0, kind="document", author="Section Paris 11", source_url="https://example.org/photo",
                         said_at="2024-01-01", context="Photo prise au meeting.", text="Banderole du meeting.")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", data,
                      files={"q-0-file": ("photo.jpg", original, "image/jpeg")})
    assert response.status_code == 303, response.text
    with world.ctx.db.read() as session:
        stored = session.scalars(select(Attachment)).one()
    assert stored.content_type == "image/jpeg" and b"PhoneMaker" not in stored.data
    assert not Image.open(io.BytesIO(stored.data)).getexif()


def test_a_held_posts_attachment_is_not_served_to_others(client, app, world):
    from starlette.testclient import TestClient

    world.member("lea")
    world.member("max")
    login(client, "lea@example.org")
    data = {"title": "Courriel retenu", "body": PASTED_COMPILATION, "quote_count": "1"}
    data |= quote_fields(0, kind="email", author="Anne Martin", handle="anne@federation.example", said_at="2023-03-14",
                         context="Courriel au bureau.", text="Nous ne soutiendrons pas cette motion.")
    response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data,
                      files={"q-0-file": ("courriel.eml", _eml(), "message/rfc822")})
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        attachment_id = session.scalar(select(Attachment.id))
    assert client.get(f"/pieces/{attachment_id}").status_code == 200
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, "max@example.org")
        assert other.get(f"/pieces/{attachment_id}").status_code == 404


def test_someone_elses_attachment_id_cannot_be_reused(client, app, world):
    world.member("lea")
    world.member("max")
    from forum.services import attachments

    with world.ctx.db.write() as session:
        owner = session.get(attachments.Member, world.ids["lea"])
        attachment_id = attachments.store_upload(session, owner, "c.eml", _eml()).id
    login(client, "max@example.org")
    data = {"title": "Je vole une pièce", "body": "Texte.", "quote_count": "1",
            "q-0-attachment_id": str(attachment_id)}
    data |= quote_fields(0, kind="email", author="Anne", said_at="2023-03-14", context="Contexte.", text="Texte.")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", data)
    assert response.status_code == 422 and "Pièce jointe introuvable" in response.text
    assert _count(world.ctx, Post) == 0


def test_dkim_signed_email_gets_a_badge_and_a_tampered_one_is_held(client, world, tmp_path):
    import json

    from moderation.integration import dns_from_settings, install
    from tests.test_provenance_emails import dns_for, signed

    dns_file = tmp_path / "dns.json"
    dns_file.write_text(json.dumps(dns_for("federation.example")))
    install(world.ctx, dns=dns_from_settings(str(dns_file)))
    world.member("lea")
    login(client, "lea@example.org")
    genuine = signed(_eml(), domain="federation.example")
    tampered = genuine.replace(b"ne soutiendrons pas", b"soutiendrons").replace(
        b"Nous ne soutiendrons", b"Nous soutiendrons")
    for title, raw, text in (("Courriel authentique", genuine, "Nous ne soutiendrons pas cette motion."),
                             ("Courriel trafiqué", tampered, "Nous soutiendrons cette motion.")):
        data = {"title": title, "body": "Le courriel.", "quote_count": "1"}
        data |= quote_fields(0, kind="email", author="Anne Martin", handle="anne@federation.example",
                             said_at="2023-03-14T10:42", context="Courriel au bureau fédéral.", text=text)
        response = submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data,
                          files={"q-0-file": ("c.eml", raw, "message/rfc822")})
        assert response.status_code == 303, response.text
    with world.ctx.db.read() as session:
        rows = session.execute(select(Topic.title, Post.status, Quote.findings)
                               .join(Post, Post.topic_id == Topic.id).join(Quote, Quote.post_id == Post.id)).all()
    by_title = {title: (status, {f["code"] for f in findings}) for title, status, findings in rows}
    assert by_title["Courriel authentique"][0] == PostStatus.PUBLISHED
    assert "dkim_valid" in by_title["Courriel authentique"][1]
    assert by_title["Courriel trafiqué"][0] == PostStatus.HELD
    assert "dkim_invalid" in by_title["Courriel trafiqué"][1]
