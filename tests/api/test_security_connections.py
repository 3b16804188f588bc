#!/usr/bin/env python3
"""Connections (issue 19 items 4 and 6), on a server capped at 128 connections, 16 per address
(the default: an eighth), with a request deadline of 3 s (REQUEST_TIMEOUT_SECONDS):
- four addresses (127.0.0.2-5) each keep 40 connections trickling a request body one byte a
  second: every one is cut within the deadline (on b6f40c4 never), and /health from 127.0.0.1
  answers 200 throughout (on b6f40c4 they held every connection);
- 300 idle keep-alive connections from one address, then 60 normal requests from that address:
  all answered (on b6f40c4 most were reset), the idle ones yielding, oldest first;
- idle connections of eight other addresses fill every slot: a new address still gets in.
The figures are printed (ctest -V)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import (Server, check, connect_from, finish, health_from, log, other_address,  # noqa: E402
                     read_until, standard_setup, status_of)

DEADLINE = 3
SETTINGS = dict(CONNECTION_LIMIT=128, REQUEST_TIMEOUT_SECONDS=DEADLINE, HEADER_TIMEOUT_SECONDS=10,
                CONNECTION_TIMEOUT_SECONDS=30)
db, api = standard_setup("connections", train=False, **SETTINGS)
ATTACKERS = [other_address(n) for n in (2, 3, 4, 5)]
HEAD = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n[")

# ---- item 4: trickled bodies are cut within the request deadline ----
live = {}  # socket -> opened at
cut_after = []
refused = 0


def open_trickler(addr):
    global refused
    try:
        s = connect_from(api, addr, timeout=1)
        s.sendall(HEAD)
        s.setblocking(False)
        live[s] = time.monotonic()
    except OSError:
        refused += 1


def closed_by_server(s):
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


for addr in ATTACKERS:
    for _ in range(40):
        open_trickler(addr)
health = []
t_end = time.monotonic() + 3 * DEADLINE
next_byte = time.monotonic() + 1
while time.monotonic() < t_end:
    health.append(health_from(api, "127.0.0.1", timeout=2)[0])
    now = time.monotonic()
    for s in list(live):
        if closed_by_server(s):
            cut_after.append(now - live.pop(s))
            s.close()
    if now >= next_byte:
        next_byte = now + 1
        for s in list(live):
            try:
                s.send(b" ")
            except OSError:
                pass
    time.sleep(0.2)
never_cut = [time.monotonic() - t for t in live.values()]
for s in live:
    s.close()
at_once = [t for t in cut_after if t < 1.0]  # over the address's cap: closed when accepted
cut_after = [t for t in cut_after if t >= 1.0]
log(f"trickled bodies: {len(cut_after)} cut after {min(cut_after, default=0):.1f}-"
    f"{max(cut_after, default=0):.1f} s, {len(never_cut)} never cut (open "
    f"{max(never_cut, default=0):.1f} s), {refused + len(at_once)} refused; /health: {len(health)} asked, "
    f"{sum(1 for h in health if h == 200)} answered 200")
check(len(cut_after) == 64 and not never_cut and max(cut_after) < DEADLINE + 1.5,
      f"every trickled body cut within the {DEADLINE} s deadline (+ the sweep): "
      f"{len(cut_after)} of 4 x 16 cut, max {max(cut_after, default=0):.1f} s, {len(never_cut)} not")
check(health and all(h == 200 for h in health),
      f"/health answered throughout: {[h for h in health if h != 200][:10]}")
timeouts = api.metrics().get('titanic_http_connections_closed_total{reason="request_timeout"}')
check(timeouts and timeouts >= len(cut_after), f"the cuts are counted: {timeouts}")

# ---- item 6: idle keep-alive connections yield (a fresh server: nothing left from above) ----
api.stop()
api = Server(db, **SETTINGS)


def idle_connection(addr):
    """A connection from addr that has had one answer and stays open (keep-alive)."""
    s = connect_from(api, addr, timeout=2)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = read_until(s, b'{"status":"ok"}')
    if status_of(data) != 200:
        s.close()
        raise ConnectionError(f"not answered: {data[:60]!r}")
    return s


idle, failed_idle = [], 0
for _ in range(300):
    try:
        idle.append(idle_connection("127.0.0.1"))
    except OSError:
        failed_idle += 1
answers = [health_from(api, "127.0.0.1")[0] for _ in range(60)]
for s in idle:
    s.setblocking(False)
closed = sum(1 for s in idle if closed_by_server(s))
log(f"300 idle connections ({failed_idle} not answered), then 60 requests from the same "
    f"address: {answers.count(200)} answered 200; {closed} idle ones closed to make room")
check(failed_idle == 0 and answers.count(200) == 60,
      f"after 300 idle connections, that address's 60 requests all answered: "
      f"{answers.count(200)} (and {failed_idle} of the 300 not answered)")
check(closed >= 300 - 16, f"the idle ones yielded, all but the newest 16: {closed} closed")
check(all(not closed_by_server(s) for s in idle[-8:]),
      "the newest idle connections stayed (oldest first)")
for s in idle:
    s.close()

# Idle connections of eight addresses fill all 128 slots; a ninth address still gets in.
idle = [idle_connection(other_address(n)) for n in range(10, 18) for _ in range(16)]
newcomer = [health_from(api, other_address(30))[0] for _ in range(10)]
check(newcomer.count(200) == 10, f"all slots idle: a new address is answered: {newcomer}")
yields = api.metrics().get('titanic_http_connections_closed_total{reason="idle_yield"}')
log(f"idle connections closed to make room: {yields}")
for s in idle:
    s.close()
api.stop()
finish()
