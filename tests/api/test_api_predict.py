#!/usr/bin/env python3
"""Black-box: POST /predict (single, Kaggle spellings, imputation, explain, batch, stored
passenger) and GET /passengers/{id}/prediction; every kind of bad body gets 400 naming the
field (wrong types, out-of-range and absurd numbers, unknown and duplicate keys, malformed JSON,
non-object bodies, deep nesting, invalid UTF-8) and the server keeps serving."""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, standard_setup  # noqa: E402

db, api = standard_setup("predict")
active = int(db.q("SELECT version FROM models WHERE active"))
rows_before = int(db.q("SELECT count(*) FROM passengers"))


def predict(body, query="", raw=False):
    return api.request("POST", "/predict" + query, body=body if raw else json.dumps(body))


def expect_400(r, field, what):
    j = r.json()
    e = j.get("error") if isinstance(j, dict) else None
    if check(r.status == 400 and isinstance(e, dict), f"{what}: expected 400, got {r!r}"):
        check(e.get("status") == 400 and isinstance(e.get("message"), str),
              f"{what}: error shape {e}")
        if field is not ...:
            check(e.get("field") == field, f"{what}: field {e.get('field')!r}, expected "
                  f"{field!r} ({e.get('message')})")


def prob(r):
    j = r.json() or {}
    return j.get("probability")


OURS = {"pclass": 3, "sex": "male", "age": 22, "sibsp": 1, "parch": 0, "fare": 7.25,
        "embarked": "S", "name": "Braund, Mr. Owen Harris", "ticket": "A/5 21171",
        "cabin": None}
KAGGLE = {"PassengerId": 1, "Survived": 0, "Pclass": 3, "Name": "Braund, Mr. Owen Harris",
          "Sex": "male", "Age": 22, "SibSp": 1, "Parch": 0, "Ticket": "A/5 21171",
          "Fare": 7.25, "Cabin": None, "Embarked": "S"}

# ---- single ----
r = predict(OURS)
j = r.json() or {}
check(r.status == 200 and set(j) == {"probability", "survived", "model_version", "path",
                                     "imputed"}, f"single prediction: {r!r}")
check(j.get("path") == "named" and j.get("imputed") == [], f"named path, nothing imputed: {j}")
p = j.get("probability", -1)
check(isinstance(p, float) and 0 < p < 1, f"probability in (0,1): {p}")
check(isinstance(j.get("survived"), bool) and j.get("model_version") == active,
      f"survived is a bool, model_version {j.get('model_version')} == {active}")
check(prob(predict(KAGGLE)) == p, f"Kaggle's capitalised names give the same probability: "
      f"{prob(predict(KAGGLE))} vs {p}")
mixed = dict(OURS)
mixed.pop("age")
mixed["Age"] = 22
check(prob(predict(mixed)) == p, "mixed spellings give the same probability")
# Issue 20: the ETL's spellings exactly (core/passenger.c), so CSV and JSON accept the same values.
for field, value in (("sex", "MALE"), ("sex", "Female"), ("embarked", "s")):
    r = predict(dict(OURS, **{field: value}))
    check(r.status == 400 and r.error_field() == field and "expected" in r.text,
          f"{field} {value!r} refused as the CSV loader refuses it: {r!r}")
woman = prob(predict(dict(OURS, sex="female", name="Braund, Mrs. Owen")))
check(woman is not None and woman > p, f"a woman in the same place is likelier to survive: "
      f"{woman} vs {p}")
first = prob(predict(dict(OURS, pclass=1)))
check(first is not None and first > p, f"first class is likelier to survive: {first} vs {p}")
thresh_ok = True
for body in [OURS, dict(OURS, sex="female"), dict(OURS, pclass=1, sex="female")]:
    jj = predict(body).json() or {}
    thresh_ok &= jj.get("survived") == (jj.get("probability", 0) >= 0.5)
check(thresh_ok, "survived == probability >= 0.5 (the model's threshold)")

# ---- imputation: absent fields are filled exactly as in training ----
model = api.get("/model").json() or {}
imp = (model.get("features") or {}).get("imputation") or model.get("imputation") or {}
by_title = imp.get("age_by_title") or {}
check({"Mr", "Mrs", "Miss", "Master"} <= set(by_title), f"model imputation.age_by_title: {imp}")
minimal = predict({"pclass": 3, "sex": "male"})
check(minimal.status == 200, f"only the required fields: {minimal!r}")
# Without a name the form model answers (docs/model.md): its own median age.
form_imp = ((model.get("form") or {}).get("features") or {}).get("imputation") or {}
check(minimal.json().get("path") == "form" and "age" in minimal.json().get("imputed", []),
      f"a nameless request: form path, age imputed: {minimal.json()}")
