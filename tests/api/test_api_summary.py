#!/usr/bin/env python3
"""Black-box: /stats/survival comes from passenger_survival_summary, which triggers keep in the
writer's own transaction. After every kind of write - ETL first load, reloads that update and
insert, API POST/PUT/DELETE (also 8 clients at once), an analyst's UPDATE, DELETE, a rolled-back
transaction, TRUNCATE and a reload - the summary equals a full scan of passengers, and so does
every /stats/survival grouping."""
import os
import random
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, standard_setup  # noqa: E402
import apitest  # noqa: E402

db, api = standard_setup("summary", train=False)
DIMS = ["pclass", "sex", "embarked", "age_band", "family_size_band"]
SCAN = {"pclass": "pclass", "sex": "sex", "embarked": "embarked",
        "age_band": "passenger_age_band(age)",
        "family_size_band": "passenger_family_size_band(sibsp, parch)"}
BYS = [[], ["pclass"], ["pclass", "sex"], ["embarked", "family_size_band"],
       ["pclass", "sex", "embarked"], ["age_band", "family_size_band", "sex"]]


def scan_groups(dims, source="passengers"):
    keys = ", ".join(SCAN[d] if source == "passengers" else d for d in dims) or "1"
    sums = ("count(*), count(survived), coalesce(sum(survived), 0)" if source == "passengers"
            else "sum(passengers), sum(known), sum(survived)")
    having = "" if source == "passengers" else " HAVING sum(passengers) > 0"
    out = {}
    for line in db.q(f"SELECT {keys}, {sums} FROM {source} GROUP BY {keys}{having}").splitlines():
        f = line.split("|")
        k = len(dims) or 1
        out[tuple(f[:k]) if dims else ()] = tuple(int(x) for x in f[k:])
    return out


def api_groups(by):
    r = api.get("/stats/survival" + ("?by=" + ",".join(by) if by else ""))
    j = r.json() or {}
    if r.status != 200:
        return None
    if not by:
        o = j.get("overall", {})
        return {(): (o.get("passengers"), o.get("known"), o.get("survived"))}
    return {tuple("" if g[d] is None else str(g[d]) for d in by):
            (g["passengers"], g["known"], g["survived"]) for g in j.get("groups", [])}


def agrees(after):
    full = scan_groups(DIMS)
    check(scan_groups(DIMS, "passenger_survival_summary") == full,
          f"after {after}: summary table equals a full scan ({len(full)} groups)")
    for by in BYS:
        want = scan_groups(by)
        if not by and not want:
            want = {(): (0, 0, 0)}
        got = api_groups(by)
        check(got == want, f"after {after}: /stats/survival by={by} equals a full scan: "
              f"{sorted((got or {}).items())[:2]} vs {sorted(want.items())[:2]}")


def etl(rows, seed):
    csv = os.path.join(apitest.TMP, f"sum_{rows}_{seed}.csv")
    with open(csv, "w") as out:
        subprocess.run([apitest.ETL, "--generate", str(rows), "--seed", str(seed)], stdout=out,
                       check=True, timeout=120)
    r = subprocess.run([apitest.ETL, "--no-progress", csv], env=db.env(), capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, f"titanic-etl {rows} seed {seed}: {r.stderr[-300:]}")


agrees("the first load")
etl(891, 2)
agrees("a reload that updates every row")
etl(1500, 3)
agrees("a reload that updates 891 rows and inserts 609")


def person(rng):
    return {"survived": rng.choice([True, False]), "passengerClass": rng.randint(1, 3),
            "name": f"Test, Mr. Writer {rng.randint(1, 10**6)}", "sex": rng.choice(["male",
                                                                                     "female"]),
            "age": rng.choice([4, 15, 25, 40, 50, 70]), "fare": 7.25,
            "siblingsOrSpousesAboard": rng.randint(0, 3),
            "parentsOrChildrenAboard": rng.randint(0, 3)}


rng = random.Random(14)
uuids = db.q("SELECT uuid FROM passengers ORDER BY passenger_id LIMIT 200").split()
created = []
for _ in range(5):
    r = api.post("/people", person(rng))
    check(r.status == 201, f"POST /people: {r!r}"[:200])
    created.append((r.json() or {}).get("uuid"))
for u in uuids[:20]:
    r = api.request("PUT", f"/people/{u}", body=person(rng))
    check(r.status == 200, f"PUT /people: {r!r}"[:200])
for u in uuids[20:25] + created[:2]:
    r = api.request("DELETE", f"/people/{u}")
    check(r.status == 204, f"DELETE /people: {r!r}"[:200])
agrees("API POST, PUT and DELETE")

# Eight clients writing at once: writers that touch the same groups wait for each other (the
# summary is updated in key order), none fails, and the counts still add up.
errors = []


def writer(k):
    wr = random.Random(k)
    for i in range(25):
        u = wr.choice(uuids[30:200])
        r = api.request("PUT", f"/people/{u}", body=person(wr))
        if r.status != 200:
            errors.append(repr(r)[:200])
        if i % 10 == 0:
            r = api.post("/people", person(wr))
            if r.status != 201:
                errors.append(repr(r)[:200])


threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(not errors, f"8 concurrent writers: every write answered 200/201: {errors[:3]}")
agrees("8 concurrent API writers")

db.q("UPDATE passengers SET age = NULL, embarked = NULL WHERE passenger_id % 7 = 0")
db.q("UPDATE passengers SET survived = NULL WHERE passenger_id % 11 = 0")
db.q("DELETE FROM passengers WHERE passenger_id % 13 = 0")
agrees("an analyst's UPDATEs and DELETE")
db.q("BEGIN; UPDATE passengers SET pclass = 1; DELETE FROM passengers WHERE sex = 'male'; "
     "ROLLBACK")
agrees("a rolled-back transaction")
db.q("TRUNCATE passengers")
agrees("TRUNCATE")
etl(891, 1)
agrees("a first load after TRUNCATE")
finish()
