#!/usr/bin/env python3
"""Black-box: /health, /ready (503 without a model, then 200 after titanic-train without a
restart: LISTEN/NOTIFY), /passengers/{id}, /passengers (filters, sort, paging, errors),
/stats/survival (against SQL), /model, /models, /model/report, /metrics (counters move),
/openapi.json, unknown paths (404), wrong methods (405 + Allow), HEAD, and the JSON access log."""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, log, standard_setup, wait_until  # noqa: E402

# The server starts before any model exists; MODEL_POLL_SECONDS is an hour so only NOTIFY can
# make it ready.
db, api = standard_setup("endpoints", train=False, MODEL_POLL_SECONDS=3600)
N = int(db.q("SELECT count(*) FROM passengers"))
check(N == 891, f"891 generated passengers loaded, got {N}")


def expect_error(r, status, field, what):
    """status and the error object {"error":{"status","message","field"}}."""
    j = r.json()
    ok = check(r.status == status, f"{what}: status {r.status}, expected {status}: {r!r}")
    if ok:
        e = j.get("error") if isinstance(j, dict) else None
        check(isinstance(e, dict) and e.get("status") == status and
              isinstance(e.get("message"), str) and e["message"] and "field" in e,
              f"{what}: error object shape: {r!r}")
        if isinstance(e, dict) and field is not ...:
            check(e.get("field") == field, f"{what}: error field {e.get('field')!r}, "
                  f"expected {field!r}")
    check(r.header("Content-Type", ) == "application/json" if r.status >= 400 else True,
          f"{what}: Content-Type {r.header('Content-Type')}")


# ---- health and readiness before any model ----
r = api.get("/health")
check(r.status == 200 and r.json() == {"status": "ok"}, f"/health: {r!r}")
r = api.get("/ready")
expect_error(r, 503, None, "/ready without a model")
check("model" in r.text, f"/ready without a model says why: {r!r}")
expect_error(api.post("/predict", {"pclass": 1, "sex": "female"}), 503, None,
             "/predict without a model")
expect_error(api.get("/model"), 503, None, "/model without a model")
for path in ("/passengers/1/prediction", "/passengers/999999/prediction"):
    expect_error(api.get(path), 503, None, f"{path} without a model")
expect_error(api.post("/predict", {"passenger_id": 1}), 503, None,
             "/predict of a stored passenger without a model")
expect_error(api.get("/model/report"), 404, None, "/model/report without a model")
r = api.get("/models")
check(r.status == 200 and r.json() == {"models": []}, f"/models without a model: {r!r}")
check(api.metrics().get("titanic_model_version") == 0, "titanic_model_version 0 without a model")

# ---- train: the running server picks the model up by NOTIFY, no restart ----
db.train()
r = wait_until(lambda: (lambda x: x if x.status == 200 else None)(api.get("/ready")), 10)
check(r is not None and r.json() == {"status": "ready", "model_version": 1},
      f"/ready becomes 200 after titanic-train (NOTIFY): {api.get('/ready')!r}")
check(api.proc.poll() is None, "server still running after the reload")

# ---- one passenger ----
row = db.q("SELECT passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch, "
           "coalesce(ticket,''), fare, coalesce(cabin,''), coalesce(embarked,'') "
           "FROM passengers WHERE passenger_id = 2").split("|")
r = api.get("/passengers/2")
p = r.json() or {}
check(r.status == 200, f"/passengers/2: {r!r}")
check(set(p) == {"passenger_id", "uuid", "survived", "pclass", "name", "sex", "age", "sibsp",
                 "parch", "ticket", "fare", "cabin", "embarked"}, f"passenger keys: {sorted(p)}")
check(p.get("passenger_id") == 2 and p.get("uuid") == row[1] and p.get("name") == row[4] and
      p.get("sex") == row[5] and p.get("pclass") == int(row[3]) and
      p.get("survived") == int(row[2]) and p.get("sibsp") == int(row[7]) and
      p.get("parch") == int(row[8]) and abs(p.get("fare", -1) - float(row[10])) < 1e-9 and
      (p.get("ticket") or "") == row[9] and (p.get("embarked") or "") == row[12],
      f"/passengers/2 matches the row {row}: {p}")