if "age_median" in form_imp:
    check(prob(minimal) == prob(predict({"pclass": 3, "sex": "male", "age": form_imp["age_median"],
                                         "sibsp": 0, "parch": 0})),
          "absent age = the form model's median age, absent sibsp/parch = 0")
    check(prob(predict({"pclass": 3, "sex": "male", "age": None})) == prob(minimal),
          "age null is absent age")
if "Mrs" in by_title:
    a = {"pclass": 2, "sex": "female", "name": "Smith, Mrs. John"}
    check(prob(predict(a)) == prob(predict(dict(a, age=by_title["Mrs"]))),
          "absent age for a Mrs = the Mrs median")
if "Master" in by_title:
    a = {"pclass": 3, "sex": "male", "name": "Palsson, Master. Gosta", "sibsp": 3, "parch": 1}
    check(prob(predict(a)) == prob(predict(dict(a, age=by_title["Master"]))),
          "absent age for a Master = the Master median")
check(predict({"pclass": 1, "sex": "female", "fare": None, "embarked": None, "ticket": None,
               "cabin": None, "name": None}).status == 200, "nulls for optional text/number")

# ---- explain: contributions sum to the log-odds ----
for body in [OURS, {"pclass": 1, "sex": "female", "age": 30}, {"pclass": 2, "sex": "male"},
             dict(KAGGLE, Sex="female", Name="Braund, Miss. Olive")]:
    r = predict(body, "?explain=true")
    j = r.json() or {}
    ex = j.get("explanation")
    if check(r.status == 200 and isinstance(ex, dict) and ex, f"explain=true: {r!r}"):
        pp = j["probability"]
        total = sum(ex.values())
        check(abs(total - math.log(pp / (1 - pp))) < 1e-9,
              f"explanation sums to logit(p): {total} vs {math.log(pp / (1 - pp))}")
        check(prob(predict(body)) == pp, "explain does not change the probability")
        check("intercept" in ex, "explanation has the intercept")
check("explanation" not in (predict(OURS, "?explain=false").json() or {}), "explain=false")
for q, field in [("?explain=maybe", "explain"), ("?explain=", "explain"), ("?x=1", "x"),
                 ("?explain=true&verbose=1", "verbose")]:
    expect_400(predict(OURS, q), field, f"POST /predict{q}")

# ---- batch ----
batch = [OURS, KAGGLE, {"pclass": 1, "sex": "female"}, dict(OURS, pclass=2, age=4.5)]
singles = [prob(predict(b)) for b in batch]
r = predict({"passengers": batch})
j = r.json() or {}
got = [x.get("probability") for x in j.get("predictions", [])]
check(r.status == 200 and got == singles and j.get("model_version") == active,
      f"batch answers in order, as singles: {got} vs {singles}")
r = predict({"passengers": batch}, "?explain=true")
check(all("explanation" in x for x in (r.json() or {}).get("predictions", [{}])),
      "batch with explain")
bad_batch = [OURS, OURS, {"pclass": 4, "sex": "male"}]
expect_400(predict({"passengers": bad_batch}), "passengers[2].pclass", "batch, bad pclass at 2")
expect_400(predict({"passengers": [OURS, dict(OURS, age="x")]}), "passengers[1].age",
           "batch, bad age at 1")
expect_400(predict({"passengers": [OURS, {"sex": "male"}]}), "passengers[1].pclass",
           "batch, missing pclass at 1")
expect_400(predict({"passengers": [OURS, {"pclass": 1, "sex": "male", "bogus": 1}]}),
           "passengers[1].bogus", "batch, unknown field at 1")
expect_400(predict({"passengers": [OURS, 5]}), "passengers[1]", "batch, element not an object")
expect_400(predict({"passengers": []}), "passengers", "empty batch")
expect_400(predict({"passengers": OURS}), "passengers", "passengers not an array")
expect_400(predict({"passengers": None}), "passengers", "passengers null")
r = predict({"passengers": [{"pclass": 1 + i % 3, "sex": "female"} for i in range(1000)]})
check(r.status == 200 and len((r.json() or {}).get("predictions", [])) == 1000,
      f"batch of 1000 (the limit): {r.status}")
expect_400(predict({"passengers": [OURS] * 1001}), "passengers", "batch of 1001")
expect_400(predict({"passengers": [OURS], "pclass": 1}), ..., "batch with extra key")

# ---- stored passengers ----
for pid in [1, 2, 100, 891]:
    r = predict({"passenger_id": pid})
    j = r.json() or {}
    g = api.get(f"/passengers/{pid}/prediction")
    check(r.status == 200 and j.get("passenger_id") == pid and g.status == 200 and
          g.json() == j, f"POST {{passenger_id:{pid}}} == GET /passengers/{pid}/prediction: "
          f"{r!r} vs {g!r}")
