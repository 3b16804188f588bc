-- wrk: GET /passengers/{id} with ids drawn uniformly from 1..MAX_ID (env, default 891).
-- Usage: MAX_ID=891 wrk -s bench/lookup.lua http://127.0.0.1:PORT
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
require "wrk_report"

local max_id = tonumber(os.getenv("MAX_ID") or "891")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
  return wrk.format("GET", "/passengers/" .. math.random(1, max_id))
end
