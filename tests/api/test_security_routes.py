#!/usr/bin/env python3
"""Authorise what will run (issue 19 items 1 and 8, issue 21 item 3): every route, reached
through percent-encoded and oddly slashed variants of its path (%3F %3f %23 %2F %00, double
encoding, encoded letters, a trailing /, //), never runs a write without a writer key, nor a read
without a key under AUTH_REQUIRED_FOR_READS=1, nor /metrics without a key (it did:
POST /people%3F/infer stored a person with no key, GET /metrics%3F answered 200). A target whose
decoding yields '?', '#', NUL or '/' inside a segment is a 400; the access log names the route
that ran. API_KEYS_FILE set but empty, missing or without a key stops the server at start.
HTTP as clients expect: HEAD wherever GET works (same status and headers, Content-Length
included, no body), Retry-After on every 503, Location on a 201."""
import http.client
import os
import subprocess
from urllib.parse import unquote
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import TMP, Server, check, finish, log, standard_setup, wait_until  # noqa: E402

PERSON = {"survived": False, "passengerClass": 3, "name": "Mr. Route Test", "sex": "male",
          "age": 30, "siblingsOrSpousesAboard": 0, "parentsOrChildrenAboard": 0, "fare": 7.25}

db, _ = standard_setup("routes", train=False)  # no model: the model routes answer 503
_.stop()


def new_key(role):
    r = subprocess.run([apitest.API, "--new-key", role, f"t-{role}"], capture_output=True,
                       text=True, timeout=10)
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    return lines["key"], lines["line"]


reader_key, reader_line = new_key("reader")
writer_key, writer_line = new_key("writer")
keys_file = os.path.join(TMP, "keys")
with open(keys_file, "w") as f:
    f.write(f"{reader_line}\n{writer_line}\n")
READER = {"Authorization": f"Bearer {reader_key}"}
WRITER = {"Authorization": f"Bearer {writer_key}"}

# ---- item 8: a key file that is set must be usable ----
empty_file = os.path.join(TMP, "no_keys")
with open(empty_file, "w") as f:
    f.write("# nothing yet\n")
zero_bytes = os.path.join(TMP, "zero_bytes")
open(zero_bytes, "w").close()
for value, says in (("", "set but empty"), (os.path.join(TMP, "absent"), "No such file"),
                    (empty_file, "holds no key"), (zero_bytes, "is empty")):
    s = Server(db, wait=False, API_KEYS_FILE=value)
    try:
        rc = s.proc.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    s.kill()
    check(rc == 2 and says in s.log_text(),
          f"API_KEYS_FILE={value!r}: refuses to start naming it (exit {rc}): "
          f"{s.log_text()[-300:]}")

api = Server(db, API_KEYS_FILE=keys_file)
reads = Server(db, API_KEYS_FILE=keys_file, AUTH_REQUIRED_FOR_READS=1)

# Location on 201 (and a person to address).
r = api.post("/people", PERSON, headers=WRITER)
uuid = (r.json() or {}).get("uuid")
check(r.status == 201 and r.header("Location") == f"/people/{uuid}",
      f"POST /people: 201 with Location /people/{{uuid}}: {r.status} {r.header('Location')}")

PROBES = ["/health", "/ready", "/v2/health/live", "/v2/health/ready"]
ROUTES = ["/predict", "/stats/survival", "/model", "/models", "/model/report", "/metrics",
          "/openapi.json", "/v2", "/passengers", "/passengers/1", "/passengers/1/prediction",
          "/people", f"/people/{uuid}", "/v2/models/titanic-survival",
          "/v2/models/titanic-survival/ready", "/v2/models/titanic-survival/infer",
          "/v2/models/titanic-survival/versions/1",
          "/v2/models/titanic-survival/versions/1/ready",
          "/v2/models/titanic-survival/versions/1/infer"]
SUFFIXES = ["%3F/infer", "%3f/infer", "%23/infer", "%2F", "%2finfer", "%00", "%00/infer",
            "%253F/infer", "%25253F/infer", "%3F", "%3F/ready", "%3F/../../health", "/", "//",
            "/.", "?x=/infer", "#/infer", "%", "%3"]


def variants(path):
    out = [path + s for s in SUFFIXES]
    out += ["/" + path, path.replace("/", "//"), path.replace("/", "%2F"),
            path.replace("/", "%2f"), path + "/..", path.replace("/", "/./")]
    # every letter of the path encoded in turn: the same route, which must be treated as such
    out += [path[:i] + f"%{ord(c):02X}" + path[i + 1:] for i, c in enumerate(path)
            if c.isalpha()][:6]
    return out


