"""Who may do what, route by route: the authorization matrix of every page of forum.app.ROUTES.

EXPECTED gives, for every route name and each of its methods, the HTTP status each role
sees on real objects (a published topic, a reported post with an open case, a decision
and its appeal, a proposed context note, a held post's attachment), all in a category of
the "paris" federation. A route added to ROUTES without its line here fails
test_every_route_has_expectations: no page ships without saying who may use it.

Reading the statuses:
- LOGIN: 303 to /connexion?next=… — the `page` wrapper stopped an anonymous visitor
  (or a suspended member, whose session died) before the view ran;
- 403: forbidden (for POST by a suspended member: the form's CSRF token was bound to the
  session the suspension revoked, so the wrapper refuses it before the view runs);
- 404: the object is invisible to that role (its existence is not disclosed);
- 200, 303 (not to the login page) or 422: the view ran on behalf of the role — 422 when
  the deliberately minimal form was refused as invalid, which proves the authorization
  checks (done first) let the role through.

The expectations describe what a user or an attacker sees. Where the application does
something else and it is a flaw, the cell is a `Bug(...)`: it is checked by
test_known_authorization_bugs, marked xfail(strict=True), so the suite stays green while
the flaw is documented, and turns red the day it is fixed (then write the plain status).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from starlette.routing import Route

from forum.app import ROUTES
from forum.events import QuoteInput
from forum.models import (
    Candidacy,
    CandidacyStatus,
    Category,
    Cosignature,
    Designation,
    Federation,
    Member,
    MemberStatus,
    ModerationPolicy,
    Post,
    PostStatus,
    Quote,
)
from forum import security
from forum.services import accounts, attachments, designations, posting, replies, statements
from moderation import notes, services
from moderation.models import ItemStatus, ReviewItem
from tests.conftest import PASSWORD, csrf_of, login
from tests.test_designations_http import Clock
from tests.test_quotes_http import PASTED_COMPILATION, _eml

ROLES = (
    "anonymous",
    "member",
    "suspended",
    # This matrix does not model designations yet: a "candidate" is, for now, an ordinary member
    # who is also involved — the published post under test quotes one of their posts. They must
    # get exactly what a member gets; the column will diverge when designations (candidacies,
    # endorsements) give candidates rights or recusals of their own.
    "candidate",
    "moderator_other_federation",
    "national_moderator",
    "admin",
)
ACTOR_KEY = {
    "member": "membre",
    "suspended": "suspendu",
    "candidate": "candidat",
    "moderator_other_federation": "mod_rhone",
    "national_moderator": "mod_national",
    "admin": "admin",
}

LOGIN = "LOGIN"  # 303 to /connexion?next=… : the wrapper's login gate


@dataclass(frozen=True)
class Bug:
    """A cell where the application is wrong today: `expected` is what it should answer."""

    expected: int | str
    reason: str


Expectation = int | str | Bug


def by_role(anonymous: Expectation, member: Expectation, suspended: Expectation, candidate: Expectation,
            moderator_other_federation: Expectation, national_moderator: Expectation,
            admin: Expectation) -> dict[str, Expectation]:
    return dict(zip(ROLES, (anonymous, member, suspended, candidate, moderator_other_federation,
                            national_moderator, admin), strict=True))


# Frequent rows.
MEMBER_PAGE = by_role(LOGIN, 200, LOGIN, 200, 200, 200, 200)  # any active member reads it
PUBLIC_PAGE = by_role(200, 200, 200, 200, 200, 200, 200)  # login, invitation, reset pages
MODERATION_PAGE = by_role(LOGIN, 403, LOGIN, 403, 200, 200, 200)  # lists, filtered by scope


def member_form(status: int) -> dict[str, Expectation]:
    """A form any active member may send: `status` is the outcome of the minimal form."""
    return by_role(LOGIN, status, 403, status, status, status, status)


def public_form(status: int) -> dict[str, Expectation]:
    return by_role(status, status, 403, status, status, status, status)


def paris_case_form(status: int) -> dict[str, Expectation]:
    """A moderation action on a paris case: rhône's moderator is out of scope."""
    return by_role(LOGIN, 403, 403, 403, 403, status, status)


def admin_form(status: int) -> dict[str, Expectation]:
    return by_role(LOGIN, 403, 403, 403, 403, 403, status)


def candidate_form(status: int) -> dict[str, Expectation]:
    """An action on the candidate's own candidacy: nobody else, not even an admin."""
    return by_role(LOGIN, 403, 403, status, 403, 403, 403)


