// Contract checks of api/openapi.json beyond what an OpenAPI validator does:
//   - every endpoint of the API contract (issue 7) is present, with the status codes it must document;
//   - every error response (4xx/5xx) is the shared Error schema, and its examples carry their own code
//     (but 431, which libmicrohttpd answers itself with an HTML page);
//   - path templates and path parameters agree; operationIds are unique;
//   - the query parameters of /passengers, /stats/survival and /predict are the contract's;
//   - every example (schema, media type, parameter) validates against its schema (Ajv, with OpenAPI
//     3.0's `nullable` turned into JSON Schema);
//   - authentication (issue 10): the bearerKey scheme exists; every operation states its `security`;
//     writes require a key (no anonymous alternative) and document 401 and 403; probes need none;
//     every operation that accepts a key documents 401 with WWW-Authenticate.
// Usage: node check.mjs FILE. Prints one line per problem; exit 0 when there are none, 1 otherwise.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv = require("ajv");

const file = process.argv[2];
if (!file) {
  console.error("usage: node check.mjs FILE");
  process.exit(2);
}

const problems = [];
const problem = (msg) => problems.push(msg);

// The contract: method, path, status codes the document must list for it. Every operation must
// also list 431 (headers too large) and 500; those with a body 413.
const CONTRACT = [
  ["get", "/health", [200]],
  ["get", "/ready", [200, 503]],
  ["get", "/passengers", [200, 400, 503]],
  ["get", "/passengers/{id}", [200, 400, 404, 503]],
  ["get", "/passengers/{id}/prediction", [200, 400, 404, 503]],
  ["get", "/stats/survival", [200, 400, 503]],
  ["post", "/predict", [200, 400, 404, 413, 503]],
  ["get", "/model", [200, 503]],
  ["get", "/models", [200]],
  ["get", "/model/report", [200, 404]],
  ["get", "/people", [200]],
  ["post", "/people", [201, 400, 413]],
  ["get", "/people/{uuid}", [200, 404]],
  ["put", "/people/{uuid}", [200, 400, 404, 413]],
  ["delete", "/people/{uuid}", [204, 404]],
  ["get", "/metrics", [200]],
  ["get", "/openapi.json", [200]],
  // The Open Inference Protocol v2 (issue 13): errors in the protocol's shape (V2Error).
  ["get", "/v2", [200]],
  ["get", "/v2/health/live", [200]],
  ["get", "/v2/health/ready", [200, 400]],
  ["get", "/v2/models/{name}", [200, 404]],
  ["get", "/v2/models/{name}/ready", [200, 400, 404]],
  ["post", "/v2/models/{name}/infer", [200, 400, 404, 413, 503]],
  ["get", "/v2/models/{name}/versions/{version}", [200, 404, 503]],
  ["get", "/v2/models/{name}/versions/{version}/ready", [200, 404, 503]],
  ["post", "/v2/models/{name}/versions/{version}/infer", [200, 400, 404, 413, 503]],
];
const ALWAYS = [431, 500];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

let raw;
try {
  raw = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.log(`not valid JSON: ${e.message}`);
  process.exit(1);
}

if (raw.openapi !== "3.0.3") problem(`openapi must be "3.0.3", found ${JSON.stringify(raw.openapi)}`);
if (!(raw.servers || []).some((s) => s.url === "http://127.0.0.1:5000"))
  problem("servers must list http://127.0.0.1:5000");

// Dereference a copy (the validator has already checked that every $ref resolves; if one does
// not, say so here too rather than crash).
let doc;
try {
  doc = await SwaggerParser.dereference(structuredClone(raw));
} catch (e) {
  console.log(`cannot resolve references: ${e.message}`);
  process.exit(1);
}

const paths = doc.paths || {};
const rawPaths = raw.paths || {};

// ---- endpoints and their codes
for (const [method, path, codes] of CONTRACT) {
  const op = paths[path] && paths[path][method];
  if (!op) {
    problem(`missing endpoint: ${method.toUpperCase()} ${path}`);
    continue;
  }
  const has = Object.keys(op.responses || {});
  const want = [...codes, ...ALWAYS];
  for (const c of want)
    if (!has.includes(String(c))) problem(`${method.toUpperCase()} ${path}: response ${c} is not documented`);
}
const known = new Set(CONTRACT.map(([m, p]) => `${m} ${p}`));
for (const [path, item] of Object.entries(paths))
  for (const m of METHODS)
    if (item[m] && !known.has(`${m} ${path}`))
      console.log(`note: ${m.toUpperCase()} ${path} is documented but not in the contract list`);

