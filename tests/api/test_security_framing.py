#!/usr/bin/env python3
"""Strict framing, RFC 9112 (issue 19 item 5). Each request below is sent with a second,
well-formed request right behind it on the same connection. libmicrohttpd 0.9.75 alone took the
first of two Content-Lengths and served the rest of the bytes as that second request (a
smuggling primitive behind a proxy that reads them differently), let chunked win over a
Content-Length, accepted bare LF line ends, and waited forever on an unknown transfer coding.
Now each is answered 400 (501 for an unknown coding) with Connection: close, the connection is
closed, and the bytes behind it are never served; well-formed requests, chunked bodies and
keep-alive still work."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, standard_setup, status_of  # noqa: E402

db, api = standard_setup("framing", train=False)
SMUGGLED = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"  # asked only here


def exchange(data, timeout=3.0):
    """Sends data on one connection; returns (everything answered, seconds, closed by server)."""
    t0 = time.monotonic()
    out, closed = b"", False
    with socket.create_connection(("127.0.0.1", api.port), timeout=timeout) as s:
        s.sendall(data)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                out += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
    return out, time.monotonic() - t0, closed


BAD = [
    ("two different Content-Lengths", 400,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 2\r\nContent-Length: 49\r\n\r\n[]"),
    ("two equal Content-Lengths", 400,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n[]"),
    ("Content-Length and Transfer-Encoding", 400,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    # libmicrohttpd's own 400 (its status line and headers sent twice: its bug, harmless)
    ("a Content-Length that is not a number", 400,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n[]"),
    ("an unknown transfer coding", 501,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"),
    ("gzip then chunked", 501,
     b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
    ("a bare LF after the request line", 400, b"GET /health HTTP/1.1\nHost: x\r\n\r\n"),
    ("a bare LF after a header line", 400,
     b"GET /health HTTP/1.1\r\nHost: x\nX-Other: y\r\n\r\n"),
    ("bare LFs throughout", 400, b"GET /health HTTP/1.1\nHost: x\nX-Other: y\n\n"),
]
for what, status, data in BAD:
    out, seconds, closed = exchange(data + SMUGGLED)
    check(status_of(out) == status and b"HTTP/1.1 200" not in out and closed and
          b"Connection: close" in out and seconds < 2.5,
          f"{what}: {status}, closed, nothing more served ({status_of(out)}, "
          f"{out.count(b'HTTP/1.1 ')} answers, closed={closed}, {seconds:.2f} s): {out[:200]!r}")

# What must keep working: keep-alive, a Content-Length body, a chunked body.
out, _, _ = exchange(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED.replace(
    b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
check(out.count(b"HTTP/1.1 200 ") == 2, f"two pipelined requests: two 200s: {out[:300]!r}")
person = b'[{"passengerClass": 3, "sex": "male", "age": 30}]'
out, _, _ = exchange(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(person), person))
check(status_of(out) == 503, f"a Content-Length body reaches /predict (no model: 503): {out[:200]!r}")
chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(person), person)
out, _, _ = exchange(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
check(status_of(out) == 503, f"a chunked body reaches /predict (no model: 503): {out[:200]!r}")
time.sleep(0.5)  # the access log is flushed every 100 ms
smuggled = [x for x in api.log_lines() if x.get("message") == "request" and
            x.get("path") == "/v2/health/live"]
check(len(smuggled) == 1, f"only the well-formed pipelined request was served: {len(smuggled)}")
api.stop()
finish()
