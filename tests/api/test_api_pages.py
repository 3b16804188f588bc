#!/usr/bin/env python3
"""Black-box: paging that stays cheap at any size (issue 14). Keyset cursors (next / Link /
after=) walk every sort, filtered or not, in exactly SQL's order with no row twice or missing;
cursors from another sort or forged ones are 400; a deep offset is 400 and points to the cursor;
"total" is exact (total_is "exact") from the survival summary or a count below the cap, and
above the count cap PostgreSQL's estimate, labelled "estimate"; GET /people keeps the contract's bare array, pages with Link
rel="next", and is capped by default."""
import base64
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import Database, Server, check, finish, standard_setup  # noqa: E402

db, api = standard_setup("pages", train=False)
N = int(db.q("SELECT count(*) FROM passengers"))
LINK = re.compile(r'^<(/[^>]*)>; rel="next"$')


def link_next(r):
    m = LINK.match(r.header("Link") or "")
    return m.group(1) if m else None


def walk(server, first, limit_pages=1000):
    """Follows next links from first; returns (ids, statuses ok, links agree with bodies)."""
    ids, ok, agree, path = [], True, True, first
    for _ in range(limit_pages):
        r = server.get(path)
        j = r.json()
        if r.status != 200 or not isinstance(j, dict):
            return ids, False, agree
        ids += [i["passenger_id"] for i in j["items"]]
        agree &= link_next(r) == j.get("next")
        path = j.get("next")
        if not path:
            return ids, ok, agree
    return ids, False, agree


def sql_ids(where, column, desc):
    d = " DESC" if desc else ""
    order = f"{column}{d} NULLS LAST, passenger_id{d}" if column != "passenger_id" else \
        f"passenger_id{d}"
    return [int(x) for x in db.q(f"SELECT passenger_id FROM passengers WHERE {where} "
                                 f"ORDER BY {order}").split()]


# ---- cursors: every sort, both directions, with and without a filter ----
for sort in ["passenger_id", "name", "age", "fare", "pclass", "survived"]:
    for desc in (False, True):
        for query, where in [("", "true"), ("pclass=3&sex=male", "pclass = 3 AND sex = 'male'")]:
            s = ("-" if desc else "") + sort
            ids, ok, agree = walk(api, f"/passengers?sort={s}&limit=97&{query}")
            want = sql_ids(where, sort, desc)
            check(ok and ids == want, f"cursor walk sort={s} {query}: {len(ids)} ids, SQL "
                  f"{len(want)}, first difference at "
                  f"{next((k for k, (a, b) in enumerate(zip(ids, want)) if a != b), None)}")
            check(agree, f"sort={s} {query}: Link header equals next on every page")

# A page's next link keeps the filters and limit; the last page has none.
r = api.get("/passengers?limit=5&name=" + urllib.parse.quote("Mr. ") + "&sort=-fare")
j = r.json() or {}
nxt = j.get("next") or ""
check(r.status == 200 and "name=Mr.%20" in nxt and "sort=-fare" in nxt and "limit=5" in nxt
      and "offset" not in nxt, f"next keeps name, sort, limit: {nxt}")
last = api.get(f"/passengers?limit=10&offset={N - 3}").json() or {}
check(last.get("next") is None and len(last.get("items", [])) == 3, "last page: next is null")

# A cursor and an offset together: the offset counts from the cursor.
a = [i["passenger_id"] for i in (api.get("/passengers?after=100&limit=10").json() or
                                 {}).get("items", [])]
b = [i["passenger_id"] for i in (api.get("/passengers?after=100&offset=5&limit=5").json() or
                                 {}).get("items", [])]
check(a == list(range(101, 111)) and b == a[5:], f"after=100: {a}; with offset=5: {b}")

# Rows written between pages neither repeat nor vanish: a keyset cursor is a position.
page1 = api.get("/passengers?sort=fare&limit=20").json() or {}
db.q("DELETE FROM passengers WHERE passenger_id = "
     f"{page1['items'][0]['passenger_id']}")
page2 = api.get(page1["next"]).json() or {}
want = sql_ids("true", "fare", False)
pos = want.index(page1["items"][-1]["passenger_id"])
check([i["passenger_id"] for i in page2.get("items", [])] == want[pos + 1:pos + 21],
      "after a delete on page 1, page 2 still starts right after page 1's last row")
N -= 1

# ---- bad cursors and deep offsets ----
good = (api.get("/passengers?sort=fare&limit=3").json() or {}).get("next", "")
token = urllib.parse.parse_qs(urllib.parse.urlparse(good).query)["after"][0]
forged = base64.urlsafe_b64encode(b"fare:1:v:1); DROP TABLE passengers;--").decode().rstrip("=")
for query, what in [(f"sort=-fare&after={token}", "a fare cursor with sort=-fare"),
                    (f"sort=age&after={token}", "a fare cursor with sort=age"),
                    (f"after={token}", "a fare cursor with the default sort"),
                    ("sort=fare&after=12", "a plain id with sort=fare"),
                    ("after=abc", "after=abc"), ("after=0", "after=0"),
                    ("sort=fare&after=" + forged, "SQL in a cursor"),
                    ("sort=fare&after=" + "A" * 5000, "a 5000-byte cursor"),
                    ("sort=name&after=" + base64.urlsafe_b64encode(b"name:1:v:").decode(),
                     "an empty name value"),
                    ("sort=pclass&after=" + base64.urlsafe_b64encode(b"pclass:1:n:").decode(),
                     "a NULL in a column without NULLs")]:
    r = api.get("/passengers?" + query)
    check(r.status == 400 and r.error_field() == "after", f"{what}: 400 on after: {r!r}"[:300])
