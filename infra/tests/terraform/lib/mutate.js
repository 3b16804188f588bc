'use strict';
// Copies a Terraform tree to a temporary directory and plants one mistake in the copy.

const fs = require('fs');
const os = require('os');
const path = require('path');

function copyTree(src) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-mutation-'));
  const dst = path.join(tmp, 'terraform');
  fs.cpSync(src, dst, {
    recursive: true,
    filter: (p) => !/(^|\/)(\.terraform|node_modules)(\/|$)/.test(p) && !/\.tfstate(\.backup)?$/.test(p),
  });
  return { tmp, dst };
}

function applyEdits(root, edits) {
  for (const e of edits) {
    const file = path.join(root, e.file);
    if (e.delete) {
      fs.rmSync(file);
    } else if (e.appendFrom !== undefined) {
      fs.appendFileSync(file, `\n${fs.readFileSync(path.join(root, e.appendFrom), 'utf8')}`);
    } else if (e.append !== undefined) {
      fs.appendFileSync(file, e.append);
    } else {
      const text = fs.readFileSync(file, 'utf8');
      const count = text.split(e.find).length - 1;
      if (count !== 1) {
        throw new Error(`mutation anchor found ${count} times (need exactly 1) in ${e.file}: ${JSON.stringify(e.find)}; `
          + 'the real tree changed, update fixtures/mutations.js');
      }
      fs.writeFileSync(file, text.replace(e.find, () => e.replace));
    }
  }
}

function plant(src, edits) {
  const { tmp, dst } = copyTree(src);
  applyEdits(dst, edits);
  return { root: dst, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) };
}

module.exports = { plant };
