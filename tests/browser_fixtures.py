"""Browser fixtures: Debian's Chromium driven by Playwright, and the application on a real port.

- `browser` (session): one headless Chromium for the whole run, launched from the system
  binary (never `playwright install`); missing, it skips locally and fails under CI=true.
- `live_server` (function): uvicorn serving `create_app` in a thread on 127.0.0.1:<free port>,
  on the same database as the `ctx` fixture (so SQLite and PostgreSQL both), with
  `base_url` pointing at that port so links in emails lead back to it.
- `page` (function): a fresh browser context (cookies, storage) and page per test, French
  locale. Every JavaScript dialog is recorded in `page.dialogs` (also the `dialogs`
  fixture) and dismissed, so a payload calling alert() is seen and never blocks the page.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forum.context import Context

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
]
#: Playwright's default is 30 s; a local page answers in milliseconds, so fail fast instead.
TIMEOUT_MS = 10_000


def _chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if fallback.exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from tests.conftest import require  # lazy: conftest loads this module as a plugin

    executable = _chromium_path()
    require(executable is not None, "chromium introuvable (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "playwright n’est pas installé (pip install -e '.[test]')")
        raise
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, chromium_sandbox=False, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class LiveServer:
    url: str
    ctx: Context


def _wait_until_answering(url: str, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("le serveur uvicorn s’est arrêté au démarrage")
        try:
            with urllib.request.urlopen(f"{url}/connexion", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:  # an answer, even an error page, means it serves
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"le serveur {url} ne répond pas")


@pytest.fixture
def live_server(ctx: Context) -> Iterator[LiveServer]:
    import uvicorn

    from forum.app import create_app
    from tests.conftest import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    live_ctx = Context.build(dataclasses.replace(ctx.settings, base_url=url), ctx.db)
    config = uvicorn.Config(
        create_app(context=live_ctx), host="127.0.0.1", port=port, log_level="warning",
        lifespan="on", access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        _wait_until_answering(url, thread)
        yield LiveServer(url=url, ctx=live_ctx)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "le serveur uvicorn ne s’est pas arrêté"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    tab = context.new_page()
    recorded: list[dict[str, str]] = []

    def on_dialog(dialog: Any) -> None:
        recorded.append({"type": dialog.type, "message": dialog.message, "url": tab.url})
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.dialogs = recorded
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def dialogs(page: Any) -> list[dict[str, str]]:
    """Every alert/confirm/prompt/beforeunload the page opened, already dismissed."""
    return page.dialogs  # type: ignore[no-any-return]
