'use strict';
// Policy and consistency checks over a parsed Terraform tree. Each check returns a list of
// failure messages (empty = pass). Every check has at least one mutation in
// ../fixtures/mutations.js that proves it can fail.

const fs = require('fs');
const path = require('path');
const { format } = require('@cdktf/hcl-tools');
const {
  SHARED_DIRS, evaluate, instances, environmentOf, rootContext, moduleContext,
  expressionStrings, referencesIn, one, blocks, isUnknown,
} = require('./tree');

// ---------------------------------------------------------------------------------------------
// What the architecture fixes (issue 5)
// ---------------------------------------------------------------------------------------------

const MODULES = ['network', 'eks', 'database', 'secrets', 'monitoring', 'registry', 'storage', 'deploy'];
const MODULE_FILES = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf'];
const ENV_OWN_FILES = ['backend.tf', 'terraform.tfvars']; // real files, one per environment
const ENV_FILES = [...MODULE_FILES, ...ENV_OWN_FILES];
const ROOTS = ['bootstrap', 'envs/dev', 'envs/prod'];
// Where the environments' shared .tf files live; envs/<env>/<file> is a relative symlink to it.
const SHARED_ENV = SHARED_DIRS[0];

const PUBLIC_CIDRS = ['0.0.0.0/0', '::/0'];
const PRIVATE_PORTS = [5432, 5000]; // PostgreSQL, the API pods
const WEB_PORTS = [80, 443];
const LB_SECURITY_GROUP = 'aws_security_group.alb'; // the Ingress's ALB uses this group

// The only tfvars that may differ between dev and prod, and the values each must have.
const ENV_SIZING = {
  dev: {
    eks_node_instance_types: ['t3.medium'], eks_node_min_size: 2, eks_node_max_size: 4,
    db_instance_class: 'db.t3.micro', db_allocated_storage: 20,
    db_multi_az: false, db_backup_retention_days: 7, db_performance_insights_enabled: false,
    db_deletion_protection: false, db_skip_final_snapshot: true,
  },
  prod: {
    eks_node_instance_types: ['t3.medium'], eks_node_min_size: 2, eks_node_max_size: 5,
    db_instance_class: 'db.t3.small', db_allocated_storage: 100,
    db_multi_az: true, db_backup_retention_days: 30, db_performance_insights_enabled: true,
    db_deletion_protection: true, db_skip_final_snapshot: false,
  },
};
const ENV_ALLOWED_DIFFERENCES = new Set([
  'environment', 'eks_node_desired_size', 'eks_public_access_cidrs', ...Object.keys(ENV_SIZING.dev),
  // issue 23 and 21: deploy identity, promotion, prod's resilience and the analysts' replica
  // (each asserted on the planned resources by envs/<env>/tests/plan.tftest.hcl)
  'github_environment', 'ecr_promote_from_repository_arn', 'ecr_pull_principal_arns', 'single_nat_gateway',
  'vpc_interface_endpoints', 'secret_recovery_window_days', 'db_analyst_replica', 'training_max_age_days',
]);

const DEPLOYMENT_OUTPUTS = [
  'cluster_name', 'db_endpoint', 'db_master_secret_arn', 'database_url_secret_arns', 'api_keys_secret_arn',
  'ecr_repository_url', 'etl_irsa_role_arn', 'external_secrets_irsa_role_arn', 'lb_controller_irsa_role_arn',
  'cluster_autoscaler_irsa_role_arn', 'alb_security_group_id', 'alb_logs_bucket_name', 'data_bucket_name',
];
// Service accounts with an IRSA role in the app namespace; the API and the trainer have none.
const APP_IRSA = { etl_service_account: 'titanic-etl', external_secrets_service_account: 'titanic-external-secrets' };
const WORLD = ['0.0.0.0/0', '::/0'];
// Tag the AWS Load Balancer Controller puts on what it creates (upstream policy conditions).
const LB_TAG = 'elbv2.k8s.aws/cluster';
// Mutating actions of the controller that upstream allows only under a tag condition.
const LB_TAG_GUARDED = [
  'ec2:DeleteSecurityGroup', 'ec2:CreateTags', 'ec2:DeleteTags',
  'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:SetSecurityGroups',
  'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:SetIpAddressType',
  'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const show = (v) => (isUnknown(v) ? '<not statically known>' : JSON.stringify(v));
const where = (inst) => `${inst.root}: ${inst.address} (${inst.body._file})`;
const ofType = (tree, type) => instances(tree).filter((i) => i.type === type);
const attr = (inst, name) => evaluate(inst.ctx, inst.body[name]);
const envOf = (tree, inst) => environmentOf(tree, inst.root);
const envRoots = (tree) => [...tree.dirs.keys()].filter((d) => d.startsWith(`envs${path.sep}`)).sort();

function expectAttr(out, inst, name, expected, why) {
  const v = attr(inst, name);
  if (JSON.stringify(v) !== JSON.stringify(expected)) {
    out.push(`${where(inst)}: ${name} must be ${JSON.stringify(expected)}${why ? ` (${why})` : ''}, got ${show(v)}`);
  }
}

// The resource address a reference such as "${aws_security_group.alb.id}" points at.
function referencedAddress(expr) {
  const m = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)(\[[^\]]*\])?\.[a-z_]+\}$/.exec(expr || '');
  return m ? m[1] : null;
}

function nestedBlock(body, name) {
  return blocks(body && body[name]);
}

// "at line N ("a" vs "b")" for the first line where two texts differ.
function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && la[i] === lb[i]) i++;
  return `at line ${i + 1} (${JSON.stringify(la[i] ?? '')} vs ${JSON.stringify(lb[i] ?? '')})`;
}

