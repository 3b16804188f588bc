#!/usr/bin/env python3
"""Black-box, issue 22 (forms first-class): on generated passengers, a request without a name is
answered by the version's form model through /predict (single and batch) and v2 infer, age and
family change a nameless boy's probability (a 4-year-old is not an adult man), every answer says
which path answered and what it imputed, and /model and the v2 model metadata list the inputs
the version reads, required and optional."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import check, finish, standard_setup  # noqa: E402

db, api = standard_setup("forms")


def predict(body):
    r = api.request("POST", "/predict", body=json.dumps(body))
    check(r.status == 200, f"/predict {body}: {r!r}")
    return r.json() or {}


FORM = {"pclass": 3, "sex": "male", "sibsp": 1, "parch": 1, "fare": 15.0, "embarked": "S"}
boy, man = predict(dict(FORM, age=4)), predict(dict(FORM, age=30))
big = predict(dict(FORM, age=4, sibsp=4, parch=2))
check(boy.get("path") == "form" and boy.get("imputed") == [], f"nameless boy: {boy}")
check(abs(boy["probability"] - man["probability"]) > 0.05,
      f"age counts without a name: boy {boy['probability']} vs man {man['probability']}")
check(abs(boy["probability"] - big["probability"]) > 0.02,
      f"family counts without a name: {boy['probability']} vs {big['probability']}")
bare = predict({"pclass": 2, "sex": "female"})
check(bare.get("path") == "form" and set(bare.get("imputed", [])) >= {"age", "fare"},
      f"a bare form: what was imputed: {bare}")
named = predict(dict(FORM, age=4, name="Palsson, Master. Gosta Leonard", ticket="349909"))
check(named.get("path") == "named", f"a name with a title takes the named model: {named}")

r = api.request("POST", "/predict", body=json.dumps({"passengers": [dict(FORM, age=4),
                                                                     dict(FORM, age=30)]}))
batch = (r.json() or {}).get("predictions") or [{}, {}]
check([p.get("probability") for p in batch] == [boy["probability"], man["probability"]],
      f"batch = single: {batch}")

inputs = (api.get("/model").json() or {}).get("inputs") or {}
check(set(inputs.get("required", [])) == {"pclass", "sex"}, f"/model inputs.required: {inputs}")
check({"age", "sibsp", "parch"} <= set(inputs.get("optional", [])) and
      "name" not in inputs.get("form", ["name"]), f"/model inputs: {inputs}")

meta = api.get("/v2/models/titanic-survival").json() or {}
check((meta.get("parameters") or {}).get("inputs") == inputs,
      f"v2 metadata parameters.inputs = /model inputs: {meta.get('parameters')}")
body = {"inputs": [{"name": "pclass", "datatype": "INT64", "shape": [2], "data": [3, 3]},
                   {"name": "sex", "datatype": "BYTES", "shape": [2], "data": ["male", "male"]},
                   {"name": "age", "datatype": "FP64", "shape": [2], "data": [4, 30]}]}
r = api.request("POST", "/v2/models/titanic-survival/infer", body=json.dumps(body))
params = (r.json() or {}).get("parameters") or {}
check(r.status == 200 and params.get("path") == ["form", "form"] and
      all("fare" in i for i in params.get("imputed", [])), f"v2 infer parameters: {r!r}")
finish()
