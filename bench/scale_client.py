#!/usr/bin/env python3
"""Latency of the analysts' queries, one client at a time, for bench/scale.sh (stdlib only).

Each query is sent over one keep-alive HTTP/1.1 connection, one request after another (an
analyst's tool, not a load test): one untimed warm-up request, then timed requests until
SAMPLES were taken or BUDGET seconds passed (at least MIN_SAMPLES). The time of a request runs
from sending it to having read the whole answer. Prints one row per query: samples, statuses,
answer bytes, median and p99 (nearest rank; with fewer than 100 samples p99 is the slowest).

Paths may hold placeholders, filled per request:
  {id}    a random passenger id from the sample file      {uuid}  its uuid
  {next}  the "next page" of the previous answer: the Link rel="next" header, else the JSON
          field "next"; the chain starts at the path after "{next}" and starts over at its end.
Usage: scale_client.py PORT SAMPLE_FILE (lines "id|uuid")   queries come from QUERIES below.
Environment: SAMPLES (200), MIN_SAMPLES (5), BUDGET (10 s per query), TIMEOUT (30 s).
"""

import http.client
import json
import os
import random
import re
import sys
import time


def queries(rows):
    """(label, path) for every documented analysts' query with its defaults, and the lookups."""
    deep = rows * 9 // 10
    return [
        ("list, defaults", "/passengers"),
        ("list limit=50", "/passengers?limit=50"),
        ("sort=fare limit=10", "/passengers?sort=fare&limit=10"),
        ("sort=-age", "/passengers?sort=-age"),
        ("sort=name", "/passengers?sort=name"),
        ("filter pclass=1&sex=female", "/passengers?pclass=1&sex=female"),
        ("filter survived=1 sort=-fare", "/passengers?survived=1&sort=-fare"),
        ("filter rare: embarked=Q&min_age=70", "/passengers?embarked=Q&min_age=70"),
        ("name=smith", "/passengers?name=smith"),
        ("name=no match", "/passengers?name=xyzzyq"),
        ("name=smith sort=-fare", "/passengers?name=smith&sort=-fare"),
        ("offset=1000", "/passengers?offset=1000"),
        (f"deep offset={deep}", f"/passengers?offset={deep}"),
        ("cursor: next page (id)", "{next}/passengers"),
        ("cursor: next page sort=fare", "{next}/passengers?sort=fare"),
        ("stats overall", "/stats/survival"),
        ("stats by=pclass,sex", "/stats/survival?by=pclass,sex"),
        ("stats 3 dims", "/stats/survival?by=pclass,sex,embarked"),
        ("stats 3 dims (bands)", "/stats/survival?by=age_band,family_size_band,pclass"),
        ("/people", "/people"),
        ("/people next page", "{next}/people"),
        ("lookup /passengers/{id}", "/passengers/{id}"),
        ("lookup /people/{uuid}", "/people/{uuid}"),
    ]


class Client:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def get(self, path):
        """Returns (status, headers, body, seconds); reconnects once if the server closed."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            t0 = time.perf_counter()
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                return r.status, r.getheaders(), body, time.perf_counter() - t0
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def next_of(headers, body):
    for k, v in headers:
        if k.lower() == "link":
            m = LINK_NEXT.search(v)
            if m:
                return m.group(1)
    try:
        j = json.loads(body)
    except ValueError:
        return None
    n = j.get("next") if isinstance(j, dict) else None
    return n if isinstance(n, str) and n.startswith("/") else None


class Sampler:
    """Fills the placeholders of a path for each request."""

    def __init__(self, template, ids):
        self.template = template
        self.ids = ids
        self.chain = template[len("{next}"):] if template.startswith("{next}") else None
        self.pending = None

    def path(self):
        if self.chain is not None:
            return self.pending or self.chain
        if "{id}" in self.template or "{uuid}" in self.template:
            pid, uuid = random.choice(self.ids)
            return self.template.replace("{id}", pid).replace("{uuid}", uuid)
        return self.template

    def seen(self, headers, body):
        """Returns False when a {next} chain has no next page to time (nothing measured)."""
        if self.chain is None:
            return True
        self.pending = next_of(headers, body)
        return self.pending is not None

    def timed(self):
        return self.chain is None or self.pending is not None


def percentile(sorted_values, p):
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


def measure(client, template, ids, samples, min_samples, budget):
    s = Sampler(template, ids)
    status, headers, body, _ = client.get(s.path())  # warm-up (and the first page of a chain)
    if not s.seen(headers, body):
        return {"n": 0, "statuses": {status: 1}, "bytes": len(body), "note": "no next link"}
    times, statuses, size = [], {}, 0
    start = time.monotonic()
    while len(times) < samples and (len(times) < min_samples or
                                    time.monotonic() - start < budget):
        status, headers, body, seconds = client.get(s.path())
        times.append(seconds)
        statuses[status] = statuses.get(status, 0) + 1
        size = max(size, len(body))
        if not s.seen(headers, body):  # end of the chain: start over at its first page
            s.pending = None
            _, headers, body, _ = client.get(s.path())
            s.seen(headers, body)
    times.sort()
    return {"n": len(times), "statuses": statuses, "bytes": size,
            "median": times[len(times) // 2] if len(times) % 2 else
            (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2,
            "p99": percentile(times, 99)}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: scale_client.py PORT SAMPLE_FILE ROWS")
    port, sample_file, rows = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    samples = int(os.environ.get("SAMPLES", "200"))
    min_samples = int(os.environ.get("MIN_SAMPLES", "5"))
    budget = float(os.environ.get("BUDGET", "10"))
    with open(sample_file) as f:
        ids = [tuple(line.strip().split("|")) for line in f if "|" in line]
    random.seed(7)
    client = Client(port, float(os.environ.get("TIMEOUT", "30")))
    print(f"{'query':<36} {'n':>4} {'status':<14} {'bytes':>9} {'median ms':>10} "
          f"{'p99 ms':>9}  goal (<=50 / <=200)")
    for label, template in queries(rows):
        r = measure(client, template, ids, samples, min_samples, budget)
        statuses = ",".join(f"{k}x{v}" if len(r["statuses"]) > 1 else str(k)
                            for k, v in sorted(r["statuses"].items()))
        if r["n"] == 0:
            print(f"{label:<36} {0:>4} {statuses:<14} {r['bytes']:>9} {'-':>10} {'-':>9}  "
                  f"n/a ({r['note']})", flush=True)
            continue
        med, p99 = r["median"] * 1000, r["p99"] * 1000
        ok = all(200 <= k < 300 for k in r["statuses"])
        verdict = ("met" if med <= 50 and p99 <= 200 else "NOT MET") if ok else "error status"
        print(f"{label:<36} {r['n']:>4} {statuses:<14} {r['bytes']:>9} {med:>10.2f} "
              f"{p99:>9.2f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
