"""/metrics as Prometheus expects it, and the prediction monitoring, black-box.

The exposition text is parsed (a small parser for format 0.0.4: HELP, TYPE, samples with their
labels and values) and held to the conventions: the Content-Type with its charset; every series
with HELP and TYPE before its samples, each family in one group; histograms with cumulative
buckets ending in +Inf equal to _count; the status label named code and each status kept as
itself (404, 405, 413, 431, never "other"), a request refused before routing counted under its
route; the process_* metrics with plausible values. Then the monitoring: known predictions move
the probability histogram and the predicted-class counters by exactly their number, the drift
gauges of the 60 s window equal the shares sent (and are present at 0 before any prediction),
`promtool check metrics` passes idle and busy (when promtool is installed), the fare quantiles fall in their bucket, the
drift summary log line has exactly the documented fields, and PREDICTION_MONITORING=0 records
nothing.
"""
import json
import math
import re
import shutil
import subprocess
import time

from apitest import Server, check, finish, log, standard_setup, wait_until

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(,|$)')


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            raise ValueError(f"bad labels at {text[pos:]!r}")
        if m.group(1) in labels:
            raise ValueError(f"label {m.group(1)} twice")
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def parse_exposition(text):
    """Returns (families, samples, problems): families {name: {"help", "type"}}, samples a list of
    (name, labels, value), problems what breaks the format's rules."""
    families, samples, problems = {}, [], []
    current, closed = None, set()

    def family_of(name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
                return base
        return name

    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            if kind == "TYPE" and rest not in ("counter", "gauge", "histogram", "summary",
                                               "untyped"):
                problems.append(f"line {n}: unknown type {rest}")
            fam = families.setdefault(name, {})
            if kind.lower() in fam:
                problems.append(f"line {n}: second {kind} for {name}")
            if name in closed or (name in samples_seen and name != current):
                problems.append(f"line {n}: {kind} for {name} after its samples")
            fam[kind.lower()] = rest
            if current and current != name:
                closed.add(current)
            current = name
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append(f"line {n}: not a sample: {line!r}")
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        try:
            labels = parse_labels(labels)
            value = float(value)
        except ValueError as e:
            problems.append(f"line {n}: {e}: {line!r}")
            continue
        fam = family_of(name)
        if fam not in families or "type" not in families[fam] or "help" not in families[fam]:
            problems.append(f"line {n}: {name} has no HELP and TYPE before it")
        if fam in closed:
            problems.append(f"line {n}: {name} outside its family's group")
        if current and current != fam:
            closed.add(current)
        current = fam
        samples_seen.add(fam)
        samples.append((name, labels, value))
    return families, samples, problems


samples_seen = set()


def scrape(server):
    samples_seen.clear()
    r = server.get("/metrics")
    fams, samples, problems = parse_exposition(r.text)
    return r, fams, samples, problems


def value(samples, name, **labels):
    for n, l, v in samples:
        if n == name and all(l.get(k) == str(x) for k, x in labels.items()):
            return v
    return None


def total(samples, name, **labels):
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == str(x) for k, x in labels.items()))


PROMTOOL = shutil.which("promtool")
if not PROMTOOL:
    log("SKIP promtool checks: promtool is not installed (Debian package prometheus)")


def promtool_ok(server, when):
    """`promtool check metrics` (the format and Prometheus' lint rules) on a scrape, if installed."""
    if not PROMTOOL:
        return
    text = server.get("/metrics").text
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    check(p.returncode == 0, f"promtool check metrics ({when}): exit {p.returncode}: "
          f"{(p.stdout + p.stderr)[:400]}")


# The parser itself must catch what it is there to catch.
_, _, p = parse_exposition("x_total 1\n")
check(any("no HELP and TYPE" in x for x in p), f"parser: a sample without HELP/TYPE: {p}")
_, _, p = parse_exposition("# HELP a A\n# TYPE a gauge\na 1\n# HELP b B\n# TYPE b gauge\nb 1\na 2\n")
check(any("outside its family" in x for x in p), f"parser: a family split in two: {p}")
_, _, p = parse_exposition('# HELP a A\n# TYPE a gauge\na{x="1",x="2"} 1\n')
check(any("twice" in x for x in p), f"parser: a label twice: {p}")

# THREADS=10: more workers than the monitor has shards (8), so both ways of counting run.
db, api = standard_setup("metrics", HEADER_BYTES=4096, MONITOR_LOG_SECONDS=1, THREADS=10)

# ---- format and conventions
r, fams, samples, problems = scrape(api)
check(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
      f"Content-Type: {r.header('Content-Type')!r}")
