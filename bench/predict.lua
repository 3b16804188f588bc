-- wrk: POST /predict with one passenger (Kaggle's passenger 1, lower-case fields).
-- Usage: wrk -s bench/predict.lua http://127.0.0.1:PORT
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
require "wrk_report"

wrk.method = "POST"
wrk.path = "/predict"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,' ..
           '"embarked":"S","name":"Braund, Mr. Owen Harris","ticket":"A/5 21171","cabin":null}'
