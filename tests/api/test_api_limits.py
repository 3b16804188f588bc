#!/usr/bin/env python3
"""Black-box limits: bodies over MAX_BODY_BYTES get 413 (Content-Length and chunked), headers
over HEADER_BYTES get 431, and the server keeps serving; 300 idle connections and a few that
stall half-way through a request line lock nobody out (a normal request answers within 1 s);
CONNECTION_TIMEOUT_SECONDS drops a stalled client."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, log, standard_setup  # noqa: E402

# All these clients share one address: the per-address cap (tested in test_security_slowloris)
# is lifted here so that 300 idle connections from it are possible at all.
db, api = standard_setup("limits", MAX_BODY_BYTES=4096, HEADER_BYTES=4096,
                         CONNECTION_TIMEOUT_SECONDS=3, PER_IP_CONNECTION_LIMIT=0)
OK = {"pclass": 1, "sex": "female"}


def status_of(raw):
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def body_of(raw):
    return raw.partition(b"\r\n\r\n")[2]


# ---- bodies ----
under = json.dumps(OK).encode()
under = under[:-1] + b" " * (4000 - len(under)) + b"}"
r = api.post("/predict", under)
check(r.status == 200, f"a 4000-byte body under the 4096 limit: {r!r}")
big = b'{"pclass":1,"sex":"female","name":"' + b"x" * 5000 + b'"}'
r = api.post("/predict", big)
check(r.status == 413 and (r.json() or {}).get("error", {}).get("status") == 413,
      f"5 kB body with Content-Length: 413: {r!r}")


def send_big(path, size):
    """Like a client that streams a big body and then reads the answer: the server may answer
    413 and close before the body is all sent (a reset while sending is not a failure), but
    the 413 must arrive."""
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    got = b""
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
        s.sendall(head)
        try:
            sent = 0
            while sent < size:
                n = min(65536, size - sent)
                s.sendall(b" " * n)
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                got += c
        except (ConnectionResetError, socket.timeout):
            pass
    return got


for path in ["/people", "/predict"]:
    raw = send_big(path, 10_000_000)
    check(status_of(raw) == 413, f"10 MB body to {path}: 413: {raw[:80]!r}")


def chunked(path, total, chunk=1000):
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    body = b""
    data = b'{"pclass":1,"sex":"female","name":"' + b"y" * total + b'"}'
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        body += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return api.raw(head + body + b"0\r\n\r\n")


raw = chunked("/predict", 6000)
check(status_of(raw) == 413, f"6 kB chunked body: 413: {raw[:120]!r}")
check(b'"status":413' in body_of(raw), "chunked 413 has the error object")
raw = chunked("/predict", 200_000, chunk=4000)
check(status_of(raw) == 413, f"200 kB chunked body: 413: {raw[:80]!r}")
raw = chunked("/predict", 100)
check(status_of(raw) == 200, f"small chunked body: 200: {raw[:80]!r}")
# Declared too large but never sent: answered at once, not after a read timeout.
t0 = time.monotonic()
raw = api.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
              b"Content-Type: application/json\r\n\r\n{", timeout=5, read_all=False)
check(status_of(raw) == 413 and time.monotonic() - t0 < 2,
      f"Content-Length 100 MB, body not sent: 413 at once: {raw[:80]!r}")
raw = api.raw(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n"
              b"Connection: close\r\n\r\n{}", timeout=5)
check(status_of(raw) in (400, 413), f"absurd Content-Length: 400/413: {raw[:80]!r}")
check(api.get("/health").status == 200, "serving after oversized bodies")

# ---- headers ----
r = api.get("/health", headers={"X-Big": "a" * 8000})
check(r.status == 431, f"an 8 kB header with HEADER_BYTES=4096: 431: {r.status}")
r = api.get("/health", headers={f"X-H{i}": "b" * 100 for i in range(80)})
check(r.status == 431, f"80 headers of 100 bytes: 431: {r.status}")
r = api.post("/predict", json.dumps(OK), headers={"X-Big": "c" * 8000})
check(r.status == 431, f"big header on a POST: 431: {r.status}")
r = api.get("/passengers/1?" + "a" * 8000)
check(r.status in (414, 431), f"an 8 kB request line: 414 or 431: {r.status}")
r = api.get("/health", headers={"X-Fine": "d" * 1000})
check(r.status == 200, f"a 1 kB header is fine: {r.status}")
check(api.get("/health").status == 200 and api.post("/predict", OK).status == 200,
      "serving after oversized headers")
m = api.metrics()
# (413s are answered before routing but counted under the route they were sent to.)
n413 = sum(v for k, v in m.items()
           if k.startswith("titanic_http_requests_total{") and 'code="413"' in k)
check(n413 >= 5, f"413s counted in /metrics: {n413}")

# ---- idle and slow clients ----
idle = []
try:
    for _ in range(300):
        idle.append(socket.create_connection(("127.0.0.1", api.port), timeout=5))
    for i in range(5):
        s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
        s.sendall(b"GET /passengers/1 HTTP/1.1\r\nHost: x\r\nX-Slow: " if i % 2 else b"GET /hea")
        idle.append(s)
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)  # a body that never ends
    s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"pclass\":")
    t_stalled = time.monotonic()  # its last byte: the connection timeout runs from here
    idle.append(s)
    time.sleep(0.2)
    worst = 0.0
    for path in ["/health", "/passengers/1", "/ready"]:
        r = api.get(path, timeout=5)
        worst = max(worst, r.elapsed)
        check(r.status == 200 and r.elapsed < 1.0,
              f"GET {path} with 306 idle/stalled connections: {r.status} in {r.elapsed:.3f} s")
    r = api.post("/predict", OK, timeout=5)
    check(r.status == 200 and r.elapsed < 1.0, f"POST /predict meanwhile: {r.elapsed:.3f} s")
    log(f"slowest answer with 306 idle connections open: {worst * 1000:.1f} ms")
    # The per-connection timeout (3 s here) drops the stalled client: the server closes the
    # connection (an end of file or a reset) about 3 s after its last byte. Our own read timing
    # out (10 s) means it was never dropped.
    stalled = idle[-1]
    stalled.settimeout(10)
    try:
        got = stalled.recv(4096)
        outcome = "closed" if got == b"" else f"answered {got[:60]!r}"
    except ConnectionResetError:
        outcome = "closed"
    except socket.timeout:
        outcome = "still open after our 10 s read timeout"
    after = time.monotonic() - t_stalled
    log(f"stalled client: {outcome} {after:.1f} s after its last byte")
    check(outcome == "closed" and 2.0 <= after < 8.0,
          f"a stalled client is dropped by CONNECTION_TIMEOUT_SECONDS=3: {outcome} "
          f"{after:.1f} s after its last byte")
finally:
    for s in idle:
        s.close()
check(api.get("/health").status == 200, "serving after the idle clients left")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
