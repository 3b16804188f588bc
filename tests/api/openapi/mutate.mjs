// Writes a copy of an OpenAPI document with one planted mistake, for run.sh's mutation tests.
// Usage: node mutate.mjs NAME IN OUT
import { readFileSync, writeFileSync } from "node:fs";

const [name, input, output] = process.argv.slice(2);
const text = readFileSync(input, "utf8");
const doc = JSON.parse(text);
const s = doc.components.schemas;

const MUTATIONS = {
  // A $ref to a schema that does not exist.
  "missing-schema-ref": () => { doc.paths["/passengers/{id}"].get.responses["200"].content["application/json"].schema.$ref = "#/components/schemas/Passanger"; },
  // A whole path of the contract gone.
  "missing-path": () => { delete doc.paths["/people/{uuid}"]; },
  // One method of a path gone.
  "missing-method": () => { delete doc.paths["/people"].post; },
  // Not an OpenAPI document any more: a response without its required description.
  "response-without-description": () => { delete doc.paths["/health"].get.responses["200"].description; },
  // A path parameter that is not required (OpenAPI requires required: true).
  "optional-path-parameter": () => { doc.components.parameters.PassengerIdPath.required = false; },
  // The /predict 413 (body too large) dropped.
  "predict-without-413": () => { delete doc.paths["/predict"].post.responses["413"]; },
  // An error response that is not the Error schema.
  "error-not-error-schema": () => { doc.paths["/ready"].get.responses["503"].content["application/json"].schema = { type: "object" }; },
  // An Open Inference Protocol error documented with this API's own Error shape.
  "v2-error-not-protocol-shape": () => { doc.paths["/v2/models/{name}/infer"].post.responses["400"] = { $ref: "#/components/responses/BadRequest" }; },
  // An inference example whose input is not one of the model's.
  "v2-example-unknown-input": () => { doc.paths["/v2/models/{name}/infer"].post.requestBody.content["application/json"].example.inputs[0].name = "Pclass"; },
  // The 400 response used for a 404.
  "wrong-error-example": () => { doc.paths["/people/{uuid}"].get.responses["404"] = { $ref: "#/components/responses/BadRequest" }; },
  // An example that contradicts its schema.
  "example-off-schema": () => { s.Passenger.example.pclass = 4; },
  // A contract parameter missing.
  "missing-query-parameter": () => { doc.paths["/passengers"].get.parameters.pop(); },
  // A write that anyone may send.
  "anonymous-write": () => { doc.paths["/people/{uuid}"].delete.security = [{}, { bearerKey: [] }]; },
  // An operation that says nothing about keys.
  "no-security": () => { delete doc.paths["/predict"].post.security; },
  // Not JSON at all.
  "truncated-json": () => null,
};

if (!MUTATIONS[name]) {
  console.error(`unknown mutation ${name}; known: ${Object.keys(MUTATIONS).join(" ")}`);
  process.exit(2);
}
if (name === "truncated-json") writeFileSync(output, text.slice(0, Math.floor(text.length / 2)));
else {
  MUTATIONS[name]();
  writeFileSync(output, JSON.stringify(doc, null, 2));
}
