"""Shared harness for the black-box API tests (python3 stdlib only).

Each test script: requires PostgreSQL (PGHOST from pg_virtualenv, else exit 77), makes its own
database (dropped at exit), loads generated passengers with titanic-etl, trains with
titanic-train, and starts titanic-api on a free port bound to 127.0.0.1 with stderr captured to a
file. Every check prints one FAIL line when it fails; finish() prints a summary and exits
0 (pass) / 1 (fail, or no check made at all). Binaries come from TITANIC_API, TITANIC_ETL and
TITANIC_TRAIN.
"""

import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]
_failures = []
_checks = 0
_servers = []
_cleanups = []


def log(msg):
    print(f"{NAME}: {msg}", flush=True)


def check(cond, what):
    """One check: prints a FAIL line when cond is false. Returns cond."""
    global _checks
    _checks += 1
    if not cond:
        _failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return bool(cond)


def skip(reason):
    print(f"SKIP: {NAME}: {reason}", flush=True)
    sys.exit(77)


def finish():
    """Exits 0 when at least one check ran and none failed; a script that checked nothing fails
    (skip() is the way to test nothing)."""
    print(f"{NAME}: {_checks} checks, {len(_failures)} failed", flush=True)
    if _checks == 0:
        print(f"FAIL: {NAME}: no checks were made", flush=True)
        sys.exit(1)
    sys.exit(1 if _failures else 0)


def at_exit(fn):
    _cleanups.append(fn)


def _cleanup():
    for s in list(_servers):
        s.kill()
    for fn in reversed(_cleanups):
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print(f"{NAME}: cleanup: {e}", flush=True)


atexit.register(_cleanup)
# ctest's timeout (and a Ctrl-C) still clean up: turn the signals into SystemExit.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def binary(var):
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        skip(f"{var} is not set to an executable (run through ctest)")
    return path


def require_pg():
    if not os.environ.get("PGHOST"):
        skip("no PostgreSQL (run under pg_virtualenv)")


API = ETL = TRAIN = None


def setup_binaries():
    global API, ETL, TRAIN
    API = binary("TITANIC_API")
    ETL = binary("TITANIC_ETL")
    TRAIN = binary("TITANIC_TRAIN")


TMP = tempfile.mkdtemp(prefix=f"{NAME}.")
at_exit(lambda: subprocess.run(["rm", "-rf", TMP]))


def psql(sql, db="postgres", check_rc=True):
    """Runs sql; returns stdout (unaligned, tuples only) stripped."""
    r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-qAt", "-d", db, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"psql failed: {sql}: {r.stderr.strip()}")
    return r.stdout.strip()


def psql_as(dbname, role, password, sql):
    """Runs sql as role over TCP with its password, the way a workload logs in (never the
    caller's PGPASSWORD): (ok, stdout and stderr with SQLSTATEs)."""
    port = os.environ.get("PGPORT", "5432")
    url = f"host=127.0.0.1 port={port} dbname={dbname} user={role} password={password}"
    r = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
                        "-d", url, "-c", sql], capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "PGPASSWORD"})
    return r.returncode == 0, (r.stdout + r.stderr).strip()


class Database:
    def __init__(self, tag):
        self.name = f"t_api_{tag}_{os.getpid()}"
        psql(f"CREATE DATABASE {self.name}")
        at_exit(self.drop)
        self.url = f"dbname={self.name}"

    def drop(self):
        subprocess.run(["psql", "-X", "-qc", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)",
                        "postgres"], capture_output=True, timeout=60)

    def q(self, sql):
        return psql(sql, self.name)

    def env(self, **extra):
        e = dict(os.environ)
        e["DATABASE_URL"] = self.url
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def load(self, rows=891, seed=1):
        csv = os.path.join(TMP, f"gen_{rows}_{seed}.csv")
        with open(csv, "w") as out:
            subprocess.run([ETL, "--generate", str(rows), "--seed", str(seed)], stdout=out,
                           check=True, timeout=120)
        r = subprocess.run([ETL, "--no-progress", csv], env=self.env(), capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"titanic-etl failed: {r.stderr[-2000:]}")
        return csv

    def train(self, *args, check_rc=True):
        r = subprocess.run([TRAIN, "--folds", "3", "--repeats", "1", *args], env=self.env(),
                           capture_output=True, text=True, timeout=300)
        if check_rc and r.returncode != 0:
            raise RuntimeError(f"titanic-train {args} exit {r.returncode}: {r.stderr[-2000:]}")
        return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def error_field(self):
        j = self.json()
        try:
            return j["error"]["field"]
        except (TypeError, KeyError):
            return "<no error object>"

    def __repr__(self):
        return f"{self.status} {self.body[:300]!r}"