for bad in ["0", "-1", "abc", "1.5", "1e3", "99999999999999999999", "2147483648", "%201", "0x10",
            "", "+1", "01x"]:
    expect_error(api.get(f"/passengers/{bad}"), 400, "id", f"/passengers/{bad}")
for missing in ["999999", "2147483647", "892"]:
    expect_error(api.get(f"/passengers/{missing}"), 404, ..., f"/passengers/{missing}")

# ---- lists ----
def lst(query):
    return api.get("/passengers?" + query)


def sql_count(where):
    return int(db.q(f"SELECT count(*) FROM passengers WHERE {where}"))


r = lst("")
j = r.json() or {}
check(r.status == 200 and j.get("total") == N and len(j.get("items", [])) == 50 and
      j.get("limit") == 50 and j.get("offset") == 0, f"/passengers default page: total "
      f"{j.get('total')}, {len(j.get('items', []))} items")
check([i["passenger_id"] for i in j.get("items", [])] == list(range(1, 51)),
      "default order is passenger_id ascending")

filters = [
    ("pclass=1", "pclass = 1", lambda i: i["pclass"] == 1),
    ("sex=female", "sex = 'female'", lambda i: i["sex"] == "female"),
    ("survived=1", "survived = 1", lambda i: i["survived"] == 1),
    ("survived=0", "survived = 0", lambda i: i["survived"] == 0),
    ("embarked=C", "embarked = 'C'", lambda i: i["embarked"] == "C"),
    ("min_age=10&max_age=20", "age BETWEEN 10 AND 20",
     lambda i: i["age"] is not None and 10 <= i["age"] <= 20),
    ("min_age=60.5", "age >= 60.5", lambda i: i["age"] >= 60.5),
    ("pclass=3&sex=male&embarked=S&survived=1",
     "pclass = 3 AND sex = 'male' AND embarked = 'S' AND survived = 1",
     lambda i: (i["pclass"], i["sex"], i["embarked"], i["survived"]) == (3, "male", "S", 1)),
    ("name=mrs", "name ILIKE '%mrs%'", lambda i: "mrs" in i["name"].lower()),
    ("name=MRS.", "name ILIKE '%mrs.%'", lambda i: "mrs." in i["name"].lower()),
]
for query, where, pred in filters:
    r = lst(query + "&limit=1000")
    j = r.json() or {}
    want = sql_count(where)
    items = j.get("items", [])
    check(r.status == 200 and j.get("total") == want and len(items) == min(want, 1000),
          f"/passengers?{query}: total {j.get('total')}, {len(items)} items, SQL says {want}")
    check(want > 0, f"filter {query} selects something in the generated data")
    check(all(pred(i) for i in items), f"/passengers?{query}: every item matches")

# name: % and _ are literal characters, and SQL in a value is just text.
for name in ["Percent, Mr. 100% Sure", "Under, Mr. Snake_Case"]:
    r = api.post("/people", {"survived": False, "passengerClass": 3, "name": name, "sex": "male",
                             "age": 30, "siblingsOrSpousesAboard": 0,
                             "parentsOrChildrenAboard": 0, "fare": 7.25})
    check(r.status == 201, f"POST /people {name!r}: {r!r}")
for needle, expect_name in [("%", "Percent, Mr. 100% Sure"), ("_", "Under, Mr. Snake_Case"),
                            ("0% s", "Percent, Mr. 100% Sure"), ("e_c", "Under, Mr. Snake_Case")]:
    r = lst("name=" + urllib.parse.quote(needle))
    j = r.json() or {}
    names = [i["name"] for i in j.get("items", [])]
    check(r.status == 200 and j.get("total") == 1 and names == [expect_name],
          f"name={needle!r} is a literal substring: total {j.get('total')}, {names[:3]}")
