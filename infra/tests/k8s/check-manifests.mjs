// Renders the kustomize overlays of a tree and checks every object:
//   1. schema: the Kubernetes schemas of kubernetes-models (and External Secrets' CRD schemas);
//   2. strict: no field the schema does not know (the schemas themselves allow unknown fields);
//   3. assertions for what schemas cannot see (selectors, references, security, probes, ...).
// Usage: node check-manifests.mjs ROOT   (ROOT holds infra/k8s). Prints one line per problem,
// "FAIL [check] overlay kind/name: message", and exits 1 if there is any.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const root = path.resolve(process.argv[2] ?? ".");
const overlays = { dev: { min: 1, max: 3 }, prod: { min: 2, max: 10 } };
// The paths the Ingress may route: the API's public surface. Never /metrics, never the metrics port.
const PUBLIC_PATHS = ["/health", "/ready", "/predict", "/passengers", "/stats", "/model", "/models", "/people", "/openapi.json", "/v2"];
// Each workload's identity and secrets: its own ServiceAccount, its own database role's Secret
// mounted at /var/run/secrets/titanic (DATABASE_URL_FILE), and nothing of another workload's.
const WORKLOADS = {
  "Deployment/titanic-api": { sa: "titanic-api", irsa: false, containers: { api: ["titanic-db-api", "titanic-api-keys"] } },
  "Job/titanic-etl": {
    sa: "titanic-etl", irsa: true,
    containers: { "fetch-csv": [], migrate: ["titanic-db-migrate", "titanic-db-role-passwords"], etl: ["titanic-db-etl"] },
  },
  "CronJob/titanic-train": { sa: "titanic-train", irsa: false, containers: { train: ["titanic-db-train"] } },
};
const DB_URL_SECRET = { api: "titanic-db-api", etl: "titanic-db-etl", train: "titanic-db-train", migrate: "titanic-db-migrate" };
const API_KEYS_FILE = "/var/run/secrets/titanic-api-keys/api-keys";
const problems = [];
let checked = 0;

function fail(check, where, msg) {
  problems.push(`FAIL [${check}] ${where}: ${msg}`);
}

// ---- models ---------------------------------------------------------------------------------
const moduleCache = new Map();
async function modelFor(apiVersion, kind) {
  let spec;
  if (apiVersion.startsWith("external-secrets.io/")) spec = `@kubernetes-models/external-secrets/${apiVersion}`;
  else if (!apiVersion.includes("/")) spec = `kubernetes-models/${apiVersion}`;
  else spec = `kubernetes-models/${apiVersion}`;
  if (!moduleCache.has(spec)) {
    try {
      moduleCache.set(spec, await import(spec));
    } catch {
      moduleCache.set(spec, null);
    }
  }
  const mod = moduleCache.get(spec);
  return mod && typeof mod[kind] === "function" ? mod[kind] : null;
}

// Runs the schema validator on a proxy that records which properties it reads. A property of
// an object that the validator never looked at is not in the schema: an unknown field. Objects
// whose keys the validator enumerates are maps (labels, resources, ...) and allow any key.
function validateStrict(Model, data) {
  const info = new Map();
  const wrap = (obj, p) => {
    const rec = { read: new Set(), map: false, obj, path: p };
    info.set(obj, rec);
    const children = new Map();
    return new Proxy(obj, {
      get(t, k, r) {
        if (typeof k === "string") {
          rec.read.add(k);
          const v = Object.prototype.hasOwnProperty.call(t, k) ? t[k] : undefined;
          if (v && typeof v === "object") {
            if (!children.has(k)) children.set(k, wrap(v, `${p}.${k}`));
            return children.get(k);
          }
        }
        return Reflect.get(t, k, r);
      },
      has(t, k) {
        if (typeof k === "string") rec.read.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        rec.map = true;
        return Reflect.ownKeys(t);
      },
    });
  };
  const model = new Model(structuredClone(data));
  const errors = [];
  try {
    wrap(model, "").validate();
  } catch (e) {
    errors.push(`schema: ${String(e.message).split("\n").slice(0, 5).join("; ")}`);
  }
  for (const rec of info.values()) {
    if (rec.map || Array.isArray(rec.obj)) continue;
    for (const k of Object.keys(rec.obj)) {
      if (!rec.read.has(k)) errors.push(`unknown field ${rec.path ? rec.path.slice(1) + "." : ""}${k}`);
    }
  }
  return errors;
}