check(not problems, f"exposition problems: {problems[:5]}")
for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
             "process_start_time_seconds", "process_max_fds", "process_virtual_memory_bytes"):
    check(value(samples, name) is not None, f"{name} present")
check(fams.get("process_cpu_seconds_total", {}).get("type") == "counter", "cpu is a counter")
start = value(samples, "process_start_time_seconds") or 0
check(time.time() - 120 < start <= time.time() + 1, f"start time {start} is within the last 2 min")
rss = value(samples, "process_resident_memory_bytes") or 0
check(2 << 20 < rss < 2 << 30, f"resident memory {rss} between 2 MiB and 2 GiB")
fds = value(samples, "process_open_fds") or 0
check(3 <= fds < 1000, f"open fds {fds}")
check(value(samples, "process_cpu_seconds_total") is not None and
      value(samples, "process_cpu_seconds_total") >= 0, "cpu seconds >= 0")
# Idle (a model, no prediction yet): the window's series exist at 0, so drift rules read false.
promtool_ok(api, "idle")
for name in ("titanic_prediction_input_window_predictions",
             "titanic_prediction_input_missing_age_ratio", "titanic_prediction_input_female_ratio"):
    check(value(samples, name, model_version=1) == 0, f"idle: {name} present at 0: "
          f"{value(samples, name, model_version=1)}")
check(value(samples, "titanic_prediction_input_fare_quantile", model_version=1, q="0.5") == 0,
      "idle: the fare quantile present at 0")
rev = [l for n, l, v in samples if n == "titanic_build_info"]
check(rev and rev[0].get("revision"), f"titanic_build_info has a revision: {rev}")

# Statuses as themselves, under their routes.
api.get("/nowhere")
api.request("DELETE", "/health")
api.post("/predict", "x" * 2_000_000)
api.get("/health", headers={"X-Big": "a" * 8000})
api.post("/predict", {"pclass": 9, "sex": "male"})
REFUSED = (("unmatched", "GET", 404), ("/health", "DELETE", 405), ("/predict", "POST", 413),
           ("/health", "OTHER", 431), ("/predict", "POST", 400))


def all_counted():
    s = scrape(api)[2]
    return all(value(s, "titanic_http_requests_total", route=route, method=method, code=code)
               for route, method, code in REFUSED)


# Each is counted by its worker just after the client has the answer: wait for all of them.
wait_until(all_counted, 5)
r, fams, samples, problems = scrape(api)
check(not problems, f"exposition problems after errors: {problems[:5]}")
req = [l for n, l, v in samples if n == "titanic_http_requests_total"]
check(req and all(set(l) == {"route", "method", "code"} for l in req),
      f"requests labelled route, method, code: {req[:3]}")
check(all(re.fullmatch(r"[1-5][0-9][0-9]", l["code"]) for l in req),
      f"every code is a status: {sorted({l['code'] for l in req})}")
for route, method, code in REFUSED:
    v = value(samples, "titanic_http_requests_total", route=route, method=method, code=code)
    check(v == 1, f"{code} on {method} {route} counted once under its route: {v}")
check(value(samples, "titanic_http_request_duration_seconds_count", route="/health") ==
      value(samples, "titanic_http_request_duration_seconds_bucket", route="/health", le="+Inf"),
      "the /health histogram's +Inf bucket equals its count")

# ---- monitoring: 10 known predictions
SENT = [  # (pclass, sex, age, fare)
    (1, "female", 38, 71.28), (1, "male", None, 80.0), (2, "female", 30, 13.0),
    (2, "male", 25, 13.0), (2, "male", None, 10.5), (3, "female", 4, 16.7), (3, "male", 22, 7.25),
    (3, "male", None, 7.9), (3, "male", 35, 8.05), (3, "female", 27, None)]
before = scrape(api)[2]
v1 = {"model_version": "1"}
base_count = value(before, "titanic_prediction_probability_count", **v1) or 0
positives = 0
for i, (pclass, sex, age, fare) in enumerate(SENT):
    body = {"pclass": pclass, "sex": sex, "age": age, "fare": fare}
    if i % 3 == 0:  # the batch and explain paths are monitored too
        r = api.post("/predict?explain=true", body)
    elif i % 3 == 1:
        r = api.post("/predict", {"passengers": [body]})
        r.json = (lambda j: (lambda: j["predictions"][0]))(r.json())
    else:
        r = api.post("/predict", body)
    positives += r.json()["survived"]