for needle in ["' OR '1'='1", "'; DROP TABLE passengers;--", "\\", "%%"]:
    r = lst("name=" + urllib.parse.quote(needle))
    j = r.json() or {}
    check(r.status == 200 and j.get("total") == 0, f"name={needle!r} matches nothing: {r!r}")
check(int(db.q("SELECT count(*) FROM passengers")) == N + 2, "passengers table intact")

# sort
for sort, key, desc in [("age", "age", False), ("-age", "age", True), ("fare", "fare", False),
                        ("-fare", "fare", True), ("name", "name", False),
                        ("-passenger_id", "passenger_id", True), ("pclass", "pclass", False),
                        ("-survived", "survived", True)]:
    r = lst(f"sort={sort}&limit=1000")
    items = (r.json() or {}).get("items", [])
    vals = [i[key] for i in items]
    known = [v for v in vals if v is not None]
    nulls_last = vals[len(known):] == [None] * (len(vals) - len(known))
    if key == "name":
        ordered = len(known) == len(vals)  # collation order is PostgreSQL's; count only
    else:
        ordered = known == sorted(known, reverse=desc)
    check(r.status == 200 and len(items) == min(N + 2, 1000) and ordered and nulls_last,
          f"sort={sort}: ordered {ordered}, nulls last {nulls_last}, {len(items)} items")
r = lst("sort=-passenger_id&limit=1")
check((r.json() or {}).get("items", [{}])[0].get("passenger_id") ==
      int(db.q("SELECT max(passenger_id) FROM passengers")), "sort=-passenger_id first is max")

# paging
a = (lst("limit=20").json() or {}).get("items", [])
b = (lst("limit=10&offset=10").json() or {}).get("items", [])
check(len(a) == 20 and a[10:] == b, "limit=10&offset=10 is the second half of limit=20")
r = lst("limit=1000")
check(r.status == 200 and len((r.json() or {}).get("items", [])) == min(N + 2, 1000),
      "limit=1000 allowed (max)")
r = lst(f"offset={N - 1}&limit=5")
j = r.json() or {}
check(len(j.get("items", [])) == 3 and j.get("total") == N + 2, f"last page: {r!r}"[:200])
r = lst("offset=10000")
j = r.json() or {}
check(r.status == 200 and j.get("items") == [] and j.get("total") == N + 2,
      f"offset past the end: empty items, total still {N + 2}: {r!r}")
r = lst("offset=10000&pclass=1")
j = r.json() or {}
check(r.status == 200 and j.get("total") == sql_count("pclass = 1"), f"deepest offset: {r!r}")
# Deeper offsets cost a read of every row before them: refused, pointing to the cursor
# (test_api_pages walks the cursors).
for off in ["10001", "2147483647"]:
    r = lst(f"offset={off}&pclass=1")
    check(r.status == 400 and r.error_field() == "offset" and "after" in r.text,
          f"offset={off}: 400 pointing to after=: {r!r}"[:200])

for query, field in [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=-1", "limit"),
                     ("limit=abc", "limit"), ("limit=", "limit"), ("limit=1.5", "limit"),
                     ("offset=-1", "offset"), ("offset=x", "offset"),
                     ("offset=99999999999999999999", "offset"),
                     ("pclass=4", "pclass"), ("pclass=0", "pclass"), ("pclass=1.0", "pclass"),
                     ("pclass=", "pclass"), ("sex=x", "sex"), ("sex=Male", "sex"),
                     ("survived=2", "survived"), ("survived=true", "survived"),
                     ("embarked=X", "embarked"), ("embarked=SS", "embarked"),
                     ("min_age=-1", "min_age"), ("min_age=abc", "min_age"),
                     ("max_age=121", "max_age"), ("max_age=1e308", "max_age"),
                     ("max_age=nan", "max_age"), ("sort=bogus", "sort"), ("sort=-", "sort"),
                     ("sort=age;DROP", "sort"), ("sort=--age", "sort"),
                     ("name=" + "x" * 300, "name"), ("name=a%01b", "name"),
                     ("foo=1", "foo"), ("pclass=1&Pclass=1", "Pclass")]:
    expect_error(lst(query), 400, field, f"/passengers?{query[:40]}")