# route name -> method -> role -> expected outcome. The objects behind the ids: see `Scene`.
EXPECTED: dict[str, dict[str, dict[str, Expectation]]] = {
    "home": {"GET": MEMBER_PAGE},
    "search": {"GET": MEMBER_PAGE},  # /recherche, no query: the empty state
    "category": {"GET": MEMBER_PAGE},  # /c/paris
    "new_topic": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # empty title and body
    "topic": {"GET": MEMBER_PAGE},  # Léa's published topic
    "reply": {"POST": member_form(422)},  # empty body
    # Léa's post: only its author edits it, not even an admin or a moderator.
    "edit_post": {"GET": by_role(LOGIN, 403, LOGIN, 403, 403, 403, 403),
                  "POST": by_role(LOGIN, 403, 403, 403, 403, 403, 403)},
    "post_history": {"GET": MEMBER_PAGE},
    "profile": {"GET": MEMBER_PAGE},
    # A signed-in visitor is sent on to `next`; a suspended one, whose session died, sees the form.
    "login": {"GET": by_role(200, 303, 200, 303, 303, 303, 303), "POST": public_form(422)},  # wrong credentials
    "logout": {"POST": by_role(LOGIN, 303, 403, 303, 303, 303, 303)},
    "invitation": {"GET": PUBLIC_PAGE, "POST": public_form(422)},  # real token, empty password
    "forgot_password": {"GET": PUBLIC_PAGE, "POST": public_form(200)},  # silent whatever the address
    "reset_password": {"GET": PUBLIC_PAGE, "POST": public_form(422)},  # real token, empty password
    "change_password": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # empty fields
    # The attachment of Léa's held post (paris): her, and the moderation in scope, only.
    "attachment": {"GET": by_role(LOGIN, 404, LOGIN, 404, 404, 200, 200)},
    "notifications": {"GET": MEMBER_PAGE, "POST": member_form(303)},  # mark all read
    "notification_preferences": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # empty choice
    "report": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # no reason chosen
    # A note published *as moderator* on Léa's post (a member may only propose one).
    "add_note": {"POST": paris_case_form(303)},
    "rate_note": {"POST": member_form(303)},  # Max's proposed note: any member rates it
    # Karim's decision on Léa's post, appealed by Léa. Its author (not a tested role) and the
    # moderation in scope see it; a moderator's POST reaches validation (only the author appeals).
    "appeal": {"GET": by_role(LOGIN, 404, LOGIN, 404, 404, 200, 200),
               "POST": by_role(LOGIN, 404, 403, 404, 404, 422, 422)},
    "transparency": {"GET": MEMBER_PAGE},
    "moderation_queue": {"GET": MODERATION_PAGE},
    "moderation_item": {"GET": by_role(LOGIN, 403, LOGIN, 403, 403, 200, 200)},  # the reported paris case
    "moderation_claim": {"POST": paris_case_form(303)},
    "moderation_decide": {"POST": paris_case_form(422)},  # no action, no reason
    "moderation_appeals": {"GET": MODERATION_PAGE},
    "moderation_decide_appeal": {"POST": paris_case_form(422)},  # no outcome, no reason
    # --- designations. The national designation is in its debate phase (candidacies closed, vote
    # to come); the candidate's candidacy to it is validated. Keep these rows in this order.
    "designations": {"GET": MEMBER_PAGE},
    "designation_new": {"GET": by_role(LOGIN, 403, LOGIN, 403, 403, 403, 200),
                        "POST": admin_form(422)},  # empty title and calendar
    "designation": {"GET": MEMBER_PAGE},
    # The paris designation, open to candidacies: rhône's moderator is out of its scope.
    "declare_candidacy": {"POST": by_role(LOGIN, 422, 403, 422, 403, 422, 422)},  # empty statement
    "ask_question": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # empty title and body
    "matrix": {"GET": MEMBER_PAGE},
    "candidacy": {"GET": MEMBER_PAGE},
    "decide_candidacy": {"POST": admin_form(422)},  # the admin: already validated
    "edit_statement": {"POST": candidate_form(422)},  # empty statement
    # The official reply to a question: validated candidates only.
    "position_reply": {"POST": candidate_form(422)},  # empty body
    # Anyone in scope endorses (a moderator is then recused in that designation), except the
    # candidate on their own candidacy.
    "endorse": {"POST": by_role(LOGIN, 303, 403, 403, 303, 303, 303)},
    # Paris's committee, formed by a paris supporter: the roles that just endorsed may join it and
    # announce meetings, except rhône's moderator (other federation) and the candidate (who does
    # not endorse themselves, and forms committees rather than joining them).
    "join_committee": {"POST": by_role(LOGIN, 303, 403, 403, 403, 303, 303)},
    "add_meeting": {"POST": by_role(LOGIN, 422, 403, 403, 403, 422, 422)},  # no date, no place
    # Supporters and the candidate form their federation's committee: paris has one already,
    # rhône's moderator forms rhône's.
    "create_committee": {"POST": by_role(LOGIN, 422, 403, 422, 303, 422, 422)},
    # The candidate's photo: theirs only (an empty file is refused after the check).
    "candidacy_photo": {"POST": candidate_form(422)},
    # Every version of a profession de foi, public to members like the candidacy page.
    "candidacy_versions": {"GET": MEMBER_PAGE},
    # Hiding a quoted member's reply: moderation in scope (the quote is in a national category).
    "moderation_hide_reply": {"POST": paris_case_form(422)},
    "committee": {"GET": MEMBER_PAGE},
    "unendorse": {"POST": by_role(LOGIN, 303, 403, 422, 303, 303, 303)},  # the candidate endorses no one
    "withdraw_candidacy": {"POST": candidate_form(303)},  # last: the candidacy is withdrawn for good
    # Right of reply on the quote of the member: only the person quoted.
    "quote_reply": {"GET": by_role(LOGIN, 200, LOGIN, 403, 403, 403, 403),
                    "POST": by_role(LOGIN, 422, 403, 403, 403, 403, 403)},  # empty reply
    "new_statement": {"GET": MEMBER_PAGE, "POST": member_form(422)},  # empty title and body
    # Léa's statement, co-signed by invitation of the member only; sign, then withdraw.
    "sign_statement": {"POST": by_role(LOGIN, 303, 403, 403, 403, 403, 403)},
    "withdraw_signature": {"POST": by_role(LOGIN, 303, 403, 422, 422, 422, 422)},  # nothing to withdraw
}


