// Pod-slot capacity of each environment's minimum node group, computed rather than hoped for.
// Slots: an EKS node without prefix delegation takes ENIs x (IPv4 addresses per ENI - 1) + 2 pods
// (the VPC CNI gives every pod a VPC address; AWS's eni-max-pods.txt is this formula). Pods a
// fresh cluster needs at minimum replicas, from what this repository pins:
//   - DaemonSets, one pod per node, of the EKS add-ons in infra/terraform/modules/eks/addons.tf;
//   - the add-ons' and Helm charts' Deployments at their defaults for the pinned version
//     (install.sh's --set ...replicaCount=N overrides a default);
//   - the rendered overlay: the API at the HPA's minReplicas plus its rollout surge, the ETL Job,
//     one training run (the CronJob forbids concurrency).
// Fails when the free share of slots is below 25%. Usage: node check-capacity.mjs ROOT
// Prints "FAIL [capacity] ..." per problem and exits 1 if there is any.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const root = path.resolve(process.argv[2] ?? ".");
const MIN_HEADROOM = 0.25;
const problems = [];
const fail = (where, msg) => problems.push(`FAIL [capacity] ${where}: ${msg}`);
const read = (rel) => {
  try {
    return fs.readFileSync(path.join(root, rel), "utf8");
  } catch {
    fail(rel, "missing");
    return "";
  }
};

// ENIs and IPv4 addresses per ENI (EC2 documentation, "IP addresses per network interface").
const ENI_LIMITS = {
  "t3.small": [3, 4], "t3.medium": [3, 6], "t3.large": [3, 12], "t3.xlarge": [4, 15],
  "t3a.medium": [3, 6], "t3a.large": [3, 12], "m5.large": [3, 10], "m6i.large": [3, 10],
  "m7i.large": [3, 10], "c6i.large": [3, 10],
};
const maxPods = (type) => (ENI_LIMITS[type] ? ENI_LIMITS[type][0] * (ENI_LIMITS[type][1] - 1) + 2 : undefined);

// EKS add-ons: DaemonSets (pods per node) and Deployments (pods per cluster) at their defaults.
const ADDON_PODS = {
  "vpc-cni": { daemonsets: 1, pods: 0 }, // aws-node (the network policy agent is a container in it)
  "kube-proxy": { daemonsets: 1, pods: 0 },
  coredns: { daemonsets: 0, pods: 2 },
  "metrics-server": { daemonsets: 0, pods: 2 },
  // cloudwatch-agent and fluent-bit on every node (its GPU/Neuron DaemonSets select no t3/m/c node),
  // plus the operator's controller-manager.
  "amazon-cloudwatch-observability": { daemonsets: 2, pods: 1 },
};
// Helm charts at the version install.sh pins: replica keys and their defaults in that version.
const CHART_PODS = {
  "eks/aws-load-balancer-controller@1.14.0": { replicaCount: 2 },
  "external-secrets/external-secrets@0.20.4": { replicaCount: 1, "webhook.replicaCount": 1, "certController.replicaCount": 1 },
  "autoscaler/cluster-autoscaler@9.59.0": { replicaCount: 1 },
};

const tfvar = (text, key) => {
  const m = new RegExp(`^${key}\\s*=\\s*(.+?)\\s*(?:#.*)?$`, "m").exec(text);
  return m ? JSON.parse(m[1]) : undefined;
};

