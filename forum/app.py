"""create_app(settings) -> Starlette: the only place that wires routes, middleware and lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount, Route
from starlette.templating import Jinja2Templates

from forum.assets import HashedStaticFiles, Manifest
from forum.cards import CardCache, Fragments
from forum.context import Context
from forum.errors import DomainError
from forum.events import QuoteInput
from forum.middleware import BodySizeLimit, SecurityHeaders
from forum.settings import Settings
from forum.templating import context_defaults, make_environment
from forum.views import accounts, designations, errors, forum, search
from forum.views.post_form import KIND_LABELS
from moderation import views as moderation_views
from moderation.services import REASONS as MODERATION_REASONS
from moderation.integration import install as install_moderation

STATIC_DIR = Path(__file__).parent / "static"

GET, POST = ["GET"], ["POST"]
GET_POST = ["GET", "POST"]

# The route table is data: tests read it to check every route's protection and roles.
class IdConvertor(Convertor[int]):
    """A row id in a path: digits that fit every database's integer columns. A longer number is
    a page that does not exist (404), not a query PostgreSQL refuses (500)."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())

ROUTES: list[Route] = [
    Route("/", forum.home, methods=GET, name="home"),
    Route("/c/{slug:str}", forum.category, methods=GET, name="category"),
    Route("/c/{slug:str}/nouveau", forum.new_topic, methods=GET_POST, name="new_topic"),
    Route("/t/{topic_id:id}", forum.topic, methods=GET, name="topic"),
    Route("/t/{topic_id:id}/repondre", forum.reply, methods=POST, name="reply"),
    Route("/p/{post_id:id}/modifier", forum.edit_post, methods=GET_POST, name="edit_post"),
    Route("/p/{post_id:id}/historique", forum.post_history, methods=GET, name="post_history"),
    Route("/membres/{member_id:id}", forum.profile, methods=GET, name="profile"),
    Route("/recherche", search.search_page, methods=GET, name="search"),
    Route("/connexion", accounts.login, methods=GET_POST, name="login"),
    Route("/deconnexion", accounts.logout, methods=POST, name="logout"),
    Route("/invitation/{token:str}", accounts.invitation, methods=GET_POST, name="invitation"),
    Route("/mot-de-passe/oubli", accounts.forgot_password, methods=GET_POST, name="forgot_password"),
    Route("/mot-de-passe/nouveau/{token:str}", accounts.reset_password, methods=GET_POST, name="reset_password"),
    Route("/compte/mot-de-passe", accounts.change_password, methods=GET_POST, name="change_password"),
    Route("/pieces/{attachment_id:id}", forum.attachment, methods=GET, name="attachment"),
    Route("/notifications", forum.notifications_page, methods=GET_POST, name="notifications"),
    Route("/notifications/preferences", forum.notification_preferences, methods=GET_POST, name="notification_preferences"),
    Route("/designations", designations.designation_list, methods=GET, name="designations"),
    Route("/designations/nouvelle", designations.designation_new, methods=GET_POST, name="designation_new"),
    Route("/designations/{slug:str}", designations.designation_page, methods=GET, name="designation"),
    Route("/designations/{slug:str}/candidature", designations.declare, methods=POST, name="declare_candidacy"),
    Route("/designations/{slug:str}/questions", designations.questions, methods=GET_POST, name="ask_question"),
    Route("/designations/{slug:str}/matrice", designations.matrix_page, methods=GET, name="matrix"),
    Route("/candidatures/{candidacy_id:id}", designations.candidacy_page, methods=GET, name="candidacy"),
    Route("/candidatures/{candidacy_id:id}/decision", designations.validate_candidacy, methods=POST, name="decide_candidacy"),
    Route("/candidatures/{candidacy_id:id}/retrait", designations.withdraw_candidacy, methods=POST, name="withdraw_candidacy"),
    Route("/candidatures/{candidacy_id:id}/profession-de-foi", designations.edit_statement, methods=POST, name="edit_statement"),
    Route("/candidatures/{candidacy_id:id}/parrainage", designations.endorse, methods=POST, name="endorse"),
    Route("/candidatures/{candidacy_id:id}/parrainage/retrait", designations.unendorse, methods=POST, name="unendorse"),
    Route("/candidatures/{candidacy_id:id}/comites", designations.create_committee, methods=POST, name="create_committee"),
    Route("/candidatures/{candidacy_id:id}/photo", designations.candidacy_photo, methods=POST, name="candidacy_photo"),
    Route("/candidatures/{candidacy_id:id}/versions", designations.candidacy_versions, methods=GET,
          name="candidacy_versions"),
    Route("/comites/{committee_id:id}", designations.committee_page, methods=GET, name="committee"),
    Route("/comites/{committee_id:id}/rejoindre", designations.join_committee, methods=POST, name="join_committee"),
    Route("/comites/{committee_id:id}/reunions", designations.add_meeting, methods=POST, name="add_meeting"),
    Route("/t/{topic_id:id}/position", designations.position_reply, methods=POST, name="position_reply"),
    Route("/citations/{quote_id:id}/reponse", designations.quote_reply, methods=GET_POST, name="quote_reply"),
    Route("/c/{slug:str}/declaration", designations.new_statement, methods=GET_POST, name="new_statement"),
    Route("/p/{post_id:id}/signer", designations.sign_statement, methods=POST, name="sign_statement"),
    Route("/p/{post_id:id}/retirer-signature", designations.withdraw_signature, methods=POST, name="withdraw_signature"),
    # moderation's pages, mounted here: forum's only dependency on moderation.
    Route("/p/{post_id:id}/signaler", moderation_views.report, methods=GET_POST, name="report"),
    Route("/p/{post_id:id}/notes", moderation_views.add_note, methods=POST, name="add_note"),
    Route("/notes/{note_id:id}/evaluation", moderation_views.rate_note, methods=POST, name="rate_note"),
    Route("/decisions/{decision_id:id}/appel", moderation_views.appeal, methods=GET_POST, name="appeal"),
    Route("/transparence", moderation_views.transparency_page, methods=GET, name="transparency"),
    Route("/moderation", moderation_views.queue, methods=GET, name="moderation_queue"),
    Route("/moderation/elements/{item_id:id}", moderation_views.item, methods=GET, name="moderation_item"),
    Route("/moderation/elements/{item_id:id}/prise-en-charge", moderation_views.claim, methods=POST, name="moderation_claim"),
    Route("/moderation/elements/{item_id:id}/decision", moderation_views.decide, methods=POST, name="moderation_decide"),
    Route("/moderation/appels", moderation_views.appeals, methods=GET, name="moderation_appeals"),
    Route("/moderation/reponses/{reply_id:id}/masquer", moderation_views.hide_quote_reply, methods=POST,
          name="moderation_hide_reply"),
    Route("/moderation/appels/{appeal_id:id}/decision", moderation_views.decide_appeal, methods=POST, name="moderation_decide_appeal"),
]


