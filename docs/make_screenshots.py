"""`make screenshots`: PNG screenshots of the main pages, from the demo data, desktop and phone.

Starts the forum on a fresh demo database in a temporary folder, drives Debian's chromium
with Playwright, writes docs/screenshots/<page>-<size>.png, and stops everything it started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-tribune-2026"
SIZES = {"ordinateur": {"width": 1280, "height": 900}, "telephone": {"width": 375, "height": 812}}
# (file name, who is logged in, path)
PAGES = [
    ("connexion", None, "/connexion"),
    ("accueil", "lea.moreau@tribune.example", "/"),
    ("categorie", "lea.moreau@tribune.example", "/c/debat"),
    ("sujet", "lea.moreau@tribune.example", "/t/1"),
    ("nouveau-sujet-citations", "lea.moreau@tribune.example", "/c/debat/nouveau"),
    ("designation", "lea.moreau@tribune.example", "/designations/tete-de-liste-aux-elections-europeennes"),
    ("candidature", "lea.moreau@tribune.example", "/candidatures/1"),
    ("matrice", "lea.moreau@tribune.example", "/designations/tete-de-liste-aux-elections-europeennes/matrice"),
    ("moderation", "moderation@tribune.example", "/moderation"),
    ("transparence", "lea.moreau@tribune.example", "/transparence"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("chromium introuvable : apt-get install chromium", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tribune-shots-"))
    port = _free_port()
    env = dict(os.environ, TRIBUNE_VAR_DIR=str(work), TRIBUNE_ALLOWED_HOSTS="127.0.0.1",
               TRIBUNE_BASE_URL=f"http://127.0.0.1:{port}", TRIBUNE_EMAIL_BACKEND="console")
    python = sys.executable
    subprocess.run([python, "-m", "forum", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([python, "-m", "forum", "demo"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([python, "-m", "uvicorn", "--factory", "forum.app:create_app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/connexion", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            for size, viewport in SIZES.items():
                sessions: dict[str | None, object] = {}
                for name, email, path in PAGES:
                    context = sessions.get(email)
                    if context is None:
                        context = browser.new_context(viewport=viewport, locale="fr-FR")
                        if email:
                            page = context.new_page()
                            page.goto(base + "/connexion")
                            page.get_by_label("Adresse électronique").fill(email)
                            page.get_by_label("Mot de passe").fill(PASSWORD)
                            page.get_by_role("button", name="Se connecter").click()
                            page.wait_for_url(base + "/")
                            page.close()
                        sessions[email] = context
                    page = context.new_page()  # type: ignore[attr-defined]
                    page.goto(base + path)
                    target = OUT / f"{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    page.close()
                    print(f"  {target.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