# A refused batch (its second passenger is bad) counts nothing.
api.post("/predict", {"passengers": [{"pclass": 1, "sex": "female"}, {"pclass": 5, "sex": "x"}]})
r, fams, samples, problems = scrape(api)
check(not problems, f"exposition problems with predictions: {problems[:5]}")
promtool_ok(api, "busy: predictions in the last minute")
count = value(samples, "titanic_prediction_probability_count", **v1)
check(count == base_count + 10, f"probability histogram count moved by 10: {base_count} -> {count}")
buckets = [(l["le"], v) for n, l, v in samples
           if n == "titanic_prediction_probability_bucket" and l.get("model_version") == "1"]
check([b for b, _ in buckets] == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9",
                                  "1.0", "+Inf"], f"buckets 0.1..1.0 and +Inf: {buckets}")
check(all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1)) and
      buckets[-1][1] == count, f"cumulative buckets ending at the count: {buckets}")
check(fams.get("titanic_prediction_probability", {}).get("type") == "histogram", "a histogram")
pos = value(samples, "titanic_predictions_total", predicted=1, **v1)
neg = value(samples, "titanic_predictions_total", predicted=0, **v1)
check(pos == positives and neg == 10 - positives,
      f"predictions_total: predicted=1 {pos} (sent {positives}), predicted=0 {neg}")


def gauge(name, **labels):
    return value(samples, name, **v1, **labels)


check(gauge("titanic_prediction_input_window_predictions") == 10, "10 predictions in the window")
check(gauge("titanic_prediction_input_missing_age_ratio") == 0.3, "missing age ratio 0.3")
check(gauge("titanic_prediction_input_female_ratio") == 0.4, "female ratio 0.4")
for c, share in ((1, 0.2), (2, 0.3), (3, 0.5)):
    check(gauge("titanic_prediction_input_pclass_ratio", pclass=c) == share,
          f"pclass {c} ratio {share}: {gauge('titanic_prediction_input_pclass_ratio', pclass=c)}")
fares = sorted(f for *_, f in SENT if f is not None)  # 9 fares: p50 is 13.0, p90 is 80.0
# Not a summary, so not the label "quantile" (Prometheus reserves it): q.
p50 = gauge("titanic_prediction_input_fare_quantile", q="0.5")
p90 = gauge("titanic_prediction_input_fare_quantile", q="0.9")
check(p50 is not None and abs(p50 / 13.0 - 1) < 0.2, f"fare p50 ~ 13.0 (within 19%): {p50}")
check(p90 is not None and abs(p90 / 80.0 - 1) < 0.2, f"fare p90 ~ 80.0 (within 19%): {p90}")

# ---- the drift summary line (MONITOR_LOG_SECONDS=1)
FIELDS = {"time", "level", "component", "message", "model_version", "predictions",
          "positive_ratio", "missing_age_ratio", "female_ratio", "fare_p50"}
line = wait_until(lambda: next((x for x in api.log_lines()
                                if x.get("message") == "prediction drift summary"), None), 5)
check(line is not None, "a drift summary line within 5 s")
if line:
    check(set(line) == FIELDS, f"the line's fields are exactly {sorted(FIELDS)}: {sorted(line)}")
    check(line["model_version"] == 1 and line["predictions"] == 10 and
          line["missing_age_ratio"] == 0.3 and line["female_ratio"] == 0.4 and
          line["positive_ratio"] == positives / 10 and abs(line["fare_p50"] / 13.0 - 1) < 0.2,
          f"the line's values: {line}")
check(api.stop() == 0, "clean exit")

# ---- PREDICTION_MONITORING=0 records nothing
off = Server(db, PREDICTION_MONITORING=0, MONITOR_LOG_SECONDS=1)
for _ in range(5):
    off.post("/predict", {"pclass": 1, "sex": "female"})
r, fams, samples, problems = scrape(off)
check(not problems, f"exposition problems without monitoring: {problems[:5]}")
check(not any(n.startswith("titanic_prediction") for n, _, _ in samples),
      f"no prediction series when monitoring is off: "
      f"{[n for n, _, _ in samples if n.startswith('titanic_prediction')][:3]}")
# Each request is counted by its worker just after the client has its answer: wait for the last.
counted = wait_until(lambda: value(scrape(off)[2], "titanic_http_requests_total",
                                   route="/predict", method="POST", code=200) == 5, 5)
check(counted, "the requests themselves are still counted")
time.sleep(1.5)
check(not any(x.get("message") == "prediction drift summary" for x in off.log_lines()),
      "no drift lines when monitoring is off")
check(off.stop() == 0, "clean exit (monitoring off)")
log("done")
finish()
