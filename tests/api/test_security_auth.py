#!/usr/bin/env python3
"""API keys (issue 10): with API_KEYS_FILE, writes need a writer or admin key (401 with
WWW-Authenticate without or with an unknown key, 403 for a reader key), reads and POST /predict
stay open unless AUTH_REQUIRED_FOR_READS=1, /metrics needs a key or lives on METRICS_PORT only;
the file holds digests, is re-read on SIGHUP (a broken file keeps the old keys), and a malformed
file at start stops the server naming the line; the access log names the key's label, never the
key; without the file the server warns at start. Keys come from `titanic-api --new-key`."""
import hashlib
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import TMP, Server, check, finish, free_port, log, standard_setup, wait_until  # noqa: E402

PERSON = {"survived": False, "passengerClass": 3, "name": "Mr. Auth Test", "sex": "male",
          "age": 30, "siblingsOrSpousesAboard": 0, "parentsOrChildrenAboard": 0, "fare": 7.25}

db, open_api = standard_setup("auth")  # no API_KEYS_FILE


def new_key(role, label=None):
    args = [apitest.API, "--new-key", role] + ([label] if label else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    return lines["key"], lines["line"]


# ---- without the file: open, and said so ----
check(any(line.get("level") == "warn" and "API_KEYS_FILE is not set" in line.get("message", "")
          for line in open_api.log_lines()), "no API_KEYS_FILE: a warning at start")
r = open_api.post("/people", PERSON)
check(r.status == 201, f"no API_KEYS_FILE: writes are open: {r!r}")
uuid_open = (r.json() or {}).get("uuid")
check(db.q(f"SELECT api_writer FROM passengers WHERE uuid = '{uuid_open}'") == "anonymous",
      "an unauthenticated write is recorded as 'anonymous'")
open_api.stop()

# ---- keys ----
reader_key, reader_line = new_key("reader", "dashboard")
writer_key, writer_line = new_key("writer", "ops-tool")
admin_key, admin_line = new_key("admin")
check(writer_key.startswith("ttk_") and len(writer_key) >= 40, f"a new key: {writer_key[:6]}...")
digest = hashlib.sha256(writer_key.encode()).hexdigest()
check(writer_line == f"writer {digest} ops-tool", f"the digest line is SHA-256 of the key: {writer_line}")
check(new_key("writer")[0] != writer_key, "two new keys differ")
bad = subprocess.run([apitest.API, "--new-key", "root"], capture_output=True, text=True)
check(bad.returncode == 2, f"--new-key with an unknown role: exit 2 ({bad.returncode})")

keys_file = os.path.join(TMP, "api_keys")


def write_keys(*lines):
    # Replaced atomically, as a Kubernetes secret mount does: a SIGHUP still being handled from
    # the previous write must never read a truncated file (an empty key set answers 401).
    tmp = keys_file + ".new"
    with open(tmp, "w") as f:
        f.write("# API keys for the test (digests only)\n\n" + "\n".join(lines) + "\n")
    os.replace(tmp, keys_file)


write_keys(reader_line + "   # the dashboard", writer_line, admin_line)
metrics_port = free_port()
api = Server(db, API_KEYS_FILE=keys_file)


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


# Writes.
r = api.post("/people", PERSON)
check(r.status == 401 and (r.header("WWW-Authenticate") or "").startswith("Bearer"),
      f"POST /people without a key: 401 + WWW-Authenticate: {r!r} {r.header('WWW-Authenticate')}")
err = (r.json() or {}).get("error", {})
check(err.get("status") == 401 and err.get("request_id") == r.header("X-Request-Id"),
      f"the 401 has the usual error body and the request id: {err}")
r = api.post("/people", PERSON, headers=bearer("ttk_not-a-key"))
check(r.status == 401 and "invalid_token" in (r.header("WWW-Authenticate") or ""),
      f"an unknown key: 401 invalid_token: {r!r}")
r = api.post("/people", PERSON, headers={"Authorization": "Basic dXNlcjpwYXNz"})
check(r.status == 401, f"another scheme: 401: {r!r}")
r = api.post("/people", PERSON, headers=bearer(reader_key))
check(r.status == 403, f"a reader key may not write: 403: {r!r}")
r = api.post("/people", PERSON, headers=bearer(writer_key))
check(r.status == 201, f"a writer key writes: {r!r}")
uuid = (r.json() or {}).get("uuid")
check(db.q(f"SELECT api_writer FROM passengers WHERE uuid = '{uuid}'") == "ops-tool",
      "the write is recorded under the key's label")
r = api.request("PUT", f"/people/{uuid}", body=PERSON)
check(r.status == 401, f"PUT without a key: 401: {r.status}")
r = api.request("DELETE", f"/people/{uuid}")
check(r.status == 401, f"DELETE without a key: 401: {r.status}")
r = api.request("DELETE", f"/people/{uuid}", headers=bearer(reader_key))
check(r.status == 403, f"DELETE with a reader key: 403: {r.status}")
r = api.request("DELETE", f"/people/{uuid}", headers=bearer(admin_key))
check(r.status == 204, f"DELETE with an admin key: 204: {r.status}")
r = api.request("PATCH", "/passengers/1")
check(r.status == 401, f"any other state-changing method needs a key too: {r.status}")

# Reads, predictions and probes stay open.
for path in ["/passengers/1", "/people", "/model", "/openapi.json", "/health", "/ready"]:
    r = api.get(path)
    check(r.status == 200, f"GET {path} without a key: 200 ({r.status})")
r = api.post("/predict", {"pclass": 1, "sex": "female"})
check(r.status == 200, f"POST /predict without a key: 200 ({r.status})")
r = api.get("/metrics")
check(r.status == 401, f"/metrics without a key when keys exist: 401 ({r.status})")
r = api.get("/metrics", headers=bearer(reader_key))
check(r.status == 200 and "titanic_http_requests_total" in r.text, f"/metrics with a key: {r.status}")

# The access log names labels, never keys.
wait_until(lambda: any(x.get("key") == "ops-tool" for x in api.log_lines()), 2)
text = api.log_text()
check(any(x.get("message") == "request" and x.get("key") == "ops-tool" and x.get("method") == "POST"
          for x in api.log_lines()), "the access log names the writer key's label")
check(all(k not in text for k in (reader_key, writer_key, admin_key)), "no key in the log")

# ---- SIGHUP: rotation and revocation; a broken file keeps the old keys ----
new_writer_key, new_writer_line = new_key("writer", "ops-tool-2")
write_keys(reader_line, new_writer_line)  # ops-tool revoked, ops-tool-2 added, admin gone
api.signal(signal.SIGHUP)
check(wait_until(lambda: "API keys reloaded" in api.log_text(), 5), "SIGHUP: keys reloaded")
r = api.post("/people", PERSON, headers=bearer(writer_key))
check(r.status == 401, f"a revoked key: 401 ({r.status})")
r = api.post("/people", PERSON, headers=bearer(new_writer_key))
check(r.status == 201, f"the new key works without a restart ({r.status})")
write_keys(reader_line, new_writer_line, "writer not-a-digest")
api.signal(signal.SIGHUP)
check(wait_until(lambda: "API_KEYS_FILE not reloaded" in api.log_text(), 5),
      "SIGHUP with a broken file: logged")
line = [x for x in api.log_lines() if x.get("message", "").startswith("API_KEYS_FILE not reloaded")]
check(line and "line 5" in line[-1].get("error", ""), f"... naming the line: {line[-1:]}")
r = api.post("/people", PERSON, headers=bearer(new_writer_key))
check(r.status == 201, f"... and the keys in force stay ({r.status})")
check(api.stop() == 0, "clean stop")

# ---- concurrency: 8 clients authenticate while the keys are reloaded 40 times ----
# (The TSan pass of scripts/test.sh runs this too: key lookups against reloads, the connection
# guard's sweeper against the workers.)
write_keys(reader_line, new_writer_line)
api = Server(db, API_KEYS_FILE=keys_file, THREADS=4)
CASES = [("GET", "/metrics", bearer(reader_key), 200),
         ("POST", "/people", bearer(reader_key), 403),
         ("POST", "/people", {}, 401),
         ("GET", "/passengers/1", bearer(new_writer_key), 200),
         ("POST", "/predict", {}, 200)]
unexpected, done = [], [0]


def client(n):
    for i in range(120):
        method, path, headers, want = CASES[(n + i) % len(CASES)]
        body = PERSON if path == "/people" else {"pclass": 1, "sex": "female"} if method == "POST" else None
        try:
            r = api.request(method, path, body=body, headers=headers, timeout=20)
            status = r.status
        except OSError as e:
            status = repr(e)
        if status != want:
            unexpected.append((method, path, want, status))
        done[0] += 1


import threading  # noqa: E402
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
t0 = time.monotonic()
for t in threads:
    t.start()
for i in range(40):
    write_keys(f"# reload {i}", reader_line, new_writer_line)
    api.signal(signal.SIGHUP)
    time.sleep(0.05)
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
log(f"concurrency: {done[0]} requests from 8 clients in {elapsed:.2f} s "
    f"({done[0] / elapsed:.0f}/s) across 40 key reloads; {len(unexpected)} unexpected answers")
check(done[0] == 960 and not unexpected, f"every answer as expected during reloads: {unexpected[:5]}")
check(api.log_text().count("API keys reloaded") >= 20, "the reloads happened meanwhile")
check(api.stop() == 0, "clean stop (under TSan: no race reported)")

# ---- a malformed file at start: refuse, naming the line ----
for content, what in [("reader " + "ab" * 32 + "\nwriter xyz\n", "line 2"),
                      ("superuser " + "ab" * 32 + "\n", "line 1"),
                      (reader_line + "\n" + reader_line + "\n", "line 2")]:
    with open(keys_file, "w") as f:
        f.write(content)
    s = Server(db, wait=False, API_KEYS_FILE=keys_file)
    try:
        s.proc.wait(10)
    except subprocess.TimeoutExpired:
        s.kill()
    check(s.proc.returncode == 2 and what in s.log_text(),
          f"malformed API_KEYS_FILE ({what}): exit 2 naming the line: {s.proc.returncode} "
          f"{s.log_text()[-300:]}")
    s.kill()

# ---- AUTH_REQUIRED_FOR_READS and METRICS_PORT ----
write_keys(reader_line, writer_line)
api = Server(db, API_KEYS_FILE=keys_file, AUTH_REQUIRED_FOR_READS=1, METRICS_PORT=metrics_port)
check(api.get("/passengers/1").status == 401, "AUTH_REQUIRED_FOR_READS=1: a read needs a key")
check(api.post("/predict", {"pclass": 1, "sex": "female"}).status == 401,
      "AUTH_REQUIRED_FOR_READS=1: /predict needs a key")
check(api.get("/passengers/1", headers=bearer(reader_key)).status == 200, "... a reader key reads")
check(api.get("/health").status == 200 and api.get("/ready").status == 200,
      "probes stay open with AUTH_REQUIRED_FOR_READS=1")
check(api.get("/v2/health/live").status == 200 and api.get("/v2/health/ready").status == 200,
      "the Open Inference Protocol's probes stay open too")
infer = {"inputs": [{"name": "pclass", "datatype": "INT64", "shape": [1], "data": [1]},
                    {"name": "sex", "datatype": "BYTES", "shape": [1], "data": ["female"]}]}
r = api.post("/v2/models/titanic-survival/infer", infer)
check(r.status == 401 and (r.header("WWW-Authenticate") or "").startswith("Bearer") and
      isinstance((r.json() or {}).get("error"), str),
      f"AUTH_REQUIRED_FOR_READS=1: a v2 infer needs a key, refused in the protocol's shape: {r!r}")
r = api.post("/v2/models/titanic-survival/infer", infer, headers=bearer(reader_key))
check(r.status == 200, f"... and a reader key infers: {r!r}")
r = api.get("/metrics", headers=bearer(reader_key))
check(r.status == 404, f"METRICS_PORT set: /metrics on the public port is 404 ({r.status})")
main_port = api.port
api.port = metrics_port
r = api.get("/metrics")
check(r.status == 200 and "titanic_http_requests_total" in r.text,
      f"/metrics on METRICS_PORT, no key: 200 ({r.status})")
check(api.get("/passengers/1").status == 404 and api.get("/health").status == 200,
      "METRICS_PORT serves /metrics and /health only")
api.port = main_port
check(api.stop() == 0, "clean stop")
log("auth checks done")
finish()
