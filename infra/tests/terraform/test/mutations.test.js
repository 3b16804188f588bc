'use strict';
// Each planted mistake (fixtures/mutations.js) makes exactly its check fail, with a clear
// message, on a copy of the real tree: the suite proves that every check can fail.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
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

test('the copy keeps the env files as relative symlinks into itself, and passes every check', async () => {
  const { root, cleanup } = plant(ROOT, []);
  try {
    for (const env of ['envs/dev', 'envs/prod']) {
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
        const p = path.join(root, env, f);
        assert.ok(fs.lstatSync(p).isSymbolicLink(), `${env}/${f} is not a symlink in the copy`);
        assert.strictEqual(fs.readlinkSync(p), `../../shared/env/${f}`);
        assert.strictEqual(fs.realpathSync(p), fs.realpathSync(path.join(root, 'shared/env', f)));
      }
    }
    const failing = (await runChecks(await loadTree(root))).filter((r) => r.failures.length);
    assert.deepStrictEqual(failing.map((r) => `${r.id}: ${r.failures.join('; ')}`), []);
  } finally {
    cleanup();
  }
});

test('a planted edit never goes through a symlink (it would reach the shared file)', () => {
  assert.throws(
    () => plant(ROOT, [{ file: 'envs/prod/main.tf', append: '\n' }]),
    /envs\/prod\/main\.tf is a symlink \(to \.\.\/\.\.\/shared\/env\/main\.tf\)/,
  );
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
      if (m.failures !== undefined) {
        assert.strictEqual(target.failures.length, m.failures,
          `${m.expect} should report ${m.failures} failure(s):\n    - ${target.failures.join('\n    - ')}`);
      }
    } finally {
      cleanup();
    }
  });
}
