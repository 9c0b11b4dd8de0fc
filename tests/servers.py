"""Real processes for the suite and the benchmarks: a throwaway PostgreSQL cluster, uvicorn servers.

Plain functions and context managers, no pytest: tests/conftest.py wraps them in fixtures
and bench/load.py starts the same cluster and servers as the suite does.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class PgCluster:
    port: int
    user: str = "tribune"
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"


def pg_bin() -> Path | None:
    """The directory of Debian's newest initdb/pg_ctl, or of the ones on PATH; None without PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def throwaway_pg_cluster(max_connections: int = 200) -> Iterator[PgCluster]:
    """initdb + pg_ctl start on a random port of 127.0.0.1, trust authentication, no fsync;
    stopped and deleted on exit. Run as the postgres user when we are root (PostgreSQL refuses root).

    Raises FileNotFoundError when the PostgreSQL binaries are missing.
    """
    bindir = pg_bin()
    if bindir is None:
        raise FileNotFoundError("binaires PostgreSQL introuvables (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="tribune-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    try:
        port = free_port()
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "tribune", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True,
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets} "
            f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}"
        )
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True, capture_output=True,
        )
        try:
            yield PgCluster(port=port)
        finally:
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- uvicorn -----------------------------------------------------------------------------


def start_uvicorn(env: dict[str, str], port: int, workers: int = 1, extra: Sequence[str] = (),
                  stderr: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """The real app in a uvicorn process on 127.0.0.1:`port`, configured by `env` (TRIBUNE_*)."""
    args = [sys.executable, "-m", "uvicorn", "--factory", "forum.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        args += ["--workers", str(workers)]
    return subprocess.Popen([*args, *extra], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)


def wait_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until `url`/connexion answers 200; fail with the server's last words if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/connexion", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            words = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr and process.poll() is not None else ""
            raise AssertionError(f"le serveur {url} n’a pas démarré : {words}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it lingers; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    if process.stderr:
        process.stderr.close()