// Every ingress rule, however it is written, normalised to
// { inst, group, cidrs, from, to, protocol }.
function ingressRules(tree) {
  const rules = [];
  for (const inst of instances(tree)) {
    if (inst.type === 'aws_security_group') {
      for (const ing of nestedBlock(inst.body, 'ingress')) {
        rules.push({
          inst, group: `${inst.type}.${inst.name}`,
          cidrs: [
            ...[].concat(evaluate(inst.ctx, ing.cidr_blocks) || []),
            ...[].concat(evaluate(inst.ctx, ing.ipv6_cidr_blocks) || []),
          ],
          from: evaluate(inst.ctx, ing.from_port), to: evaluate(inst.ctx, ing.to_port),
          protocol: evaluate(inst.ctx, ing.protocol),
        });
      }
    } else if (inst.type === 'aws_security_group_rule' && attr(inst, 'type') === 'ingress') {
      rules.push({
        inst, group: referencedAddress(inst.body.security_group_id),
        cidrs: [...[].concat(attr(inst, 'cidr_blocks') || []), ...[].concat(attr(inst, 'ipv6_cidr_blocks') || [])],
        from: attr(inst, 'from_port'), to: attr(inst, 'to_port'), protocol: attr(inst, 'protocol'),
      });
    } else if (inst.type === 'aws_vpc_security_group_ingress_rule') {
      rules.push({
        inst, group: referencedAddress(inst.body.security_group_id),
        // cidr_blocks is not an argument of this resource (terraform validate rejects it), but a
        // rule written with it must not hide a world-open port from these checks either.
        cidrs: [attr(inst, 'cidr_ipv4'), attr(inst, 'cidr_ipv6'), ...[].concat(attr(inst, 'cidr_blocks') || [])].filter((c) => c !== undefined),
        from: attr(inst, 'from_port'), to: attr(inst, 'to_port'), protocol: attr(inst, 'ip_protocol'),
      });
    }
  }
  return rules;
}

function ruleCovers(rule, port) {
  if (rule.protocol === '-1' || rule.protocol === -1 || rule.protocol === 'all') return true;
  if (typeof rule.from !== 'number' || typeof rule.to !== 'number') return true; // unknown: assume the worst
  return rule.from <= port && port <= rule.to;
}

function isPublic(rule) {
  return rule.cidrs.some((c) => isUnknown(c) || PUBLIC_CIDRS.includes(c));
}

function ruleText(rule) {
  const ports = rule.from === rule.to ? show(rule.from) : `${show(rule.from)}-${show(rule.to)}`;
  return `${where(rule.inst)} opens ${show(rule.protocol)} ${ports} to ${rule.cidrs.map(show).join(', ')}`;
}

// Names of variables/tfvars that would hold a secret value.
const SECRET_NAME = /(^|_)(password|passwd|secret|secret_string|token|access_key|secret_key|private_key)$/i;

// For alarms created with for_each over a local map: the map's values as far as they are literal.
// The database instances that are primaries: a read replica (replicate_source_db) inherits engine,
// subnet group, password and backups from its source, so the sizing/engine/backup checks skip it
// (its own privacy and encryption are asserted by envs/prod/tests/plan.tftest.hcl).
function primaryDbs(tree) {
  return ofType(tree, 'aws_db_instance').filter((i) => !i.body.replicate_source_db);
}

