#!/usr/bin/env python3
"""Black-box database outages. With requests flowing, PostgreSQL restarts: lookups may answer
503 meanwhile but recover by themselves within a few seconds, /predict answers 200 throughout.
With PostgreSQL stopped: /passengers/1 503 in under a second, /ready 503, /predict 200, /health
200; started again, everything recovers without restarting the server.

The PostgreSQL it restarts and stops is its own: a throwaway cluster made here with initdb in a
temporary directory, on 127.0.0.1 at a port this test picks (below the kernel's ephemeral range,
so no client socket can take it while the server is down), with its socket in that directory.
It never touches the pg_virtualenv cluster the other tests share, nor any other, so it can run
beside them. The cluster is stopped and deleted at exit whatever happens."""
import glob
import http.client
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import at_exit, check, finish, log, skip, standard_setup, wait_until  # noqa: E402


def pg_bin():
    """The PostgreSQL server binaries: $PG_BIN, else version 15's, else the newest installed."""
    candidates = [os.environ.get("PG_BIN", ""), "/usr/lib/postgresql/15/bin"]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
                         reverse=True)
    for d in candidates:
        if d and os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class PrivateCluster:
    """A PostgreSQL cluster of this test's own. As root the server runs as `postgres` (it refuses
    to run as root), which owns the temporary directory."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="titanic-dbrestart-pg.")
        at_exit(self.destroy)  # registered first: runs after the databases are dropped
        self.data = os.path.join(self.dir, "data")
        self.log_file = os.path.join(self.dir, "server.log")
        self.prefix = []
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.user = "titanic_test"
        self.password = "".join(random.choice("abcdefghijkmnpqrstuvwxyz23456789")
                                for _ in range(24))
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.prefix:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        r = self.run(["initdb", "-D", self.data, "-U", self.user, f"--pwfile={pwfile}",
                      "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        os.unlink(pwfile)
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stdout[-1000:]} {r.stderr[-1000:]}")
        # Below the ephemeral range, away from pg-local's (15432+) and its test's (20000+).
        self.port = None
        for _ in range(50):
            port = random.randrange(10000, 15000)
            if port_free(port) and self.start(port) == 0:
                self.port = port
                break
        if self.port is None:
            raise RuntimeError(f"private PostgreSQL did not start: {self.log_tail()}")

    def run(self, argv, timeout=120):
        argv = [*self.prefix, os.path.join(self.bin, argv[0]), *argv[1:]]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              cwd=self.dir, stdin=subprocess.DEVNULL)

    def options(self, port):
        return (f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off")

    def ctl(self, action, port=None):
        """pg_ctl start|stop|restart, waiting for it to finish; returns pg_ctl's exit status."""
        argv = ["pg_ctl", "-D", self.data, "-w", "-t", "60"]
        if action in ("start", "restart"):
            argv += ["-l", self.log_file, "-o", self.options(port or self.port)]
        if action in ("stop", "restart"):
            argv += ["-m", "fast"]
        r = self.run([*argv, action])
        if r.returncode != 0:
            log(f"pg_ctl {action} exited {r.returncode}: {r.stdout.strip()!r} "
                f"{r.stderr.strip()!r}; server log: {self.log_tail()}")
        return r.returncode

    def start(self, port=None):
        return self.ctl("start", port)

    def log_tail(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()[-1500:]
        except OSError:
            return "(no server log)"

    def online(self):
        return self.run(["pg_ctl", "-D", self.data, "status"], timeout=30).returncode == 0

    def ensure_running(self):
        if self.port is not None and not self.online():
            self.start()

    def destroy(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.run(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)

    def environ(self):
        """Points libpq (the harness's psql, titanic-etl/train/api) at this cluster only."""
        for k in [k for k in os.environ if k.startswith("PG")]:
            del os.environ[k]
        os.environ.update(PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER=self.user,
                          PGPASSWORD=self.password, PGDATABASE="postgres")


cluster = PrivateCluster()
cluster.environ()
db, api = standard_setup("dbrestart")
PRED = json.dumps({"pclass": 2, "sex": "female", "age": 40})


class Flow:
    """Threads looping over one request each, recording (time, status or error)."""

    def __init__(self, specs):
        self.stop = threading.Event()
        self.log = {name: [] for name, _, _ in specs}
        self.threads = [threading.Thread(target=self.run, args=s) for s in specs]
        for t in self.threads:
            t.start()

    def run(self, name, method, path):
        conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                conn.request(method, path, body=PRED if method == "POST" else None,
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                self.log[name].append((t, r.status, time.monotonic() - t))
            except Exception as e:
                self.log[name].append((t, repr(e), time.monotonic() - t))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
            time.sleep(0.005)
        conn.close()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


try:
    # ---- restart with requests flowing ----
    flow = Flow([("lookup", "GET", "/passengers/1"), ("lookup2", "GET", "/passengers/2"),
                 ("list", "GET", "/passengers?pclass=1&limit=5"), ("predict", "POST", "/predict"),
                 ("health", "GET", "/health")])
    time.sleep(0.5)
    t_restart = time.monotonic()
    check(cluster.ctl("restart") == 0, "pg_ctl restart")
    t_back = time.monotonic()
    time.sleep(3.0)
    flow.finish()
    log(f"PostgreSQL restart took {t_back - t_restart:.2f} s")
    for name, entries in flow.log.items():
        statuses = [s for _, s, _ in entries]
        bad = [s for s in statuses if s not in (200, 503)]
        check(len(entries) > 20 and not bad, f"restart, {name}: only 200/503, "
              f"{len(entries)} requests, others: {bad[:3]}")
        if name in ("predict", "health"):
            check(all(s == 200 for s in statuses), f"restart, {name}: always 200: "
                  f"{sorted(set(map(str, statuses)))}")
        else:
            after = [(t, s) for t, s, _ in entries if t > t_back + 2.0]
            check(after and all(s == 200 for _, s in after),
                  f"restart, {name}: 200 again within 2 s of the restart, by itself: "
                  f"{[s for _, s in after][:5]}")
            n503 = statuses.count(503)
            slow = max((d for _, s, d in entries if s == 503), default=0)
            log(f"restart, {name}: {len(entries)} requests, {n503} answered 503 "
                f"(slowest 503 {slow * 1000:.0f} ms)")
            check(slow < 3.0, f"restart, {name}: 503s are fast ({slow:.2f} s)")
    check(api.get("/ready").status == 200, "/ready 200 after the restart")
    m = api.metrics()
    check(m.get('titanic_db_connection_events_total{event="dropped"}', 0) >= 1 or
          m.get('titanic_db_connection_events_total{event="connected"}', 0) >= 3,
          "connections dropped and reopened show in /metrics")

    # ---- stopped: lookups 503 fast, /predict works from memory ----
    check(cluster.ctl("stop") == 0, "pg_ctl stop")
    for path in ["/passengers/1", "/passengers/1", "/passengers?sex=male",
                 "/stats/survival?by=sex", "/people", "/models", "/passengers/5/prediction"]:
        r = api.get(path, timeout=10)
        check(r.status == 503 and r.elapsed < 1.0,
              f"database stopped: GET {path}: 503 in < 1 s: {r.status} in {r.elapsed:.3f} s")
    r = api.get("/ready", timeout=10)
    check(r.status == 503 and r.elapsed < 1.0 and "database" in r.text,
          f"database stopped: /ready 503 naming the database: {r!r} in {r.elapsed:.3f} s")
    for _ in range(20):
        r = api.post("/predict", PRED, timeout=10)
        if not check(r.status == 200, f"database stopped: /predict 200: {r!r}"):
            break
    check(api.get("/health").status == 200, "database stopped: /health 200")
    check(api.get("/model").status == 200, "database stopped: /model 200 (in memory)")
    time.sleep(1.5)  # past the reconnect back-off: still 503 fast, no hang
    r = api.get("/passengers/1", timeout=10)
    check(r.status == 503 and r.elapsed < 1.0, f"database still stopped: 503 in "
          f"{r.elapsed:.3f} s")

    # ---- started again: everything recovers ----
    check(cluster.start() == 0, "pg_ctl start")
    t_start = time.monotonic()
    ok = wait_until(lambda: api.get("/passengers/1").status == 200, 10, 0.1)
    check(ok, "after start: /passengers/1 200 again without a server restart")
    log(f"lookups back {time.monotonic() - t_start:.2f} s after PostgreSQL started")
    # Each worker thread reconnects on its own, at most once a second (api_db.c), so a worker
    # that tried while the server was down may answer 503 for up to a second more: every
    # endpoint must be back within 5 s of the start, by itself.
    for what, call in [("/ready", lambda: api.get("/ready")),
                       ("stats", lambda: api.get("/stats/survival?by=pclass")),
                       ("/people", lambda: api.get("/people")),
                       ("stored predict", lambda: api.post("/predict", {"passenger_id": 1}))]:
        left = max(0.0, t_start + 5.0 - time.monotonic())
        check(wait_until(lambda: call().status == 200, left, 0.1),
              f"after start: {what} 200 within 5 s ({time.monotonic() - t_start:.2f} s)")
    # The reloader reconnected too: a model published now is picked up.
    db.train("--force")
    if not check(wait_until(lambda: api.metrics().get("titanic_model_version") == 2, 10),
                 "after the outage the reloader hears NOTIFY again (model version 2)"):
        for x in api.log_lines():
            if x.get("message") != "request":
                log(f"server log: {json.dumps(x)[:300]}")
finally:
    cluster.ensure_running()
check(api.proc.poll() is None, "the server never restarted")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
