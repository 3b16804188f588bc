#!/usr/bin/env python3
"""Black-box: the Container Solutions "Titanic API" contract. GET /people (Person field names
and JSON types, fare always with a decimal point in the raw text), POST (201, new uuid, a
passengers row with passenger_id >= 1000000000), GET/PUT/DELETE /people/{uuid} with 200/204/404
(malformed and forged uuids are 404), and 400 for invalid bodies."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, standard_setup  # noqa: E402

db, api = standard_setup("people")
N = int(db.q("SELECT count(*) FROM passengers"))
KEYS = {"uuid", "survived", "passengerClass", "name", "sex", "age", "siblingsOrSpousesAboard",
        "parentsOrChildrenAboard", "fare"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def person_ok(p, what):
    ok = check(isinstance(p, dict) and set(p) == KEYS, f"{what}: Person keys {sorted(p or {})}")
    if not ok:
        return False
    return check(isinstance(p["uuid"], str) and UUID.match(p["uuid"]) and
                 (p["survived"] is None or isinstance(p["survived"], bool)) and
                 is_int(p["passengerClass"]) and 1 <= p["passengerClass"] <= 3 and
                 isinstance(p["name"], str) and p["name"] and
                 p["sex"] in ("male", "female", "other") and
                 (p["age"] is None or is_int(p["age"])) and
                 is_int(p["siblingsOrSpousesAboard"]) and is_int(p["parentsOrChildrenAboard"]) and
                 isinstance(p["fare"], float), f"{what}: Person JSON types: {p}")


def raw_fares(text):
    return re.findall(r'"fare":([^,}]*)', text)


# ---- GET /people ----
r = api.get("/people")
people = r.json()
check(r.status == 200 and isinstance(people, list) and len(people) == N,
      f"GET /people: array of all {N}: {r.status}, {len(people or [])}")
check((r.header("Content-Type") or "").startswith("application/json"), "GET /people JSON")
bad = [p for p in people or [] if not (isinstance(p, dict) and set(p) == KEYS)]
check(not bad, f"every Person has exactly the contract's keys: {bad[:1]}")
types_ok = all(person_ok(p, "GET /people item") for p in (people or [])[:5])
check(types_ok, "first Persons well typed")
check(all((p["survived"] is None or isinstance(p["survived"], bool)) and
          is_int(p["passengerClass"]) and (p["age"] is None or is_int(p["age"])) and
          is_int(p["siblingsOrSpousesAboard"]) and is_int(p["parentsOrChildrenAboard"]) and
          isinstance(p["fare"], float) for p in people or []), "every Person well typed")
fares = raw_fares(r.text)
check(len(fares) == N and all(re.fullmatch(r"-?\d+\.\d+([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", f)
                              for f in fares),
      f"every fare written with a decimal point: {[f for f in fares if '.' not in f][:5]}")
whole = int(db.q("SELECT count(*) FROM passengers WHERE fare = trunc(fare)"))
check(whole > 0 and sum(1 for f in fares if f.endswith(".0")) >= whole,
      f"whole fares ({whole}) written like 7.0")
row = db.q("SELECT uuid, name, pclass, survived, floor(age), sibsp, parch, fare, sex "
           "FROM passengers WHERE passenger_id = 1").split("|")
p1 = next((p for p in people or [] if p["uuid"] == row[0]), None)
check(p1 is not None and p1["name"] == row[1] and p1["passengerClass"] == int(row[2]) and
      p1["survived"] == (row[3] == "1") and p1["age"] == (int(row[4]) if row[4] else None) and
      p1["siblingsOrSpousesAboard"] == int(row[5]) and
      p1["parentsOrChildrenAboard"] == int(row[6]) and abs(p1["fare"] - float(row[7])) < 1e-9 and
      p1["sex"] == row[8], f"passenger 1 as a Person matches its row {row}: {p1}")
check(people and people[0]["uuid"] == row[0], "ordered by passenger id")
r = api.get(f"/people/{row[0]}")
check(r.status == 200 and r.json() == p1, f"GET /people/{{uuid of passenger 1}}: {r!r}")
null_age = db.q("SELECT uuid FROM passengers WHERE age IS NULL LIMIT 1")
if null_age:
    r = api.get(f"/people/{null_age}")
    check(r.status == 200 and (r.json() or {}).get("age") is None, "unknown age is null")

# ---- POST ----
NEW = {"survived": True, "passengerClass": 2, "name": "Tester, Mrs. Ada", "sex": "female",
       "age": 36, "siblingsOrSpousesAboard": 1, "parentsOrChildrenAboard": 2, "fare": 7}
r = api.post("/people", NEW)
created = r.json() or {}
check(r.status == 201, f"POST /people: 201: {r!r}")
person_ok(created, "POST /people answer")
check({k: created.get(k) for k in NEW} == dict(NEW, fare=7.0), f"POST echoes the Person: {created}")
check(re.search(r'"fare":7\.0[,}]', r.text) is not None, f"fare 7 written as 7.0: {r.text}")
uuid = created.get("uuid", "")
pid = db.q(f"SELECT passenger_id FROM passengers WHERE uuid = '{uuid}'") if UUID.match(uuid) \
    else ""
check(pid and int(pid) >= 1000000000, f"new passengers row, passenger_id {pid} >= 1000000000")
check(uuid not in {p["uuid"] for p in people or []}, "new uuid")
check(db.q(f"SELECT name, sex, pclass, survived, age, sibsp, parch, fare FROM passengers "
           f"WHERE uuid = '{uuid}'") == "Tester, Mrs. Ada|female|2|1|36|1|2|7",
      f"stored row: {db.q(f'SELECT * FROM passengers WHERE uuid = {chr(39)}{uuid}{chr(39)}')}")
r = api.get(f"/people/{uuid}")
check(r.status == 200 and r.json() == created, f"GET the created person: {r!r}")
check(api.get(f"/passengers/{pid}").status == 200 if pid else False,
      "the created person is a passenger too")
r2 = api.post("/people", dict(NEW, uuid="00000001-0000-0000-0000-000000000000", sex="other",
                              survived=False, fare=12.5, age=0))
c2 = r2.json() or {}
check(r2.status == 201 and c2.get("uuid") not in (uuid, "00000001-0000-0000-0000-000000000000")
      and c2.get("sex") == "other" and c2.get("survived") is False and c2.get("fare") == 12.5,
      f"a second person: a uuid given in the body is ignored, sex other: {r2!r}")
check(len(api.get("/people").json() or []) == N + 2, "GET /people includes the new people")

# ---- PUT ----
CHANGED = dict(NEW, survived=False, passengerClass=1, name="Tester, Mrs. Ada B.", age=37,
               fare=80.25, siblingsOrSpousesAboard=0)
r = api.request("PUT", f"/people/{uuid}", body=CHANGED)
j = r.json() or {}
check(r.status == 200 and j.get("uuid") == uuid and
      {k: j.get(k) for k in CHANGED} == CHANGED, f"PUT: 200 + the updated Person: {r!r}")
check(db.q(f"SELECT name, pclass, survived, age, sibsp, fare FROM passengers "
           f"WHERE uuid = '{uuid}'") == "Tester, Mrs. Ada B.|1|0|37|0|80.25", "PUT stored")
check(api.get(f"/people/{uuid}").json() == j, "GET after PUT")
r = api.request("PUT", f"/people/{uuid}", body=dict(CHANGED, passengerClass=9))
check(r.status == 400 and (r.json() or {}).get("error", {}).get("field") == "passengerClass",
      f"PUT invalid body: 400 passengerClass: {r!r}")
check(api.get(f"/people/{uuid}").json() == j, "invalid PUT changed nothing")

# ---- unknown, malformed and forged uuids ----
forged = uuid[:-1] + ("0" if uuid[-1] != "0" else "1")
gone_id_uuid = "7fffffff" + uuid[8:]
for u, what in [("not-a-uuid", "malformed"), ("00000000-0000-0000-0000-000000000000", "zero"),
                (forged, "forged (last digit changed)"), (gone_id_uuid, "forged id prefix"),
                (uuid + "0", "too long"), (uuid[:-1], "too short"),
                ("zzzzzzzz-0000-0000-0000-000000000000", "not hex"),
                ("ffffffff-ffff-ffff-ffff-ffffffffffff", "max")]:
    for method in ["GET", "PUT", "DELETE"]:
        r = api.request(method, f"/people/{u}", body=NEW if method == "PUT" else None)
        check(r.status == 404 and isinstance((r.json() or {}).get("error"), dict),
              f"{method} /people/{what}: 404: {r!r}")
check(db.q(f"SELECT count(*) FROM passengers") == str(N + 2), "no change from forged uuids")

# ---- DELETE ----
r = api.request("DELETE", f"/people/{uuid}")
check(r.status == 204 and r.body == b"", f"DELETE: 204 with no body: {r!r}")
check(db.q(f"SELECT count(*) FROM passengers WHERE uuid = '{uuid}'") == "0", "row deleted")
check(api.get(f"/people/{uuid}").status == 404, "GET after DELETE: 404")
check(api.request("DELETE", f"/people/{uuid}").status == 404, "DELETE again: 404")
check(api.request("PUT", f"/people/{uuid}", body=NEW).status == 404, "PUT after DELETE: 404")

# ---- invalid bodies ----
cases = [(dict(NEW, survived="yes"), "survived"), (dict(NEW, survived=1), "survived"),
         (dict(NEW, passengerClass=4), "passengerClass"),
         (dict(NEW, passengerClass="1"), "passengerClass"),
         (dict(NEW, passengerClass=1.5), "passengerClass"),
         (dict(NEW, name=""), "name"), (dict(NEW, name=5), "name"),
         (dict(NEW, name="x" * 1000), "name"), (dict(NEW, sex="x"), "sex"),
         (dict(NEW, age=-1), "age"), (dict(NEW, age=121), "age"), (dict(NEW, age="3"), "age"),
         (dict(NEW, age=1e308), "age"),
         (dict(NEW, siblingsOrSpousesAboard=-1), "siblingsOrSpousesAboard"),
         (dict(NEW, parentsOrChildrenAboard=0.5), "parentsOrChildrenAboard"),
         (dict(NEW, fare=-1), "fare"), (dict(NEW, fare="7"), "fare"), (dict(NEW, fare=1e300), "fare"),
         (dict(NEW, pclass=1), "pclass"), (dict(NEW, extra=None), "extra")]
for k in sorted(NEW):
    cases.append(({kk: v for kk, v in NEW.items() if kk != k}, k))
for body, field in cases:
    for method, path in [("POST", "/people"), ("PUT", f"/people/{c2.get('uuid')}")]:
        r = api.request(method, path, body=body)
        check(r.status == 400 and (r.json() or {}).get("error", {}).get("field") == field,
              f"{method} body {json.dumps(body)[:70]}: 400 field {field}: {r!r}")
for raw in [b"", b"[]", b"{", b"null", b"42", b'"x"', b'{"name":"a","name":"b"}',
            b'{"survived":true,"passengerClass":2,"name":"\xff","sex":"male","age":1,'
            b'"siblingsOrSpousesAboard":0,"parentsOrChildrenAboard":0,"fare":1.0}']:
    r = api.request("POST", "/people", body=raw)
    check(r.status == 400, f"POST /people {raw[:40]!r}: 400: {r!r}")
check(int(db.q("SELECT count(*) FROM passengers")) == N + 1, "invalid bodies stored nothing")
r = api.post("/people", dict(NEW, name="Robert'); DROP TABLE passengers;--"))
check(r.status == 201 and (r.json() or {}).get("name") == "Robert'); DROP TABLE passengers;--",
      f"SQL-looking name stored as text: {r!r}")
check(int(db.q("SELECT count(*) FROM passengers")) == N + 2, "table intact")
check(api.get("/health").status == 200, "still serving")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
