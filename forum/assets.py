"""Static files under names that carry a hash of their content: /static/tribune.3f2a9c1e0b.css.

The manifest is built once, when the application starts, from the files of forum/static: no
build step. A hashed name's content never changes, so browsers and proxies may keep it a year
without asking again (`immutable`); a new deployment changes the names the pages link to.

Hashed files are served from the bytes read at start-up, never from disk at request time: a file
edited on disk while a process runs cannot be served under the hash of its old content.

An unknown or stale hash is a 404, not a redirect to the current file. During a rolling deploy
an old node may receive a request for a new name (or the reverse); redirecting would hand the page
a stylesheet or script of another version, and a redirect may itself be cached by browsers and
proxies. A 404 is not cached for long and the next load gets the right file. The plain names
(/static/tribune.css) stay served, revalidated on every use (`no-cache`), for anything that cannot
know the hash.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)$")


@dataclass(frozen=True)
class Asset:
    name: str  # as written in templates: "tribune.css"
    hashed_name: str  # "tribune.3f2a9c1e0b.css"
    content: bytes
    media_type: str

    @property
    def etag(self) -> str:
        return f'"{self.hashed_name}"'


def hashed_name(name: str, content: bytes) -> str:
    """`name` with the start of its content's SHA-256 before its suffix."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    path = Path(name)
    if not path.suffix:
        return f"{name}.{digest}"
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


class Manifest:
    """Every file under a directory, by its plain name and by its hashed name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.by_name: dict[str, Asset] = {}
        self.by_hashed_name: dict[str, Asset] = {}
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")):
            name = path.relative_to(directory).as_posix()
            content = path.read_bytes()
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type in ("application/javascript", "image/svg+xml"):
                media_type += "; charset=utf-8"
            asset = Asset(name, hashed_name(name, content), content, media_type)
            self.by_name[name] = asset
            self.by_hashed_name[asset.hashed_name] = asset

    def url(self, name: str) -> str:
        """The URL of a static file under its current hashed name. An unknown name is an error
        (a typo in a template fails the page in tests rather than linking to a 404)."""
        try:
            return "/static/" + self.by_name[name].hashed_name
        except KeyError:
            raise LookupError(f"no static file {name!r} in {self.directory}") from None


class HashedStaticFiles(StaticFiles):
    """Serves hashed names from memory with a year of cache, plain names from disk with
    revalidation, and a 404 for a name that looks hashed but whose hash is not current."""

    def __init__(self, manifest: Manifest) -> None:
        super().__init__(directory=manifest.directory)
        self.manifest = manifest

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        name = path.replace("\\", "/")
        asset = self.manifest.by_hashed_name.get(name)
        if asset is not None:
            headers = {"Cache-Control": IMMUTABLE, "ETag": asset.etag}
            if Headers(scope=scope).get("if-none-match") == asset.etag:
                return Response(status_code=304, headers=headers)
            body = b"" if scope["method"] == "HEAD" else asset.content
            response = Response(body, media_type=asset.media_type, headers=headers)
            response.headers["Content-Length"] = str(len(asset.content))
            return response
        match = _HASHED.match(name)
        if match and f"{match['stem']}{match['suffix']}" in self.manifest.by_name:
            raise HTTPException(status_code=404)  # a stale or unknown hash: see the module's docstring
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = REVALIDATE
        return response
