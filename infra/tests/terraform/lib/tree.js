'use strict';
// Loads a Terraform tree (infra/terraform or a fixture copy of it): every directory that holds
// .tf files, each file parsed to JSON with @cdktf/hcl2json (HashiCorp's HCL parser in WASM),
// plus a small static evaluator that follows var./local./module. references from an
// environment root down into the modules it calls.
//
// Symlinked files are read as Terraform reads them (through the link), so envs/dev and envs/prod
// hold all their declarations. Each real file is parsed and listed once (tree.sources), under its
// own path; declarations carry that path in _file. SHARED_DIRS hold the files the env roots link
// to: they are not Terraform directories, so they are kept in tree.sharedDirs, not in tree.dirs,
// and are never taken for a root (nor checked as one).

const fs = require('fs');
const path = require('path');
const { parse, getReferencesInExpression } = require('@cdktf/hcl2json');

// Directories of .tf files that envs/dev and envs/prod link to (relative symlinks). Never roots:
// nobody runs terraform there, and CI validates only bootstrap and envs/*.
const SHARED_DIRS = ['shared/env'];

const parseCache = new Map();
async function parseCached(name, text) {
  const key = `${name}\0${text}`;
  if (!parseCache.has(key)) {
    parseCache.set(key, parse(name, text).then(
      (json) => ({ json }),
      (err) => ({ error: String(err && err.message ? err.message : err) }),
    ));
  }
  return parseCache.get(key);
}

const refCache = new Map();
async function referencesIn(expr) {
  if (!refCache.has(expr)) {
    refCache.set(expr, getReferencesInExpression('expr.tf', expr).then(
      (refs) => refs.map((r) => r.value),
      () => null,
    ));
  }
  return refCache.get(expr);
}

function walkFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p));
    else if (/\.tf$|\.tfvars$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

// hcl2json wraps every block body in a one-element list; these helpers undo that.
function one(v) {
  return Array.isArray(v) ? v[0] : v;
}
function blocks(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function emptyDir(rel) {
  return {
    rel, files: [], tfvars: {}, tfvarsFiles: [],
    variables: {}, locals: {}, modules: {}, outputs: {},
    resources: {}, data: {}, providers: {}, terraform: [],
  };
}

// What a path is on disk: a regular file, or a symlink with its link text and the file it
// resolves to (relative to the tree root); error when it dangles or leaves the tree.
function linkInfo(root, abs) {
  if (!fs.lstatSync(abs).isSymbolicLink()) return { link: null, real: path.relative(root, abs) };
  const link = fs.readlinkSync(abs);
  let realAbs;
  try {
    realAbs = fs.realpathSync(abs);
  } catch (err) {
    return { link, real: null, error: `symlink to ${link} does not resolve (${err.code || err.message})` };
  }
  const real = path.relative(root, realAbs);
  if (real.startsWith('..') || path.isAbsolute(real)) {
    return { link, real: null, error: `symlink to ${link} points outside the tree (${realAbs})` };
  }
  if (!fs.statSync(realAbs).isFile()) return { link, real: null, error: `symlink to ${link} is not a file` };
  return { link, real };
}

async function loadTree(root) {
  root = fs.realpathSync(path.resolve(root));
  const files = walkFiles(root);
  const dirs = new Map();
  const parseErrors = [];
  const sources = new Map(); // real rel path -> the file record read from it (each file once)
  const linked = new Map(); // real rel path -> the rel paths of the symlinks to it
  for (const abs of files) {
    const rel = path.relative(root, abs);
    const dirRel = path.dirname(rel);
    if (!dirs.has(dirRel)) dirs.set(dirRel, emptyDir(dirRel));
    const d = dirs.get(dirRel);
    const { link, real, error: linkError } = linkInfo(root, abs);
    if (linkError) {
      d.files.push({ rel, real: rel, name: path.basename(rel), link, text: '', error: linkError });
      parseErrors.push({ file: rel, error: linkError });
      continue;
    }
    if (link) linked.set(real, [...(linked.get(real) || []), rel]);
    const text = fs.readFileSync(abs, 'utf8');
    const res = await parseCached(real, text);
    const file = { rel, real, name: path.basename(rel), link, text, json: res.json, error: res.error };
    d.files.push(file);
    if (!link) {
      sources.set(real, file);
      if (res.error) parseErrors.push({ file: rel, error: res.error });
    }
    if (res.error) continue;
    const j = res.json;
    if (rel.endsWith('.tfvars')) {
      d.tfvarsFiles.push(file);
      Object.assign(d.tfvars, j);
      continue;
    }
    for (const [name, b] of Object.entries(j.variable || {})) d.variables[name] = { ...one(b), _file: real };
    for (const l of blocks(j.locals)) Object.assign(d.locals, l);
    for (const [name, b] of Object.entries(j.module || {})) d.modules[name] = { ...one(b), _file: real };
    for (const [name, b] of Object.entries(j.output || {})) d.outputs[name] = { ...one(b), _file: real };
    for (const kind of ['resource', 'data']) {
      const target = kind === 'resource' ? d.resources : d.data;
      for (const [type, byName] of Object.entries(j[kind] || {})) {
        target[type] = target[type] || {};
        for (const [name, b] of Object.entries(byName)) target[type][name] = { ...one(b), _file: real };
      }
    }
    for (const [name, b] of Object.entries(j.provider || {})) d.providers[name] = one(b);
    for (const t of blocks(j.terraform)) d.terraform.push({ ...t, _file: real });
  }
  // A link whose target the walk did not list (not .tf/.tfvars, or in a skipped directory):
  // its target is still a source, parsed and format-checked once.
  for (const d of dirs.values()) {
    for (const f of d.files) {
      if (!f.link || !f.real || f.real === f.rel || sources.has(f.real)) continue;
      sources.set(f.real, { ...f, rel: f.real, name: path.basename(f.real), link: null });
      if (f.error) parseErrors.push({ file: f.real, error: f.error });
    }
  }
  // The shared directories: out of dirs, with which directories link each of their files.
  const sharedDirs = new Map();
  for (const rel of SHARED_DIRS) {
    const d = dirs.get(rel);
    if (!d) continue;
    dirs.delete(rel);
    const linkedFrom = new Map(d.files.map((f) => [f.name, (linked.get(f.rel) || []).map((l) => path.dirname(l)).sort()]));
    sharedDirs.set(rel, { rel, files: d.files, linkedFrom });
  }
  const tree = { root, dirs, sharedDirs, sources, parseErrors, files: files.map((f) => path.relative(root, f)) };
  return tree;
}

// ---------------------------------------------------------------------------------------------
// Static evaluation
// ---------------------------------------------------------------------------------------------

const UNKNOWN = Object.freeze({ unknown: true });
const isUnknown = (v) => v === UNKNOWN;

// A context is a directory plus, for a module, the call that instantiated it:
//   { dir, caller: { ctx, call } }   (caller absent for a root)
function rootContext(tree, dirRel) {
  return { tree, dir: tree.dirs.get(dirRel), caller: null, address: '' };
}

function moduleContext(tree, parentCtx, callName) {
  const call = parentCtx.dir.modules[callName];
  if (!call || typeof call.source !== 'string') return null;
  const rel = path.normalize(path.join(parentCtx.dir.rel, call.source));
  const dir = tree.dirs.get(rel);
  if (!dir) return null;
  return {
    tree, dir, caller: { ctx: parentCtx, call },
    address: `${parentCtx.address}module.${callName}.`,
  };
}

const WHOLE_EXPR = /^\$\{([^{}]*)\}$/;

// Returns the value of an attribute as far as it can be known without running Terraform:
// literals, and chains of plain var.X / local.X / module.M.O references. Anything else
// (function calls, interpolation, resource attributes) is UNKNOWN.
function evaluate(ctx, value, depth = 0) {
  if (depth > 20) return UNKNOWN;
  if (Array.isArray(value)) {
    const items = value.map((v) => evaluate(ctx, v, depth + 1));
    return items.some(isUnknown) ? UNKNOWN : items;
  }
  if (value === null || typeof value !== 'string') return value === undefined ? undefined : value;
  if (!value.includes('${')) return value;
  const m = WHOLE_EXPR.exec(value);
  if (!m) return UNKNOWN;
  const expr = m[1].trim();
  let r;
  if (/^(true|false)$/.test(expr)) return expr === 'true';
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(expr)) return Number(expr);
  if ((r = /^var\.([A-Za-z_][\w-]*)$/.exec(expr))) return evalVar(ctx, r[1], depth);
  if ((r = /^local\.([A-Za-z_][\w-]*)$/.exec(expr))) {
    if (!(r[1] in ctx.dir.locals)) return UNKNOWN;
    return evaluate(ctx, ctx.dir.locals[r[1]], depth + 1);
  }
  if ((r = /^module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$/.exec(expr))) {
    const child = moduleContext(ctx.tree, ctx, r[1]);
    if (!child || !(r[2] in child.dir.outputs)) return UNKNOWN;
    return evaluate(child, child.dir.outputs[r[2]].value, depth + 1);
  }
  return UNKNOWN;
}

function evalVar(ctx, name, depth) {
  const decl = ctx.dir.variables[name];
  if (ctx.caller) {
    if (name in ctx.caller.call) return evaluate(ctx.caller.ctx, ctx.caller.call[name], depth + 1);
  } else if (name in ctx.dir.tfvars) {
    return ctx.dir.tfvars[name];
  }
  if (decl && 'default' in decl) return evaluate(ctx, decl.default, depth + 1);
  return UNKNOWN;
}

// Roots are the directories no module block points at (bootstrap, envs/*); modules/* and the
// shared directories (tree.sharedDirs, not in tree.dirs) never are.
function roots(tree) {
  const called = new Set();
  for (const d of tree.dirs.values()) {
    for (const call of Object.values(d.modules)) {
      if (typeof call.source === 'string' && call.source.startsWith('.')) {
        called.add(path.normalize(path.join(d.rel, call.source)));
      }
    }
  }
  return [...tree.dirs.keys()].filter((rel) => !called.has(rel) && !rel.startsWith('modules')).sort();
}

// Every resource reachable from the roots, with the context to evaluate its attributes in.
function instances(tree) {
  const out = [];
  const visit = (ctx, root, seen) => {
    for (const [type, byName] of Object.entries(ctx.dir.resources)) {
      for (const [name, body] of Object.entries(byName)) {
        if ('count' in body && evaluate(ctx, body.count) === 0) continue; // never created
        out.push({ root, ctx, type, name, body, address: `${ctx.address}${type}.${name}` });
      }
    }
    for (const callName of Object.keys(ctx.dir.modules)) {
      const child = moduleContext(tree, ctx, callName);
      if (child && !seen.has(child.dir.rel)) visit(child, root, new Set([...seen, child.dir.rel]));
    }
  };
  for (const rel of roots(tree)) visit(rootContext(tree, rel), rel, new Set([rel]));
  return out;
}

// Environment of a root: its var.environment if known, else the directory name.
function environmentOf(tree, rootRel) {
  const ctx = rootContext(tree, rootRel);
  if (ctx.dir.variables.environment) {
    const v = evalVar(ctx, 'environment', 0);
    if (typeof v === 'string') return v;
  }
  return path.basename(rootRel);
}

// Every string inside a parsed body that holds an expression, with a path for messages.
function expressionStrings(value, at = '', out = []) {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push({ at, expr: value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expressionStrings(v, `${at}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('_')) continue;
      if (k.includes('${')) out.push({ at: at ? `${at}.<key>` : '<key>', expr: k });
      expressionStrings(v, at ? `${at}.${k}` : k, out);
    }
  }
  return out;
}

module.exports = {
  SHARED_DIRS, loadTree, evaluate, evalVar, roots, instances, environmentOf, rootContext, moduleContext,
  expressionStrings, referencesIn, one, blocks, UNKNOWN, isUnknown,
};
