"""Two uvicorn processes on one database: nothing a worker needs lives in another's memory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PASSWORD, free_port


@pytest.fixture
def two_workers(world) -> Iterator[tuple[str, str]]:
    settings = world.ctx.settings
    env = dict(os.environ)
    env.update(TRIBUNE_DATABASE_URL=settings.database_url, TRIBUNE_SECRET_KEY=settings.secret_key,
               TRIBUNE_ALLOWED_HOSTS="127.0.0.1", TRIBUNE_EMAIL_BACKEND="console")
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "forum.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes):
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/connexion", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"le serveur {url} n’a pas démarré : {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _login(client: httpx.Client, base: str, email: str, password: str) -> httpx.Response:
    page = client.get(base + "/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(base + "/connexion", data={"csrf_token": token, "email": email, "password": password, "next": "/"},
                       headers={"Origin": base})


def test_login_on_one_worker_works_on_the_other_and_logout_revokes_everywhere(world, two_workers):
    a, b = two_workers
    world.member("lea")
    with httpx.Client(follow_redirects=False) as client:
        assert _login(client, a, "lea@example.org", PASSWORD).status_code == 303
        home_b = client.get(b + "/")
        assert home_b.status_code == 200 and "Lea Test" in home_b.text
        stolen = client.cookies.get("tribune_session")
        token = re.search(r'name="csrf_token" value="([^"]+)"', home_b.text).group(1)
        assert client.post(b + "/deconnexion", data={"csrf_token": token}, headers={"Origin": b}).status_code == 303
    with httpx.Client(follow_redirects=False, cookies={"tribune_session": stolen}) as replay:
        assert replay.get(a + "/").status_code == 303  # revoked on A by a logout on B


def test_login_throttling_counts_across_workers(world, two_workers):
    a, b = two_workers
    world.member("lea")
    with httpx.Client(follow_redirects=False) as client:
        for attempt in range(5):
            base = a if attempt % 2 == 0 else b
            assert _login(client, base, "lea@example.org", "wrong-password-x").status_code == 422
        blocked = _login(client, b, "lea@example.org", PASSWORD)
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