def wire(ctx: Context) -> Context:
    """Plug moderation into a context (the provenance checker, the event handlers, recusal for
    designations) and the forum's own extras shown under posts."""
    from forum.services.statements import signatories

    # Only a topic's first post can be a statement: most pages ask nothing.
    ctx.post_extras["signatures"] = lambda session, posts, viewer_id: signatories(
        session, [p.id for p in posts if p.kind == "statement"], viewer_id)
    install_moderation(ctx)
    return ctx


def _quote_template(env: Environment) -> Callable[[], Markup]:
    """The empty quote fieldset that JavaScript clones: the same for every page, rendered once."""
    rendered: list[Markup] = []

    def quote_template() -> Markup:
        if not rendered:
            module = env.get_template("_post_form.html").make_module({"kind_labels": KIND_LABELS})
            macro = getattr(module, "quote_fieldset")
            rendered.append(Markup(macro(QuoteInput(kind=""), "__i__", "", {})))
        return rendered[0]

    return quote_template


def create_app(settings: Settings | None = None, context: Context | None = None) -> Starlette:
    """Build the application. With no argument (uvicorn --factory), settings come from the environment."""
    settings = settings or (context.settings if context else Settings.from_env())
    ctx = wire(context or Context.build(settings))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        ctx.db.dispose()

    static_files = Manifest(STATIC_DIR)  # hashed once, at start-up: see forum.assets
    hosts = list(settings.allowed_hosts)
    middleware = [
        Middleware(SecurityHeaders, https=settings.https),
        Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
    app = Starlette(
        debug=False,  # never a traceback page, even in development: logs have them
        routes=[*ROUTES, Mount("/static", HashedStaticFiles(static_files), name="static")],
        middleware=middleware,
        exception_handlers={
            HTTPException: errors.http_exception,
            DomainError: errors.domain_error,
            Exception: errors.server_error,
        },
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    env = make_environment(settings)
    env.globals["kind_labels"] = KIND_LABELS
    env.globals["moderation_reasons"] = MODERATION_REASONS
    env.globals["quote_template"] = _quote_template(env)
    env.globals["static_url"] = static_files.url
    app.state.templates = Jinja2Templates(env=env, context_processors=[context_defaults])
    app.state.cards = CardCache(env)
    app.state.fragments = Fragments(env)
    return app