# ---- statistics, reconciled with SQL ----
BANDS = {
    "pclass": "pclass::text",
    "sex": "sex",
    "embarked": "coalesce(embarked, 'null')",
    "age_band": "CASE WHEN age IS NULL THEN 'unknown' WHEN age < 12 THEN '0-11' WHEN age < 18 "
                "THEN '12-17' WHEN age < 30 THEN '18-29' WHEN age < 45 THEN '30-44' "
                "WHEN age < 60 THEN '45-59' ELSE '60+' END",
    "family_size_band": "CASE WHEN sibsp + parch = 0 THEN 'alone' WHEN sibsp + parch <= 3 "
                        "THEN '2-4' ELSE '5+' END",
}


def sql_groups(dims):
    keys = ", ".join(BANDS[d] for d in dims)
    out = {}
    for line in db.q(f"SELECT {keys}, count(*), count(survived), coalesce(sum(survived), 0) "
                     f"FROM passengers GROUP BY {keys}").splitlines():
        f = line.split("|")
        out[tuple(f[:len(dims)])] = tuple(int(x) for x in f[len(dims):])
    return out


overall_sql = tuple(int(x) for x in db.q(
    "SELECT count(*), count(survived), coalesce(sum(survived), 0) FROM passengers").split("|"))
for by in [[], ["pclass"], ["sex"], ["embarked"], ["age_band"], ["family_size_band"],
           ["pclass", "sex"], ["sex", "age_band"], ["embarked", "family_size_band"],
           ["pclass", "sex", "embarked"], ["age_band", "family_size_band", "sex"]]:
    r = api.get("/stats/survival" + ("?by=" + ",".join(by) if by else ""))
    j = r.json() or {}
    if not check(r.status == 200, f"/stats/survival by={by}: {r!r}"):
        continue
    o = j.get("overall", {})
    check(j.get("by") == by, f"by={by}: echoes by {j.get('by')}")
    check((o.get("passengers"), o.get("known"), o.get("survived")) == overall_sql,
          f"by={by}: overall {o} vs SQL {overall_sql}")
    got = {}
    rates_ok = True
    for g in j.get("groups", []):
        key = tuple("null" if g.get(d) is None else str(g.get(d)) for d in by)
        got[key] = (g.get("passengers"), g.get("known"), g.get("survived"))
        if g.get("known"):
            rates_ok &= abs(g.get("survival_rate", -1) - g["survived"] / g["known"]) < 1e-12
    want = sql_groups(by) if by else {}
    check(got == want, f"by={by}: groups differ from SQL: {sorted(got.items())[:4]} vs "
          f"{sorted(want.items())[:4]}")
    check(rates_ok, f"by={by}: survival_rate = survived / known")
    if by:
        check(sum(v[0] for v in got.values()) == overall_sql[0], f"by={by}: groups sum to all")
r = api.get("/stats/survival?by=pclass")
check(isinstance(((r.json() or {}).get("groups") or [{}])[0].get("pclass"), int),
      "pclass groups are integers")
for q, field in [("by=foo", "by"), ("by=pclass,pclass", "by"),
                 ("by=pclass,sex,embarked,age_band", "by"), ("by=Pclass", "by"),
                 ("by=pclass;DROP", "by"), ("by=" + "pclass," * 40, "by"), ("bye=1", "bye"),
                 ("by=sex&x=1", "x")]:
    expect_error(api.get("/stats/survival?" + q), 400, field, f"/stats/survival?{q[:40]}")

# ---- model metadata and report ----
active = int(db.q("SELECT version FROM models WHERE active"))
r = api.get("/model")
m = r.json() or {}
check(r.status == 200 and m.get("version") == active, f"/model version {m.get('version')} vs "
      f"active {active}")
