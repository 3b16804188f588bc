// Everything the rendered manifests rely on must be installed by something in this repository:
//   - API groups that are not built into Kubernetes (external-secrets.io: SecretStore,
//     ExternalSecret) -> a Helm release in infra/k8s/cluster-addons/install.sh that serves them;
//   - the Ingress's ingressClassName -> the release that creates that IngressClass;
//   - an HPA on Resource metrics -> the metrics.k8s.io API -> the metrics-server EKS add-on
//     (infra/terraform/modules/eks/addons.tf);
//   - NetworkPolicies -> the VPC CNI add-on with enableNetworkPolicy = "true" (else ignored);
//   - container logs -> the amazon-cloudwatch-observability add-on; nodes -> a node autoscaler
//     whose version matches the cluster's Kubernetes minor (envs/*/terraform.tfvars).
// Every Helm release must be pinned to an exact chart version. Usage: node check-dependencies.mjs ROOT
// Prints "FAIL [deps] ..." per problem and exits 1 if there is any.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const root = path.resolve(process.argv[2] ?? ".");
const problems = [];
const fail = (where, msg) => problems.push(`FAIL [deps] ${where}: ${msg}`);
const read = (rel) => {
  try {
    return fs.readFileSync(path.join(root, rel), "utf8");
  } catch {
    fail(rel, "missing");
    return "";
  }
};

// What each chart provides when installed as install.sh does (its --set flags matter).
const CHARTS = {
  "eks/aws-load-balancer-controller": (sets) => ({
    groups: ["elbv2.k8s.aws"],
    ingressClasses: sets.createIngressClassResource === "false" ? [] : [sets.ingressClass ?? "alb"],
  }),
  "external-secrets/external-secrets": (sets) => ({
    groups: sets.installCRDs === "false" ? [] : ["external-secrets.io", "generators.external-secrets.io"],
    ingressClasses: [],
  }),
  "autoscaler/cluster-autoscaler": () => ({ groups: [], ingressClasses: [], autoscaler: true }),
};
const BUILTIN_GROUPS = new Set(["", "apps", "batch", "networking.k8s.io", "autoscaling", "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io"]);

// --- what the repository installs --------------------------------------------------------------
const script = "infra/k8s/cluster-addons/install.sh";
const text = read(script).replace(/\\\n\s*/g, " ");
const releases = [];
for (const line of text.split("\n")) {
  const m = /^\s*(?:release\s+)?helm (?:upgrade --install|install) (\S+) (\S+)(.*)$/.exec(line);
  if (!m) continue;
  const [, name, chart, rest] = m;
  const version = /--version (\S+)/.exec(rest)?.[1];
  if (!version || !/^v?\d+\.\d+\.\d+$/.test(version)) fail(script, `helm release ${name} (${chart}) is not pinned to an exact chart version (--version X.Y.Z), got ${version ?? "none"}`);
  if (!/^\s*(?:release\s+)?helm upgrade --install /.test(line)) fail(script, `helm release ${name} uses 'helm install': not idempotent, use 'helm upgrade --install'`);
  const sets = {};
  for (const s of rest.matchAll(/--set (\S+?)=("[^"]*"|\S+)/g)) sets[s[1]] = s[2].replace(/^"|"$/g, "");
  const provides = CHARTS[chart]?.(sets) ?? { groups: [], ingressClasses: [] };
  releases.push({ name, chart, version, sets, provides });
}
const servedGroups = new Set(releases.flatMap((r) => r.provides.groups));
const ingressClasses = new Set(releases.flatMap((r) => r.provides.ingressClasses));

const addonsFile = "infra/terraform/modules/eks/addons.tf";
const addonsText = read(addonsFile);
const addonsBlock = /\n\s*addons = \{\n([\s\S]*?)\n  \}\n\}/.exec(addonsText)?.[1] ?? "";
const addons = new Map();
for (const m of addonsBlock.matchAll(/^ {4}([a-z0-9-]+) = \{\n([\s\S]*?)\n {4}\}/gm)) addons.set(m[1], m[2]);
if (!addons.size) fail(addonsFile, "no EKS add-ons found in local.addons");

const versions = new Set();
for (const env of ["dev", "prod"]) {
  const v = /^kubernetes_version\s*=\s*"(1\.\d+)"/m.exec(read(`infra/terraform/envs/${env}/terraform.tfvars`))?.[1];
  if (v) versions.add(v);
}

// --- the CI deploy role's RBAC (group titanic-deployers) ---------------------------------------
// Write verbs per "group/resource"; the kinds the overlays apply must be exactly these.
const rbacFile = "infra/k8s/cluster-addons/deployer-rbac.yaml";
const WRITE = ["create", "patch", "delete"];
const granted = new Map();
for (const o of parseAllDocuments(read(rbacFile)).map((d) => d.toJSON()).filter(Boolean)) {
  if (!["Role", "ClusterRole"].includes(o.kind)) continue;
  for (const r of o.rules ?? [])
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? []) {
        const key = `${g}/${res}`;
        granted.set(key, new Set([...(granted.get(key) ?? []), ...(r.verbs ?? [])]));
        if ((r.verbs ?? []).includes("*") || res === "*" || g === "*") fail(rbacFile, `wildcard in ${o.kind}/${o.metadata.name}: ${key} ${r.verbs}`);
        if (res === "secrets" || res.startsWith("secrets/")) fail(rbacFile, `the deployer may touch Secrets (${o.kind}/${o.metadata.name}); External Secrets writes them`);
      }
}
if (!read(script).includes("deployer-rbac.yaml")) fail(script, `does not apply ${rbacFile}: the deploy role's access entry would grant nothing`);
const plural = (kind) => ({ NetworkPolicy: "networkpolicies", Ingress: "ingresses" })[kind] ?? `${kind.toLowerCase()}s`;
const applied = new Set();

