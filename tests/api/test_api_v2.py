"""The Open Inference Protocol v2 (KServe v2) for the model titanic-survival, black-box.

The protocol's published REST example (kserve docs/predict-api/v2/required_api.md, "Inference
Request Examples": id "42", a batch of named tensors, one output asked for by name) adapted to
this model's inputs, its answer's shape (model_name, model_version, the id echoed, outputs with
name/datatype/shape/data), and its malformed variant (shape [2, 2], and data shorter than the
shape) refused with the protocol's {"error": "..."}. Then every endpoint: server metadata, live,
ready, model metadata and readiness, infer on the active version and on any stored version (the
same probabilities as /predict gave while that version was active), missing values (NaN, null,
""), /predict's validation rules, 404/405/413 in the protocol's shape with the request id; clients
as they are (issue 22): MLServer's [N,1] columns, one [N,F] table in the metadata's column order,
tritonclient's binary tensors refused by name, GET /v2/.
"""
import concurrent.futures
import json
import math
import signal

from apitest import check, finish, log, standard_setup, wait_until

MODEL = "/v2/models/titanic-survival"
db, api = standard_setup("v2", MAX_BATCH=50)


def tensor(name, datatype, data):
    return {"name": name, "shape": [len(data)], "datatype": datatype, "data": data}


def protocol_error(r, status, what):
    """The protocol's error object: {"error": "<message>"} (plus our request id) and status."""
    j = r.json()
    ok = (r.status == status and isinstance(j, dict) and isinstance(j.get("error"), str) and
          j.get("request_id") == r.header("X-Request-Id"))
    check(ok, f"{what}: expected {status} with {{\"error\": \"...\"}}, got {r!r}")
    return j.get("error", "") if isinstance(j, dict) else ""


# ---- the protocol's example, adapted
EXAMPLE = {
    "id": "42",
    "inputs": [tensor("pclass", "INT64", [1, 3]), tensor("sex", "BYTES", ["female", "male"])],
    "outputs": [{"name": "probability"}],
}
r = api.post(f"{MODEL}/infer", EXAMPLE)
j = r.json() or {}
check(r.status == 200 and r.header("Content-Type") == "application/json",
      f"example: 200 application/json: {r!r}")
check(j.get("model_name") == "titanic-survival" and j.get("id") == "42",
      f"example: model_name and the request's id echoed: {j}")
check(isinstance(j.get("model_version"), str) and j.get("model_version") == "1",
      f"example: model_version is the version as a string: {j.get('model_version')!r}")
outs = j.get("outputs") or []
check(len(outs) == 1 and outs[0].get("name") == "probability" and outs[0].get("datatype") == "FP64"
      and outs[0].get("shape") == [2] and len(outs[0].get("data", [])) == 2,
      f"example: only the output asked for, FP64 of shape [2]: {outs}")
want = [api.post("/predict", {"pclass": 1, "sex": "female"}).json()["probability"],
        api.post("/predict", {"pclass": 3, "sex": "male"}).json()["probability"]]
check(outs and outs[0].get("data") == want, f"example: same probabilities as /predict {want}: {outs}")

# Both outputs when none is asked for; without an id the request id names the answer.
r = api.post(f"{MODEL}/infer", {"inputs": EXAMPLE["inputs"]},
             headers={"X-Request-Id": "v2-test-0001"})
j = r.json() or {}
names = [o.get("name") for o in j.get("outputs", [])]
check(r.status == 200 and names == ["probability", "survived"], f"all outputs by default: {r!r}")
surv = [o for o in j.get("outputs", []) if o.get("name") == "survived"]
check(surv and surv[0]["datatype"] == "BOOL" and surv[0]["shape"] == [2] and
      all(isinstance(x, bool) for x in surv[0]["data"]), f"survived is BOOL [2]: {surv}")
check(j.get("id") == "v2-test-0001" and r.header("X-Request-Id") == "v2-test-0001",
      f"no id in the request: the request id is the answer's id: {j.get('id')!r}")

# The example's malformed parts: a two-dimensional shape, and data shorter than the shape.
bad = json.loads(json.dumps(EXAMPLE))
bad["inputs"][0] = {"name": "pclass", "shape": [2, 2], "datatype": "INT64", "data": [1, 2, 3, 1]}
protocol_error(api.post(f"{MODEL}/infer", bad), 400, "shape [2, 2]")
bad = json.loads(json.dumps(EXAMPLE))
bad["inputs"][1] = {"name": "sex", "shape": [3], "datatype": "BYTES", "data": ["female"]}
msg = protocol_error(api.post(f"{MODEL}/infer", bad), 400, "shape [3] with one element")
check("sex" in msg, f"the error names the input: {msg!r}")

