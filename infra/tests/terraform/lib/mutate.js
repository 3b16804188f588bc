'use strict';
// Copies a Terraform tree to a temporary directory and plants one mistake in the copy.
// Symlinks are copied as the same relative links (envs/<env>/*.tf -> ../../shared/env/*.tf), so
// the copy links into itself, never back into the real tree; an edit never goes through a link.

const fs = require('fs');
const os = require('os');
const path = require('path');

function copyTree(src, tmp) {
  const dst = path.join(tmp, 'terraform');
  fs.cpSync(src, dst, {
    recursive: true,
    verbatimSymlinks: true, // without it Node rewrites each link to an absolute path into src
    filter: (p) => !/(^|\/)(\.terraform|node_modules)(\/|$)/.test(p) && !/\.tfstate(\.backup)?$/.test(p),
  });
  assertLinksStayInside(dst);
  return dst;
}

// Every symlink in the copy resolves inside the copy (a link into the real tree would let a
// planted mistake edit it, and would test the real files instead of the planted ones).
function assertLinksStayInside(dst) {
  const real = fs.realpathSync(dst);
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) {
        let target;
        try { target = fs.realpathSync(p); } catch { continue; } // dangling: the checks report it
        if (path.relative(real, target).startsWith('..')) {
          throw new Error(`copy of the tree: ${path.relative(dst, p)} links outside the copy (${fs.readlinkSync(p)} -> ${target})`);
        }
      }
    }
  };
  walk(dst);
}

function isLink(file) {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function applyEdits(root, edits) {
  for (const e of edits) {
    const file = path.join(root, e.file);
    if (e.delete) {
      fs.rmSync(file);
      continue;
    }
    if (e.detach) {
      // Replace a symlink with a regular file holding the same text (a copy instead of a link).
      if (!isLink(file)) throw new Error(`mutation: ${e.file} is not a symlink, nothing to detach`);
      const text = fs.readFileSync(file, 'utf8');
      fs.rmSync(file);
      fs.writeFileSync(file, text);
      continue;
    }
    if (isLink(file)) {
      throw new Error(`mutation: ${e.file} is a symlink (to ${fs.readlinkSync(file)}); edit its target, `
        + 'or detach it first ({ file, detach: true }) to plant an environment-only copy');
    }
    if (e.appendFrom !== undefined) {
      fs.appendFileSync(file, `\n${fs.readFileSync(path.join(root, e.appendFrom), 'utf8')}`);
    } else if (e.append !== undefined) {
      fs.appendFileSync(file, e.append); // creates the file when it does not exist
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
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-mutation-'));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const dst = copyTree(src, tmp);
    applyEdits(dst, edits);
    return { root: dst, cleanup };
  } catch (err) {
    cleanup(); // a refused copy or edit leaves no temporary tree behind
    throw err;
  }
}

module.exports = { plant };
