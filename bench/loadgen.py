"""Processes and load for bench/run.py: servers started and stopped here, their CPU time, and
wrk (with Lua scripts for rotating URLs, form posts and the 95th percentile) or an asyncio
keep-alive client when wrk is missing."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- CPU time of process trees (Linux /proc) -------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds of the process and of its children it has reaped).

    Counting reaped children keeps a tree's sum from going down when a process exits
    (a PostgreSQL backend whose connection closed: its time moves into the postmaster's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and all its descendants (uvicorn's or gunicorn's
    workers, PostgreSQL's backends)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _stat(int(entry))
            if got:
                parents[int(entry)], cpu[int(entry)] = got
    total, wanted = 0.0, {root}
    changed = True
    while changed:  # descendants, whatever the order /proc lists them in
        changed = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted:
        total += cpu.get(pid, 0.0)
    return total


def postmaster_pid(port: int) -> int | None:
    """The PostgreSQL server listening on `port` (its command line carries `-p PORT`)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"postgres") and b"-p" in cmd and str(port).encode() in cmd:
            return int(entry)
        if cmd and cmd[0].endswith(b"postgres") and any(f"-p {port} ".encode() in part for part in cmd):
            return int(entry)
    return None


# --- servers -------------------------------------------------------------------------------------


class Server:
    """One server process (uvicorn or gunicorn, one or more workers), started and stopped here."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path, log_path: Path,
                 ready_path: str, port: int, shown: str) -> None:
        self.name, self.port, self.log_path, self.command = name, port, log_path, shown
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{name} exited at start; see {log_path}")
            try:
                status, _, _ = http_get(port, ready_path)
                if status:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not answer within 60 s; see {log_path}")

    def cpu_seconds(self) -> float:
        return tree_cpu(self.proc.pid)

    def log_text(self) -> str:
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:  # the whole group: workers too
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- HTTP helpers --------------------------------------------------------------------------------


def http_get(port: int, path: str, cookie: str | None = None, timeout: float = 30) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        got: dict[str, list[str]] = {}
        for key, value in resp.getheaders():
            got.setdefault(key.lower(), []).append(value)
        return resp.status, got, body
    finally:
        conn.close()


def cookie_value(set_cookies: list[str], name: str) -> str | None:
    for header in set_cookies:
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return None


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def tribune_login(port: int, email: str, password: str) -> str:
    """Log in through Tribune's real form; returns the Cookie header for the session."""
    status, headers, body = http_get(port, "/connexion")
    anon = cookie_value(headers.get("set-cookie", []), "tribune_anon")
    match = CSRF.search(body)
    if status != 200 or not anon or not match:
        raise RuntimeError(f"GET /connexion: HTTP {status}, no anonymous cookie or CSRF token")
    form = urlencode({"email": email, "password": password, "csrf_token": match.group(1).decode(), "next": "/"})
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("POST", "/connexion", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"tribune_anon={anon}",
            "Origin": f"http://{HOST}:{port}"})
        resp = conn.getresponse()
        resp.read()
        session = cookie_value(resp.headers.get_all("set-cookie") or [], "tribune_session")
        if resp.status != 303 or not session:
            raise RuntimeError(f"login as {email} failed: HTTP {resp.status}")
    finally:
        conn.close()
    return f"tribune_session={session}"


def csrf_of(port: int, path: str, cookie: str) -> str:
    status, _, body = http_get(port, path, cookie)
    match = CSRF.search(body)
    if status != 200 or not match:
        raise RuntimeError(f"{path}: HTTP {status}, no CSRF token")
    return match.group(1).decode()


# --- load ----------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    non2xx: int = 0
    cpu_ms: float = 0.0  # server CPU time (user + system, all worker processes) per request
    cpu_share: float = 0.0  # server CPU seconds per wall second (1.0 = one core busy)
    db_cpu_ms: float = 0.0  # PostgreSQL backends' CPU time per request (0 for SQLite: in-process)
    load: float = 0.0


@dataclass
class Load:
    """What to send: GET paths rotated, or form POSTs built per request."""

    paths: Sequence[str]
    cookie: str | None = None
    # POSTs: (cookie, csrf token, path) per poster, bodies already form-encoded; request n uses
    # poster n % len and body n % len, with " (n)" appended so that no two bodies are equal.
    posters: Sequence[tuple[str, str, str]] = ()
    bodies: Sequence[str] = ()
    origin: str = ""

    @property
    def is_post(self) -> bool:
        return bool(self.posters)

    def form(self, n: int) -> tuple[str, str, str]:
        cookie, token, path = self.posters[n % len(self.posters)]
        body = f"csrf_token={token}&action=publish&quote_count=0&body={self.bodies[n % len(self.bodies)]}+%28{n}%29"
        return cookie, path, body


_LUA_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH-PERCENTILES %d %d %d\\n", latency:percentile(50), latency:percentile(95),
                         latency:percentile(99)))
end
"""


def _lua_str(value: str) -> str:
    text = json.dumps(value, ensure_ascii=True)
    if "\\u" in text:
        raise ValueError("Lua strings here must be ASCII")
    return text


def lua_script(load: Load, path: Path) -> Path:
    """A wrk script for this load: rotation of paths or of posts, and the 95th percentile."""
    lines = []
    if load.is_post:
        lines.append("local posters = {" + ", ".join(
            "{" + ", ".join(_lua_str(x) for x in p) + "}" for p in load.posters) + "}")
        lines.append("local bodies = {" + ", ".join(_lua_str(b) for b in load.bodies) + "}")
        lines.append(f"local origin = {_lua_str(load.origin)}")
        lines.append("""local n = 0