check(isinstance(m.get("features"), dict) and m.get("format") == "titanic-survival-logit",
      f"/model has format and features: {sorted(m)}")
r = api.get("/models")
ms = (r.json() or {}).get("models", [])
check(r.status == 200 and len(ms) == int(db.q("SELECT count(*) FROM models")) and
      [x.get("active") for x in ms if x.get("version") == active] == [True],
      f"/models lists every version, the active one flagged: {r!r}"[:300])
check(all(isinstance(x.get("metrics"), dict) and isinstance(x.get("created_at"), str)
          for x in ms), "/models entries have metrics and created_at")
r = api.get("/model/report")
check(r.status == 200 and (r.header("Content-Type") or "").startswith("text/html") and
      "<html" in r.text.lower() and "<svg" in r.text.lower(), f"/model/report HTML with SVG "
      f"plots: {r.status} {r.header('Content-Type')} {len(r.body)} bytes")

# ---- OpenAPI document ----
r = api.get("/openapi.json")
doc = r.json()
check(r.status == 200 and isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3"),
      "/openapi.json is an OpenAPI 3 JSON document")
paths = set((doc or {}).get("paths", {}))
check({"/health", "/ready", "/passengers", "/passengers/{id}", "/passengers/{id}/prediction",
       "/stats/survival", "/predict", "/model", "/models", "/model/report", "/people",
       "/people/{uuid}", "/metrics", "/openapi.json"} <= paths, f"/openapi.json paths: {paths}")
src = os.environ.get("TITANIC_SOURCE_DIR")
if src:
    with open(os.path.join(src, "api", "openapi.json")) as f:
        check(json.load(f) == doc, "/openapi.json serves api/openapi.json of this checkout")

# ---- unknown paths, methods, HEAD ----
for path in ["/nope", "/passengers/1/nope", "/passengers/1/prediction/x",
             "/people/a/b", "/health/", "//health", "/a/b/c/d/e/f", "/stats", "/model/x"]:
    expect_error(api.get(path), 404, ..., f"GET {path}")
for method, path, allow in [("DELETE", "/health", "GET"), ("POST", "/ready", "GET"),
                            ("GET", "/predict", "POST"), ("PUT", "/predict", "POST"),
                            ("POST", "/passengers", "GET"), ("DELETE", "/passengers/1", "GET"),
                            ("POST", "/passengers/1/prediction", "GET"),
                            ("PATCH", "/people", "GET, POST"),
                            ("POST", "/people/00000001-0000-0000-0000-000000000000",
                             "GET, PUT, DELETE"),
                            ("POST", "/metrics", "GET"), ("PUT", "/model", "GET")]:
    r = api.request(method, path, body="{}" if method in ("POST", "PUT", "PATCH") else None)
    expect_error(r, 405, None, f"{method} {path}")
    check(r.header("Allow") == allow, f"{method} {path}: Allow {r.header('Allow')!r}, "
          f"expected {allow!r}")
r = api.request("HEAD", "/health")
check(r.status == 200 and r.body == b"", f"HEAD /health: {r!r}")

# ---- metrics move ----
before = api.metrics()
for _ in range(3):
    api.get("/definitely/not/here")
api.get("/passengers/999999")
api.get("/passengers/abc")
api.post("/predict", {"pclass": 2, "sex": "male"})
api.request("DELETE", "/health")
# A request is counted when its response is complete, just after the client has it, by the
# worker thread that served it: wait until every one has landed (the last request's worker may
# finish before an earlier one's, as seen under ThreadSanitizer) before reading the counters.
EXPECTED = {'titanic_http_requests_total{route="unmatched",method="GET",code="404"}': 3,
            'titanic_http_requests_total{route="/passengers/{id}",method="GET",code="404"}': 1,
            'titanic_http_requests_total{route="/passengers/{id}",method="GET",code="400"}': 1,
            'titanic_http_requests_total{route="/predict",method="POST",code="200"}': 1,
            'titanic_http_requests_total{route="/health",method="DELETE",code="405"}': 1}
