"""The search page: /recherche?q=…&categorie=…&auteur=…&federation=…&du=…&au=…&page=…"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from forum import queries, search
from forum.models import Category, Federation
from forum.web import ctx_of, in_thread, page, render


@page
async def search_page(request: Request) -> Response:
    """Members only (the `page` wrapper sends anonymous visitors to the login page). Every member
    gets the same results: posts anyone may read (see forum.search)."""
    ctx = ctx_of(request)
    wanted, errors = search.read_request(request.query_params)
    tz = ZoneInfo(ctx.settings.timezone)

    def run() -> tuple[list[Category], list[Federation], search.Results | None]:
        with ctx.db.read() as session:
            categories = queries.categories(session)
            federations = list(session.scalars(select(Federation).order_by(Federation.name)))
            found = None
            if wanted.has_words and not errors and not wanted.too_deep:
                found = search.search(session, wanted, tz)
        return categories, federations, found

    categories, federations, results = await in_thread(run)  # ranking many matches takes a while
    posts_per_page = ctx.settings.posts_per_page  # of a topic page, for the link to the post
    context = {
        "form": wanted,
        "errors": errors,
        "results": results,
        "categories": categories,
        "federations": federations,
        "per_page": search.PER_PAGE,
        "max_pages": search.MAX_PAGES,
        "max_results": search.CANDIDATES,  # only the newest CANDIDATES matches are ranked and paged
        "page_url": lambda number: "/recherche?" + urlencode(wanted.params(number)),
        "post_url": lambda hit: f"/t/{hit.topic_id}?page={-(-hit.number // posts_per_page)}#p{hit.post_id}",
    }
    return render(request, "search.html", context)
