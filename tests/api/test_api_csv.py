"""Accept: text/csv on /passengers, /people and /stats/survival (issue 21), black-box.

/passengers: the header line names the columns, RFC 4180 (CRLF, names with commas quoted), the
same rows as the JSON pages for the same filters and sort, from an after= cursor on, limit caps
the rows. /people: the Person columns and the same Link. /stats/survival: the JSON groups and the
overall row. Then 1M generated rows (20k in sanitizer builds) streamed to a slow reader while the
server's resident memory stays flat (within 16 MiB of where it started: no list held in memory).
"""
import csv
import http.client
import io
import os
import subprocess
import time

import apitest
from apitest import TMP, check, finish, log, standard_setup

CSV = {"Accept": "text/csv"}


def sanitized():
    with open(os.environ.get("TITANIC_API", ""), "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


if os.environ.get("TITANIC_API") and sanitized():
    # ASan holds freed memory in quarantine (256 MiB by default), which would read as growth.
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
db, api = standard_setup("csv")
COLUMNS = ["passenger_id", "uuid", "survived", "pclass", "name", "sex", "age", "sibsp", "parch",
           "ticket", "fare", "cabin", "embarked"]



def rows_of(r):
    return list(csv.reader(io.StringIO(r.body.decode("utf-8"), newline="")))


def as_text(v):
    return "" if v is None else str(v) if not isinstance(v, float) else f"{v:.15g}"


# ---- /passengers
r = api.get("/passengers?pclass=1&sort=-fare", headers=CSV)
check(r.status == 200 and r.header("Content-Type").startswith("text/csv"), f"CSV answer: {r!r}")
check(r.body.startswith((",".join(COLUMNS) + "\r\n").encode()), f"header line: {r.body[:120]!r}")
got = rows_of(r)
json_rows, path = [], "/passengers?pclass=1&sort=-fare&limit=100"
while path:
    j = api.get(path).json()
    json_rows += j["items"]
    path = j["next"]
want = [[as_text(p[c]) for c in COLUMNS] for p in json_rows]
check(got[0] == COLUMNS and got[1:] == want,
      f"the same {len(want)} rows as the JSON pages, in order: {got[1:3]} vs {want[:2]}")
check(any("," in row[4] for row in got[1:]) and b'"' in r.body, "names with commas are quoted")
first = api.get("/passengers?pclass=1&sort=-fare&limit=10").json()
cursor = first["next"].split("after=")[1].split("&")[0]
r = api.get(f"/passengers?pclass=1&sort=-fare&after={cursor}", headers=CSV)
check(rows_of(r)[1:] == want[10:], f"from a cursor: the rows after it ({len(rows_of(r)) - 1})")
r = api.get("/passengers?sort=name&limit=7", headers=CSV)
check(r.status == 200 and len(rows_of(r)) == 8, f"limit=7: 7 rows: {len(rows_of(r)) - 1}")
r = api.get("/passengers?pclass=4", headers=CSV)
check(r.status == 400, f"a bad filter is still a 400: {r!r}")

# ---- /people
r = api.get("/people?limit=3", headers=CSV)
rows = rows_of(r)
people = api.get("/people?limit=3").json()
check(r.status == 200 and rows[0] == ["uuid", "survived", "passengerClass", "name", "sex", "age",
                                      "siblingsOrSpousesAboard", "parentsOrChildrenAboard", "fare"],
      f"/people header: {rows[:1]}")
check([x[0] for x in rows[1:]] == [p["uuid"] for p in people] and
      [x[1] for x in rows[1:]] == [str(p["survived"]).lower() for p in people],
      f"/people rows as the JSON page: {rows[1:]}")
check(r.header("Link") == api.get("/people?limit=3").header("Link") and r.header("Link"),
      f"/people: the same Link: {r.header('Link')}")

# ---- /stats/survival
r = api.get("/stats/survival?by=pclass,sex", headers=CSV)
rows = rows_of(r)
j = api.get("/stats/survival?by=pclass,sex").json()
check(rows[0] == ["scope", "pclass", "sex", "passengers", "known", "survived", "survival_rate"],
      f"stats header: {rows[:1]}")
check(len(rows) == len(j["groups"]) + 2 and rows[-1][0] == "overall" and
      int(rows[-1][3]) == j["overall"]["passengers"], f"stats: every group and overall: {rows}")
check([[g["pclass"], g["sex"], g["passengers"]] for g in j["groups"]] ==
      [[int(x[1]), x[2], int(x[3])] for x in rows[1:-1]], "stats groups as the JSON ones")

# ---- 1M rows, flat memory


# 1M rows; 20k (20 pages) under ASan or TSan, which load and stream many times slower.
N = int(os.environ.get("TITANIC_CSV_ROWS", "20000" if sanitized() else "1000000"))
big = os.path.join(TMP, "big.csv")
with open(big, "w") as out:
    subprocess.run([apitest.ETL, "--generate", str(N), "--seed", "3"], stdout=out, check=True,
                   timeout=600)
t0 = time.monotonic()
subprocess.run([apitest.ETL, "--no-progress", big], env=db.env(), check=True, capture_output=True,
               timeout=900)
total = int(db.q("SELECT count(*) FROM passengers"))
log(f"loaded {N} rows in {time.monotonic() - t0:.1f} s; {total} passengers")


def rss():
    with open(f"/proc/{api.proc.pid}/status") as f:
        return next(int(x.split()[1]) * 1024 for x in f if x.startswith("VmRSS:"))


conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=120)
conn.request("GET", "/passengers", headers=CSV)
resp = conn.getresponse()
start, peak, lines, size, t0 = rss(), 0, 0, 0, time.monotonic()
while True:
    chunk = resp.read(1 << 20)
    if not chunk:
        break
    lines += chunk.count(b"\n")  # a chunk may split a CRLF
    size += len(chunk)
    peak = max(peak, rss())
    if lines < N // 10:
        time.sleep(0.01)  # a slow reader at first: the server must not run ahead into memory
conn.close()
log(f"streamed {size >> 20} MiB, {lines - 1} rows in {time.monotonic() - t0:.1f} s; RSS "
    f"{start >> 20} MiB at the start, peak {peak >> 20} MiB")
check(resp.status == 200 and lines == total + 1, f"every row: {lines - 1} of {total}")
check(peak - start < 16 << 20, f"RSS flat while streaming: {start} -> peak {peak}")
finish()