def _routes() -> dict[str, Route]:
    return {r.name: r for r in ROUTES if isinstance(r, Route)}


def _methods(route: Route) -> set[str]:
    return set(route.methods or ()) - {"HEAD"}


CASES: list[tuple[str, str]] = [(name, method) for name, methods in EXPECTED.items() for method in methods]
BUGS: list[tuple[str, str, str, Bug]] = [
    (name, method, role, cell)
    for name, methods in EXPECTED.items() for method, row in methods.items()
    for role, cell in row.items() if isinstance(cell, Bug)
]


# --- the shared objects ----------------------------------------------------------------------------


@dataclass
class Scene:
    """Real objects (mostly in the paris category, plus the designations'), made once per test,
    and a signed-in client per role."""

    world: Any
    app: Any
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)

    def url(self, route: Route) -> str:
        values: dict[str, int | str] = {
            "slug": "paris",
            "topic_id": self.ids["topic"],
            "post_id": self.ids["post"],
            "member_id": self.ids["lea"],
            "attachment_id": self.ids["attachment"],
            "note_id": self.ids["note"],
            "decision_id": self.ids["decision"],
            "item_id": self.ids["item"],
            "appeal_id": self.ids["appeal"],
            "candidacy_id": self.ids["candidacy"],
            "committee_id": self.ids["committee"],
            "quote_id": self.ids["quote"],
            "reply_id": self.ids["reply"],
        }
        if route.name == "invitation":
            values["token"] = self.tokens["invite"]
        elif route.name == "reset_password":
            values["token"] = self.tokens["reset"]
        elif route.name == "declare_candidacy":
            values["slug"] = self.slugs["open_call"]
        elif route.path.startswith("/designations/{slug"):
            values["slug"] = self.slugs["designation"]
        elif route.name == "position_reply":
            values["topic_id"] = self.ids["question"]
        elif route.name in ("sign_statement", "withdraw_signature"):
            values["post_id"] = self.ids["statement"]
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), route.path)

    def member(self, session: Any, key: str) -> Member:
        member = session.get(Member, self.world.ids[key])
        assert member is not None
        return member