// ---- operations: ids, path parameters, error responses
const opIds = new Map();
for (const [path, item] of Object.entries(paths)) {
  const templ = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const m of METHODS) {
    const op = item[m];
    if (!op) continue;
    const where = `${m.toUpperCase()} ${path}`;
    if (!op.operationId) problem(`${where}: no operationId`);
    else if (opIds.has(op.operationId))
      problem(`${where}: operationId ${op.operationId} also used by ${opIds.get(op.operationId)}`);
    else opIds.set(op.operationId, where);

    const params = [...(item.parameters || []), ...(op.parameters || [])];
    const pathParams = params.filter((p) => p.in === "path");
    for (const t of templ) {
      const p = pathParams.find((q) => q.name === t);
      if (!p) problem(`${where}: path parameter {${t}} is not declared`);
      else if (p.required !== true) problem(`${where}: path parameter {${t}} must be required`);
    }
    for (const p of pathParams)
      if (!templ.includes(p.name)) problem(`${where}: path parameter ${p.name} is not in the path`);

    const rawOp = rawPaths[path] && rawPaths[path][m];
    for (const [code, resp] of Object.entries(op.responses || {})) {
      if (!/^[45]\d\d$/.test(code)) continue;
      // 431 is libmicrohttpd's own HTML page, sent before the request reaches the API.
      if (code === "431") {
        if (!resp.content || !resp.content["text/html"] || resp.content["application/json"])
          problem(`${where}: response 431 must be documented as libmicrohttpd's text/html page`);
        continue;
      }
      const schema = resp.content && resp.content["application/json"] && resp.content["application/json"].schema;
      // The protocol's own paths answer its error object, {"error": "message"}.
      const v2 = path === "/v2" || path.startsWith("/v2/");
      const want = v2 ? doc.components.schemas.V2Error : doc.components.schemas.Error;
      if (!schema || schema !== want)
        problem(`${where}: error response ${code} is not application/json with the ${v2 ? "V2Error" : "Error"} schema`);
      if (v2) continue; // its examples are checked against V2Error below, like every example
      // Examples of an error response must carry the response's own status code.
      const media = (resp.content && resp.content["application/json"]) || {};
      const exs = [];
      if (media.example !== undefined) exs.push(["example", media.example]);
      for (const [n, e] of Object.entries(media.examples || {})) exs.push([`examples.${n}`, e.value]);
      for (const [n, v] of exs) {
        const st = v && v.error && v.error.status;
        if (st !== Number(code))
          problem(`${where}: response ${code} ${n} says status ${JSON.stringify(st)}` +
            (rawOp && rawOp.responses[code] && rawOp.responses[code].$ref ? ` (from ${rawOp.responses[code].$ref})` : ""));
      }
    }
  }
}

// ---- the contract's parameters
function queryParams(path, method) {
  const item = paths[path];
  const op = item && item[method];
  if (!op) return null;
  return new Map([...(item.parameters || []), ...(op.parameters || [])].filter((p) => p.in === "query").map((p) => [p.name, p]));
}
const list = queryParams("/passengers", "get");
if (list) {
  const want = ["pclass", "sex", "survived", "embarked", "min_age", "max_age", "name", "sort", "limit", "offset"];
  for (const n of want) if (!list.has(n)) problem(`GET /passengers: query parameter ${n} is not documented`);
  for (const n of list.keys()) if (!want.includes(n)) problem(`GET /passengers: query parameter ${n} is not in the contract`);
  const lim = list.get("limit");
  if (lim && (lim.schema.minimum !== 1 || lim.schema.maximum !== 1000 || lim.schema.default !== 50))
    problem("GET /passengers: limit must be 1..1000, default 50");
  const off = list.get("offset");
  if (off && (off.schema.minimum !== 0 || off.schema.default !== 0)) problem("GET /passengers: offset must be >= 0, default 0");
  const sort = list.get("sort");
  const cols = ["passenger_id", "name", "age", "fare", "pclass", "survived"];
  if (sort) {
    const e = (sort.schema.enum || []).slice().sort();
    const w = cols.flatMap((c) => [c, `-${c}`]).sort();
    if (JSON.stringify(e) !== JSON.stringify(w)) problem(`GET /passengers: sort must be one of ${w.join(",")}`);
    if (sort.schema.default !== "passenger_id") problem("GET /passengers: sort default must be passenger_id");
  }
}
const stats = queryParams("/stats/survival", "get");
if (stats) {
  const by = stats.get("by");
  if (!by) problem("GET /stats/survival: query parameter by is not documented");
  else {
    const e = ((by.schema.items && by.schema.items.enum) || []).slice().sort();
    const w = ["age_band", "embarked", "family_size_band", "pclass", "sex"];
    if (JSON.stringify(e) !== JSON.stringify(w)) problem(`GET /stats/survival: by items must be ${w.join(",")}`);
    if (by.schema.maxItems !== 3) problem("GET /stats/survival: by must allow at most 3 items");
    if (by.style !== "form" || by.explode !== false) problem("GET /stats/survival: by is a comma list (style form, explode false)");
  }
}
const pred = queryParams("/predict", "post");
if (pred && !pred.has("explain")) problem("POST /predict: query parameter explain is not documented");
const pp = queryParams("/passengers/{id}/prediction", "get");
if (pp && !pp.has("explain")) problem("GET /passengers/{id}/prediction: query parameter explain is not documented");

// ---- authentication (issue 10)
const scheme = raw.components && raw.components.securitySchemes && raw.components.securitySchemes.bearerKey;
if (!scheme || scheme.type !== "http" || scheme.scheme !== "bearer")
  problem("components.securitySchemes.bearerKey must be an http bearer scheme");
