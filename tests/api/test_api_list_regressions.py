#!/usr/bin/env python3
"""Black-box regressions from the security review (issue 10) in the passenger list:
- the sort clause was built in a static buffer shared by the worker threads: 12 clients sending
  /passengers?sort=... at once got torn SQL (500s) and pages in another sort's order. Here 12
  clients, each with its own sort, check every answer's order against its own sort;
- a long name= filter was cut into a 300-byte buffer once its LIKE wildcards were escaped: a 500
  ("LIKE pattern must not end with escape character") or silently an "ends with" search. Here
  names of up to 256 bytes made mostly of escaped characters find the passenger that holds them."""
import http.client
import json
import multiprocessing
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import Server, check, finish, standard_setup  # noqa: E402

db, api = standard_setup("list_regressions", train=False)

# ---- long name filters ----
names = {
    "ends with": "Mr " + "_" * 160 + " Jr",          # cut: the trailing % is lost
    "escape at the end": "a" + "_" * 160 + "b",       # cut: the pattern ends with a backslash
    "256 bytes": "%" * 250 + "x" * 6,
}
for what, stored in names.items():
    db.q(f"INSERT INTO passengers (passenger_id, uuid, pclass, name, sex, sibsp, parch) VALUES "
         f"(nextval('passenger_api_id_seq'), gen_random_uuid(), 1, "
         f"'{stored}', 'male', 0, 0)")
for what, stored in names.items():
    needle = stored if what == "256 bytes" else stored[:-2] if what == "ends with" else stored[:-1]
    r = api.get("/passengers?name=" + urllib.parse.quote(needle))
    j = r.json() or {}
    got = [i["name"] for i in j.get("items", [])]
    check(r.status == 200 and got == [stored] and j.get("total") == 1,
          f"name filter of {len(needle)} bytes ({what}) finds its passenger: {r.status} "
          f"{got[:1]!r:.80} total {j.get('total')}")
r = api.get("/passengers?name=" + "_" * 257)
check(r.status == 400 and r.error_field() == "name", f"257 bytes: 400 on name: {r!r}"[:200])

# ---- concurrent sorts ----
busy = Server(db, THREADS=12)
PAGES = 150
SORTS = ["age", "-age", "fare", "-fare", "name", "-name", "pclass", "-pclass", "survived",
         "-survived", "passenger_id", "-passenger_id"]


def as_value(col, text):
    if text == "":
        return None
    return text if col == "name" else float(text)


def expected(sort):
    """The first 200 sort values in SQL's order (collation included), whatever breaks ties."""
    desc, col = sort.startswith("-"), sort.lstrip("-")
    return [as_value(col, v) for v in db.q(
        f"SELECT coalesce({col}::text, '') FROM passengers ORDER BY {col} "
        f"{'DESC' if desc else 'ASC'} NULLS LAST LIMIT 200").split("\n")]


WANT = {s: expected(s) for s in SORTS}


def ordered(items, sort):
    col = sort.lstrip("-")
    got = [None if i[col] is None else i[col] if col == "name" else float(i[col]) for i in items]
    return got == WANT[sort][:len(got)]


def client(sort, port, out):
    """One process per client (no shared interpreter lock): one-row pages of its sort over a
    keep-alive connection; reports its problems on out, whatever happens."""
    try:
        out.put(pages(sort, port))
    except Exception as e:  # the parent must hear from every client
        out.put([f"sort={sort}: client failed: {e!r}"])


def pages(sort, port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    bad = []
    for _ in range(PAGES):
        conn.request("GET", f"/passengers?sort={sort}&limit=1")
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            bad.append(f"sort={sort}: {r.status} {body[:120]!r}")
            continue
        items = json.loads(body)["items"]
        if ordered(items, sort) is False:
            bad.append(f"sort={sort}: first row {items[0].get(sort.lstrip('-'))!r} is not "
                       f"{WANT[sort][0]!r}")
    return bad


out = multiprocessing.Queue()
procs = [multiprocessing.Process(target=client, args=(s, busy.port, out)) for s in SORTS]
for p in procs:
    p.start()
problems = [x for _ in procs for x in out.get(timeout=120)]
for p in procs:
    p.join()
# In a ThreadSanitizer build a race is reported even when no page came out torn: the server
# then exits non-zero (TSan's exit code) and its log names the race.
status = busy.stop()
check(status == 0 and "ThreadSanitizer" not in busy.log_text(),
      f"the server exits 0 with no data race reported: exit {status}, "
      f"{busy.log_text().count('WARNING: ThreadSanitizer')} reports")
check(not problems, f"12 concurrent clients, {12 * PAGES} pages: {len(problems)} wrong: {problems[:3]}")
finish()