// --- what the manifests need -------------------------------------------------------------------
for (const overlay of ["dev", "prod"]) {
  let out;
  try {
    out = execFileSync("kubectl", ["kustomize", path.join(root, "infra/k8s/overlays", overlay)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    fail(overlay, `kubectl kustomize failed: ${String(e.stderr ?? e.message).split("\n")[0]}`);
    continue;
  }
  const objs = parseAllDocuments(out).map((d) => d.toJSON()).filter(Boolean);
  for (const o of objs) {
    const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
    if (!o.metadata?.annotations?.["config.kubernetes.io/local-config"]) applied.add(`${group}/${plural(o.kind)}`);
    if (!BUILTIN_GROUPS.has(group) && !servedGroups.has(group))
      fail(`${overlay} ${o.kind}/${o.metadata?.name}`, `${o.apiVersion} ${o.kind} is served by nothing ${script} installs`);
    if (o.kind === "Ingress") {
      const cls = o.spec?.ingressClassName;
      if (!cls) fail(`${overlay} Ingress/${o.metadata.name}`, "no ingressClassName");
      else if (!ingressClasses.has(cls)) fail(`${overlay} Ingress/${o.metadata.name}`, `IngressClass ${cls} is created by nothing ${script} installs (it provides: ${[...ingressClasses].join(", ") || "none"})`);
    }
    if (o.kind === "HorizontalPodAutoscaler" && (o.spec?.metrics ?? []).some((m) => m.type === "Resource") && !addons.has("metrics-server"))
      fail(`${overlay} HorizontalPodAutoscaler/${o.metadata.name}`, `scales on Resource metrics, but nothing serves metrics.k8s.io (no metrics-server add-on in ${addonsFile})`);
    if (o.kind === "NetworkPolicy" && !/enableNetworkPolicy\s*=\s*"true"/.test(addons.get("vpc-cni") ?? ""))
      fail(`${overlay} NetworkPolicy/${o.metadata.name}`, `would be ignored: the vpc-cni add-on in ${addonsFile} does not set enableNetworkPolicy = "true"`);
  }
}

for (const key of applied) {
  const verbs = granted.get(key) ?? new Set();
  // The namespace exists before any deploy (install.sh applies it with the RBAC): get/patch suffice.
  const missing = (key === "/namespaces" ? ["get", "patch"] : WRITE).filter((v) => !verbs.has(v));
  if (missing.length) fail(rbacFile, `the overlays apply ${key}, but titanic-deployers may not ${missing.join("/")} it`);
}
for (const [key, verbs] of granted)
  if (WRITE.some((v) => verbs.has(v)) && !applied.has(key)) fail(rbacFile, `titanic-deployers may write ${key}, which the overlays never apply`);

// --- the cluster itself ------------------------------------------------------------------------
if (!addons.has("amazon-cloudwatch-observability")) fail(addonsFile, "no amazon-cloudwatch-observability add-on: container logs never reach CloudWatch");
const ca = releases.find((r) => r.provides.autoscaler);
if (!ca) fail(script, "no node autoscaler (cluster-autoscaler) is installed: nothing grows the node group");
else {
  const minor = /^v?(1\.\d+)\./.exec(ca.sets["image.tag"] ?? "")?.[1];
  if (!minor) fail(script, "cluster-autoscaler: pin image.tag to the cluster's Kubernetes minor (vX.Y.Z)");
  else for (const v of versions) if (v !== minor) fail(script, `cluster-autoscaler ${ca.sets["image.tag"]} does not match the cluster's Kubernetes ${v}`);
  // First, so that releases that do not fit on the minimum nodes get a node instead of a timeout.
  if (releases[0] !== ca) fail(script, `cluster-autoscaler must be the first release (it is #${releases.indexOf(ca) + 1}): a release that does not fit would time out before anything adds a node`);
  if (!/^pending_report\(\)/m.test(text) || !/--field-selector=status\.phase!=Running/.test(text)) fail(script, "no Pending report: a timed-out wait must list the pods that are not Running and the FailedScheduling events");
}

for (const p of problems) console.log(p);
console.log(`dependencies: ${releases.length} Helm releases (${releases.map((r) => `${r.name}@${r.version}`).join(", ")}), ${addons.size} EKS add-ons (${[...addons.keys()].join(", ")}), ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
