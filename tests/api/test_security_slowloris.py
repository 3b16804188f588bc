#!/usr/bin/env python3
"""Connection exhaustion (issue 10): one address opens thousands of connections that send a
request line and then one header line a second (well inside the idle timeout, so only a deadline
for the whole header can end them). Meanwhile another client, from 127.0.0.2, asks /health on a
fresh connection five times a second: every answer must be a 200 within 1 s. The per-address cap
(PER_IP_CONNECTION_LIMIT) refuses the attacker's surplus at once, the header deadline
(HEADER_TIMEOUT_SECONDS) ends the ones it accepted however they trickle, and the total cap
(CONNECTION_LIMIT) is never reached. Afterwards the service answers everyone in full.
The figures are printed (ctest -V shows them)."""
import os
import selectors
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, health_from, log, skip, standard_setup  # noqa: E402

PER_IP = 32
HEADER_TIMEOUT = 3
ATTEMPTS = 4000
ATTACK_SECONDS = 12
TRICKLE_EVERY = 1.0

db, api = standard_setup("slowloris", PER_IP_CONNECTION_LIMIT=PER_IP,
                         HEADER_TIMEOUT_SECONDS=HEADER_TIMEOUT, CONNECTION_TIMEOUT_SECONDS=15,
                         CONNECTION_LIMIT=1000)

try:  # another client needs another address: the whole of 127/8 is loopback on Linux
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        probe.connect(("127.0.0.1", api.port))
except OSError as e:
    skip(f"cannot use 127.0.0.2 as a second client address: {e}")


def health_from_other_address(timeout=5.0):
    """One GET /health on a new connection from 127.0.0.2: (status or None, seconds)."""
    return health_from(api, "127.0.0.2", timeout)


class Attacker:
    """Opens ATTEMPTS slow-header connections from 127.0.0.1 and keeps each trickling."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.live = {}  # socket -> [opened, last_send]
        self.attempts = self.connect_failures = 0
        self.refused_at_once = 0  # closed by the server within 0.5 s (the per-address cap)
        self.lifetimes = []  # seconds from connect to the server closing a held connection
        self.max_live = 0

    def open_one(self):
        self.attempts += 1
        s = socket.socket()
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", api.port))
            s.sendall(b"GET /passengers/1 HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            self.connect_failures += 1
            s.close()
            return
        s.setblocking(False)
        now = time.monotonic()
        self.live[s] = [now, now]
        self.sel.register(s, selectors.EVENT_READ)

    def closed(self, s, now):
        opened = self.live.pop(s)[0]
        self.sel.unregister(s)
        s.close()
        if now - opened < 0.5:
            self.refused_at_once += 1
        else:
            self.lifetimes.append(now - opened)

    def step(self, now):
        for key, _ in self.sel.select(timeout=0.02):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if not data:  # the server closed it (an answer would be a bug: we never finish)
                self.closed(key.fileobj, now)
        for s, times in list(self.live.items()):
            if now - times[1] >= TRICKLE_EVERY:
                try:
                    s.send(b"X-Slow: a\r\n")
                    times[1] = now
                except OSError:
                    self.closed(s, now)
        # Held: open for more than 0.5 s (a refused one is closed by the server at once, but may
        # sit in self.live until its end-of-file is read).
        self.max_live = max(self.max_live, sum(1 for t in self.live.values() if now - t[0] > 0.5))

    def run(self, seconds):
        """Spreads the attempts evenly over most of the attack, so that new ones keep arriving
        after the first held ones reach their deadline."""
        start = time.monotonic()
        while time.monotonic() < start + seconds:
            due = min(ATTEMPTS, int(ATTEMPTS * (time.monotonic() - start) / (seconds * 0.9)) + 1)
            while self.attempts < due:
                self.open_one()
            self.step(time.monotonic())

    def stop(self):
        for s in list(self.live):
            self.sel.unregister(s)
            s.close()
        self.live.clear()


attacker = Attacker()
latencies, statuses = [], []
stop_probing = threading.Event()


def probe_loop():
    while not stop_probing.is_set():
        status, seconds = health_from_other_address()
        statuses.append(status)
        latencies.append(seconds)
        stop_probing.wait(0.2)


prober = threading.Thread(target=probe_loop)
prober.start()
t0 = time.monotonic()
try:
    attacker.run(ATTACK_SECONDS)
finally:
    stop_probing.set()
    prober.join()
    attack_seconds = time.monotonic() - t0
    attacker.stop()

held = attacker.attempts - attacker.connect_failures - attacker.refused_at_once
log(f"attack: {attacker.attempts} connection attempts from 127.0.0.1 in {attack_seconds:.1f} s, "
    f"{attacker.refused_at_once} refused at once by the per-address cap ({PER_IP}), "
    f"{attacker.connect_failures} not accepted, {held} held and trickling, at most "
    f"{attacker.max_live} open at one time; held ones closed after max "
    f"{max(attacker.lifetimes or [0]):.2f} s (HEADER_TIMEOUT_SECONDS={HEADER_TIMEOUT})")
ok = [s for s in statuses if s == 200]
log(f"/health from 127.0.0.2 during the attack: {len(statuses)} requests, {len(ok)} answered 200, "
    f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")

check(attacker.attempts >= 3000, f"thousands of attempts were made: {attacker.attempts}")
check(attacker.refused_at_once >= attacker.attempts / 2,
      f"the per-address cap refused most of them: {attacker.refused_at_once}")
check(attacker.max_live <= PER_IP,
      f"never more than the cap held open from one address: {attacker.max_live}")
check(held >= 3 * PER_IP and attacker.lifetimes,
      f"new connections were held and trickled as the held ones reached the deadline ({held})")
check(max(attacker.lifetimes or [99]) < HEADER_TIMEOUT + 1.5,
      f"trickling a header line a second does not extend the header deadline: "
      f"max {max(attacker.lifetimes or [0]):.2f} s")
check(len(statuses) >= ATTACK_SECONDS * 3, f"the other client asked throughout: {len(statuses)}")
check(all(s == 200 for s in statuses), f"every /health from 127.0.0.2 answered 200: "
      f"{[s for s in statuses if s != 200][:5]}")
check(max(latencies) < 1.0, f"every /health within 1 s: max {max(latencies):.3f} s")

# ---- afterwards: full service, for the attacker's address too ----
time.sleep(0.5)
r = api.get("/health")
check(r.status == 200, f"after the attack, /health from 127.0.0.1: {r.status}")
r = api.get("/passengers/1")
check(r.status == 200, f"after the attack, a database lookup: {r.status}")
r = api.post("/predict", {"pclass": 1, "sex": "female"})
check(r.status == 200, f"after the attack, /predict: {r.status}")
timeouts = {k: v for k, v in api.metrics().items() if "header_timeout" in k}
log(f"metrics after the attack: {timeouts}")
check(api.stop() == 0, "clean stop")
finish()