# The minimal form each POST sends: what matters is the authorization outcome.
FORMS: dict[str, dict[str, str]] = {
    "new_topic": {"action": "publish", "title": "", "body": ""},
    "reply": {"action": "publish", "body": ""},
    "edit_post": {"action": "publish", "body": "Léa n’a jamais écrit cela."},
    "login": {"email": "personne@example.org", "password": "mauvais", "next": "/"},
    "logout": {},
    "invitation": {"password": "", "confirm": ""},
    "forgot_password": {"email": ""},
    "reset_password": {"password": "", "confirm": ""},
    "change_password": {"current": "", "new": "", "confirm": ""},
    "notifications": {},
    "notification_preferences": {"notify_pref": ""},
    "report": {"reason_code": "", "text": ""},
    "add_note": {"note": "Cette citation est exacte, voir le message cité.", "as_moderator": "1"},
    "rate_note": {"helpful": "1"},
    "appeal": {"text": "non"},
    "moderation_claim": {},
    "moderation_decide": {"action": "", "reason_code": "", "reason_text": ""},
    "moderation_decide_appeal": {"outcome": "", "reason_text": ""},
    "designation_new": {"title": "", "federation": "", "candidacies_open_at": "", "candidacy_deadline": "",
                        "debate_ends_at": "", "vote_at": "", "voting_url": "", "description": ""},
    "declare_candidacy": {"statement": ""},
    "ask_question": {"title": "", "body": ""},
    "decide_candidacy": {"decision": "", "reason": ""},
    "edit_statement": {"statement": ""},
    "position_reply": {"body": ""},
    "endorse": {},
    "join_committee": {},
    "add_meeting": {"starts_at": "", "place": "", "description": ""},
    "create_committee": {"description": ""},
    "candidacy_photo": {},
    "moderation_hide_reply": {"reason_code": "", "reason_text": ""},
    "unendorse": {},
    "withdraw_candidacy": {},
    "quote_reply": {"reply": ""},
    "new_statement": {"title": "", "body": "", "invitees": ""},
    "sign_statement": {},
    "withdraw_signature": {},
}


DAY = dt.timedelta(days=1)


