"""Static files under hashed names (forum/assets.py): pages link /static/tribune.<hash>.css, that
name is cached for a year and never changes, a stale hash is a 404, the CSP stays strict."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from forum.app import STATIC_DIR
from forum.assets import IMMUTABLE, HashedStaticFiles, Manifest

HEAD_ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"')


def _linked(client: Any) -> list[str]:
    page = client.get("/connexion")
    assert page.status_code == 200
    head = page.text.split("</head>", 1)[0]
    return HEAD_ASSET.findall(head)


def test_pages_link_static_files_by_content_hash_cached_for_a_year(client):
    linked = _linked(client)
    assert len(linked) == 2
    for url, plain in zip(linked, ("tribune.css", "tribune.js")):
        content = (STATIC_DIR / plain).read_bytes()
        stem, suffix = plain.split(".")
        assert url == f"/static/{stem}.{hashlib.sha256(content).hexdigest()[:10]}.{suffix}"
        response = client.get(url)
        assert response.status_code == 200 and response.content == content
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith("text/css" if suffix == "css" else "text/javascript")
        assert response.headers["x-content-type-options"] == "nosniff"
        # A browser revalidating (it should not, the name is immutable) gets an empty 304.
        again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def test_a_stale_or_unknown_hash_is_not_found_and_not_cached(client):
    [css, _js] = _linked(client)
    current = css.rsplit(".", 2)[1]
    for wrong in ("0" * 10, "f" * 10, current[:-1] + ("0" if current[-1] != "0" else "1")):
        response = client.get(css.replace(current, wrong))
        assert response.status_code == 404, wrong
        assert "immutable" not in response.headers.get("cache-control", "")
    assert client.get("/static/nothing.0123456789.css").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404


def test_plain_names_are_still_served_but_revalidated(client):
    response = client.get("/static/tribune.css")
    assert response.status_code == 200 and response.content == (STATIC_DIR / "tribune.css").read_bytes()
    assert response.headers["cache-control"] == "no-cache"


def test_the_csp_stays_strict_with_hashed_static_files(client):
    page = client.get("/connexion")
    csp = page.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[^']+';", csp) and re.search(r"style-src 'self' 'nonce-[^']+';", csp)
    # Same-origin paths only: 'self' allows them, nothing else is needed.
    assert all(url.startswith("/static/") for url in _linked(client))
    asset = client.get(_linked(client)[0])
    assert asset.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_new_deployment_changes_the_name_and_an_old_process_keeps_its_own_bytes(tmp_path: Path):
    (tmp_path / "app.css").write_text("body { color: black; }")
    old = Manifest(tmp_path)
    old_url = old.url("app.css")
    (tmp_path / "app.css").write_text("body { color: navy; }")  # deployed while the old process runs
    new = Manifest(tmp_path)
    new_url = new.url("app.css")
    assert re.fullmatch(r"/static/app\.[0-9a-f]{10}\.css", old_url) and new_url != old_url

    old_process = TestClient(Starlette(routes=[Mount("/static", HashedStaticFiles(old))]))
    served = old_process.get(old_url)
    assert served.text == "body { color: black; }"  # never the new bytes under the old hash
    assert served.headers["cache-control"] == IMMUTABLE
    assert old_process.get(new_url).status_code == 404  # an old node does not know a new name

    new_process = TestClient(Starlette(routes=[Mount("/static", HashedStaticFiles(new))]))
    assert new_process.get(new_url).text == "body { color: navy; }"
    assert new_process.get(old_url).status_code == 404
    assert new_process.head(new_url).headers["content-length"] == str(len("body { color: navy; }"))
