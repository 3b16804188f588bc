'use strict';
// The real infra/terraform tree passes every check.

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { loadTree } = require('../lib/tree');
const { checks, runChecks } = require('../lib/checks');

const ROOT = path.resolve(__dirname, '..', '..', '..', 'terraform');
const resultsPromise = loadTree(ROOT).then(async (tree) => ({ tree, results: await runChecks(tree) }));

test('the tree has the expected roots and modules', async () => {
  const { tree } = await resultsPromise;
  for (const d of ['bootstrap', 'envs/dev', 'envs/prod', 'modules/network', 'modules/eks', 'modules/database',
    'modules/secrets', 'modules/monitoring', 'modules/registry']) {
    assert.ok(tree.dirs.has(d), `${d} is missing from ${ROOT}`);
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