# ---- health and metadata
r = api.get("/v2")
j = r.json() or {}
check(r.status == 200 and j.get("name") == "titanic-api" and isinstance(j.get("version"), str) and
      j.get("extensions") == [], f"server metadata: {r!r}")
r = api.get("/v2/health/live")
check(r.status == 200 and r.json() == {"live": True}, f"live: {r!r}")
r = api.get("/v2/health/ready")
check(r.status == 200 and r.json() == {"ready": True}, f"ready: {r!r}")
r = api.get(f"{MODEL}/ready")
check(r.status == 200 and (r.json() or {}).get("ready") is True, f"model ready: {r!r}")
r = api.request("HEAD", f"{MODEL}/ready")
check(r.status == 200 and r.body == b"", f"HEAD model ready: {r!r}")
r = api.get(MODEL)
j = r.json() or {}
INPUTS = [("pclass", "INT64"), ("sex", "BYTES"), ("age", "FP64"), ("sibsp", "INT64"),
          ("parch", "INT64"), ("fare", "FP64"), ("embarked", "BYTES"), ("name", "BYTES"),
          ("ticket", "BYTES"), ("cabin", "BYTES")]
check(r.status == 200 and j.get("name") == "titanic-survival" and isinstance(j.get("platform"), str),
      f"model metadata: {r!r}")
check([(t.get("name"), t.get("datatype"), t.get("shape")) for t in j.get("inputs", [])] ==
      [(n, d, [-1]) for n, d in INPUTS], f"model inputs: {j.get('inputs')}")
check([(t.get("name"), t.get("datatype"), t.get("shape")) for t in j.get("outputs", [])] ==
      [("probability", "FP64", [-1]), ("survived", "BOOL", [-1])], f"outputs: {j.get('outputs')}")
check(j.get("versions") == ["1"], f"versions: the stored ones: {j.get('versions')}")

# ---- errors in the protocol's shape, with the request id
r = api.get("/v2/models/resnet50", headers={"X-Request-Id": "v2-test-0002"})
msg = protocol_error(r, 404, "unknown model")
check(r.json().get("request_id") == "v2-test-0002", f"request id in the error: {r!r}")
protocol_error(api.post("/v2/models/resnet50/infer", EXAMPLE), 404, "infer on an unknown model")
protocol_error(api.get(f"{MODEL}/versions/99"), 404, "unknown version")
protocol_error(api.get(f"{MODEL}/versions/abc/ready"), 404, "non-numeric version")
protocol_error(api.get(f"{MODEL}/versions/01"), 404, "version with a leading zero")
protocol_error(api.get("/v2/models/titanic-survival/explain"), 404, "an endpoint we do not serve")
r = api.request("DELETE", f"{MODEL}/infer")
protocol_error(r, 405, "DELETE infer")
check(r.header("Allow") == "POST", f"405 Allow: POST: {r.header('Allow')!r}")
r = api.request("POST", "/v2/health/live", body="{}")
protocol_error(r, 405, "POST live")
check(r.header("Allow") == "GET", f"405 Allow: GET: {r.header('Allow')!r}")
r = api.raw(b"POST " + MODEL.encode() + b"/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000"
            b"\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n", read_all=True)
head, _, body = r.partition(b"\r\n\r\n")
check(head.startswith(b"HTTP/1.1 413") and isinstance(json.loads(body or b"{}").get("error"), str),
      f"413 before routing, in the protocol's shape: {r[:300]!r}")

# ---- missing values: NaN or null (FP64), "" (BYTES), absent inputs
expected = api.post("/predict", {"pclass": 2, "sex": "female", "sibsp": 1}).json()["probability"]
body = json.dumps({"inputs": [tensor("pclass", "INT64", [2, 2]),
                              tensor("sex", "BYTES", ["female", "female"]),
                              tensor("age", "FP64", [float("nan"), None]),
                              tensor("sibsp", "INT32", [1, 1]),
                              tensor("fare", "FP32", [None, float("nan")]),
                              tensor("embarked", "BYTES", ["", ""]),
                              tensor("cabin", "BYTES", ["", ""])]})
check("NaN" in body, "the body carries Python's NaN")
r = api.post(f"{MODEL}/infer", body)
data = (r.json() or {}).get("outputs", [{}])[0].get("data")
check(r.status == 200 and data == [expected, expected],
      f"NaN, null and \"\" are missing values, as absent fields in /predict ({expected}): {r!r}")
full = {"pclass": 1, "sex": "male", "age": 38.5, "sibsp": 1, "parch": 2, "fare": 71.2833,
        "embarked": "C", "name": "Cumings, Mr. John Bradley", "ticket": "PC 17599", "cabin": "C85"}