r = predict({"passenger_id": 3}, "?explain=true")
g = api.get("/passengers/3/prediction?explain=true")
check(r.status == 200 and r.json() == g.json() and "explanation" in (g.json() or {}),
      "explain on stored passengers")
ex = (g.json() or {}).get("explanation", {})
pp = (g.json() or {}).get("probability", 0.5)
check(abs(sum(ex.values()) - math.log(pp / (1 - pp))) < 1e-9, "stored explain sums to logit")
r = predict({"passenger_id": 999999})
check(r.status == 404 and (r.json() or {}).get("error", {}).get("field") == "passenger_id",
      f"unknown passenger_id: 404: {r!r}")
check(api.get("/passengers/999999/prediction").status == 404, "GET unknown prediction 404")
for v in [0, -1, "5", 1.5, None, True, 2147483648, 10**30]:
    expect_400(predict({"passenger_id": v}, raw=False) if v != 10**30 else
               predict('{"passenger_id": 1000000000000000000000000000000}', raw=True),
               "passenger_id" if v != 10**30 else ..., f"passenger_id {v!r}")
for bad in ["0", "-1", "abc", "1.5", "99999999999999999999"]:
    r = api.get(f"/passengers/{bad}/prediction")
    check(r.status == 400 and (r.json() or {}).get("error", {}).get("field") == "id",
          f"/passengers/{bad}/prediction: 400 id: {r!r}")
expect_400(api.get("/passengers/1/prediction?explain=yes"), "explain", "GET prediction explain")

# ---- invalid values: 400 naming the field ----
cases = [
    ({"pclass": "1", "sex": "male"}, "pclass"),
    ({"pclass": 1.0, "sex": "male"}, "pclass"),
    ({"pclass": 4, "sex": "male"}, "pclass"),
    ({"pclass": 0, "sex": "male"}, "pclass"),
    ({"pclass": -1, "sex": "male"}, "pclass"),
    ({"pclass": True, "sex": "male"}, "pclass"),
    ({"pclass": None, "sex": "male"}, "pclass"),
    ({"pclass": [1], "sex": "male"}, "pclass"),
    ({"pclass": 9223372036854775807, "sex": "male"}, "pclass"),
    ({"pclass": -9223372036854775808, "sex": "male"}, "pclass"),
    ({"Pclass": 7, "sex": "male"}, "Pclass"),
    ({"pclass": 1, "sex": "x"}, "sex"),
    ({"pclass": 1, "sex": ""}, "sex"),
    ({"pclass": 1, "sex": 1}, "sex"),
    ({"pclass": 1, "sex": None}, "sex"),
    ({"pclass": 1, "sex": "males"}, "sex"),
    ({"pclass": 1}, "sex"),
    ({"sex": "male"}, "pclass"),
    ({}, "pclass"),
    ({"pclass": 1, "sex": "male", "age": -1}, "age"),
    ({"pclass": 1, "sex": "male", "age": 121}, "age"),
    ({"pclass": 1, "sex": "male", "age": 1e308}, "age"),
    ({"pclass": 1, "sex": "male", "age": -1e-300}, "age"),
    ({"pclass": 1, "sex": "male", "age": "30"}, "age"),
    ({"pclass": 1, "sex": "male", "age": True}, "age"),
    ({"pclass": 1, "sex": "male", "age": {}}, "age"),
    ({"pclass": 1, "sex": "male", "Age": 9223372036854775807}, "Age"),
    ({"pclass": 1, "sex": "male", "fare": -1}, "fare"),
    ({"pclass": 1, "sex": "male", "fare": 1e9}, "fare"),
    ({"pclass": 1, "sex": "male", "fare": "7.25"}, "fare"),
    ({"pclass": 1, "sex": "male", "embarked": "X"}, "embarked"),
    ({"pclass": 1, "sex": "male", "embarked": "SS"}, "embarked"),
    ({"pclass": 1, "sex": "male", "embarked": 1}, "embarked"),
    ({"pclass": 1, "sex": "male", "sibsp": -1}, "sibsp"),
    ({"pclass": 1, "sex": "male", "sibsp": 1.5}, "sibsp"),
    ({"pclass": 1, "sex": "male", "sibsp": "1"}, "sibsp"),
    ({"pclass": 1, "sex": "male", "parch": 100000}, "parch"),
    ({"pclass": 1, "sex": "male", "SibSp": 99999999999}, "SibSp"),
    ({"pclass": 1, "sex": "male", "name": 123}, "name"),
    ({"pclass": 1, "sex": "male", "name": "a" * 300}, "name"),
    ({"pclass": 1, "sex": "male", "name": "bell\u0007"}, "name"),
    ({"pclass": 1, "sex": "male", "ticket": ["x"]}, "ticket"),
    ({"pclass": 1, "sex": "male", "cabin": False}, "cabin"),
    ({"pclass": 1, "sex": "male", "foo": 1}, "foo"),
    ({"pclass": 1, "sex": "male", "PCLASS": 1}, "PCLASS"),
    ({"pclass": 1, "sex": "male", "": 1}, ...),
    ({"pclass": 1, "sex": "male", "Pclass": 1}, ...),  # both spellings: given twice
    ({"pclass": 1, "sex": "male", "Sex": "male"}, ...),
]
for body, field in cases:
    expect_400(predict(body), field, f"body {json.dumps(body)[:80]}")

