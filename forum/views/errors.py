"""French error pages, never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from forum.errors import DomainError, RateLimited

log = logging.getLogger("tribune")

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Envoi trop volumineux",
    422: "Formulaire à corriger",
    429: "Trop de tentatives",
    500: "Erreur du serveur",
    503: "Service momentanément indisponible",
}
MESSAGES = {
    400: "La requête n’a pas pu être comprise.",
    401: "Connectez-vous pour continuer.",
    403: "Vous n’avez pas le droit d’accéder à cette page.",
    404: "Cette page n’existe pas ou n’est pas visible pour vous.",
    405: "Cette adresse ne s’utilise pas de cette façon.",
    413: "Ce que vous avez envoyé dépasse la taille autorisée.",
    500: "Une erreur inattendue s’est produite. L’équipe technique a été prévenue ; réessayez dans un instant.",
    503: "La base de données ne répond pas pour le moment. Réessayez dans quelques instants.",
}


def error_page(request: Request, status: int, message: str | None = None, back: str | None = None) -> Response:
    """A French error page; `back` is a local page to return to (the form the member left)."""
    templates = request.app.state.templates
    response = templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Erreur"), "message": message or MESSAGES.get(status, ""),
         "back": back},
        status_code=status,
    )
    return response


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_page(request, exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if exc.status_code == 401:
        from forum.web import redirect

        return redirect(f"/connexion?next={request.url.path}")
    response = error_page(request, exc.status_code, exc.message)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        log.error("database unavailable: %s", exc)
        return error_page(request, 503)
    log.exception("unhandled error on %s", request.url.path)
    return error_page(request, 500)