request = function()
  n = n + 1
  local p = posters[(n % #posters) + 1]
  local body = "csrf_token=" .. p[2] .. "&action=publish&quote_count=0&body=" .. bodies[(n % #bodies) + 1]
               .. "+%28w" .. n .. "%29"
  return wrk.format("POST", p[3], {["Cookie"] = p[1], ["Origin"] = origin,
                    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end""")
    elif len(load.paths) > 1:
        lines.append("local paths = {" + ", ".join(_lua_str(p) for p in load.paths) + "}")
        lines.append("""local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, paths[(n % #paths) + 1])
end""")
    lines.append(_LUA_DONE)
    path.write_text("\n".join(lines))
    return path


def run_wrk(wrk: str, port: int, load: Load, connections: int, seconds: float, script: Path) -> Result:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency", "-s", str(script)]
    if load.cookie and not load.is_post:
        cmd += ["-H", f"Cookie: {load.cookie}"]
    cmd.append(f"http://{HOST}:{port}{load.paths[0]}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    result = Result()
    result.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if done:
        result.requests = int(done.group(1))
        result.seconds = _ms(done.group(2) + done.group(3)) / 1000
    pct = re.search(r"BENCH-PERCENTILES (\d+) (\d+) (\d+)", out)
    if pct:
        result.p50_ms, result.p95_ms, result.p99_ms = (int(g) / 1000 for g in pct.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result.non2xx = int(non2xx.group(1)) if non2xx else 0
    result.errors = result.non2xx + (sum(int(g) for g in sock.groups()) if sock else 0)
    return result


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


async def _asyncio_load(port: int, load: Load, connections: int, seconds: float) -> Result:
    """A minimal HTTP/1.1 keep-alive client: `connections` loops, each one request at a time."""
    counter = 0

    def next_request() -> bytes:
        nonlocal counter
        counter += 1
        if load.is_post:
            cookie, path, body = load.form(counter)
            return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {cookie}\r\nOrigin: {load.origin}\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}"
                    ).encode()
        path = load.paths[counter % len(load.paths)]
        return (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n"
                + (f"Cookie: {load.cookie}\r\n" if load.cookie else "") + "\r\n").encode()

    latencies: list[float] = []
    errors = non2xx = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors, non2xx
        reader = writer = None
        while time.monotonic() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                assert reader is not None
                started = time.monotonic()
                writer.write(next_request())
                status_line = await asyncio.wait_for(reader.readline(), 10)
                length, chunked, close = 0, False, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                    elif name.lower() == "connection" and "close" in value.lower():
                        close = True
                if chunked:
                    while True:
                        size = int((await reader.readline()).split(b";")[0], 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                else:
                    await reader.readexactly(length)
                latencies.append(time.monotonic() - started)
                if not status_line.split(b" ")[1].startswith((b"2", b"3")):
                    errors += 1
                    non2xx += 1
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    result = Result(requests=len(latencies), seconds=elapsed, errors=errors, non2xx=non2xx)
    result.rps = len(latencies) / elapsed if elapsed else 0.0
    if len(latencies) > 1:
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        result.p50_ms, result.p95_ms, result.p99_ms = q[49] * 1000, q[94] * 1000, q[98] * 1000
    return result


def measure(wrk: str | None, port: int, load: Load, connections: int, warmup: float, duration: float,
            server: Server, script: Path, db_pid: int | None = None) -> Result:
    """Warm up, then measure; also the server's (and PostgreSQL's) CPU time per request, and the load."""
    if wrk:
        lua_script(load, script)

    def once(seconds: float) -> Result:
        if wrk:
            return run_wrk(wrk, port, load, connections, seconds, script)
        return asyncio.run(_asyncio_load(port, load, connections, seconds))

    if warmup > 0:
        once(warmup)
    load_before = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    db_before = tree_cpu(db_pid) if db_pid else 0.0
    result = once(duration)
    cpu = server.cpu_seconds() - cpu_before
    db_cpu = (tree_cpu(db_pid) - db_before) if db_pid else 0.0
    result.cpu_ms = 1000 * cpu / result.requests if result.requests else 0.0
    result.db_cpu_ms = 1000 * db_cpu / result.requests if result.requests else 0.0
    result.cpu_share = cpu / result.seconds if result.seconds else 0.0
    result.load = max(load_before, os.getloadavg()[0])
    return result


def sequential_latencies(port: int, paths: Sequence[str], cookie: str | None, rounds: int,
                         check: Callable[[int, bytes], bool]) -> dict[str, list[float]]:
    """One keep-alive connection, each path in turn, `rounds` times: milliseconds per path."""
    out: dict[str, list[float]] = {p: [] for p in paths}
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        for path in paths:  # warm-up round, not counted
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            conn.getresponse().read()
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                resp = conn.getresponse()
                body = resp.read()
                out[path].append((time.perf_counter() - started) * 1000)
                if not check(resp.status, body):
                    raise RuntimeError(f"{path}: HTTP {resp.status}, unexpected page")
    finally:
        conn.close()
    return out


def percentile(values: Sequence[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def find_wrk(install: bool) -> str | None:
    path = shutil.which("wrk")
    if path or not install:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk missing: apt-get install -y wrk (running as root)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for step in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "wrk"]):
            try:
                done = subprocess.run(step, env=env, capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                break
            if step[1] == "install" and done.returncode == 0:
                break
        path = shutil.which("wrk")
    if not path:
        log("wrk not available (install it with: sudo apt-get install -y wrk); using the asyncio generator")
    return path
