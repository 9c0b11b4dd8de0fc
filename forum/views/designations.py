"""Designations, candidacies, endorsements, committees, questions, the matrix, replies, statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from forum.db import pairs
from forum.errors import DomainError, NotFound, ValidationFailed
from forum.models import (
    Candidacy,
    Committee,
    CommitteeMember,
    Designation,
    Endorsement,
    Federation,
    Meeting,
    Member,
)
from forum.services import designations as svc
from forum.services import replies, statements
from forum.web import ctx_of, in_thread, member_of, page, read_form, redirect, render


def _me(request: Request) -> Member:
    member = member_of(request)
    assert member is not None  # `page` sends anonymous visitors to the login page
    return member


def _form_error(request: Request, exc: DomainError, back: str) -> Response:
    from forum.views.errors import error_page

    message = " ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else exc.message
    return error_page(request, exc.status_code, message, back=back)


async def _write(request: Request, func: Any, *args: Any) -> Any:
    ctx = ctx_of(request)

    def run() -> Any:
        with ctx.db.write() as session:
            return func(ctx, session, _me(request), *args)

    return await in_thread(run)


@page
async def designation_list(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        rows = list(session.scalars(select(Designation).order_by(Designation.vote_at.desc())))
        federations = pairs(session.execute(select(Federation.id, Federation.name)))
    now = ctx.clock()
    items = [(d, svc.phase(d, now), federations.get(d.federation_id or 0)) for d in rows]
    return render(request, "designations/list.html", {"items": items})


@page
async def designation_new(request: Request) -> Response:
    ctx = ctx_of(request)
    me = _me(request)
    if not me.is_admin:
        from forum.errors import Forbidden

        raise Forbidden("Réservé aux administrateur·rices.")
    with ctx.db.read() as session:
        federations = list(session.scalars(select(Federation).order_by(Federation.name)))
    draft: dict[str, str] = {}
    if request.method == "POST":
        form = await read_form(request)
        draft = {k: str(form.get(k, "")) for k in ("title", "federation", "candidacies_open_at", "candidacy_deadline",
                                                   "debate_ends_at", "vote_at", "voting_url", "description",
                                                   "one_endorsement", "endorsers_public")}
        try:
            designation = await _write(request, lambda c, s, a: svc.create_designation(
                c, s, a, title=draft["title"], federation_slug=draft["federation"],
                candidacies_open_at=draft["candidacies_open_at"], candidacy_deadline=draft["candidacy_deadline"],
                debate_ends_at=draft["debate_ends_at"], vote_at=draft["vote_at"],
                one_endorsement=form.get("one_endorsement") == "1", endorsers_public=form.get("endorsers_public") == "1",
                voting_url=draft["voting_url"], description=draft["description"]).slug)
        except ValidationFailed as exc:
            return render(request, "designations/new.html", {"federations": federations, "draft": draft, "errors": exc.errors}, 422)
        return redirect(f"/designations/{designation}")
    return render(request, "designations/new.html", {"federations": federations, "draft": draft, "errors": {}})


@page
async def designation_page(request: Request) -> Response:
    ctx = ctx_of(request)
    me = _me(request)
    with ctx.db.read() as session:
        designation = svc.designation_by_slug(session, request.path_params["slug"])
        candidacies = session.execute(
            select(Candidacy, Member.first_name, Member.last_name).join(Member, Member.id == Candidacy.member_id)
            .where(Candidacy.designation_id == designation.id).order_by(Member.last_name)
        ).all()
        counts = pairs(session.execute(
            select(Endorsement.candidacy_id, func.count(Endorsement.id))
            .where(Endorsement.designation_id == designation.id, Endorsement.withdrawn_at.is_(None))
            .group_by(Endorsement.candidacy_id)))
        mine = session.scalar(select(Candidacy).where(Candidacy.designation_id == designation.id, Candidacy.member_id == me.id))
        federation = session.scalar(select(Federation.name).where(Federation.id == designation.federation_id)) \
            if designation.federation_id else None
        category = svc.questions_category(session, designation)
        by_federation = svc.endorsements_by_federation(session, designation.id)
    return render(request, "designations/page.html", {
        "designation": designation, "phase": svc.phase(designation, ctx.clock()), "candidacies": candidacies,
        "counts": counts, "mine": mine, "federation": federation, "in_scope": svc.in_scope(me, designation),
        "category": category, "errors": {}, "Phase": svc.Phase, "by_federation": by_federation,
    })


@page
async def declare(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await read_form(request)
    with ctx.db.read() as session:
        designation = svc.designation_by_slug(session, request.path_params["slug"])
    try:
        candidacy_id = await _write(request, lambda c, s, a: svc.declare_candidacy(
            c, s, a, designation.id, str(form.get("statement", ""))).id)
    except DomainError as exc:
        return _form_error(request, exc, f"/designations/{designation.slug}")
    return redirect(f"/candidatures/{candidacy_id}")


@page
async def candidacy_page(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        view = svc.candidacy_view(ctx, session, _me(request), request.path_params["candidacy_id"])
    return render(request, "designations/candidacy.html", {"view": view, "Phase": svc.Phase, "errors": {}})


def _candidacy_action(action: Any) -> Any:
    @page
    async def endpoint(request: Request) -> Response:
        candidacy_id = request.path_params["candidacy_id"]
        form = await read_form(request)
        try:
            await _write(request, lambda c, s, a: action(c, s, a, candidacy_id, form))
        except DomainError as exc:
            return _form_error(request, exc, f"/candidatures/{candidacy_id}")
        return redirect(f"/candidatures/{candidacy_id}")

    return endpoint


validate_candidacy = _candidacy_action(
    lambda c, s, a, cid, form: svc.decide_candidacy(c, s, a, cid, form.get("decision") == "validate", str(form.get("reason", ""))))
withdraw_candidacy = _candidacy_action(lambda c, s, a, cid, form: svc.withdraw_candidacy(c, s, a, cid))
endorse = _candidacy_action(lambda c, s, a, cid, form: svc.endorse(c, s, a, cid))
unendorse = _candidacy_action(lambda c, s, a, cid, form: svc.withdraw_endorsement(c, s, a, cid))
edit_statement = _candidacy_action(
    lambda c, s, a, cid, form: svc.edit_statement(c, s, a, cid, str(form.get("statement", ""))))
@page
async def candidacy_versions(request: Request) -> Response:
    """Every version of a profession de foi, with what changed."""
    from forum.models import CandidacyRevision
    from forum.views.forum import revision_diffs

    ctx = ctx_of(request)
    with ctx.db.read() as session:
        candidacy = session.get(Candidacy, request.path_params["candidacy_id"])
        if candidacy is None:
            raise NotFound()
        member = session.get(Member, candidacy.member_id)
        assert member is not None
        rows = [(rev, member.display_name) for rev in session.scalars(
            select(CandidacyRevision).where(CandidacyRevision.candidacy_id == candidacy.id)
            .order_by(CandidacyRevision.number))]
    return render(request, "designations/candidacy_versions.html",
                  {"candidacy": candidacy, "member": member, "revisions": revision_diffs(rows)})


@page
async def candidacy_photo(request: Request) -> Response:
    from starlette.datastructures import UploadFile

    candidacy_id = request.path_params["candidacy_id"]
    form = await read_form(request)
    upload = form.get("photo")
    # No file is an empty file: the service decides who may act before it looks at the bytes.
    filename, data = (upload.filename or "", await upload.read()) if isinstance(upload, UploadFile) else ("", b"")
    try:
        await _write(request, svc.set_photo, candidacy_id, filename, data)
    except DomainError as exc:
        return _form_error(request, exc, f"/candidatures/{candidacy_id}")
    return redirect(f"/candidatures/{candidacy_id}")


create_committee = _candidacy_action(
    lambda c, s, a, cid, form: svc.create_committee(c, s, a, cid, str(form.get("description", ""))))


@page
async def committee_page(request: Request) -> Response:
    ctx = ctx_of(request)
    committee_id = request.path_params["committee_id"]
    with ctx.db.read() as session:
        committee = session.get(Committee, committee_id)
        if committee is None:
            raise NotFound()
        candidacy = session.get(Candidacy, committee.candidacy_id)
        assert candidacy is not None
        candidate = session.get(Member, candidacy.member_id)
        federation = session.scalar(select(Federation.name).where(Federation.id == committee.federation_id))
        members = [f"{f} {l}" for f, l in session.execute(
            select(Member.first_name, Member.last_name).join(CommitteeMember, CommitteeMember.member_id == Member.id)
            .where(CommitteeMember.committee_id == committee.id).order_by(Member.last_name))]
        designation = session.get(Designation, candidacy.designation_id)
        assert designation is not None
        meetings = list(session.scalars(select(Meeting).where(Meeting.committee_id == committee.id).order_by(Meeting.starts_at)))
        mine = session.scalar(select(CommitteeMember.id).where(CommitteeMember.committee_id == committee.id,
                                                               CommitteeMember.member_id == _me(request).id)) is not None
    # Supporters' names follow the designation's setting; the committee itself always sees them.
    names_visible = designation.endorsers_public or mine
    return render(request, "designations/committee.html", {
        "committee": committee, "candidacy": candidacy, "candidate": candidate, "federation": federation,
        "members": members if names_visible else [], "member_count": len(members), "meetings": meetings, "mine": mine})


@page
async def join_committee(request: Request) -> Response:
    committee_id = request.path_params["committee_id"]
    try:
        await _write(request, svc.join_committee, committee_id)
    except DomainError as exc:
        return _form_error(request, exc, f"/comites/{committee_id}")
    return redirect(f"/comites/{committee_id}")


@page
async def add_meeting(request: Request) -> Response:
    committee_id = request.path_params["committee_id"]
    form = await read_form(request)
    try:
        await _write(request, svc.add_meeting, committee_id, str(form.get("starts_at", "")), str(form.get("place", "")),
                     str(form.get("description", "")))
    except DomainError as exc:
        return _form_error(request, exc, f"/comites/{committee_id}")
    return redirect(f"/comites/{committee_id}")


@page
async def questions(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        designation = svc.designation_by_slug(session, request.path_params["slug"])
        category = svc.questions_category(session, designation)
    draft = {"title": "", "body": ""}
    if request.method == "POST":
        form = await read_form(request)
        draft = {"title": str(form.get("title", "")), "body": str(form.get("body", ""))}
        try:
            topic_id = await _write(request, lambda c, s, a: svc.ask_question(c, s, a, designation.id, draft["title"], draft["body"]).id)
        except ValidationFailed as exc:
            return render(request, "designations/ask.html", {"designation": designation, "draft": draft, "errors": exc.errors}, 422)
        except DomainError as exc:
            return _form_error(request, exc, f"/designations/{designation.slug}")
        return redirect(f"/t/{topic_id}")
    return redirect(f"/c/{category.slug}") if request.query_params.get("liste") else \
        render(request, "designations/ask.html", {"designation": designation, "draft": draft, "errors": {}})


@page
async def matrix_page(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        designation = svc.designation_by_slug(session, request.path_params["slug"])
        data = svc.matrix(ctx, session, designation)
    return render(request, "designations/matrix.html", {"designation": designation, "matrix": data,
                                                         "phase": svc.phase(designation, ctx.clock())})


@page
async def position_reply(request: Request) -> Response:
    topic_id = request.path_params["topic_id"]
    form = await read_form(request)
    try:
        post = await _write(request, lambda c, s, a: svc.position_reply(c, s, a, topic_id, str(form.get("body", ""))).id)
    except DomainError as exc:
        return _form_error(request, exc, f"/t/{topic_id}")
    return redirect(f"/t/{topic_id}#p{post}")


@page
async def quote_reply(request: Request) -> Response:
    ctx = ctx_of(request)
    quote_id = request.path_params["quote_id"]
    with ctx.db.read() as session:
        quote, post, topic, existing = replies.quote_for_reply(session, _me(request), quote_id)
    draft = existing.source if existing else ""
    if request.method == "POST":
        form = await read_form(request)
        draft = str(form.get("reply", ""))
        try:
            await _write(request, replies.reply_to_quote, quote_id, draft)
        except ValidationFailed as exc:
            return render(request, "designations/quote_reply.html", {"quote": quote, "topic": topic, "post": post,
                                                                      "draft": draft, "errors": exc.errors}, 422)
        return redirect(f"/t/{topic.id}#q{quote.id}")
    return render(request, "designations/quote_reply.html", {"quote": quote, "topic": topic, "post": post,
                                                              "draft": draft, "errors": {}})


@page
async def new_statement(request: Request) -> Response:
    ctx = ctx_of(request)
    from forum import queries

    with ctx.db.read() as session:
        category = queries.category_by_slug(session, request.path_params["slug"])
    if category is None:
        raise NotFound()
    draft = {"title": "", "body": "", "invitees": ""}
    if request.method == "POST":
        form = await read_form(request)
        draft = {k: str(form.get(k, "")) for k in draft}
        try:
            topic_id = await _write(request, lambda c, s, a: statements.create_statement(
                c, s, a, category.slug, draft["title"], draft["body"], draft["invitees"]).id)
        except ValidationFailed as exc:
            return render(request, "designations/statement_new.html", {"category": category, "draft": draft, "errors": exc.errors}, 422)
        return redirect(f"/t/{topic_id}")
    return render(request, "designations/statement_new.html", {"category": category, "draft": draft, "errors": {}})


def _signature_action(action: Any) -> Any:
    @page
    async def endpoint(request: Request) -> Response:
        ctx = ctx_of(request)
        post_id = request.path_params["post_id"]
        form = await read_form(request)
        extra: list[Any] = []
        if action is statements.sign:
            try:
                extra = [int(str(form.get("revision", "")))] if form.get("revision") else []
            except ValueError:
                extra = [-1]
        try:
            await _write(request, action, post_id, *extra)
        except DomainError as exc:
            return _form_error(request, exc, "/")
        with ctx.db.read() as session:
            from forum.models import Post

            post = session.get(Post, post_id)
            assert post is not None
        return redirect(f"/t/{post.topic_id}#p{post_id}")

    return endpoint


sign_statement = _signature_action(statements.sign)
withdraw_signature = _signature_action(statements.withdraw)