const WRITES = [["post", "/people"], ["put", "/people/{uuid}"], ["delete", "/people/{uuid}"]];
const PROBES = [["get", "/health"], ["get", "/ready"]];
for (const [path, item] of Object.entries(raw.paths || {}))
  for (const m of METHODS) {
    const op = item[m];
    if (!op) continue;
    const where = `${m.toUpperCase()} ${path}`;
    if (!Array.isArray(op.security)) {
      problem(`${where}: no security requirement stated`);
      continue;
    }
    const anonymous = op.security.length === 0 || op.security.some((r) => Object.keys(r).length === 0);
    const keyed = op.security.some((r) => r.bearerKey);
    const isWrite = WRITES.some(([wm, wp]) => wm === m && wp === path);
    const isProbe = PROBES.some(([pm, pp]) => pm === m && pp === path);
    if (isWrite && (anonymous || !keyed)) problem(`${where}: must require bearerKey`);
    if (isWrite && !(op.responses || {})["403"]) problem(`${where}: response 403 is not documented`);
    if (isProbe && op.security.length !== 0) problem(`${where}: a probe must need no key`);
    if (keyed) {
      const r401 = (paths[path][m].responses || {})["401"];
      if (!r401) problem(`${where}: response 401 is not documented`);
      else if (!r401.headers || !r401.headers["WWW-Authenticate"])
        problem(`${where}: response 401 must have a WWW-Authenticate header`);
    }
  }

// ---- media types the contract fixes
const mediaOf = (path, method, code) => Object.keys((((paths[path] || {})[method] || {}).responses || {})[code]?.content || {});
if (paths["/metrics"] && !mediaOf("/metrics", "get", "200").includes("text/plain; version=0.0.4; charset=utf-8"))
  problem("GET /metrics: 200 must be text/plain; version=0.0.4; charset=utf-8");
if (paths["/model/report"] && !mediaOf("/model/report", "get", "200").includes("text/html"))
  problem("GET /model/report: 200 must be text/html");
const mna = doc.components && doc.components.responses && doc.components.responses.MethodNotAllowed;
if (!mna || !mna.headers || !mna.headers.Allow) problem("components.responses.MethodNotAllowed with an Allow header is missing");
const del = paths["/people/{uuid}"] && paths["/people/{uuid}"].delete;
if (del && del.responses["204"] && del.responses["204"].content) problem("DELETE /people/{uuid}: 204 must have no body");

// ---- examples against their schemas
// OpenAPI 3.0 Schema Object -> JSON Schema (draft 2020-12 subset Ajv understands).
function toJsonSchema(s, seen = new Map()) {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, seen));
  if (!s || typeof s !== "object") return s;
  if (seen.has(s)) return seen.get(s);
  const out = {};
  seen.set(s, out);
  for (const [k, v] of Object.entries(s)) {
    if (["example", "nullable", "xml", "externalDocs", "deprecated", "discriminator", "readOnly", "writeOnly"].includes(k)) continue;
    if (k === "properties" || k === "patternProperties") {
      out[k] = {};
      for (const [pk, pv] of Object.entries(v)) out[k][pk] = toJsonSchema(pv, seen);
    } else if (["items", "additionalProperties", "not"].includes(k) || ["allOf", "anyOf", "oneOf"].includes(k)) {
      out[k] = toJsonSchema(v, seen);
    } else out[k] = v;
  }
  if (s.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);

let examples = 0;
function checkExample(where, schema, value) {
  examples++;
  let validate;
  try {
    validate = ajv.compile(toJsonSchema(schema));
  } catch (e) {
    problem(`${where}: schema does not compile: ${e.message}`);
    return;
  }
  if (!validate(value))
    problem(`${where}: example does not match its schema: ` +
      validate.errors.map((e) => `${e.instancePath || "(root)"} ${e.message}`).join("; "));
}
// Walk the dereferenced document; dereferenced objects are shared, so visit each once.
const visited = new Set();
function walk(node, where) {
  if (!node || typeof node !== "object" || visited.has(node)) return;
  visited.add(node);
  if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${where}[${i}]`));
  // Schema with an example (a Schema Object has a type or a composition keyword).
  const isSchema = ["type", "allOf", "oneOf", "anyOf", "properties"].some((k) => k in node) && !("in" in node) && !("content" in node);
  if (isSchema && node.example !== undefined) checkExample(`${where}.example`, node, node.example);
  // Media type objects and parameters: example / examples beside a schema.
  if (node.schema && !isSchema) {
    if (node.example !== undefined) checkExample(`${where}.example`, node.schema, node.example);
    for (const [n, e] of Object.entries(node.examples || {}))
      if (e && e.value !== undefined) checkExample(`${where}.examples.${n}`, node.schema, e.value);
  }
  for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
}
walk(doc, "#");

for (const p of problems) console.log(p);
console.log(`${CONTRACT.length} contract endpoints, ${opIds.size} operations, ${examples} examples checked; ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