expected = api.post("/predict", full).json()["probability"]
inputs = [tensor(n, d, [full[n]]) for n, d in INPUTS]
r = api.post(f"{MODEL}/infer", {"inputs": inputs})
data = (r.json() or {}).get("outputs", [{}])[0].get("data")
check(r.status == 200 and data == [expected], f"every input given: {expected}: {r!r}")

# ---- /predict's rules, row by row
def refused(inputs, what, needle, **extra):
    msg = protocol_error(api.post(f"{MODEL}/infer", dict(inputs=inputs, **extra)), 400, what)
    check(needle in msg, f"{what}: the message says {needle!r}: {msg!r}")


P2 = tensor("pclass", "INT64", [1, 2])
S2 = tensor("sex", "BYTES", ["male", "female"])
refused([P2, S2, tensor("age", "FP64", [30, 200])], "age 200", "age")
refused([P2, tensor("sex", "BYTES", ["male", "dog"])], "sex dog", "sex")
refused([S2], "no pclass", "pclass")
refused([P2, tensor("sex", "BYTES", ["male", ""])], "sex \"\"", "required")
refused([tensor("pclass", "INT64", [1, 4]), S2], "pclass 4", "pclass")
refused([tensor("pclass", "FP64", [1.0, 2.0]), S2], "pclass as FP64", "datatype")
refused([tensor("pclass", "INT64", [1, "2"]), S2], "a string in an INT64 tensor", "integer")
refused([P2, S2, tensor("Pclass", "INT64", [1, 2])], "unknown input", "unknown input")
refused([P2, S2, tensor("pclass", "INT64", [1, 2])], "an input twice", "twice")
refused([P2, tensor("sex", "BYTES", ["male"])], "shapes [2] and [1]", "same shape")
refused([tensor("pclass", "INT64", [1] * 51), tensor("sex", "BYTES", ["male"] * 51)],
        "51 rows with MAX_BATCH=50", "50")
refused([P2, S2], "unknown output", "unknown output", outputs=[{"name": "logit"}])
refused([P2, S2], "unknown field", "unknown field", explain=True)
refused([P2, S2], "id not a string", "id", id=42)
protocol_error(api.post(f"{MODEL}/infer", "{\"inputs\": ["), 400, "malformed JSON")
protocol_error(api.post(f"{MODEL}/infer", {"inputs": []}), 400, "no inputs")
r = api.post(f"{MODEL}/infer", {"inputs": [tensor("pclass", "INT64", [1] * 50),
                                           tensor("sex", "BYTES", ["female"] * 50)]})
check(r.status == 200 and r.json()["outputs"][0]["shape"] == [50], f"50 rows: {r!r}")

# ---- clients as they are (issue 22): MLServer's [N,1] columns, one [N,F] table, binary tensors
rows = [full, {"pclass": 3, "sex": "male", "age": 4, "sibsp": 3, "parch": 1, "fare": 21.075,
               "embarked": "S", "name": "", "ticket": "", "cabin": ""}]
want2 = [api.post("/predict", {k: v for k, v in p.items() if v != ""}).json()["probability"]
         for p in rows]
col1 = [{"name": n, "shape": [2, 1], "datatype": d, "data": [[p[n]] for p in rows]}
        for n, d in INPUTS]
r = api.post(f"{MODEL}/infer", {"inputs": col1})
check(r.status == 200 and r.json()["outputs"][0]["data"] == want2,
      f"[N,1] columns (PandasCodec, nested data) as /predict {want2}: {r!r}")
col1 = [{"name": n, "shape": [2, 1], "datatype": d, "data": [p[n] for p in rows]}
        for n, d in INPUTS]
r = api.post(f"{MODEL}/infer", {"inputs": col1})
check(r.status == 200 and r.json()["outputs"][0]["data"] == want2, f"[N,1], flat data: {r!r}")
meta = api.get(MODEL).json() or {}
order = (meta.get("parameters") or {}).get("columns")
check(order == [n for n, _ in INPUTS], f"metadata lists the [N,F] column order: {order}")
order = order or [n for n, _ in INPUTS]
table = [[p[n] for n in order] for p in rows]
r = api.post(f"{MODEL}/infer", {"inputs": [{"name": "input-0", "shape": [2, len(order)],
                                            "datatype": "BYTES", "data": table}]})
check(r.status == 200 and r.json()["outputs"][0]["data"] == want2,
      f"one [N,F] tensor in the metadata's order as /predict {want2}: {r!r}")
flat = [x for row in table for x in row]
r = api.post(f"{MODEL}/infer", {"inputs": [{"name": "input-0", "shape": [2, len(order)],
                                            "datatype": "BYTES", "data": flat}]})
