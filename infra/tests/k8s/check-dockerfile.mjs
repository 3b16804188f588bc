// Lints the top-level Dockerfile with dockerfile-utils and checks what this project requires of
// it: multi-stage, base images as build arguments, unit tests in the build, a fixed non-root
// numeric USER, EXPOSE 5000, titanic-api as the default command. Usage: node check-dockerfile.mjs ROOT
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
const { validate } = createRequire(import.meta.url)("dockerfile-utils");

const root = path.resolve(process.argv[2] ?? ".");
const file = path.join(root, "Dockerfile");
const problems = [];
const fail = (check, msg) => problems.push(`FAIL [${check}] Dockerfile: ${msg}`);

let text = "";
try {
  text = fs.readFileSync(file, "utf8");
} catch {
  fail("dockerfile", `missing at ${file}`);
}

if (text) {
  // dockerfile-utils: severity 1 = error, 2 = warning; both fail the check.
  for (const d of validate(text)) if (d.severity <= 2) fail("dockerfile-lint", `line ${d.range.start.line + 1}: ${d.message}`);
  if (!fs.existsSync(path.join(root, ".dockerignore"))) fail("dockerignore", "no .dockerignore next to it");

  // Logical lines: join continuations, drop comments.
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const instr = lines.map((l) => {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    return { op: m[1].toUpperCase(), args: m[2] };
  });
  const froms = instr.filter((i) => i.op === "FROM");
  if (froms.length < 2) fail("multi-stage", "expected a build stage and a runtime stage");
  const globalArgs = [];
  for (const i of instr) {
    if (i.op === "FROM") break;
    if (i.op === "ARG") globalArgs.push(i.args.split("=")[0].trim());
  }
  for (const f of froms) {
    const image = f.args.split(/\s+/)[0];
    const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(image);
    const stageRef = froms.some((g) => new RegExp(`\\bAS\\s+${image}$`, "i").test(g.args));
    if (!stageRef && (!m || !globalArgs.includes(m[1]))) fail("base-arg", `FROM ${image}: the base image must be a build argument`);
  }
  const idx = instr.lastIndexOf(froms[froms.length - 1]);
  const last = instr.slice(idx);
  const build = instr.slice(0, idx);
  const buildRuns = build.filter((i) => i.op === "RUN").map((i) => i.args).join("\n");
  if (!/cmake[^\n]*CMAKE_BUILD_TYPE=Release/.test(buildRuns)) fail("build", "the build stage does not configure CMake in Release");
  if (!/ctest[^\n]*-L unit/.test(buildRuns)) fail("build", "the build stage does not run the unit tests (ctest -L unit)");
  const runtimeRuns = last.filter((i) => i.op === "RUN").map((i) => i.args).join("\n");
  if (/-dev\b|build-essential|cmake/.test(runtimeRuns)) fail("runtime", "the runtime stage installs build tools or -dev packages");
  for (const pkg of ["libpq5", "libcsv3", "libgsl27", "libmicrohttpd12", "libjansson4", "ca-certificates"])
    if (!runtimeRuns.includes(pkg)) fail("runtime", `the runtime stage does not install ${pkg}`);
  const users = last.filter((i) => i.op === "USER");
  const user = users.length ? users[users.length - 1].args.trim() : "";
  if (!/^[0-9]+(:[0-9]+)?$/.test(user)) fail("user", `final USER '${user || "(none, root)"}' must be a fixed numeric uid`);
  else if (Number(user.split(":")[0]) === 0) fail("user", "final USER is root");
  if (!last.some((i) => i.op === "EXPOSE" && /\b5000\b/.test(i.args))) fail("expose", "the runtime stage does not EXPOSE 5000");
  const cmds = last.filter((i) => i.op === "CMD" || i.op === "ENTRYPOINT");
  const cmd = cmds.find((i) => i.op === "CMD");
  if (!cmd || !/titanic-api/.test(cmd.args)) fail("cmd", "the default command is not titanic-api");
  if (cmds.some((i) => i.op === "ENTRYPOINT" && /titanic-api/.test(i.args))) fail("cmd", "titanic-api as ENTRYPOINT would stop titanic-etl/titanic-train being chosen as the command");
  if (cmd && !cmd.args.trim().startsWith("[")) fail("cmd", "CMD in shell form: the binary would not be PID 1 and would miss SIGTERM");
  if (/ADD\s+https?:/i.test(text)) fail("runtime", "ADD from a URL");
  // Provenance: OCI labels from build arguments (CI passes the commit, version and build time),
  // and the commit compiled in.
  const lastArgs = new Set(last.filter((i) => i.op === "ARG").map((i) => i.args.split("=")[0].trim()));
  const labels = last.filter((i) => i.op === "LABEL").map((i) => i.args).join(" ");
  for (const [label, arg] of [["source", "SOURCE_URL"], ["revision", "GIT_REVISION"], ["version", "VERSION"], ["created", "CREATED"]]) {
    if (!new RegExp(`org\\.opencontainers\\.image\\.${label}="?\\$\\{?${arg}\\}?"?`).test(labels)) fail("labels", `no LABEL org.opencontainers.image.${label} from the build argument ${arg}`);
    else if (!lastArgs.has(arg) || !globalArgs.includes(arg)) fail("labels", `build argument ${arg} is not declared globally and in the runtime stage`);
  }
  if (!/cmake[^\n]*-DTITANIC_GIT_REVISION="?\$\{?GIT_REVISION\}?/.test(buildRuns)) fail("labels", "the build stage does not pass -DTITANIC_GIT_REVISION=${GIT_REVISION} to cmake");
  // sslmode=verify-full (issue 23): the runtime stage carries the RDS CA bundle where PGSSLROOTCERT
  // points, the build context lets it in, and CI's build requires it.
  let rootCert = "";
  try {
    rootCert = /PGSSLROOTCERT=(\S+)/.exec(fs.readFileSync(path.join(root, "infra/k8s/base/kustomization.yaml"), "utf8"))?.[1] ?? "";
  } catch {
    // no manifests in this tree
  }
  const certDir = path.posix.dirname(rootCert || "/usr/local/share/titanic/certs/rds-global-bundle.pem") + "/";
  if (!last.some((i) => i.op === "COPY" && /(^|\s)infra\/certs\/?\s/.test(i.args) && i.args.trim().endsWith(certDir)))
    fail("rds-ca", `the runtime stage does not COPY infra/certs/ to ${certDir}, where PGSSLROOTCERT (${rootCert || "unset"}) points`);
  const ignore = fs.existsSync(path.join(root, ".dockerignore")) ? fs.readFileSync(path.join(root, ".dockerignore"), "utf8") : "";
  if (/^infra\/?$/m.test(ignore) && !/^!infra\/certs\/?$/m.test(ignore)) fail("rds-ca", ".dockerignore drops infra/certs (the RDS CA bundle) with infra");
  let deploy = "";
  try {
    deploy = fs.readFileSync(path.join(root, ".github/workflows/deploy.yml"), "utf8");
  } catch {
    // no workflows in this tree
  }
  if (deploy && !(/REQUIRE_RDS_CA=1/.test(deploy) && /truststore\.pki\.rds\.amazonaws\.com/.test(deploy)))
    fail("rds-ca", "deploy.yml does not fetch the RDS CA bundle and build with REQUIRE_RDS_CA=1: a release image could lack it");
}

for (const p of problems) console.log(p);
console.log(`dockerfile: ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
