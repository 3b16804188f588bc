#!/usr/bin/env node
'use strict';
// Usage: node check.js [TERRAFORM_ROOT]   (default: ../../terraform)
// Prints one line per check and every failure; exits 1 when any check fails.

const path = require('path');
const { loadTree } = require('./lib/tree');
const { runChecks } = require('./lib/checks');

async function main() {
  const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', 'terraform'));
  const tree = await loadTree(root);
  const results = await runChecks(tree);
  let failed = 0;
  for (const r of results) {
    if (r.skipped) {
      console.log(`skip  ${r.id}: ${r.title} (a file does not parse)`);
    } else if (r.failures.length) {
      failed++;
      console.log(`FAIL  ${r.id}: ${r.title}`);
      for (const f of r.failures) console.log(`        - ${f}`);
    } else {
      console.log(`ok    ${r.id}: ${r.title}`);
    }
  }
  const links = tree.files.length - tree.sources.size;
  console.log(`${tree.sources.size} files (+ ${links} symlinks to them) in ${root}: ${results.length - failed} checks passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