def _build_scene(world: Any, app: Any) -> Scene:
    ctx = world.ctx
    # The scene's moment, frozen for the whole test (tokens are signed with the real time, so it
    # stays near it). The designation's past is built ten days earlier, before any login.
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx.clock = Clock(now - 10 * DAY)
    for key in ("lea", "max", "soutien", "invite", "oubli"):
        world.member(key, password=None if key == "invite" else PASSWORD)
    world.member("karim", role="moderator")  # decides the case that is appealed
    for role, key in ACTOR_KEY.items():
        if role == "moderator_other_federation":
            world.member(key, role="moderator", federation="rhone", moderates="rhone")
        elif role == "national_moderator":
            world.member(key, role="moderator")
        elif role == "admin":
            world.member(key, role="admin")
        else:
            world.member(key)
    scene = Scene(world, app)
    ids = scene.ids
    ids["lea"] = world.ids["lea"]
    with ctx.db.write() as session:
        paris = session.scalar(select(Federation).where(Federation.slug == "paris"))
        assert paris is not None
        session.add(Category(slug="paris", name="Fédération de Paris", description="Vie de la fédération.",
                             position=2, federation_id=paris.id, moderation_policy=ModerationPolicy.DEBATE))
    _build_designations(scene, now)  # the clock is at `now` from here on
    with ctx.db.write() as session:
        lea, max_, karim = (scene.member(session, k) for k in ("lea", "max", "karim"))
        candidate = scene.member(session, ACTOR_KEY["candidate"])
        quoted = posting.create_topic(ctx, session, candidate, "general", "Mon programme pour 2027",
                                      "Je propose un plan logement ambitieux pour 2027.")
        quoted_post = session.scalar(select(Post.id).where(Post.topic_id == quoted.id))
        # The published topic quotes the candidate: they are "involved" in it.
        topic = posting.create_topic(
            ctx, session, lea, "paris", "Le programme logement en débat", "Voici ce que propose notre candidat.",
            [QuoteInput(kind="internal", quoted_post_id=quoted_post, author="Candidat Test",
                        context="Son message sur le programme.", text="un plan logement ambitieux pour 2027")],
        )
        ids["topic"] = topic.id
        ids["post"] = session.scalar(select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))
        reported = posting.reply(ctx, session, lea, topic.id, "Un message parfaitement ordinaire sur le programme.")
        decided = posting.reply(ctx, session, lea, topic.id, "Un autre message, qui sera masqué.")
        ids["reported"], ids["decided"] = reported.id, decided.id
        services.report_post(ctx, session, max_, reported.id, "attaque_personnelle", "")
        services.report_post(ctx, session, max_, decided.id, "attaque_personnelle", "")
        items = dict(session.execute(select(ReviewItem.post_id, ReviewItem.id)).all())
        ids["item"] = items[reported.id]
        decision = services.decide(ctx, session, karim, items[decided.id], "hide", "attaque_personnelle",
                                   "Propos insultants envers un camarade.")
        ids["decision"] = decision.id
        ids["appeal"] = services.file_appeal(ctx, session, lea, decision.id,
                                             "Je citais un article, ce n’était pas une attaque.").id
        ids["note"] = notes.add_note(ctx, session, max_, ids["post"], "Le plan date du congrès de 2024.", False).id
        # Léa's held topic, with an email attached to its quote.
        attachment = attachments.store_upload(session, lea, "courriel.eml", _eml())
        held = posting.create_topic(
            ctx, session, lea, "paris", "Ce que pense vraiment Jean Dupont", PASTED_COMPILATION,
            [QuoteInput(kind="email", author="Anne Martin", handle="anne@federation.example", said_at="2023-03-14",
                        context="Courriel au bureau.", text="Nous ne soutiendrons pas cette motion.",
                        attachment_id=attachment.id)],
        )
        ids["attachment"] = attachment.id
        ids["held_topic"] = held.id
        ids["held_post"] = session.scalar(select(Post.id).where(Post.topic_id == held.id))
        # The member is quoted (right of reply) and invited to co-sign Léa's statement.
        member = scene.member(session, ACTOR_KEY["member"])
        said = posting.create_topic(ctx, session, member, "general", "Pour un congrès ouvert",
                                    "Il faut ouvrir le congrès à tous les adhérents, sans exception.")
        said_post = session.scalar(select(Post.id).where(Post.topic_id == said.id))
        quoting = posting.create_topic(
            ctx, session, lea, "general", "Ce que propose notre camarade", "Je soutiens cette idée.",
            [QuoteInput(kind="internal", quoted_post_id=said_post, author="Membre Test",
                        context="Son message sur le congrès.", text="ouvrir le congrès à tous les adhérents")],
        )
        ids["quoting_post"] = session.scalar(select(Post.id).where(Post.topic_id == quoting.id))
        ids["quote"] = session.scalar(select(Quote.id).where(Quote.post_id == ids["quoting_post"]))
        ids["reply"] = replies.reply_to_quote(ctx, session, scene.member(session, ACTOR_KEY["member"]), ids["quote"],
                                              "Je maintiens : un congrès ouvert, c’est notre tradition.").id
        statement = statements.create_statement(
            ctx, session, lea, "paris", "Pour un congrès ouvert en juin",
            "Nous demandons un congrès ouvert à tous les adhérents, en juin.", f"{ACTOR_KEY['member']}@example.org")
        ids["statement"] = session.scalar(select(Post.id).where(Post.topic_id == statement.id))
        scene.tokens["invite"] = accounts.make_token(ctx, security.INVITE, scene.member(session, "invite"))
        scene.tokens["reset"] = accounts.make_token(ctx, security.RESET, scene.member(session, "oubli"))
    with ctx.db.read() as session:
        posts = {p.id: p for p in session.scalars(select(Post))}
        assert posts[ids["post"]].status == PostStatus.PUBLISHED, posts[ids["post"]].hold_reasons
        assert posts[ids["decided"]].status == PostStatus.HIDDEN
        assert posts[ids["held_post"]].status == PostStatus.HELD
        assert session.get(ReviewItem, ids["item"]).status == ItemStatus.OPEN
        quoted_member = session.scalar(select(Quote.quoted_member_id).where(Quote.post_id == ids["post"]))
        assert quoted_member == world.ids[ACTOR_KEY["candidate"]]  # the candidate is involved
        assert session.get(Quote, ids["quote"]).quoted_member_id == world.ids[ACTOR_KEY["member"]]
        for key in ("quoting_post", "statement", "question_post"):
            assert posts[ids[key]].status == PostStatus.PUBLISHED, (key, posts[ids[key]].hold_reasons)
        invited = session.scalars(select(Cosignature.member_id).where(Cosignature.post_id == ids["statement"])).all()
        assert invited == [world.ids[ACTOR_KEY["member"]]]
        assert session.get(Candidacy, ids["candidacy"]).status == CandidacyStatus.VALIDATED
        phases = {d.slug: designations.phase(d, ctx.clock()) for d in session.scalars(select(Designation))}
        assert phases == {scene.slugs["designation"]: designations.Phase.DEBATE,
                          scene.slugs["open_call"]: designations.Phase.CANDIDACIES}
    return scene


