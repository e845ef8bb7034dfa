#!/usr/bin/env node
// `npm run build` (and `prepare`, which `npm ci` / `npm install` run): compiles src/ to dist/ with
// tsconfig.build.json so that `hantu` starts without the tsx loader (less memory, faster start).
// Emits without type checking (`--noCheck`): `npm run typecheck` is the check, and a fresh install
// must not fail over a type error. Steps: fingerprint the sources first (an edit during the build
// makes the stamp not match: stale, never wrongly fresh), compile into node_modules/.cache/hantu-dist-<pid>/, copy the
// non-TypeScript files the code reads at run time (SQL migrations), write the stamp, then replace
// dist/. Without TypeScript installed (`npm ci --omit=dev`) it skips: bin/hantu.js then runs the
// sources through tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { buildInputs, contentFingerprint, DIST, ROOT, statFingerprint } from './dist-fingerprint.mjs';

const started = Date.now();
let tsc;
try {
  tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.error('hantu build: skipped (typescript is not installed); `hantu` will run the sources through tsx');
  process.exit(0);
}

const inputs = buildInputs();
const stamp = { builtAt: new Date().toISOString(), node: process.version, files: inputs.length, stat: statFingerprint(inputs), content: contentFingerprint(inputs) };

// Work folders per process (two builds at once do not write into each other), under node_modules/.cache:
// on the same file system as dist/ (renames), and ignored by git and the linters.
const work = join(ROOT, 'node_modules', '.cache');
mkdirSync(work, { recursive: true });
const partial = join(work, `hantu-dist-${process.pid}`);
rmSync(partial, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', partial], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(partial, { recursive: true, force: true });
  console.error(`hantu build: tsc failed (exit ${r.status ?? r.signal}); dist/ left as it was`);
  process.exit(1);
}

// Files the compiled code reads next to itself (new URL('./migrations/', import.meta.url)).
let assets = 0;
for (const f of inputs) {
  const rel = relative(join(ROOT, 'src'), f);
  if (rel.startsWith('..') || f.endsWith('.ts') || f.endsWith('.md')) continue;
  const to = join(partial, rel);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(f, to);
  assets++;
}
writeFileSync(join(partial, '.build-stamp.json'), `${JSON.stringify(stamp, null, 2)}\n`);

// Swap with renames (a `hantu` starting meanwhile sees the old build or the new one, not a gap); when
// another build swaps at the same moment, the last one wins.
const old = join(work, `hantu-dist-old-${process.pid}`);
for (let attempt = 0; ; attempt++) {
  try {
    renameSync(DIST, old);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  try {
    renameSync(partial, DIST);
    break;
  } catch (e) {
    if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes(e.code) || attempt >= 5) throw e;
    rmSync(old, { recursive: true, force: true });
  }
}
rmSync(old, { recursive: true, force: true });
const js = countJs(DIST);
console.error(`hantu build: ${js} modules and ${assets} assets in dist/ (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function countJs(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countJs(join(dir, e.name));
    else if (e.name.endsWith('.js')) n++;
  }
  return n;
}