// ---- cluster-wide pods: EKS add-ons and Helm releases ---------------------------------------
const addonsFile = "infra/terraform/modules/eks/addons.tf";
const addonsBlock = /\n\s*addons = \{\n([\s\S]*?)\n  \}\n\}/.exec(read(addonsFile))?.[1] ?? "";
let daemonsets = 0;
let systemPods = 0;
const detail = [];
for (const m of addonsBlock.matchAll(/^ {4}([a-z0-9-]+) = \{\n([\s\S]*?)\n {4}\}/gm)) {
  const known = ADDON_PODS[m[1]];
  if (!known) { fail(addonsFile, `add-on ${m[1]}: its pods are unknown to this check (add it to ADDON_PODS)`); continue; }
  const replicas = /replicaCount\s*=\s*(\d+)/.exec(m[2]);
  daemonsets += known.daemonsets;
  systemPods += replicas ? Number(replicas[1]) : known.pods;
  detail.push(`${m[1]} ${known.daemonsets}/node+${replicas ? replicas[1] : known.pods}`);
}
const script = "infra/k8s/cluster-addons/install.sh";
for (const line of read(script).replace(/\\\n\s*/g, " ").split("\n")) {
  const m = /^\s*(?:\S+\s+)*helm upgrade --install (\S+) (\S+)(.*)$/.exec(line);
  if (!m) continue;
  const version = /--version (\S+)/.exec(m[3])?.[1];
  const key = `${m[2]}@${version}`;
  const defaults = CHART_PODS[key];
  if (!defaults) { fail(script, `release ${m[1]} (${key}): pod count unknown for this chart version (add its replica defaults to CHART_PODS)`); continue; }
  let pods = 0;
  for (const [k, def] of Object.entries(defaults)) {
    const set = new RegExp(`--set ${k.replace(/\./g, "\\.")}=(\\d+)`).exec(m[3]);
    pods += set ? Number(set[1]) : def;
  }
  systemPods += pods;
  detail.push(`${m[1]} ${pods}`);
}

// ---- per environment ----------------------------------------------------------------------------
const surge = (value, replicas) =>
  value === undefined ? Math.ceil(replicas * 0.25) : String(value).endsWith("%") ? Math.ceil((replicas * parseFloat(value)) / 100) : Number(value);
const summary = [];
for (const env of ["dev", "prod"]) {
  const tfvars = read(`infra/terraform/envs/${env}/terraform.tfvars`);
  const types = tfvar(tfvars, "eks_node_instance_types") ?? [];
  const nodes = tfvar(tfvars, "eks_node_min_size");
  const slotsPerNode = Math.min(...types.map((t) => maxPods(t) ?? NaN));
  if (!types.length || !Number.isFinite(slotsPerNode)) {
    fail(env, `instance types ${JSON.stringify(types)}: ENI limits unknown (add them to ENI_LIMITS)`);
    continue;
  }
  let objs = [];
  try {
    const text = execFileSync("kubectl", ["kustomize", path.join(root, "infra/k8s/overlays", env)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    objs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  } catch (e) {
    fail(env, `kubectl kustomize failed: ${String(e.stderr || e.message).trim().slice(0, 200)}`);
    continue;
  }
  let appPods = 0;
  for (const o of objs) {
    if (o.kind === "Deployment") {
      const hpa = objs.find((h) => h.kind === "HorizontalPodAutoscaler" && h.spec?.scaleTargetRef?.name === o.metadata.name);
      const replicas = hpa?.spec?.minReplicas ?? o.spec?.replicas ?? 1;
      appPods += replicas + surge(o.spec?.strategy?.rollingUpdate?.maxSurge, replicas);
    } else if (o.kind === "Job") appPods += o.spec?.parallelism ?? 1;
    else if (o.kind === "CronJob") appPods += o.spec?.jobTemplate?.spec?.parallelism ?? 1;
  }
  const slots = nodes * slotsPerNode;
  const needed = nodes * daemonsets + systemPods + appPods;
  const headroom = (slots - needed) / slots;
  const line = `${env}: ${nodes} x ${types.join("/")} = ${slots} pod slots; needs ${needed} (${daemonsets} DaemonSet pods x ${nodes} nodes, ${systemPods} add-on/controller pods, ${appPods} app pods); headroom ${(headroom * 100).toFixed(0)}%`;
  summary.push(line);
  if (headroom < MIN_HEADROOM) fail(env, `${line}, below ${MIN_HEADROOM * 100}%: pods would stay Pending (bigger nodes, more nodes or prefix delegation)`);
}

for (const p of problems) console.log(p);
console.log(`capacity: ${summary.join("; ")} [${detail.join(", ")}]`);
process.exit(problems.length ? 1 : 0);