raw_cases = [
    (b'{"pclass":1,"pclass":2,"sex":"male"}', "duplicate key"),
    (b'{"pclass":1,"sex":"male","sex":"female"}', "duplicate key (2)"),
    (b'{"pclass":1,"sex":"male"', "truncated JSON"),
    (b'{"pclass":1,"sex":"male"} x', "trailing garbage"),
    (b'{"pclass":1,"sex":"male"}{}', "two documents"),
    (b"{'pclass':1,'sex':'male'}", "single quotes"),
    (b'{"pclass":1,"sex":"male",}', "trailing comma"),
    (b"", "empty body"),
    (b"   ", "whitespace body"),
    (b"[]", "array body"),
    (b'[{"pclass":1,"sex":"male"}]', "array of passengers body"),
    (b"1", "number body"),
    (b'"male"', "string body"),
    (b"null", "null body"),
    (b"true", "boolean body"),
    (b'{"pclass":NaN,"sex":"male"}', "NaN"),
    (b'{"pclass":1,"sex":"male","age":Infinity}', "Infinity"),
    (b'{"pclass":1,"sex":"male","age":1e400}', "age 1e400"),
    (b'{"pclass":100000000000000000000000000000,"sex":"male"}', "pclass 1e29 integer"),
    (b'{"pclass":1,"sex":"male","name":"\xff\xfe"}', "invalid UTF-8 in a string"),
    (b'{"pclass":1,"sex":"male","name":"\xc3\x28"}', "invalid UTF-8 sequence"),
    (b'{"pclass":1,"sex":"male","name":"\xed\xa0\x80"}', "UTF-8 encoded surrogate"),
    (b'{"pclass":1,"sex":"male","name":"a\\u0000b"}', "NUL escape in a string"),
    (b'{"pclass":1,"sex":"male","name":"\\ud800"}', "lone surrogate escape"),
    (b'{"pclass":1,"sex":"male","na\xffme":1}', "invalid UTF-8 in a key"),
    (b'{"pclass":1,"sex":"male","name":"a\nb"}', "raw newline in a string"),
    (b"\xef\xbb\xbf{}", "BOM then empty object"),
    (b"[" * 100000 + b"]" * 100000, "100000 nested arrays"),
    (b'{"a":' * 50000 + b"1" + b"}" * 50000, "50000 nested objects"),
    (b'{"passengers":' + b"[" * 5000 + b"]" * 5000 + b"}", "nested arrays in a batch"),
    (b'{"pclass":1,"sex":"male","name":' + b"[" * 3000 + b"]" * 3000 + b"}", "nested name"),
]
for body, what in raw_cases:
    expect_400(predict(body, raw=True), ..., what)
r = predict(b'{"pclass":1,"sex":"male","ag\\u0065":30}', raw=True)
check(r.status == 200, f"escaped key \\u0065 is 'age': {r!r}")

# SQL-looking text is plain text, and the table is still there.
for name in ["'; DROP TABLE passengers;--", "Robert'); DROP TABLE passengers;--",
             "1 OR 1=1", "\\x27 UNION SELECT 1", "$1", "%s%s%s%n"]:
    r = predict({"pclass": 3, "sex": "male", "name": name, "ticket": name, "cabin": name[:15]})
    check(r.status == 200, f"SQL-looking name {name!r} accepted as text: {r!r}")
check(int(db.q("SELECT count(*) FROM passengers")) == rows_before, "passengers table intact")
check(api.get("/passengers/1").status == 200, "lookups still work")
r = predict({"pclass": 1, "sex": "female", "name": "Müller, Mrs. Zoë 日本"})
check(r.status == 200, f"UTF-8 name accepted: {r!r}")

# Content-Type is not required; a huge but valid body under the limit parses.
r = api.request("POST", "/predict", body=json.dumps(OURS), headers={"Content-Type": "text/plain"})
check(r.status == 200, f"any Content-Type: {r!r}")
r = predict(b" " * 500000 + json.dumps(OURS).encode(), raw=True)
check(r.status == 200, f"500 kB of whitespace before the object: {r.status}")

# ---- still serving ----
check(api.get("/health").status == 200 and api.proc.poll() is None, "still serving /health")
check(prob(predict(OURS)) == p, "predictions unchanged after all the bad input")
rc = api.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
finish()