check(r.status == 200 and r.json()["outputs"][0]["data"] == want2, f"[N,F] row-major: {r!r}")
r = api.post(f"{MODEL}/infer", {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "BYTES",
                                            "data": [[1, "female"], [3, "male"]]}]})
check(r.status == 200 and r.json()["outputs"][0]["data"] == want,
      f"[N,2]: the first two columns (pclass, sex) as /predict {want}: {r!r}")
refused([{"name": "x", "shape": [2, 2], "datatype": "BYTES", "data": [[1, "female"], [3, "dog"]]}],
        "a bad value in a table", "sex")
refused([{"name": "x", "shape": [2, 2], "datatype": "BYTES", "data": [[1, "female"], [3]]}],
        "a short table row", "data")
refused([{"name": "x", "shape": [1, 2], "datatype": "BYTES", "data": [1, "female"]},
         tensor("age", "FP64", [3.0])], "a table beside another input", "only input")
# tritonclient's default: a JSON header, then raw bytes, its length in a header.
head = json.dumps({"inputs": [{"name": "pclass", "shape": [1], "datatype": "INT64",
                               "parameters": {"binary_data_size": 8}},
                              {"name": "sex", "shape": [1], "datatype": "BYTES",
                               "parameters": {"binary_data_size": 8}}]}).encode()
body = head + (1).to_bytes(8, "little") + (4).to_bytes(4, "little") + b"male"
for extra in ({"Inference-Header-Content-Length": str(len(head))}, {}):
    r = api.post(f"{MODEL}/infer", body, headers={"Content-Type": "application/octet-stream",
                                                   **extra})
    msg = protocol_error(r, 400, f"a binary tensor request {sorted(extra)}")
    check("binary tensor data is not supported" in msg and "JSON" in msg,
          f"the error names binary data: {msg!r}")
r = api.get("/v2/")
check(r.status == 200 and r.json() == api.get("/v2").json(), f"GET /v2/ is GET /v2: {r!r}")

# ---- any stored version: a second model trained on other data, version 1 still served
db.load(rows=600, seed=7)  # changes most rows: version 2 learns something else
db.train("--force")
api.signal(signal.SIGHUP)
check(wait_until(lambda: api.get("/model").json().get("version") == 2, 10), "version 2 active")
v2_now = api.post("/predict", {"pclass": 1, "sex": "female"}).json()["probability"]
check(v2_now != want[0], f"version 2 predicts otherwise than version 1 ({v2_now} vs {want[0]})")
for v, expect in (("1", want[0]), ("2", v2_now)):
    r = api.post(f"{MODEL}/versions/{v}/infer", {"inputs": [tensor("pclass", "INT64", [1]),
                                                           tensor("sex", "BYTES", ["female"])]})
    j = r.json() or {}
    check(r.status == 200 and j.get("model_version") == v and
          j["outputs"][0]["data"] == [expect], f"versions/{v}/infer answers as version {v} did "
          f"({expect}): {r!r}")
    r = api.get(f"{MODEL}/versions/{v}")
    check(r.status == 200 and (r.json() or {}).get("versions") == [v], f"versions/{v}: {r!r}")
    r = api.get(f"{MODEL}/versions/{v}/ready")
    check(r.status == 200 and (r.json() or {}).get("ready") is True, f"versions/{v}/ready: {r!r}")
r = api.post(f"{MODEL}/infer", EXAMPLE)
check(r.status == 200 and (r.json() or {}).get("model_version") == "2",
      f"unversioned infer uses the active version: {r!r}")
check(api.get(MODEL).json().get("versions") == ["2", "1"], "metadata lists both versions")

# Version 1 many times at once from several connections: one document, no errors.
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    statuses = list(pool.map(lambda _: api.post(f"{MODEL}/versions/1/infer", EXAMPLE).status,
                             range(64)))
check(statuses == [200] * 64, f"64 concurrent infers on version 1: {set(statuses)}")

# The protocol's routes are counted under their templates (each request once its worker has
# finished with it, a moment after the client has the answer).
k = 'titanic_http_requests_total{route="/v2/models/{name}/versions/{version}/infer",' \
    'method="POST",code="200"}'
m = wait_until(lambda: (lambda m: m if m.get(k, 0) >= 66 else None)(api.metrics()), 5) or \
    api.metrics()
check(m.get(k, 0) == 66, f"{k} = {m.get(k)}, expected 66")
k = 'titanic_http_requests_total{route="/v2/models/{name}/infer",method="POST",code="413"}'
check(m.get(k, 0) == 1, f"the 413 counted under its route: {k} = {m.get(k)}")
check(not math.isnan(m.get('titanic_predictions_total{model_version="1",predicted="1"}',
                           float("nan"))), "infer on version 1 is monitored under version 1")

rc = api.stop()
check(rc == 0, f"clean exit: {rc}")
log("done")
finish()
