'use strict';
// Each planted mistake (fixtures/mutations.js) makes exactly its check fail, with a clear
// message, on a copy of the real tree: the suite proves that every check can fail.

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { loadTree } = require('../lib/tree');
const { checks, runChecks } = require('../lib/checks');
const { plant } = require('../lib/mutate');
const mutations = require('../fixtures/mutations');

const ROOT = path.resolve(__dirname, '..', '..', '..', 'terraform');

test('every check has at least one planted mistake', () => {
  const covered = new Set(mutations.map((m) => m.expect));
  const missing = checks.map((c) => c.id).filter((id) => !covered.has(id));
  assert.deepStrictEqual(missing, [], `checks without a mutation: ${missing.join(', ')}`);
  const unknown = [...covered].filter((id) => !checks.some((c) => c.id === id));
  assert.deepStrictEqual(unknown, [], `mutations expect unknown checks: ${unknown.join(', ')}`);
});

for (const m of mutations) {
  test(`mutation → ${m.expect}: ${m.name}`, async () => {
    const { root, cleanup } = plant(ROOT, m.edits);
    try {
      const results = await runChecks(await loadTree(root));
      const failing = results.filter((r) => r.failures.length);
      const report = failing.map((r) => `${r.id}:\n    - ${r.failures.join('\n    - ')}`).join('\n  ') || '(nothing failed)';
      assert.deepStrictEqual(failing.map((r) => r.id), [m.expect],
        `expected only ${m.expect} to fail; failing:\n  ${report}`);
      const target = failing[0];
      assert.ok(target.failures.some((f) => m.message.test(f)),
        `${m.expect} failed, but no message matches ${m.message}:\n    - ${target.failures.join('\n    - ')}`);
    } finally {
      cleanup();
    }
  });
}