def _build_designations(scene: Scene, now: dt.datetime) -> None:
    """At now - 10 days: the national designation takes candidacies; the candidate declares, is
    validated, and a paris supporter endorses them and forms paris's committee. At `now` it is in
    its debate phase (a question is asked), and a paris designation takes candidacies."""
    ctx, ids = scene.world.ctx, scene.ids
    iso = dt.datetime.isoformat
    with ctx.db.write() as session:
        admin, candidate, supporter = (scene.member(session, k)
                                       for k in (ACTOR_KEY["admin"], ACTOR_KEY["candidate"], "soutien"))
        national = designations.create_designation(
            ctx, session, admin, title="Tête de liste nationale", federation_slug="",
            candidacies_open_at=iso(now - 20 * DAY), candidacy_deadline=iso(now - 5 * DAY),
            debate_ends_at=iso(now + 10 * DAY), vote_at=iso(now + 11 * DAY), voting_url="https://vote.example.org")
        scene.slugs["designation"] = national.slug
        candidacy = designations.declare_candidacy(
            ctx, session, candidate, national.id,
            "Je porte un projet de rassemblement pour 2027, fédération par fédération.")
        designations.decide_candidacy(ctx, session, admin, candidacy.id, True, "")
        ids["candidacy"] = candidacy.id
        designations.endorse(ctx, session, supporter, candidacy.id)
        ids["committee"] = designations.create_committee(ctx, session, supporter, candidacy.id, "Comité de Paris").id
    ctx.clock.now = now  # type: ignore[attr-defined]
    with ctx.db.write() as session:
        admin, lea = scene.member(session, ACTOR_KEY["admin"]), scene.member(session, "lea")
        open_call = designations.create_designation(
            ctx, session, admin, title="Secrétariat fédéral de Paris", federation_slug="paris",
            candidacies_open_at=iso(now - DAY), candidacy_deadline=iso(now + 5 * DAY),
            debate_ends_at=iso(now + 20 * DAY), vote_at=iso(now + 21 * DAY))
        scene.slugs["open_call"] = open_call.slug
        question = designations.ask_question(
            ctx, session, lea, national.id, "Quelle place pour les fédérations rurales ?",
            "Précisez vos engagements pour les petites fédérations.")
        ids["question"] = question.id
        ids["question_post"] = session.scalar(select(Post.id).where(Post.topic_id == question.id))


@pytest.fixture
def scene(world, app) -> Scene:  # type: ignore[no-untyped-def]
    return _build_scene(world, app)


# --- acting as a role ------------------------------------------------------------------------------


class Actor:
    """A client acting as one role. Its cookies are put back before every request, so a case
    never depends on the previous one (a suspended member keeps presenting the dead session)."""

    def __init__(self, scene: Scene, client: Any, role: str) -> None:
        self.scene, self.client, self.role = scene, client, role
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.sign_in()
        if role == "suspended":
            ctx = scene.world.ctx
            with ctx.db.write() as session:
                admin = scene.member(session, ACTOR_KEY["admin"])
                accounts.set_status(ctx, session, admin, scene.world.ids[ACTOR_KEY["suspended"]],
                                    MemberStatus.SUSPENDED, "Propos menaçants.", 7)

    def sign_in(self) -> None:
        self.client.cookies.clear()
        if self.role == "anonymous":
            self.token = csrf_of(self.client.get("/connexion").text)
        else:
            assert login(self.client, f"{ACTOR_KEY[self.role]}@example.org").status_code == 303
            home = self.client.get("/")
            assert home.status_code == 200
            self.token = csrf_of(home.text)  # from a page of this very session
        self.cookies = dict(self.client.cookies)

    def restore(self) -> None:
        self.client.cookies.clear()
        for key, value in self.cookies.items():
            self.client.cookies.set(key, value)

    def request(self, name: str, method: str) -> Any:
        self.restore()
        url = self.scene.url(_routes()[name])
        if method == "GET":
            response = self.client.get(url)
        else:
            response = self.client.post(url, data={"csrf_token": self.token, **FORMS[name]})
        if name == "logout" and self.role not in ("anonymous", "suspended"):
            self.sign_in()  # the session is gone: open a new one for the next cases
        return response