check(db.q("SELECT count(*) FROM passengers") == str(N), "passengers intact after forged cursors")

r = api.get("/passengers?offset=10000&limit=5")
check(r.status == 200, f"offset=10000 is still served: {r!r}"[:200])
for off in ["10001", "900000", "2147483647"]:
    r = api.get(f"/passengers?offset={off}")
    check(r.status == 400 and r.error_field() == "offset" and "after" in r.text,
          f"offset={off}: 400 on offset pointing to the cursor: {r!r}"[:300])

# ---- totals ----
for query, where in [("", "true"), ("pclass=1&sex=female", "pclass = 1 AND sex = 'female'"),
                     ("survived=0&embarked=S", "survived = 0 AND embarked = 'S'"),
                     ("survived=1", "survived = 1"), ("name=smith", "name ILIKE '%smith%'"),
                     ("min_age=60", "age >= 60")]:
    j = api.get("/passengers?" + query).json() or {}
    want = int(db.q(f"SELECT count(*) FROM passengers WHERE {where}"))
    check(j.get("total") == want and j.get("total_is") == "exact",
          f"total of {query or 'everything'}: {j.get('total')} {j.get('total_is')}, SQL {want}")

big = Database("pages_big")
big.load(rows=12000, seed=5)
big_api = Server(big)
CAP = 1000
for query, where in [("", "true"), ("pclass=3", "pclass = 3"), ("survived=1&sex=male",
                                                              "survived = 1 AND sex = 'male'"),
                     ("name=r", "name ILIKE '%r%'"), ("min_age=0", "age >= 0"),
                     ("name=smith", "name ILIKE '%smith%'"), ("max_age=5", "age <= 5")]:
    j = big_api.get("/passengers?" + query).json() or {}
    want = int(big.q(f"SELECT count(*) FROM passengers WHERE {where}"))
    summary = "name" not in query and "age" not in query
    if summary or want <= CAP:
        check(j.get("total") == want and j.get("total_is") == "exact",
              f"12000 rows, {query or 'no filter'}: total {j.get('total')} "
              f"{j.get('total_is')}, want {want} exact")
    else:  # the planner's estimate: above the cap, and not wildly off for one filter
        check(j.get("total_is") == "estimate" and j.get("total", 0) > CAP and
              want / 3 <= j.get("total", 0) <= want * 3,
              f"12000 rows, {query}: total {j.get('total')} {j.get('total_is')}, "
              f"{want} match: an estimate above {CAP}")
check(int(big.q("SELECT count(*) FROM passengers WHERE name ILIKE '%smith%'")) <= CAP <
      int(big.q("SELECT count(*) FROM passengers WHERE age >= 0")),
      "the filters above cover both sides of the cap")
ids, ok, _ = walk(big_api, "/passengers?sort=-age&limit=1000")
check(ok and ids == [int(x) for x in big.q("SELECT passenger_id FROM passengers ORDER BY age "
                                           "DESC NULLS LAST, passenger_id DESC").split()],
      f"12000 rows by -age through cursors: {len(ids)} ids")

# ---- GET /people: the contract's array, paged ----
r = api.get("/people")
people = r.json()
check(r.status == 200 and isinstance(people, list) and len(people) == N and
      r.header("Link") is None, f"/people with {N} rows: one array, no Link: {r.status}")
small = Server(db, PEOPLE_LIST_MAX=100)
seen, path, pages = [], "/people", 0
while path and pages < 100:
    r = small.get(path)
    page = r.json()
    if not check(r.status == 200 and isinstance(page, list), f"{path}: array: {r!r}"[:200]):
        break
    check(len(page) <= 100, f"{path}: at most PEOPLE_LIST_MAX items: {len(page)}")
    seen += [p["uuid"] for p in page]
    path, pages = link_next(r), pages + 1
want = db.q("SELECT uuid FROM passengers ORDER BY passenger_id").split()
check(seen == want, f"/people pages with PEOPLE_LIST_MAX=100: {len(seen)} Persons in {pages} "
      f"pages, every one once in id order (SQL {len(want)})")
check(pages == (N + 99) // 100, f"{pages} pages for {N} rows")
first = small.get("/people").json() or []
check(len(first) == 100 and first == people[:100], "the first page is the contract's array head")
r = small.get("/people?limit=7")
check(r.status == 200 and len(r.json() or []) == 7 and "limit=7" in (link_next(r) or ""),
      f"/people?limit=7: {r.header('Link')}")
for q in ["limit=0", "limit=101", "limit=x", "after=-1", "after=x", "page=2"]:
    r = small.get("/people?" + q)
    check(r.status == 400, f"/people?{q}: 400: {r!r}"[:200])
finish()
