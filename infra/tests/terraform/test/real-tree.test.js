'use strict';
// The real infra/terraform tree passes every check.

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { loadTree, roots } = require('../lib/tree');
const { checks, runChecks, ROOTS, SHARED_ENV } = require('../lib/checks');

const ROOT = path.resolve(__dirname, '..', '..', '..', 'terraform');
const resultsPromise = loadTree(ROOT).then(async (tree) => ({ tree, results: await runChecks(tree) }));

test('the tree has the expected roots and modules', async () => {
  const { tree } = await resultsPromise;
  for (const d of ['bootstrap', 'envs/dev', 'envs/prod', 'modules/network', 'modules/eks', 'modules/database',
    'modules/secrets', 'modules/monitoring', 'modules/registry', 'modules/storage']) {
    assert.ok(tree.dirs.has(d), `${d} is missing from ${ROOT}`);
  }
});

const SHARED_FILES = ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'];

test('the shared env files are no root: bootstrap, envs/dev and envs/prod are the only roots', async () => {
  const { tree } = await resultsPromise;
  assert.deepStrictEqual(roots(tree), ROOTS);
  assert.ok(!tree.dirs.has(SHARED_ENV), `${SHARED_ENV} must not be a Terraform directory of the tree`);
  assert.deepStrictEqual([...tree.sharedDirs.keys()], [SHARED_ENV]);
  const linked = Object.fromEntries(tree.sharedDirs.get(SHARED_ENV).linkedFrom);
  for (const f of SHARED_FILES) assert.deepStrictEqual(linked[f], ['envs/dev', 'envs/prod'], `${SHARED_ENV}/${f}`);
});

test('each shared file is read once; envs/dev and envs/prod see all its declarations through the links', async () => {
  const { tree } = await resultsPromise;
  for (const f of SHARED_FILES) {
    assert.ok(tree.sources.has(`${SHARED_ENV}/${f}`), `${SHARED_ENV}/${f} is not a source`);
    for (const env of ['envs/dev', 'envs/prod']) assert.ok(!tree.sources.has(`${env}/${f}`), `${env}/${f} is a source of its own`);
  }
  const src = (f) => tree.sources.get(`${SHARED_ENV}/${f}`).json;
  for (const env of ['envs/dev', 'envs/prod']) {
    const d = tree.dirs.get(env);
    assert.deepStrictEqual(Object.keys(d.variables).sort(), Object.keys(src('variables.tf').variable).sort(), `${env} variables`);
    assert.deepStrictEqual(Object.keys(d.modules).sort(), ['database', 'deploy', 'eks', 'monitoring', 'network', 'registry', 'secrets', 'storage'], `${env} modules`);
    assert.deepStrictEqual(Object.keys(d.outputs).sort(), Object.keys(src('outputs.tf').output).sort(), `${env} outputs`);
    assert.ok(d.files.filter((f) => f.link).every((f) => f.real === `${SHARED_ENV}/${f.name}`));
    assert.deepStrictEqual(d.files.filter((f) => !f.link).map((f) => f.name), ['backend.tf', 'terraform.tfvars'], `${env} own files`);
  }
});

for (const c of checks) {
  test(`real tree: ${c.id} — ${c.title}`, async () => {
    const { results } = await resultsPromise;
    const r = results.find((x) => x.id === c.id);
    assert.ok(!r.skipped, `${c.id} was skipped because a file does not parse`);
    assert.deepStrictEqual(r.failures, [], `${c.id} failed on the real tree:\n  - ${r.failures.join('\n  - ')}`);
  });
}