def _outcome(response: Any) -> str:
    location = response.headers.get("location", "")
    return f"{response.status_code}" + (f" → {location}" if location else "")


CSRF_REFUSAL = "Le formulaire a expiré"


def _problem(role: str, method: str, response: Any, expected: int | str) -> str | None:
    """Why `response` is not the expected outcome, or None."""
    location = response.headers.get("location", "")
    gated = response.status_code == 303 and location.startswith("/connexion?next=")
    if expected == LOGIN:
        return None if gated else f"attendu {LOGIN} (303 → /connexion?next=…), obtenu {_outcome(response)}"
    if response.status_code != expected or gated:
        return f"attendu {expected}, obtenu {_outcome(response)}"
    if response.status_code == 403 and method == "POST":
        csrf = CSRF_REFUSAL in response.text
        if role == "suspended" and not csrf:
            return "403, mais pas par le contrôle CSRF de la session morte : la vue a tourné"
        if role != "suspended" and csrf:
            return "403 du contrôle CSRF, pas de l’autorisation : jeton du test invalide, le cas ne prouve rien"
    return None


# --- the tests -------------------------------------------------------------------------------------


def test_every_route_has_expectations():
    routes = _routes()
    missing = sorted(f"{name} {method}" for name, route in routes.items() for method in _methods(route)
                     if method not in EXPECTED.get(name, {}))
    stale = sorted(f"{name} {method}" for name, methods in EXPECTED.items() for method in methods
                   if name not in routes or method not in _methods(routes[name]))
    assert not missing, f"routes sans attentes dans EXPECTED : {missing}"
    assert not stale, f"EXPECTED nomme des routes ou méthodes qui n’existent plus : {stale}"
    incomplete = sorted(f"{name} {method}" for name, methods in EXPECTED.items() for method, row in methods.items()
                        if set(row) != set(ROLES))
    assert not incomplete, f"rôles manquants pour : {incomplete}"
    no_form = sorted(name for name, methods in EXPECTED.items() if "POST" in methods and name not in FORMS)
    assert not no_form, f"pas de formulaire minimal dans FORMS pour : {no_form}"


@pytest.mark.parametrize("role", ROLES)
def test_route_roles(scene, client, role):
    """Every (route, method) as one role, on one set of objects; the message names each failing case."""
    actor = Actor(scene, client, role)
    failures = []
    for name, method in CASES:
        expected = EXPECTED[name][method][role]
        if isinstance(expected, Bug):
            continue  # checked, as a known bug, by test_known_authorization_bugs
        problem = _problem(role, method, actor.request(name, method), expected)
        if problem:
            failures.append(f"{method} {name} ({scene.url(_routes()[name])}) en tant que {role} : {problem}")
    assert not failures, "\n".join(failures)


if BUGS:  # an empty parametrisation would be a skip, and CI allows none

    @pytest.mark.parametrize(
        ("name", "method", "role", "expected"),
        [pytest.param(name, method, role, cell.expected, id=f"{name}-{method}-{role}",
                      marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=cell.reason))
         for name, method, role, cell in BUGS],
    )
    def test_known_authorization_bugs(scene, client, name, method, role, expected):
        problem = _problem(role, method, Actor(scene, client, role).request(name, method), expected)
        assert problem is None, f"{method} {name} en tant que {role} : {problem}"


# --- IDOR: ids of someone else's objects typed by hand --------------------------------------------


@pytest.fixture
def member_client(scene, client) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    login(client, f"{ACTOR_KEY['member']}@example.org")
    yield client


def test_a_member_cannot_read_someone_elses_held_post(scene, member_client):
    ids = scene.ids
    assert member_client.get(f"/t/{ids['held_topic']}").status_code == 404
    assert member_client.get(f"/p/{ids['held_post']}/historique").status_code == 404
    assert member_client.get(f"/p/{ids['held_post']}/modifier").status_code == 404
    assert member_client.get(f"/p/{ids['held_post']}/signaler").status_code == 404
    assert "Ce que pense vraiment" not in member_client.get("/c/paris").text
    # …nor the post a moderator hid, by its history.
    assert member_client.get(f"/p/{ids['decided']}/historique").status_code == 404


def test_a_member_cannot_download_the_attachment_of_someone_elses_held_post(scene, member_client, app):
    from starlette.testclient import TestClient

    response = member_client.get(f"/pieces/{scene.ids['attachment']}")
    assert response.status_code == 404 and b"Anne" not in response.content
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as author:
        login(author, "lea@example.org")
        assert author.get(f"/pieces/{scene.ids['attachment']}").status_code == 200  # its uploader still can