TARGET_REASONS = ("path", "target", "NUL", "CRLF")


def target_refusal(resp):
    msg = ((resp.json() or {}).get("error") or {})
    msg = msg.get("message", "") if isinstance(msg, dict) else str(msg)
    return resp.status == 400 and any(w in msg for w in TARGET_REASONS)


def raw_request(server, method, target, headers=None, body=None):
    """One request with the target sent byte for byte as given (http.client would not encode it,
    but says nothing either); returns the Response."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        data = body.encode() if body else b""
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        return apitest.Response(resp.status, resp.getheaders(), resp.read(), 0)
    finally:
        conn.close()


people_before = db.q("SELECT count(*) FROM passengers")
body = __import__("json").dumps(PERSON)
walked = leaks = 0
for path in PROBES + ROUTES:
    for target in [path] + variants(path):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            for who, headers in (("no key", None), ("reader key", READER)):
                resp = raw_request(api, method, target, headers, body)
                walked += 1
                # 405: the dispatcher found no such method on a probe (they need no key); a POST
                # to a prediction route computes (no model here: an error), it stores nothing
                compute = method == "POST" and unquote(target.split("?")[0]).endswith(
                    ("/predict", "/infer"))
                if not (resp.status in (401, 403, 405) or target_refusal(resp) or
                        (compute and resp.status in (400, 404, 503))):
                    leaks += 1
                    if leaks <= 10:
                        check(False, f"{method} {target} with {who}: reached a handler: {resp!r}")
check(walked > 3000 and leaks == 0,
      f"{walked} write attempts through every route's variants: {leaks} reached a handler")
check(db.q("SELECT count(*) FROM passengers") == people_before,
      "no write attempt changed the table")

# Reads under AUTH_REQUIRED_FOR_READS=1, and /metrics (which needs a key whenever keys exist).
walked = leaks = 0
for path in ROUTES:
    for target in [path] + variants(path):
        for server in (reads, api) if path == "/metrics" else (reads,):
            resp = raw_request(server, "GET", target)
            walked += 1
            # on the server whose reads are open, a path that is not /metrics is a 404
            if not (resp.status == 401 or target_refusal(resp) or
                    (server is api and resp.status == 404)):
                leaks += 1
                if leaks <= 10:
                    check(False, f"GET {target} without a key: {resp!r}")
check(walked > 500 and leaks == 0, f"{walked} keyless reads: {leaks} answered")
r = raw_request(api, "GET", "/metrics%3F")
check(r.status == 400, f"GET /metrics%3F without a key: 400 ({r.status})")
for target, status in (("/passengers/1%3F", 400), ("/passengers%2F1", 400),
                       ("/passengers/1%00", 400), ("/pass%65ngers/1", 200),
                       ("/passengers/1/", 404), ("//passengers/1", 404)):
    r = raw_request(api, "GET", target)
    check(r.status == status, f"GET {target}: {status} ({r.status})")

# The access log names the route that ran, also for a request refused before it.
r = raw_request(api, "POST", "/p%65ople", READER, body)
rid = r.header("X-Request-Id")
line = wait_until(lambda: [x for x in api.log_lines() if x.get("request_id") == rid], 2)
check(r.status == 403 and line and line[0].get("route") == "/people",
      f"POST /p%65ople with a reader key: 403 logged under /people: {r.status} {line}")

# ---- HEAD wherever GET works: same status and headers, no body ----
for path in ["/health", "/ready", "/passengers", "/passengers/1", "/passengers/1/prediction",
             "/people", f"/people/{uuid}", "/stats/survival", "/openapi.json", "/models",
             "/v2/models/titanic-survival", "/passengers/999999"]:
    g = api.get(path, headers=WRITER)
    h = api.request("HEAD", path, headers=WRITER)
    same = all(h.header(k) == g.header(k) for k in ("Content-Type", "Content-Length"))
    check(h.status == g.status and same and h.body == b"" and g.header("Content-Length"),
          f"HEAD {path}: as GET ({g.status}, {g.header('Content-Length')} bytes) without the "
          f"body: {h.status} {h.header('Content-Length')} {len(h.body)}")

# ---- Retry-After on every 503 ----
for method, path, payload in (("GET", "/ready", None), ("POST", "/predict", [PERSON]),
                              ("GET", "/model", None), ("GET", "/passengers/1/prediction", None)):
    r = api.request(method, path, body=payload, headers=WRITER)
    check(r.status == 503 and (r.header("Retry-After") or "").isdigit(),
          f"{method} {path} without a model: 503 with Retry-After: {r.status} "
          f"{r.header('Retry-After')}")

api.stop()
reads.stop()
finish()
