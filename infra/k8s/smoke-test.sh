#!/usr/bin/env bash
# Usage: smoke-test.sh BASE_URL   (e.g. https://titanic.dev.example.com)
# Waits for GET /ready, then checks GET /health, the HTTP->HTTPS redirect, that /metrics is NOT
# reachable from the internet (the Ingress routes only the public paths), and POST /predict.
set -euo pipefail
base=${1:?usage: smoke-test.sh BASE_URL}
for i in $(seq 1 60); do
  if curl -fsS --max-time 5 -o /dev/null "$base/ready"; then break; fi
  [ "$i" -lt 60 ] || { echo "smoke: $base/ready never answered 200" >&2; exit 1; }
  sleep 10
done
curl -fsS --max-time 5 -o /dev/null "$base/health"
# HTTP must redirect to HTTPS.
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://${base#https://}/health" || true)
case "$code" in 301 | 302 | 307 | 308) ;; *) echo "smoke: http:// answered $code, expected a redirect" >&2; exit 1 ;; esac
# The metrics port is internal: through the ALB, /metrics must be the load balancer's 404.
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$base/metrics" || true)
[ "$code" = 404 ] || { echo "smoke: $base/metrics answered $code, expected 404 (metrics must stay in-cluster)" >&2; exit 1; }
resp=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
  -d '{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S","name":"Braund, Mr. Owen Harris"}' \
  "$base/predict")
echo "smoke: POST /predict -> $resp"
for field in probability survived model_version; do
  printf '%s' "$resp" | grep -q "\"$field\"" || { echo "smoke: /predict answer lacks $field" >&2; exit 1; }
done
echo "smoke: ok"