// ---- helpers --------------------------------------------------------------------------------
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const labelsMatch = (selector, labels) =>
  !!selector &&
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector.matchExpressions ?? []).every((e) => {
    const v = labels?.[e.key];
    if (e.operator === "In") return e.values.includes(v);
    if (e.operator === "NotIn") return !e.values.includes(v);
    if (e.operator === "Exists") return v !== undefined;
    if (e.operator === "DoesNotExist") return v === undefined;
    return false;
  });
function podTemplates(objs) {
  const out = [];
  for (const o of objs) {
    if (["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind)) out.push({ owner: o, tpl: o.spec?.template });
    if (o.kind === "CronJob") out.push({ owner: o, tpl: o.spec?.jobTemplate?.spec?.template });
  }
  return out;
}
const allContainers = (spec) => [
  ...(spec?.initContainers ?? []).map((c) => ({ c, init: true })),
  ...(spec?.containers ?? []).map((c) => ({ c, init: false })),
];
const cpuMillis = (q) => (q === undefined ? NaN : String(q).endsWith("m") ? parseFloat(q) : parseFloat(q) * 1000);
const memBytes = (q) => {
  const m = /^([0-9.]+)([KMGT]i?)?$/.exec(String(q ?? ""));
  if (!m) return NaN;
  const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1;
  return parseFloat(m[1]) * mult;
};
const cronOk = (s) => {
  const f = String(s).trim().split(/\s+/);
  return f.length === 5 && f.every((x) => /^[0-9*,\/-]+$|^[A-Za-z]{3}$/.test(x));
};

// ---- per overlay ----------------------------------------------------------------------------
for (const [overlay, bounds] of Object.entries(overlays)) {
  const dir = path.join(root, "infra/k8s/overlays", overlay);
  let text;
  try {
    text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const msg = String(e.stderr || e.message).trim().replace(/^E\d+ [\d:.]+\s+\d+ [\w.]+:\d+\] "command failed" err=/, "");
    fail("render", overlay, `kubectl kustomize failed: ${msg}`);
    continue;
  }
  const objs = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) fail("render", overlay, `YAML error: ${doc.errors[0].message}`);
    const o = doc.toJS();
    if (o) objs.push(o);
  }
  const where = (o) => `${overlay} ${id(o)}`;
  const find = (kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
  const ofKind = (kind) => objs.filter((o) => o.kind === kind);

  // 1+2. schema and unknown fields
  for (const o of objs) {
    checked++;
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      fail("schema", overlay, `object without apiVersion/kind/metadata.name: ${JSON.stringify(o).slice(0, 120)}`);
      continue;
    }
    const Model = await modelFor(o.apiVersion, o.kind);
    if (!Model) {
      fail("schema", where(o), `no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    for (const err of validateStrict(Model, o)) fail(err.startsWith("unknown") ? "strict" : "schema", where(o), err);
  }

  // 3. assertions
  const required = [
    ["Namespace", "titanic"],
    ["ServiceAccount", "titanic-api"],
    ["ServiceAccount", "titanic-etl"],
    ["ServiceAccount", "titanic-train"],
    ["ServiceAccount", "titanic-external-secrets"],
    ["SecretStore", "aws-secrets-manager"],
    ["ExternalSecret", "titanic-db-api"],
    ["ExternalSecret", "titanic-db-etl"],
    ["ExternalSecret", "titanic-db-train"],
    ["ExternalSecret", "titanic-db-migrate"],
    ["ExternalSecret", "titanic-db-role-passwords"],
    ["ExternalSecret", "titanic-api-keys"],
    ["Deployment", "titanic-api"],
    ["Service", "titanic-api"],
    ["Ingress", "titanic-api"],
    ["HorizontalPodAutoscaler", "titanic-api"],
    ["PodDisruptionBudget", "titanic-api"],
    ["Job", "titanic-etl"],
    ["CronJob", "titanic-train"],
  ];
  for (const [kind, name] of required) if (!find(kind, name)) fail("present", overlay, `${kind}/${name} is missing`);
  if (!ofKind("ConfigMap").length) fail("present", overlay, "no ConfigMap");
  if (ofKind("NetworkPolicy").length < 2) fail("present", overlay, "NetworkPolicies are missing");

  // Placeholders from the base must all be replaced by the overlay's settings.
  const placeholders = ["ETL_IRSA_ROLE_ARN", "EXTERNAL_SECRETS_IRSA_ROLE_ARN", "ALB_SECURITY_GROUP_ID", "DB_MASTER_SECRET_ARN", "ACM_CERTIFICATE_ARN", "API_HOST", "VPC_CIDR", "AWS_REGION", "CSV_S3_URI"];
  const walk = (v, key, visit) => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, key, visit));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k, visit);
    else visit(key, v);
  };
  for (const o of objs)
    walk(o, "", (key, v) => {
      if (key !== "name" && placeholders.includes(v)) fail("settings", where(o), `placeholder ${v} (in ${key}) was not replaced`);
      if (typeof v === "string" && /\bENVIRONMENT\b|ALB_LOGS_BUCKET/.test(v)) fail("settings", where(o), `placeholder in ${key} was not replaced: ${v}`);
    });

  for (const o of objs) if (o.metadata?.namespace && o.metadata.namespace !== "titanic") fail("namespace", where(o), `namespace ${o.metadata.namespace}, expected titanic`);

  // No secret values in git: no Secret objects with data; the DB URL comes from ExternalSecret.
  for (const s of ofKind("Secret")) {
    if (Object.keys(s.data ?? {}).length || Object.keys(s.stringData ?? {}).length)
      fail("no-secret-data", where(s), "a Secret with data/stringData is in the manifests; deliver it through External Secrets");
  }
  // Secrets come from ExternalSecrets of this environment (titanic/<env>/... names, or an ARN).
  const esTargets = new Set();
  for (const es of ofKind("ExternalSecret")) {
    esTargets.add(es.spec?.target?.name ?? es.metadata?.name);
    if (es.spec?.secretStoreRef?.name && !find(es.spec.secretStoreRef.kind ?? "SecretStore", es.spec.secretStoreRef.name))
      fail("refs", where(es), `secretStoreRef ${es.spec.secretStoreRef.name} does not exist`);
    for (const d of es.spec?.data ?? []) {
      const key = d.remoteRef?.key ?? "";
      if (!key.startsWith(`titanic/${overlay}/`) && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:rds!/.test(key))
        fail("settings", where(es), `remoteRef.key ${key} is neither a titanic/${overlay}/ secret nor the RDS-managed master secret`);
    }
  }
  const arnOf = (o) => o?.metadata?.annotations?.["eks.amazonaws.com/role-arn"];
  const roleArn = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\//;
  for (const [name, irsa] of [["titanic-etl", true], ["titanic-external-secrets", true], ["titanic-api", false], ["titanic-train", false]]) {
    const sa = find("ServiceAccount", name);
    if (!sa) continue;
    if (irsa && !roleArn.test(arnOf(sa) ?? "")) fail("irsa", where(sa), "eks.amazonaws.com/role-arn annotation is missing or not an IAM role ARN");
    if (!irsa && arnOf(sa)) fail("irsa", where(sa), `has an IAM role (${arnOf(sa)}) although this workload needs no AWS access`);
    if (sa.automountServiceAccountToken !== false) fail("irsa", where(sa), "automountServiceAccountToken is not false");
  }
  const roles = ofKind("ServiceAccount").map((sa) => arnOf(sa)).filter(Boolean);
  if (new Set(roles).size !== roles.length) fail("irsa", overlay, `two ServiceAccounts share one IAM role: ${roles.join(", ")}`);
  const store = find("SecretStore", "aws-secrets-manager");
  if (store && store.spec?.provider?.aws?.auth?.jwt?.serviceAccountRef?.name !== "titanic-external-secrets")
    fail("irsa", where(store), "the SecretStore must authenticate as titanic-external-secrets (External Secrets' own role), not a workload's");

  // Workloads: selectors, references, security, resources.
  for (const { owner, tpl } of podTemplates(objs)) {
    const w = where(owner);
    if (!tpl?.spec) {
      fail("workload", w, "no pod template");
      continue;
    }
    if (["Deployment", "StatefulSet", "DaemonSet"].includes(owner.kind)) {
      if (!owner.spec.selector || !labelsMatch(owner.spec.selector, tpl.metadata?.labels) || !Object.keys(owner.spec.selector.matchLabels ?? {}).length)
        fail("selector", w, "spec.selector does not match the pod template's labels");
    }
    const ps = tpl.spec.securityContext ?? {};
    if (ps.seccompProfile?.type !== "RuntimeDefault") fail("security", w, "pod seccompProfile is not RuntimeDefault");
    if (ps.runAsUser === 0) fail("security", w, "pod runs as uid 0");
    if (tpl.spec.hostNetwork || tpl.spec.hostPID || tpl.spec.hostIPC) fail("security", w, "uses host namespaces");
    if (tpl.spec.serviceAccountName && !find("ServiceAccount", tpl.spec.serviceAccountName))
      fail("refs", w, `serviceAccountName ${tpl.spec.serviceAccountName} does not exist`);
    const wl = WORKLOADS[`${owner.kind}/${owner.metadata.name}`];
    if (wl && tpl.spec.serviceAccountName !== wl.sa) fail("least-privilege", w, `runs as ServiceAccount ${tpl.spec.serviceAccountName ?? "default"}, expected its own ${wl.sa}`);
    if (tpl.spec.automountServiceAccountToken !== false) fail("security", w, "mounts a Kubernetes API token it does not need");
    const volumes = new Map((tpl.spec.volumes ?? []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.secret && !esTargets.has(v.secret.secretName)) fail("refs", w, `volume ${v.name} mounts Secret ${v.secret.secretName}, which External Secrets does not create`);
      if (v.hostPath) fail("security", w, `volume ${v.name} is a hostPath`);
    }
    const cs = allContainers(tpl.spec);
    if (!cs.length) fail("workload", w, "no containers");
    for (const { c, init } of cs) {
      const cw = `${w} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if ((sc.runAsNonRoot ?? ps.runAsNonRoot) !== true) fail("non-root", cw, "runAsNonRoot is not true");
      if ((sc.runAsUser ?? ps.runAsUser) === 0) fail("non-root", cw, "runs as uid 0");
      if (sc.readOnlyRootFilesystem !== true) fail("read-only-fs", cw, "readOnlyRootFilesystem is not true");
      if (sc.allowPrivilegeEscalation !== false) fail("security", cw, "allowPrivilegeEscalation is not false");
      if (sc.privileged) fail("security", cw, "privileged");
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail("capabilities", cw, "capabilities.drop does not contain ALL");
      if ((sc.capabilities?.add ?? []).length) fail("capabilities", cw, `adds capabilities ${sc.capabilities.add}`);
      const r = c.resources ?? {};
      for (const [kind, q] of [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]])
        if (r[kind]?.[q] === undefined) fail("resources", cw, `resources.${kind}.${q} is not set`);
      if (cpuMillis(r.requests?.cpu) > cpuMillis(r.limits?.cpu) || memBytes(r.requests?.memory) > memBytes(r.limits?.memory))
        fail("resources", cw, "requests exceed limits");
      if (!c.image || /:latest$/.test(c.image) || !c.image.includes(":")) fail("image", cw, `image ${c.image} has no pinned tag`);
      if (!init && !/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/titanic:/.test(c.image ?? "")) fail("image", cw, `image ${c.image} is not the environment's ECR image`);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) fail("refs", cw, `volumeMount ${m.name} has no volume`);
      if (!(c.volumeMounts ?? []).some((m) => m.mountPath === "/tmp")) fail("read-only-fs", cw, "no writable /tmp (emptyDir) mounted");
      for (const ef of c.envFrom ?? []) if (ef.configMapRef && !find("ConfigMap", ef.configMapRef.name)) fail("refs", cw, `envFrom ConfigMap ${ef.configMapRef.name} does not exist`);
      if (!init && !(c.volumeMounts ?? []).some((m) => volumes.get(m.name)?.secret && m.mountPath === "/var/run/secrets/titanic"))
        fail("database-url", cw, "the database-url Secret is not mounted at /var/run/secrets/titanic");
      // Least privilege: each container mounts exactly the Secrets of its own role.
      const spec = WORKLOADS[`${owner.kind}/${owner.metadata.name}`];
      const mounted = (c.volumeMounts ?? []).map((m) => volumes.get(m.name)?.secret?.secretName).filter(Boolean).sort();
      if (spec) {
        const want = spec.containers[c.name];
        if (!want) fail("least-privilege", cw, `unexpected container (known: ${Object.keys(spec.containers).join(", ")})`);
        else if (JSON.stringify(mounted) !== JSON.stringify([...want].sort()))
          fail("least-privilege", cw, `mounts Secrets [${mounted.join(", ")}], expected exactly [${want.join(", ")}]`);
      }
      const urlFile = (c.env ?? []).find((e) => e.name === "DATABASE_URL_FILE")?.value ?? "/var/run/secrets/titanic/database-url";
      const urlMount = (c.volumeMounts ?? []).find((m) => urlFile.startsWith(`${m.mountPath}/`));
      const urlSecret = urlMount && volumes.get(urlMount.name)?.secret?.secretName;
      if (DB_URL_SECRET[c.name] && urlSecret !== DB_URL_SECRET[c.name])
        fail("least-privilege", cw, `DATABASE_URL_FILE ${urlFile} is in Secret ${urlSecret ?? "(not mounted)"}, expected ${DB_URL_SECRET[c.name]}`);
      if ((c.env ?? []).some((e) => /(PASSWORD|DATABASE_URL|API_KEYS?)$/.test(e.name) && e.value)) fail("no-secret-data", cw, "a secret value is set inline in env");
    }
  }

  // API Deployment specifics.
  const dep = find("Deployment", "titanic-api");
  if (dep) {
    const w = where(dep);
    const spec = dep.spec.template.spec;
    const api = spec.containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === 5000));
    if (!api) fail("api", w, "no container port 5000");
    const probePath = (p) => p?.httpGet?.path;
    if (probePath(api?.livenessProbe) !== "/health") fail("probes", w, "livenessProbe is not GET /health");
    if (probePath(api?.readinessProbe) !== "/ready") fail("probes", w, "readinessProbe is not GET /ready");
    if (!api?.startupProbe) fail("probes", w, "no startupProbe");
    const envOf = (n) => (api?.env ?? []).find((e) => e.name === n)?.value;
    if (envOf("API_KEYS_FILE") !== API_KEYS_FILE) fail("api-keys", w, `API_KEYS_FILE must be ${API_KEYS_FILE}, got ${envOf("API_KEYS_FILE")}`);
    else {
      const m = (api.volumeMounts ?? []).find((x) => API_KEYS_FILE.startsWith(`${x.mountPath}/`));
      if (!m || spec.volumes?.find((v) => v.name === m.name)?.secret?.secretName !== "titanic-api-keys")
        fail("api-keys", w, `${API_KEYS_FILE} is not mounted from the Secret titanic-api-keys`);
    }
    const mport = (api?.ports ?? []).find((p) => p.name === "metrics");
    if (!mport || mport.containerPort !== 9090 || envOf("METRICS_PORT") !== "9090") fail("metrics", w, "the API must serve metrics on container port \"metrics\" 9090 with METRICS_PORT=9090");
    const ann = dep.spec.template.metadata.annotations ?? {};
    if (ann["prometheus.io/scrape"] !== "true" || ann["prometheus.io/port"] !== "9090" || ann["prometheus.io/path"] !== "/metrics")
      fail("metrics", w, "pod annotations prometheus.io/scrape, port 9090 and path /metrics are missing");
    const cm = ofKind("ConfigMap").find((c) => (api?.envFrom ?? []).some((e) => e.configMapRef?.name === c.metadata.name));
    const grace = Number(cm?.data?.SHUTDOWN_GRACE_SECONDS ?? 20);
    const pre = api?.lifecycle?.preStop;
    const preSeconds = pre?.sleep?.seconds ?? (pre?.exec?.command?.[0] === "sleep" ? Number(pre.exec.command[1]) : undefined);
    if (preSeconds === undefined) fail("shutdown", w, "no preStop sleep before SIGTERM");
    const tgp = spec.terminationGracePeriodSeconds ?? 30;
    if (preSeconds !== undefined && tgp < preSeconds + grace) fail("shutdown", w, `terminationGracePeriodSeconds ${tgp} < preStop ${preSeconds}s + SHUTDOWN_GRACE_SECONDS ${grace}s`);
    if (spec.automountServiceAccountToken !== false) fail("security", w, "the API mounts a service-account token it does not need");
    const zones = (spec.topologySpreadConstraints ?? []).find((t) => t.topologyKey === "topology.kubernetes.io/zone");
    if (!zones || !labelsMatch(zones.labelSelector, dep.spec.template.metadata.labels)) fail("topology", w, "no zone topology spread selecting the API pods");
    const scaled = ofKind("HorizontalPodAutoscaler").some((h) => h.spec.scaleTargetRef?.kind === "Deployment" && h.spec.scaleTargetRef?.name === dep.metadata.name);
    if (scaled && dep.spec.replicas !== undefined) fail("hpa", w, `spec.replicas ${dep.spec.replicas} is set although an HPA scales it: every apply would reset the HPA's count`);
  }

  // Service -> Deployment, Ingress -> Service.
  const svc = find("Service", "titanic-api");
  if (svc && dep) {
    if (!labelsMatch({ matchLabels: svc.spec.selector }, dep.spec.template.metadata.labels) || !Object.keys(svc.spec.selector ?? {}).length)
      fail("selector", where(svc), "Service selector does not match the titanic-api pods");
    const ports = dep.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
    for (const p of svc.spec.ports ?? [])
      if (!ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)) fail("selector", where(svc), `targetPort ${p.targetPort} is not a container port`);
    for (const p of svc.spec.ports ?? []) if (p.targetPort === "metrics" || p.targetPort === 9090 || p.port === 9090) fail("metrics", where(svc), "the public Service exposes the metrics port");
  }
  const ing = find("Ingress", "titanic-api");
  if (ing) {
    const a = ing.metadata.annotations ?? {};
    const w = where(ing);
    if (ing.spec.ingressClassName !== "alb") fail("ingress", w, "ingressClassName is not alb");
    if (a["alb.ingress.kubernetes.io/scheme"] !== "internet-facing") fail("ingress", w, "ALB scheme is not internet-facing");
    if (a["alb.ingress.kubernetes.io/ssl-redirect"] !== "443") fail("ingress", w, "HTTP is not redirected to 443");
    if (!/HTTPS"?\s*:\s*443/.test(a["alb.ingress.kubernetes.io/listen-ports"] ?? "")) fail("ingress", w, "no HTTPS 443 listener");
    if (!/^arn:aws[a-z-]*:acm:/.test(a["alb.ingress.kubernetes.io/certificate-arn"] ?? "")) fail("ingress", w, "no ACM certificate ARN");
    if (a["alb.ingress.kubernetes.io/healthcheck-path"] !== "/ready") fail("ingress", w, "ALB health check path is not /ready");
    const lbAttrs = Object.fromEntries((a["alb.ingress.kubernetes.io/load-balancer-attributes"] ?? "").split(",").map((kv) => kv.split("=")));
    if (lbAttrs["routing.http.drop_invalid_header_fields.enabled"] !== "true") fail("alb", w, "the ALB does not drop invalid header fields");
    // The ALB reuses idle connections to a pod up to its idle timeout (60 s by default); the pod
    // closes them after HEADER_TIMEOUT_SECONDS (its keep-alive, 10 s unless set). A pod that closes
    // first can meet a request the ALB just sent: a 502. The ALB's timeout must be the shorter.
    const api = find("Deployment", "titanic-api");
    const apiEnv = api?.spec.template.spec.containers.find((c) => c.name === "api")?.env ?? [];
    const keepAlive = Number(apiEnv.find((e) => e.name === "HEADER_TIMEOUT_SECONDS")?.value ?? 10);
    const albIdle = Number(lbAttrs["idle_timeout.timeout_seconds"] ?? 60);
    if (!(albIdle < keepAlive)) fail("alb", w, `the ALB's idle timeout (${albIdle} s) is not below the API's keep-alive HEADER_TIMEOUT_SECONDS (${keepAlive} s): 502s when the pod closes first`);
    if (lbAttrs["access_logs.s3.enabled"] !== "true" || !/^[a-z0-9][a-z0-9.-]+[a-z0-9]$/.test(lbAttrs["access_logs.s3.bucket"] ?? "")) fail("alb", w, "the ALB keeps no access logs in a bucket");
    if (!/^ELBSecurityPolicy-TLS13-1-[23]-/.test(a["alb.ingress.kubernetes.io/ssl-policy"] ?? "")) fail("alb", w, `TLS policy ${a["alb.ingress.kubernetes.io/ssl-policy"]} is not a TLS 1.3 policy`);
    for (const rule of ing.spec.rules ?? []) {
      if (!rule.host || !/^[a-z0-9.-]+$/.test(rule.host)) fail("ingress", w, `host ${rule.host} is not a DNS name`);
      const paths = (rule.http?.paths ?? []).map((p) => p.path);
      for (const p of paths) if (!PUBLIC_PATHS.includes(p)) fail("ingress-paths", w, `routes ${p}, which is not a public path (allowed: ${PUBLIC_PATHS.join(" ")})`);
      for (const p of PUBLIC_PATHS) if (!paths.includes(p)) fail("ingress-paths", w, `does not route the public path ${p}`);
      for (const p of rule.http?.paths ?? []) {
        const port = p.backend?.service?.port ?? {};
        if (port.name !== "http") fail("ingress-paths", w, `path ${p.path} goes to Service port ${port.name ?? port.number}, expected the public port http`);
      }
      for (const p of rule.http?.paths ?? []) {
        const s = find("Service", p.backend?.service?.name);
        if (!s) fail("refs", w, `backend Service ${p.backend?.service?.name} does not exist`);
        else if (!(s.spec.ports ?? []).some((sp) => sp.name === p.backend.service.port?.name || sp.port === p.backend.service.port?.number))
          fail("refs", w, "backend port is not a Service port");
      }
    }
  }

  // HPA.
  for (const hpa of ofKind("HorizontalPodAutoscaler")) {
    const w = where(hpa);
    const ref = hpa.spec.scaleTargetRef ?? {};
    if (!find(ref.kind, ref.name)) fail("hpa", w, `scaleTargetRef ${ref.kind}/${ref.name} does not exist`);
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    if (!(min <= max)) fail("hpa", w, `minReplicas ${min} > maxReplicas ${max}`);
    if (min !== bounds.min || max !== bounds.max) fail("overlay", w, `bounds ${min}-${max}, expected ${bounds.min}-${bounds.max} for ${overlay}`);
    const res = (hpa.spec.metrics ?? []).filter((m) => m.type === "Resource").map((m) => m.resource.name);
    if (!res.includes("cpu") || !res.includes("memory")) fail("hpa", w, "does not scale on both cpu and memory");
  }

  // PDB.
  for (const pdb of ofKind("PodDisruptionBudget")) {
    if (!dep || !labelsMatch(pdb.spec.selector, dep.spec.template.metadata.labels)) fail("selector", where(pdb), "selector does not match the titanic-api pods");
    if (pdb.spec.minAvailable !== undefined && dep && Number(pdb.spec.minAvailable) >= (dep.spec.replicas ?? 1))
      fail("pdb", where(pdb), "minAvailable blocks every voluntary eviction");
  }

  // NetworkPolicies: default deny; API ingress 5000 only; API egress DNS + 5432 only.
  const nps = ofKind("NetworkPolicy");
  if (!nps.some((n) => !Object.keys(n.spec.podSelector ?? {}).length && (n.spec.policyTypes ?? []).includes("Ingress") && (n.spec.policyTypes ?? []).includes("Egress") && !n.spec.ingress && !n.spec.egress))
    fail("netpol", overlay, "no default-deny NetworkPolicy for ingress and egress");
  if (dep) {
    const apiLabels = dep.spec.template.metadata.labels;
    const sel = nps.filter((n) => labelsMatch(n.spec.podSelector, apiLabels) || !Object.keys(n.spec.podSelector ?? {}).length);
    const ingRules = sel.flatMap((n) => n.spec.ingress ?? []);
    if (!ingRules.length) fail("netpol", overlay, "no NetworkPolicy lets traffic in to the API pods");
    for (const r of ingRules) {
      const ports = (r.ports ?? []).map((p) => p.port);
      const metricsOnly = ports.length && ports.every((p) => p === 9090 || p === "metrics");
      if (metricsOnly) {
        const fromMonitoring = (r.from ?? []).length && (r.from ?? []).every((f) => !f.ipBlock && f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring");
        if (!fromMonitoring) fail("netpol", overlay, "the metrics port 9090 must be reachable only from the monitoring namespace");
        continue;
      }
      if (!ports.length || ports.some((p) => p !== 5000 && p !== "http")) fail("netpol", overlay, `API ingress allows ports ${ports.length ? ports : "all"}, expected 5000 (and 9090 from monitoring) only`);
      if (!(r.from ?? []).length || (r.from ?? []).some((f) => f.ipBlock?.cidr === "0.0.0.0/0")) fail("netpol", overlay, "API ingress is open to everyone, expected the VPC only");
    }
    const egress = sel.filter((n) => (n.spec.policyTypes ?? []).includes("Egress")).flatMap((n) => n.spec.egress ?? []);
    const allows = (port) => egress.some((r) => (r.ports ?? []).some((p) => p.port === port));
    if (!allows(5432) || !allows(53)) fail("netpol", overlay, "no NetworkPolicy lets the API pods reach DNS 53 and PostgreSQL 5432");
    for (const r of egress) {
      const ports = (r.ports ?? []).map((p) => p.port);
      if (!ports.length || ports.some((p) => ![53, 5432].includes(p))) fail("netpol", overlay, `API egress allows ports ${ports.length ? ports : "all"}, expected DNS 53 and PostgreSQL 5432 only`);
    }
  }
  for (const n of nps) for (const r of [...(n.spec.ingress ?? []), ...(n.spec.egress ?? [])]) for (const p of [...(r.from ?? []), ...(r.to ?? [])])
    if (p.ipBlock && !/^[0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}$/.test(p.ipBlock.cidr)) fail("netpol", where(n), `ipBlock ${p.ipBlock.cidr} is not a CIDR`);

  // Week one (issue 23): ALB readiness gates, a zone spread the autoscaler can satisfy, the API
  // port only from the ALB's subnets, the ETL's HTTPS only inside the VPC, TLS verified.
  let settings = {};
  try {
    settings = Object.fromEntries(fs.readFileSync(path.join(dir, "settings.env"), "utf8").split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.split("=")[0], l.slice(l.indexOf("=") + 1)]));
  } catch {
    // render already failed without settings.env
  }
  const ns = find("Namespace", "titanic");
  if (ns?.metadata?.labels?.["elbv2.k8s.aws/pod-readiness-gate-inject"] !== "enabled")
    fail("week-one", overlay, "Namespace titanic lacks elbv2.k8s.aws/pod-readiness-gate-inject=enabled: rollouts do not wait for ALB target health (502s)");
  for (const c of dep?.spec?.template?.spec?.topologySpreadConstraints ?? [])
    if (c.topologyKey === "topology.kubernetes.io/zone" && c.whenUnsatisfiable !== "ScheduleAnyway")
      fail("week-one", where(dep), "the zone spread is DoNotSchedule: with one node group over two AZs the Cluster Autoscaler cannot pick a new node's AZ, so pods can stay Pending");
  const apiIngress = nps.find((n) => n.metadata.name === "titanic-api-ingress");
  for (const r of apiIngress?.spec?.ingress ?? [])
    if ((r.ports ?? []).some((p) => p.port === 5000) && (r.from ?? []).some((f) => f.ipBlock?.cidr !== settings.ALB_SUBNETS_CIDR))
      fail("week-one", where(apiIngress), `port 5000 is open to ${(r.from ?? []).map((f) => f.ipBlock?.cidr ?? "pods")}, expected only the ALB subnets ${settings.ALB_SUBNETS_CIDR}`);
  for (const n of nps.filter((x) => x.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "titanic-etl"))
    for (const r of n.spec.egress ?? [])
      if (!(r.to ?? []).length || (r.to ?? []).some((t) => t.ipBlock?.cidr !== settings.VPC_CIDR))
        fail("week-one", where(n), `the ETL (master credentials) may reach ${(r.ports ?? []).map((p) => p.port)} at ${(r.to ?? []).map((t) => t.ipBlock?.cidr).join(",") || "any address"}, expected the VPC (its endpoints) only`);
  const cfg = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("titanic-config"));
  if (cfg && (cfg.data?.PGSSLMODE !== "verify-full" || !cfg.data?.PGSSLROOTCERT)) fail("week-one", where(cfg), `PGSSLMODE=${cfg.data?.PGSSLMODE}, expected verify-full with PGSSLROOTCERT (the RDS CA bundle in the image)`);
  for (const es of ofKind("ExternalSecret"))
    if (/sslmode=(?!verify-full)/.test(JSON.stringify(es.spec?.target?.template ?? {}))) fail("week-one", where(es), "a templated URL does not use sslmode=verify-full");

  // Job and CronJob.
  const job = find("Job", "titanic-etl");
  if (job) {
    const w = where(job);
    for (const f of ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"]) if (typeof job.spec[f] !== "number") fail("job", w, `spec.${f} is not set`);
    const cmd = [...(job.spec.template.spec.containers[0]?.command ?? []), ...(job.spec.template.spec.containers[0]?.args ?? [])];
    if (cmd[0] !== "titanic-etl" || cmd.length < 2) fail("job", w, `does not run titanic-etl on a file: ${cmd.join(" ")}`);
    if (!["Never", "OnFailure"].includes(job.spec.template.spec.restartPolicy)) fail("job", w, "restartPolicy must be Never or OnFailure");
  }
  const cj = find("CronJob", "titanic-train");
  if (cj) {
    const w = where(cj);
    if (!cronOk(cj.spec.schedule)) fail("cronjob", w, `schedule '${cj.spec.schedule}' is not a 5-field cron expression`);
    if (cj.spec.concurrencyPolicy !== "Forbid") fail("cronjob", w, "concurrencyPolicy is not Forbid");
    for (const f of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) if (typeof cj.spec[f] !== "number") fail("cronjob", w, `${f} is not set`);
    const c = cj.spec.jobTemplate.spec.template.spec.containers[0] ?? {};
    const cmd = [...(c.command ?? []), ...(c.args ?? [])];
    if (cmd[0] !== "titanic-train" || !cmd.includes("--score")) fail("cronjob", w, `does not run titanic-train --score: ${cmd.join(" ")}`);
    for (const f of ["backoffLimit", "activeDeadlineSeconds"]) if (typeof cj.spec.jobTemplate.spec[f] !== "number") fail("cronjob", w, `jobTemplate.spec.${f} is not set`);
  }
}

for (const p of problems) console.log(p);
console.log(`manifests: ${checked} objects in ${Object.keys(overlays).length} overlays, ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
