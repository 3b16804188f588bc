#!/usr/bin/env python3
"""Black-box database outages. With requests flowing, PostgreSQL restarts: lookups may answer
503 meanwhile but recover by themselves within a few seconds, /predict answers 200 throughout.
With PostgreSQL stopped: /passengers/1 503 in under a second, /ready 503, /predict 200, /health
200; started again, everything recovers without restarting the server. Restarts and stops the
shared pg_virtualenv cluster, so ctest runs it alone (RUN_SERIAL); the cluster is started again
at exit whatever happens."""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import at_exit, check, finish, log, skip, standard_setup, wait_until  # noqa: E402


def find_cluster():
    """(version, name) of the cluster on $PGPORT, from pg_lsclusters."""
    try:
        out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                             timeout=30).stdout
    except OSError:
        return None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] == os.environ.get("PGPORT", "5432"):
            return f[0], f[1]
    return None


if not os.environ.get("PGHOST"):
    skip("no PostgreSQL (run under pg_virtualenv)")
cluster = find_cluster()
if not cluster:
    skip("cannot find the PostgreSQL cluster on $PGPORT with pg_lsclusters (needs "
         "pg_virtualenv's cluster, which this test may restart)")


def ctl(action, *extra):
    """Runs pg_ctlcluster; one retry after a second, since pg_ctlcluster itself has been seen to
    fail at once, saying nothing, when run right after other tests' clusters came and went. What
    is under test is the API's recovery, not pg_ctlcluster."""
    for attempt in (1, 2):
        r = subprocess.run(["pg_ctlcluster", *cluster, action, *extra], capture_output=True,
                           text=True, timeout=120)
        if r.returncode == 0:
            return 0
        log(f"pg_ctlcluster {action} (attempt {attempt}) exited {r.returncode}: "
            f"stdout {r.stdout.strip()!r} stderr {r.stderr.strip()!r}")
        time.sleep(1.0)
    return r.returncode


def cluster_online():
    out = subprocess.run(["pg_lsclusters", "-h", *cluster], capture_output=True, text=True,
                         timeout=30).stdout
    return "online" in out


def ensure_running():
    if not cluster_online():
        ctl("start")


db, api = standard_setup("dbrestart")
at_exit(ensure_running)  # registered after the database: runs before it is dropped
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
    check(ctl("restart", "-m", "fast") == 0, "pg_ctlcluster restart")
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
    check(ctl("stop", "-m", "fast") == 0, "pg_ctlcluster stop")
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
    check(ctl("start") == 0, "pg_ctlcluster start")
    t_start = time.monotonic()
    ok = wait_until(lambda: api.get("/passengers/1").status == 200, 10, 0.1)
    check(ok, "after start: /passengers/1 200 again without a server restart")
    log(f"lookups back {time.monotonic() - t_start:.2f} s after PostgreSQL started")
    check(wait_until(lambda: api.get("/ready").status == 200, 10, 0.1), "after start: /ready 200")
    check(api.get("/stats/survival?by=pclass").status == 200, "after start: stats 200")
    check(api.get("/people").status == 200, "after start: /people 200")
    check(api.post("/predict", {"passenger_id": 1}).status == 200, "after start: stored predict")
    # The reloader reconnected too: a model published now is picked up.
    db.train("--force")
    if not check(wait_until(lambda: api.metrics().get("titanic_model_version") == 2, 10),
                 "after the outage the reloader hears NOTIFY again (model version 2)"):
        for x in api.log_lines():
            if x.get("message") != "request":
                log(f"server log: {json.dumps(x)[:300]}")
finally:
    ensure_running()
check(api.proc.poll() is None, "the server never restarted")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
