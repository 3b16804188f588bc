#!/usr/bin/env python3
"""Black-box: the lookup cache (api/passenger_cache.h) never serves a row after a write to it
committed. Each round caches a passenger (two GETs), changes it from another process the way
analysts, the ETL and other replicas do, and reads it again at once - through /passengers/{id},
/people/{uuid} and /passengers/{id}/prediction's data. Writers: a psql session (UPDATE, DELETE,
INSERT, TRUNCATE), titanic-etl reloads, this server's own /people writes, and writes while the
cache's LISTEN connection is being killed. Also: repeated lookups are answered from the cache
(titanic_passenger_cache_total), and PASSENGER_CACHE_ENTRIES=0 turns it off."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import Server, check, finish, standard_setup  # noqa: E402

db, api = standard_setup("lookup_cache", train=False)


def cache_counts(server):
    m = server.metrics()
    return (m.get('titanic_passenger_cache_total{result="hit"}', 0),
            m.get('titanic_passenger_cache_total{result="miss"}', 0))


class Session:
    """One long-lived psql session: a statement is committed when run() returns."""

    def __init__(self):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                                   db.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.n = 0
        apitest.at_exit(self.p.kill)

    def run(self, sql):
        self.n += 1
        self.p.stdin.write(f"{sql};\nSELECT 'done {self.n}';\n")
        self.p.stdin.flush()
        for line in self.p.stdout:
            if line.strip() == f"done {self.n}":
                return
        raise RuntimeError("psql session ended")


def name_of(server, pid):
    r = server.get(f"/passengers/{pid}")
    return (r.json() or {}).get("name") if r.status == 200 else r.status


# ---- hits ----
before = cache_counts(api)
for _ in range(20):
    api.get("/passengers/3")
after = cache_counts(api)
check(after[0] - before[0] >= 18, f"repeated lookups are hits: {before} -> {after}")

# ---- another process's writes, read at once ----
s = Session()
stale = []
for i in range(300):
    pid = 1 + i % 50
    name_of(api, pid)
    name_of(api, pid)  # now cached
    s.run(f"UPDATE passengers SET name = 'Fresh, Mr. Number {i}' WHERE passenger_id = {pid}")
    got = name_of(api, pid)
    if got != f"Fresh, Mr. Number {i}":
        stale.append((i, got))
check(not stale, f"300 UPDATEs by another session, each read at once: {len(stale)} stale: "
      f"{stale[:3]}")

uuid = db.q("SELECT uuid FROM passengers WHERE passenger_id = 60")
api.get(f"/people/{uuid}")
api.get(f"/people/{uuid}")
s.run("UPDATE passengers SET age = 61 WHERE passenger_id = 60")
r = api.get(f"/people/{uuid}")
check((r.json() or {}).get("age") == 61, f"/people/{{uuid}} after an UPDATE: {r!r}"[:200])

name_of(api, 61)
s.run("DELETE FROM passengers WHERE passenger_id = 61")
check(name_of(api, 61) == 404, "a deleted passenger is 404 at once")
s.run("INSERT INTO passengers (passenger_id, uuid, pclass, name, sex, sibsp, parch) "
      "VALUES (61, gen_random_uuid(), 1, 'Back, Mr. Again', 'male', 0, 0)")
check(name_of(api, 61) == "Back, Mr. Again", "a re-inserted passenger is served at once")

# ---- this server's own writes ----
for i in range(20):
    api.get(f"/people/{uuid}")
    r = api.request("PUT", f"/people/{uuid}", body={
        "survived": True, "passengerClass": 2, "name": f"Own, Mrs. Write {i}", "sex": "female",
        "age": 30 + i, "siblingsOrSpousesAboard": 0, "parentsOrChildrenAboard": 0, "fare": 8.5})
    got = api.get(f"/people/{uuid}").json() or {}
    check(r.status == 200 and got.get("name") == f"Own, Mrs. Write {i}",
          f"PUT then GET through this server: {got.get('name')!r}")

# ---- ETL reloads ----
csv = os.path.join(apitest.TMP, "reload.csv")
with open(csv, "w") as out:
    subprocess.run([apitest.ETL, "--generate", "891", "--seed", "9"], stdout=out, check=True)
for pid in range(100, 140):
    name_of(api, pid)
    name_of(api, pid)
r = subprocess.run([apitest.ETL, "--no-progress", csv], env=db.env(), capture_output=True,
                   text=True, timeout=120)
check(r.returncode == 0, f"titanic-etl reload: {r.stderr[-300:]}")
rows = dict(line.split("|", 1) for line in db.q(
    "SELECT passenger_id, name FROM passengers WHERE passenger_id BETWEEN 100 AND 139")
    .splitlines())
stale = [pid for pid in range(100, 140) if name_of(api, pid) != rows[str(pid)]]
check(not stale, f"after an ETL reload every cached passenger is read anew: stale {stale[:5]}")

# ---- the LISTEN connection killed: lookups go to the database until it is back ----
stale = []
for i in range(30):
    name_of(api, 70)
    name_of(api, 70)
    s.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE application_name = 'titanic-api-cache' AND datname = current_database()")
    s.run(f"UPDATE passengers SET name = 'Deaf, Mr. Number {i}' WHERE passenger_id = 70")
    got = name_of(api, 70)
    if got != f"Deaf, Mr. Number {i}":
        stale.append((i, got))
check(not stale, f"writes while the LISTEN connection is killed: {len(stale)} stale {stale[:3]}")
hits = cache_counts(api)[0]


def served_from_cache():
    name_of(api, 5)
    name_of(api, 5)
    return cache_counts(api)[0] > hits


check(apitest.wait_until(served_from_cache, timeout=10, interval=0.2),
      "the cache serves again once the reloader reconnected")

s.run("TRUNCATE passengers")
check(name_of(api, 5) == 404, "after TRUNCATE every lookup is 404 at once")

# ---- off ----
off = Server(db, PASSENGER_CACHE_ENTRIES=0)
for _ in range(5):
    off.get("/passengers/1")
check(cache_counts(off)[0] == 0, f"PASSENGER_CACHE_ENTRIES=0: no hits: {cache_counts(off)}")
finish()
