#!/usr/bin/env python3
"""Black-box: a lookup never answers a row older than a write that committed before it was
asked (issue 14: lookups "without ever serving a stale row"; any cache in front of them must keep
this). Each round reads a passenger twice (warm), changes it from another process as analysts,
the ETL and other replicas do, and reads it again at once: through /passengers/{id} and
/people/{uuid}. Writers: a psql session (UPDATE, DELETE, INSERT, TRUNCATE), titanic-etl reloads,
and this server's own /people writes."""
import concurrent.futures
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import check, finish, standard_setup  # noqa: E402

db, api = standard_setup("lookup_fresh", train=False)


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

# ---- concurrent lookups share statements (lookup_batch.c): each still gets its own row ----
names = dict(line.split("|", 1) for line in db.q(
    "SELECT passenger_id, name FROM passengers ORDER BY passenger_id").splitlines())
wanted = [1 + (i * 37) % 1200 for i in range(2400)]  # ids above 891 do not exist: 404
before = api.metrics()


def lookup(pid):
    r = api.get(f"/passengers/{pid}")
    return pid, r.status, (r.json() or {}).get("name") if r.status == 200 else None


with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
    answers = list(pool.map(lookup, wanted))
wrong = [(pid, status, name) for pid, status, name in answers
         if (status, name) != ((200, names[str(pid)]) if str(pid) in names else (404, None))]
check(not wrong, f"2400 lookups from 32 clients: {len(wrong)} wrong: {wrong[:3]}")
after = api.metrics()
statements = after.get("titanic_lookup_statements_total", 0) - before.get(
    "titanic_lookup_statements_total", 0)
lookups = after.get("titanic_lookups_total", 0) - before.get("titanic_lookups_total", 0)
check(lookups == 2400 and 0 < statements < lookups,
      f"they were batched: {lookups} lookups in {statements} statements")

s.run("TRUNCATE passengers")
check(name_of(api, 5) == 404, "after TRUNCATE every lookup is 404 at once")

finish()