class Server:
    """titanic-api as a child process; stderr goes to a file (JSON log lines)."""

    def __init__(self, db, port=0, wait=True, **env):
        self.db = db
        self.log_path = os.path.join(TMP, f"api.{len(_servers)}.{time.monotonic_ns()}.log")
        self.logf = open(self.log_path, "wb")
        e = db.env(BIND="127.0.0.1", PORT=port, LOG_FORMAT="json", **env)
        self.proc = subprocess.Popen([API], env=e, stdout=subprocess.DEVNULL, stderr=self.logf)
        _servers.append(self)
        self.port = port
        if wait:
            self.wait_listening()

    def wait_listening(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if line.get("message") == "listening":
                    self.port = line["port"]
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"titanic-api exited {self.proc.returncode}: "
                                   f"{self.log_text()[-2000:]}")
            time.sleep(0.01)
        raise RuntimeError("titanic-api did not start listening")

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        out = []
        for raw in self.log_text().splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                out.append({"_raw": raw})
        return out

    def request(self, method, path, body=None, headers=None, timeout=10):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        t0 = time.monotonic()
        try:
            try:
                conn.request(method, path, body=body, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered (413/431) and closed before all was sent: read the answer
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.getheaders(), data, time.monotonic() - t0)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body=body, **kw)

    def raw(self, data, timeout=10, read_all=True):
        """Sends raw bytes, returns the raw answer (until the server closes or timeout)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    chunks.append(c)
                    if not read_all and b"\r\n\r\n" in b"".join(chunks):
                        break
            except socket.timeout:
                pass
            return b"".join(chunks)

    def metrics(self):
        """/metrics as {sample-line-without-value: float}."""
        out = {}
        for line in self.get("/metrics").text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
        return out

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        if self in _servers:
            _servers.remove(self)
        if self.proc.returncode != 0:  # show why (a sanitizer report, a fatal log line)
            other = [x for x in self.log_text().splitlines() if '"message":"request"' not in x]
            for line in other[-60:]:
                print(f"{NAME}: server stderr: {line[:400]}", flush=True)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _servers:
            _servers.remove(self)


def wait_until(fn, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def standard_setup(tag, train=True, **env):
    """Database with 891 generated passengers, a model (when train), a running server."""
    require_pg()
    setup_binaries()
    db = Database(tag)
    db.load()
    if train:
        db.train()
    return db, Server(db, **env)


def sanitizer():
    """'asan' or 'tsan' when the binaries under test are sanitized (their memory figures then
    measure the sanitizer, e.g. ASan's quarantine of freed memory), else None."""
    cache = os.path.join(os.environ.get("TITANIC_BUILD_DIR", ""), "CMakeCache.txt")
    try:
        with open(cache) as f:
            text = f.read()
    except OSError:
        return None
    if "TITANIC_SANITIZE:BOOL=ON" in text:
        return "asan"
    return "tsan" if "TITANIC_TSAN:BOOL=ON" in text else None


def rss_kib(server):
    """The server process's resident set (VmRSS from /proc/PID/status), in KiB."""
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def other_address(n=2):
    """127.0.0.n as a second client address (all of 127/8 is loopback on Linux), or skip."""
    addr = f"127.0.0.{n}"
    try:
        with socket.socket() as s:
            s.bind((addr, 0))
    except OSError as e:
        skip(f"cannot use {addr} as a client address: {e}")
    return addr


def connect_from(server, addr, timeout=5.0):
    """A socket connected to server from source address addr."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", server.port))
    return s


def status_of(data):
    """The status code of a raw HTTP/1.1 answer, or None."""
    try:
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None
    except (ValueError, IndexError):
        return None


def read_until(s, marker=b"\r\n\r\n", timeout=None):
    """Bytes from socket s until marker has arrived (by default the end of a header), the peer
    closed, or a socket error or timeout: what arrived by then."""
    if timeout is not None:
        s.settimeout(timeout)
    data = b""
    try:
        while marker not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def health_from(server, addr, timeout=5.0):
    """One GET /health on a new connection from addr: (status or None, seconds)."""
    t0 = time.monotonic()
    data = b""
    try:
        with connect_from(server, addr, timeout) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = read_until(s)
    except OSError:
        pass
    return status_of(data), time.monotonic() - t0
