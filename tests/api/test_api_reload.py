#!/usr/bin/env python3
"""Black-box hot reload: 4 threads post /predict in a loop while titanic-train --force publishes a
new version; every request gets 200, each thread sees model_version move from N to N+1 and
never back. Then SIGHUP: with the periodic check an hour away, a model activated in the database
without a NOTIFY is picked up only after SIGHUP."""
import http.client
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, log, standard_setup, wait_until  # noqa: E402

db, api = standard_setup("reload", MODEL_POLL_SECONDS=3600)
N = int(db.q("SELECT version FROM models WHERE active"))
BODY = json.dumps({"pclass": 3, "sex": "male", "age": 30, "name": "Reload, Mr. Test"})
stop = threading.Event()
results = [[] for _ in range(4)]  # per thread: (status, model_version) or ("error", text)


def worker(i):
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    while not stop.is_set():
        try:
            conn.request("POST", "/predict", body=BODY,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            v = json.loads(data).get("model_version") if r.status == 200 else data[:200]
            results[i].append((r.status, v))
        except Exception as e:  # any failure is a failed request
            results[i].append(("error", repr(e)))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    conn.close()


threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
try:
    wait_until(lambda: min(len(r) for r in results) >= 50, 30)
    t0 = time.monotonic()
    tr = db.train("--force", check_rc=False)
    check(tr.returncode == 0, f"titanic-train --force: exit {tr.returncode}: {tr.stderr[-300:]}")
    published = time.monotonic()
    seen = wait_until(lambda: all(any(x[1] == N + 1 for x in r) for r in results), 10)
    reload_s = time.monotonic() - published
    counts = [len(r) for r in results]
    wait_until(lambda: min(len(r) for r in results) >= max(counts) + 50, 30)
finally:
    stop.set()
    for t in threads:
        t.join(30)
total = sum(len(r) for r in results)
log(f"{total} requests from 4 threads; train took {published - t0:.2f} s; all threads on "
    f"N+1 {reload_s:.2f} s after it returned")
check(total >= 300, f"a few hundred requests ran: {total}")
bad = [x for r in results for x in r if x[0] != 200]
check(not bad, f"every request during the reload got 200: {len(bad)} did not: {bad[:3]}")
check(seen, "every thread saw the new model version")
for i, r in enumerate(results):
    versions = [v for s, v in r if s == 200]
    first_new = versions.index(N + 1) if N + 1 in versions else len(versions)
    check(set(versions) <= {N, N + 1} and versions[:first_new] == [N] * first_new and
          versions[first_new:] == [N + 1] * (len(versions) - first_new) and first_new > 0,
          f"thread {i}: versions go N={N} ... then N+1 and never back "
          f"({first_new} old, {len(versions) - first_new} new)")
active = int(db.q("SELECT version FROM models WHERE active"))
check(active == N + 1, f"the database's active version is N+1: {active}")
check((api.get("/model").json() or {}).get("version") == N + 1, "/model is N+1")
check(api.metrics().get("titanic_model_version") == N + 1, "titanic_model_version is N+1")
check((api.get("/ready").json() or {}).get("model_version") == N + 1, "/ready says N+1")

# ---- SIGHUP: activate version N again without a NOTIFY ----
db.q(f"BEGIN; UPDATE models SET active = false WHERE active; "
     f"UPDATE models SET active = true WHERE version = {N}; COMMIT")
time.sleep(1.0)
check((api.get("/model").json() or {}).get("version") == N + 1,
      "without NOTIFY or SIGHUP the server keeps N+1 (poll is an hour away)")
api.signal(signal.SIGHUP)
ok = wait_until(lambda: (api.get("/model").json() or {}).get("version") == N, 5)
check(ok, f"after SIGHUP the server serves version {N} again")
r = api.post("/predict", BODY)
check(r.status == 200 and (r.json() or {}).get("model_version") == N, f"/predict on N: {r!r}")
api.signal(signal.SIGHUP)  # nothing new: still serving, same model
time.sleep(0.3)
check(api.proc.poll() is None and api.get("/health").status == 200, "SIGHUP twice: still up")
check(any(x.get("message", "").startswith("SIGHUP") for x in api.log_lines()), "SIGHUP logged")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