def test_a_member_cannot_open_the_appeal_page_of_someone_elses_decision(scene, member_client):
    response = member_client.get(f"/decisions/{scene.ids['decision']}/appel")
    assert response.status_code == 404
    assert "Propos insultants" not in response.text and "Je citais un article" not in response.text
    forced = member_client.post(f"/decisions/{scene.ids['decision']}/appel",
                                data={"csrf_token": csrf_of(member_client.get("/").text),
                                      "text": "Je fais appel à la place de Léa."})
    assert forced.status_code == 404


def test_a_member_cannot_edit_someone_elses_post_by_direct_post(scene, member_client):
    token = csrf_of(member_client.get(f"/t/{scene.ids['topic']}").text)
    forced = member_client.post(f"/p/{scene.ids['post']}/modifier",
                                data={"csrf_token": token, "action": "publish", "quote_count": "0",
                                      "body": "Léa retire tout ce qu’elle a dit."})
    assert forced.status_code == 403
    with scene.world.ctx.db.read() as session:
        post = session.get(Post, scene.ids["post"])
        assert post.revision_count == 1 and "retire tout" not in post.source


def test_a_suspended_members_stale_form_writes_nothing(scene, client):
    actor = Actor(scene, client, "suspended")
    with scene.world.ctx.db.read() as session:
        before = session.scalar(select(Post.id).order_by(Post.id.desc()))
    actor.restore()
    response = actor.client.post(f"/t/{scene.ids['topic']}/repondre",
                                 data={"csrf_token": actor.token, "action": "publish", "body": "Je suis encore là."})
    assert response.status_code == 403
    with scene.world.ctx.db.read() as session:
        assert session.scalar(select(Post.id).order_by(Post.id.desc())) == before


def test_another_federations_moderator_does_not_see_paris_cases_in_lists(scene, client):
    login(client, f"{ACTOR_KEY['moderator_other_federation']}@example.org")
    queue = client.get("/moderation")
    assert queue.status_code == 200
    assert f"/moderation/elements/{scene.ids['item']}" not in queue.text and "Ce que pense vraiment" not in queue.text
    appeals = client.get("/moderation/appels")
    assert appeals.status_code == 200 and "Je citais un article" not in appeals.text
    client.cookies.clear()
    login(client, f"{ACTOR_KEY['national_moderator']}@example.org")
    assert f"/moderation/elements/{scene.ids['item']}" in client.get("/moderation").text
    assert "Je citais un article" in client.get("/moderation/appels").text




def _masked_post_with_attachment(scene: Scene) -> tuple[int, int, int]:
    """Léa's published post with an email attached, then masked by enough reports: (topic, post, attachment)."""
    ctx = scene.world.ctx
    with ctx.db.write() as session:
        lea = scene.member(session, "lea")
        attachment = attachments.store_upload(session, lea, "courriel.eml", _eml())
        topic = posting.create_topic(
            ctx, session, lea, "general", "Le courriel d’Anne au bureau", "Voici le courriel complet.",
            [QuoteInput(kind="email", author="Anne Martin", handle="anne@federation.example",
                        said_at="2023-03-14T10:42", context="Courriel au bureau fédéral avant le congrès.",
                        text="Nous ne soutiendrons pas cette motion.", attachment_id=attachment.id)],
        )
        post = session.scalar(select(Post).where(Post.topic_id == topic.id))
        assert post is not None and post.status == PostStatus.PUBLISHED
        post.masked_at = ctx.clock()  # what the report threshold does
        return topic.id, post.id, attachment.id


def test_a_masked_post_is_withheld_from_other_members(scene, member_client):
    topic_id, post_id, attachment_id = _masked_post_with_attachment(scene)
    page = member_client.get(f"/t/{topic_id}")
    assert page.status_code == 200
    assert f"/pieces/{attachment_id}" not in page.text and "Nous ne soutiendrons" not in page.text
    assert member_client.get(f"/p/{post_id}/historique").status_code == 404


def test_a_member_cannot_download_the_attachment_of_a_masked_post(scene, member_client):
    _topic_id, _post_id, attachment_id = _masked_post_with_attachment(scene)
    response = member_client.get(f"/pieces/{attachment_id}")
    assert response.status_code == 404, f"obtenu {response.status_code} : {response.content[:60]!r}"