function evaluateLocalMap(inst) {
  const m = /^\$\{local\.([A-Za-z_][\w-]*)\}$/.exec(inst.body.for_each || '');
  if (!m) return {};
  let v = inst.ctx.dir.locals[m[1]];
  const f = typeof v === 'string' && /^\$\{\{\s*for \w+, \w+ in local\.([A-Za-z_][\w-]*)\s*:/.exec(v);
  if (f) v = inst.ctx.dir.locals[f[1]];
  return v && typeof v === 'object' ? v : {};
}

// Terraform's built-in reference roots that need no declaration.
const BUILTIN_ROOTS = new Set(['each', 'count', 'path', 'self', 'terraform']);

function providerOf(type) {
  return type.split('_')[0];
}

// A version constraint pins when it has an upper bound: "~> x.y", "< x", "= x.y.z" or "x.y.z".
function isPinned(constraint) {
  if (typeof constraint !== 'string' || !constraint.trim()) return false;
  return constraint.split(',').some((c) => /^\s*(~>|<|<=|=)?\s*\d+(\.\d+)*\s*$/.test(c) && !/^\s*(>=|>|!=)/.test(c));
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

const checks = [
  {
    id: 'hcl-parse',
    title: 'every .tf and .tfvars file parses (hcl2json)',
    syntax: true,
    run: async (tree) => tree.parseErrors.map((e) => `${e.file}: ${e.error}`),
  },
  {
    id: 'hcl-format',
    title: 'every file is formatted as terraform fmt would (hcl-tools format())',
    syntax: true,
    run: async (tree) => {
      const out = [];
      for (const f of tree.sources.values()) { // each real file once (a symlink is checked at its target)
        if (f.error) continue; // reported by hcl-parse
        const formatted = await format(f.text);
        if (formatted !== f.text) {
          const a = f.text.split('\n');
          const b = formatted.split('\n');
          let line = 0;
          while (line < a.length && a[line] === b[line]) line++;
          out.push(`${f.rel}:${line + 1}: not formatted (terraform fmt wants ${JSON.stringify(b[line] ?? '')}, file has ${JSON.stringify(a[line] ?? '')})`);
        }
      }
      return out;
    },
  },
  {
    id: 'layout',
    title: 'modules and roots have the terraform-aws-modules file layout',
    run: async (tree) => {
      const out = [];
      const need = (rel, names) => {
        const d = tree.dirs.get(rel);
        if (!d) return out.push(`${rel}: directory with .tf files is missing`);
        const have = new Set(d.files.map((f) => f.name));
        for (const n of names) if (!have.has(n)) out.push(`${rel}: ${n} is missing`);
      };
      for (const m of MODULES) need(path.join('modules', m), MODULE_FILES);
      need('bootstrap', MODULE_FILES);
      for (const e of ['envs/dev', 'envs/prod']) need(e, ENV_FILES);
      return out;
    },
  },
  {
    id: 'variables-documented',
    title: 'every variable has a type and a description; every output a description',
    run: async (tree) => {
      const out = [];
      for (const d of tree.dirs.values()) {
        for (const [name, v] of Object.entries(d.variables)) {
          if (!v.type) out.push(`${v._file}: variable "${name}" has no type`);
          if (typeof v.description !== 'string' || !v.description.trim()) out.push(`${v._file}: variable "${name}" has no description`);
        }
        for (const [name, o] of Object.entries(d.outputs)) {
          if (typeof o.description !== 'string' || !o.description.trim()) out.push(`${o._file}: output "${name}" has no description`);
        }
      }
      return out;
    },
  },
  {
    id: 'references-defined',
    title: 'every var., local., module., data. and resource reference is defined (shared files in every env that links them)',
    run: async (tree) => {
      // A shared file (shared/env) is checked in every root that links it, as terraform reads it
      // there, and each finding is reported once, naming the file and every root it fails in.
      const found = new Map(); // message with {dir} -> the directories it holds in
      const note = (msg, dir) => found.set(msg, new Set([...(found.get(msg) || []), dir]));
      for (const d of tree.dirs.values()) {
        for (const f of d.files) {
          if (!f.json || f.rel.endsWith('.tfvars')) continue;
          for (const { at, expr } of expressionStrings(f.json)) {
            if (/\.lifecycle\[\d+\]\.ignore_changes/.test(at)) continue; // attribute paths, not references
            const refs = await referencesIn(expr);
            if (refs === null) {
              note(`${f.real}: cannot parse expression at ${at}: ${expr}`, d.rel);
              continue;
            }
            for (const ref of refs) {
              const parts = ref.split('.');
              const [head, a, b] = parts;
              const bad = (why) => note(`${f.real}: ${at} references ${ref}: ${why}`, d.rel);
              if (BUILTIN_ROOTS.has(head)) continue;
              if (head === 'var') {
                if (!(a in d.variables)) bad(`no variable "${a}" in {dir}`);
              } else if (head === 'local') {
                if (!(a in d.locals)) bad(`no local "${a}" in {dir}`);
              } else if (head === 'module') {
                if (!(a in d.modules)) { bad(`no module "${a}" in {dir}`); continue; }
                const child = moduleContext(tree, rootContext(tree, d.rel), a);
                if (child && b !== undefined && !/^\d+$/.test(b) && !(b in child.dir.outputs)) {
                  bad(`module "${a}" (${child.dir.rel}) has no output "${b}"`);
                }
              } else if (head === 'data') {
                if (!(d.data[a] && b in d.data[a])) bad(`no data "${a}" "${b}" in {dir}`);
              } else if (/^[a-z0-9]+_[a-z0-9_]+$/.test(head)) {
                if (!(d.resources[head] && a in d.resources[head])) bad(`no resource "${head}" "${a}" in {dir}`);
              }
            }
          }
        }
      }
      return [...found].map(([msg, ds]) => msg.replace('{dir}', () => [...ds].sort().join(' and ')));
    },
  },
  {
    id: 'module-interface',
    title: 'module calls and tfvars match the declared variables',
    run: async (tree) => {
      const out = [];
      const META = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on', '_file']);
      for (const d of tree.dirs.values()) {
        for (const [callName, call] of Object.entries(d.modules)) {
          const child = moduleContext(tree, rootContext(tree, d.rel), callName);
          if (!child) continue; // reported by module-sources
          for (const arg of Object.keys(call)) {
            if (!META.has(arg) && !(arg in child.dir.variables)) {
              out.push(`${call._file}: module "${callName}" passes "${arg}", which ${child.dir.rel} does not declare`);
            }
          }
          for (const [v, decl] of Object.entries(child.dir.variables)) {
            if (!('default' in decl) && !(v in call)) {
              out.push(`${call._file}: module "${callName}" does not pass required variable "${v}" of ${child.dir.rel}`);
            }
          }
        }
        for (const f of d.tfvarsFiles) {
          for (const k of Object.keys(f.json)) {
            if (!(k in d.variables)) out.push(`${f.rel}: sets "${k}", which ${d.rel} does not declare`);
          }
        }
        if (d.rel.startsWith(`envs${path.sep}`)) {
          for (const [v, decl] of Object.entries(d.variables)) {
            if (!('default' in decl) && !(v in d.tfvars)) out.push(`${d.rel}: required variable "${v}" is not set in terraform.tfvars`);
          }
        }
      }
      return out;
    },
  },
  {
    id: 'module-sources',
    title: 'every local module source exists; remote sources are pinned',
    run: async (tree) => {
      const out = [];
      for (const d of tree.dirs.values()) {
        for (const [name, call] of Object.entries(d.modules)) {
          const src = call.source;
          if (typeof src !== 'string') { out.push(`${call._file}: module "${name}" has no literal source`); continue; }
          if (src.startsWith('./') || src.startsWith('../')) {
            const abs = path.resolve(tree.root, d.rel, src);
            const rel = path.relative(tree.root, abs);
            if (!fs.existsSync(abs)) out.push(`${call._file}: module "${name}" source ${src} does not exist`);
            else if (!tree.dirs.has(rel)) out.push(`${call._file}: module "${name}" source ${src} holds no .tf files`);
          } else if (/^(git::|github\.com|git@)/.test(src)) {
            if (!/[?&]ref=/.test(src)) out.push(`${call._file}: module "${name}" git source ${src} has no ?ref= pin`);
          } else if (!isPinned(call.version)) {
            out.push(`${call._file}: registry module "${name}" (${src}) needs a pinned version, got ${show(call.version)}`);
          }
        }
      }
      return out;
    },
  },
  {
    id: 'versions-pinned',
    title: 'Terraform >= 1.5 and every provider pinned, the same everywhere (aws ~> 5.x)',
    run: async (tree) => {
      const out = [];
      const seen = {};
      for (const d of tree.dirs.values()) {
        if (!d.files.some((f) => f.name.endsWith('.tf'))) continue;
        const rv = d.terraform.map((t) => t.required_version).find(Boolean);
        if (!rv) out.push(`${d.rel}: terraform { required_version } is missing`);
        else if (!/>=\s*1\.([5-9]|\d\d)/.test(rv) || !isPinned(rv)) {
          out.push(`${d.rel}: required_version must be ">= 1.5" with an upper bound, got ${JSON.stringify(rv)}`);
        }
        const declared = {};
        for (const t of d.terraform) for (const rp of blocks(t.required_providers)) Object.assign(declared, rp);
        const used = new Set();
        for (const kind of [d.resources, d.data]) for (const type of Object.keys(kind)) used.add(providerOf(type));
        for (const p of Object.keys(d.providers)) used.add(p);
        used.delete('terraform'); // terraform_data: Terraform's built-in provider, nothing to pin
        for (const p of used) {
          const decl = declared[p];
          if (!decl) { out.push(`${d.rel}: provider "${p}" is used but not in required_providers`); continue; }
          if (!decl.source) out.push(`${d.rel}: provider "${p}" has no source`);
          if (!isPinned(decl.version)) out.push(`${d.rel}: provider "${p}" version must be pinned (e.g. "~> 5.60"), got ${show(decl.version)}`);
        }
        for (const [p, decl] of Object.entries(declared)) {
          if (p === 'aws' && !/~>\s*5\./.test(decl.version || '')) out.push(`${d.rel}: aws provider must be "~> 5.x", got ${show(decl.version)}`);
          if (seen[p] && decl.version && seen[p].version !== decl.version) {
            out.push(`${d.rel}: provider "${p}" is pinned to ${JSON.stringify(decl.version)} but ${seen[p].rel} pins ${JSON.stringify(seen[p].version)}`);
          } else if (!seen[p] && decl.version) seen[p] = { version: decl.version, rel: d.rel };
        }
      }
      return out;
    },
  },
  {
    id: 'rds-encrypted',
    title: 'RDS storage is encrypted with a KMS key',
    run: async (tree) => {
      const out = [];
      for (const inst of ofType(tree, 'aws_db_instance')) {
        expectAttr(out, inst, 'storage_encrypted', true);
        if (!inst.body.kms_key_id) out.push(`${where(inst)}: kms_key_id must name a customer-managed KMS key`);
      }
      return out;
    },
  },
  {
    id: 'rds-private',
    title: 'RDS is not publicly accessible, sits in a subnet group, forces SSL',
    run: async (tree) => {
      const out = [];
      for (const inst of primaryDbs(tree)) {
        expectAttr(out, inst, 'publicly_accessible', false);
        if (!inst.body.db_subnet_group_name) out.push(`${where(inst)}: db_subnet_group_name must be set`);
        const pg = referencedAddress(inst.body.parameter_group_name);
        const pgBody = pg && inst.ctx.dir.resources.aws_db_parameter_group?.[pg.split('.')[1]];
        const forced = pgBody && nestedBlock(pgBody, 'parameter').some((p) => p.name === 'rds.force_ssl' && String(p.value) === '1');
        if (!forced) out.push(`${where(inst)}: parameter_group_name must reference an aws_db_parameter_group setting rds.force_ssl = 1`);
      }
      return out;
    },
  },
  {
    id: 'rds-engine',
    title: 'RDS runs PostgreSQL 15.x on gp3 with log exports',
    run: async (tree) => {
      const out = [];
      const all = primaryDbs(tree);
      if (!all.length) out.push('no aws_db_instance in any environment');
      for (const inst of all) {
        expectAttr(out, inst, 'engine', 'postgres');
        const v = attr(inst, 'engine_version');
        if (typeof v !== 'string' || !/^15(\.\d+)?$/.test(v)) out.push(`${where(inst)}: engine_version must be 15.x, got ${show(v)}`);
        expectAttr(out, inst, 'storage_type', 'gp3');
        const logs = attr(inst, 'enabled_cloudwatch_logs_exports');
        for (const l of ['postgresql', 'upgrade']) {
          if (!Array.isArray(logs) || !logs.includes(l)) out.push(`${where(inst)}: enabled_cloudwatch_logs_exports must include "${l}", got ${show(logs)}`);
        }
      }
      return out;
    },
  },
  {
    id: 'rds-protection',
    title: 'RDS Multi-AZ, deletion protection, final snapshot, Performance Insights: on in prod, off in dev',
    run: async (tree) => {
      const out = [];
      const all = primaryDbs(tree);
      if (!all.some((i) => envOf(tree, i) === 'prod')) out.push('no aws_db_instance in the prod environment');
      for (const inst of all) {
        const env = envOf(tree, inst);
        const want = ENV_SIZING[env];
        if (!want) continue;
        expectAttr(out, inst, 'multi_az', want.db_multi_az, env);
        expectAttr(out, inst, 'deletion_protection', want.db_deletion_protection, env);
        expectAttr(out, inst, 'skip_final_snapshot', want.db_skip_final_snapshot, env);
        expectAttr(out, inst, 'performance_insights_enabled', want.db_performance_insights_enabled, env);
      }
      return out;
    },
  },
  {
    id: 'rds-backups',
    title: 'RDS backup retention is 7 days in dev and 30 in prod',
    run: async (tree) => {
      const out = [];
      for (const inst of primaryDbs(tree)) {
        const env = envOf(tree, inst);
        if (!ENV_SIZING[env]) continue;
        expectAttr(out, inst, 'backup_retention_period', ENV_SIZING[env].db_backup_retention_days, env);
      }
      return out;
    },
  },
  {
    id: 'sg-no-public-db-app',
    title: 'no security group opens 5432 or 5000 to 0.0.0.0/0 or ::/0',
    run: async (tree) => {
      const out = [];
      for (const rule of ingressRules(tree)) {
        if (!isPublic(rule)) continue;
        for (const port of PRIVATE_PORTS) if (ruleCovers(rule, port)) out.push(`${ruleText(rule)}: port ${port} must never be public`);
      }
      return out;
    },
  },
  {
    id: 'sg-public-only-lb-web',
    title: `only the load balancer's group (${LB_SECURITY_GROUP}) is open to the internet, on 80/443 only`,
    run: async (tree) => {
      const out = [];
      for (const rule of ingressRules(tree)) {
        if (!isPublic(rule)) continue;
        if (PRIVATE_PORTS.some((p) => ruleCovers(rule, p))) continue; // sg-no-public-db-app says it
        if (rule.group !== LB_SECURITY_GROUP) out.push(`${ruleText(rule)}: only ${LB_SECURITY_GROUP} may accept internet traffic`);
        else if (!(rule.from === rule.to && WEB_PORTS.includes(rule.from))) out.push(`${ruleText(rule)}: the load balancer may open only 80 and 443`);
      }
      return out;
    },
  },
  {
    id: 'rds-sg-from-cluster',
    title: 'the database accepts 5432 only from security groups, never from CIDRs',
    run: async (tree) => {
      const out = [];
      // The database's groups: those its aws_db_instance lists in vpc_security_group_ids.
      const key = (ctx, group) => `${ctx.address}|${group}`;
      const dbGroups = new Map();
      for (const inst of primaryDbs(tree)) {
        for (const ref of [].concat(inst.body.vpc_security_group_ids || [])) {
          const g = referencedAddress(ref);
          if (g) dbGroups.set(key(inst.ctx, g), { inst, group: g, fromGroups: 0 });
        }
        if (!inst.body.vpc_security_group_ids) out.push(`${where(inst)}: vpc_security_group_ids must name the database's own security group`);
      }
      for (const rule of ingressRules(tree)) {
        const db = dbGroups.get(key(rule.inst.ctx, rule.group));
        if (!db || !ruleCovers(rule, 5432)) continue;
        if (rule.inst.body.referenced_security_group_id || rule.inst.body.source_security_group_id) db.fromGroups++;
        if (isPublic(rule)) continue; // sg-no-public-db-app says it
        if (rule.cidrs.length) {
          out.push(`${ruleText(rule)}: database ingress must use referenced_security_group_id (the cluster group), not CIDRs`);
        }
      }
      for (const db of dbGroups.values()) {
        if (!db.fromGroups) out.push(`${where(db.inst)}: ${db.group} has no 5432 rule from the cluster's security group`);
      }
      return out;
    },
  },
  {
    id: 'eks-logging-encryption',
    title: 'EKS sends api, audit and authenticator logs and encrypts secrets with KMS',
    run: async (tree) => {
      const out = [];
      const all = ofType(tree, 'aws_eks_cluster');
      if (!all.length) out.push('no aws_eks_cluster in any environment');
      for (const inst of all) {
        const logs = attr(inst, 'enabled_cluster_log_types');
        for (const l of ['api', 'audit', 'authenticator']) {
          if (!Array.isArray(logs) || !logs.includes(l)) out.push(`${where(inst)}: enabled_cluster_log_types must include "${l}", got ${show(logs)}`);
        }
        const enc = nestedBlock(inst.body, 'encryption_config');
        const ok = enc.some((e) => [].concat(e.resources || []).includes('secrets') && nestedBlock(e, 'provider').some((p) => p.key_arn));
        if (!ok) out.push(`${where(inst)}: encryption_config must encrypt "secrets" with a KMS key_arn`);
      }
      return out;
    },
  },
  {
    id: 'eks-node-sizing',
    title: 'node group is 2-4 x t3.medium in dev and 2-5 x t3.medium in prod, in private subnets',
    run: async (tree) => {
      const out = [];
      for (const inst of ofType(tree, 'aws_eks_node_group')) {
        const want = ENV_SIZING[envOf(tree, inst)];
        if (!want) continue;
        expectAttr(out, inst, 'instance_types', want.eks_node_instance_types, envOf(tree, inst));
        const sc = one(inst.body.scaling_config) || {};
        const min = evaluate(inst.ctx, sc.min_size);
        const max = evaluate(inst.ctx, sc.max_size);
        if (min !== want.eks_node_min_size || max !== want.eks_node_max_size) {
          out.push(`${where(inst)}: scaling must be ${want.eks_node_min_size}-${want.eks_node_max_size} nodes in ${envOf(tree, inst)}, got ${show(min)}-${show(max)}`);
        }
        if (!/private/.test(inst.body.subnet_ids || '')) out.push(`${where(inst)}: subnet_ids must be the private subnets, got ${show(inst.body.subnet_ids)}`);
      }
      return out;
    },
  },
  {
    id: 'rds-sizing',
    title: 'RDS is db.t3.micro/20 GB in dev and db.t3.small/100 GB in prod',
    run: async (tree) => {
      const out = [];
      for (const inst of primaryDbs(tree)) {
        const env = envOf(tree, inst);
        if (!ENV_SIZING[env]) continue;
        expectAttr(out, inst, 'instance_class', ENV_SIZING[env].db_instance_class, env);
        expectAttr(out, inst, 'allocated_storage', ENV_SIZING[env].db_allocated_storage, env);
      }
      return out;
    },
  },
  {
    id: 'state-bucket',
    title: 'state bucket is versioned, encrypted and blocks public access; lock table exists',
    run: async (tree) => {
      const out = [];
      const d = tree.dirs.get('bootstrap');
      if (!d) return ['bootstrap/ root is missing'];
      const r = d.resources;
      const buckets = Object.keys(r.aws_s3_bucket || {});
      if (!buckets.length) out.push('bootstrap: no aws_s3_bucket');
      const about = (type, bucket) => Object.entries(r[type] || {})
        .filter(([, b]) => referencedAddress(b.bucket) === `aws_s3_bucket.${bucket}`).map(([, b]) => b);
      for (const b of buckets) {
        const ver = about('aws_s3_bucket_versioning', b);
        if (!ver.some((v) => nestedBlock(v, 'versioning_configuration').some((c) => c.status === 'Enabled'))) {
          out.push(`bootstrap: aws_s3_bucket.${b} needs aws_s3_bucket_versioning with status = "Enabled"`);
        }
        const sse = about('aws_s3_bucket_server_side_encryption_configuration', b);
        const encrypted = sse.some((s) => nestedBlock(s, 'rule').some((ru) => nestedBlock(ru, 'apply_server_side_encryption_by_default')
          .some((x) => ['aws:kms', 'AES256', 'aws:kms:dsse'].includes(x.sse_algorithm))));
        if (!encrypted) out.push(`bootstrap: aws_s3_bucket.${b} needs server-side encryption (aws:kms or AES256)`);
        const pab = about('aws_s3_bucket_public_access_block', b);
        const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
        const missing = flags.filter((f) => !pab.some((p) => p[f] === true));
        if (missing.length) out.push(`bootstrap: aws_s3_bucket.${b} public access block must set ${missing.join(', ')} = true`);
        for (const acl of about('aws_s3_bucket_acl', b)) if (/public/.test(acl.acl || '')) out.push(`bootstrap: aws_s3_bucket.${b} has a public ACL`);
      }
      const locks = Object.values(r.aws_dynamodb_table || {}).filter((t) => t.hash_key === 'LockID');
      if (!locks.length) out.push('bootstrap: needs an aws_dynamodb_table with hash_key = "LockID"');
      return out;
    },
  },
  {
    id: 'backend-config',
    title: 'each env uses the bootstrap bucket, S3 lock file (and the lock table), encrypted, with its own key',
    run: async (tree) => {
      const out = [];
      const boot = tree.dirs.get('bootstrap');
      const ctx = boot && rootContext(tree, 'bootstrap');
      const bucket = boot && evaluate(ctx, '${var.state_bucket_name}');
      const table = boot && evaluate(ctx, '${var.lock_table_name}');
      const keys = new Map();
      for (const e of envRoots(tree)) {
        const d = tree.dirs.get(e);
        const s3 = d.terraform.map((t) => t.backend && one(t.backend.s3)).find(Boolean);
        if (!s3) { out.push(`${e}: needs a backend "s3" block`); continue; }
        if (s3.encrypt !== true) out.push(`${e}: backend encrypt must be true`);
        if (s3.use_lockfile !== true) out.push(`${e}: backend use_lockfile must be true (S3-native state locking, Terraform >= 1.10)`);
        if (s3.bucket !== bucket) out.push(`${e}: backend bucket ${show(s3.bucket)} is not the bootstrap bucket ${show(bucket)}`);
        if (s3.dynamodb_table !== table) out.push(`${e}: backend dynamodb_table ${show(s3.dynamodb_table)} is not the bootstrap table ${show(table)}`);
        const env = path.basename(e);
        if (typeof s3.key !== 'string' || !s3.key.includes(`/${env}/`)) out.push(`${e}: backend key ${show(s3.key)} must contain /${env}/`);
        if (keys.has(s3.key)) out.push(`${e}: backend key ${show(s3.key)} is also used by ${keys.get(s3.key)}`);
        keys.set(s3.key, e);
      }
      return out;
    },
  },
  {
    id: 'no-secret-values',
    title: 'no secret value in git: passwords are generated, tfvars hold none',
    run: async (tree) => {
      const out = [];
      for (const inst of primaryDbs(tree)) {
        const pw = inst.body.password;
        const managed = attr(inst, 'manage_master_user_password') === true;
        if (!managed && (pw === undefined || !String(pw).includes('${'))) {
          out.push(`${where(inst)}: password must come from random_password (or manage_master_user_password = true), not a literal`);
        }
        if (!managed && pw !== undefined) {
          const v = attr(inst, 'password');
          if (!isUnknown(v)) out.push(`${where(inst)}: password resolves to a value written in git (${v === undefined ? 'unset' : 'a literal'})`);
        }
      }
      for (const d of tree.dirs.values()) {
        for (const [name, v] of Object.entries(d.variables)) {
          if (SECRET_NAME.test(name) && 'default' in v) out.push(`${v._file}: variable "${name}" must not have a default`);
        }
        for (const f of d.tfvarsFiles) {
          for (const k of Object.keys(f.json)) if (SECRET_NAME.test(k)) out.push(`${f.rel}: "${k}" looks like a secret; generate it instead`);
        }
      }
      for (const f of tree.sources.values()) {
        if (/AKIA[0-9A-Z]{16}/.test(f.text)) out.push(`${f.rel}: contains what looks like an AWS access key id`);
        if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.text)) out.push(`${f.rel}: contains a private key`);
      }
      return out;
    },
  },
  {
    id: 'secrets-least-privilege',
    title: 'IAM statements granting secretsmanager actions name specific secrets, not "*"',
    run: async (tree) => {
      const out = [];
      for (const d of tree.dirs.values()) {
        for (const [name, doc] of Object.entries(d.data.aws_iam_policy_document || {})) {
          for (const st of nestedBlock(doc, 'statement')) {
            const acts = [].concat(st.actions || []);
            if (acts.some((a) => /^secretsmanager:|^\*$/.test(a)) && st.effect !== 'Deny') {
              const res = [].concat(st.resources || []);
              if (!res.length || res.includes('*')) out.push(`${doc._file}: data.aws_iam_policy_document.${name} grants ${acts.join(', ')} on ${JSON.stringify(st.resources)}`);
            }
          }
        }
      }
      return out;
    },
  },
  {
    id: 'ecr-policy',
    title: 'ECR scans on push, has immutable tags and a lifecycle policy',
    run: async (tree) => {
      const out = [];
      const repos = ofType(tree, 'aws_ecr_repository');
      if (!repos.length) out.push('no aws_ecr_repository in any environment');
      for (const inst of repos) {
        expectAttr(out, inst, 'image_tag_mutability', 'IMMUTABLE');
        if (!nestedBlock(inst.body, 'image_scanning_configuration').some((s) => evaluate(inst.ctx, s.scan_on_push) === true)) {
          out.push(`${where(inst)}: image_scanning_configuration.scan_on_push must be true`);
        }
        const lp = Object.values(inst.ctx.dir.resources.aws_ecr_lifecycle_policy || {})
          .some((p) => referencedAddress(p.repository) === `aws_ecr_repository.${inst.name}`);
        if (!lp) out.push(`${where(inst)}: needs an aws_ecr_lifecycle_policy`);
      }
      return out;
    },
  },
  {
    id: 'monitoring',
    title: 'alarms on RDS CPU, storage, connections and ALB 5xx, latency, unhealthy targets reach an SNS e-mail; log groups expire',
    run: async (tree) => {
      const out = [];
      const byRoot = new Map();
      for (const inst of instances(tree)) {
        if (!inst.root.startsWith('envs')) continue;
        if (!byRoot.has(inst.root)) byRoot.set(inst.root, { metrics: new Set(), email: false });
        const r = byRoot.get(inst.root);
        if (inst.type === 'aws_cloudwatch_metric_alarm') {
          const m = inst.body.metric_name;
          if (typeof m === 'string' && !m.includes('${')) r.metrics.add(m);
          else {
            for (const def of Object.values(evaluateLocalMap(inst))) {
              // A Metrics Insights alarm names its metric in the query: SELECT FN(Metric) FROM ...
              const q = typeof def.query === 'string' && /SELECT\s+\w+\((\w+)\)/.exec(def.query);
              r.metrics.add(q ? q[1] : def.metric);
            }
          }
          if (!inst.body.alarm_actions) out.push(`${where(inst)}: alarm_actions must notify the SNS topic`);
        }
        if (inst.type === 'aws_sns_topic_subscription' && attr(inst, 'protocol') === 'email') r.email = true;
        if (inst.type === 'aws_cloudwatch_log_group' && !inst.body.retention_in_days) out.push(`${where(inst)}: retention_in_days must be set`);
      }
      const want = ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections', 'HTTPCode_ELB_5XX_Count', 'TargetResponseTime', 'UnHealthyHostCount'];
      for (const [root, r] of byRoot) {
        for (const m of want) if (!r.metrics.has(m)) out.push(`${root}: no alarm on ${m}`);
        if (!r.email) out.push(`${root}: no e-mail subscription to the alarm topic`);
      }
      return out;
    },
  },
  {
    id: 'network-lb-tags',
    title: 'public subnets carry kubernetes.io/role/elb, private ones kubernetes.io/role/internal-elb',
    run: async (tree) => {
      const out = [];
      const subnets = ofType(tree, 'aws_subnet');
      if (!subnets.length) out.push('no aws_subnet in any environment');
      for (const inst of subnets) {
        const tags = JSON.stringify(inst.body.tags || '');
        const role = /public/.test(inst.name) ? 'kubernetes.io/role/elb' : 'kubernetes.io/role/internal-elb';
        if (!new RegExp(`[^-]${role.replace(/[./]/g, '\\$&')}[^-]`).test(tags)) out.push(`${where(inst)}: tags must include "${role}" = "1" for the AWS Load Balancer Controller`);
      }
      return out;
    },
  },
  {
    id: 'env-parity',
    title: `dev and prod link the same shared .tf files (${SHARED_ENV}/) and differ only in the backend key and the expected tfvars (the values are checked on the resources)`,
    run: async (tree) => {
      const out = [];
      const dev = tree.dirs.get('envs/dev');
      const prod = tree.dirs.get('envs/prod');
      if (!dev || !prod) return ['envs/dev and envs/prod must both exist'];
      const shared = tree.sharedDirs.get(SHARED_ENV);
      if (!shared) return [`${SHARED_ENV}/ is missing: the .tf files envs/dev and envs/prod share live there`];
      const sharedText = new Map(shared.files.map((f) => [f.name, f.text]));
      // Every env file but backend.tf and terraform.tfvars is a relative symlink to the file of
      // the same name in shared/env; those two are the env's own, regular files.
      for (const d of [dev, prod]) {
        for (const f of d.files) {
          const want = path.join(SHARED_ENV, f.name);
          const relink = `ln -sf ${path.relative(d.rel, want)} ${f.rel}`;
          if (ENV_OWN_FILES.includes(f.name)) {
            if (f.link) out.push(`${f.rel} must be a regular file of ${d.rel} alone, not a symlink (to ${f.link})`);
          } else if (!f.link && !sharedText.has(f.name)) {
            out.push(`${f.rel}: only ${ENV_OWN_FILES.join(' and ')} may be files of one environment; put the .tf file in ${SHARED_ENV}/ and link it from every env`);
          } else if (!f.link && f.text === sharedText.get(f.name)) {
            out.push(`${f.rel} is a copy of ${want}, not a symlink to it; replace it with the link (${relink})`);
          } else if (!f.link) {
            out.push(`${f.rel} is a regular file, not a symlink to ${want}; it differs from it ${firstDifference(sharedText.get(f.name), f.text)}; put environment values in terraform.tfvars and link the file again (${relink})`);
          } else if (f.real !== want) {
            out.push(`${f.rel} links to ${f.link} (${f.real}), not to ${want} (${relink})`);
          } else if (path.isAbsolute(f.link)) {
            out.push(`${f.rel} links to the absolute path ${f.link}; make it relative (${relink})`);
          }
        }
      }
      // Every shared file is seen by every env (terraform reads only the root's own directory).
      for (const [name, from] of shared.linkedFrom) {
        if (!name.endsWith('.tf')) continue;
        const missing = [dev, prod].filter((d) => !from.includes(d.rel) && !d.files.some((f) => f.name === name));
        for (const d of missing) out.push(`${SHARED_ENV}/${name} is not linked from ${d.rel}, so terraform there does not read it (ln -s ${path.relative(d.rel, path.join(SHARED_ENV, name))} ${d.rel}/${name})`);
      }
      const ba = dev.terraform.map((t) => t.backend && one(t.backend.s3)).find(Boolean) || {};
      const bb = prod.terraform.map((t) => t.backend && one(t.backend.s3)).find(Boolean) || {};
      for (const k of new Set([...Object.keys(ba), ...Object.keys(bb)])) {
        if (k !== 'key' && JSON.stringify(ba[k]) !== JSON.stringify(bb[k])) out.push(`backend "${k}" differs between dev (${show(ba[k])}) and prod (${show(bb[k])})`);
      }
      for (const k of new Set([...Object.keys(dev.tfvars), ...Object.keys(prod.tfvars)])) {
        if (JSON.stringify(dev.tfvars[k]) === JSON.stringify(prod.tfvars[k])) continue;
        if (!ENV_ALLOWED_DIFFERENCES.has(k)) {
          out.push(`tfvars "${k}" differs between dev (${show(dev.tfvars[k])}) and prod (${show(prod.tfvars[k])}) but the architecture has it the same`);
        }
      }
      return out;
    },
  },
  {
    id: 'eks-endpoint-restricted',
    title: 'the public EKS endpoint is limited to a required CIDR list: no world-open value, no default',
    run: async (tree) => {
      const out = [];
      for (const inst of ofType(tree, 'aws_eks_cluster')) {
        for (const vc of nestedBlock(inst.body, 'vpc_config')) {
          const pub = evaluate(inst.ctx, vc.endpoint_public_access);
          const cidrs = evaluate(inst.ctx, vc.public_access_cidrs);
          if (pub === false) continue;
          if (!Array.isArray(cidrs)) out.push(`${where(inst)}: vpc_config.public_access_cidrs must be set (AWS defaults to 0.0.0.0/0), got ${show(cidrs)}`);
          else if (cidrs.some((c) => WORLD.includes(c))) out.push(`${where(inst)}: the public endpoint is open to the internet (${cidrs.join(', ')}); list the CI and operator CIDRs`);
        }
      }
      for (const e of envRoots(tree)) {
        const v = tree.dirs.get(e).variables.eks_public_access_cidrs;
        if (!v) { out.push(`${e}: variable "eks_public_access_cidrs" is missing`); continue; }
        if ('default' in v) out.push(`${v._file}: variable "eks_public_access_cidrs" must be required (no default)`);
        if (!JSON.stringify(v.validation || '').includes('0.0.0.0/0')) out.push(`${v._file}: variable "eks_public_access_cidrs" needs a validation refusing 0.0.0.0/0`);
      }
      return out;
    },
  },
  {
    id: 'lb-controller-conditions',
    title: `the Load Balancer Controller's mutating EC2/ELB actions carry the upstream ${LB_TAG} tag conditions`,
    run: async (tree) => {
      const out = [];
      let found = false;
      for (const d of tree.dirs.values()) {
        const doc = (d.data.aws_iam_policy_document || {}).lb_controller;
        if (!doc) continue;
        found = true;
        for (const st of nestedBlock(doc, 'statement')) {
          const acts = [].concat(st.actions || []);
          const guarded = acts.filter((a) => LB_TAG_GUARDED.includes(a) || /\*/.test(a) && /^(ec2|elasticloadbalancing):/.test(a) && !/:Describe\*?$/.test(a));
          if (!guarded.length) continue;
          // Condition keys may name the tag through a literal local (local.lb_cluster_tag).
          const key = (v) => String(v || '').replace(/\$\{local\.([A-Za-z_][\w-]*)\}/g, (m, n) => (typeof d.locals[n] === 'string' ? d.locals[n] : m));
          const tagged = nestedBlock(st, 'condition').some((c) => key(c.variable).includes(LB_TAG)
            || (c.variable === 'ec2:CreateAction' || c.variable === 'elasticloadbalancing:CreateAction'));
          const scoped = [].concat(st.resources || []).every((r) => r !== '*' && /listener(-rule)?\//.test(r));
          if (!tagged && !scoped) out.push(`${doc._file}: data.aws_iam_policy_document.lb_controller statement ${st.sid || '(no sid)'} allows ${guarded.join(', ')} on ${JSON.stringify(st.resources)} without a ${LB_TAG} tag condition`);
        }
      }
      if (!found) out.push('no data.aws_iam_policy_document.lb_controller (the AWS Load Balancer Controller policy) in any module');
      return out;
    },
  },
  {
    id: 'deployment-contract',
    title: 'env outputs what the deployment needs; IRSA roles bound to titanic/titanic-etl and titanic/titanic-external-secrets, none for the API or trainer',
    run: async (tree) => {
      const out = [];
      for (const e of envRoots(tree)) {
        const d = tree.dirs.get(e);
        for (const o of DEPLOYMENT_OUTPUTS) if (!(o in d.outputs)) out.push(`${e}: output "${o}" is missing`);
      }
      for (const inst of ofType(tree, 'aws_eks_cluster')) {
        const ns = evaluate(inst.ctx, '${var.app_namespace}');
        for (const [v, want] of Object.entries(APP_IRSA)) {
          const sa = evaluate(inst.ctx, `\${var.${v}}`);
          if (ns !== 'titanic' || sa !== want) out.push(`${inst.root}: the ${v.replace('_service_account', '')} IRSA role must trust system:serviceaccount:titanic:${want}, got ${show(ns)}:${show(sa)}`);
        }
        const keys = Object.keys(evaluate(inst.ctx, '${local.irsa_service_accounts}') || {});
        for (const k of keys) if (/api|app|train/.test(k)) out.push(`${inst.root}: IRSA role "${k}": the API and the trainer need no AWS access and get no role`);
      }
      return out;
    },
  },
];

// Runs every check. When a file does not parse, the semantic checks are skipped: their
// results would only echo the syntax error.
async function runChecks(tree) {
  const results = [];
  const broken = tree.parseErrors.length > 0;
  for (const c of checks) {
    if (broken && !c.syntax) {
      results.push({ id: c.id, title: c.title, skipped: true, failures: [] });
      continue;
    }
    let failures;
    try {
      failures = [...new Set(await c.run(tree))]; // a shared file read by two roots: say it once
    } catch (err) {
      failures = [`check crashed: ${err && err.stack ? err.stack : err}`];
    }
    results.push({ id: c.id, title: c.title, skipped: false, failures });
  }
  return results;
}

module.exports = { checks, runChecks, ENV_SIZING, ROOTS, SHARED_ENV };