after = wait_until(lambda: (lambda m: m if all(m.get(k, 0) - before.get(k, 0) >= n
                                               for k, n in EXPECTED.items()) else None)(
    api.metrics()), 5) or api.metrics()


def moved(key, n):
    d = after.get(key, 0) - before.get(key, 0)
    check(d == n, f"metric {key} moved by {d}, expected {n}")


moved('titanic_http_requests_total{route="unmatched",method="GET",code="404"}', 3)
moved('titanic_http_requests_total{route="/passengers/{id}",method="GET",code="404"}', 1)
moved('titanic_http_requests_total{route="/passengers/{id}",method="GET",code="400"}', 1)
moved('titanic_http_requests_total{route="/predict",method="POST",code="200"}', 1)
moved('titanic_http_requests_total{route="/health",method="DELETE",code="405"}', 1)
moved('titanic_http_request_duration_seconds_count{route="unmatched"}', 3)
check(after.get('titanic_http_requests_total{route="/metrics",method="GET",code="200"}', 0) >
      before.get('titanic_http_requests_total{route="/metrics",method="GET",code="200"}', 0),
      "/metrics requests are counted")
inf = after.get('titanic_http_request_duration_seconds_bucket{route="/predict",le="+Inf"}')
cnt = after.get('titanic_http_request_duration_seconds_count{route="/predict"}')
check(inf is not None and inf == cnt and
      after.get('titanic_http_request_duration_seconds_sum{route="/predict"}', -1) > 0,
      f"/predict histogram: +Inf bucket {inf} == count {cnt}, sum > 0")
buckets = [v for k, v in after.items()
           if k.startswith('titanic_http_request_duration_seconds_bucket{route="/passengers"')]
check(len(buckets) >= 10 and buckets == sorted(buckets), "histogram buckets are cumulative")
check(after.get("titanic_model_version") == active, f"titanic_model_version "
      f"{after.get('titanic_model_version')} == {active}")
check(any(k.startswith("titanic_build_info{") for k in after), "titanic_build_info present")
check(after.get('titanic_db_connections{state="open"}', 0) >= 1, "db connections open >= 1")
r = api.get("/metrics")
check((r.header("Content-Type") or "").startswith("text/plain"), "metrics are text/plain")

# ---- access log ----
api.get("/odd%22path%5Cwith%01controls")
# The access log line is written when the response is complete, just after the client has it.
wait_until(lambda: any(x.get("path", "").startswith("/odd") for x in api.log_lines()), 5)
lines = api.log_lines()
unparsed = [x["_raw"] for x in lines if "_raw" in x]
check(not unparsed, f"every stderr line is JSON: {unparsed[:2]}")
reqs = [x for x in lines if x.get("message") == "request"]
good = all(isinstance(x.get("method"), str) and isinstance(x.get("path"), str) and
           isinstance(x.get("status"), int) and isinstance(x.get("us"), (int, float)) and
           isinstance(x.get("bytes"), int) for x in reqs)
check(len(reqs) > 100 and good, f"{len(reqs)} access log lines with method, path, status, us, "
      "bytes")
hit = [x for x in reqs if x.get("path") == "/passengers/999999" and x.get("status") == 404]
check(hit and hit[-1].get("method") == "GET" and hit[-1].get("bytes", 0) > 0,
      f"access log line for GET /passengers/999999 404: {hit[-1:]}")
hit = [x for x in reqs if x.get("path") == "/passengers/2" and x.get("status") == 200]
check(hit and hit[0]["bytes"] == len(api.get("/passengers/2", headers={}).body),
      "access log bytes = body length")
check(any(x.get("path", "").startswith("/odd") for x in reqs), "odd path logged as valid JSON")

check(api.get("/health").status == 200 and api.proc.poll() is None, "still serving at the end")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
log(f"{len(reqs)} requests logged")
finish()
